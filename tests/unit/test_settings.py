"""Settings refuse unsafe values at start."""
import pytest
from pydantic import ValidationError

from infra.settings import DEMO_SECRET, Settings


def test_production_refuses_the_demo_secret(monkeypatch):
    monkeypatch.setenv("TISHENG_ENVIRONMENT", "production")
    with pytest.raises(ValidationError, match="TISHENG_SECRET_KEY must be set"):
        Settings()
    monkeypatch.setenv("TISHENG_SECRET_KEY", "a-long-secret-of-our-own-0123456789abcdef")
    assert Settings().secret_key.get_secret_value() != DEMO_SECRET


def test_demo_runs_on_the_demo_secret(monkeypatch):
    monkeypatch.delenv("TISHENG_ENVIRONMENT", raising=False)
    monkeypatch.delenv("TISHENG_SECRET_KEY", raising=False)
    assert Settings().secret_key.get_secret_value() == DEMO_SECRET


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


def test_the_repr_hides_the_secret_key_and_url_passwords(monkeypatch):
    monkeypatch.setenv("TISHENG_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TISHENG_EVIDENCE_URL", "s3://minio:EvidenceSecret1@10.0.0.5:9000/evidence?secure=false")
    monkeypatch.setenv("TISHENG_SMTP_URL", "smtp://mailer:MailSecret22@mail.example:587")
    monkeypatch.setenv("TISHENG_DATABASE_URL", "postgresql://app:DbSecret333@db:5432/tisheng")
    settings = Settings()
    shown = repr(settings) + str(settings)
    for secret in ("k" * 40, "EvidenceSecret1", "MailSecret22", "DbSecret333"):
        assert secret not in shown
    assert "s3://minio:[redacted]@10.0.0.5:9000/evidence" in shown and "mail.example:587" in shown
    assert settings.secret_key.get_secret_value() == "k" * 40  # callers still read the real values
    assert settings.smtp_url == "smtp://mailer:MailSecret22@mail.example:587"


def test_a_refused_secret_key_is_not_echoed_in_the_error(monkeypatch):
    monkeypatch.setenv("TISHENG_SECRET_KEY", "short-but-secret")
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert "short-but-secret" not in str(refused.value)
