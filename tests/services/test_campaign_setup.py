"""Opening a campaign year: who may, where, under which policy copy, and who then sees it."""
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from application.campaign_setup import create_campaign, list_campaigns, show_campaign
from infra import campaign_setup as store
from infra import repository as repo
from application.campaigns import campaign_progress
from models.campaign import MicroAbility, SchoolEnrolment
from models.enums import SchoolState, UnitLevel
from models.catalog import load_catalog
from models.errors import CampaignExists, NotFound, OutOfScope, RuleViolated
from models.org import Principal, Unit
from models.policy import load_policy_file, load_preset, policy_version


def _as(uow, username: str) -> Principal:
    return Principal.of(repo.person_by_username(uow.session, username))


def _other_county(uow) -> Unit:
    city = uow.session.scalars(select(Unit).where(Unit.code == "DEMO-C1")).one()
    county = Unit(code="DEMO-C1-X2", name="另一县", level=UnitLevel.COUNTY, parent_id=city.id)
    uow.session.add(county)
    uow.session.flush()
    return county


def _open(uow, principal, code="y2023", region="DEMO-C1-X1", year=2023, policy=None, origin="preset yanzhou-2022"):
    return create_campaign(uow, principal, code, region, year, policy or load_preset("yanzhou-2022"), origin,
                           "兖州区2023年提升工程2.0", load_catalog())


def test_a_county_office_opens_its_county_year_under_a_preset_moved_to_that_year(uow, demo):
    view = _open(uow, _as(uow, "demo-county-office"))
    preset = load_preset("yanzhou-2022")
    assert (view.code, view.year, view.region.code, view.region.level) == ("y2023", 2023, "DEMO-C1-X1", "county")
    assert view.title == "兖州区2023年提升工程2.0" and view.status == "open"
    assert view.deadlines.final == preset.final_deadline.replace(year=2023)
    assert view.policy.content["final_deadline"] == f"2023-{preset.final_deadline:%m-%d}"
    assert all(day.year == 2023 for day in {**view.deadlines.stages, **view.deadlines.tasks}.values())
    assert view.policy.version == policy_version(preset.for_year(2023), "preset yanzhou-2022")
    assert view.policy.version.startswith("preset yanzhou-2022 sha256:")
    stored = repo.campaign_by_code(uow.session, "y2023")
    copied = uow.session.scalars(select(MicroAbility.code).where(MicroAbility.campaign_id == stored.id)).all()
    assert sorted(copied) == sorted(e.code for e in load_catalog())


def test_a_policy_file_is_copied_frozen_a_later_edit_of_the_file_changes_nothing(uow, demo, tmp_path: Path):
    data = load_preset("yanzhou-2022").model_dump(mode="json")
    data["name"] = "jining-own"
    path = tmp_path / "jining.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    _open(uow, None, code="own", policy=load_policy_file(path), origin=f"file {path.name}")
    data["spot_check_ratio"] = 0.99
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    view = show_campaign(uow, None, "own")
    assert view.policy.name == "jining-own" and view.policy.version.startswith("file jining.yaml sha256:")
    assert view.policy.content["spot_check_ratio"] == load_preset("yanzhou-2022").spot_check_ratio


def test_the_refusals(uow, demo):
    county_office = _as(uow, "demo-county-office")
    _other_county(uow)
    with pytest.raises(OutOfScope):
        _open(uow, county_office, region="DEMO-C1-X2")
    with pytest.raises(OutOfScope):
        _open(uow, county_office, region="DEMO-C1")
    with pytest.raises(OutOfScope):  # a school admin is no office, even at its own school
        _open(uow, _as(uow, "DEMO-X1-S001-admin"), region="DEMO-X1-S001")
    with pytest.raises(OutOfScope):  # an expert is no office
        _open(uow, _as(uow, "demo-county-expert"))
    with pytest.raises(RuleViolated, match="campaign_region"):
        _open(uow, county_office, region="DEMO-X1-S001")
    with pytest.raises(NotFound):
        _open(uow, county_office, region="NOWHERE")
    for year in (1999, 2101):
        with pytest.raises(RuleViolated, match="campaign_year"):
            _open(uow, county_office, year=year)
    with pytest.raises(CampaignExists) as exists:
        _open(uow, county_office, code="fast")
    assert exists.value.status_code == 409
    assert [c.code for c in list_campaigns(uow, None)] == ["fast"]


def test_list_and_show_reach_the_region_from_above_and_from_inside(uow, demo):
    _other_county(uow)
    _open(uow, None, code="x1")
    _open(uow, None, code="x2", region="DEMO-C1-X2")
    assert {c.code for c in list_campaigns(uow, _as(uow, "demo-county-office"))} == {"fast", "x1"}
    assert {c.code for c in list_campaigns(uow, _as(uow, "demo-city-office"))} == {"fast", "x1", "x2"}
    assert {c.code for c in list_campaigns(uow, _as(uow, "DEMO-X1-S001-admin"))} == {"fast", "x1"}
    assert show_campaign(uow, _as(uow, "DEMO-X1-S001-admin"), "x1").region.code == "DEMO-C1-X1"
    with pytest.raises(OutOfScope):
        show_campaign(uow, _as(uow, "demo-county-office"), "x2")
    with pytest.raises(NotFound):
        show_campaign(uow, None, "nope")


def test_beijing_targets_show_in_the_campaign_and_in_its_progress(uow, demo):
    _open(uow, None, code="bj", region="DEMO-C1", year=2026, policy=load_preset("beijing-2021"),
          origin="preset beijing-2021")
    assert show_campaign(uow, None, "bj").targets == [{"by": "2025-12-31", "share": 0.6},
                                                      {"by": "2026-12-31", "share": 1.0}]
    progress = campaign_progress(uow, _as(uow, "demo-city-office"), "bj")
    assert [(t.share, t.actual, t.met) for t in progress.targets] == [(0.6, 0.0, False), (1.0, 0.0, False)]
    fast = repo.campaign_by_code(uow.session, "fast")
    enrolment = uow.session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.campaign_id == fast.id)).first()
    enrolment.state = SchoolState.CERTIFIED  # one of the demo's two schools, in a campaign under beijing's phases
    fast.policy = load_preset("beijing-2021").for_year(2022).model_dump(mode="json")
    uow.session.flush()
    assert [(t.actual, t.met) for t in campaign_progress(uow, _as(uow, "demo-city-office"), "fast").targets] == \
        [(0.5, False), (0.5, False)]
    _open(uow, None, code="plain")
    assert campaign_progress(uow, _as(uow, "demo-city-office"), "plain").targets == []


def test_a_code_taken_between_the_check_and_the_insert_is_a_409_not_a_crash(uow, demo, monkeypatch):
    monkeypatch.setattr(store, "campaign_code_taken", lambda _session, _code: False)
    with pytest.raises(CampaignExists):
        _open(uow, None, code="fast")
    assert [c.code for c in list_campaigns(uow, None)] == ["fast"]
