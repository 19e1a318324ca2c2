"""The year-end closeout over a hand-built campaign: figures by hand, files re-read, re-run changes nothing."""
import csv
import io
import json
from datetime import date

from datetime import timedelta

import pytest
from openpyxl import load_workbook
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
from sqlalchemy import func, select

import flows.closeout
from flows.closeout import closeout_due_campaigns, closeout_flow, run_closeout
from infra import repository as repo
from infra.audit_checkpoints import chain_head, stored_checkpoints
from infra.closeout_report import CSV_HEADERS, SUMMARY_HEADERS
from infra.db import session_scope
from infra.evidence import get_evidence_store
from infra.settings import get_settings
from models.audit import AuditEntry, verify_chain
from models.campaign import Campaign, HourRecord, MicroAbility, SchoolEnrolment, TeacherEnrolment
from models.closeout import ANNEX_HEADERS
from models.catalog import load_catalog
from models.clock import utcnow
from models.enums import CampaignStatus, Grade, Role, SchoolState, TaskKind, TaskStatus, UnitLevel
from models.errors import NotFound
from models.human_task import HumanTask
from models.org import Person, Unit
from models.policy import Deadlines, load_preset
from tasks.demo_setup import insert_demo_campaign

P, E, F = Grade.PASS, Grade.EXCELLENT, Grade.FAIL
# school: (county, state, [(online, practice, result)]) under yanzhou-2022 (25 online, 25 practice, 50 in all)
FIXTURE = {
    "S1": ("XA", SchoolState.CERTIFIED, [(25, 25, P), (30, 25, E), (25, 25, F), (20, 30, P)]),
    "S2": ("XA", SchoolState.SCHOOL_REVIEW, [(25, 25, None), (25, 10, None), (25, 25, P)]),
    "S3": ("XB", SchoolState.TRAINING, [(0, 0, None), (24.9, 25.1, E)]),
    "S4": ("XC", SchoolState.PLAN_DRAFTING, []),
}
COUNTY_CITY = {"XA": "C1", "XB": "C1", "XC": "C2"}
# Hand-counted (teachers, 合格 = assessment passed and hours met, 课程学时合格 = every hour rule met,
# 校本应用考核合格 = result pass/excellent, 校本实践活动完成 = practice ≥ 25):
# S1: t3 fails the assessment, t4 lacks online hours → 合格 2; hours t1 t2 t3; assessed t1 t2 t4; practice all.
# S2: only t7 is graded; t6 has 10 practice hours.  S3: t9 has 50 h but only 24.9 online.  S4: no teachers.
EXPECTED = {
    "S1": (4, 2, 3, 3, 4), "S2": (3, 1, 2, 1, 2), "S3": (2, 0, 0, 1, 1), "S4": (0, 0, 0, 0, 0),
    "XA": (7, 3, 5, 4, 6), "XB": (2, 0, 0, 1, 1), "XC": (0, 0, 0, 0, 0),
    "C1": (9, 3, 5, 5, 7), "C2": (0, 0, 0, 0, 0), "P": (9, 3, 5, 5, 7),
}
NAMES = {"P": "测试省", "C1": "一市", "C2": "二市", "XA": "甲县", "XB": "乙县", "XC": "丙县",
         "S1": "第一学校", "S2": "第二学校", "S3": "第三学校", "S4": "第四学校"}


def annex(counts: tuple) -> list:
    """Counts as the annex's values: each count followed by its rate (None without teachers)."""
    t, *parts = counts
    return [t, *(v for p in parts for v in (p, p / t if t else None))]


def same(rows: list[list]) -> list[list]:
    """Rows with floats to 12 digits: an XLSX float carries 15–17 significant digits, not Python's shortest repr."""
    return [[round(v, 12) if isinstance(v, float) else v for v in row] for row in rows]


def percent(value) -> str:
    return "" if value is None else f"{value * 100:.2f}%"


@pytest.fixture
def evidence_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("TISHENG_EVIDENCE_DIR", str(tmp_path / "evidence"))
    get_settings.cache_clear()
    yield tmp_path / "evidence"
    get_settings.cache_clear()


def build_campaign(code: str) -> dict[str, str]:
    """The fixture campaign; returns our short names → unit codes."""
    codes = {short: f"{code}-{short}" for short in NAMES}
    policy = load_preset("yanzhou-2022")
    with session_scope() as session:
        def unit(short, level, parent):
            row = Unit(code=codes[short], name=NAMES[short], level=level, parent_id=parent.id if parent else None)
            session.add(row)
            session.flush()
            return row

        province = unit("P", UnitLevel.PROVINCE, None)
        cities = {c: unit(c, UnitLevel.CITY, province) for c in ("C1", "C2")}
        counties = {x: unit(x, UnitLevel.COUNTY, cities[c]) for x, c in COUNTY_CITY.items()}
        campaign = Campaign(code=code, year=2022, region_unit_id=province.id, policy_name=policy.name,
                            policy=policy.model_dump(mode="json"))
        session.add(campaign)
        session.flush()
        session.add(MicroAbility(campaign_id=campaign.id, code="A1", name="技术支持的学情分析", environment="A",
                                 dimension="学情分析", evidence_items=["plan", "report"]))
        number = 0
        for short, (county, state, teachers) in FIXTURE.items():
            school = unit(short, UnitLevel.SCHOOL, counties[county])
            enrolment = SchoolEnrolment(campaign_id=campaign.id, school_id=school.id, state=state)
            session.add(enrolment)
            session.flush()
            if state == SchoolState.SCHOOL_REVIEW:  # an open grading task the close-out must cancel
                session.add(HumanTask(campaign_id=campaign.id, kind=TaskKind.SUBMISSION_GRADING,
                                      school_enrolment_id=enrolment.id,
                                      unit_id=school.id, candidate_role="group_leader",
                                      due_at=utcnow() + timedelta(days=7), origin_key=f"{code}-open-{short}"))
            for online, practice, result in teachers:
                number += 1
                person = Person(username=f"{code}-t{number}", name=f"教师{number}", role=Role.TEACHER,
                                unit_id=school.id)
                session.add(person)
                session.flush()
                teacher = TeacherEnrolment(campaign_id=campaign.id, school_enrolment_id=enrolment.id,
                                           teacher_id=person.id, choices=["A1"], online_hours=online,
                                           practice_hours=practice, result=result)
                session.add(teacher)
                session.flush()
                if number == 5:  # an unfinished teacher whose hour records must follow them
                    session.add_all(HourRecord(teacher_enrolment_id=teacher.id, course=f"课程{i}", kind="online",
                                               minutes_watched=750, course_minutes=750) for i in (1, 2))
    return codes


def next_campaign_rows(code: str) -> tuple[list, list, int]:
    with session_scope() as session:
        following = repo.campaign_by_code(session, f"{code}-next")
        schools = session.execute(
            select(Unit.code, SchoolEnrolment.state).join(Unit, Unit.id == SchoolEnrolment.school_id)
            .where(SchoolEnrolment.campaign_id == following.id).order_by(Unit.code)).all()
        teachers = session.execute(
            select(Person.username, TeacherEnrolment.online_hours, TeacherEnrolment.practice_hours,
                   TeacherEnrolment.result)
            .join(Person, Person.id == TeacherEnrolment.teacher_id)
            .where(TeacherEnrolment.campaign_id == following.id).order_by(Person.username)).all()
        records = session.scalar(select(func.count()).select_from(HourRecord).join(
            TeacherEnrolment, TeacherEnrolment.id == HourRecord.teacher_enrolment_id)
            .where(TeacherEnrolment.campaign_id == following.id))
        catalog = session.scalar(select(func.count()).select_from(MicroAbility)
                                 .where(MicroAbility.campaign_id == following.id))
        assert catalog == 1 and following.year == 2023
    return [tuple(r) for r in schools], [tuple(r) for r in teachers], records


def read_store(code: str) -> tuple[dict[str, list], bytes, bytes]:
    store = get_evidence_store()
    versions = store.versions(f"{code}/closeout/")
    by_key: dict[str, list] = {}
    for v in versions:
        by_key.setdefault(v.key, []).append(v)
    latest = {k: b"".join(store.open(k, vs[-1].version_id)) for k, vs in by_key.items()}
    return by_key, latest[f"{code}/closeout/summary.xlsx"], latest[f"{code}/closeout/summary.csv"]


def check_xlsx(data: bytes, codes: dict[str, str]) -> None:
    book = load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["汇总", "甲县", "乙县", "丙县"]
    top = [list(r) for r in book["汇总"].iter_rows(values_only=True)]
    assert "参训人员情况汇总表" in top[0][0]
    assert top[1] == list(SUMMARY_HEADERS)
    levels = {"P": "省", "C1": "市", "C2": "市", "XA": "县（市）区", "XB": "县（市）区", "XC": "县（市）区"}
    assert same(top[2:]) == same([[levels[s], codes[s], NAMES[s], *annex(EXPECTED[s])]
                                  for s in ("P", "C1", "XA", "XB", "C2", "XC")])
    assert book["汇总"]["D3"].number_format == "General" and book["汇总"]["F3"].number_format == "0.00%"
    for county, schools in {"甲县": ["S1", "S2"], "乙县": ["S3"], "丙县": ["S4"]}.items():
        sheet = book[county]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        assert county in rows[0][0]
        assert rows[1] == list(ANNEX_HEADERS)
        short = {"甲县": "XA", "乙县": "XB", "丙县": "XC"}[county]
        assert same(rows[2:]) == same([*([NAMES[s], *annex(EXPECTED[s])] for s in schools),
                                       ["合计", *annex(EXPECTED[short])]])
        assert [sheet.cell(3, c).number_format for c in (4, 6, 8, 10)] == ["0.00%"] * 4


def check_csv(data: bytes, codes: dict[str, str]) -> None:
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_HEADERS)
    parents = {"P": "", "C1": "P", "C2": "P", "XA": "C1", "XB": "C1", "XC": "C2", "S1": "XA", "S2": "XA",
               "S3": "XB", "S4": "XC"}
    order = ["P", "C1", "XA", "S1", "S2", "XB", "S3", "C2", "XC", "S4"]
    level = {"P": "省", "C": "市", "X": "县（市）区", "S": "学校"}
    expected = [[level[s[0]], codes[s], NAMES[s], codes.get(parents[s], ""),
                 *(percent(v) if i % 2 == 0 and i else str(v) for i, v in enumerate(annex(EXPECTED[s])))]
                for s in order]
    assert rows[1:] == expected


def test_closeout_figures_reports_and_carry_over_are_the_same_on_a_rerun(
        database, prefect_harness, campaign_code, evidence_dir):
    codes = build_campaign(campaign_code)

    first = run_closeout(campaign_code)
    assert (first.schools, first.teachers, first.passed) == (4, 9, 3)
    assert sorted(first.closed_out) == [codes["S2"], codes["S3"], codes["S4"]]
    assert first.carried == {"schools": 2, "teachers": 4, "hour_records": 2}
    with session_scope() as session:
        head = chain_head(session)
    (anchored,) = stored_checkpoints(get_evidence_store())[0]  # the closeout's entries are anchored at its end
    assert (anchored.entry_id, anchored.entry_hash, anchored.count) == (head.entry_id, head.entry_hash, head.count)
    assert first.audit_checkpoint.startswith(f"audit checkpoint written at entry {head.entry_id} ")
    versions, xlsx, csv_data = read_store(campaign_code)
    check_xlsx(xlsx, codes)
    check_csv(csv_data, codes)
    carried = next_campaign_rows(campaign_code)
    assert carried == (
        [(codes["S2"], "plan_drafting"), (codes["S3"], "plan_drafting")],
        [(f"{campaign_code}-t5", 25.0, 25.0, None), (f"{campaign_code}-t6", 25.0, 10.0, None),
         (f"{campaign_code}-t8", 0.0, 0.0, None), (f"{campaign_code}-t9", 24.9, 25.1, None)],
        2)

    second = closeout_flow(campaign_code)
    assert second.closed_at == first.closed_at and second.closed_out == []
    assert second.carried == {"schools": 0, "teachers": 0, "hour_records": 0}
    assert second.audit_checkpoint == f"audit checkpoint skipped: the head (entry {head.entry_id}) has not moved " \
        f"since {anchored.label}"
    assert (second.schools, second.teachers, second.passed) == (4, 9, 3)
    assert next_campaign_rows(campaign_code) == carried
    versions, xlsx_again, csv_again = read_store(campaign_code)
    assert sorted(versions) == [f"{campaign_code}/closeout/summary.csv", f"{campaign_code}/closeout/summary.xlsx"]
    assert [len(v) for v in versions.values()] == [2, 2]  # one new version of each key per run, nothing else
    assert csv_again == csv_data
    check_xlsx(xlsx_again, codes)

    with session_scope() as session:
        campaign = repo.campaign_by_code(session, campaign_code)
        assert campaign.status == "closed" and campaign.closed_at is not None
        states = dict(session.execute(select(Unit.code, SchoolEnrolment.state)
                                      .join(Unit, Unit.id == SchoolEnrolment.school_id)
                                      .where(SchoolEnrolment.campaign_id == campaign.id)).all())
        closes = session.scalars(select(AuditEntry.flow_run_id).where(
            AuditEntry.campaign_id == campaign.id, AuditEntry.event == "close_out")).all()
        tasks = session.scalars(select(HumanTask.status).where(HumanTask.campaign_id == campaign.id)).all()
        chain = verify_chain(session.scalars(select(AuditEntry).order_by(AuditEntry.id)).all())
    assert states == {codes["S1"]: "certified", codes["S2"]: "incomplete", codes["S3"]: "incomplete",
                      codes["S4"]: "incomplete"}
    assert len(closes) == 3 and len(set(closes)) == 1  # the three schools closed out in one flow run
    assert tasks == [TaskStatus.CANCELLED] and chain.ok

    key = f"closeout-{campaign_code}-{codes['XA']}".lower()
    with get_client(sync_client=True) as client:
        found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(
            any_=[key, f"{key}-summary", f"closeout-progress-{campaign_code}"])))
    kinds = {(a.key, a.type) for a in found}
    assert {(key, "table"), (f"{key}-summary", "markdown"), (f"closeout-progress-{campaign_code}", "progress")} <= kinds
    table = json.loads(next(a for a in found if a.type == "table").data)
    assert [list(row.values()) for row in table] == [
        ["第一学校", 4, 2, "50.00%", 3, "75.00%", 3, "75.00%", 4, "100.00%"],
        ["第二学校", 3, 1, "33.33%", 2, "66.67%", 1, "33.33%", 2, "66.67%"],
        ["合计", 7, 3, "42.86%", 5, "71.43%", 4, "57.14%", 6, "85.71%"]]
    assert list(table[0]) == list(ANNEX_HEADERS)


def test_closeout_of_an_unknown_campaign_is_refused(database, prefect_harness, evidence_dir):
    with pytest.raises(NotFound):
        closeout_flow("no-such-campaign")


def test_the_new_years_eve_run_closes_the_campaigns_whose_year_has_ended(
        database, prefect_harness, evidence_dir, campaign_code):
    # A deadline no other test's campaign has (the presets end 2022-12-31), so this run touches only ours.
    policy = load_preset("yanzhou-2022").model_copy(update={"final_deadline": date(2021, 6, 30),
                                                             "deadlines": Deadlines()})
    insert_demo_campaign.fn(campaign_code, policy, load_catalog(), 1, 1)
    assert closeout_due_campaigns(day=date(2021, 6, 29)) == []
    assert closeout_due_campaigns(day=date(2021, 6, 30)) == [campaign_code]
    with session_scope() as session:
        closed = repo.campaign_by_code(session, campaign_code)
        following = repo.campaign_by_code(session, f"{campaign_code}-next")
        assert closed.status == CampaignStatus.CLOSED and following.status == CampaignStatus.OPEN
        assert following.policy["final_deadline"] == "2022-06-30"  # next year's campaign is not due yet
    assert closeout_due_campaigns(day=date(2021, 7, 1)) == []


def test_the_close_out_goes_in_batches_each_one_transaction_and_reports_its_progress(
        database, prefect_harness, campaign_code, evidence_dir, monkeypatch):
    codes = build_campaign(campaign_code)
    monkeypatch.setattr(flows.closeout, "CLOSE_OUT_BATCH", 2)
    steps = []
    with flows.closeout.closeout_progress(lambda done, total, step: steps.append((done, total, step))):
        result = closeout_flow(campaign_code)
    assert sorted(result.closed_out) == [codes["S2"], codes["S3"], codes["S4"]]
    assert [s for _, _, s in steps[:3]] == ["campaign frozen", "2 of 3 unfinished school(s) closed out",
                                            "3 of 3 unfinished school(s) closed out"]
    assert steps[-1][0] == steps[-1][1] == 5 + 2 + 1  # fixed steps (with the checkpoint), two batches, one county group
    with session_scope() as session:
        campaign = repo.campaign_by_code(session, campaign_code)
        rows = session.execute(select(AuditEntry.command_key, AuditEntry.from_state, AuditEntry.to_state)
                               .where(AuditEntry.campaign_id == campaign.id).order_by(AuditEntry.id)).all()
        versions = session.scalars(select(SchoolEnrolment.version).where(
            SchoolEnrolment.campaign_id == campaign.id, SchoolEnrolment.state == "incomplete")).all()
    assert [tuple(r) for r in rows] == [
        (f"{campaign_code}:close_out:{codes['S2']}", "school_review", "incomplete"),
        (f"{campaign_code}:close_out:{codes['S3']}", "training", "incomplete"),
        (f"{campaign_code}:close_out:{codes['S4']}", "plan_drafting", "incomplete")]
    assert versions == [2, 2, 2]


def test_offices_read_the_annex_for_their_subtree_as_json_and_csv(
        database, prefect_harness, campaign_code, evidence_dir):
    from fastapi.testclient import TestClient

    from api.app import app
    from infra.security import hash_password

    codes = build_campaign(campaign_code)
    secret = hash_password("a-long-password")
    with session_scope() as session:
        unit_id = dict(session.execute(select(Unit.code, Unit.id).where(Unit.code.in_(list(codes.values())))).all())
        for name, role, unit in (("xa", Role.COUNTY_OFFICE, "XA"), ("c1", Role.CITY_OFFICE, "C1"),
                                 ("p", Role.PROVINCE_AUDITOR, "P"), ("s1", Role.SCHOOL_ADMIN, "S1"),
                                 ("xb", Role.COUNTY_OFFICE, "XB"), ("t", Role.TEACHER, "S1")):
            session.add(Person(username=f"{campaign_code}-{name}", name=name, role=role,
                               unit_id=unit_id[codes[unit]], password_hash=secret))
    http = TestClient(app)

    def read(who: str, **params):
        token = http.post("/auth/token", data={"username": f"{campaign_code}-{who}", "password": "a-long-password"})
        return http.get(f"/campaigns/{campaign_code}/summary", params=params,
                        headers={"Authorization": f"Bearer {token.json()['access_token']}"})

    def counts(row: dict) -> tuple:
        return tuple(row[k] for k in ("teachers", "passed", "hours_passed", "assessment_passed", "practice_done"))

    def reports(who: str):
        token = http.post("/auth/token", data={"username": f"{campaign_code}-{who}", "password": "a-long-password"})
        return http.get(f"/campaigns/{campaign_code}/closeout/reports",
                        headers={"Authorization": f"Bearer {token.json()['access_token']}"})

    assert reports("p").status_code == 404  # not closed yet: no reports
    live = read("xa").json()
    assert live["final"] is False and live["closed_at"] is None  # before the closeout: the figures so far
    assert [(r["code"], counts(r)) for r in live["rows"]] == [(codes[s], EXPECTED[s]) for s in ("XA", "S1", "S2")]
    assert live["rows"][1]["pass_rate"] == 0.5 and live["rows"][1]["parent"] == codes["XA"]

    run_closeout(campaign_code)
    final = read("c1").json()
    assert final["final"] is True and final["closed_at"] is not None
    assert [r["code"] for r in final["rows"]] == [codes[s] for s in ("C1", "XA", "S1", "S2", "XB", "S3")]
    assert [counts(r) for r in final["rows"]] == [EXPECTED[s] for s in ("C1", "XA", "S1", "S2", "XB", "S3")]
    assert len(read("p").json()["rows"]) == 10 and [r["code"] for r in read("s1").json()["rows"]] == [codes["S1"]]
    assert [r["code"] for r in read("xb").json()["rows"]] == [codes["XB"], codes["S3"]]
    as_csv = read("xa", format="csv")
    assert as_csv.status_code == 200 and as_csv.headers["content-type"].startswith("text/csv")
    assert "filename*=UTF-8''" in as_csv.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    assert rows[0] == list(CSV_HEADERS) and [r[1] for r in rows[1:]] == [codes["XA"], codes["S1"], codes["S2"]]
    assert rows[2][4:] == ["4", "2", "50.00%", "3", "75.00%", "3", "75.00%", "4", "100.00%"]
    links = reports("p").json()
    assert [link["name"] for link in links] == ["summary.xlsx", "summary.csv"]
    _, xlsx, csv_data = read_store(campaign_code)
    for link, data, kind in zip(links, (xlsx, csv_data), ("spreadsheetml", "text/csv"), strict=True):
        got = http.get(link["url"])  # the local store's link, served by the API
        assert got.status_code == 200 and got.content == data and kind in got.headers["content-type"]
        assert link["size"] == len(data)
    assert reports("c1").status_code == 403 and reports("t").status_code == 403
    teacher = read("t")
    assert teacher.status_code == 403 and teacher.headers["content-type"] == "application/problem+json"
    assert read("xa", format="xml").status_code == 422
