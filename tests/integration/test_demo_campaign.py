"""The demo campaign runs end to end under a real Prefect, on SQLite and on PostgreSQL."""
from sqlalchemy import select, text

from flows.demo import run_demo
from infra import repository as repo
from infra.db import get_engine, session_scope
from models.audit import AuditEntry, verify_chain
from models.campaign import TeacherEnrolment


def _verify() -> object:
    with session_scope() as session:
        return verify_chain(repo.audit_entries(session))


def test_five_schools_reach_certification_with_rework(database, prefect_harness, campaign_code):
    run = run_demo("yanzhou-2022", schools=5, teachers=6, seed=11, campaign=campaign_code)

    with session_scope() as session:
        histories = repo.school_histories(session, campaign_code)
        credited = session.scalars(select(TeacherEnrolment.credited_hours).where(
            TeacherEnrolment.campaign_id == repo.campaign_by_code(session, campaign_code).id)).all()
    assert [state for _, state, _ in histories] == ["certified"] * 5
    events = [e.event for _, _, entries in histories for e in entries]
    assert events.count("return_plan") == 1 and events.count("fail_county_assessment") == 1
    assert events.count("finish_rectification") == 1
    assert events.count("sample_for_spot_check") >= 1  # ≥ 10 % of 5 schools, at least one
    assert all(e.flow_run_id for _, _, entries in histories for e in entries)
    assert credited == [50.0] * 30  # 5 schools × 6 teachers, each credited the policy's 50 hours
    assert sum(len(v) for v in run.seconds_by_state.values()) == len(events) - 5  # sampling ran as one bulk run
    assert failed_runs(campaign_code) == []  # the county asks for 优秀 only while its cap has room


def failed_runs(campaign: str) -> list[str]:
    """Names of the campaign's flow runs that ended Failed (noise in the Prefect UI when nothing went wrong)."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter, FlowRunFilterState, FlowRunFilterStateType, FlowRunFilterTags,
    )
    from prefect.client.schemas.objects import StateType

    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            tags=FlowRunFilterTags(all_=[f"campaign:{campaign}"]),
            state=FlowRunFilterState(type=FlowRunFilterStateType(any_=[StateType.FAILED]))))
    return [r.name for r in runs]


def test_audit_chain_verifies_and_detects_an_altered_entry(database, prefect_harness, campaign_code):
    run_demo("yanzhou-2022", schools=2, teachers=3, seed=5, campaign=campaign_code)
    report = _verify()
    assert report.ok and report.entries > 0

    with session_scope() as session:
        victim = session.scalars(select(AuditEntry).where(AuditEntry.event == "fail_county_assessment")
                                 .order_by(AuditEntry.id.desc())).first()
        original = victim.actor
    with get_engine().begin() as conn:
        conn.execute(text("UPDATE auditentry SET actor = 'someone-else' WHERE id = :id"), {"id": victim.id})
    try:
        broken = _verify()
        assert not broken.ok and broken.broken_at == victim.id
    finally:
        with get_engine().begin() as conn:
            conn.execute(text("UPDATE auditentry SET actor = :a WHERE id = :id"), {"a": original, "id": victim.id})
    assert _verify().ok


def test_same_seed_gives_the_same_transitions(database, prefect_harness, campaign_code):
    runs = []
    for suffix in ("a", "b"):
        run_demo("yanzhou-2022", schools=3, teachers=3, seed=99, campaign=f"{campaign_code}{suffix}")
        with session_scope() as session:
            histories = repo.school_histories(session, f"{campaign_code}{suffix}")
        runs.append([(code, state, [(e.event, e.from_state, e.to_state) for e in entries])
                     for code, state, entries in histories])
    assert runs[0] == runs[1]


def test_loading_the_demo_publishes_each_campaigns_progress_table(database, prefect_harness, campaign_code):
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    from flows.demo import load_demo_campaigns
    from models.progress import progress_artifact_key

    keys = load_demo_campaigns(campaign_code, schools=5, seed=11, teachers=6)
    assert keys == {c: progress_artifact_key(c) for c in (campaign_code, f"live-{campaign_code}")}
    with get_client(sync_client=True) as client:
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=list(keys.values()))))
    assert sorted(a.key for a in artifacts) == sorted(keys.values()) and all(a.type == "table" for a in artifacts)
