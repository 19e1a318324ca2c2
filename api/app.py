"""The FastAPI application: thin routes over the domain, problem+json for every error."""
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import ASGIApp

from api import docs, problems
from api.headers import SecurityHeaders
from api.problems import error_responses
from api.routes import (
    auth, bulk_decisions, campaigns, enrolment, evidence, me, notifications, people, school_progress, spot_check_draws,
    tasks, units,
)
from infra.log_redaction import install_redaction, settings_secrets
from infra.settings import get_settings


class TishengAPI(FastAPI):
    """FastAPI with the security headers outside Starlette's error middleware, so a 500 carries them too."""

    def build_middleware_stack(self) -> ASGIApp:
        """The usual stack, wrapped in SecurityHeaders."""
        return SecurityHeaders(super().build_middleware_stack())


app = TishengAPI(
    title="Tisheng",
    summary="提升工程2.0 approval pipeline: where every school stands, and why.",
    version="0.1.0",
    responses=error_responses(503),  # any operation, while the database cannot be reached
    docs_url=None,  # api/docs.py serves /docs and /redoc with their assets from the app
    redoc_url=None,
)
problems.install(app)
docs.install(app)
try:  # after uvicorn's and Prefect's logging set-up: the access log and every handler they made get the filter
    install_redaction(settings_secrets(get_settings()))
except ValidationError:  # bad settings are reported by the first request that needs them; the patterns still apply
    install_redaction()
app.include_router(auth.router)
app.include_router(me.router)
app.include_router(campaigns.router)
app.include_router(school_progress.router)
app.include_router(spot_check_draws.router)
app.include_router(enrolment.router)
app.include_router(units.router)
app.include_router(bulk_decisions.router)  # before tasks: /tasks/complete is no task id
app.include_router(tasks.router)
app.include_router(evidence.router)
app.include_router(notifications.router)
app.include_router(people.router)


@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}
