"""A teacher's own submissions: submit with a file per required item, resubmit after 不合格, withdraw before grading."""
import pytest
from sqlalchemy import select

from application import my_submissions, my_work
from infra import repository as repo
from models.campaign import Submission, TeacherEnrolment
from models.enums import Grade, SchoolState, SubmissionStatus, TaskKind, TaskStatus
from models.errors import NotFound, RuleViolated, RulesViolated
from models.evidence import Evidence
from models.human_task import HumanTask
from models.org import Person, Principal

SCHOOL = "DEMO-X1-S001"
A1_ITEMS = ["学情分析方案", "学情分析报告"]


def _teachers(uow) -> list[tuple[TeacherEnrolment, Principal]]:
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    teachers = uow.session.scalars(select(TeacherEnrolment).where(
        TeacherEnrolment.school_enrolment_id == enrolment.id).order_by(TeacherEnrolment.id)).all()
    return [(t, Principal.of(uow.session.get(Person, t.teacher_id))) for t in teachers]


def _school(uow, state: SchoolState) -> None:
    enrolment = repo.school_enrolment(uow.session, "fast", SCHOOL)
    enrolment.state = state
    uow.session.flush()


def _upload(uow, teacher: TeacherEnrolment, code: str, item: str) -> int:
    version = len(uow.session.scalars(select(Evidence.id)).all())
    evidence = Evidence(campaign_id=teacher.campaign_id, school_enrolment_id=teacher.school_enrolment_id,
                        teacher_enrolment_id=teacher.id, micro_ability=code, item=item, key=f"k/{teacher.id}/{item}",
                        version_id=f"v{version}", size=10, sha256="0" * 64, content_type="application/pdf",
                        original_name="a.pdf", uploaded_by="t")
    uow.session.add(evidence)
    uow.session.flush()
    return evidence.id


def _ready(uow, state: SchoolState = SchoolState.TRAINING) -> tuple[TeacherEnrolment, Principal, dict[str, int]]:
    """The first teacher, A1 chosen, a design and a report uploaded for A1: the files for A1's two items."""
    teacher, me = _teachers(uow)[0]
    teacher.choices = ["A1", "B2", "C4"]
    _school(uow, state)
    return teacher, me, {item: _upload(uow, teacher, "A1", kind) for item, kind in zip(A1_ITEMS, ["design", "report"])}


def _gradings(uow) -> list[HumanTask]:
    return list(uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.SUBMISSION_GRADING)))


def _graded(uow, submission_id: int, grade: Grade) -> None:
    submission = uow.session.get(Submission, submission_id)
    submission.status, submission.grade = SubmissionStatus.GRADED, grade
    uow.session.flush()


def test_a_submission_in_training_sends_a_file_per_item_and_waits_for_the_review(uow, demo):
    _, me, files = _ready(uow)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    assert (made.micro_ability, made.attempt, made.status, made.evidence) == ("A1", 1, "submitted", files)
    assert _gradings(uow) == []  # entering the school's review opens them
    assert [s.id for s in my_work.my_year(uow, me).enrolments[0].submissions] == [made.id]


def test_a_refused_submission_names_every_rule_and_creates_nothing(uow, demo):
    teacher, me, files = _ready(uow, SchoolState.PLAN_SUBMITTED)
    colleague, _ = _teachers(uow)[1]
    foreign = _upload(uow, colleague, "A1", "report")
    other_ability = _upload(uow, teacher, "B2", "report")
    teacher.choices = ["B2", "C4", "A2"]
    with pytest.raises(RulesViolated) as refused:
        my_submissions.submit_my_work(uow, me, "fast", "A1", {A1_ITEMS[0]: other_ability, A1_ITEMS[1]: foreign,
                                                              "封面": files[A1_ITEMS[0]]})
    assert {e["field"] for e in refused.value.errors} == {"submission_stage", "submission_choice", "evidence_item"}
    assert sum("evidence_item" == e["field"] for e in refused.value.errors) == 3  # two files not for A1, one item
    assert uow.session.scalars(select(Submission)).all() == []
    with pytest.raises(NotFound):
        my_submissions.submit_my_work(uow, me, "fast", "Z9", {})


def test_a_required_item_without_a_file_is_named(uow, demo):
    _, me, files = _ready(uow)
    with pytest.raises(RulesViolated) as refused:
        my_submissions.submit_my_work(uow, me, "fast", "A1", {A1_ITEMS[0]: files[A1_ITEMS[0]]})
    assert str(refused.value) == f"evidence_missing: A1 item '{A1_ITEMS[1]}' names no uploaded file"


def test_during_the_review_a_submission_opens_its_grading_and_after_a_fail_is_made_again(uow, demo):
    _, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    first = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    assert [(t.submission_id, t.status) for t in _gradings(uow)] == [(first.id, TaskStatus.OPEN)]
    with pytest.raises(RulesViolated, match="submission_pending"):
        my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    _graded(uow, first.id, Grade.FAIL)
    again = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    assert again.attempt == 2 and {t.submission_id for t in _gradings(uow)} == {first.id, again.id}
    _graded(uow, again.id, Grade.PASS)
    with pytest.raises(RulesViolated, match="submission_passed: A1 is already graded pass"):
        my_submissions.submit_my_work(uow, me, "fast", "A1", files)


def test_a_withdrawal_cancels_the_open_grading_and_frees_the_next_attempt(uow, demo):
    _, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    first = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    withdrawn = my_submissions.withdraw_my_submission(uow, me, "fast", first.id)
    assert withdrawn.status == "withdrawn" and withdrawn.withdrawn_at is not None
    assert [t.status for t in _gradings(uow)] == [TaskStatus.CANCELLED]
    with pytest.raises(RuleViolated, match="submission_withdrawn"):
        my_submissions.withdraw_my_submission(uow, me, "fast", first.id)
    again = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    assert again.attempt == 2


def test_a_graded_or_decided_submission_is_not_withdrawn_and_others_cannot_touch_it(uow, demo):
    _, me, files = _ready(uow, SchoolState.SCHOOL_REVIEW)
    made = my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    (grading,) = _gradings(uow)
    grading.status = TaskStatus.COMPLETED  # the grader decided; the dispatcher has yet to apply it
    uow.session.flush()
    with pytest.raises(RuleViolated, match="submission_graded"):
        my_submissions.withdraw_my_submission(uow, me, "fast", made.id)
    _, colleague = _teachers(uow)[1]
    with pytest.raises(NotFound):
        my_submissions.withdraw_my_submission(uow, colleague, "fast", made.id)


def test_a_submitted_micro_ability_stays_among_the_choices(uow, demo):
    _, me, files = _ready(uow)
    my_submissions.submit_my_work(uow, me, "fast", "A1", files)
    with pytest.raises(RulesViolated, match="choice_submitted: A1 has a submission"):
        my_work.choose_micro_abilities(uow, me, "fast", ["A2", "B2", "C4"])
