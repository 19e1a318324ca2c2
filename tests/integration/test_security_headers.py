"""Security headers on every answer: success, the docs, errors of each kind, and an unexpected 500."""
import pytest
from fastapi.testclient import TestClient

from api import deps
from api.app import app

EXPECTED = {"x-content-type-options": "nosniff", "x-frame-options": "DENY", "referrer-policy": "no-referrer",
            "content-security-policy": "frame-ancestors 'none'"}


def headers_of(answer) -> dict[str, str]:
    return {name: answer.headers.get(name) for name in EXPECTED}


@pytest.mark.parametrize("method,url,status", [
    ("GET", "/health", 200), ("GET", "/docs", 200), ("GET", "/openapi.json", 200),
    ("GET", "/nowhere", 404), ("GET", "/auth/me", 401), ("POST", "/auth/token", 422), ("GET", "/auth/token", 405),
    ("GET", "/tasks?campaign=%00", 422), ("GET", "/evidence/local-downloads/forged.token", 403),
])
def test_every_answer_carries_the_security_headers(method, url, status):
    answer = TestClient(app).request(method, url)
    assert answer.status_code == status and headers_of(answer) == EXPECTED


def test_an_unexpected_error_carries_them_too():
    def broken():
        raise RuntimeError("boom")

    app.dependency_overrides[deps.settings] = broken
    try:
        answer = TestClient(app, raise_server_exceptions=False).post(
            "/auth/token", data={"username": "someone", "password": "something"})
    finally:
        app.dependency_overrides.pop(deps.settings)
    assert answer.status_code == 500 and answer.headers["content-type"] == "application/problem+json"
    assert headers_of(answer) == EXPECTED
