"""Shared fixtures of the fault-injection suite: real processes (API, dispatcher), real databases, a real Prefect."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
import pytest
from prefect.settings import PREFECT_API_URL
from prefect.testing.utilities import prefect_test_harness

from flows.demo import file_plan_documents, set_up_demo_campaign
from flows.transition import apply_school_transitions
from infra.db import engine_for, migrate
from infra.prefect_env import fast_flow_runs
from infra.settings import get_settings
from models.catalog import load_catalog
from models.enums import SchoolEvent
from models.simulation import DemoScript
from models.transition import TransitionRequest
from tasks.demo_setup import DEMO_PASSWORD

PG_ADMIN_DSN = os.environ.get("TISHENG_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
PG_BIN = Path(os.environ.get("TISHENG_TEST_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parents[2]


def wait_until(condition: Callable[[], object], seconds: float, what: str, every: float = 0.05) -> object:
    """Poll until condition() is truthy and return it; fail naming `what` after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f} s waiting for {what}")


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _use_database(url: str) -> None:
    os.environ["TISHENG_DATABASE_URL"] = url
    get_settings.cache_clear()
    migrate(url)


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A real Prefect API for the session; its URL is handed to the dispatcher processes."""
    with prefect_test_harness(server_startup_timeout=120), fast_flow_runs():
        yield PREFECT_API_URL.value()


@pytest.fixture
def fault_env(tmp_path) -> Iterator[Path]:
    """A data directory of the test's own; TISHENG_* restored afterwards."""
    saved = {k: v for k, v in os.environ.items() if k.startswith("TISHENG_")}
    os.environ["TISHENG_DATA_DIR"] = str(tmp_path / "data")
    get_settings.cache_clear()
    yield tmp_path
    for key in [k for k in os.environ if k.startswith("TISHENG_")]:
        os.environ.pop(key)
    os.environ.update(saved)
    get_settings.cache_clear()


@pytest.fixture
def shared_pg_database(fault_env) -> Iterator[str]:
    """A migrated database of its own on the shared PostgreSQL (for faults that leave the server running)."""
    name = f"tisheng_fault_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = PG_ADMIN_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+psycopg://", 1) + f"/{name}"
    _use_database(url)
    yield url
    engine_for(url).dispose()
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class PgCluster:
    """A PostgreSQL cluster of the test's own (initdb in a temporary directory), which the test may stop."""

    directory: Path
    port: int

    @property
    def url(self) -> str:
        """The SQLAlchemy URL of its `tisheng` database."""
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/tisheng"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "pg_ctl"), "-D", str(self.directory / "data"),
                        *args], check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        self._pg_ctl("-o", f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1", "-l",
                     str(self.directory / "server.log"), "-w", "start")
        engine_for(self.url).dispose()  # the test's own pooled connections died with the old server

    def stop(self, mode: str = "fast") -> None:
        """Stop the server (fast: cut every session, roll back what is open)."""
        self._pg_ctl("-m", mode, "-w", "stop")


@pytest.fixture
def own_pg_cluster(fault_env) -> Iterator[PgCluster]:
    """A fresh cluster on a free port, its `tisheng` database migrated; removed afterwards."""
    directory = Path(tempfile.mkdtemp(prefix="tisheng-fault-pg-"))
    shutil.chown(directory, "postgres", "postgres")
    subprocess.run(["runuser", "-u", "postgres", "--", str(PG_BIN / "initdb"), "-D", str(directory / "data"),
                    "-A", "trust", "-U", "postgres"], check=True, capture_output=True, timeout=120)
    cluster = PgCluster(directory, free_port())
    cluster.start()
    with psycopg.connect(f"postgresql://postgres@127.0.0.1:{cluster.port}/postgres", autocommit=True) as conn:
        conn.execute("CREATE DATABASE tisheng")
    _use_database(cluster.url)
    try:
        yield cluster
    finally:
        engine_for(cluster.url).dispose()
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(directory, ignore_errors=True)


@dataclass
class Services:
    """The API (uvicorn) and the dispatcher (`tisheng dispatch`) as real child processes of the test."""

    workdir: Path
    prefect_url: str
    api_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)

    @property
    def api_url(self) -> str:
        """Base URL of the API."""
        return f"http://127.0.0.1:{self.api_port}"

    def _start(self, name: str, args: list[str], extra: dict[str, str]) -> subprocess.Popen:
        env = {**os.environ, "PREFECT_API_URL": self.prefect_url, "PREFECT_LOGGING_LEVEL": "WARNING", **extra}
        log = open(self.workdir / f"{name}.log", "ab")
        process = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        self.processes.append(process)
        return process

    def launch_api(self, **extra: str) -> subprocess.Popen:
        """Start one uvicorn process of the API (it boots while the test goes on; see wait_for_api)."""
        return self._start("api", ["-m", "uvicorn", "api.app:app", "--host", "127.0.0.1", "--port",
                                   str(self.api_port), "--log-level", "warning"], extra)

    def wait_for_api(self, process: subprocess.Popen) -> subprocess.Popen:
        """Wait until the API process answers /health."""
        def healthy() -> bool:
            assert process.poll() is None, f"the API exited with {process.returncode}: {self.log('api')}"
            try:
                return httpx.get(f"{self.api_url}/health", timeout=1).status_code == 200
            except httpx.TransportError:
                return False
        wait_until(healthy, 90, "the API to answer /health", every=0.1)
        return process

    def start_api(self, **extra: str) -> subprocess.Popen:
        """Start the API and wait until it answers."""
        return self.wait_for_api(self.launch_api(**extra))

    def start_dispatcher(self, wait: bool = True) -> subprocess.Popen:
        """Start `tisheng dispatch` polling every 0.1 s; with `wait`, return once it polls (past its start-up)."""
        process = self._start("dispatcher", ["-m", "tisheng_cli.main", "dispatch", "--interval", "0.1"], {})
        if wait:
            def polling() -> bool:
                assert process.poll() is None, f"the dispatcher exited: {self.log('dispatcher')}"
                return "dispatch: polling the outbox" in self.log("dispatcher")
            wait_until(polling, 120, "the dispatcher to start polling", every=0.2)
        return process

    def log(self, name: str) -> str:
        """The tail of a process's output."""
        path = self.workdir / f"{name}.log"
        return path.read_text(errors="replace")[-4000:] if path.exists() else ""

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the process and reap it."""
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        """Kill whatever is still running."""
        for process in self.processes:
            if process.poll() is None:
                self.kill(process)


@pytest.fixture
def services(fault_env, prefect_api) -> Iterator[Services]:
    """Starts API and dispatcher processes on demand; kills the survivors afterwards."""
    running = Services(fault_env, prefect_api)
    yield running
    running.stop_all()


def submitted_campaign(code: str, schools: int) -> list[str]:
    """A campaign of `schools` schools (one teacher each) that have all submitted their plans: one plan_review
    task each, open for the county office. Returns the school codes."""
    roster = set_up_demo_campaign(code, "yanzhou-2022", schools=schools, teachers=1)
    script, catalog = DemoScript(1, roster.schools), {e.code: e for e in load_catalog()}
    outcomes = apply_school_transitions([TransitionRequest(
        campaign=code, county=roster.county, school=school, event=SchoolEvent.SUBMIT_PLAN, actor=f"{school}-admin",
        payload={"plan": script.plan(school, file_plan_documents(roster.campaign, school, script), catalog)}) for school in roster.schools], label="fault set-up")
    assert all(not isinstance(o, str) for o in outcomes), outcomes
    return list(roster.schools)


def login(api_url: str, username: str = "demo-county-office") -> dict[str, str]:
    """Bearer headers of a demo account."""
    answer = httpx.post(f"{api_url}/auth/token", data={"username": username, "password": DEMO_PASSWORD}, timeout=30)
    answer.raise_for_status()
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def open_plan_reviews(api_url: str, headers: dict[str, str], campaign: str) -> list[dict]:
    """Every open plan_review task of the campaign, as the inbox lists them."""
    page = httpx.get(f"{api_url}/tasks", params={"campaign": campaign, "kind": "plan_review", "page_size": 200},
                     headers=headers, timeout=30).json()
    return page["items"]


@pytest.fixture
def campaign_code() -> str:
    """A campaign code no other test uses."""
    return f"f-{uuid.uuid4().hex[:10]}"
