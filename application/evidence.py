"""Evidence files, a person's actions: start, complete or directly make an upload, list and read evidence, get a
download link. Who may do what comes from models/access.py; the queries from infra/evidence_records.py.

Three services end their own read transaction (`uow.rollback()`, before anything is written) because what follows
is a slow store call that must hold no transaction: verifying an upload re-reads the whole file, and signing a link
may stat the object. None of them commits.
"""
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO

from infra import evidence_records as records
from infra import repository as repo
from infra.evidence import EvidenceStore, LocalEvidenceStore, StoredVersion, UploadTicket
from infra.evidence.local import DOWNLOAD_PATH, UPLOAD_PATH
from infra.unit_of_work import UnitOfWork
from models.access import UPLOADER_ROLES, own_files_only, within
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.campaign import TeacherEnrolment
from models.errors import EvidenceTooLarge, NotFound, OutOfScope, RuleViolated
from models.evidence import Evidence, EvidenceUpload, UploadStatus
from models.file_types import SNIFF_BYTES, content_type_of, sniff
from models.org import Principal, Unit
from models.policy import MB, EvidenceItem, EvidenceRules

LOCAL_UPLOAD_PATH, LOCAL_DOWNLOAD_PATH = UPLOAD_PATH, DOWNLOAD_PATH
"""Where the local store's upload tickets and download links point (the API serves them)."""


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
class StartedUpload:
    """A started presigned upload: its id, the key the server fixed, its status and the ticket to upload with."""

    id: int
    key: str
    status: str
    ticket: UploadTicket


@dataclass(frozen=True)
class RecordedUpload:
    """The evidence record of a verified upload, whether this call created it, and the stored version it names."""

    evidence: Evidence
    created: bool
    version: StoredVersion | None = None


@dataclass(frozen=True)
class EvidenceListing:
    """One page of evidence and how many there are in all."""

    total: int
    items: list[Evidence]


@dataclass(frozen=True)
class Link:
    """A short-lived download link and when it stops working."""

    url: str
    expires_at: datetime


def _may_upload(uow: UnitOfWork, user: Principal, school: Unit, teacher: TeacherEnrolment | None) -> None:
    """Teachers upload their own evidence; a school's admin and group leaders upload any of their school's."""
    if user.role not in UPLOADER_ROLES:
        raise OutOfScope(f"a {user.role} does not upload evidence; teachers, group leaders and school admins do")
    if not within(user.unit_id, school.id, repo.ancestry_parents(uow.session, school.id)):
        raise OutOfScope(f"school '{school.code}' is outside your unit")
    if own_files_only(user.role) and (teacher is None or teacher.teacher_id != user.id):
        raise OutOfScope("a teacher uploads evidence only for themselves")


def _teacher(uow: UnitOfWork, user: Principal, school: records.EnrolledSchool,
             username: str | None) -> TeacherEnrolment | None:
    """The named teacher's enrolment (a teacher's own when none is named), None for a school-wide file."""
    if username is None and own_files_only(user.role):
        username = user.username
    if username is None:
        return None
    found = records.enrolled_teacher(uow.session, school.enrolment.id, username)
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


def _new_upload(uow: UnitOfWork, user: Principal, wanted: UploadRequest, direct: bool) -> EvidenceUpload:
    """A pending upload under a key the server fixes, after scope, closed campaign, lock, item, size and
    micro-ability checks."""
    school = records.enrolled_school(uow.session, wanted.campaign, wanted.school)
    teacher = _teacher(uow, user, school, wanted.teacher)
    _may_upload(uow, user, school.unit, teacher)
    refuse_if_closed(school.campaign.code, school.campaign.status, school.campaign.closed_at)
    records.refuse_if_locked(school.enrolment, school.unit.code)
    _item(records.evidence_rules(school.campaign), wanted.item, wanted.size, direct)
    if wanted.micro_ability is not None and wanted.micro_ability not in records.catalog_codes(
            uow.session, school.campaign.id):
        raise RuleViolated("catalog", f"micro-ability '{wanted.micro_ability}' is not in the campaign's catalog")
    return records.add_upload(uow.session, school, teacher, wanted.micro_ability, wanted.item, wanted.file_name,
                              wanted.size, wanted.sha256, user.username)


def start_upload(uow: UnitOfWork, user: Principal, store: EvidenceStore, wanted: UploadRequest,
                 lifetime: timedelta) -> StartedUpload:
    """Start a presigned upload straight to storage: the server fixes the key, the ticket caps the promised size."""
    upload = _new_upload(uow, user, wanted, direct=False)
    ticket = store.presign_upload(upload.key, upload.max_size, lifetime)
    upload.expires_at = ticket.expires_at
    return StartedUpload(upload.id, upload.key, upload.status, ticket)


def _upload_in_scope(uow: UnitOfWork, user: Principal, upload_id: int) -> EvidenceUpload:
    """The upload, if the caller started it or may upload for its school and teacher."""
    session = uow.session
    upload = session.get(EvidenceUpload, upload_id)
    if upload is None:
        raise NotFound(f"upload {upload_id} does not exist")
    if upload.requested_by != user.username:
        teacher = session.get(TeacherEnrolment, upload.teacher_enrolment_id) if upload.teacher_enrolment_id else None
        _may_upload(uow, user, records.upload_school_unit(session, upload), teacher)
    return upload


def _verify_and_record(uow: UnitOfWork, store: EvidenceStore, upload: records.PendingUpload) -> RecordedUpload:
    """Verify the stored object (holding no transaction: nothing is written yet), then record it."""
    uow.rollback()
    version, file_type = records.verify_stored(store, upload)
    evidence, created = records.complete(uow.session, upload, version, file_type)
    return RecordedUpload(evidence, created, version)


def complete_upload(uow: UnitOfWork, user: Principal, store: EvidenceStore, upload_id: int) -> RecordedUpload:
    """Verify an uploaded file (it exists; size, SHA-256 and sniffed type as promised) and record it; completing
    again answers the first record (`created` False)."""
    upload = _upload_in_scope(uow, user, upload_id)
    if upload.status == UploadStatus.COMPLETED:
        return RecordedUpload(records.completed_evidence(uow.session, upload.id), False)
    return _verify_and_record(uow, store, records.pending(uow.session, upload))


def begin_direct_upload(uow: UnitOfWork, user: Principal, wanted: UploadRequest) -> records.PendingUpload:
    """The first half of a direct upload: its pending row under the key the server fixes (the caller commits it
    before storing the bytes, so storing holds no transaction)."""
    return records.pending(uow.session, _new_upload(uow, user, wanted, direct=True))


def store_direct_upload(uow: UnitOfWork, user: Principal, store: EvidenceStore, upload: records.PendingUpload,
                        stream: BinaryIO) -> RecordedUpload:
    """The second half: store the file under the upload's key, verify it like a presigned one and record it; a
    failure after storing deletes what it stored (the caller then drops the pending row)."""
    version = store.put(upload.key, stream, upload.size, _sniffed_type(stream))
    try:
        return _verify_and_record(uow, store, upload)
    except BaseException:
        discard_unrecorded(uow, user, store, version)
        raise


def _sniffed_type(stream: BinaryIO) -> str:
    """The file's content type by its first bytes (rewound for storing)."""
    stream.seek(0)
    sniffed = sniff(stream.read(SNIFF_BYTES))
    stream.seek(0)
    return content_type_of(sniffed) if sniffed else "application/octet-stream"


def discard_unrecorded(uow: UnitOfWork, user: Principal, store: EvidenceStore, version: StoredVersion) -> None:
    """Undo a failed direct upload's storing: delete its stored version unless a record names it (read outside the
    failed transaction, holding none while deleting)."""
    uow.rollback()
    recorded = records.is_recorded(uow.session, version.key, version.version_id)
    uow.rollback()
    if not recorded:
        records.discard_versions(store, [version])


def drop_unfinished_upload(uow: UnitOfWork, user: Principal, upload_id: int) -> None:
    """Delete a failed direct upload's row while still pending: no ticket names it, so nothing could finish it."""
    records.drop_unfinished(uow.session, upload_id)


def list_evidence(uow: UnitOfWork, user: Principal, campaign: str, school: str | None, page: int,
                  page_size: int) -> EvidenceListing:
    """Evidence of a campaign inside the caller's unit (optionally one school; a teacher's own and school-wide
    files), newest first, paged."""
    session = uow.session
    campaign_row = repo.campaign_by_code(session, campaign)
    parents = repo.unit_parents(session)
    units = [u for u in parents if within(user.unit_id, u, parents)]
    enrolment_id = None
    if school is not None:
        enrolment = repo.school_enrolment(session, campaign, school)
        if enrolment.school_id not in units:
            raise OutOfScope(f"school '{school}' is outside your unit")
        enrolment_id = enrolment.id
    total, rows = records.evidence_page(session, campaign_row.id, units, enrolment_id,
                                        user.id if own_files_only(user.role) else None, page, page_size)
    return EvidenceListing(total, rows)


def read_evidence(uow: UnitOfWork, user: Principal, evidence_id: int) -> Evidence:
    """One evidence record, if the caller may see it: inside their unit; a teacher only theirs and school-wide
    files."""
    session = uow.session
    evidence = session.get(Evidence, evidence_id)
    if evidence is None:
        raise NotFound(f"evidence {evidence_id} does not exist")
    school = records.evidence_school_unit(session, evidence)
    if not within(user.unit_id, school.id, repo.ancestry_parents(session, school.id)):
        raise OutOfScope(f"evidence {evidence_id} belongs to school '{school.code}', outside your unit")
    if (own_files_only(user.role) and evidence.teacher_enrolment_id is not None
            and not records.is_teachers_own(session, evidence.teacher_enrolment_id, user.id)):
        raise OutOfScope(f"evidence {evidence_id} is another teacher's")
    return evidence


def download_link(uow: UnitOfWork, user: Principal, store: EvidenceStore, evidence_id: int,
                  lifetime: timedelta) -> Link:
    """A short-lived link that downloads an evidence file in the caller's scope under its original name."""
    evidence = read_evidence(uow, user, evidence_id)
    key, version_id, name, kind = evidence.key, evidence.version_id, evidence.original_name, evidence.content_type
    uow.rollback()  # signing may stat the object: hold no transaction meanwhile (nothing was written)
    url = store.presign_download(key, version_id, name, lifetime, kind)
    return Link(url, utcnow() + lifetime)


def local_store(store: EvidenceStore) -> LocalEvidenceStore:
    """The store as the local one, whose tickets and links the API answers; NotFound when the store is S3."""
    if not isinstance(store, LocalEvidenceStore):
        raise NotFound("this server's evidence store is S3: its links point there, not here")
    return store
