"""The one settings class (TISHENG_ prefix); everything defaults to files under the data directory."""
from functools import lru_cache
from pathlib import Path

from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from models.redaction import redact


DEMO_SECRET = "tisheng-demo-secret-not-for-production"
URL_FIELDS = ("database_url", "evidence_url", "prefect_database_url", "smtp_url", "webhook_url")


class Settings(BaseSettings):
    """Tisheng's configuration, read from TISHENG_* environment variables."""

    model_config = SettingsConfigDict(env_prefix="TISHENG_", extra="ignore", hide_input_in_errors=True)

    data_dir: Path = Field(default=Path(".tisheng"), description="Root of every embedded default.")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; SQLite under data_dir if unset.")
    evidence_dir: Path | None = Field(default=None, description="Local evidence store; data_dir/evidence if unset.")
    evidence_url: str | None = Field(
        default=None, description="Evidence store: s3://ACCESS:SECRET@host:port/bucket?secure=false, or a path; "
        "the local store at evidence_path if unset.")
    evidence_link_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60,
                                       description="Lifetime of presigned evidence upload tickets and download links.")
    audit_checkpoint_years: int = Field(
        default=10, ge=1, le=100,
        description="COMPLIANCE retention of each audit checkpoint in the evidence store, in calendar years.")
    prefect_home: Path | None = Field(default=None, description="PREFECT_HOME; data_dir/prefect if unset.")
    prefect_database_url: str | None = Field(
        default=None, description="Database of the local Prefect server (postgresql+asyncpg://…); SQLite if unset."
    )
    environment: Literal["demo", "production"] = Field(
        default="demo", description="'production' refuses the default secret key."
    )
    secret_key: SecretStr = Field(default=SecretStr(DEMO_SECRET),
                                  description="Signs access tokens (HS256, ≥ 32 bytes); hidden in reprs.")
    token_minutes: int = Field(default=15, ge=1, le=24 * 60, description="Lifetime of an access token.")
    login_max_failures: int = Field(default=5, ge=1, le=1000,
                                    description="Failed logins of one username within the window that lock it.")
    login_address_max_failures: int = Field(default=50, ge=1, le=100_000,
                                            description="Failed logins from one client address that lock it.")
    login_window_minutes: int = Field(default=15, ge=1, le=24 * 60, description="How long a failed login counts.")
    login_lock_minutes: int = Field(default=15, ge=1, le=7 * 24 * 60, description="How long a lock-out lasts.")
    prefect_ui_url: str | None = Field(default=None, description="Prefect UI for run links; the local server's if unset.")
    smtp_url: str | None = Field(
        default=None, description="Reminder mail server: smtp://[user:password@]host:port (smtps:// for TLS, "
        "?starttls=true to upgrade); no e-mail is sent if unset.")
    mail_from: str = Field(default="tisheng@localhost", max_length=254, description="Sender of reminder mail.")
    webhook_url: str | None = Field(default=None, description="Reminder digests are POSTed here as JSON, if set.")
    test_crash_point: str | None = Field(
        default=None, description="Test only (tests/faults): the process kills itself at this named point, e.g. "
        "'decision-accepted' (after a completion commits, before it is answered). Refused in production.")
    api_host: str = "127.0.0.1"
    api_port: int = Field(default=8000, ge=1, le=65535)
    prefect_port: int = Field(default=4200, ge=1, le=65535)

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, value: Path) -> Path:
        return value.expanduser().resolve()

    @field_validator("secret_key")
    @classmethod
    def _long_enough(cls, value: SecretStr) -> SecretStr:
        if len(value.get_secret_value()) < 32:
            raise ValueError("String should have at least 32 characters")
        return value

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:// or postgresql:// URL")
        if value is not None and value.startswith("postgresql://"):
            return "postgresql+psycopg://" + value.removeprefix("postgresql://")
        return value

    @field_validator("smtp_url")
    @classmethod
    def _smtp_scheme(cls, value: str | None) -> str | None:
        value = value.strip() or None if value is not None else None
        if value is not None and not value.startswith(("smtp://", "smtps://")):
            raise ValueError("must be an smtp:// or smtps:// URL")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _http_scheme(cls, value: str | None) -> str | None:
        value = value.strip() or None if value is not None else None
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @field_validator("evidence_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip() or None if value is not None else None

    @model_validator(mode="after")
    def _no_default_secret_in_production(self) -> "Settings":
        if self.environment == "production" and self.secret_key.get_secret_value() == DEMO_SECRET:
            raise ValueError("TISHENG_SECRET_KEY must be set to a secret of your own in production")
        if self.environment == "production" and self.test_crash_point:
            raise ValueError("TISHENG_TEST_CRASH_POINT is for the fault-injection tests; unset it in production")
        return self

    def __repr_args__(self):
        """Fields as repr shows them: URLs with their passwords redacted (the secret key is a SecretStr)."""
        for name, value in super().__repr_args__():
            yield name, redact(value) if name in URL_FIELDS and isinstance(value, str) else value

    @property
    def db_url(self) -> str:
        """The database URL in force."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tisheng.db'}"

    @property
    def prefect_ui(self) -> str:
        """Base URL of the Prefect UI that links to flow runs point at."""
        return (self.prefect_ui_url or f"http://{self.api_host}:{self.prefect_port}").rstrip("/")

    @property
    def evidence_path(self) -> Path:
        """Directory of the local evidence store."""
        return (self.evidence_dir or self.data_dir / "evidence").expanduser().resolve()

    @property
    def evidence_store_url(self) -> str:
        """The evidence store in force: evidence_url, else the local store's directory."""
        return self.evidence_url or str(self.evidence_path)

    @property
    def prefect_home_path(self) -> Path:
        """Directory Prefect keeps its profile and embedded database in."""
        return (self.prefect_home or self.data_dir / "prefect").expanduser().resolve()


@lru_cache
def get_settings() -> Settings:
    """Settings read once per process (tests clear the cache when they change the environment)."""
    return Settings()
