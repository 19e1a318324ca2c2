"""Settings refuse unsafe values at start."""
import pytest
from pydantic import ValidationError

from infra.settings import DEMO_SECRET, Settings


def test_production_refuses_the_demo_secret(monkeypatch):
    monkeypatch.setenv("TISHENG_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="TISHENG_SECRET_KEY must be set"):
        Settings()
    monkeypatch.setenv("TISHENG_SECRET_KEY", "a-long-secret-of-our-own-0123456789abcdef")
    assert Settings().secret_key != DEMO_SECRET


def test_demo_runs_on_the_demo_secret(monkeypatch):
    monkeypatch.delenv("TISHENG_ENVIRONMENT", raising=False)
    monkeypatch.delenv("TISHENG_SECRET_KEY", raising=False)
    assert Settings().secret_key == DEMO_SECRET


def test_unknown_database_scheme_is_refused(monkeypatch):
    monkeypatch.setenv("TISHENG_DATABASE_URL", "mysql://x")
    with pytest.raises(ValidationError, match="sqlite:// or postgresql://"):
        Settings()


def test_short_secret_is_refused(monkeypatch):
    monkeypatch.setenv("TISHENG_SECRET_KEY", "too-short-secret")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        Settings()


def test_production_refuses_a_test_crash_point(monkeypatch):
    monkeypatch.setenv("TISHENG_ENVIRONMENT", "production")
    monkeypatch.setenv("TISHENG_SECRET_KEY", "a-long-secret-of-our-own-0123456789abcdef")
    monkeypatch.setenv("TISHENG_TEST_CRASH_POINT", "decision-accepted")
    with pytest.raises(ValidationError, match="TISHENG_TEST_CRASH_POINT is for the fault-injection tests"):
        Settings()
    monkeypatch.delenv("TISHENG_TEST_CRASH_POINT")
    assert Settings().test_crash_point is None
