"""The API plus bare endpoints doing one single-row update (without and with auth): `api_completions.py`'s baselines."""
from sqlalchemy import text

from api.app import app
from api.deps import CurrentUser, SessionDep
from infra.db import get_engine


@app.post("/bench/touch/{task_id}", include_in_schema=False)
def touch(task_id: int) -> dict[str, int]:
    """One single-row UPDATE and commit, nothing else."""
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE humantask SET version = version + 1 WHERE id = :id"), {"id": task_id})
    return {"id": task_id}



@app.post("/bench/auth/{task_id}", include_in_schema=False)
def touch_auth(task_id: int, user: CurrentUser, session: SessionDep) -> dict[str, int]:
    """The same single-row UPDATE behind the API's bearer-token dependency and request session."""
    session.execute(text("UPDATE humantask SET version = version + 1 WHERE id = :id"), {"id": task_id})
    session.commit()
    return {"id": task_id}
