"""Redaction of secrets in text bound for logs: bearer tokens, signed links, presigned URLs, URL passwords."""
import re
from collections.abc import Iterable

HIDDEN = "[redacted]"

_PATTERNS = (
    # Authorization headers and bearer tokens wherever they are quoted
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), rf"\1 {HIDDEN}"),
    # signed JWTs (login tokens) and service tokens on their own
    (re.compile(r"\beyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), HIDDEN),
    (re.compile(r"\btsk_[A-Za-z0-9_-]+"), f"tsk_{HIDDEN}"),
    # the local evidence store's links carry their signed token in the path
    (re.compile(r"(/evidence/local-(?:downloads|uploads)/)[^\s?#\"']+"), rf"\1{HIDDEN}"),
    # query strings and form bodies: presigned S3 URLs, ?token=, password=…
    (re.compile(r"(?i)\b((?:x-amz-)?(?:signature|credential|security-token)|token|access_token|refresh_token"
                r"|password|passwd|secret|client_secret|api_key|sig)=[^&\s\"'#]+"), rf"\1={HIDDEN}"),
    # JSON and repr fields with such names
    (re.compile(r"(?i)([\"'](?:password|secret|secret_key|token|access_token|authorization)[\"']\s*:\s*)[\"'][^\"']*[\"']"),
     rf"\1'{HIDDEN}'"),
    # the password in a URL's userinfo: s3://ACCESS:SECRET@host, smtp://user:pw@host, postgresql://u:pw@host
    (re.compile(r"([a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@"), rf"\1{HIDDEN}@"),
)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """The text with every secret this module knows the shape of, and each of `secrets` verbatim, hidden."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text
