"""Evidence files: presigned and direct uploads verified before a record exists, scoped reads, short-lived links."""
import logging
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response
from fastapi.routing import APIRoute
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.types import Receive, Scope, Send

from api import idempotency
from api.deps import CurrentUser, StoreDep, UowDep, evidence_store, link_lifetime  # noqa: F401 (overridden)
from api.multipart_forms import file_part, multipart_body, read_form
from api.problems import error_responses
from application import evidence
from models.errors import EvidenceSizeMismatch
from models.evidence import Evidence
from models.file_types import original_file_name
from models.org import Principal
from models.policy import MB
from models.text import one_line, single_line


class SharedPathRoute(APIRoute):
    """A route whose 405 names every method of its path: GET and POST /evidence are two routes, Starlette names one."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an unsupported method with the path's full Allow list; otherwise handle as usual."""
        if self.methods and scope["method"] not in self.methods:
            allowed = {m for r in router.routes if isinstance(r, APIRoute) and r.path == self.path for m in r.methods}
            raise HTTPException(405, headers={"Allow": ", ".join(sorted(allowed))})
        await super().handle(scope, receive, send)


router = APIRouter(tags=["evidence"], responses=error_responses(400, 401, 403, 404, 422, 423),
                   route_class=SharedPathRoute)
Id = Annotated[int, Path(ge=1, le=2**31 - 1)]
IdempotencyKey = Annotated[str | None, Header(max_length=200, description="Repeat a POST safely with the same key.")]
DIRECT_CAP = 100 * MB  # the policy schema's ceiling on direct uploads; each campaign's own limit is checked after
log = logging.getLogger(__name__)
Code, AbilityCode, ItemCode = single_line(64), single_line(16), single_line(32)
_UPLOAD = {"campaign": "live-demo-yanzhou-2022-s2022", "school": "DEMO-X1-S001", "teacher": "DEMO-X1-S001-t001",
           "micro_ability": "A1", "item": "lesson_video", "file_name": "王老师 课堂实录（终稿）.mp4", "size": 73400320,
           "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"}


class UploadFields(BaseModel):
    """Where a file belongs and what it promises to be; the server fixes its key, never from this text."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_UPLOAD]})
    campaign: Code
    school: Code = Field(description="The school's unit code.")
    teacher: Code | None = Field(
        default=None, description="The teacher's username; a teacher's own by default, none for school-wide.")
    micro_ability: AbilityCode | None = None
    item: ItemCode = Field(description="An evidence item of the campaign's policy.")
    file_name: Annotated[str, AfterValidator(one_line), AfterValidator(original_file_name)] = Field(
        min_length=1, max_length=1000, description="The original name, kept for download; a path is refused.")
    size: int = Field(ge=1, le=5 * 1024 * MB, description="Bytes; at most the item's limit.")
    sha256: Annotated[str, AfterValidator(str.lower)] = Field(pattern=r"^[0-9a-fA-F]{64}$")

    def request(self, size: int | None = None) -> evidence.UploadRequest:
        """The domain's upload request."""
        return evidence.UploadRequest(self.campaign, self.school, self.teacher, self.micro_ability, self.item,
                                     self.file_name, self.size if size is None else size, self.sha256)


class DirectFields(UploadFields):
    """A direct upload's fields; `size`, if given, must be the file's."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{
        **{k: v for k, v in _UPLOAD.items() if k != "size"}, "item": "reflection", "file_name": "王老师 教学反思.docx"}]})
    size: int | None = Field(default=None, ge=1, le=DIRECT_CAP)


class Ticket(BaseModel):
    """POST `fields` and then a `file` part as multipart/form-data to `url` (relative for the local store)."""

    url: str
    fields: dict[str, str]
    max_size: int
    expires_at: datetime


class UploadStarted(BaseModel):
    """A started upload: its server-fixed key, the ticket to upload with, and where to complete it."""

    id: int
    key: str
    status: str
    expires_at: datetime
    ticket: Ticket
    links: dict[str, str]


class EvidenceView(BaseModel):
    """One verified evidence file."""

    id: int
    campaign_id: int
    school_enrolment_id: int
    teacher_enrolment_id: int | None
    micro_ability: str | None
    item: str
    key: str
    version_id: str
    size: int
    sha256: str
    content_type: str
    original_name: str
    uploaded_by: str
    created_at: datetime
    held: bool
    retained_until: datetime | None


class EvidencePage(BaseModel):
    """One page of an evidence listing."""

    total: int
    page: int
    page_size: int
    items: list[EvidenceView]


class DownloadLink(BaseModel):
    """A short-lived link that downloads the file under its original name."""

    url: str
    expires_at: datetime


def _view(record: Evidence) -> dict[str, Any]:
    return jsonable_encoder(EvidenceView.model_validate(record, from_attributes=True))


def _recorded(uow: UowDep, user: Principal, recorded: evidence.RecordedUpload, idempotency_key: str | None = None,
              request_hash: str = "") -> JSONResponse:
    """Commit a recorded upload: 201 when this call created the record, 200 when it existed."""
    body, status = _view(recorded.evidence), 201 if recorded.created else 200
    idempotency.remember(uow.session, user, idempotency_key, request_hash, status, body)
    uow.commit()
    return JSONResponse(body, status_code=status, headers={"Location": f"/evidence/{body['id']}"})


@router.post("/evidence/uploads", status_code=201, response_model=UploadStarted, responses=error_responses(409, 413))
def start_upload(body: UploadFields, uow: UowDep, user: CurrentUser, store: StoreDep,
                 idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Start a presigned upload straight to storage: the server fixes the key and caps the size at the promised one."""
    request_hash = idempotency.fingerprint("POST", "/evidence/uploads", body.model_dump(mode="json"))

    def start() -> JSONResponse:
        upload = evidence.start_upload(uow, user, store, body.request(), link_lifetime())
        ticket, complete = upload.ticket, f"/evidence/uploads/{upload.id}/complete"
        answer = jsonable_encoder(UploadStarted(
            id=upload.id, key=upload.key, status=upload.status, expires_at=ticket.expires_at,
            links={"complete": complete}, ticket=Ticket(url=ticket.url, fields=ticket.fields,
                                                        max_size=ticket.max_size, expires_at=ticket.expires_at)))
        idempotency.remember(uow.session, user, idempotency_key, request_hash, 201, answer)
        uow.commit()
        return JSONResponse(answer, status_code=201, headers={"Location": complete})
    return idempotency.once(uow.session, user, idempotency_key, request_hash, start)


@router.post("/evidence/uploads/{upload_id:int}/complete", status_code=201, response_model=EvidenceView,
             responses={200: {"model": EvidenceView, "description": "Completed before: the same record."},
                        **error_responses(409, 503, 507)})
def complete_upload(upload_id: Id, uow: UowDep, user: CurrentUser, store: StoreDep) -> JSONResponse:
    """Verify the uploaded file (it exists; size, SHA-256 and sniffed type as promised), then record it (201).

    A file that is not what was promised is deleted and refused with 422 naming each difference; the upload stays
    open for another try with its ticket. Completing again answers the same record (200).
    """
    return _recorded(uow, user, evidence.complete_upload(uow, user, store, upload_id))


@router.post("/evidence", status_code=201, response_model=EvidenceView, responses=error_responses(409, 413, 503, 507),
             openapi_extra=multipart_body(DirectFields, file={"type": "string", "format": "binary"}))
async def upload_directly(request: Request, uow: UowDep, user: CurrentUser, store: StoreDep,
                          idempotency_key: IdempotencyKey = None) -> JSONResponse:
    """Upload a small file (≤ the policy's direct_upload_max_mb) through the API, verified like a presigned one."""
    form = await read_form(request, DIRECT_CAP)
    try:
        file = file_part(form)
        try:
            fields = DirectFields.model_validate({k: v for k, v in form.multi_items() if k != "file"})
        except ValidationError as e:
            raise RequestValidationError([{**err, "loc": ("body", *err["loc"])} for err in e.errors()]) from None
        if fields.size is not None and fields.size != file.size:
            raise EvidenceSizeMismatch(f"size says {fields.size} bytes but the file has {file.size}")
        return await run_in_threadpool(_direct, uow, user, store, fields, file, idempotency_key)
    finally:
        await form.close()


def _direct(uow: UowDep, user: Principal, store: StoreDep, fields: DirectFields, file: UploadFile,
            idempotency_key: str | None) -> JSONResponse:
    """Two services, two commits: the pending row first (its key names its id, and storing the bytes then holds no
    transaction), then the stored, verified file's record. A failure deletes what it stored and the pending row."""
    wanted = fields.request(size=file.size)
    request_hash = idempotency.fingerprint("POST", "/evidence", {**fields.model_dump(mode="json"), "size": file.size})

    def upload_once() -> JSONResponse:
        upload = evidence.begin_direct_upload(uow, user, wanted)
        uow.commit()
        recorded = None
        try:
            recorded = evidence.store_direct_upload(uow, user, store, upload, file.file)
            return _recorded(uow, user, recorded, idempotency_key, request_hash)
        except BaseException:
            try:
                if recorded is not None:  # stored and recorded, but the record did not commit
                    evidence.discard_unrecorded(uow, user, store, recorded.version)
            finally:
                _drop_unfinished(uow, user, upload.id)
            raise
    return idempotency.once(uow.session, user, idempotency_key, request_hash, upload_once)


def _drop_unfinished(uow: UowDep, user: Principal, upload_id: int) -> None:
    """Delete a failed direct upload's row, so no upload is left pending for good (the request's error stands)."""
    try:
        uow.rollback()
        evidence.drop_unfinished_upload(uow, user, upload_id)
        uow.commit()
    except Exception:  # the database failed too: the request answers with its first error
        uow.rollback()
        log.warning("could not delete the failed direct upload %s; it stays pending", upload_id, exc_info=True)


@router.get("/evidence", response_model=EvidencePage)
def list_evidence(uow: UowDep, user: CurrentUser, campaign: Annotated[str, Query(min_length=1, max_length=64)],
                  school: Annotated[str | None, Query(min_length=1, max_length=64)] = None,
                  page: Annotated[int, Query(ge=1, le=100_000)] = 1,
                  page_size: Annotated[int, Query(ge=1, le=200)] = 50) -> EvidencePage:
    """Evidence of a campaign inside your unit (a teacher: their own and school-wide files), newest first."""
    found = evidence.list_evidence(uow, user, campaign, school, page, page_size)
    return EvidencePage(total=found.total, page=page, page_size=page_size,
                        items=[EvidenceView.model_validate(r, from_attributes=True) for r in found.items])


@router.get("/evidence/{evidence_id:int}", response_model=EvidenceView)
def get_evidence(evidence_id: Id, uow: UowDep, user: CurrentUser) -> EvidenceView:
    """One evidence record, if it is in your scope."""
    return EvidenceView.model_validate(evidence.read_evidence(uow, user, evidence_id), from_attributes=True)


@router.get("/evidence/{evidence_id:int}/download", response_model=DownloadLink, responses=error_responses(503))
def download_link(evidence_id: Id, uow: UowDep, user: CurrentUser, store: StoreDep) -> DownloadLink:
    """A short-lived link (TISHENG_EVIDENCE_LINK_MINUTES) that downloads the file under its original name."""
    link = evidence.download_link(uow, user, store, evidence_id, link_lifetime())
    return DownloadLink(url=link.url, expires_at=link.expires_at)


@router.post(evidence.LOCAL_UPLOAD_PATH + "{token}", status_code=204, response_class=Response,
             responses=error_responses(413, 507),
             openapi_extra=multipart_body(None, key={"type": "string"}, file={"type": "string", "format": "binary"}))
async def receive_local_upload(token: str, request: Request, store: StoreDep) -> Response:
    """The local store's answer to an upload ticket: the token is the permission (key and size limit checked)."""
    local = evidence.local_store(store)
    cap = local.upload_limit(token)  # before reading: a forged ticket gets nothing spooled
    form = await read_form(request, cap)
    try:
        file, key = file_part(form), form.get("key")
        if not isinstance(key, str):
            raise RequestValidationError([{"loc": ("body", "key"), "msg": "the ticket's key field is required"}])
        version = await run_in_threadpool(local.receive_upload, token, file.file, key=key,
                                          content_type=file.content_type or "application/octet-stream")
    finally:
        await form.close()
    return Response(status_code=204, headers={"x-amz-version-id": version.version_id})


@router.get(evidence.LOCAL_DOWNLOAD_PATH + "{token}", response_class=FileResponse, responses={
    200: {"content": {"application/octet-stream": {}}, "description": "The file, named in Content-Disposition."}})
def local_download(token: str, store: StoreDep) -> FileResponse:
    """The local store's answer to a download link: the token is the permission."""
    found = evidence.local_store(store).resolve_download(token)
    return FileResponse(found.path, media_type=found.content_type,
                        headers={"Content-Disposition": found.content_disposition, "X-Content-Type-Options": "nosniff"})
