"""The daily reminder run end to end: one digest per person over real SMTP, a real webhook and in-app rows;
escalations to the office above; nothing sent twice; a failing channel recorded and never blocking the others;
failures retried by later runs up to a limit; a claim left by a dead run taken over after its lease."""
import threading
from collections import Counter
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from api.app import app
from flows.reminders import daily_reminders
from infra import reminders as store
from infra.db import session_scope
from infra.settings import get_settings
from models.campaign import Campaign
from models.clock import utcnow
from models.org import Person
from models.reminders import (
    MAX_ATTEMPTS, SENDING_LEASE, Channel, ClaimVerdict, DeliveryStatus, Digest, Notification, Recipient,
    ReminderDelivery,
)
from tests.integration.reminder_fixtures import (
    PASSWORD, create_reminder_campaign, free_port, smtp_server, webhook_server,
)

WITH_EMAIL = {"office", "expert", "city-office", "s1-leader-a", "s1-leader-b", "s1-admin"}
EVERYONE = WITH_EMAIL | {"s2-admin"}


@pytest.fixture
def channels(monkeypatch):
    """A real SMTP server and a real webhook receiver, wired in through the settings."""
    controller, sink = smtp_server()
    server, posted = webhook_server()
    monkeypatch.setenv("TISHENG_SMTP_URL", f"smtp://127.0.0.1:{controller.port}")
    monkeypatch.setenv("TISHENG_MAIL_FROM", "reminders@tisheng.example.cn")
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", f"http://127.0.0.1:{server.server_address[1]}/hook")
    get_settings.cache_clear()
    yield sink, posted
    controller.stop()
    server.shutdown()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def fixture_campaign(database, prefect_harness, campaign_code):
    return create_reminder_campaign(campaign_code)


def ledger(code):
    with session_scope() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == code))
        return session.scalars(select(ReminderDelivery).where(ReminderDelivery.campaign_id == campaign_id)).all()


def notifications(code):
    with session_scope() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == code))
        return session.scalars(select(Notification).where(Notification.campaign_id == campaign_id)).all()


def items_of(payload):
    return {(item["task_id"], item["urgency"]) for item in payload["items"]}


def test_one_digest_per_person_with_escalations_sent_once(fixture_campaign, channels):
    sink, posted = channels
    fx = fixture_campaign
    report = daily_reminders(fx.code, as_of=fx.now)
    assert report.digests == 7 and report.failures == []
    assert report.escalations == 2  # the county office (school's task) and the city office (county's task)

    mailed = Counter(rcpt for rcpts, _ in sink.messages for rcpt in rcpts)
    assert mailed == {f"{name}@{fx.code}.example.cn": 1 for name in WITH_EMAIL}  # one message per person
    assert all(len(rcpts) == 1 for rcpts, _ in sink.messages)
    office_mail = next(m for r, m in sink.messages if r == [f"office@{fx.code}.example.cn"])
    assert office_mail["From"] == "reminders@tisheng.example.cn"
    assert office_mail["Subject"].startswith(f"【提升工程2.0】{fx.code} ")
    assert "逾期 1 项，下级逾期 1 项" in office_mail["Subject"]
    assert f"#{fx.tasks['escalated-school']}" in office_mail.get_content()

    by_user = {p["recipient"]["username"]: p for p in posted}
    assert len(posted) == 7 and set(by_user) == {fx.user(n) for n in EVERYONE}
    t = fx.tasks
    assert items_of(by_user[fx.user("s1-leader-a")]) == {(t["soon"], "due_soon")}  # unclaimed: every leader
    assert items_of(by_user[fx.user("s1-leader-b")]) == {(t["soon"], "due_soon")}
    assert items_of(by_user[fx.user("s1-admin")]) == {(t["at-deadline"], "due_soon")}  # due now: not yet overdue
    assert items_of(by_user[fx.user("s2-admin")]) == {(t["escalated-school"], "overdue")}
    assert items_of(by_user[fx.user("office")]) == {(t["overdue"], "overdue"), (t["escalated-school"], "escalated")}
    assert items_of(by_user[fx.user("expert")]) == {(t["escalated-county"], "overdue")}  # claimed: the claimer only
    assert items_of(by_user[fx.user("city-office")]) == {(t["escalated-county"], "escalated")}

    rows = ledger(fx.code)
    assert Counter((r.channel, r.status) for r in rows) == {
        ("email", "sent"): 6, ("webhook", "sent"): 7, ("in_app", "sent"): 7}
    assert len(notifications(fx.code)) == 7

    again = daily_reminders(fx.code, as_of=fx.now)
    assert again.digests == 7 and again.failures == []
    assert (len(sink.messages), len(posted), len(notifications(fx.code))) == (6, 7, 7)  # nothing sent twice
    assert {name: c["already_sent"] for name, c in again.channels.items()} == {"email": 6, "webhook": 7, "in_app": 7}
    assert len(ledger(fx.code)) == 20


def test_a_failing_webhook_is_retried_recorded_and_blocks_nothing(fixture_campaign, channels, monkeypatch):
    sink, posted = channels
    fx = fixture_campaign
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/closed")
    get_settings.cache_clear()
    report = daily_reminders(fx.code, as_of=fx.now)
    assert len(report.failures) == 1 and report.failures[0].startswith("webhook: 7 of 7 digest(s) failed")
    assert report.channels["email"]["sent"] == 6 and report.channels["in_app"]["sent"] == 7
    assert len(sink.messages) == 6 and posted == []
    webhook_rows = [r for r in ledger(fx.code) if r.channel == "webhook"]
    assert len(webhook_rows) == 7
    assert all(r.status == DeliveryStatus.FAILED and r.attempts == 3 and "Connection refused" in r.error
               for r in webhook_rows)  # the task's two retries re-tried each digest


def test_in_app_notifications_are_each_callers_own(fixture_campaign, channels):
    fx = fixture_campaign
    daily_reminders(fx.code, as_of=fx.now)
    http = TestClient(app)

    def bearer(name):
        token = http.post("/auth/token", data={"username": fx.user(name), "password": PASSWORD}).json()["access_token"]
        return {"Authorization": f"Bearer {token}"}

    office = http.get("/notifications", headers=bearer("office")).json()
    assert office["total"] == 1 and office["items"][0]["campaign"] == fx.code
    assert office["items"][0]["body"]["recipient"]["username"] == fx.user("office")
    leader = http.get("/notifications", headers=bearer("s1-leader-a")).json()
    assert leader["total"] == 1 and leader["items"][0]["id"] != office["items"][0]["id"]
    assert http.get("/notifications", headers=bearer("s1-teacher")).json()["total"] == 0

    other = http.post(f"/notifications/{office['items'][0]['id']}/read", headers=bearer("s1-leader-a"))
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    own = http.post(f"/notifications/{office['items'][0]['id']}/read", headers=bearer("office"))
    assert own.status_code == 200 and own.json()["read_at"] is not None
    assert http.get("/notifications", params={"unread": True}, headers=bearer("office")).json()["total"] == 0
    assert http.get("/notifications", params={"page_size": 0}, headers=bearer("office")).status_code == 422
    assert http.get("/notifications").status_code == 401


def set_row(row_id, **values):
    with session_scope() as session:
        session.execute(update(ReminderDelivery).where(ReminderDelivery.id == row_id).values(**values))


def test_a_failure_is_retried_by_a_later_run_until_the_attempts_run_out(fixture_campaign, channels, monkeypatch):
    _, posted = channels
    fx = fixture_campaign
    open_url = get_settings().webhook_url
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/closed")
    get_settings.cache_clear()
    for attempts in (3, 6):  # each run: the task's first try and its two retries
        report = daily_reminders(fx.code, as_of=fx.now)
        assert report.channels["webhook"]["failed"] and report.failures
        assert {(r.status, r.attempts) for r in ledger(fx.code) if r.channel == "webhook"} == {("failed", attempts)}
    assert MAX_ATTEMPTS == 6
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", open_url)  # the receiver is back, but today's tries are spent
    get_settings.cache_clear()
    report = daily_reminders(fx.code, as_of=fx.now)
    assert report.failures == [] and posted == []
    assert (report.channels["webhook"]["gave_up"], report.channels["webhook"]["sent"]) == (7, 0)
    assert report.channels["email"]["already_sent"] == 6
    assert {(r.status, r.attempts) for r in ledger(fx.code) if r.channel == "webhook"} == {("failed", 6)}


def test_a_failure_is_sent_by_the_next_run_once_the_channel_is_back(fixture_campaign, channels, monkeypatch):
    _, posted = channels
    fx = fixture_campaign
    open_url = get_settings().webhook_url
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", f"http://127.0.0.1:{free_port()}/closed")
    get_settings.cache_clear()
    assert daily_reminders(fx.code, as_of=fx.now).channels["webhook"]["failed"]
    monkeypatch.setenv("TISHENG_WEBHOOK_URL", open_url)
    get_settings.cache_clear()
    report = daily_reminders(fx.code, as_of=fx.now)
    assert report.failures == [] and report.channels["webhook"]["sent"] == 7 and len(posted) == 7
    assert {(r.status, r.attempts, r.error) for r in ledger(fx.code) if r.channel == "webhook"} == {("sent", 4, None)}


def test_a_claim_left_by_a_dead_run_is_sent_after_its_lease_and_a_fresh_one_is_not(fixture_campaign, channels):
    sink, _ = channels
    fx = fixture_campaign
    daily_reminders(fx.code, as_of=fx.now)
    mails = {r.person_id: r for r in ledger(fx.code) if r.channel == "email"}
    stale, fresh = sorted(mails.values(), key=lambda r: r.id)[:2]
    set_row(stale.id, status=DeliveryStatus.SENDING, updated_at=utcnow() - SENDING_LEASE - timedelta(seconds=1))
    set_row(fresh.id, status=DeliveryStatus.SENDING, updated_at=utcnow() - SENDING_LEASE + timedelta(minutes=1))
    sink.messages.clear()

    report = daily_reminders(fx.code, as_of=fx.now)
    email = report.channels["email"]
    assert (email["sent"], email["in_flight"], email["already_sent"]) == (1, 1, 4) and report.failures == []
    assert len(sink.messages) == 1  # the dead run's digest, sent again: at least once
    after = {r.id: r for r in ledger(fx.code)}
    assert (after[stale.id].status, after[stale.id].attempts) == (DeliveryStatus.SENT, 2)
    assert (after[fresh.id].status, after[fresh.id].attempts) == (DeliveryStatus.SENDING, 1)


def race(claim, runs=2):
    """Run claim() in threads: the first holds its transaction open until the second has started its claim."""
    results, started, taken = [None] * runs, threading.Event(), threading.Event()

    def first():
        with session_scope() as session:
            results[0] = claim(session)
            taken.set()
            started.wait(10)
            threading.Event().wait(0.5)  # the other claim reads and then waits on this transaction's lock

    def other(i):
        taken.wait(10)
        started.set()
        try:
            with session_scope() as session:
                results[i] = claim(session)
        except IntegrityError:
            results[i] = "integrity"

    threads = [threading.Thread(target=first)] + [threading.Thread(target=other, args=(i,)) for i in range(1, runs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


def test_of_two_concurrent_claims_exactly_one_wins(fixture_campaign):
    fx = fixture_campaign
    with session_scope() as session:
        campaign_id = session.scalar(select(Campaign.id).where(Campaign.code == fx.code))
        person_id = session.scalar(select(Person.id).where(Person.username == fx.user("office")))
    digest = Digest(campaign_id, fx.code, fx.now.date(), Recipient(person_id, fx.user("office"), "office", None))

    new_row = race(lambda session: store.claim_delivery(session, digest, Channel.WEBHOOK))
    assert new_row[0][1] == ClaimVerdict.CLAIM and new_row[1] == "integrity"  # the unique key refuses the second
    row_id = new_row[0][0]

    for status, age in ((DeliveryStatus.FAILED, timedelta(0)), (DeliveryStatus.SENDING, SENDING_LEASE)):
        set_row(row_id, status=status, updated_at=utcnow() - age)
        outcome = race(lambda session: store.claim_delivery(session, digest, Channel.WEBHOOK))
        assert [o[0] for o in outcome].count(row_id) == 1 and outcome[1] == (None, ClaimVerdict.IN_FLIGHT)
    assert [(r.status, r.attempts) for r in ledger(fx.code)] == [(DeliveryStatus.SENDING, 3)]
