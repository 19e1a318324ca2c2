"""Pure domain: tables, enums, the lifecycle state machine and rules. Imports nothing else of ours."""
from models.audit import AuditEntry
from models.campaign import (
    Campaign, CountyQuota, HourRecord, MicroAbility, PeerReview, SchoolEnrolment, Submission, TeacherEnrolment,
)
from models.human_task import HumanTask
from models.org import Person, Unit
from models.outbox import IdempotencyRecord, OutboxEntry

__all__ = [
    "AuditEntry", "Campaign", "CountyQuota", "HourRecord", "HumanTask", "IdempotencyRecord", "OutboxEntry", "PeerReview", "MicroAbility", "Person", "SchoolEnrolment",
    "Submission", "TeacherEnrolment", "Unit",
]
