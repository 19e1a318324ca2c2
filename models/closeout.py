"""The year-end closeout's pure rules: the 003 附件2 summary figures, their roll-up and rates, report keys.

The four figures per teacher, decided from the data model (TeacherEnrolment keeps hours and the school's result):
- 课程学时合格: the teacher meets every hour rule of the policy (online, practice and total; models/rules.py);
- 校本实践活动完成: practice hours reach the policy's practice minimum (003: 不少于25学时的校本研修实践活动);
- 校本应用考核合格: the school's assessment of the teacher's micro-abilities passed (result 合格 or 优秀);
- 合格: 校本应用考核合格 and 课程学时合格 together (003: 完成50学时…经学校考核合格…计入学分).
"""
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from models.enums import CampaignStatus, Grade, SchoolEvent, SchoolState, UnitLevel
from models.errors import CampaignClosed, DomainError
from models.lifecycle import find_move
from models.policy import HourRules

PASSING_RESULTS = (Grade.PASS.value, Grade.EXCELLENT.value)

ANNEX_HEADERS = ("学校名称", "老师人数", "合格人数", "合格率", "课程学时合格人数", "课程学时合格率",
                 "校本应用考核合格人数", "校本应用合格率", "校本实践活动完成数", "校本实践活动完成率")
"""003 附件2 参训人员情况汇总表, column by column."""

LEVEL_NAMES = {UnitLevel.PROVINCE: "省", UnitLevel.CITY: "市", UnitLevel.COUNTY: "县（市）区", UnitLevel.SCHOOL: "学校"}


@dataclass(frozen=True)
class HourThresholds:
    """The hour minimums the figures compare a teacher's stored hours with."""

    online_min: float
    practice_min: float
    total_min: float


def hour_thresholds(rules: HourRules) -> HourThresholds:
    """The policy's hour minimums (the same ones `hours_shortfall` checks)."""
    return HourThresholds(rules.online_min, rules.practice_min, rules.total_min)


def rate(part: int, whole: int) -> float | None:
    """part / whole, or None for a unit without teachers (shown blank, never 0 %)."""
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """The counts of one row of the summary table."""

    teachers: int = 0
    passed: int = 0
    hours_passed: int = 0
    assessment_passed: int = 0
    practice_done: int = 0

    def __post_init__(self) -> None:
        parts = (self.passed, self.hours_passed, self.assessment_passed, self.practice_done)
        if self.teachers < 0 or any(p < 0 or p > self.teachers for p in parts):
            raise DomainError(f"summary counts out of range: {self}")

    def __add__(self, other: "Figures") -> "Figures":
        return Figures(self.teachers + other.teachers, self.passed + other.passed,
                       self.hours_passed + other.hours_passed, self.assessment_passed + other.assessment_passed,
                       self.practice_done + other.practice_done)

    def annex_values(self) -> tuple:
        """老师人数 … 校本实践活动完成率, as in the annex (rates as fractions, None when there are no teachers)."""
        t = self.teachers
        return (t, self.passed, rate(self.passed, t), self.hours_passed, rate(self.hours_passed, t),
                self.assessment_passed, rate(self.assessment_passed, t), self.practice_done,
                rate(self.practice_done, t))


@dataclass(frozen=True)
class UnitRef:
    """A unit of the tree as the summary names it."""

    code: str
    name: str


@dataclass(frozen=True)
class SchoolFigures:
    """One school's counts with its county, city and province."""

    school: UnitRef
    county: UnitRef
    city: UnitRef
    province: UnitRef
    figures: Figures
    state: str = ""


@dataclass(frozen=True)
class SummaryRow:
    """One row of the summary at any level: the unit, its parent's code and its figures."""

    level: UnitLevel
    code: str
    name: str
    parent: str | None
    figures: Figures


@dataclass(frozen=True)
class CountySummary:
    """A county's schools and its total (one sheet and one artifact each)."""

    county: SummaryRow
    schools: tuple[SummaryRow, ...]


@dataclass(frozen=True)
class Summary:
    """The whole table: the province, its cities, counties and schools, in code order."""

    province: SummaryRow
    cities: tuple[SummaryRow, ...]
    counties: tuple[CountySummary, ...]
    levels: dict[UnitLevel, int] = field(default_factory=dict)

    def rows(self) -> list[SummaryRow]:
        """Every row, top down: the province, each city with its counties, each county with its schools."""
        out = [self.province]
        for city in self.cities:
            out.append(city)
            for county in self.counties:
                if county.county.parent == city.code:
                    out.append(county.county)
                    out.extend(county.schools)
        return out


def roll_up(schools: Iterable[SchoolFigures]) -> Summary:
    """Sum school figures into counties, cities and the province; refuse schools of several provinces."""
    schools = sorted(schools, key=lambda s: (s.city.code, s.county.code, s.school.code))
    provinces = {s.province for s in schools}
    if len(provinces) > 1:
        raise DomainError(f"a campaign's schools lie in one province, not {len(provinces)}")
    province = next(iter(provinces), UnitRef("", ""))
    by_county: dict[UnitRef, list[SchoolFigures]] = {}
    city_of: dict[UnitRef, UnitRef] = {}
    for s in schools:
        by_county.setdefault(s.county, []).append(s)
        city_of[s.county] = s.city
    counties = tuple(
        CountySummary(
            SummaryRow(UnitLevel.COUNTY, c.code, c.name, city_of[c].code, _total(s.figures for s in members)),
            tuple(SummaryRow(UnitLevel.SCHOOL, s.school.code, s.school.name, c.code, s.figures) for s in members))
        for c, members in by_county.items())
    cities = []
    for city in dict.fromkeys(city_of.values()):
        total = _total(cs.county.figures for cs in counties if cs.county.parent == city.code)
        cities.append(SummaryRow(UnitLevel.CITY, city.code, city.name, province.code, total))
    top = SummaryRow(UnitLevel.PROVINCE, province.code, province.name, None, _total(c.figures for c in cities))
    return Summary(top, tuple(cities), counties, {UnitLevel.PROVINCE: 1, UnitLevel.CITY: len(cities),
                                                  UnitLevel.COUNTY: len(counties), UnitLevel.SCHOOL: len(schools)})


def rows_within(summary: Summary, unit_code: str) -> list[SummaryRow]:
    """The rows of a unit and of every unit under it, in the summary's order (none when the unit is not in it)."""
    rows = summary.rows()
    parent = {row.code: row.parent for row in rows}

    def inside(code: str | None) -> bool:
        while code is not None:
            if code == unit_code:
                return True
            code = parent.get(code)
        return False

    return [row for row in rows if inside(row.code)]


def _total(figures: Iterable[Figures]) -> Figures:
    return sum(figures, Figures())


def artifact_key(*parts: str) -> str:
    """A Prefect artifact key from codes: lowercase letters, digits and single dashes only."""
    key = re.sub(r"-+", "-", re.sub(r"[^a-z0-9-]", "-", "-".join(parts).lower())).strip("-")
    if not key:
        raise DomainError(f"no artifact key can be made of {parts!r}")
    return key


REPORT_NAMES = ("summary.xlsx", "summary.csv")


def report_key(campaign: str, name: str) -> str:
    """Where a closeout report lives in the evidence store; every re-run adds a version of the same key."""
    return f"{campaign}/closeout/{name}"


MAX_CAMPAIGN_CODE = 64


def next_campaign_code(campaign: str, given: str | None = None) -> str:
    """The campaign unfinished teachers carry over to: `given`, else `{campaign}-next`."""
    code = (given or f"{campaign}-next").strip()
    if not code or len(code) > MAX_CAMPAIGN_CODE or code == campaign:
        raise DomainError(f"next campaign code {code!r} must be 1–{MAX_CAMPAIGN_CODE} characters and differ from "
                          f"'{campaign}' (pass --next-campaign)")
    return code


CLOSE_OUT_REASON = "年终未完成 (year-end closeout)"


def closed_out_state(state: str) -> SchoolState:
    """Where the lifecycle table sends a live school at close-out (IllegalTransition for an end state)."""
    return find_move(SchoolState(state), SchoolEvent.CLOSE_OUT).to


def close_out_key(campaign: str, school: str) -> str:
    """The close-out's command key for one school: a re-run finds it and writes nothing twice."""
    return f"{campaign}:close_out:{school}"


@dataclass(frozen=True)
class ClosedOut:
    """One school the close-out moved, as its event announces it."""

    county: str
    school: str
    from_state: str
    to_state: str
    version: int
    audit_entry_id: int


def refuse_if_closed(code: str, status: str, closed_at: object) -> None:
    """CampaignClosed when the campaign was closed; call before any write to it."""
    if status == CampaignStatus.CLOSED:
        raise CampaignClosed(code, str(closed_at))


def percent(value: float | None) -> str:
    """A rate as the annex prints it (95.24%), blank for a unit without teachers."""
    return "" if value is None else f"{value * 100:.2f}%"


def annex_title(region: str, campaign: str) -> str:
    """The table's title (附件2: …参训人员情况汇总表)."""
    return f"{region}中小学教师信息技术应用能力提升工程2.0参训人员情况汇总表（{campaign}）"


def county_sheet_names(counties: Sequence[CountySummary], reserved: Sequence[str] = ()) -> list[str]:
    """One Excel sheet name per county: its name (≤ 31 characters, no []:*?/\\), numbered when taken."""
    taken = {name.lower() for name in reserved}
    names = []
    for cs in counties:
        base = re.sub(r"[\[\]:*?/\\']", "-", cs.county.name.strip() or cs.county.code)[:26]
        name, n = base, 1
        while name.lower() in taken:
            n += 1
            name = f"{base}({n})"
        taken.add(name.lower())
        names.append(name)
    return names
