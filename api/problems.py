"""One place that turns every error into problem+json (RFC 9457)."""
import logging
import re

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from sqlalchemy.exc import InterfaceError, OperationalError, TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Receive, Scope, Send

from models.errors import DatabaseUnavailable, DomainError

log = logging.getLogger(__name__)
PROBLEM = "application/problem+json"


class Problem(BaseModel):
    """An RFC 9457 problem document."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"type": "about:blank", "title": "Forbidden", "status": 403, "detail": "task 195 is outside your unit"},
        {"type": "about:blank", "title": "Invalid request", "status": 422, "detail": "1 field(s) are invalid",
         "errors": [{"field": "body.plan_review.return.reason", "message": "Field required"}]}]})
    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    errors: list[dict] | None = None


def problem(status: int, title: str, detail: str | None = None, errors: list[dict] | None = None) -> JSONResponse:
    """A problem+json response."""
    body = Problem(title=title, status=status, detail=detail, errors=errors).model_dump(exclude_none=True)
    return JSONResponse(body, status_code=status, media_type=PROBLEM)


class RefuseNulBytes:
    """PostgreSQL text cannot hold NUL: refuse it in the URL before any route reads it (plain ASGI, no task hop)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            raw = scope.get("raw_path") or scope["path"].encode()
            if b"\x00" in raw or b"%00" in raw.lower() or b"%00" in scope.get("query_string", b"").lower() \
                    or "\x00" in scope["path"]:
                await problem(422, "Invalid request", "NUL bytes are not allowed in the URL")(scope, receive, send)
                return
        await self.app(scope, receive, send)


UNPARSABLE_BODY = "There was an error parsing the body"


def install(app: FastAPI) -> None:
    """Register the handlers: domain errors, validation errors, HTTP errors and anything unexpected."""

    app.add_middleware(RefuseNulBytes)

    @app.exception_handler(DomainError)
    async def domain_error(_: Request, exc: DomainError) -> JSONResponse:
        response = problem(exc.status_code, exc.title, exc.detail, exc.errors)
        if exc.status_code == 401:
            response.headers["WWW-Authenticate"] = "Bearer"
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(PoolTimeout)
    async def database_unavailable(request: Request, exc: Exception) -> JSONResponse:
        # The server stopped or restarting, connections cut, or the pool exhausted. A cut during COMMIT leaves it
        # unknown whether the request took effect: repeating it with its Idempotency-Key is safe either way.
        log.warning("database unavailable: %s", str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return await domain_error(request, DatabaseUnavailable(
            "the database cannot be reached just now; repeat the request (with the same Idempotency-Key) shortly"))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()]
        return problem(422, "Invalid request", f"{len(errors)} field(s) are invalid", errors)

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, exc: HTTPException) -> JSONResponse:
        if exc.status_code == 400 and exc.detail == UNPARSABLE_BODY:  # FastAPI's words for undecodable bytes
            return problem(400, "Invalid request body", "the body could not be parsed: send UTF-8 JSON (or the form "
                                                        "the operation documents)")
        response = problem(exc.status_code, str(exc.detail), None)
        response.headers.update(exc.headers or {})  # e.g. Allow on 405
        if exc.status_code == 405:  # Starlette names the first route of the path only; a path may have several
            response.headers["Allow"] = allowed_methods(request)
        return response

    @app.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", exc_info=exc)
        return problem(500, "Internal error", "the error was logged")


def allowed_methods(request: Request) -> str:
    """Every method the app documents for this request's path, for a 405's Allow header (Starlette names the
    methods of the first matching route only, and a path may have several templates)."""
    path = request.scope.get("path", "")
    matching = {template: operations for template, operations in request.app.openapi().get("paths", {}).items()
                if re.fullmatch(re.sub(r"\\{[^/]+\\}", "[^/]+", re.escape(template)), path)}
    # /evidence/uploads is its own resource, not an instance of /evidence/{evidence_id}: the most literal path wins
    literal = {template: template.count("/") - template.count("{") for template in matching}
    most = max(literal.values(), default=0)
    methods = {method.upper() for template, operations in matching.items() if literal[template] == most
               for method in operations}
    return ", ".join(sorted(methods))


def error_responses(*codes: int) -> dict[int, dict]:
    """OpenAPI entries documenting problem+json answers for these status codes."""
    return {code: {"model": Problem, "content": {PROBLEM: {}}} for code in codes}
