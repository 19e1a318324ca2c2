"""A school's teachers' progress table: each teacher's standing and what blocks the school's declarations."""
import pytest

from application import school_progress
from infra import repository as repo
from models.enums import SchoolState, TaskKind
from models.errors import OutOfScope
from tests.services.test_school_declarations import _waiting

SCHOOL = "DEMO-X1-S001"


def test_the_table_names_what_of_each_teacher_blocks_which_declaration(uow, demo):
    _, teachers = _waiting(uow, SchoolState.TRAINING, TaskKind.TRAINING_COMPLETION)
    (ready, ready_name), (short, short_name) = teachers
    ready.online_hours, ready.practice_hours, ready.choices = 25, 25, ["A1", "B2", "C4"]
    short.online_hours, short.practice_hours, short.choices = 25, 10, ["A1"]
    uow.session.flush()
    leader = repo.active_principal(uow.session, f"{SCHOOL}-leader")
    rows = {r.username: r for r in school_progress.teachers_progress(uow, leader, "fast", SCHOOL)}
    assert list(rows) == [ready_name, short_name]
    assert [(b.declaration, b.reason) for b in rows[ready_name].blockers] == [("county_application", "no result yet")]
    blocked = [(b.declaration, b.reason.split(":")[0]) for b in rows[short_name].blockers]
    assert blocked[0] == ("training_completion", "hours") and ("training_completion", "choices") in blocked
    assert rows[short_name].hours.shortfall == "practice 10 h < 25 h"
    office = repo.active_principal(uow.session, "demo-county-office")
    assert len(school_progress.teachers_progress(uow, office, "fast", SCHOOL)) == 2


def test_teachers_and_other_schools_do_not_read_it(uow, demo):
    teacher = repo.active_principal(uow.session, f"{SCHOOL}-t001")
    with pytest.raises(OutOfScope):
        school_progress.teachers_progress(uow, teacher, "fast", SCHOOL)
    other = repo.active_principal(uow.session, "DEMO-X1-S002-admin")
    with pytest.raises(OutOfScope):
        school_progress.teachers_progress(uow, other, "fast", SCHOOL)
