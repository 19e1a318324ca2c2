"""Pure domain: tables, enums, the lifecycle state machine and rules. Imports nothing else of ours."""
from models.audit import AuditEntry
from models.campaign import (
    Campaign, CountyQuota, HourRecord, MicroAbility, PeerReview, SchoolEnrolment, Submission, TeacherEnrolment,
)
from models.evidence import Evidence, EvidenceUpload
from models.human_task import HumanTask
from models.org import Person, Unit
from models.outbox import IdempotencyRecord, OutboxEntry
from models.service_token import ServiceToken

__all__ = [
    "AuditEntry", "Campaign", "CountyQuota", "Evidence", "EvidenceUpload", "HourRecord", "HumanTask",
    "IdempotencyRecord", "OutboxEntry", "PeerReview", "MicroAbility", "Person", "SchoolEnrolment", "ServiceToken",
    "Submission", "TeacherEnrolment", "Unit",
]
