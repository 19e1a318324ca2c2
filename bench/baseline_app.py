"""The API plus a bare endpoint doing one single-row update: the baseline `api_completions.py` compares with."""
from sqlalchemy import text

from api.app import app
from infra.db import get_engine


@app.post("/bench/touch/{task_id}", include_in_schema=False)
def touch(task_id: int) -> dict[str, int]:
    """One single-row UPDATE and commit, nothing else."""
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE humantask SET version = version + 1 WHERE id = :id"), {"id": task_id})
    return {"id": task_id}
