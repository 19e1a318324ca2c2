"""Pure domain: tables, enums, the lifecycle state machine and rules. Imports nothing else of ours."""
from models.audit import AuditEntry
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, Submission, TeacherEnrolment
from models.human_task import HumanTask
from models.org import Person, Unit

__all__ = [
    "AuditEntry", "Campaign", "HumanTask", "MicroAbility", "Person", "SchoolEnrolment",
    "Submission", "TeacherEnrolment", "Unit",
]
