"""Pure domain: tables, enums, the lifecycle state machine and rules. Imports nothing else of ours."""
from models.audit import AuditEntry
from models.calendar import CalendarOverride
from models.campaign import (
    Campaign, CountyQuota, HourRecord, MicroAbility, PeerReview, SchoolEnrolment, Submission, TeacherEnrolment,
)
from models.evidence import Evidence, EvidenceUpload
from models.human_task import HumanTask
from models.login_throttle import LoginThrottle
from models.org import Person, Unit
from models.outbox import IdempotencyRecord, OutboxEntry
from models.reminders import Notification, ReminderDelivery
from models.service_token import ServiceToken

__all__ = [
    "AuditEntry", "CalendarOverride", "Campaign", "CountyQuota", "Evidence", "EvidenceUpload", "HourRecord",
    "HumanTask", "IdempotencyRecord", "LoginThrottle", "Notification", "OutboxEntry", "PeerReview", "MicroAbility",
    "Person", "ReminderDelivery", "SchoolEnrolment", "ServiceToken", "Submission", "TeacherEnrolment", "Unit",
]
