"""The unit tree as a caller sees it: the children of a unit inside their own subtree."""
from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict

from api.deps import CurrentUser, UowDep
from api.problems import error_responses
from application import units as service

router = APIRouter(prefix="/units", tags=["units"], responses=error_responses(401, 403, 404, 422))


class UnitView(BaseModel):
    """A unit: its code, name, level, parent's code, and for a school its type and township (乡镇)."""

    code: str
    name: str
    level: str
    parent: str | None
    school_type: str | None
    township: str | None


class UnitPage(BaseModel):
    """One page of a unit's direct children, by code."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "parent": "SD-JN-YZ", "total": 6, "page": 1, "page_size": 50, "items": [
            {"code": "YZ-S01", "name": "兖州区实验小学", "level": "school", "parent": "SD-JN-YZ",
             "school_type": "小学", "township": "鼓楼街道"}]}]})
    parent: str
    total: int
    page: int
    page_size: int
    items: list[UnitView]


@router.get("", response_model=UnitPage)
def list_units(uow: UowDep, user: CurrentUser,
               parent: Annotated[str | None, Query(min_length=1, max_length=64, pattern=r"^[^\x00-\x1f]+$",
                                                   description="The unit whose children to list (default: yours).")]
               = None,
               page: Annotated[int, Query(ge=1, le=100_000)] = 1,
               page_size: Annotated[int, Query(ge=1, le=500)] = 50) -> UnitPage:
    """The direct children of a unit inside your subtree (your own unit's by default), by code; a unit above or
    beside yours answers 403."""
    found = service.list_units(uow, user, parent, page, page_size)
    return UnitPage(parent=found.parent.code, total=found.total, page=page, page_size=page_size, items=[
        UnitView(code=u.code, name=u.name, level=u.level, parent=found.parent.code, school_type=u.school_type,
                 township=u.township) for u in found.items])
