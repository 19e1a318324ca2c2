"""Evidence records: starting, verifying and completing uploads, scoped reads; none of them commits."""
import uuid
from dataclasses import dataclass

from sqlalchemy import delete, func, select, update
from sqlmodel import Session

from infra import repository as repo
from infra.evidence import EvidenceStore, StoredVersion
from models.campaign import Campaign, MicroAbility, SchoolEnrolment, TeacherEnrolment
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.enums import Role
from models.errors import (
    EvidenceLocked, EvidenceMissing, EvidenceNotVerified, EvidenceTooLarge, NotFound, OutOfScope, RuleViolated,
    SchoolLocked,
)
from models.evidence import LOCKED_STATES, Evidence, EvidenceUpload, UploadStatus, evidence_key
from models.file_types import SNIFF_BYTES, content_type_of, mismatches, sniff
from models.org import Person, Principal, Unit
from models.policy import MB, EvidenceItem, EvidenceRules
from models.access import within

UPLOADERS = frozenset({Role.TEACHER, Role.GROUP_LEADER, Role.SCHOOL_ADMIN})


@dataclass(frozen=True)
class UploadRequest:
    """What a caller asks to upload: where it belongs, and the size and SHA-256 it promises."""

    campaign: str
    school: str
    teacher: str | None
    micro_ability: str | None
    item: str
    file_name: str
    size: int
    sha256: str


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
class _School:
    enrolment: SchoolEnrolment
    unit: Unit
    county: Unit
    campaign: Campaign


def _school(session: Session, campaign: str, school: str) -> _School:
    enrolment = repo.school_enrolment(session, campaign, school)
    unit = session.get(Unit, enrolment.school_id)
    return _School(enrolment, unit, session.get(Unit, unit.parent_id), session.get(Campaign, enrolment.campaign_id))


def evidence_rules(campaign: Campaign) -> EvidenceRules:
    """The evidence part of the campaign's policy (its defaults for campaigns created before it existed)."""
    return EvidenceRules.model_validate(campaign.policy.get("evidence") or {})


def refuse_if_locked(enrolment: SchoolEnrolment, school_code: str) -> None:
    """SchoolLocked while the school is in a locked state."""
    if enrolment.state in LOCKED_STATES:
        raise SchoolLocked(school_code, enrolment.state)


def _may_upload(session: Session, user: Principal, school: Unit, teacher: TeacherEnrolment | None) -> None:
    """Teachers upload their own evidence; a school's admin and group leaders upload any of their school's."""
    if user.role not in UPLOADERS:
        raise OutOfScope(f"a {user.role} does not upload evidence; teachers, group leaders and school admins do")
    if not repo.in_subtree(session, user.unit_id, school.id):
        raise OutOfScope(f"school '{school.code}' is outside your unit")
    if user.role == Role.TEACHER and (teacher is None or teacher.teacher_id != user.id):
        raise OutOfScope("a teacher uploads evidence only for themselves")


def _teacher(session: Session, user: Principal, school: _School, username: str | None) -> TeacherEnrolment | None:
    if username is None and user.role == Role.TEACHER:
        username = user.username
    if username is None:
        return None
    found = session.scalars(select(TeacherEnrolment).join(Person, Person.id == TeacherEnrolment.teacher_id).where(
        TeacherEnrolment.school_enrolment_id == school.enrolment.id, Person.username == username)).first()
    if found is None:
        raise NotFound(f"teacher '{username}' is not enrolled at school '{school.unit.code}' in this campaign")
    return found


def _item(rules: EvidenceRules, name: str, size: int, direct: bool) -> EvidenceItem:
    """The policy's item; RuleViolated if it has none of that name, EvidenceTooLarge past its (or a direct) limit."""
    item = rules.items.get(name)
    if item is None:
        known = ", ".join(sorted(rules.items))
        raise RuleViolated("evidence_items", f"item '{name}' is not one of the policy's ({known})")
    if size > item.max_bytes:
        raise EvidenceTooLarge(f"{size} bytes is over item '{name}''s limit of {item.max_mb:g} MB "
                               f"({item.max_bytes} bytes)")
    direct_limit = int(rules.direct_upload_max_mb * MB)
    if direct and size > direct_limit:
        raise EvidenceTooLarge(f"{size} bytes is over the direct upload limit of {rules.direct_upload_max_mb:g} MB "
                               f"({direct_limit} bytes); use POST /evidence/uploads for larger files")
    return item


def _check_micro_ability(session: Session, campaign_id: int, code: str | None) -> None:
    if code is None:
        return
    codes = session.scalars(select(MicroAbility.code).where(MicroAbility.campaign_id == campaign_id)).all()
    if code not in codes:
        raise RuleViolated("catalog", f"micro-ability '{code}' is not in the campaign's catalog")


def start_upload(session: Session, user: Principal, wanted: UploadRequest, direct: bool = False) -> EvidenceUpload:
    """A pending upload under a key the server fixes, after scope, closed campaign, lock, item, size and
    micro-ability checks."""
    school = _school(session, wanted.campaign, wanted.school)
    teacher = _teacher(session, user, school, wanted.teacher)
    _may_upload(session, user, school.unit, teacher)
    refuse_if_closed(school.campaign.code, school.campaign.status, school.campaign.closed_at)
    refuse_if_locked(school.enrolment, school.unit.code)
    _item(evidence_rules(school.campaign), wanted.item, wanted.size, direct)
    _check_micro_ability(session, school.campaign.id, wanted.micro_ability)
    upload = EvidenceUpload(
        campaign_id=school.campaign.id, school_enrolment_id=school.enrolment.id,
        teacher_enrolment_id=teacher.id if teacher else None, micro_ability=wanted.micro_ability, item=wanted.item,
        key=f"pending-{uuid.uuid4().hex}", max_size=wanted.size, size=wanted.size, sha256=wanted.sha256,
        original_name=wanted.file_name, requested_by=user.username, expires_at=utcnow())
    session.add(upload)
    session.flush()  # the key names the upload's id
    teacher_name = session.get(Person, teacher.teacher_id).username if teacher else None
    upload.key = evidence_key(school.campaign.code, school.county.code, school.unit.code, teacher_name,
                              wanted.micro_ability, wanted.item, upload.id)
    return upload


def upload_in_scope(session: Session, user: Principal, upload_id: int) -> EvidenceUpload:
    """The upload, if the caller started it or may upload for its school and teacher."""
    upload = session.get(EvidenceUpload, upload_id)
    if upload is None:
        raise NotFound(f"upload {upload_id} does not exist")
    if upload.requested_by != user.username:
        teacher = session.get(TeacherEnrolment, upload.teacher_enrolment_id) if upload.teacher_enrolment_id else None
        school = session.get(Unit, session.get(SchoolEnrolment, upload.school_enrolment_id).school_id)
        _may_upload(session, user, school, teacher)
    return upload


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
    _discard(store, versions if errors else versions[:-1])
    if errors:
        raise EvidenceNotVerified(upload.id, errors)
    return latest, sniffed


def _discard(store: EvidenceStore, versions: list[StoredVersion]) -> None:
    for version in versions:
        try:
            store.delete(version.key, version.version_id)
        except (EvidenceLocked, EvidenceMissing):
            pass  # held (the school was locked meanwhile) or already gone: nothing to undo


def discard_unrecorded(session: Session, store: EvidenceStore, version: StoredVersion) -> None:
    """Delete a stored version no evidence record names (a direct upload that failed after storing its bytes)."""
    session.rollback()
    recorded = session.scalar(select(Evidence.id).where(Evidence.key == version.key,
                                                        Evidence.version_id == version.version_id))
    session.rollback()
    if recorded is None:
        _discard(store, [version])


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


def _school_unit(session: Session, evidence: Evidence) -> Unit:
    return session.get(Unit, session.get(SchoolEnrolment, evidence.school_enrolment_id).school_id)


def _own_or_school_wide(user: Principal):
    own = select(TeacherEnrolment.id).where(TeacherEnrolment.teacher_id == user.id)
    return Evidence.teacher_enrolment_id.is_(None) | Evidence.teacher_enrolment_id.in_(own)


def evidence_in_scope(session: Session, user: Principal, evidence_id: int) -> Evidence:
    """The evidence record if the caller may see it: inside their unit; a teacher only theirs and school-wide files."""
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"evidence {evidence_id} does not exist")
    school = _school_unit(session, evidence)
    if not repo.in_subtree(session, user.unit_id, school.id):
        raise OutOfScope(f"evidence {evidence_id} belongs to school '{school.code}', outside your unit")
    if user.role == Role.TEACHER and evidence.teacher_enrolment_id is not None and not session.scalar(
            select(TeacherEnrolment.id).where(TeacherEnrolment.id == evidence.teacher_enrolment_id,
                                              TeacherEnrolment.teacher_id == user.id)):
        raise OutOfScope(f"evidence {evidence_id} is another teacher's")
    return evidence


def visible_evidence(session: Session, user: Principal, campaign: str, school: str | None, page: int,
                     page_size: int) -> tuple[int, list[Evidence]]:
    """Evidence of a campaign inside the caller's unit (optionally one school), newest first, paged."""
    campaign_row = repo.campaign_by_code(session, campaign)
    parents = repo.unit_parents(session)
    units = [u for u in parents if within(user.unit_id, u, parents)]
    query = (select(Evidence).join(SchoolEnrolment, SchoolEnrolment.id == Evidence.school_enrolment_id)
             .where(Evidence.campaign_id == campaign_row.id, SchoolEnrolment.school_id.in_(units)))
    if school is not None:
        enrolment = repo.school_enrolment(session, campaign, school)
        if enrolment.school_id not in units:
            raise OutOfScope(f"school '{school}' is outside your unit")
        query = query.where(Evidence.school_enrolment_id == enrolment.id)
    if user.role == Role.TEACHER:
        query = query.where(_own_or_school_wide(user))
    total = session.scalar(select(func.count()).select_from(query.subquery()))
    rows = session.scalars(query.order_by(Evidence.id.desc()).offset((page - 1) * page_size).limit(page_size)).all()
    return total, list(rows)
