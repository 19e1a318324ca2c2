"""Evidence storage: one EvidenceStore contract, an S3 (MinIO) and a local filesystem backend."""
import os
import re
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from infra.evidence.local import LocalEvidenceStore
from infra.evidence.s3 import S3EvidenceStore
from infra.evidence.store import EvidenceStore, StoredVersion, UploadTicket
from infra.settings import get_settings
from models.errors import EvidenceStoreMisconfigured

__all__ = ["EvidenceStore", "LocalEvidenceStore", "S3EvidenceStore", "StoredVersion", "UploadTicket", "evidence_store",
           "get_evidence_store"]

S3_OPTIONS = {"secure", "region", "public_endpoint"}
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def evidence_store(url: str, secret: str) -> EvidenceStore:
    """The store a URL names: `s3://ACCESS:SECRET@host:port/bucket?secure=false&region=…`, `file://path` or a path.

    S3 credentials missing from the URL come from TISHENG_S3_ACCESS_KEY / TISHENG_S3_SECRET_KEY;
    `secret` signs the local store's upload and download links.
    """
    if not url or not url.strip():
        raise EvidenceStoreMisconfigured("evidence store URL is empty")
    if url.startswith("s3://"):
        return _s3_store(url)
    if url.startswith("file://"):
        url = url.removeprefix("file://")
    elif re.match(r"^[A-Za-z][A-Za-z0-9+.-]*://", url):
        raise EvidenceStoreMisconfigured(f"evidence store URL {_redacted(url)!r}: scheme must be s3:// or file://")
    if not secret:
        raise EvidenceStoreMisconfigured("the local evidence store needs a secret to sign its links")
    return LocalEvidenceStore(Path(url), secret)


def get_evidence_store() -> EvidenceStore:
    """The store the settings name (TISHENG_EVIDENCE_URL, else the local one), ready; built once per URL and secret."""
    settings = get_settings()
    return _ready_store(settings.evidence_store_url, settings.secret_key.get_secret_value())


@lru_cache(maxsize=4)
def _ready_store(url: str, secret: str) -> EvidenceStore:
    store = evidence_store(url, secret)
    store.ensure_ready()  # a failure is not cached: the next call tries again
    return store


def _s3_store(url: str) -> S3EvidenceStore:
    shown = _redacted(url)
    try:
        parts = urlsplit(url)
        host, port = parts.hostname, parts.port
    except ValueError as e:
        raise EvidenceStoreMisconfigured(f"evidence store URL {shown!r}: {e}") from None
    bucket = parts.path.strip("/")
    if not host or not _BUCKET.fullmatch(bucket):
        raise EvidenceStoreMisconfigured(f"evidence store URL {shown!r}: expected s3://[ACCESS:SECRET@]host[:port]/bucket")
    query = {name: values[-1] for name, values in parse_qs(parts.query, keep_blank_values=True).items()}
    if unknown := set(query) - S3_OPTIONS:
        raise EvidenceStoreMisconfigured(f"evidence store URL {shown!r}: unknown option(s) {', '.join(sorted(unknown))}")
    secure = query.get("secure", "true").lower()
    if secure not in ("true", "false", "1", "0"):
        raise EvidenceStoreMisconfigured(f"evidence store URL {shown!r}: secure must be true or false")
    access = unquote(parts.username or "") or os.environ.get("TISHENG_S3_ACCESS_KEY", "")
    secret = unquote(parts.password or "") or os.environ.get("TISHENG_S3_SECRET_KEY", "")
    if not access or not secret:
        raise EvidenceStoreMisconfigured(
            f"evidence store URL {shown!r}: no S3 credentials (put them in the URL or TISHENG_S3_ACCESS_KEY/_SECRET_KEY)")
    endpoint = f"{host}:{port}" if port else host
    return S3EvidenceStore(endpoint, access, secret, bucket, secure=secure in ("true", "1"),
                           region=query.get("region") or "us-east-1", public_endpoint=query.get("public_endpoint"))


def _redacted(url: str) -> str:
    """The URL with any password replaced, for error messages."""
    return re.sub(r"^(\w+://[^:/@]*:)[^@/]*@", r"\1***@", url)
