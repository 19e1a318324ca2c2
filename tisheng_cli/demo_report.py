"""Shapes the demo's outcome for people (a per-stage table) and for programs (--json)."""
from statistics import mean

from rich.table import Table

from models.audit import AuditEntry
from models.enums import SchoolState

STAGE_LABELS = {
    SchoolState.PLAN_DRAFTING: "规划编制 plan drafting",
    SchoolState.PLAN_SUBMITTED: "规划待备案 plan submitted",
    SchoolState.PLAN_RETURNED: "规划退回 plan returned",
    SchoolState.TRAINING: "全员研修 training",
    SchoolState.SCHOOL_REVIEW: "本校审查 school review",
    SchoolState.COUNTY_ASSESSMENT: "县级考核 county assessment",
    SchoolState.RECTIFYING: "整改 rectifying",
    SchoolState.LOCKED: "锁定 locked",
    SchoolState.SPOT_CHECK: "市级抽查 spot check",
    SchoolState.PROVINCE_AUDIT: "省级审核 province audit",
    SchoolState.CERTIFIED: "整校通过 certified",
    SchoolState.INCOMPLETE: "未完成 incomplete",
}

History = list[tuple[str, str, list[AuditEntry]]]


def as_json(histories: History) -> dict:
    """The --json document: every school's final state and its transitions with their flow runs."""
    return {"schools": [
        {"code": code, "final_state": state, "transitions": [
            {"event": e.event, "from": e.from_state, "to": e.to_state, "flow_run": e.flow_run_id} for e in entries
        ]}
        for code, state, entries in histories
    ]}


def stage_table(histories: History, seconds_by_state: dict[str, list[float]]) -> Table:
    """Per stage: schools that reached it, how often it was entered, schools ending there, ms per run."""
    table = Table(title="Demo campaign by stage")
    for column in ("stage", "schools reached", "times entered", "ending here", "ms per flow run"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for state, label in STAGE_LABELS.items():
        reached = {code for code, _, entries in histories for e in entries if e.to_state == state}
        if state == SchoolState.PLAN_DRAFTING:
            reached = {code for code, _, _ in histories}
        entered = sum(1 for _, _, entries in histories for e in entries if e.to_state == state)
        ending = sum(1 for _, final, _ in histories if final == state)
        runs = seconds_by_state.get(state, [])
        table.add_row(label, str(len(reached)), str(entered), str(ending), f"{mean(runs) * 1000:.0f}" if runs else "–")
    return table
