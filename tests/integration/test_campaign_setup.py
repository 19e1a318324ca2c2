"""Opening a campaign year over a real database: the API with real logins, and the `tisheng campaign` command."""
import uuid

import pytest
import yaml
from fastapi.testclient import TestClient

from api.app import app
from infra.db import session_scope
from infra.security import hash_password
from models.enums import Role, UnitLevel
from models.org import Person, Unit
from models.policy import load_preset
from tests.integration.test_cli import tisheng

PASSWORD = "campaign-setup-pw"


@pytest.fixture
def region(database) -> dict[str, str]:
    """A province → city → two counties (a school in the first), an office at each and a school admin."""
    tag = uuid.uuid4().hex[:6].upper()
    codes = {k: f"{k}-{tag}" for k in ("P", "C", "A", "B", "S")}
    digest = hash_password(PASSWORD)
    with session_scope() as session:
        province = Unit(code=codes["P"], name="省", level=UnitLevel.PROVINCE)
        session.add(province)
        session.flush()
        city = Unit(code=codes["C"], name="市", level=UnitLevel.CITY, parent_id=province.id)
        session.add(city)
        session.flush()
        county_a = Unit(code=codes["A"], name="甲县", level=UnitLevel.COUNTY, parent_id=city.id)
        county_b = Unit(code=codes["B"], name="乙县", level=UnitLevel.COUNTY, parent_id=city.id)
        session.add_all([county_a, county_b])
        session.flush()
        school = Unit(code=codes["S"], name="甲县一中", level=UnitLevel.SCHOOL, parent_id=county_a.id)
        session.add(school)
        session.flush()
        for who, role, unit in [("city", Role.CITY_OFFICE, city), ("a", Role.COUNTY_OFFICE, county_a),
                                ("b", Role.COUNTY_OFFICE, county_b), ("admin", Role.SCHOOL_ADMIN, school)]:
            codes[who] = f"{who}-{tag.lower()}"
            session.add(Person(username=codes[who], name=who, role=role, unit_id=unit.id, password_hash=digest))
    return codes


def bearer(http: TestClient, username: str) -> dict[str, str]:
    token = http.post("/auth/token", data={"username": username, "password": PASSWORD}).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_offices_open_their_own_region_only_and_read_what_they_reach(region, campaign_code):
    http = TestClient(app)
    county_a, county_b, admin, city = (bearer(http, region[k]) for k in ("a", "b", "admin", "city"))
    body = {"code": campaign_code, "region": region["A"], "year": 2026, "title": "甲县2026", "preset": "yanzhou-2022"}
    opened = http.post("/campaigns", json=body, headers=county_a)
    assert opened.status_code == 201, opened.text
    view = opened.json()
    assert (view["region"], view["year"], view["status"]) == ({"code": region["A"], "name": "甲县",
                                                                "level": "county"}, 2026, "open")
    assert view["deadlines"]["final"].startswith("2026-") and view["policy"]["version"].startswith(
        "preset yanzhou-2022 sha256:")
    assert all(day.startswith("2026-") for day in view["deadlines"]["stages"].values())

    assert http.post("/campaigns", json=body, headers=county_a).status_code == 409
    other = http.post("/campaigns", json={**body, "code": f"{campaign_code}-b", "region": region["B"]},
                      headers=county_a)
    assert other.status_code == 403 and other.headers["content-type"].startswith("application/problem+json")
    school = http.post("/campaigns", json={**body, "code": f"{campaign_code}-s", "region": region["S"]},
                       headers=county_a)
    assert school.status_code == 422 and "campaign_region" in school.json()["detail"]
    assert http.post("/campaigns", json={**body, "code": f"{campaign_code}-x", "region": region["S"]},
                     headers=admin).status_code == 403
    both = http.post("/campaigns", json={**body, "code": f"{campaign_code}-2", "policy": {"name": "x"}},
                     headers=county_a)
    assert both.status_code == 422
    city_wide = http.post("/campaigns", json={**body, "code": f"{campaign_code}-c", "region": region["C"]},
                          headers=city)
    assert city_wide.status_code == 201

    def codes(headers):
        answer = http.get("/campaigns", headers=headers)
        assert answer.status_code == 200
        return {c["code"] for c in answer.json()} & {campaign_code, f"{campaign_code}-c"}

    assert codes(city) == {campaign_code, f"{campaign_code}-c"}
    assert codes(county_a) == codes(admin) == {campaign_code, f"{campaign_code}-c"}
    assert codes(county_b) == {f"{campaign_code}-c"}
    assert http.get(f"/campaigns/{campaign_code}", headers=admin).json()["title"] == "甲县2026"
    assert http.get(f"/campaigns/{campaign_code}", headers=county_b).status_code == 403
    assert http.get("/campaigns/no-such-campaign", headers=county_b).status_code == 404


def test_a_bad_policy_object_is_refused_naming_each_problem(region, campaign_code):
    http = TestClient(app)
    policy = load_preset("yanzhou-2022").model_dump(mode="json")
    policy["spot_check_ratio"] = 3
    policy["hours"]["online_min"] = -1
    del policy["choices"]
    answer = http.post("/campaigns", json={"code": campaign_code, "region": region["A"], "year": 2026,
                                           "policy": policy}, headers=bearer(http, region["a"]))
    assert answer.status_code == 422
    fields = {e["field"] for e in answer.json()["errors"]}
    assert {"body.policy.spot_check_ratio", "body.policy.hours.online_min", "body.policy.choices"} <= fields
    assert http.get(f"/campaigns/{campaign_code}", headers=bearer(http, region["a"])).status_code == 404
    good = http.post("/campaigns", json={"code": campaign_code, "region": region["A"], "year": 2027,
                                         "policy": load_preset("beijing-2021").model_dump(mode="json")},
                     headers=bearer(http, region["a"]))
    assert good.status_code == 201 and good.json()["policy"]["version"].startswith("document sha256:")
    assert good.json()["policy"]["content"]["final_deadline"].startswith("2027-")
    assert good.json()["targets"] == [{"by": "2026-12-31", "share": 0.6}, {"by": "2027-12-31", "share": 1.0}]
    progress = http.get(f"/campaigns/{campaign_code}/progress", headers=bearer(http, region["a"]))
    assert progress.status_code == 200 and progress.json()["targets"] == [
        {"by": "2026-12-31", "share": 0.6, "actual": 0.0, "met": False},
        {"by": "2027-12-31", "share": 1.0, "actual": 0.0, "met": False}]


def test_the_command_opens_lists_and_shows_a_campaign(region, campaign_code, database, tmp_path):
    env = {"TISHENG_DATABASE_URL": database}
    own = load_preset("yanzhou-2022").model_dump(mode="json") | {"name": "county-own"}
    policy_file = tmp_path / "own.yaml"
    policy_file.write_text(yaml.safe_dump(own, allow_unicode=True), encoding="utf-8")
    done = tisheng("campaign", "create", campaign_code, "--region", region["A"], "--year", "2028",
                   "--policy-file", str(policy_file), "--title", "甲县2028", data_dir=tmp_path, env=env)
    assert done.returncode == 0, done.stderr
    assert f"campaign '{campaign_code}' opened for {region['A']}" in done.stdout
    assert "file own.yaml sha256:" in done.stdout
    listed = tisheng("campaign", "list", data_dir=tmp_path, env=env)
    assert listed.returncode == 0 and f"{campaign_code}\t2028\t{region['A']}\topen\tcounty-own\t甲县2028" in listed.stdout
    shown = tisheng("campaign", "show", campaign_code, data_dir=tmp_path, env=env)
    assert shown.returncode == 0 and "year: 2028" in shown.stdout and "final_deadline: 2028-" in shown.stdout
    school = tisheng("campaign", "create", f"{campaign_code}-s", "--region", region["S"], "--year", "2028",
                     "--policy", "yanzhou-2022", data_dir=tmp_path, env=env)
    assert school.returncode == 2 and "campaign_region" in school.stderr and school.stderr.count("\n") == 1
    twice = tisheng("campaign", "create", campaign_code, "--region", region["A"], "--year", "2028",
                    "--policy", "yanzhou-2022", "--policy-file", str(policy_file), data_dir=tmp_path, env=env)
    assert twice.returncode == 2 and "exactly one of --policy" in twice.stderr
    unknown = tisheng("campaign", "show", "no-such", data_dir=tmp_path, env=env)
    assert unknown.returncode == 2 and "does not exist" in unknown.stderr
