"""Who owns stored evidence versions: Evidence rows and still-open uploads (read only, never commits)."""
from datetime import UTC, datetime

from sqlalchemy import select
from sqlmodel import Session

from infra import repository as repo
from models.evidence import Evidence, EvidenceUpload, UploadStatus, key_segment
from models.evidence_sweep import Owners


def evidence_owners(session: Session, campaign: str | None = None) -> Owners:
    """The recorded (key, version id) pairs and open uploads' keys with their expiry, of one campaign or all."""
    recorded = select(Evidence.key, Evidence.version_id)
    uploads = select(EvidenceUpload.key, EvidenceUpload.expires_at).where(EvidenceUpload.status == UploadStatus.PENDING)
    if campaign is not None:
        campaign_id = repo.campaign_by_code(session, campaign).id  # NotFound names an unknown campaign
        recorded = recorded.where(Evidence.campaign_id == campaign_id)
        uploads = uploads.where(EvidenceUpload.campaign_id == campaign_id)
    return Owners(frozenset((key, version) for key, version in session.execute(recorded).all()),
                  {key: _aware(expires) for key, expires in session.execute(uploads).all()})


def campaign_prefix(campaign: str | None) -> str:
    """The store prefix under which a campaign's evidence keys live ('' for the whole store)."""
    return f"{key_segment(campaign)}/" if campaign is not None else ""


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # SQLite hands back naive UTC
