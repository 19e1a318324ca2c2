"""The FastAPI application: thin routes over the domain, problem+json for every error."""
from fastapi import FastAPI

from api import docs, problems
from api.problems import error_responses
from api.routes import auth, campaigns, evidence, notifications, people, tasks

app = FastAPI(
    title="Tisheng",
    summary="提升工程2.0 approval pipeline: where every school stands, and why.",
    version="0.1.0",
    responses=error_responses(503),  # any operation, while the database cannot be reached
    docs_url=None,  # api/docs.py serves /docs and /redoc with their assets from the app
    redoc_url=None,
)
problems.install(app)
docs.install(app)
app.include_router(auth.router)
app.include_router(campaigns.router)
app.include_router(tasks.router)
app.include_router(evidence.router)
app.include_router(notifications.router)
app.include_router(people.router)


@app.get("/health", tags=["health"])
def health() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}
