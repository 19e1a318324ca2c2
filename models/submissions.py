"""A teacher's own submission: when one may be made or withdrawn, and the evidence it must name per item."""
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from models.enums import Grade, SchoolState, SubmissionStatus
from models.errors import RuleViolated

SUBMITTING_STATES = frozenset({SchoolState.TRAINING, SchoolState.SCHOOL_REVIEW, SchoolState.RECTIFYING})
"""States in which teachers submit: while training, and again after 不合格 during the school's review or a
rectification."""

GRADING_AT_ONCE = frozenset({SchoolState.SCHOOL_REVIEW, SchoolState.RECTIFYING})
"""States in which a submission opens its grading task at once (in training, entering the review opens them all)."""


@dataclass(frozen=True)
class Attempt:
    """The latest attempt a teacher made at a micro-ability (a withdrawn attempt does not count)."""

    status: SubmissionStatus
    grade: Grade | None


@dataclass(frozen=True)
class SubmissionRequest:
    """What a submission is checked against: the school's state, the teacher's choices and last attempt, the
    micro-ability's required evidence items (the catalog's deliverables), the evidence named for each, the teacher's
    uploads for the micro-ability, and any peer review still owed."""

    state: SchoolState
    code: str
    choices: Sequence[str]
    latest: Attempt | None
    required_items: Sequence[str]
    offered: Mapping[str, int]       # required item -> the evidence id the teacher sends for it
    uploaded: Collection[int]        # the teacher's evidence ids for this micro-ability
    peer_review_shortfall: str | None


def submission_problems(request: SubmissionRequest) -> list[RuleViolated]:
    """Every rule the submission breaks: its stage, choice, last attempt, peer review owed, and each required item
    that names no file of the teacher's for this micro-ability."""
    problems = _standing_problems(request)
    for item in request.offered:
        if item not in request.required_items:
            problems.append(RuleViolated("evidence_item", f"'{item}' is not an evidence item of {request.code} "
                                                          f"(items: {', '.join(request.required_items)})"))
    for item in request.required_items:
        if item not in request.offered:
            problems.append(RuleViolated("evidence_missing", f"{request.code} item '{item}' names no uploaded file"))
        elif request.offered[item] not in request.uploaded:
            problems.append(RuleViolated("evidence_item", f"evidence {request.offered[item]} is not your upload "
                                                          f"for {request.code}"))
    return problems


def _standing_problems(request: SubmissionRequest) -> list[RuleViolated]:
    problems = []
    if request.state not in SUBMITTING_STATES:
        problems.append(RuleViolated("submission_stage", f"your school is in {request.state}; work is submitted "
                                                         "in training, the school's review or a rectification"))
    if request.code not in request.choices:
        problems.append(RuleViolated("submission_choice",
                                     f"{request.code} is not among your chosen micro-abilities"))
    if request.latest is not None and request.latest.status in (SubmissionStatus.SUBMITTED, SubmissionStatus.PROPOSED):
        problems.append(RuleViolated("submission_pending", f"your submission for {request.code} awaits grading; "
                                                           "withdraw it to submit again"))
    elif request.latest is not None and request.latest.grade not in (None, Grade.FAIL):
        problems.append(RuleViolated("submission_passed", f"{request.code} is already graded {request.latest.grade}"))
    if request.peer_review_shortfall:
        problems.append(RuleViolated("peer_review_first", request.peer_review_shortfall))
    return problems


def withdrawal_problem(status: SubmissionStatus, grading_decided: bool) -> RuleViolated | None:
    """Why a submission cannot be withdrawn (only one awaiting a grade may be), or None."""
    if status == SubmissionStatus.WITHDRAWN:
        return RuleViolated("submission_withdrawn", "the submission is already withdrawn")
    if status != SubmissionStatus.SUBMITTED or grading_decided:
        return RuleViolated("submission_graded", "the submission is graded, or its grade is being applied")
    return None
