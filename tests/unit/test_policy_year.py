"""A policy moved to another campaign year, and the version string that names where it came from."""
from datetime import date

import pytest

from models.errors import InvalidPolicy
from models.phasing import target_progress
from models.policy import load_preset, parse_policy, policy_version


def test_for_year_moves_every_deadline_by_any_number_of_years():
    preset = load_preset("yanzhou-2022")
    later = preset.for_year(2025)
    shift = 2025 - preset.final_deadline.year
    assert later.final_deadline == preset.final_deadline.replace(year=2025)
    assert {k: v.year - shift for k, v in later.deadlines.stages.items()} == \
        {k: v.year for k, v in preset.deadlines.stages.items()}
    assert {k: v.year - shift for k, v in later.deadlines.tasks.items()} == \
        {k: v.year for k, v in preset.deadlines.tasks.items()}
    assert preset.for_year(preset.final_deadline.year) == preset
    assert preset.for_year(2020).final_deadline.year == 2020
    assert later.for_year(preset.final_deadline.year) == preset


def test_for_year_matches_next_year_and_turns_29_february_into_the_28th():
    preset = load_preset("yanzhou-2022")
    assert preset.for_year(preset.final_deadline.year + 1) == preset.next_year()
    leap = preset.model_copy(update={"final_deadline": date(2024, 2, 29), "deadlines": type(preset.deadlines)()})
    assert leap.for_year(2025).final_deadline == date(2025, 2, 28)
    assert leap.for_year(2028).final_deadline == date(2028, 2, 29)


def test_policy_version_hashes_the_content_and_names_the_origin():
    preset = load_preset("yanzhou-2022")
    version = policy_version(preset, "preset yanzhou-2022")
    prefix, digest = version.rsplit(" sha256:", 1)
    assert prefix == "preset yanzhou-2022" and len(digest) == 12 and int(digest, 16) >= 0
    assert policy_version(load_preset("yanzhou-2022"), "preset yanzhou-2022") == version
    assert policy_version(preset.for_year(2023), "preset yanzhou-2022") != version
    assert policy_version(preset, "file x.yaml").endswith(digest)


def test_beijing_phases_rise_to_every_school_by_the_final_deadline_and_move_with_the_year():
    beijing = load_preset("beijing-2021")
    assert [(t.by, t.share) for t in beijing.targets] == [(date(2021, 12, 31), 0.6), (date(2022, 12, 31), 1.0)]
    assert [t.by for t in beijing.for_year(2024).targets] == [date(2023, 12, 31), date(2024, 12, 31)]


@pytest.mark.parametrize("targets,problem", [
    ([{"by": "2021-12-31", "share": 0.6}, {"by": "2021-06-30", "share": 1.0}], "targets must rise"),
    ([{"by": "2021-06-30", "share": 0.6}, {"by": "2021-12-31", "share": 0.5}], "targets must rise"),
    ([{"by": "2023-12-31", "share": 1.0}], "targets after final_deadline"),
    ([{"by": "2021-12-31", "share": 1.5}], "targets.0.share"),
])
def test_targets_that_do_not_rise_or_lie_past_the_end_are_refused(targets, problem):
    data = load_preset("beijing-2021").model_dump(mode="json") | {"targets": targets}
    with pytest.raises(InvalidPolicy, match=problem):
        parse_policy(data)


def test_target_progress_counts_certified_schools_of_the_region():
    targets = load_preset("beijing-2021").targets
    assert [(p.actual, p.met) for p in target_progress(targets, 3, 5)] == [(0.6, True), (0.6, False)]
    assert [p.met for p in target_progress(targets, 5, 5)] == [True, True]
    assert [(p.actual, p.met) for p in target_progress(targets, 0, 0)] == [(0.0, False), (0.0, False)]


def test_the_weekly_table_shows_each_countys_certified_share_beside_the_targets():
    from datetime import date

    from models.policy import PhaseTarget
    from models.progress import county_progress_rows

    schools = [("X1", "一县", "certified"), ("X1", "一县", "training"), ("X2", "二县", "certified")]
    targets = [PhaseTarget(by=date(2021, 12, 31), share=0.6), PhaseTarget(by=date(2022, 12, 31), share=1.0)]
    first, second = county_progress_rows(schools, {}, targets, {"X1": 3, "X2": 1})
    assert (first["certified_share"], first["target 2021-12-31"], first["target 2022-12-31"]) == (
        0.3333, "60% not met", "100% not met")
    assert (second["certified_share"], second["target 2021-12-31"], second["target 2022-12-31"]) == (
        1.0, "60% met", "100% met")
    assert "certified_share" not in county_progress_rows(schools, {})[0]
