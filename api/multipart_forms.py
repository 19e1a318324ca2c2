"""Multipart forms read by hand, so that an upload's size is checked before its body is parsed."""
from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from starlette.datastructures import FormData, UploadFile
from starlette.formparsers import MultiPartException, MultiPartParser

from models.errors import EvidenceTooLarge

FORM_OVERHEAD = 64 * 1024
"""Boundaries, part headers and the small fields around the file."""


def multipart_body(model: type[BaseModel] | None, **extra: dict) -> dict:
    """An OpenAPI request body for a multipart form read by hand (so its size is checked before it is parsed)."""
    schema = model.model_json_schema() if model else {"type": "object", "properties": {}}
    schema["properties"].update(extra)
    schema["required"] = [*schema.get("required", []), *extra]
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": schema}}}}


async def read_form(request: Request, cap: int) -> FormData:
    """The multipart form; EvidenceTooLarge as soon as the body (declared or streamed) passes `cap` plus overhead."""
    limit = cap + FORM_OVERHEAD
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise EvidenceTooLarge(f"the request carries {declared} bytes; this upload takes at most {cap}")
    if not request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        raise RequestValidationError([{"loc": ("header", "content-type"), "msg": "must be multipart/form-data"}])

    async def capped():
        seen = 0
        async for chunk in request.stream():
            seen += len(chunk)
            if seen > limit:
                raise EvidenceTooLarge(f"the upload passed its limit of {cap} bytes")
            yield chunk
    try:
        return await MultiPartParser(request.headers, capped(), max_files=1, max_fields=20).parse()
    except MultiPartException as e:
        raise RequestValidationError([{"loc": ("body",), "msg": e.message}]) from None


def file_part(form: FormData) -> UploadFile:
    """The form's file part named 'file'; a validation error without one."""
    file = form.get("file")
    if not isinstance(file, UploadFile):
        raise RequestValidationError([{"loc": ("body", "file"), "msg": "a file part named 'file' is required"}])
    return file
