"""The `tisheng` command as a newcomer runs it: a fresh data directory and nothing else.

The demo starts its own ephemeral Prefect server, as a newcomer's does; the commands after it share the session's
Prefect API (PREFECT_API_URL), which saves each flow-running command the ~18 s of starting one."""
import json
import os
import subprocess
import sys

import pytest

from models.calendar import CAMPAIGN_TZ
from models.enums import SchoolState


def tisheng(*args: str, data_dir, timeout: int = 300, env: dict[str, str] | None = None,
            prefect_url: str | None = None) -> subprocess.CompletedProcess:
    """Run `tisheng ARGS` with only TISHENG_DATA_DIR (and `env`) set; with `prefect_url`, against that Prefect API."""
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("TISHENG_", "PREFECT_"))}, **(env or {})}
    env["TISHENG_DATA_DIR"] = str(data_dir)
    if prefect_url:
        env["PREFECT_API_URL"] = prefect_url
    return subprocess.run([sys.executable, "-m", "tisheng_cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fresh")
    done = tisheng("demo", "--schools", "2", "--teachers", "3", "--seed", "7", "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)


@pytest.fixture(scope="module")
def prefect_url(prefect_harness) -> str:
    """The session's Prefect API, for commands that run flows."""
    from prefect.settings import PREFECT_API_URL

    return PREFECT_API_URL.value()


def test_demo_json_lists_every_school_with_its_transitions(demo_json):
    _, document = demo_json
    assert list(document) == ["schools"]
    assert [s["code"] for s in document["schools"]] == ["DEMO-X1-S001", "DEMO-X1-S002"]
    for school in document["schools"]:
        assert school["final_state"] == SchoolState.CERTIFIED
        steps = school["transitions"]
        assert steps[0]["from"] == SchoolState.PLAN_DRAFTING and steps[-1]["to"] == SchoolState.CERTIFIED
        assert all(a["to"] == b["from"] for a, b in zip(steps, steps[1:]))
        assert all(len(step["flow_run"]) == 36 for step in steps)


def test_data_stays_under_the_data_directory(demo_json):
    data_dir, _ = demo_json
    assert (data_dir / "tisheng.db").is_file() and (data_dir / "prefect").is_dir()


def test_audit_verify_reports_the_chain(demo_json, prefect_url):
    data_dir, _ = demo_json
    done = tisheng("audit", "verify", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and done.stdout.startswith("audit chain OK:")


def test_unknown_preset_is_a_one_line_error(tmp_path):
    done = tisheng("demo", "--preset", "atlantis-2030", data_dir=tmp_path)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "unknown policy preset 'atlantis-2030'" in done.stderr


def test_bad_database_url_is_a_one_line_error(tmp_path):
    env_done = subprocess.run(
        [sys.executable, "-m", "tisheng_cli.main", "migrate"], capture_output=True, text=True, timeout=120,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("TISHENG_")},
             "TISHENG_DATA_DIR": str(tmp_path), "TISHENG_DATABASE_URL": "mysql://nope"},
    )
    assert env_done.returncode == 2 and "TISHENG_DATABASE_URL: must be a sqlite:// or postgresql:// URL" in env_done.stderr
    assert env_done.stderr.strip().count("\n") == 0


def test_an_unreachable_database_is_a_one_line_error(tmp_path):
    from tests.faults.conftest import free_port

    url = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/nowhere"
    done = tisheng("migrate", data_dir=tmp_path, env={"TISHENG_DATABASE_URL": url}, timeout=120)
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith("error: the database cannot be reached: connection failed")
    assert done.stderr.strip().count("\n") == 0


def test_policy_check_lists_every_problem_with_its_path(tmp_path):
    bad = tmp_path / "policy.yaml"
    bad.write_text("name: x\nhours: {online_min: -1, practice_min: 25, total_min: 50}\nspot_check_ratio: 3\n")
    done = tisheng("policy", "check", str(bad), data_dir=tmp_path)
    assert done.returncode == 1
    assert "hours.online_min:" in done.stderr and "spot_check_ratio:" in done.stderr and "choices:" in done.stderr


def test_a_shown_preset_checks_valid(tmp_path):
    shown = tisheng("policy", "show", "beijing-2021", data_dir=tmp_path)
    assert shown.returncode == 0 and "scheme: beijing" in shown.stdout
    (tmp_path / "b.yaml").write_text(shown.stdout, encoding="utf-8")
    checked = tisheng("policy", "check", str(tmp_path / "b.yaml"), data_dir=tmp_path)
    assert checked.returncode == 0 and "valid policy 'beijing-2021'" in checked.stdout


def test_hour_import_is_all_or_nothing(demo_json, prefect_url, tmp_path):
    data_dir, _ = demo_json
    header = "teacher,course,minutes_watched,course_minutes,kind\n"
    bad = tmp_path / "bad.csv"
    bad.write_text(header + "DEMO-X1-S001-t001,补充,60,60,online\nnobody,补充,60,60,online\n", encoding="utf-8")
    done = tisheng("hours", "import", str(bad), "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 1 and done.stderr.strip() == "line 3: teacher 'nobody' is not enrolled in this campaign"
    good = tmp_path / "good.csv"
    good.write_text(header + "DEMO-X1-S001-t001,补充,60,60,online\n", encoding="utf-8")
    done = tisheng("hours", "import", str(good), "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and "imported 1 records, 1 teachers" in done.stdout


def test_catalog_import_refuses_a_malformed_file_line_by_line(demo_json, prefect_url, tmp_path):
    data_dir, _ = demo_json
    bad = tmp_path / "catalog.csv"
    bad.write_text("code,name,environment,dimension,evidence_items,confirmed\nA1,名,A,学情分析,方案,yes\n"
                   "A2,名,Q,学情分析,方案,no\nA3,名,A,其他,方案,no\n", encoding="utf-8")
    done = tisheng("catalog", "import", str(bad), "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 1 and "line 3: environment 'Q'" in done.stderr and "line 4: dimension '其他'" in done.stderr


def test_user_import_is_all_or_nothing(demo_json, prefect_url, tmp_path):
    data_dir, _ = demo_json
    roster = tmp_path / "roster.csv"
    roster.write_text("username,name,role,unit_code,password\nzhang,张,county_expert,DEMO-C1-X1,longpassword1\n"
                      "li,李,teacher,DEMO-C1-X1,longpassword2\n", encoding="utf-8")
    done = tisheng("users", "import", str(roster), data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 1 and "line 3: role teacher belongs to a school, 'DEMO-C1-X1' is a county" in done.stderr
    roster.write_text("username,name,role,unit_code,password\nzhang,张,county_expert,DEMO-C1-X1,longpassword1\n",
                      encoding="utf-8")
    done = tisheng("users", "import", str(roster), data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and "imported 1 users, 1 created" in done.stdout


def test_service_tokens_are_created_listed_used_and_revoked(demo_json, prefect_url, monkeypatch):
    from fastapi.testclient import TestClient

    from api.app import app
    from infra.settings import get_settings

    data_dir, _ = demo_json
    done = tisheng("tokens", "create", "grading-sync", "--role", "county_office", "--unit", "DEMO-C1-X1",
                   "--days", "90", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and "not shown again" in done.stderr
    token = done.stdout.strip()
    assert token.startswith("tsk_") and "\n" not in token
    listed = tisheng("tokens", "list", data_dir=data_dir, prefect_url=prefect_url)
    line = next(x for x in listed.stdout.splitlines() if x.startswith("grading-sync "))
    assert line.split()[1:4] == ["county_office", "DEMO-C1-X1", "active"] and token not in listed.stdout

    monkeypatch.setenv("TISHENG_DATABASE_URL", f"sqlite:///{data_dir / 'tisheng.db'}")
    get_settings.cache_clear()
    try:
        http, bearer = TestClient(app), {"Authorization": f"Bearer {token}"}
        assert http.get("/auth/me", headers=bearer).json()["username"] == "grading-sync"
        assert tisheng("tokens", "revoke", "grading-sync", data_dir=data_dir, prefect_url=prefect_url).stdout.strip() == \
            "revoked service token 'grading-sync'"
        assert http.get("/auth/me", headers=bearer).status_code == 401
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    listed = tisheng("tokens", "list", data_dir=data_dir, prefect_url=prefect_url)
    assert next(x for x in listed.stdout.splitlines() if x.startswith("grading-sync ")).split()[3] == "revoked"


@pytest.mark.parametrize("args,message", [
    (("grading-sync2", "--role", "county_office", "--unit", "NOWHERE"), "unit 'NOWHERE' does not exist"),
    (("grading-sync2", "--role", "dean", "--unit", "DEMO-C1-X1"), "role 'dean' is not one of teacher,"),
    (("demo-county-office", "--role", "county_office", "--unit", "DEMO-C1-X1"),
     "the name 'demo-county-office' is taken"),
])
def test_bad_token_requests_are_one_line_errors(demo_json, prefect_url, args, message):
    data_dir, _ = demo_json
    done = tisheng("tokens", "create", *args, data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0 and message in done.stderr
    assert done.stdout == ""


def test_revoking_an_unknown_token_is_a_one_line_error(demo_json, prefect_url):
    data_dir, _ = demo_json
    done = tisheng("tokens", "revoke", "no-such-token", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 2 and done.stderr.strip() == "error: no service token is named 'no-such-token'"


def test_evidence_commands_check_a_demo_campaign_and_refuse_bad_input(demo_json, prefect_url):
    data_dir, _ = demo_json
    done = tisheng("evidence", "verify", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and done.stdout.startswith("evidence OK"), done.stderr
    assert done.stderr == ""  # no bar when stderr is not a terminal
    done = tisheng("evidence", "verify", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url, env={"TTY_COMPATIBLE": "1"})
    assert done.returncode == 0 and "versions checked" in done.stderr
    done = tisheng("evidence", "lock", "DEMO-X1-S001", "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stdout.strip()) == (0, "DEMO-X1-S001: every evidence version held")
    done = tisheng("evidence", "verify", "no-such-campaign", data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stderr.strip()) == (2, "error: campaign 'no-such-campaign' does not exist")
    done = tisheng("evidence", "lock", "DEMO-X1-S001", "--campaign", "no-such-campaign", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    done = tisheng("evidence", "sweep", "--campaign", "no-such-campaign", data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stderr.strip()) == (2, "error: campaign 'no-such-campaign' does not exist")
    done = tisheng("evidence", "sweep", "--campaign", "demo-yanzhou-2022-s7", "--dry-run", data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stdout) == (0, "evidence sweep: would remove 0 unowned version(s) and 0 leftover(s); "
                                                 "0 held or retained unowned version(s) reported\n"), done.stderr


@pytest.fixture
def in_data_dir(demo_json, monkeypatch):
    """This process pointed at the demo's database, to add fixture data the commands then read."""
    from infra.settings import get_settings

    data_dir, _ = demo_json
    monkeypatch.setenv("TISHENG_DATABASE_URL", f"sqlite:///{data_dir / 'tisheng.db'}")
    get_settings.cache_clear()
    yield data_dir
    monkeypatch.undo()
    get_settings.cache_clear()


def test_remind_sends_each_digest_once_and_prints_a_line_per_channel(in_data_dir, prefect_url, campaign_code):
    from tests.integration.reminder_fixtures import create_reminder_campaign, smtp_server

    fx = create_reminder_campaign(campaign_code)
    controller, sink = smtp_server()
    mail = {"TISHENG_SMTP_URL": f"smtp://127.0.0.1:{controller.port}", "TISHENG_MAIL_FROM": "r@tisheng.example.cn"}
    try:
        first = tisheng("remind", "--campaign", fx.code, data_dir=in_data_dir, prefect_url=prefect_url, env=mail)
        again = tisheng("remind", "--campaign", fx.code, data_dir=in_data_dir, prefect_url=prefect_url, env={**mail, "TTY_COMPATIBLE": "1"})
    finally:
        controller.stop()
    assert first.returncode == 0 and first.stderr == "", first.stderr
    day = fx.now.astimezone(CAMPAIGN_TZ).date()
    assert first.stdout.splitlines() == [
        f"daily reminders {day}: 7 digest(s), 2 with escalations",
        "  email    6 sent, 0 failed, 0 already sent; 1 recipient(s) without an e-mail address",
        "  webhook  skipped: TISHENG_WEBHOOK_URL is not set",
        "  in_app   7 sent, 0 failed, 0 already sent"]
    assert len(sink.messages) == 6
    assert again.returncode == 0 and again.stdout.splitlines()[1:] == [
        "  email    0 sent, 0 failed, 6 already sent; 1 recipient(s) without an e-mail address",
        "  webhook  skipped: TISHENG_WEBHOOK_URL is not set",
        "  in_app   0 sent, 0 failed, 7 already sent"]
    assert "in_app" in again.stderr and "7/7" in again.stderr  # on a terminal: a bar per channel


def test_progress_prints_the_county_table_it_publishes(demo_json, prefect_url):
    data_dir, _ = demo_json
    done = tisheng("progress", "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    row = next(line for line in done.stdout.splitlines() if "DEMO-C1-X1" in line)
    assert [cell.strip() for cell in row.split("│")[2:-1]] == ["2", "2", "0"]  # schools, certified, overdue tasks
    assert "certified" in done.stdout and "plan drafting" not in done.stdout  # only stages some school is in
    assert done.stdout.splitlines()[-1] == \
        "published as artifact progress-demo-yanzhou-2022-s7 (Prefect UI, Artifacts)"


@pytest.mark.parametrize("args,message", [
    (("remind", "--campaign", "no-such-campaign"), "error: campaign 'no-such-campaign' does not exist"),
    (("progress", "--campaign", "no-such-campaign"), "error: campaign 'no-such-campaign' does not exist"),
    (("remind", "--day", "2022-02-30"), "error: --day '2022-02-30' is not a date (YYYY-MM-DD)"),
])
def test_scheduled_runs_refuse_bad_input_in_one_line(demo_json, prefect_url, args, message):
    data_dir, _ = demo_json
    done = tisheng(*args, data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stderr.strip(), done.stdout) == (2, message, "")


def test_imports_draw_a_progress_bar_only_on_a_terminal(demo_json, prefect_url, tmp_path):
    data_dir, _ = demo_json
    roster = tmp_path / "roster.csv"
    roster.write_text("username,name,role,unit_code,password\n" + "".join(
        f"bar-{i},专家{i},county_expert,DEMO-C1-X1,longpassword{i}\n" for i in range(3)), encoding="utf-8")
    hours = tmp_path / "hours.csv"
    hours.write_text("teacher,course,minutes_watched,course_minutes,kind\n" + "".join(
        f"DEMO-X1-S00{s}-t00{t},补充,60,60,online\n" for s in (1, 2) for t in (1, 2, 3)), encoding="utf-8")
    terminal = {"TTY_COMPATIBLE": "1"}
    done = tisheng("users", "import", str(roster), data_dir=data_dir, prefect_url=prefect_url, env=terminal)
    assert done.returncode == 0 and done.stdout.strip() == f"{roster}: imported 3 users, 3 created"
    assert "users" in done.stderr and "3/3" in done.stderr
    done = tisheng("hours", "import", str(hours), "--campaign", "demo-yanzhou-2022-s7", data_dir=data_dir, prefect_url=prefect_url, env=terminal)
    assert done.returncode == 0 and done.stdout.strip() == f"{hours}: imported 6 records, 6 teachers"
    assert "hour records stored" in done.stderr and "teachers' hours recomputed" in done.stderr
    done = tisheng("users", "import", str(roster), data_dir=data_dir, prefect_url=prefect_url)
    assert (done.returncode, done.stderr) == (0, "")  # not a terminal: no bar at all
