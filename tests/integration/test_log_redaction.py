"""Nothing secret reaches the logs: a real uvicorn serves a signed download, a presigned-style query and a login,
and the access log, httpx's log and an unexpected error's traceback are read back."""
import io
import logging
import socket
import threading
import time
from datetime import timedelta

import httpx
import pytest
import uvicorn
from fastapi.testclient import TestClient

from api import deps
from api.app import app
from infra.db import session_scope
from infra.evidence import get_evidence_store
from infra.security import hash_password
from models.enums import Role, UnitLevel
from models.org import Person, Unit

PASSWORD = "correct-horse-battery-staple"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(database):
    """The app behind a real uvicorn on 127.0.0.1, logging its access lines at INFO."""
    port = free_port()
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, log_level="info"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.started
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(10)


@pytest.fixture
def user(database, campaign_code) -> str:
    with session_scope() as session:
        unit = Unit(code=f"{campaign_code}-X", name="县", level=UnitLevel.COUNTY)
        session.add(unit)
        session.flush()
        session.add(Person(username=f"{campaign_code}-office", name="工程办", role=Role.COUNTY_OFFICE,
                           unit_id=unit.id, password_hash=hash_password(PASSWORD)))
    return f"{campaign_code}-office"


def logged(caplog) -> str:
    return "\n".join(caplog.handler.format(r) for r in caplog.records)


def test_signed_links_presigned_queries_logins_and_tokens_stay_out_of_the_logs(server, user, caplog, campaign_code):
    store = get_evidence_store()
    body = b"%PDF-1.4 evidence"
    version = store.put(f"{campaign_code}/plan.pdf", io.BytesIO(body), len(body), "application/pdf")
    link = store.presign_download(f"{campaign_code}/plan.pdf", version.version_id, "plan.pdf", timedelta(minutes=5))
    link_token = link.rsplit("/", 1)[1]
    caplog.set_level(logging.INFO)
    with httpx.Client(base_url=server) as http:
        assert http.get(link).content == body
        login = http.post("/auth/token", data={"username": user, "password": PASSWORD})
        access_token = login.json()["access_token"]
        assert http.get("/auth/me", headers={"Authorization": f"Bearer {access_token}"}).status_code == 200
        assert http.get("/health", params={"X-Amz-Credential": "AKIAEXAMPLE/20261201", "X-Amz-Signature":
                                           "9f86d081884c7d659a2feaa0c55ad015", "token": "query-token-1"}).is_success
    text = logged(caplog)
    assert "/evidence/local-downloads/[redacted]" in text and '"POST /auth/token HTTP/1.1" 200' in text
    for secret in (link_token, link_token.split(".")[-1], PASSWORD, access_token, access_token.split(".")[-1],
                   "9f86d081884c7d659a2feaa0c55ad015", "AKIAEXAMPLE", "query-token-1"):
        assert secret not in text, secret


def test_an_unexpected_errors_traceback_is_logged_redacted(caplog):
    def broken():
        raise RuntimeError("GET https://s3.example/ev/a.pdf?X-Amz-Signature=deadbeefcafe0123 failed for "
                           "s3://minio:MinioSecret99@s3.example:9000/ev")

    app.dependency_overrides[deps.settings] = broken
    try:
        answer = TestClient(app, raise_server_exceptions=False).post("/auth/token",
                                                                      data={"username": "u", "password": "p"})
    finally:
        app.dependency_overrides.pop(deps.settings)
    assert answer.status_code == 500
    text = logged(caplog)
    assert "RuntimeError" in text and "X-Amz-Signature=[redacted]" in text
    assert "deadbeefcafe0123" not in text and "MinioSecret99" not in text
