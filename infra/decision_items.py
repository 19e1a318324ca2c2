"""Checks a decision's item names against what its task is about, when the decision is recorded."""
from pydantic import BaseModel
from sqlalchemy import select
from sqlmodel import Session

from models.campaign import Campaign, MicroAbility, Submission
from models.enums import TaskKind
from models.grading import refuse_unknown_items
from models.human_task import HumanTask
from models.rubric import load_rubric, refuse_unknown_scores


def check_decision_items(session: Session, task: HumanTask, decision: BaseModel) -> None:
    """Refuse (UnknownItems, 422) grades of items the submission's micro-ability lacks, or scores off the rubric."""
    if task.kind == TaskKind.SUBMISSION_GRADING or (task.kind == TaskKind.GRADE_CONFIRMATION and decision.items):
        code, evidence_items = session.execute(
            select(MicroAbility.code, MicroAbility.evidence_items)
            .join(Submission, Submission.micro_ability_id == MicroAbility.id)
            .where(Submission.id == task.submission_id)).one()
        refuse_unknown_items(code, evidence_items, decision.items)
    elif task.kind in (TaskKind.COUNTY_ASSESSMENT_SCORING, TaskKind.COUNTY_APPLICATION):
        rubric_name = session.scalar(select(Campaign.policy).where(Campaign.id == task.campaign_id)).get("rubric")
        if rubric_name is not None:
            rubric = load_rubric(rubric_name)
            for field in ("scores", "self_scores"):
                refuse_unknown_scores(rubric, field, getattr(decision, field, None) or {})
