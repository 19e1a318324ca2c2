"""The EvidenceStore contract both backends keep, with the key rules and value types they share."""
from __future__ import annotations

import hashlib

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import BinaryIO, Protocol, runtime_checkable
from urllib.parse import quote

from models.errors import InvalidEvidenceKey, InvalidRetention

CHUNK = 1024 * 1024
MAX_KEY_BYTES = 1024  # S3's limit on an object key
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class StoredVersion:
    """One immutable version of an evidence object.

    `sha256` and `content_type` are None where the store cannot know them without reading the
    object: S3 listings, and S3 browser uploads (call `hash_of`).
    """

    key: str
    version_id: str
    size: int
    sha256: str | None
    content_type: str | None
    created_at: datetime


@dataclass(frozen=True)
class Leftover:
    """Bytes a crashed or abandoned write left in the store that belong to no version (named store-specifically)."""

    name: str
    created_at: datetime


@dataclass(frozen=True)
class UploadTicket:
    """A presigned upload: POST multipart `fields` plus a `file` part to `url` (relative for the local store)."""

    url: str
    fields: dict[str, str]
    key: str
    max_size: int
    expires_at: datetime


@runtime_checkable
class EvidenceStore(Protocol):
    """Versioned evidence objects with legal holds and COMPLIANCE retention; nothing is ever overwritten."""

    def ensure_ready(self) -> None:
        """Create the bucket (object lock, versioning) or directories; idempotent."""

    def put(self, key: str, stream: BinaryIO, size: int, content_type: str) -> StoredVersion:
        """Store `size` bytes from `stream` as a new version of `key`, hashing them on the way."""

    def presign_upload(self, key: str, max_size: int, expires: timedelta) -> UploadTicket:
        """A ticket to upload at most `max_size` bytes to exactly `key` before `expires` runs out."""

    def latest(self, key: str) -> StoredVersion | None:
        """The newest version of `key`, or None."""

    def versions(self, prefix: str) -> list[StoredVersion]:
        """Every version of every key under `prefix`, by key, oldest version first."""

    def open(self, key: str, version_id: str) -> Iterator[bytes]:
        """The version's bytes in chunks (EvidenceMissing raised at call time)."""

    def head(self, key: str, version_id: str, n: int = 8192) -> bytes:
        """The first `n` bytes, for sniffing the real file type."""

    def hash_of(self, key: str, version_id: str) -> str:
        """SHA-256 of the bytes as stored now, re-read in full."""

    def presign_download(self, key: str, version_id: str, filename: str, expires: timedelta,
                         content_type: str = "application/octet-stream") -> str:
        """A short-lived link that downloads the version under its original `filename`, served as
        `content_type` (the type sniffed at upload, never what the uploading browser claimed)."""

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Put or lift the legal hold of a version."""

    def legal_hold(self, key: str, version_id: str) -> bool:
        """Whether the version is under legal hold."""

    def set_retention(self, key: str, version_id: str, until: datetime) -> None:
        """COMPLIANCE retention until `until` (whole seconds); may extend, never shorten (EvidenceLocked)."""

    def retention(self, key: str, version_id: str) -> datetime | None:
        """The version's retain-until date, or None."""

    def delete(self, key: str, version_id: str) -> None:
        """Remove a version; EvidenceLocked while it is held or retained."""

    def leftovers(self) -> list[Leftover]:
        """What unfinished writes left behind (partial uploads, temp files), oldest first."""

    def remove_leftover(self, name: str) -> None:
        """Remove one leftover `leftovers` named; EvidenceMissing if it is not (or no longer) one."""


def validate_key(key: str) -> str:
    """The key unchanged if it is a safe relative object key, else InvalidEvidenceKey."""
    if not isinstance(key, str) or not key:
        raise InvalidEvidenceKey("evidence key must be a non-empty string")
    if key.endswith("/"):
        raise InvalidEvidenceKey(f"evidence key {key!r} must not end with '/'")
    return _check_segments(key, key.split("/"))


def validate_prefix(prefix: str) -> str:
    """The prefix unchanged if it is '' or a safe key prefix (may end with '/'), else InvalidEvidenceKey."""
    if prefix == "":
        return prefix
    segments = prefix.split("/")
    return _check_segments(prefix, segments[:-1] if segments[-1] == "" else segments)


def _check_segments(key: str, segments: list[str]) -> str:
    if len(key.encode("utf-8", "surrogatepass")) > MAX_KEY_BYTES:
        raise InvalidEvidenceKey(f"evidence key is longer than {MAX_KEY_BYTES} bytes")
    if _CONTROL.search(key):
        raise InvalidEvidenceKey(f"evidence key {key!r} contains a control character (NUL, newline, …)")
    if "\\" in key:
        raise InvalidEvidenceKey(f"evidence key {key!r} contains a backslash")
    if key.startswith("/"):
        raise InvalidEvidenceKey(f"evidence key {key!r} is absolute")
    for segment in segments:
        if segment == "":
            raise InvalidEvidenceKey(f"evidence key {key!r} has an empty segment")
        if segment in (".", ".."):
            raise InvalidEvidenceKey(f"evidence key {key!r} has a '{segment}' segment (path traversal)")
        if segment.startswith("."):  # hidden names are refused: the local store keeps its versions in '.v'
            raise InvalidEvidenceKey(f"evidence key {key!r} has a segment starting with '.'")
    return key


def retain_until(until: datetime, now: datetime | None = None) -> datetime:
    """`until` in UTC rounded up to whole seconds; InvalidRetention unless it is in the future."""
    if until.tzinfo is None:
        raise InvalidRetention("retention date must carry a time zone")
    until = until.astimezone(timezone.utc)
    if until.microsecond:
        until = until.replace(microsecond=0) + timedelta(seconds=1)
    if until <= (now or datetime.now(timezone.utc)):
        raise InvalidRetention(f"retention until {until.isoformat()} is not in the future")
    return until


def content_disposition(filename: str) -> str:
    """An attachment header keeping a (Chinese) file name: an ASCII fallback and RFC 5987 `filename*`."""
    fallback = "".join(c if 0x20 <= ord(c) < 0x7f and c not in '"\\%;' else "_" for c in filename) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


def sha256_of(chunks: Iterable[bytes]) -> str:
    """SHA-256 (hex) of a stream of chunks."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()
