"""The demo: load a campaign from a preset and drive every school through the lifecycle."""
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from prefect import flow

from application import demo, spot_check_draws
from flows.dispatch import dispatch_once
from flows.grading import apply_grading_decisions
from flows.transition import run_transition
from infra.evidence import get_evidence_store
from infra.unit_of_work import committed
from models.campaign import MicroAbility
from models.catalog import load_catalog
from models.enums import SchoolEvent as E, SchoolState as S
from models.errors import RuleViolated
from models.plan import PLAN_FILES, PLAN_ITEM, REPORT_ITEM
from models.policy import Policy, load_preset
from models.simulation import DemoScript
from models.transition import TransitionOutcome, TransitionRequest
from tasks.demo_setup import DemoRoster, insert_demo_campaign, load_school_roster
from tasks.teacher_work import record_teacher_work


@flow(name="demo-campaign-setup", flow_run_name="set up · {campaign}", persist_result=False)
def set_up_demo_campaign(campaign: str, preset: str | Policy, schools: int, teachers: int) -> DemoRoster:
    """Create a demo campaign under a policy (a preset's name, or an office's own) with the shipped catalog."""
    policy = load_preset(preset) if isinstance(preset, str) else preset
    return insert_demo_campaign(campaign, policy, load_catalog(), schools, teachers)


@flow(name="demo-teacher-work", flow_run_name="teacher work · {school}", persist_result=False)
def simulate_teacher_work(campaign: str, school: str, seed: int) -> int:
    """Simulated teachers log their hours and submit evidence for their micro-abilities."""
    roster = load_school_roster(campaign, school)
    work = DemoScript(seed, [school]).school_work(school, roster.teachers, roster.school_set, roster.catalog,
                                                  roster.policy)
    return record_teacher_work(roster.enrolment_id, work)


def file_plan_documents(campaign: str, school: str, script: DemoScript, attempt: int = 1) -> dict[str, int]:
    """The school admin uploads the plan's three documents as evidence files (each a direct upload: its pending
    row committed, then the stored file's record); their evidence ids by plan field."""
    return {document: _school_upload(campaign, school, PLAN_ITEM, *script.plan_document(school, document, attempt))
            for document in PLAN_FILES}


def file_application_reports(campaign: str, school: str, script: DemoScript, names: list[str]) -> dict[str, int]:
    """The school admin uploads the reports its county application attaches; their evidence ids by name."""
    return {name: _school_upload(campaign, school, REPORT_ITEM, *script.report_document(school, name))
            for name in names}


def _school_upload(campaign: str, school: str, item: str, name: str, body: bytes) -> int:
    upload = committed(demo.begin_school_upload, campaign, school, item, name, body)
    return committed(demo.store_school_upload, get_evidence_store(), school, upload, body)


@dataclass
class DemoRun:
    """Timings of every flow run the demo started, by the state it led to."""

    roster: DemoRoster
    seconds_by_state: dict[str, list[float]] = field(default_factory=dict)
    other_runs: dict[str, list[float]] = field(default_factory=dict)

    def timed(self, label: str, fn: Callable, *args, **kwargs):
        """Run fn, recording its duration under label."""
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        self.other_runs.setdefault(label, []).append(time.perf_counter() - start)
        return result


class DemoDriver:
    """Plays every person of the demo campaign, one decision at a time, each applied by a flow run; what they read
    or decide outside a transition is a service of application/demo.py in a unit of work of its own."""

    def __init__(self, roster: DemoRoster, seed: int, progress: Callable[[str], None] = lambda _: None):
        self.run = DemoRun(roster)
        self.seed = seed
        self.script = DemoScript(seed, roster.schools)
        self.progress = progress
        self.attempts: dict[tuple[str, str], int] = {}

    def _state(self, school: str) -> demo.SchoolStanding:
        return committed(demo.school_standing, self.run.roster.campaign, school)

    def _apply(self, school: str, event: E, actor: str, payload: dict | None = None) -> TransitionOutcome:
        state, version, task_id, _ = self._state(school)
        request = TransitionRequest(
            campaign=self.run.roster.campaign, county=self.run.roster.county, school=school, event=event,
            actor=actor, payload=payload or {}, expected_version=version, task_id=task_id,
        )
        start = time.perf_counter()
        outcome = run_transition(request)
        self.run.seconds_by_state.setdefault(outcome.to_state, []).append(time.perf_counter() - start)
        return outcome

    def _attempt(self, school: str, step: str) -> int:
        self.attempts[(school, step)] = self.attempts.get((school, step), 0) + 1
        return self.attempts[(school, step)]

    def step(self, school: str) -> bool:
        """Take the next decision for a school; False when it waits on the city or has ended."""
        state, _, _, policy = self._state(school)
        admin, county, campaign = f"{school}-admin", "demo-county-office", self.run.roster.campaign
        if state in (S.PLAN_DRAFTING, S.PLAN_RETURNED):
            files = file_plan_documents(campaign, school, self.script, self._attempt(school, "plan files"))
            self._apply(school, E.SUBMIT_PLAN, admin, {"plan": self.script.plan(school, files, self._catalog())})
        elif state is S.PLAN_SUBMITTED:
            if self.script.returns_plan(school, self._attempt(school, "plan")):
                self._apply(school, E.RETURN_PLAN, county, {"reason": "研修主题与学校发展规划不一致，请修改后重新报送"})
            else:
                self._apply(school, E.FILE_PLAN, county, {"comment": "同意备案"})
        elif state is S.TRAINING:
            self.run.timed("teacher work", simulate_teacher_work, campaign, school, self.seed)
            self._apply(school, E.FINISH_TRAINING, admin)
        elif state is S.SCHOOL_REVIEW:
            self._grade_all(school)
            names = Policy.model_validate(policy).application_reports
            reports = file_application_reports(campaign, school, self.script, names) if names else {}
            self._apply(school, E.APPLY_FOR_COUNTY_ASSESSMENT, admin, {"reports": reports} if reports else None)
        elif state is S.COUNTY_ASSESSMENT:
            self._assess(school, Policy.model_validate(policy))
        elif state is S.RECTIFYING:
            self._apply(school, E.FINISH_RECTIFICATION, admin, {"report": "已补齐校本研修实践活动记录"})
        elif state is S.SPOT_CHECK:
            expert = f"demo-{Policy.model_validate(policy).spot_check_by}-expert"
            self._apply(school, E.PASS_SPOT_CHECK, expert, {"comment": "抽查合格"})
        elif state is S.PROVINCE_AUDIT:
            self._apply(school, E.ACCEPT_BY_PROVINCE, "demo-province-auditor", {"comment": "审核通过"})
        else:
            return False
        return True

    def _catalog(self) -> dict[str, MicroAbility]:
        return committed(demo.campaign_catalog, self.run.roster.campaign)

    def _assess(self, school: str, policy: Policy) -> None:
        """The county expert scores the school, asking for 优秀 only while the county's cap has room; should the
        cap fill meanwhile, the refusal is taken and the school passed without it."""
        teachers = self.run.roster.teachers_per_school
        committed(demo.verify_presenters, "demo-county-expert", self.run.roster.campaign, school)
        passes, payload = self.script.county_decision(school, self._attempt(school, "county"), policy, teachers)
        if passes and payload.get("excellent") and not committed(
                demo.excellent_room, self.run.roster.campaign, school, policy):
            payload = {**payload, "excellent": False}
        if not passes:
            self._apply(school, E.FAIL_COUNTY_ASSESSMENT, "demo-county-expert", payload)
            return
        try:
            self._apply(school, E.PASS_COUNTY_ASSESSMENT, "demo-county-expert", payload)
        except RuleViolated as exc:
            if exc.rule != "excellent_cap":
                raise
            self._apply(school, E.PASS_COUNTY_ASSESSMENT, "demo-county-expert", {**payload, "excellent": False})

    def _grade_all(self, school: str) -> None:
        campaign = self.run.roster.campaign
        committed(demo.grade_submissions, f"{school}-leader", campaign, school, self.script)
        self.run.timed("grading", apply_grading_decisions, campaign, school)
        if committed(demo.confirm_grades, f"{school}-admin", campaign, school):  # the school confirms (two levels)
            self.run.timed("grading", apply_grading_decisions, campaign, school)

    def _draw(self) -> None:
        """The office the policy names draws the spot check; the dispatcher applies the queued moves."""
        campaign = self.run.roster.campaign
        office = committed(demo.spot_check_office, campaign)
        committed(spot_check_draws.draw_spot_checks, office, campaign, self.seed)
        while dispatch_once()["applied"]:
            pass

    def drive(self) -> DemoRun:
        """Every school to lock, the city's draw, then spot checks and province audit to the end."""
        for school in self.run.roster.schools:
            while self.step(school):
                pass
            self.progress(school)
        self.run.timed("spot-check draw", self._draw)
        for school in self.run.roster.schools:
            while self.step(school):
                pass
        return self.run


def run_demo(preset: str | Policy, schools: int, teachers: int, seed: int, campaign: str | None = None,
             progress: Callable[[str], None] = lambda _: None) -> DemoRun:
    """Set up a demo campaign and drive it to the end; deterministic for a given seed."""
    code = campaign or f"demo-{preset if isinstance(preset, str) else preset.name}-s{seed}"
    roster = set_up_demo_campaign(code, preset, schools, teachers)
    return DemoDriver(roster, seed, progress).drive()


def set_up_live_campaign(code: str, schools: int, seed: int) -> DemoRoster:
    """A campaign whose schools have filed their plans and wait on the county office (for trying the inbox)."""
    roster = set_up_demo_campaign(code, "yanzhou-2022", schools, 20)
    driver = DemoDriver(roster, seed)
    catalog = driver._catalog()
    for school in roster.schools:
        files = file_plan_documents(code, school, driver.script)
        driver._apply(school, E.SUBMIT_PLAN, f"{school}-admin", {"plan": driver.script.plan(school, files, catalog)})
    return roster


def load_demo_campaigns(code: str, schools: int, seed: int, teachers: int = 20) -> dict[str, str]:
    """What `tisheng up` loads: the finished demo campaign, its live twin waiting on reviewers, and each one's
    progress table published once, so the Prefect UI's Artifacts page is not empty until the first Monday;
    returns the artifact key per campaign."""
    from flows.progress import weekly_progress

    run_demo("yanzhou-2022", schools, teachers, seed, code)
    set_up_live_campaign(f"live-{code}", schools, seed)
    return {**weekly_progress(code), **weekly_progress(f"live-{code}")}
