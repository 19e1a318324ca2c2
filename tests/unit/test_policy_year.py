"""A policy moved to another campaign year, and the version string that names where it came from."""
from datetime import date

from models.policy import load_preset, policy_version


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
