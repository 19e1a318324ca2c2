"""The daily reminder run end to end: one digest per person over real SMTP, a real webhook and in-app rows;
escalations to the office above; nothing sent twice; a failing channel recorded and never blocking the others."""
from collections import Counter

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api.app import app
from flows.reminders import daily_reminders
from infra.db import session_scope
from infra.settings import get_settings
from models.reminders import DeliveryStatus, Notification, ReminderDelivery
from models.campaign import Campaign
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
