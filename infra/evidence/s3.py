"""The S3 evidence store (MinIO in production) over the minio SDK: the server enforces holds and retention."""
from __future__ import annotations

import hashlib
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import BinaryIO

import urllib3
from minio import Minio
from minio.commonconfig import COMPLIANCE, ENABLED
from minio.datatypes import PostPolicy
from minio.error import MinioException, S3Error
from minio.retention import Retention

from infra.evidence.store import (
    CHUNK, Leftover, StoredVersion, UploadTicket, content_disposition, retain_until, sha256_of, validate_key,
    validate_prefix,
)
from models.errors import (
    DomainError, EvidenceLocked, EvidenceMissing, EvidenceSizeMismatch, EvidenceStoreMisconfigured,
    EvidenceStoreUnavailable, EvidenceTooLarge, InvalidRetention, SignedLinkRefused,
)

MIB = 1024 * 1024
SHA256_META = "sha256"
SPOOL_IN_MEMORY = 8 * MIB
_MISSING = {"NoSuchKey", "NoSuchVersion", "NoSuchObjectLockConfiguration"}
_REFUSED_LINK = {"SignatureDoesNotMatch", "InvalidPolicyDocument", "ExpiredToken", "InvalidAccessKeyId",
                 "AuthorizationQueryParametersError"}


def domain_error(code: str, message: str, what: str) -> DomainError:
    """The domain error for an S3 error `code` met while doing `what` ('delete', 'retention', 'upload', …)."""
    if code in _MISSING:
        return EvidenceMissing(f"{what}: no such evidence object or version")
    if code == "EntityTooLarge":
        return EvidenceTooLarge(f"{what}: {message}")
    if code == "AccessDenied" and "object lock" in message.lower():
        return EvidenceLocked(f"{what}: the version is under legal hold or COMPLIANCE retention ({message})")
    if what.startswith("upload") and (code in _REFUSED_LINK or code in ("AccessDenied", "EntityTooSmall")):
        return SignedLinkRefused(f"{what}: {message}")
    if code == "InvalidArgument" and "retain until" in message.lower():
        return InvalidRetention(f"{what}: {message}")
    if code in ("NoSuchBucket", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidBucketName"):
        return EvidenceStoreMisconfigured(f"{what}: S3 {code}: {message}")
    return EvidenceStoreUnavailable(f"{what}: S3 {code}: {message}")


def upload_refusal(status: int, body: str) -> DomainError:
    """The domain error for an S3 answer refusing a presigned POST upload (status and XML body)."""
    code = _xml_text(body, "Code") or f"HTTP {status}"
    return domain_error(code, _xml_text(body, "Message") or body[:200], "upload")


def _xml_text(body: str, tag: str) -> str | None:
    found = re.search(rf"<{tag}>(.*?)</{tag}>", body, re.S)
    return found.group(1) if found else None


class S3EvidenceStore:
    """Evidence in one object-lock bucket; every call's S3 refusal becomes a domain error."""

    def __init__(self, endpoint: str, access_key: str, secret_key: str, bucket: str, *, secure: bool = True,
                 region: str = "us-east-1", public_endpoint: str | None = None, part_size: int = 5 * MIB):
        self.bucket = bucket
        self.region = region
        self.part_size = part_size
        http = urllib3.PoolManager(
            maxsize=32, timeout=urllib3.Timeout(connect=5, read=120),
            retries=urllib3.Retry(total=3, backoff_factor=0.2, status_forcelist=[500, 502, 503, 504]))
        self.client = Minio(endpoint, access_key, secret_key, secure=secure, region=region, http_client=http)
        # Presigned URLs sign the host, so links for browsers are made by a client that names the public one.
        self.public = Minio(public_endpoint or endpoint, access_key, secret_key, secure=secure, region=region)
        self.public_url = f"{'https' if secure else 'http'}://{public_endpoint or endpoint}/{bucket}"

    @contextmanager
    def _s3(self, what: str):
        """Turn S3 refusals and connection failures met inside into domain errors."""
        try:
            yield
        except S3Error as e:
            raise domain_error(e.code or "", e.message or "", what) from e
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as e:
            raise EvidenceStoreUnavailable(f"{what}: evidence store unreachable ({type(e).__name__}: {e})") from e

    def ensure_ready(self) -> None:
        """Create the bucket with object lock (hence versioning), or check an existing one has both."""
        with self._s3(f"ensure bucket {self.bucket}"):
            if not self.client.bucket_exists(self.bucket):
                try:
                    self.client.make_bucket(self.bucket, location=self.region, object_lock=True)
                except S3Error as e:
                    if e.code not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                        raise
            versioning = self.client.get_bucket_versioning(self.bucket).status
            try:
                self.client.get_object_lock_config(self.bucket)
            except S3Error as e:
                if e.code != "ObjectLockConfigurationNotFoundError":
                    raise
                versioning = None
        if versioning != ENABLED:
            raise EvidenceStoreMisconfigured(f"bucket {self.bucket} exists without object lock and versioning; "
                                             "evidence needs a bucket created with object lock")

    def put(self, key: str, stream: BinaryIO, size: int, content_type: str) -> StoredVersion:
        """Hash `size` bytes into a spool file, then upload them (multipart past `part_size`) as a new version."""
        validate_key(key)
        with tempfile.SpooledTemporaryFile(SPOOL_IN_MEMORY) as spool:
            digest, written = hashlib.sha256(), 0
            while written <= size and (chunk := stream.read(min(CHUNK, size + 1 - written))):
                digest.update(chunk)
                spool.write(chunk)
                written += len(chunk)
            if written != size:
                raise EvidenceSizeMismatch(f"declared {size} bytes for {key!r} but the stream carried "
                                           f"{'more' if written > size else written}")
            spool.seek(0)
            with self._s3(f"put {key}"):
                result = self.client.put_object(self.bucket, key, spool, size, content_type=content_type,
                                                metadata={SHA256_META: digest.hexdigest()}, part_size=self.part_size)
        return StoredVersion(key, result.version_id, size, digest.hexdigest(), content_type,
                             result.last_modified or datetime.now(timezone.utc))

    def presign_upload(self, key: str, max_size: int, expires: timedelta) -> UploadTicket:
        """A POST policy for exactly `key`, 0..max_size bytes, any Content-Type; the form carries `key`."""
        validate_key(key)
        expires_at = datetime.now(timezone.utc) + expires
        policy = PostPolicy(self.bucket, expires_at)
        policy.add_equals_condition("key", key)
        policy.add_starts_with_condition("Content-Type", "")
        policy.add_content_length_range_condition(0, max_size)
        fields = {**self.public.presigned_post_policy(policy), "key": key}
        return UploadTicket(self.public_url, fields, key, max_size, expires_at)

    def latest(self, key: str) -> StoredVersion | None:
        """The current version of `key`, or None."""
        validate_key(key)
        try:
            return self._stat(key, None)
        except EvidenceMissing:
            return None

    def versions(self, prefix: str) -> list[StoredVersion]:
        """Every version under `prefix` (no sha256 or content type: listings do not carry them)."""
        validate_prefix(prefix)
        by_key: dict[str, list[StoredVersion]] = {}
        with self._s3(f"list {prefix!r}"):
            for o in self.client.list_objects(self.bucket, prefix=prefix, recursive=True, include_version=True):
                if not o.is_delete_marker:
                    by_key.setdefault(o.object_name, []).append(
                        StoredVersion(o.object_name, o.version_id, o.size, None, None, o.last_modified))
        return [v for key in sorted(by_key) for v in reversed(by_key[key])]  # S3 lists newest first

    def open(self, key: str, version_id: str) -> Iterator[bytes]:
        """The version's bytes in chunks; the connection is released when the iterator ends or is closed."""
        validate_key(key)
        with self._s3(f"read {key} version {version_id}"):
            response = self.client.get_object(self.bucket, key, version_id=version_id)

        def chunks() -> Iterator[bytes]:
            try:
                with self._s3(f"read {key} version {version_id}"):
                    yield from response.stream(CHUNK)
            finally:
                response.close()
                response.release_conn()
        return chunks()

    def head(self, key: str, version_id: str, n: int = 8192) -> bytes:
        """The first `n` bytes (a range read)."""
        validate_key(key)
        with self._s3(f"read {key} version {version_id}"):
            try:
                response = self.client.get_object(self.bucket, key, offset=0, length=n, version_id=version_id)
            except S3Error as e:
                if e.code != "InvalidRange":
                    raise
                response = None
        if response is None:  # an empty object has no range to read
            self._stat(key, version_id)
            return b""
        try:
            return response.read()
        finally:
            response.close()
            response.release_conn()

    def hash_of(self, key: str, version_id: str) -> str:
        """SHA-256 of the stored bytes, re-read in full."""
        return sha256_of(self.open(key, version_id))

    def presign_download(self, key: str, version_id: str, filename: str, expires: timedelta,
                         content_type: str = "application/octet-stream") -> str:
        """A presigned GET whose answer carries `filename` in Content-Disposition and `content_type`."""
        self._stat(key, version_id)
        return self.public.presigned_get_object(
            self.bucket, key, expires=expires, version_id=version_id,
            response_headers={"response-content-disposition": content_disposition(filename),
                              "response-content-type": content_type})

    def set_legal_hold(self, key: str, version_id: str, on: bool) -> None:
        """Put or lift the legal hold."""
        validate_key(key)
        with self._s3(f"legal hold on {key} version {version_id}"):
            if on:
                self.client.enable_object_legal_hold(self.bucket, key, version_id=version_id)
            else:
                self.client.disable_object_legal_hold(self.bucket, key, version_id=version_id)

    def legal_hold(self, key: str, version_id: str) -> bool:
        """Whether the version is under legal hold."""
        validate_key(key)
        self._stat(key, version_id)  # the hold query answers False for versions that do not exist
        with self._s3(f"legal hold of {key} version {version_id}"):
            return self.client.is_object_legal_hold_enabled(self.bucket, key, version_id=version_id)

    def set_retention(self, key: str, version_id: str, until: datetime) -> None:
        """COMPLIANCE retention until `until`; the server refuses shortening (EvidenceLocked)."""
        validate_key(key)
        until = retain_until(until)
        with self._s3(f"retention of {key} version {version_id}"):
            self.client.set_object_retention(self.bucket, key, Retention(COMPLIANCE, until), version_id=version_id)

    def retention(self, key: str, version_id: str) -> datetime | None:
        """The retain-until date, or None."""
        validate_key(key)
        self._stat(key, version_id)
        with self._s3(f"retention of {key} version {version_id}"):
            config = self.client.get_object_retention(self.bucket, key, version_id=version_id)
        return config.retain_until_date if config else None

    def delete(self, key: str, version_id: str) -> None:
        """Remove the version; the server refuses while held or retained (EvidenceLocked)."""
        self._stat(key, version_id)  # S3 answers a delete of an unknown version with success or InvalidArgument
        with self._s3(f"delete {key} version {version_id}"):
            self.client.remove_object(self.bucket, key, version_id=version_id)

    def leftovers(self) -> list[Leftover]:
        """Incomplete multipart uploads (a crashed put), named `key<TAB>upload id`."""
        found, key_marker, id_marker = [], None, None
        with self._s3("list incomplete uploads"):
            while True:
                page = self.client._list_multipart_uploads(self.bucket, key_marker=key_marker,
                                                           upload_id_marker=id_marker)
                found += [Leftover(f"{u.object_name}\t{u.upload_id}", u.initiated_time) for u in page.uploads]
                if not page.is_truncated:
                    break
                key_marker, id_marker = page.next_key_marker, page.next_upload_id_marker
        return sorted(found, key=lambda f: (f.created_at, f.name))

    def remove_leftover(self, name: str) -> None:
        """Abort one incomplete multipart upload; EvidenceMissing if the name is not one."""
        key, _, upload_id = name.partition("\t")
        if not upload_id:
            raise EvidenceMissing(f"{name!r} is not an incomplete upload of the S3 evidence store")
        validate_key(key)
        with self._s3(f"abort upload {upload_id} of {key}"):
            try:
                self.client._abort_multipart_upload(self.bucket, key, upload_id)
            except S3Error as e:
                if e.code == "NoSuchUpload":
                    raise EvidenceMissing(f"{key} has no incomplete upload {upload_id}") from e
                raise

    def _stat(self, key: str, version_id: str | None) -> StoredVersion:
        validate_key(key)
        with self._s3(f"{key} version {version_id or 'latest'}"):
            st = self.client.stat_object(self.bucket, key, version_id=version_id)
        return StoredVersion(key, st.version_id, st.size, st.metadata.get(f"x-amz-meta-{SHA256_META}"),
                             st.content_type, st.last_modified)
