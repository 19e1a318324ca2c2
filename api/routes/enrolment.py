"""Enrolment routes (002 参训学校名单): the region's office enrols schools, and brings the teachers in step with the
roster."""
from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from application import enrolment as service
from application.concurrency import commit_with_retry

router = APIRouter(prefix="/campaigns", tags=["enrolment"], responses=error_responses(400, 401, 403, 404, 409, 422))
SchoolCode = Annotated[str, StringConstraints(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$")]


class SchoolList(BaseModel):
    """The schools to enrol, by unit code (each must be a school inside the campaign's region)."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"schools": ["YZ-S01", "YZ-S02"]}]})
    schools: list[SchoolCode] = Field(min_length=1, max_length=50_000)


class EnrolmentResult(BaseModel):
    """What an enrolment did: schools newly enrolled, those enrolled already, teachers enrolled, tasks opened."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "campaign": "yz-2027", "enrolled": ["YZ-S02"], "already": ["YZ-S01"], "teachers_enrolled": 4,
        "plan_tasks_opened": 1}]})
    campaign: str
    enrolled: list[str]
    already: list[str]
    teachers_enrolled: int
    plan_tasks_opened: int


class RosterSync(BaseModel):
    """How many teachers joined, moved school (调动), were withdrawn, or came back."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"joined": 2, "transferred": 1, "withdrawn": 1, "returned": 0}]})
    joined: int
    transferred: int
    withdrawn: int
    returned: int


@router.post("/{campaign}/schools", response_model=EnrolmentResult)
def enrol_schools(campaign: str, body: SchoolList, uow: UowDep, user: CurrentUser) -> EnrolmentResult:
    """A county or city office at or above the campaign's region enrols schools of the region: their active
    teachers are enrolled and each new school gets its plan_submission task; enrolling again changes nothing. A bad
    code (unknown, not a school, outside the region) refuses the whole list, every one named."""
    return EnrolmentResult(**asdict(commit_with_retry(uow, service.enrol_schools, user, campaign, body.schools)))


@router.post("/{campaign}/roster-sync", response_model=RosterSync)
def sync_roster(campaign: str, uow: UowDep, user: CurrentUser) -> RosterSync:
    """Bring the campaign's teachers in line with the roster: new teachers of enrolled schools join, one who moved to
    another enrolled school keeps hours and submissions there, one who left is withdrawn (kept, out of the rates);
    each change is an audit entry."""
    return RosterSync(**commit_with_retry(uow, service.sync_roster, user, campaign))
