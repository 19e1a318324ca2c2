"""The weekly progress table: per county, schools in each lifecycle state and overdue tasks."""
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

from models.enums import SchoolState
from models.policy import PhaseTarget


def county_progress_rows(schools: Iterable[tuple[str, str, str]], overdue: Mapping[str, int],
                         targets: Sequence[PhaseTarget] = (), county_schools: Mapping[str, int] | None = None
                         ) -> list[dict[str, object]]:
    """One row per county (code order) from (county code, county name, school state) and overdue tasks per county;
    with phasing targets (002: 各区不少于60%的学校…), the county's certified share of all its schools beside each."""
    names: dict[str, str] = {}
    states: dict[str, Counter] = {}
    for county, name, state in schools:
        names[county] = name
        states.setdefault(county, Counter())[state] += 1
    rows = [{"county": county, "name": names[county], "schools": sum(states[county].values()),
             **{str(state): states[county].get(state, 0) for state in SchoolState},
             "overdue_tasks": overdue.get(county, 0)} for county in sorted(states)]
    for row in rows if targets else ():
        total = (county_schools or {}).get(row["county"], 0)
        certified = row[str(SchoolState.CERTIFIED)]
        row["certified_share"] = round(certified / total, 4) if total else 0.0
        for target in targets:
            met = total > 0 and certified >= target.share * total
            row[f"target {target.by}"] = f"{target.share:.0%} {'met' if met else 'not met'}"
    return rows


def progress_artifact_key(campaign: str) -> str:
    """The artifact key of a campaign's progress table: stable, lowercase letters, digits and dashes."""
    return "progress-" + re.sub(r"[^a-z0-9-]+", "-", campaign.lower()).strip("-")
