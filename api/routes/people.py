"""People: an office deactivates (and reactivates) the people of its unit; their tokens stop at once."""
from typing import Annotated

from fastapi import APIRouter, Path

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from application import people
from application.concurrency import commit_with_retry
from application.people import PersonStatus

router = APIRouter(prefix="/people", tags=["people"], responses=error_responses(401, 403, 404, 422))
Username = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[^\x00]+$")]


@router.post("/{username}/deactivate", response_model=PersonStatus)
def deactivate(username: Username, uow: UowDep, user: CurrentUser) -> PersonStatus:
    """A county or city office deactivates a person of its unit (not itself): from their next request on, their
    login tokens and service tokens answer 401, and the open tasks they had claimed are released; both audited."""
    return commit_with_retry(uow, people.deactivate_person, user, username)


@router.post("/{username}/activate", response_model=PersonStatus)
def activate(username: Username, uow: UowDep, user: CurrentUser) -> PersonStatus:
    """Reactivate a person of your unit (a revoked service token stays revoked); audited."""
    return commit_with_retry(uow, people.activate_person, user, username)
