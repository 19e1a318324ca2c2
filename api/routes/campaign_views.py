"""Request and response bodies of opening a campaign and reading campaigns (the routes are in campaigns.py)."""
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from application.campaign_setup import CampaignSummary as SummaryRecord
from application.campaign_setup import CampaignView as ViewRecord

_REGION = {"code": "SD-JN-YZ", "name": "兖州区", "level": "county"}


class NewCampaign(BaseModel):
    """A campaign year to open: its code, region unit, year, and exactly one of a preset name and a whole policy."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [
        {"code": "yanzhou-2023", "region": "SD-JN-YZ", "year": 2023, "title": "兖州区2023年信息技术应用能力提升工程2.0",
         "preset": "yanzhou-2022"}]})
    code: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    region: str = Field(min_length=1, max_length=64, description="Code of a province, city or county unit.")
    year: int = Field(ge=2000, le=2100)
    title: str | None = Field(default=None, max_length=200)
    preset: str | None = Field(default=None, max_length=64, description="A shipped preset, e.g. yanzhou-2022.")
    policy: dict[str, Any] | None = Field(default=None, description="A whole policy (as `tisheng policy show` "
                                                                   "prints it); its problems are named one by one.")
    catalog: str | None = Field(default=None, description="Micro-ability catalog CSV text "
                                                          "(code,name,environment,dimension,evidence_items,confirmed); "
                                                          "omitted: the shipped default.")


class Region(BaseModel):
    """The unit a campaign runs in."""

    code: str
    name: str
    level: str


class CampaignLine(BaseModel):
    """One campaign of the list."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"code": "yanzhou-2023", "title": "兖州区2023年信息技术应用能力提升工程2.0", "region": _REGION, "year": 2023,
         "status": "open", "policy_name": "yanzhou-2022"}]})
    code: str
    title: str | None
    region: Region
    year: int
    status: str
    policy_name: str

    @classmethod
    def of(cls, record: SummaryRecord) -> "CampaignLine":
        """The API's view of a campaign summary."""
        return cls.model_validate(record, from_attributes=True)


class PolicyCopy(BaseModel):
    """The policy copied into the campaign when it opened: name, origin with a hash, and the content."""

    name: str
    version: str | None
    content: dict[str, Any]


class CampaignDeadlines(BaseModel):
    """The campaign's last day, and per stage and task kind the deadline in force for its region."""

    final: date
    stages: dict[str, date]
    tasks: dict[str, date]


class CampaignView(BaseModel):
    """A campaign: region, year, status, its frozen policy, the deadlines in force and its phasing targets."""

    model_config = ConfigDict(json_schema_extra={"examples": [{
        "code": "yanzhou-2023", "title": "兖州区2023年信息技术应用能力提升工程2.0", "region": _REGION, "year": 2023,
        "status": "open", "created_at": "2023-03-01T02:00:00Z", "closed_at": None,
        "policy": {"name": "yanzhou-2022", "version": "preset yanzhou-2022 sha256:3f2b8a6e1c4d",
                   "content": {"name": "yanzhou-2022", "final_deadline": "2023-12-31", "…": "…"}},
        "deadlines": {"final": "2023-12-31", "stages": {"plan_drafting": "2023-04-30"},
                      "tasks": {"plan_review": "2023-05-15"}},
        "targets": []}]})
    code: str
    title: str | None
    region: Region
    year: int
    status: str
    created_at: datetime
    closed_at: datetime | None
    policy: PolicyCopy
    deadlines: CampaignDeadlines
    targets: list[dict[str, Any]]

    @classmethod
    def of(cls, record: ViewRecord) -> "CampaignView":
        """The API's view of a campaign."""
        return cls.model_validate(record, from_attributes=True)
