"""A logging filter that redacts secrets, installed on the access log, Prefect's and httpx's loggers and ours."""
import logging
from collections.abc import Iterable, Sequence
from urllib.parse import unquote, urlsplit

from infra.settings import Settings
from models.redaction import redact

REDACTED_LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "httpx", "httpcore", "prefect",
                    "prefect.flow_runs", "prefect.task_runs")
"""Where records start (a logger's filters see only its own records), with every logger of our packages that
exists at install time; every handler they and the root have is filtered too."""
OUR_PACKAGES = ("api", "infra", "tasks", "flows", "tisheng_cli", "models")
_PLAIN = (int, float, bool, type(None))
MIN_SECRET = 8  # shorter configured values are left to the patterns, or a verbatim match would mangle ordinary text


class RedactSecrets(logging.Filter):
    """Rewrites a record's message, arguments and traceback with secrets hidden; never drops a record."""

    def __init__(self, secrets: Sequence[str] = ()) -> None:
        super().__init__()
        self.secrets = tuple(s for s in secrets if len(s) >= MIN_SECRET)

    def filter(self, record: logging.LogRecord) -> bool:
        """Redact in place (the arguments keep their shape: uvicorn's access formatter unpacks them)."""
        if isinstance(record.msg, str):
            record.msg = redact(record.msg, self.secrets)
        if isinstance(record.args, tuple):
            record.args = tuple(self._arg(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True

    def _arg(self, value: object) -> object:
        if isinstance(value, _PLAIN):
            return value
        text = str(value)
        hidden = redact(text, self.secrets)
        return hidden if hidden != text or isinstance(value, str) else value


def settings_secrets(settings: Settings) -> list[str]:
    """The configured secrets, verbatim: the signing key, URL passwords, the webhook's path and query."""
    found = [settings.secret_key.get_secret_value()]
    for url in (settings.database_url, settings.evidence_url, settings.smtp_url, settings.prefect_database_url):
        password = urlsplit(url).password if url and "://" in url else None
        found += [password, unquote(password)] if password else []
    if settings.webhook_url:
        parts = urlsplit(settings.webhook_url)
        found += [p for p in (parts.path if parts.path not in ("", "/") else "", parts.query) if p]
    return found


def install_redaction(secrets: Iterable[str] = (), loggers: Iterable[str] = REDACTED_LOGGERS) -> RedactSecrets:
    """Add one RedactSecrets to these loggers and to every handler they and the root have (idempotent)."""
    redactor = RedactSecrets(list(secrets))
    ours = [name for name in logging.root.manager.loggerDict if name.split(".")[0] in OUR_PACKAGES]
    targets: list[logging.Filterer] = [logging.getLogger(n) for n in [*loggers, *ours]] + [logging.getLogger()]
    targets += [h for t in list(targets) for h in t.handlers] + ([logging.lastResort] if logging.lastResort else [])
    for target in targets:
        for old in [f for f in target.filters if isinstance(f, RedactSecrets)]:
            target.removeFilter(old)
        target.addFilter(redactor)
    return redactor
