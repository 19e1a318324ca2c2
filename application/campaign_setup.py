"""Opening a campaign year for a region, and reading the campaigns a caller can reach."""
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from infra import calendar
from infra import campaign_setup as store
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.access import OFFICE_ROLES, ancestry, within
from models.calendar import DeadlineScope, effective_calendar
from models.campaign import Campaign
from models.catalog import CatalogEntry, load_catalog, parse_catalog
from models.enums import UnitLevel
from models.errors import CampaignExists, InvalidCatalog, NotFound, OutOfScope, RuleViolated
from models.org import Principal, Unit
from models.policy import Policy, load_preset, parse_policy, policy_version

YEARS = range(2000, 2101)
REGION_LEVELS = (UnitLevel.PROVINCE, UnitLevel.CITY, UnitLevel.COUNTY)


@dataclass(frozen=True)
class RegionView:
    """The unit a campaign runs in."""

    code: str
    name: str
    level: str


@dataclass(frozen=True)
class CampaignSummary:
    """One line of the campaign list."""

    code: str
    title: str | None
    region: RegionView
    year: int
    status: str
    policy_name: str


@dataclass(frozen=True)
class PolicyView:
    """The policy copied into a campaign: its name, where it came from (hashed) and its content."""

    name: str
    version: str | None
    content: dict[str, Any]


@dataclass(frozen=True)
class DeadlinesView:
    """The campaign's last day, and per stage and task kind the deadline in force for its region."""

    final: date
    stages: dict[str, date]
    tasks: dict[str, date]


@dataclass(frozen=True)
class CampaignView:
    """A campaign as its offices see it: region, year, status, its frozen policy and the deadlines in force."""

    code: str
    title: str | None
    region: RegionView
    year: int
    status: str
    created_at: datetime
    closed_at: datetime | None
    policy: PolicyView
    deadlines: DeadlinesView
    targets: list[dict[str, Any]]


def _region(unit: Unit) -> RegionView:
    return RegionView(unit.code, unit.name, str(unit.level))


def create_campaign(uow: UnitOfWork, principal: Principal | None, code: str, region_code: str, year: int,
                    policy: Policy, origin: str, title: str | None, catalog: list[CatalogEntry]) -> CampaignView:
    """Open a campaign year for a region under a copy of a policy moved to that year (None: the CLI operator)."""
    session = uow.session
    code = code.strip()
    if not code or len(code) > 64:
        raise RuleViolated("campaign_code", "a campaign code is 1 to 64 characters")
    if year not in YEARS:
        raise RuleViolated("campaign_year", f"year {year} is not between 2000 and 2100")
    if title is not None and len(title) > 200:
        raise RuleViolated("campaign_title", "a title is at most 200 characters")
    if not catalog:
        raise InvalidCatalog("the micro-ability catalog is empty")
    region = store.unit_by_code(session, region_code)
    if region is None:
        raise NotFound(f"unit '{region_code}' does not exist")
    if principal is not None:
        if principal.role not in OFFICE_ROLES:
            raise OutOfScope("only a county or city project office (工程办) opens a campaign")
        if not within(principal.unit_id, region.id, repo.ancestry_parents(session, region.id)):
            raise OutOfScope(f"unit '{region.code}' is outside your unit")
    if region.level not in REGION_LEVELS:
        raise RuleViolated("campaign_region", f"unit '{region.code}' is a {region.level}: a campaign runs in a "
                                              "province, city or county")
    if store.campaign_code_taken(session, code):
        raise CampaignExists(f"campaign '{code}' already exists")
    frozen = policy.for_year(year)
    row = Campaign(code=code, year=year, region_unit_id=region.id, title=title, policy_name=frozen.name,
                   policy_version=policy_version(frozen, origin), policy=frozen.model_dump(mode="json"))
    store.insert_campaign(session, row, catalog)
    return _view(uow, row, region)


def open_campaign(uow: UnitOfWork, principal: Principal | None, code: str, region_code: str, year: int,
                  title: str | None, preset: str | None, policy: dict[str, Any] | None,
                  catalog_csv: str | None) -> CampaignView:
    """Open a campaign under a shipped preset or a whole policy document (exactly one), with a catalog CSV (None:
    the shipped default); every problem of the document is named under body.policy."""
    if (preset is None) == (policy is None):
        raise RuleViolated("campaign_policy", "give exactly one of a preset name and a policy document")
    chosen = load_preset(preset) if preset is not None else parse_policy(policy, origin="body.policy")
    origin = f"preset {preset}" if preset is not None else "document"
    catalog = load_catalog() if catalog_csv is None else parse_catalog(catalog_csv, origin="body.catalog")
    return create_campaign(uow, principal, code, region_code, year, chosen, origin, title, catalog)


def _reachable(principal: Principal | None, region_id: int, parents: dict[int, int | None]) -> bool:
    """The region lies in the caller's subtree, or the caller inside the region (None: the CLI operator, all)."""
    if principal is None:
        return True
    return within(principal.unit_id, region_id, parents) or within(region_id, principal.unit_id, parents)


def list_campaigns(uow: UnitOfWork, principal: Principal | None) -> list[CampaignSummary]:
    """The campaigns whose region the caller reaches (above or inside it), newest year first."""
    parents = repo.unit_parents(uow.session) if principal is not None else {}
    return [CampaignSummary(c.code, c.title, _region(u), c.year, str(c.status), c.policy_name)
            for c, u in store.campaigns_with_regions(uow.session) if _reachable(principal, u.id, parents)]


def show_campaign(uow: UnitOfWork, principal: Principal | None, code: str) -> CampaignView:
    """One campaign the caller reaches: its region, frozen policy and deadlines (with the region's overrides)."""
    session = uow.session
    row = repo.campaign_by_code(session, code)
    if principal is not None and not _reachable(principal, row.region_unit_id, repo.unit_parents(session)):
        raise OutOfScope(f"campaign '{code}' is outside your unit")
    return _view(uow, row, session.get(Unit, row.region_unit_id))


def _view(uow: UnitOfWork, row: Campaign, region: Unit) -> CampaignView:
    policy = Policy.model_validate(row.policy)
    chain = ancestry(region.id, repo.ancestry_parents(uow.session, region.id))
    entries = effective_calendar(policy, chain, calendar.overrides(uow.session, row.id))
    in_force = {scope: {name: day for name, (day, _owner) in sorted(days.items())} for scope, days in entries.items()}
    deadlines = DeadlinesView(policy.final_deadline, in_force[DeadlineScope.STAGE], in_force[DeadlineScope.TASK])
    targets = [t.model_dump(mode="json") for t in policy.targets]
    return CampaignView(row.code, row.title, _region(region), row.year, str(row.status), row.created_at,
                        row.closed_at, PolicyView(row.policy_name, row.policy_version, row.policy), deadlines, targets)
