"""Human tasks: a reviewer's pending decision, kept as a row (never a paused flow run)."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import Role, TaskKind, TaskStatus, UnitLevel


class HumanTask(SQLModel, table=True):
    """One step a person must take: kind, what it is about (its school, and a submission for a grading), unit scope,
    candidate role, due date, decision."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    kind: TaskKind = Field(sa_type=String(32), index=True)
    school_enrolment_id: int | None = Field(default=None, foreign_key="schoolenrolment.id", index=True)
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    unit_id: int = Field(foreign_key="unit.id", index=True)
    candidate_role: Role = Field(sa_type=String(32))
    status: TaskStatus = Field(default=TaskStatus.OPEN, sa_type=String(16), index=True)
    due_at: datetime
    created_at: datetime = Field(default_factory=utcnow)
    completed_at: datetime | None = None
    decision: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    decided_by: str | None = Field(default=None, max_length=64)
    claimed_by: str | None = Field(default=None, max_length=64)
    claimed_at: datetime | None = None
    origin_key: str = Field(unique=True, max_length=128)
    version: int = 1

    @property
    def subject(self) -> str:
        """What the task is about, as the API and digests name it: 'submission:17', else 'school_enrolment:5'."""
        return task_subject(self.submission_id, self.school_enrolment_id)


def task_subject(submission_id: int | None, school_enrolment_id: int | None) -> str:
    """A task's subject as text, from its typed columns (the submission it grades, else its school)."""
    if submission_id is not None:
        return f"submission:{submission_id}"
    return f"school_enrolment:{school_enrolment_id}" if school_enrolment_id is not None else ""


TASK_ASSIGNMENT: dict[TaskKind, tuple[UnitLevel, Role]] = {
    TaskKind.PLAN_SUBMISSION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.PLAN_REVIEW: (UnitLevel.COUNTY, Role.COUNTY_OFFICE),
    TaskKind.PLAN_REVISION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.TRAINING_COMPLETION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.SUBMISSION_GRADING: (UnitLevel.SCHOOL, Role.GROUP_LEADER),
    TaskKind.PEER_REVIEW: (UnitLevel.SCHOOL, Role.TEACHER),  # assigned (claimed) to one colleague at creation
    TaskKind.GRADE_CONFIRMATION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.COUNTY_APPLICATION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.COUNTY_ASSESSMENT_SCORING: (UnitLevel.COUNTY, Role.COUNTY_EXPERT),
    TaskKind.PRESENTER_VERIFICATION: (UnitLevel.COUNTY, Role.COUNTY_EXPERT),
    TaskKind.RECTIFICATION: (UnitLevel.SCHOOL, Role.SCHOOL_ADMIN),
    TaskKind.SPOT_CHECK_DRAW: (UnitLevel.CITY, Role.CITY_OFFICE),  # the county's office where the policy says so
    TaskKind.SPOT_CHECK: (UnitLevel.CITY, Role.CITY_EXPERT),  # likewise the county's expert
    TaskKind.PROVINCE_AUDIT: (UnitLevel.PROVINCE, Role.PROVINCE_AUDITOR),
}
"""Which unit (counted up from the school) scopes a task kind, and which role may take it (the spot check's two kinds:
as `task_assignment` says under the campaign's policy)."""

SPOT_CHECKERS: dict[UnitLevel, tuple[Role, Role]] = {
    UnitLevel.CITY: (Role.CITY_OFFICE, Role.CITY_EXPERT),  # 000: 市工程办…进行抽查
    UnitLevel.COUNTY: (Role.COUNTY_OFFICE, Role.COUNTY_EXPERT),  # 002/003: 区教体局…按照不低于10％的比例抽查
}
"""The office that draws and the expert who checks, by the level the policy gives the spot check."""


def task_assignment(kind: TaskKind, spot_check_by: UnitLevel) -> tuple[UnitLevel, Role]:
    """The unit level and role of a task kind under a policy whose spot check is done at `spot_check_by`."""
    if kind in (TaskKind.SPOT_CHECK_DRAW, TaskKind.SPOT_CHECK):
        office, expert = SPOT_CHECKERS[UnitLevel(spot_check_by)]
        return UnitLevel(spot_check_by), office if kind == TaskKind.SPOT_CHECK_DRAW else expert
    return TASK_ASSIGNMENT[kind]
