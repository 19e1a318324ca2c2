"""Notification channels: e-mail over SMTP, a generic JSON webhook (in-app rows live in infra/reminders.py)."""
import json
import smtplib
import ssl
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from models.reminders import Digest

TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class SmtpServer:
    """Where and how to hand mail over, read from TISHENG_SMTP_URL."""

    host: str
    port: int
    tls: bool
    starttls: bool
    username: str | None
    password: str | None

    @classmethod
    def from_url(cls, url: str) -> "SmtpServer":
        """smtp://[user:password@]host:port[?starttls=true], or smtps:// for TLS from the first byte."""
        parts = urlsplit(url)
        tls = parts.scheme == "smtps"
        starttls = parse_qs(parts.query).get("starttls", ["false"])[0].lower() in ("1", "true", "yes")
        return cls(parts.hostname or "localhost", parts.port or (465 if tls else 25), tls, starttls,
                   unquote(parts.username) if parts.username else None,
                   unquote(parts.password) if parts.password else None)


@contextmanager
def smtp_session(server: SmtpServer) -> Iterator[smtplib.SMTP]:
    """One connection to the mail server, logged in if the URL carries credentials."""
    context = ssl.create_default_context()
    client = (smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS, context=context) if server.tls
              else smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS))
    with client:
        if server.starttls:
            client.starttls(context=context)
        if server.username:
            client.login(server.username, server.password or "")
        yield client


def digest_mail(digest: Digest, sender: str) -> EmailMessage:
    """The digest as a plain-text e-mail to its recipient."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = digest.recipient.email
    message["Subject"] = digest.title
    message["X-Tisheng-Digest"] = digest.digest_hash
    message.set_content(digest.text())
    return message


def post_json(url: str, payload: dict) -> None:
    """POST a JSON document; raises on a connection error or a non-2xx answer."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode(), method="POST",
                                     headers={"Content-Type": "application/json; charset=utf-8",
                                              "User-Agent": "tisheng-reminders"})
    with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:  # raises HTTPError on 4xx/5xx
        response.read()
