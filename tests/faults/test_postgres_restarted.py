"""Fault: the PostgreSQL server is stopped and started again under a load of completions."""
import threading
import time

import httpx
import pytest
from sqlalchemy import func, select

from infra.db import session_scope
from models.outbox import OutboxEntry, OutboxStatus
from tests.faults.conftest import login, open_plan_reviews, submitted_campaign, wait_until
from tests.faults.invariants import assert_settled

pytestmark = pytest.mark.faults
SCHOOLS, CLIENTS, OUTAGE_503S = 20, 4, 6
FILE = {"kind": "plan_review", "outcome": "file"}


class Load:
    """Reviewers completing tasks, each repeating a completion with its Idempotency-Key until it is accepted."""

    def __init__(self, api_url: str, headers: dict[str, str], tasks: list[dict]):
        self.api_url, self.headers, self.tasks = api_url, headers, tasks
        self.accepted: dict[int, int] = {}          # task -> decision id
        self.answers: list[tuple[int, str, str | None, float]] = []  # status, content type, Retry-After, seconds
        self.failures: list[str] = []
        self.outage = threading.Event()
        self.lock = threading.Lock()

    def client(self, mine: list[dict]) -> None:
        """Complete `mine`: the first half at once, the second half only once the outage has begun."""
        with httpx.Client(base_url=self.api_url, timeout=20) as http:
            for n, task in enumerate(mine):
                if n == len(mine) // 2:
                    self.outage.wait(30)
                self.complete(http, task)

    def complete(self, http: httpx.Client, task: dict) -> None:
        headers = {**self.headers, "Idempotency-Key": f"file-{task['id']}"}
        deadline = time.monotonic() + 100
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                answer = http.post(f"/tasks/{task['id']}/complete", json=FILE, headers=headers)
            except httpx.TransportError as exc:     # the API itself stays up: no request may hang or drop
                with self.lock:
                    self.failures.append(f"task {task['id']}: {type(exc).__name__}: {exc}")
                return
            with self.lock:
                self.answers.append((answer.status_code, answer.headers.get("content-type", ""),
                                     answer.headers.get("retry-after"), time.monotonic() - start))
            if answer.status_code == 202:
                with self.lock:
                    self.accepted[task["id"]] = answer.json()["id"]
                return
            if answer.status_code != 503 and not _claim_held(answer):
                with self.lock:
                    self.failures.append(f"task {task['id']}: {answer.status_code} {answer.text[:300]}")
                return
            time.sleep(min(float(answer.headers.get("retry-after", "1")), 1.0))
        self.failures.append(f"task {task['id']}: not accepted within 100 s")

    def count(self, status: int) -> int:
        """Answers seen with this status."""
        with self.lock:
            return sum(1 for a in self.answers if a[0] == status)


def _claim_held(answer: httpx.Response) -> bool:
    """409 for a key whose claim a request cut off by the outage could not give back: retry after Retry-After."""
    return (answer.status_code == 409 and answer.headers.get("retry-after") is not None
            and answer.json().get("title") == "Idempotency-Key in progress")


def pending(campaign: str) -> int:
    """Outbox entries of the campaign still pending."""
    with session_scope() as session:
        return session.scalar(select(func.count()).select_from(OutboxEntry).where(
            OutboxEntry.campaign == campaign, OutboxEntry.status == OutboxStatus.PENDING))


def test_postgres_restart_under_load_answers_503_then_applies_every_decision_once(own_pg_cluster, services,
                                                                                 campaign_code):
    api = services.launch_api()
    submitted_campaign(campaign_code, SCHOOLS)
    services.wait_for_api(api)
    dispatcher = services.start_dispatcher()       # past its start-up: the outage hits a polling dispatcher
    office = login(services.api_url)
    tasks = open_plan_reviews(services.api_url, office, campaign_code)
    assert len(tasks) == SCHOOLS
    load = Load(services.api_url, office, tasks)
    clients = [threading.Thread(target=load.client, args=(tasks[i::CLIENTS],)) for i in range(CLIENTS)]
    for thread in clients:
        thread.start()

    wait_until(lambda: len(load.accepted) >= CLIENTS, 60, "the first completions")
    own_pg_cluster.stop("fast")                    # mid-load: requests in flight lose their connections
    load.outage.set()
    wait_until(lambda: load.count(503) >= OUTAGE_503S or load.failures, 60, "503 answers during the outage")
    assert not load.failures, load.failures     # e.g. a 500 instead of a 503
    own_pg_cluster.start()
    for thread in clients:
        thread.join(150)
    assert not any(t.is_alive() for t in clients)

    assert not load.failures, load.failures
    assert {202, 503} <= {status for status, *_ in load.answers} <= {202, 503, 409}
    for status, content_type, retry_after, seconds in load.answers:
        assert seconds < 15, f"an answer took {seconds:.1f} s"
        if status == 503:
            assert content_type == "application/problem+json" and retry_after == "1"
    assert len(load.accepted) == SCHOOLS
    wait_until(lambda: pending(campaign_code) == 0, 120, "the dispatcher to drain the outbox after the outage")
    assert dispatcher.poll() is None, "the dispatcher died in the outage"
    assert_settled(campaign_code, load.accepted.values())


def test_a_dispatcher_started_while_postgres_is_down_waits_for_it_then_drains_the_outbox(own_pg_cluster, services,
                                                                                          campaign_code):
    api = services.launch_api()
    submitted_campaign(campaign_code, 3)
    services.wait_for_api(api)
    office = login(services.api_url)
    accepted = []
    for task in open_plan_reviews(services.api_url, office, campaign_code):
        answer = httpx.post(f"{services.api_url}/tasks/{task['id']}/complete", json=FILE, timeout=30,
                            headers={**office, "Idempotency-Key": f"file-{task['id']}"})
        assert answer.status_code == 202, answer.text
        accepted.append(answer.json()["id"])
    own_pg_cluster.stop("fast")

    dispatcher = services.start_dispatcher(wait=False)
    wait_until(lambda: services.log("dispatcher").count("the database cannot be reached") >= 2, 120,
               "the dispatcher to report the unreachable database, and retry", every=0.2)
    assert dispatcher.poll() is None, services.log("dispatcher")
    own_pg_cluster.start()
    wait_until(lambda: pending(campaign_code) == 0, 120, "the dispatcher to drain the outbox once the database is up")
    assert "Traceback" not in services.log("dispatcher")
    assert_settled(campaign_code, accepted)
