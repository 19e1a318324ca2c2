"""The `tisheng` command as a newcomer runs it: a fresh data directory and nothing else."""
import json
import os
import subprocess
import sys

import pytest

from models.enums import SchoolState


def tisheng(*args: str, data_dir, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TISHENG_", "PREFECT_"))}
    env["TISHENG_DATA_DIR"] = str(data_dir)
    return subprocess.run([sys.executable, "-m", "tisheng_cli.main", *args], env=env, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def demo_json(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("fresh")
    done = tisheng("demo", "--schools", "2", "--teachers", "3", "--seed", "7", "--json", data_dir=data_dir)
    assert done.returncode == 0, done.stderr
    return data_dir, json.loads(done.stdout)


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


def test_audit_verify_reports_the_chain(demo_json):
    data_dir, _ = demo_json
    done = tisheng("audit", "verify", data_dir=data_dir)
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
