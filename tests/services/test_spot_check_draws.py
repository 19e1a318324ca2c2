"""The spot-check draw as a service: the office the policy names draws over its locked schools, each school's move
queued like a decision; nothing waiting, the wrong office and a school drawn before are all handled."""
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlmodel import Session

from application import inbox, moves, spot_check_draws
from application.demo_setup import insert_demo_campaign
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.catalog import load_catalog
from models.clock import utcnow
from models.decisions import SpotCheckPassed
from models.enums import SchoolEvent, SchoolState, TaskKind, TaskStatus
from models.errors import DomainError, OutOfScope, TaskConflict
from models.human_task import HumanTask
from models.org import Unit
from models.outbox import OutboxEntry
from models.policy import load_preset
from models.transition import TransitionRequest

S1, S2 = "DEMO-X1-S001", "DEMO-X1-S002"


def request(campaign: str, school: str, event: SchoolEvent, payload=None) -> TransitionRequest:
    return TransitionRequest(campaign=campaign, county="DEMO-C1-X1", school=school, event=event, actor="tester",
                             payload=payload or {})


def record(uow, campaign: str, school: str, event: SchoolEvent, to_state: SchoolState, payload=None) -> None:
    """Apply a move as the dispatcher's run would, its guards taken as passed (they are tested elsewhere)."""
    req = request(campaign, school, event, payload)
    moves.record_move(uow, req, moves.read_school(uow, req), to_state, None)


def lock(uow, campaign: str, school: str, held: bool = True) -> None:
    """The county passes the school: it locks (its draw task opens) and, if `held`, its evidence is held."""
    enrolment = repo.school_enrolment(uow.session, campaign, school)
    enrolment.state = SchoolState.COUNTY_ASSESSMENT
    uow.session.flush()
    record(uow, campaign, school, SchoolEvent.PASS_COUNTY_ASSESSMENT, SchoolState.LOCKED, {"score": 90})
    enrolment = repo.school_enrolment(uow.session, campaign, school)
    enrolment.evidence_held_at = utcnow() if held else None
    uow.session.flush()


def draw_tasks(uow, campaign: str) -> list[HumanTask]:
    campaign_id = repo.campaign_by_code(uow.session, campaign).id
    return list(uow.session.scalars(select(HumanTask).where(
        HumanTask.campaign_id == campaign_id, HumanTask.kind == TaskKind.SPOT_CHECK_DRAW).order_by(HumanTask.id)))


def queued(uow, campaign: str) -> dict[str, OutboxEntry]:
    return {e.school: e for e in uow.session.scalars(select(OutboxEntry).where(OutboxEntry.campaign == campaign))}


def test_the_county_office_draws_its_locked_schools_and_each_move_is_queued(uow, demo):
    lock(uow, "fast", S1)
    lock(uow, "fast", S2)
    office = repo.active_principal(uow.session, "demo-county-office")  # yanzhou-2022 (003): 区教体局…抽查
    done = spot_check_draws.draw_spot_checks(uow, office, "fast", 20221201)
    assert done.seed == 20221201 and done.ratio == 0.1
    assert [s.school for s, _ in done.schools] == [S1, S2]
    assert sum(s.sampled for s, _ in done.schools) == 1  # 10 % of two schools: at least one
    entries = queued(uow, "fast")
    for school, entry in done.schools:
        assert entries[school.school].id == entry.id and entry.actor == "demo-county-office"
        assert entry.event == (SchoolEvent.SAMPLE_FOR_SPOT_CHECK if school.sampled else SchoolEvent.SKIP_SPOT_CHECK)
        assert entry.payload["sample_seed"] == 20221201 and entry.payload["population_hash"] == done.population_hash
    uow.session.expire_all()  # the completion is a core UPDATE
    tasks = draw_tasks(uow, "fast")
    assert [t.status for t in tasks] == [TaskStatus.COMPLETED] * 2
    assert all(t.decision["kind"] == "spot_check_draw" and t.decided_by == "demo-county-office" for t in tasks)
    assert {t.decision["outcome"] for t in tasks} == {"sample", "skip"}

    with pytest.raises(TaskConflict, match="no locked school"):  # drawn once: nothing waits any more
        spot_check_draws.draw_spot_checks(uow, office, "fast", 1)


@contextmanager
def fresh_uow(engine) -> Iterator[UnitOfWork]:
    """A unit of work of its own, rolled back at the end (the same database state for each draw)."""
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, expire_on_commit=False, join_transaction_mode="create_savepoint")
    try:
        yield UnitOfWork(session)
    finally:
        session.close()
        outer.rollback()
        connection.close()


def six_schools_drawn(engine, seed: int | None) -> tuple[int, str, list[str]]:
    """Six locked schools drawn with `seed`: the seed recorded, the population hash and the sample."""
    with fresh_uow(engine) as unit:
        insert_demo_campaign(unit, "seeded", load_preset("yanzhou-2022"), load_catalog(), 6, 1)
        for n in range(1, 7):
            lock(unit, "seeded", f"DEMO-X1-S00{n}")
        office = repo.active_principal(unit.session, "demo-county-office")
        done = spot_check_draws.draw_spot_checks(unit, office, "seeded", seed)
        return done.seed, done.population_hash, [s.school for s, _ in done.schools if s.sampled]


def test_the_same_seed_over_the_same_schools_draws_the_same_sample_and_no_seed_draws_a_recorded_one(memory_engine):
    first = six_schools_drawn(memory_engine, 7)
    assert six_schools_drawn(memory_engine, 7) == first and len(first[2]) == 1
    assert {tuple(six_schools_drawn(memory_engine, seed)[2]) for seed in range(8)} != {tuple(first[2])}
    seed, digest, _ = six_schools_drawn(memory_engine, None)
    assert 0 <= seed < spot_check_draws.SEEDS and digest == first[1]


def test_only_the_office_the_policy_names_draws(uow, demo):
    lock(uow, "fast", S1)
    for username in ("demo-city-office", "demo-county-expert", "DEMO-X1-S001-admin"):
        with pytest.raises(OutOfScope, match="county office"):
            spot_check_draws.draw_spot_checks(uow, repo.active_principal(uow.session, username), "fast", 1)
    assert queued(uow, "fast") == {}


def test_a_city_policy_draws_at_the_city_and_the_sampled_school_goes_to_the_city_expert(uow):
    insert_demo_campaign(uow, "city", load_preset("zhuzhou-2021"), load_catalog(), 1, 1)  # 000: 市工程办…进行抽查
    lock(uow, "city", S1)
    (task,) = draw_tasks(uow, "city")
    assert task.candidate_role == "city_office" and task.unit_id == uow.session.scalars(select(Unit.id).where(Unit.code == "DEMO-C1")).one()
    county_office = repo.active_principal(uow.session, "demo-county-office")
    with pytest.raises(OutOfScope, match="city office"):
        spot_check_draws.draw_spot_checks(uow, county_office, "city", 1)
    done = spot_check_draws.draw_spot_checks(uow, repo.active_principal(uow.session, "demo-city-office"), "city", 1)
    ((school, _),) = done.schools
    assert school.sampled  # one school: it is the one
    record(uow, "city", S1, SchoolEvent.SAMPLE_FOR_SPOT_CHECK, SchoolState.SPOT_CHECK, school.payload)
    check = uow.session.scalars(select(HumanTask).where(HumanTask.kind == TaskKind.SPOT_CHECK)).one()
    assert check.candidate_role == "city_expert" and check.unit_id == task.unit_id


def test_a_school_whose_evidence_is_not_held_yet_waits_for_a_later_draw(uow, demo):
    lock(uow, "fast", S1)
    lock(uow, "fast", S2, held=False)  # 000: 所有材料锁定，等待市级抽查 — not yet
    done = spot_check_draws.draw_spot_checks(uow, repo.active_principal(uow.session, "demo-county-office"), "fast", 3)
    assert [s.school for s, _ in done.schools] == [S1]
    repo.school_enrolment(uow.session, "fast", S2).evidence_held_at = utcnow()
    uow.session.flush()
    later = spot_check_draws.draw_spot_checks(uow, repo.active_principal(uow.session, "demo-county-office"), "fast", 3)
    assert [s.school for s, _ in later.schools] == [S2] and later.schools[0][0].sampled


def test_a_school_that_locks_again_keeps_its_earlier_draw(uow, demo):
    office = repo.active_principal(uow.session, "demo-county-office")
    lock(uow, "fast", S1)
    lock(uow, "fast", S2)
    first = {s.school: s for s, _ in spot_check_draws.draw_spot_checks(uow, office, "fast", 11).schools}
    for code, school in first.items():
        record(uow, "fast", code, school.event,
               SchoolState.SPOT_CHECK if school.sampled else SchoolState.PROVINCE_AUDIT, school.payload)
    sampled = next(code for code, school in first.items() if school.sampled)
    # the sampled school fails its spot check, rectifies, and the county passes it again
    record(uow, "fast", sampled, SchoolEvent.FAIL_SPOT_CHECK, SchoolState.RECTIFYING, {"reason": "材料不全"})
    lock(uow, "fast", sampled)
    again = spot_check_draws.draw_spot_checks(uow, office, "fast", 12)
    ((school, entry),) = again.schools
    assert (school.school, school.sampled, school.earlier) == (sampled, True, True)
    assert entry.payload["earlier_draw"] is True and entry.event == SchoolEvent.SAMPLE_FOR_SPOT_CHECK


def test_a_draw_task_is_decided_only_by_the_draw(uow, demo):
    lock(uow, "fast", S1)
    (task,) = draw_tasks(uow, "fast")
    office = repo.active_principal(uow.session, "demo-county-office")
    with pytest.raises(DomainError, match="spot-check-draws"):
        inbox.complete_task(uow, office, task.id, SpotCheckPassed(kind="spot_check", outcome="pass"), None)
    assert queued(uow, "fast") == {}
