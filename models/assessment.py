"""The facts a county assessment reads off a school, computed from its teachers and choices."""
from collections.abc import Mapping, Sequence

from models.choices import Ability, environment_share_violations, school_set_violations
from models.policy import Policy
from models.rubric import SchoolFacts
from models.rules import TeacherStanding, excellent_rate, pass_rate


def school_facts(policy: Policy, teachers: Sequence[TeacherStanding], catalog: Mapping[str, Ability],
                 school_set: Sequence[str] | None, works_sent_up: int | None = None) -> SchoolFacts:
    """Rates, hour and choice checks, and 互学互评 for every teacher of the school."""
    results = [t.result for t in teachers]
    rules = policy.choices
    return SchoolFacts(
        teachers=len(teachers),
        pass_rate=pass_rate(results),
        excellent_rate=excellent_rate(results),
        all_online_hours_met=bool(teachers) and all(t.online_hours >= policy.hours.online_min for t in teachers),
        all_practice_hours_met=bool(teachers) and all(t.practice_hours >= policy.hours.practice_min for t in teachers),
        school_set_valid=school_set is not None and not school_set_violations(list(school_set), catalog, rules),
        environment_shares_met=bool(teachers) and not environment_share_violations(
            [t.choices for t in teachers], catalog, rules),
        peer_review_done=bool(teachers) and all(t.peer_reviewed for t in teachers),
        works_sent_up=works_sent_up,
    )
