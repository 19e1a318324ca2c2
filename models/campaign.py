"""Campaigns, their micro-ability catalog, school and teacher enrolments, and submissions."""
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import CampaignStatus, Grade, SchoolState, SubmissionStatus


class Campaign(SQLModel, table=True):
    """One campaign year in one region, run under one policy."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True, max_length=64)
    year: int
    region_unit_id: int = Field(foreign_key="unit.id")
    title: str | None = Field(default=None, max_length=200)
    policy_name: str = Field(max_length=64)
    policy_version: str | None = Field(default=None, max_length=100)  # the preset or file it was copied from, hashed
    policy: dict[str, Any] = Field(default_factory=dict, sa_type=JSON)
    created_at: datetime = Field(default_factory=utcnow)
    status: CampaignStatus = Field(default=CampaignStatus.OPEN, sa_type=String(16))
    closed_at: datetime | None = None  # set once by the year-end closeout; a closed campaign refuses writes


class MicroAbility(SQLModel, table=True):
    """One entry of a campaign's micro-ability catalog."""

    __table_args__ = (UniqueConstraint("campaign_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    code: str = Field(max_length=16)
    name: str = Field(max_length=100)
    environment: str = Field(max_length=4)
    dimension: str = Field(max_length=16)
    evidence_items: list[str] = Field(default_factory=list, sa_type=JSON)
    confirmed: bool = False


class SchoolEnrolment(SQLModel, table=True):
    """A school taking part in a campaign; carries the lifecycle state and a version for races."""

    __table_args__ = (UniqueConstraint("campaign_id", "school_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    school_id: int = Field(foreign_key="unit.id", index=True)
    state: SchoolState = Field(default=SchoolState.PLAN_DRAFTING, sa_type=String(32), index=True)
    version: int = 1
    plan: dict[str, Any] | None = Field(default=None, sa_type=JSON)
    county_score: float | None = None
    county_grade: Grade | None = Field(default=None, sa_type=String(16))
    evidence_held_at: datetime | None = None  # set once every evidence version is under legal hold
    updated_at: datetime = Field(default_factory=utcnow)


class TeacherEnrolment(SQLModel, table=True):
    """A teacher taking part in a campaign at a school: hours, result and credited hours."""

    __table_args__ = (UniqueConstraint("campaign_id", "teacher_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    school_enrolment_id: int = Field(foreign_key="schoolenrolment.id", index=True)
    teacher_id: int = Field(foreign_key="person.id")
    choices: list[str] = Field(default_factory=list, sa_type=JSON)
    online_hours: float = 0
    practice_hours: float = 0
    result: Grade | None = Field(default=None, sa_type=String(16))
    credited_hours: float = 0
    withdrawn_at: datetime | None = None  # left the school or the region: kept, out of the rates


class Submission(SQLModel, table=True):
    """A teacher's evidence for one micro-ability, and the grade it got."""

    __table_args__ = (UniqueConstraint("teacher_enrolment_id", "micro_ability_id", "attempt"),)
    id: int | None = Field(default=None, primary_key=True)
    teacher_enrolment_id: int = Field(foreign_key="teacherenrolment.id", index=True)
    micro_ability_id: int = Field(foreign_key="microability.id")
    attempt: int = 1
    status: SubmissionStatus = Field(default=SubmissionStatus.SUBMITTED, sa_type=String(16))
    grade: Grade | None = Field(default=None, sa_type=String(16))
    submitted_at: datetime = Field(default_factory=utcnow)
    evidence: dict[str, int] = Field(default_factory=dict, sa_type=JSON)  # evidence item -> the version submitted
    withdrawn_at: datetime | None = None


class HourRecord(SQLModel, table=True):
    """One imported line of a training platform's export for a teacher."""

    id: int | None = Field(default=None, primary_key=True)
    teacher_enrolment_id: int = Field(foreign_key="teacherenrolment.id", index=True)
    course: str = Field(max_length=200)
    kind: str = Field(max_length=32)
    minutes_watched: float
    course_minutes: float
    imported_at: datetime = Field(default_factory=utcnow)


class PeerReview(SQLModel, table=True):
    """A teacher's review of a colleague's submission (003 互学互评)."""

    __table_args__ = (UniqueConstraint("reviewer_enrolment_id", "submission_id"),)
    id: int | None = Field(default=None, primary_key=True)
    reviewer_enrolment_id: int = Field(foreign_key="teacherenrolment.id", index=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    comment: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)


class CountyQuota(SQLModel, table=True):
    """Excellent grades granted in a county this campaign; the counter that enforces the cap."""

    __table_args__ = (UniqueConstraint("campaign_id", "county_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id")
    county_id: int = Field(foreign_key="unit.id")
    excellent_granted: int = 0
