"""People: an office deactivates (and reactivates) the people of its unit; their tokens stop at once."""
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import IntegrityError

from api.deps import CurrentUser, SessionDep
from api.problems import error_responses
from infra import people

router = APIRouter(prefix="/people", tags=["people"], responses=error_responses(401, 403, 404, 422))
Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]
APPEND_ATTEMPTS = 3  # a concurrent audit append wins the chain head; try again on the new head


class PersonStatus(BaseModel):
    """A person after a (de)activation; `changed` is false when they already were so (nothing recorded)."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "username": "DEMO-X1-S001-leader", "name": "演示县第1学校教研组长", "role": "group_leader",
        "unit": "DEMO-X1-S001", "active": False, "changed": True, "released_tasks": [31, 32]}]})
    username: str
    name: str
    role: str
    unit: str
    active: bool
    changed: bool
    released_tasks: list[int]


def _set_active(session, user, username: str, active: bool) -> PersonStatus:
    for attempt in range(APPEND_ATTEMPTS):
        people.check_may_change(session, user, username)
        try:
            change = people.set_active(session, user.username, username, active)
            session.commit()
            return PersonStatus(**change.__dict__)
        except IntegrityError:
            session.rollback()
            if attempt == APPEND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


@router.post("/{username}/deactivate", response_model=PersonStatus)
def deactivate(username: Username, session: SessionDep, user: CurrentUser) -> PersonStatus:
    """A county or city office deactivates a person of its unit (not itself): from their next request on, their
    login tokens and service tokens answer 401, and the open tasks they had claimed are released; both audited."""
    return _set_active(session, user, username, False)


@router.post("/{username}/activate", response_model=PersonStatus)
def activate(username: Username, session: SessionDep, user: CurrentUser) -> PersonStatus:
    """Reactivate a person of your unit (a revoked service token stays revoked); audited."""
    return _set_active(session, user, username, True)
