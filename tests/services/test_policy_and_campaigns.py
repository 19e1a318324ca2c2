"""Policies an office reads and checks, and what an operator reads about a campaign, on the fast tier."""
import pytest

from application.campaign_info import campaign_exists, campaign_id, campaign_policy, school_histories
from application.policy import check_policy_file, preset_document
from models.errors import InvalidPolicy, NotFound


def test_a_shown_preset_checks_as_the_same_policy(tmp_path):
    path = tmp_path / "ours.yaml"
    path.write_text(preset_document("yanzhou-2022"), encoding="utf-8")
    assert check_policy_file(path).name == "yanzhou-2022"


def test_an_unknown_preset_names_the_known_ones():
    with pytest.raises(InvalidPolicy, match="unknown policy preset 'nope'; known: .*yanzhou-2022"):
        preset_document("nope")


def test_a_bad_policy_file_lists_every_problem_with_its_path(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nhours: {online_min: -1, practice_min: 25, total_min: 50}\nspot_check_ratio: 3\n")
    with pytest.raises(InvalidPolicy) as refused:
        check_policy_file(path)
    assert refused.value.detail.startswith(f"{path}: ")
    problems = refused.value.detail.removeprefix(f"{path}: ").split("; ")
    assert {p.split(":")[0] for p in problems} >= {"hours.online_min", "spot_check_ratio", "choices", "title"}


def test_a_campaign_is_found_by_code_with_its_policy_and_school_histories(uow, demo):
    assert campaign_exists(uow, "fast") and not campaign_exists(uow, "other")
    assert campaign_id(uow, "fast") > 0 and campaign_policy(uow, "fast").name == "yanzhou-2022"
    assert [(code, state, entries) for code, state, entries in school_histories(uow, "fast")] == [
        ("DEMO-X1-S001", "plan_drafting", []), ("DEMO-X1-S002", "plan_drafting", [])]
    with pytest.raises(NotFound, match="campaign 'other' does not exist"):
        campaign_id(uow, "other")
