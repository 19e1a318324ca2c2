"""Evidence records: the queries behind starting, verifying and completing uploads and reading evidence.

None of them commits, and none decides who may act: the application layer (application/evidence.py) asks
models/access.py and calls these.
"""
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from infra import repository as repo
from infra.evidence import EvidenceStore, StoredVersion
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, TeacherEnrolment
from models.clock import utcnow
from models.errors import EvidenceLocked, EvidenceMissing, EvidenceNotVerified, SchoolLocked
from models.evidence import LOCKED_STATES, Evidence, EvidenceUpload, UploadStatus, evidence_key
from models.file_types import SNIFF_BYTES, content_type_of, mismatches, sniff
from models.org import Person, Unit
from models.policy import EvidenceRules


@dataclass(frozen=True)
class PendingUpload:
    """An upload's promise, detached from the session so that verifying a large file holds no transaction."""

    id: int
    key: str
    size: int
    sha256: str
    item: str
    types: list[str]
    school_enrolment_id: int


@dataclass(frozen=True)
class EnrolledSchool:
    """A school's enrolment with its unit, county and campaign."""

    enrolment: SchoolEnrolment
    unit: Unit
    county: Unit
    campaign: Campaign


def enrolled_school(session: Session, campaign: str, school: str) -> EnrolledSchool:
    """The school's enrolment in the campaign, with its unit, county and campaign; NotFound otherwise."""
    enrolment = repo.school_enrolment(session, campaign, school)
    unit = session.get(Unit, enrolment.school_id)
    return EnrolledSchool(enrolment, unit, session.get(Unit, unit.parent_id),
                          session.get(Campaign, enrolment.campaign_id))



def evidence_rules(campaign: Campaign) -> EvidenceRules:
    """The evidence part of the campaign's policy (its defaults for campaigns created before it existed)."""
    return EvidenceRules.model_validate(campaign.policy.get("evidence") or {})


def refuse_if_locked(enrolment: SchoolEnrolment, school_code: str) -> None:
    """SchoolLocked while the school is in a locked state."""
    if enrolment.state in LOCKED_STATES:
        raise SchoolLocked(school_code, enrolment.state)


def enrolled_teacher(session: Session, school_enrolment_id: int, username: str) -> TeacherEnrolment | None:
    """The teacher's enrolment at this school enrolment, if they have one."""
    return session.scalars(select(TeacherEnrolment).join(Person, Person.id == TeacherEnrolment.teacher_id).where(
        TeacherEnrolment.school_enrolment_id == school_enrolment_id, Person.username == username,
        TeacherEnrolment.withdrawn_at.is_(None))).first()


def catalog_codes(session: Session, campaign_id: int) -> list[str]:
    """The micro-ability codes of the campaign's catalog."""
    return list(session.scalars(select(MicroAbility.code).where(MicroAbility.campaign_id == campaign_id)).all())


def add_upload(session: Session, school: EnrolledSchool, teacher: TeacherEnrolment | None, micro_ability: str | None,
               item: str, file_name: str, size: int, sha256: str, requested_by: str) -> EvidenceUpload:
    """A pending upload under the key the server fixes (it names the upload's id, so the row is flushed first)."""
    upload = EvidenceUpload(
        campaign_id=school.campaign.id, school_enrolment_id=school.enrolment.id,
        teacher_enrolment_id=teacher.id if teacher else None, micro_ability=micro_ability, item=item,
        key=f"pending-{uuid.uuid4().hex}", max_size=size, size=size, sha256=sha256,
        original_name=file_name, requested_by=requested_by, expires_at=utcnow())
    session.add(upload)
    session.flush()  # the key names the upload's id
    teacher_name = session.get(Person, teacher.teacher_id).username if teacher else None
    upload.key = evidence_key(school.campaign.code, school.county.code, school.unit.code, teacher_name,
                              micro_ability, item, upload.id)
    return upload


def upload_school_unit(session: Session, upload: EvidenceUpload) -> Unit:
    """The school unit an upload is for."""
    return session.get(Unit, session.get(SchoolEnrolment, upload.school_enrolment_id).school_id)


def pending(session: Session, upload: EvidenceUpload) -> PendingUpload:
    """The upload's promise and its item's allowed types; CampaignClosed or SchoolLocked if it may not complete."""
    campaign = repo.writable_campaign(session, upload.campaign_id)
    enrolment = session.get(SchoolEnrolment, upload.school_enrolment_id)
    refuse_if_locked(enrolment, session.get(Unit, enrolment.school_id).code)
    item = evidence_rules(campaign).items.get(upload.item)
    return PendingUpload(upload.id, upload.key, upload.size, upload.sha256, upload.item,
                         list(item.types) if item else [], upload.school_enrolment_id)


def verify_stored(store: EvidenceStore, upload: PendingUpload) -> tuple[StoredVersion, str]:
    """The newest stored version and its sniffed type if they are what was promised; else EvidenceNotVerified.

    A refused version is deleted (unless a hold keeps it), and so is any older version of the key: only the
    verified one may stay, and an upload's key holds nothing else.
    """
    versions = [v for v in store.versions(upload.key) if v.key == upload.key]
    if not versions:
        raise EvidenceNotVerified(upload.id, [{"field": "file", "message": f"nothing was uploaded to {upload.key}"}])
    latest = versions[-1]
    sniffed = sniff(store.head(latest.key, latest.version_id, SNIFF_BYTES))
    sha256 = store.hash_of(latest.key, latest.version_id) if latest.size == upload.size else None
    errors = mismatches(upload.size, upload.sha256, upload.types, upload.item, latest.size, sha256, sniffed)
    discard_versions(store, versions if errors else versions[:-1])
    if errors:
        raise EvidenceNotVerified(upload.id, errors)
    return latest, sniffed


def discard_versions(store: EvidenceStore, versions: list[StoredVersion]) -> None:
    """Delete these stored versions; one a hold now keeps, or already gone, is left as it is."""
    for version in versions:
        try:
            store.delete(version.key, version.version_id)
        except (EvidenceLocked, EvidenceMissing):
            pass  # held (the school was locked meanwhile) or already gone: nothing to undo


def is_recorded(session: Session, key: str, version_id: str) -> bool:
    """Whether an evidence record names this stored version."""
    return session.scalar(select(Evidence.id).where(Evidence.key == key, Evidence.version_id == version_id)) is not None


def drop_unfinished(session: Session, upload_id: int) -> None:
    """Delete an upload still pending (a direct upload that failed: no ticket names it, so nothing could finish it)."""
    session.execute(delete(EvidenceUpload).where(EvidenceUpload.id == upload_id,
                                                 EvidenceUpload.status == UploadStatus.PENDING))


def complete(session: Session, upload: PendingUpload, version: StoredVersion, file_type: str) -> tuple[Evidence, bool]:
    """The evidence record of a verified upload and whether this call created it (a repeat returns the first)."""
    enrolment = session.scalars(select(SchoolEnrolment).where(SchoolEnrolment.id == upload.school_enrolment_id)
                                .with_for_update()).one()  # the lock flow cannot miss a record made meanwhile
    repo.writable_campaign(session, enrolment.campaign_id)  # the closeout may have closed it while we verified
    refuse_if_locked(enrolment, session.get(Unit, enrolment.school_id).code)
    claimed = session.execute(update(EvidenceUpload).where(
        EvidenceUpload.id == upload.id, EvidenceUpload.status == UploadStatus.PENDING,
    ).values(status=UploadStatus.COMPLETED)).rowcount
    if not claimed:
        return completed_evidence(session, upload.id), False
    row = session.get(EvidenceUpload, upload.id)
    evidence = Evidence(
        campaign_id=row.campaign_id, school_enrolment_id=row.school_enrolment_id,
        teacher_enrolment_id=row.teacher_enrolment_id, micro_ability=row.micro_ability, item=row.item, key=row.key,
        version_id=version.version_id, size=version.size, sha256=row.sha256, content_type=content_type_of(file_type),
        original_name=row.original_name, uploaded_by=row.requested_by)
    session.add(evidence)
    session.flush()
    row.evidence_id = evidence.id
    session.flush()
    return evidence, True


def completed_evidence(session: Session, upload_id: int) -> Evidence:
    """The evidence record an upload completed into (read fresh: another request may have just made it)."""
    evidence_id = session.scalar(select(EvidenceUpload.evidence_id).where(EvidenceUpload.id == upload_id))
    return session.get(Evidence, evidence_id)


def evidence_school_unit(session: Session, evidence: Evidence) -> Unit:
    """The school unit an evidence record belongs to."""
    return session.get(Unit, session.get(SchoolEnrolment, evidence.school_enrolment_id).school_id)


def is_teachers_own(session: Session, teacher_enrolment_id: int, person_id: int) -> bool:
    """Whether the teacher enrolment is this person's."""
    return session.scalar(select(TeacherEnrolment.id).where(TeacherEnrolment.id == teacher_enrolment_id,
                                                            TeacherEnrolment.teacher_id == person_id)) is not None


def evidence_page(session: Session, campaign_id: int, school_units: list[int], enrolment_id: int | None,
                  own_files_of: int | None, page: int, page_size: int) -> tuple[int, list[Evidence]]:
    """Evidence of a campaign at these schools (or one school enrolment), newest first, paged; with `own_files_of`
    only that person's own files and the school-wide ones."""
    query = (select(Evidence).join(SchoolEnrolment, SchoolEnrolment.id == Evidence.school_enrolment_id)
             .where(Evidence.campaign_id == campaign_id, SchoolEnrolment.school_id.in_(school_units)))
    if enrolment_id is not None:
        query = query.where(Evidence.school_enrolment_id == enrolment_id)
    if own_files_of is not None:
        own = select(TeacherEnrolment.id).where(TeacherEnrolment.teacher_id == own_files_of)
        query = query.where(Evidence.teacher_enrolment_id.is_(None) | Evidence.teacher_enrolment_id.in_(own))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Evidence.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return total, list(rows)
