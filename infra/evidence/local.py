"""The local filesystem evidence store: the embedded default, keeping the S3 store's contract in code.

Layout under the root: `objects/<key>/.v/<version_id>` holds a version's bytes (read-only) and
`<version_id>.json` its metadata and lock state; a version exists once its sidecar does. Uploads are
written to `incoming/` (same filesystem), fsynced, then renamed into place, so a refused or broken
upload leaves nothing under `objects/`.
"""
from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import BinaryIO

from infra.evidence import tokens
from infra.evidence.store import (
    CHUNK, Leftover, StoredVersion, UploadTicket, content_disposition, retain_until, sha256_of, validate_key,
    validate_prefix,
)
from models.errors import (
    EvidenceLocked, EvidenceMissing, EvidenceSizeMismatch, EvidenceStoreFull, EvidenceTooLarge, InvalidEvidenceKey,
    SignedLinkRefused,
)

UPLOAD_PATH = "/evidence/local-uploads/"
DOWNLOAD_PATH = "/evidence/local-downloads/"
VERSIONS_DIR = ".v"
_VERSION_ID = re.compile(r"[0-9a-f]{24}")
_NO_ROOM = {errno.ENOSPC, errno.EDQUOT}
_last_ns = 0
_ns_lock = threading.Lock()


def new_version_id() -> str:
    """A unique version id that sorts by creation time: 16 hex digits of nanoseconds, 8 random."""
    global _last_ns
    with _ns_lock:
        _last_ns = max(time.time_ns(), _last_ns + 1)
        return f"{_last_ns:016x}{secrets.token_hex(4)}"


@dataclass(frozen=True)
class LocalDownload:
    """What a download route serves for a valid local download link."""

    path: Path
    filename: str
    version: StoredVersion
    content_type: str

    @property
    def content_disposition(self) -> str:
        """The attachment header carrying the original file name."""
        return content_disposition(self.filename)


class LocalEvidenceStore:
    """Evidence under a root directory; versions, holds and retention enforced in code."""

    def __init__(self, root: Path | str, secret: str):
        self.root = Path(root).expanduser().resolve()
        self.objects = self.root / "objects"
        self.incoming = self.root / "incoming"
        self._link_key = tokens.link_key(secret)

    def ensure_ready(self) -> None:
        """Create the root, objects and incoming directories; idempotent."""
        self.objects.mkdir(parents=True, exist_ok=True)
        self.incoming.mkdir(parents=True, exist_ok=True)

    def put(self, key: str, stream: BinaryIO, size: int, content_type: str) -> StoredVersion:
        """Store exactly `size` bytes as a new version; EvidenceSizeMismatch if the stream disagrees."""
        vdir = self._versions_dir(key)
        temp, digest, written = self._receive(stream, limit=size)
        if written != size:
            temp.unlink()
            raise EvidenceSizeMismatch(f"declared {size} bytes for {key!r} but the stream carried "
                                       f"{'more' if written > size else written}")
        return self._commit(key, vdir, temp, digest, written, content_type)

    def presign_upload(self, key: str, max_size: int, expires: timedelta) -> UploadTicket:
        """A signed relative URL; the client POSTs `fields` (the key) and a `file` part to it."""
        validate_key(key)
        expires_at = datetime.now(timezone.utc) + expires
        token = tokens.sign(self._link_key, "upload", {"k": key, "m": max_size}, expires_at.timestamp())
        return UploadTicket(UPLOAD_PATH + token, {"key": key}, key, max_size, expires_at)

    def upload_limit(self, token: str) -> int:
        """The byte limit a valid upload ticket grants (SignedLinkRefused if forged or expired), read before any body."""
        return tokens.verify(self._link_key, "upload", token)["m"]

    def receive_upload(self, token: str, stream: BinaryIO, key: str | None = None,
                       content_type: str = "application/octet-stream") -> StoredVersion:
        """Store an upload made with a ticket: signature, expiry, key and size limit checked."""
        claims = tokens.verify(self._link_key, "upload", token)
        if key is not None and key != claims["k"]:
            raise SignedLinkRefused(f"the upload ticket is for {claims['k']!r}, not {key!r}")
        vdir = self._versions_dir(claims["k"])
        temp, digest, written = self._receive(stream, limit=claims["m"])
        if written > claims["m"]:
            temp.unlink()
            raise EvidenceTooLarge(f"upload exceeds the ticket's limit of {claims['m']} bytes")
        return self._commit(claims["k"], vdir, temp, digest, written, content_type)

    def latest(self, key: str) -> StoredVersion | None:
        """The newest version of `key`, or None."""
        ids = self._version_ids(self._versions_dir(key))
        return self._version(key, ids[-1]) if ids else None

    def versions(self, prefix: str) -> list[StoredVersion]:
        """Every version of every key under `prefix`, by key, oldest version first."""
        validate_prefix(prefix)
        base = self._inside(self.objects / prefix.rpartition("/")[0])
        found: list[StoredVersion] = []
        for dirpath, dirnames, _ in os.walk(base):
            if VERSIONS_DIR not in dirnames:
                continue
            key = Path(dirpath).relative_to(self.objects).as_posix()
            if key.startswith(prefix):
                found += [self._version(key, vid) for vid in self._version_ids(Path(dirpath) / VERSIONS_DIR)]
            dirnames.remove(VERSIONS_DIR)
        return sorted(found, key=lambda v: (v.key, v.version_id))

    def open(self, key: str, version_id: str) -> Iterator[bytes]:
        """The version's bytes in chunks."""
        file = self._data_path(key, version_id).open("rb")

        def chunks() -> Iterator[bytes]:
            with file:
                while chunk := file.read(CHUNK):
                    yield chunk
        return chunks()

    def head(self, key: str, version_id: str, n: int = 8192) -> bytes:
        """The first `n` bytes."""
        with self._data_path(key, version_id).open("rb") as file:
            return file.read(n)

    def hash_of(self, key: str, version_id: str) -> str:
        """SHA-256 of the file as it is on disk now."""
        return sha256_of(self.open(key, version_id))

    def presign_download(self, key: str, version_id: str, filename: str, expires: timedelta,
                         content_type: str = "application/octet-stream") -> str:
        """A signed relative URL the download route resolves with `resolve_download`."""
        self._sidecar(key, version_id)
        expires_at = (datetime.now(timezone.utc) + expires).timestamp()
        claims = {"k": key, "v": version_id, "f": filename, "t": content_type}
        return DOWNLOAD_PATH + tokens.sign(self._link_key, "download", claims, expires_at)

    def resolve_download(self, token: str) -> LocalDownload:
        """The file, original name and version a download link names; SignedLinkRefused if forged or expired."""
        claims = tokens.verify(self._link_key, "download", token)
        return LocalDownload(self._data_path(claims["k"], claims["v"]), claims["f"],
                             self._version(claims["k"], claims["v"]), claims.get("t", "application/octet-stream"))

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Put or lift the legal hold."""
        with self._locked_meta(key, version_id) as (meta, save):
            if meta["legal_hold"] != on:
                save({**meta, "legal_hold": on})

    def legal_hold(self, key: str, version_id: str) -> bool:
        """Whether the version is under legal hold."""
        return self._read_meta(key, version_id)["legal_hold"]

    def set_retention(self, key: str, version_id: str, until: datetime) -> None:
        """COMPLIANCE retention until `until`; extending is allowed, shortening is EvidenceLocked."""
        until = retain_until(until)
        with self._locked_meta(key, version_id) as (meta, save):
            current = _parse_time(meta["retain_until"])
            if current and until < current:
                raise EvidenceLocked(f"{key} version {version_id} is under COMPLIANCE retention until "
                                     f"{current.isoformat()}; it cannot be shortened to {until.isoformat()}")
            if current != until:
                save({**meta, "retain_until": until.isoformat(), "retention_mode": "COMPLIANCE"})

    def retention(self, key: str, version_id: str) -> datetime | None:
        """The retain-until date, or None."""
        return _parse_time(self._read_meta(key, version_id)["retain_until"])

    def delete(self, key: str, version_id: str) -> None:
        """Remove the version unless held or retained (EvidenceLocked)."""
        with self._locked_meta(key, version_id) as (meta, _):
            if meta["legal_hold"]:
                raise EvidenceLocked(f"{key} version {version_id} is under legal hold; it cannot be deleted")
            until = _parse_time(meta["retain_until"])
            if until and until > datetime.now(timezone.utc):
                raise EvidenceLocked(f"{key} version {version_id} is under COMPLIANCE retention until "
                                     f"{until.isoformat()}; it cannot be deleted")
            sidecar = self._sidecar(key, version_id)
            sidecar.unlink()  # the version stops existing here; the bytes go next
            sidecar.with_suffix("").unlink(missing_ok=True)
            _fsync_dir(sidecar.parent)

    def leftovers(self) -> list[Leftover]:
        """Partial uploads in incoming/, data files whose sidecar was never written, and `.tmp-*` sidecar files."""
        found = [self._leftover(p) for p in self.incoming.glob("*.part")] if self.incoming.is_dir() else []
        for dirpath, dirnames, _ in os.walk(self.objects):
            if VERSIONS_DIR in dirnames:
                dirnames.remove(VERSIONS_DIR)
                found += self._leftovers_in(Path(dirpath) / VERSIONS_DIR)
        return sorted(found, key=lambda f: (f.created_at, f.name))

    def remove_leftover(self, name: str) -> None:
        """Remove a leftover by its path under the root; EvidenceMissing for anything else."""
        path = (self.root / name).resolve()
        if self.root not in path.parents or not path.is_file() or not self._is_leftover(path):
            raise EvidenceMissing(f"{name!r} is not a leftover of the local evidence store")
        path.unlink()
        _fsync_dir(path.parent)

    def _leftovers_in(self, vdir: Path) -> list[Leftover]:
        return [self._leftover(vdir / n) for n in os.listdir(vdir) if self._is_leftover(vdir / n)]

    def _is_leftover(self, path: Path) -> bool:
        if path.parent == self.incoming:
            return path.suffix == ".part"
        if path.parent.name != VERSIONS_DIR or self.objects not in path.parents:
            return False
        if path.name.startswith(".tmp-"):
            return True
        return bool(_VERSION_ID.fullmatch(path.name)) and not path.with_name(f"{path.name}.json").exists()

    def _leftover(self, path: Path) -> Leftover:
        mtime = datetime.fromtimestamp(path.stat().st_mtime, timezone.utc)
        return Leftover(path.relative_to(self.root).as_posix(), mtime)

    # --- paths -------------------------------------------------------------------------------

    def _inside(self, path: Path) -> Path:
        resolved = path.resolve()
        if resolved != self.objects and self.objects not in resolved.parents:
            raise InvalidEvidenceKey(f"evidence key resolves outside the store ({path})")
        return resolved

    def _versions_dir(self, key: str) -> Path:
        return self._inside(self.objects / validate_key(key)) / VERSIONS_DIR

    def _sidecar(self, key: str, version_id: str) -> Path:
        if not isinstance(version_id, str) or not _VERSION_ID.fullmatch(version_id):
            raise EvidenceMissing(f"{key} has no version {version_id!r}")
        sidecar = self._versions_dir(key) / f"{version_id}.json"
        if not sidecar.is_file():
            raise EvidenceMissing(f"{key} has no version {version_id}")
        return sidecar

    def _data_path(self, key: str, version_id: str) -> Path:
        data = self._sidecar(key, version_id).with_suffix("")
        if not data.is_file():
            raise EvidenceMissing(f"the bytes of {key} version {version_id} are missing")
        return data

    @staticmethod
    def _version_ids(vdir: Path) -> list[str]:
        try:
            names = os.listdir(vdir)
        except FileNotFoundError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".json") and _VERSION_ID.fullmatch(n[:-5]))

    # --- metadata ----------------------------------------------------------------------------

    def _read_meta(self, key: str, version_id: str) -> dict:
        try:
            return json.loads(self._sidecar(key, version_id).read_text())
        except FileNotFoundError:
            raise EvidenceMissing(f"{key} has no version {version_id}") from None

    def _version(self, key: str, version_id: str) -> StoredVersion:
        meta = self._read_meta(key, version_id)
        return StoredVersion(key, version_id, meta["size"], meta["sha256"], meta["content_type"],
                             datetime.fromisoformat(meta["created_at"]))

    @contextmanager
    def _locked_meta(self, key: str, version_id: str):
        """The version's metadata under an exclusive lock, with a function that saves it atomically."""
        sidecar = self._sidecar(key, version_id)
        lock = os.open(sidecar.parent, os.O_RDONLY)  # one lock per key: mutations and deletes serialise
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            meta = self._read_meta(key, version_id)  # re-read: a delete may have won the race
            with _room(f"{key} version {version_id}"):
                yield meta, lambda new: _write_atomic(sidecar, json.dumps(new).encode())
        finally:
            os.close(lock)

    # --- writing -----------------------------------------------------------------------------

    def _receive(self, stream: BinaryIO, limit: int) -> tuple[Path, str, int]:
        """Copy at most `limit + 1` bytes into a new file in incoming/, hashing; (file, sha256, bytes copied)."""
        self.incoming.mkdir(parents=True, exist_ok=True)
        temp = self.incoming / f"{new_version_id()}.part"
        digest, written = hashlib.sha256(), 0
        try:
            with _room(f"upload of {limit} bytes"), temp.open("xb") as out:
                while written <= limit and (chunk := stream.read(min(CHUNK, limit + 1 - written))):
                    digest.update(chunk)
                    out.write(chunk)
                    written += len(chunk)
                out.flush()
                os.fsync(out.fileno())
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        return temp, digest.hexdigest(), written

    def _commit(self, key: str, vdir: Path, temp: Path, digest: str, size: int, content_type: str) -> StoredVersion:
        """Move a received file into place as a new version, then write its sidecar (the commit point)."""
        version = StoredVersion(key, new_version_id(), size, digest, content_type, datetime.now(timezone.utc))
        try:
            vdir.mkdir(parents=True, exist_ok=True)
            data = vdir / version.version_id
            os.chmod(temp, 0o444)
            os.replace(temp, data)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        meta = {"key": key, "version_id": version.version_id, "size": size, "sha256": digest,
                "content_type": content_type, "created_at": version.created_at.isoformat(),
                "legal_hold": False, "retain_until": None, "retention_mode": None}
        try:
            with _room(f"{key} version {version.version_id}"):
                _write_atomic(vdir / f"{version.version_id}.json", json.dumps(meta).encode())
        except BaseException:
            data.unlink(missing_ok=True)  # no sidecar, no version: its bytes must not stay behind
            raise
        return version


@contextmanager
def _room(what: str):
    """Turn a full disk (ENOSPC, EDQUOT) met inside into EvidenceStoreFull."""
    try:
        yield
    except OSError as e:
        if e.errno in _NO_ROOM:
            raise EvidenceStoreFull(f"{what}: the evidence store's disk is full ({e.strerror})") from e
        raise


def _write_atomic(path: Path, data: bytes) -> None:
    """Write via a temp file in the same directory, fsync, rename over, fsync the directory."""
    temp = path.with_name(f".tmp-{secrets.token_hex(8)}")
    try:
        with temp.open("xb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None
