"""Evidence files: their records, the uploads that precede them, and the pure rules about keys, types and sizes."""
import re
import unicodedata
from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.clock import utcnow
from models.enums import SchoolState

LOCKED_STATES = frozenset({SchoolState.LOCKED, SchoolState.SPOT_CHECK, SchoolState.PROVINCE_AUDIT,
                           SchoolState.CERTIFIED})
"""States in which nothing of the school may change (000: 测评合格后，所有材料锁定) until a rectification reopens it."""


class Evidence(SQLModel, table=True):
    """One stored version of one evidence file, with its checksum, original name and lock state."""

    __table_args__ = (UniqueConstraint("key", "version_id"),)
    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    school_enrolment_id: int = Field(foreign_key="schoolenrolment.id", index=True)
    teacher_enrolment_id: int | None = Field(default=None, foreign_key="teacherenrolment.id", index=True)
    micro_ability: str | None = Field(default=None, max_length=16)
    item: str = Field(max_length=32)
    key: str = Field(max_length=512)
    version_id: str = Field(max_length=128)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    content_type: str = Field(max_length=100)
    original_name: str = Field(max_length=255)
    uploaded_by: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow)
    held: bool = Field(default=False, index=True)
    retained_until: datetime | None = None


class UploadStatus(StrEnum):
    """Where a started upload stands."""

    PENDING = "pending"
    COMPLETED = "completed"


class EvidenceUpload(SQLModel, table=True):
    """A started upload: the key the server fixed, the limits it promised; becomes Evidence on completion."""

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", index=True)
    school_enrolment_id: int = Field(foreign_key="schoolenrolment.id", index=True)
    teacher_enrolment_id: int | None = Field(default=None, foreign_key="teacherenrolment.id")
    micro_ability: str | None = Field(default=None, max_length=16)
    item: str = Field(max_length=32)
    key: str = Field(max_length=512, unique=True)
    max_size: int = Field(sa_type=BigInteger)
    size: int = Field(sa_type=BigInteger)
    sha256: str = Field(max_length=64)
    original_name: str = Field(max_length=255)
    requested_by: str = Field(max_length=64)
    status: UploadStatus = Field(default=UploadStatus.PENDING, sa_type=String(16))
    evidence_id: int | None = Field(default=None, foreign_key="evidence.id")
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime


_SAFE = re.compile(r"[^A-Za-z0-9_-]")


def key_segment(value: str) -> str:
    """A code made safe as one key segment: ASCII letters, digits, '-' and '_' only (codes are ours, not users')."""
    cleaned = _SAFE.sub("_", value)
    if not cleaned.strip("_"):
        raise ValueError(f"'{value}' gives an empty key segment")
    return cleaned


def evidence_key(campaign: str, county: str, school: str, teacher: str | None, micro_ability: str | None,
                 item: str, upload_id: int) -> str:
    """The object key the server fixes: campaign/county/school/teacher/micro-ability/item-upload (never user text)."""
    parts = [campaign, county, school, teacher or "_school", micro_ability or "_all", f"{item}-{upload_id}"]
    return "/".join(key_segment(p) for p in parts)


def clean_file_name(name: str) -> str:
    """The original file name kept for download: its last path part, printable, at most 255 characters."""
    base = re.split(r"[\\/]", name)[-1]
    printable = "".join(c for c in unicodedata.normalize("NFC", base) if unicodedata.category(c)[0] != "C")
    printable = printable.strip().strip(".")
    if not printable:
        raise ValueError("the file name is empty once path parts and control characters are removed")
    return printable[:255]
