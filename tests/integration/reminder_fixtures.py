"""A fixture campaign for reminders: its own unit tree and people, and tasks before, at and past their due dates;
and real local servers the channels deliver to (SMTP by aiosmtpd, a JSON webhook on http.server)."""
import json
import socket
import threading
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller

from infra.db import session_scope
from infra.security import hash_password
from models.campaign import Campaign, SchoolEnrolment
from models.clock import utcnow
from models.enums import Role, TaskKind, TaskStatus, UnitLevel
from models.human_task import HumanTask
from models.org import Person, Unit
from models.policy import load_preset

PASSWORD = "reminder-pass-1"


@dataclass
class ReminderCampaign:
    """What the tests need to know about the fixture: codes, usernames, task ids by name, and the run's instant."""

    code: str
    now: datetime
    prefix: str
    units: dict[str, int] = field(default_factory=dict)
    tasks: dict[str, int] = field(default_factory=dict)

    def user(self, name: str) -> str:
        """The username of a fixture person by its short name."""
        return f"{self.prefix}-{name}"


PEOPLE = [  # short name, role, unit, has e-mail
    ("office", Role.COUNTY_OFFICE, "county", True),
    ("expert", Role.COUNTY_EXPERT, "county", True),
    ("city-office", Role.CITY_OFFICE, "city", True),
    ("s1-leader-a", Role.GROUP_LEADER, "s1", True),
    ("s1-leader-b", Role.GROUP_LEADER, "s1", True),
    ("s1-admin", Role.SCHOOL_ADMIN, "s1", True),
    ("s2-admin", Role.SCHOOL_ADMIN, "s2", False),
    ("s1-teacher", Role.TEACHER, "s1", True),
]

TASKS = [  # name, kind, unit, school, role, due in days from now, claimed by, status
    ("soon", TaskKind.SUBMISSION_GRADING, "s1", "s1", Role.GROUP_LEADER, 2, None, TaskStatus.OPEN),
    ("later", TaskKind.SUBMISSION_GRADING, "s1", "s1", Role.GROUP_LEADER, 10, None, TaskStatus.OPEN),
    ("at-deadline", TaskKind.RECTIFICATION, "s1", "s1", Role.SCHOOL_ADMIN, 0, None, TaskStatus.OPEN),
    ("overdue", TaskKind.PLAN_REVIEW, "county", "s2", Role.COUNTY_OFFICE, -2, None, TaskStatus.OPEN),
    ("escalated-school", TaskKind.RECTIFICATION, "s2", "s2", Role.SCHOOL_ADMIN, -10, None, TaskStatus.OPEN),
    ("escalated-county", TaskKind.COUNTY_ASSESSMENT_SCORING, "county", "s1", Role.COUNTY_EXPERT, -9, "expert",
     TaskStatus.OPEN),
    ("done", TaskKind.PLAN_REVIEW, "county", "s1", Role.COUNTY_OFFICE, -20, None, TaskStatus.COMPLETED),
]


def create_reminder_campaign(code: str) -> ReminderCampaign:
    """Insert the fixture: province → city → county → two schools, eight people, a campaign and seven tasks."""
    now = utcnow().replace(microsecond=0)
    fixture = ReminderCampaign(code=code, now=now, prefix=code.upper())
    data = load_preset("yanzhou-2022").model_dump(mode="json")
    data["final_deadline"] = date(now.year + 1, 12, 31).isoformat()  # deadlines ahead of the test's clock
    data["deadlines"] = {"stages": {}, "tasks": {}}
    password = hash_password(PASSWORD)
    with session_scope() as session:
        parent = None
        for name, level in (("province", UnitLevel.PROVINCE), ("city", UnitLevel.CITY), ("county", UnitLevel.COUNTY)):
            unit = Unit(code=f"{fixture.prefix}-{name}", name=name, level=level, parent_id=parent)
            session.add(unit)
            session.flush()
            fixture.units[name] = parent = unit.id
        for school in ("s1", "s2"):
            unit = Unit(code=f"{fixture.prefix}-{school}", name=school, level=UnitLevel.SCHOOL,
                        parent_id=fixture.units["county"])
            session.add(unit)
            session.flush()
            fixture.units[school] = unit.id
        for name, role, unit, mail in PEOPLE:
            session.add(Person(username=fixture.user(name), name=name, role=role, unit_id=fixture.units[unit],
                               password_hash=password, email=f"{name}@{code}.example.cn" if mail else None))
        campaign = Campaign(code=code, year=now.year, region_unit_id=fixture.units["city"], policy_name="yanzhou-2022",
                            policy=data)
        session.add(campaign)
        session.flush()
        enrolments = {}
        for school in ("s1", "s2"):
            enrolment = SchoolEnrolment(campaign_id=campaign.id, school_id=fixture.units[school])
            session.add(enrolment)
            session.flush()
            enrolments[school] = enrolment.id
        for name, kind, unit, school, role, days, claimer, status in TASKS:
            task = HumanTask(campaign_id=campaign.id, kind=kind, school_enrolment_id=enrolments[school],
                             unit_id=fixture.units[unit],
                             candidate_role=role, status=status, due_at=now + timedelta(days=days),
                             claimed_by=fixture.user(claimer) if claimer else None, origin_key=f"{code}:{name}")
            session.add(task)
            session.flush()
            fixture.tasks[name] = task.id
    return fixture


def free_port() -> int:
    """A TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class MailSink:
    """aiosmtpd handler keeping every message received: envelope recipients and the parsed message."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=email_policy.default)))
        return "250 OK"


def smtp_server() -> tuple[Controller, MailSink]:
    """A real SMTP server on a free local port, started."""
    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    return controller, sink


def webhook_server() -> tuple[ThreadingHTTPServer, list[dict]]:
    """A real HTTP server on a free local port, in a thread, keeping every JSON body POSTed to it."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, received
