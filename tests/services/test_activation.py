"""Teachers imported without a password get an activation code once, and set their own password with it."""
from datetime import timedelta

import pytest
from sqlalchemy import select

from application import auth
from application.activation import activate_account
from application.imports import CodesNotKept, import_users
from application.people import set_person_active
from application.tokens import create_service_token
from infra import imports as rows
from infra.settings import Settings
from models.audit import AuditEntry
from models.enums import Role
from models.errors import ActivationRefused, LoginLocked, PasswordTooShort
from models.login_throttle import LoginThrottle
from models.roster import RosterLine

SCHOOL, OTHER = "DEMO-X1-S001", "DEMO-X1-S002"


def teacher(username: str, unit: str = SCHOOL, password: str = "", n: int = 2) -> RosterLine:
    return RosterLine(username, f"教师 {username}", Role.TEACHER, unit, password, n)


def person(uow, username: str):
    return rows.person_rows_by_username(uow.session, [username])[username]


def codes_of(result) -> dict[str, str]:
    return {c.username: c.code for c in result.codes}


@pytest.fixture
def settings():
    return Settings()


def test_people_without_a_password_get_a_code_once_and_only_its_digest_is_stored(uow, demo):
    done = import_users(uow, [teacher("new-t1"), teacher("new-t2", n=3), teacher("new-t3", password="own-pass-1", n=4)])
    assert (done.users, done.created, done.updated) == (3, 3, 0)
    assert done.counts() == {"users": 3, "created": 3, "activation codes": 2}
    issued = {c.username: c for c in done.codes}
    assert sorted(issued) == ["new-t1", "new-t2"]
    assert (issued["new-t1"].name, issued["new-t1"].unit_code) == ("教师 new-t1", SCHOOL)
    stored = person(uow, "new-t1")
    assert stored.password_hash is None and stored.activation_digest != issued["new-t1"].code
    assert len(stored.activation_digest) == 64 and stored.activation_expires_at is not None
    assert person(uow, "new-t3").activation_digest is None and person(uow, "new-t3").password_hash
    again = import_users(uow, [teacher("new-t1"), teacher("new-t2", n=3)])
    assert (again.created, again.updated, again.codes) == (0, 0, [])  # a code in hand is not replaced
    assert person(uow, "new-t1").activation_digest == stored.activation_digest


def test_an_expired_code_is_replaced_by_the_next_import(uow, demo, settings):
    first = codes_of(import_users(uow, [teacher("late-t1")]))["late-t1"]
    expired = person(uow, "late-t1").activation_expires_at - timedelta(days=31)
    rows.update_people(uow.session, [{**person(uow, "late-t1")._mapping, "activation_expires_at": expired}])
    second = codes_of(import_users(uow, [teacher("late-t1")]))["late-t1"]
    assert second != first
    assert activate_account(uow, settings, "late-t1", first, "new-pass-1", None).refusal is not None
    assert activate_account(uow, settings, "late-t1", second, "new-pass-1", None).activated() == "late-t1"


def test_an_import_that_cannot_keep_codes_refuses_before_storing_anything(uow, demo):
    with pytest.raises(CodesNotKept) as refused:
        import_users(uow, [teacher("kept-t1"), teacher("kept-t2", n=3)], issue_codes=False)
    assert refused.value.count == 2 and rows.person_rows_by_username(uow.session, ["kept-t1"]) == {}
    done = import_users(uow, [teacher("kept-t3", password="own-pass-1")], issue_codes=False)
    assert done.created == 1  # no code needed: fine without a place to keep codes


def test_the_schools_touched_include_the_one_a_moved_teacher_left(uow, demo):
    import_users(uow, [teacher("mover")])
    school, other = (rows.unit_rows_by_code(uow.session, [code])[code].id for code in (SCHOOL, OTHER))
    assert import_users(uow, [teacher("stayer")]).school_unit_ids == {school}
    moved = import_users(uow, [teacher("mover", unit=OTHER)])
    assert moved.school_unit_ids == {school, other} and moved.updated == 1
    assert person(uow, "mover").unit_id == other


def test_an_updated_line_changes_only_what_the_file_says(uow, demo):
    import_users(uow, [RosterLine("upd-t1", "旧名", Role.TEACHER, SCHOOL, "", 2, "old@example.org")])
    digest = person(uow, "upd-t1").activation_digest
    done = import_users(uow, [teacher("upd-t1")])  # no email column: the stored one stays
    assert done.updated == 1
    assert (person(uow, "upd-t1").name, person(uow, "upd-t1").email) == ("教师 upd-t1", "old@example.org")
    assert person(uow, "upd-t1").activation_digest == digest
    import_users(uow, [teacher("upd-t1", password="given-pass-1")])
    assert person(uow, "upd-t1").activation_digest is None  # a password in the file spends the code


def test_the_code_sets_the_password_once_and_the_person_can_log_in(uow, demo, settings):
    code = codes_of(import_users(uow, [teacher("first-t1")]))["first-t1"]
    typed = code.lower().replace("-", "")
    assert activate_account(uow, settings, "first-t1", typed, "my-own-pass", "10.0.0.9").activated() == "first-t1"
    assert person(uow, "first-t1").activation_digest is None
    assert auth.log_in(uow, settings, "first-t1", "my-own-pass", "10.0.0.9").token()
    again = activate_account(uow, settings, "first-t1", code, "another-pass", "10.0.0.9")
    with pytest.raises(ActivationRefused):
        again.activated()
    events = uow.session.scalars(select(AuditEntry.event).order_by(AuditEntry.id)).all()
    assert "activate_account" in events


def test_every_failure_answers_the_same_and_counts_against_the_throttle(uow, demo, settings):
    done = codes_of(import_users(uow, [teacher("f-t1"), teacher("f-off", n=3), teacher("f-other", n=4)]))
    set_person_active(uow, "cli", "f-off", False)
    create_service_token(uow, "f-sync", "county_office", "DEMO-C1-X1", None)
    attempts = [("f-t1", "WRONG-CODE-0000"), ("nobody", done["f-t1"]), ("f-off", done["f-off"]),
                ("f-sync", done["f-t1"]), ("f-t1", done["f-other"])]
    details = set()
    for username, code in attempts:
        with pytest.raises(ActivationRefused) as refused:
            activate_account(uow, settings, username, code, "good-pass-1", "10.0.0.7").activated()
        details.add((refused.value.status_code, refused.value.detail))
    assert len(details) == 1 and details.pop()[0] == 400
    assert uow.session.get(LoginThrottle, "user:f-t1").failures == 2
    assert uow.session.get(LoginThrottle, "ip:10.0.0.7").failures == 5


def test_the_fifth_wrong_code_locks_the_username_even_for_the_right_one(uow, demo, settings):
    code = codes_of(import_users(uow, [teacher("lock-t1")]))["lock-t1"]
    for _ in range(4):
        assert isinstance(activate_account(uow, settings, "lock-t1", "AAAA-AAAA-AAAA", "good-pass-1", None).refusal,
                          ActivationRefused)
    assert isinstance(activate_account(uow, settings, "lock-t1", "AAAA-AAAA-AAAA", "good-pass-1", None).refusal,
                      LoginLocked)
    with pytest.raises(LoginLocked):
        activate_account(uow, settings, "lock-t1", code, "good-pass-1", None)
    assert person(uow, "lock-t1").password_hash is None


def test_a_short_password_is_refused_naming_the_field(uow, demo, settings):
    code = codes_of(import_users(uow, [teacher("short-t1")]))["short-t1"]
    with pytest.raises(PasswordTooShort) as refused:
        activate_account(uow, settings, "short-t1", code, "short", None)
    assert refused.value.status_code == 422 and refused.value.errors[0]["field"] == "body.password"
    assert person(uow, "short-t1").activation_digest is not None
