"""The weekly progress table: per county, schools in each lifecycle state and overdue tasks."""
import re
from collections import Counter
from collections.abc import Iterable, Mapping

from models.enums import SchoolState


def county_progress_rows(schools: Iterable[tuple[str, str, str]],
                         overdue: Mapping[str, int]) -> list[dict[str, object]]:
    """One row per county (code order) from (county code, county name, school state) and overdue tasks per county."""
    names: dict[str, str] = {}
    states: dict[str, Counter] = {}
    for county, name, state in schools:
        names[county] = name
        states.setdefault(county, Counter())[state] += 1
    return [{"county": county, "name": names[county], "schools": sum(states[county].values()),
             **{str(state): states[county].get(state, 0) for state in SchoolState},
             "overdue_tasks": overdue.get(county, 0)} for county in sorted(states)]


def progress_artifact_key(campaign: str) -> str:
    """The artifact key of a campaign's progress table: stable, lowercase letters, digits and dashes."""
    return "progress-" + re.sub(r"[^a-z0-9-]+", "-", campaign.lower()).strip("-")
