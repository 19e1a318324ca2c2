"""Enrolment (002 参训学校名单): a region's office enrols its schools, their teachers follow the roster, and each
newly enrolled school gets its plan_submission task. Both services append to the audit chain: run them through
application.concurrency (commit_with_retry / committed_with_retry)."""
from collections import Counter
from dataclasses import dataclass

from infra import enrolment as rows
from infra import repository as repo
from infra.unit_of_work import UnitOfWork
from models.access import is_office, within
from models.audit import AuditEntry
from models.campaign import Campaign
from models.clock import utcnow
from models.closeout import refuse_if_closed
from models.enums import UnitLevel
from models.errors import OutOfScope, RuleViolated
from models.org import Principal
from models.policy import Policy
from models.roster_sync import RosterChanges, roster_changes


@dataclass(frozen=True)
class SchoolsEnrolled:
    """What an enrolment did: the schools newly enrolled, those enrolled already, the teachers it enrolled."""

    campaign: str
    enrolled: list[str]
    already: list[str]
    teachers_enrolled: int
    plan_tasks_opened: int


def enrol_schools(uow: UnitOfWork, user: Principal | None, campaign: str, codes: list[str],
                  actor: str | None = None) -> SchoolsEnrolled:
    """Enrol schools of the campaign's region (an office at or above the region; `user` None: the operator, acting
    as `actor`), their active teachers, and open each new school's plan_submission task; enrolling again changes
    nothing. Every bad code is named at once."""
    session = uow.session
    row = repo.campaign_by_code(session, campaign)
    refuse_if_closed(row.code, row.status, row.closed_at)
    if user is not None:
        _may_enrol(uow, user, row)
    wanted = list(dict.fromkeys(c.strip() for c in codes if c.strip()))
    if not wanted:
        raise RuleViolated("schools", "no school code was given")
    units = rows.units_by_code(session, wanted)
    parents = repo.unit_parents(session)
    problems = []
    for code in wanted:
        unit = units.get(code)
        if unit is None:
            problems.append(f"'{code}' is not a known unit")
        elif unit.level != UnitLevel.SCHOOL:
            problems.append(f"'{code}' is a {unit.level}, not a school")
        elif not within(row.region_unit_id, unit.id, parents):
            problems.append(f"'{code}' lies outside the campaign's region")
    if problems:
        raise RuleViolated("schools", "; ".join(problems))
    current = rows.enrolled_schools(session, row.id)
    new = [units[c].id for c in wanted if units[c].id not in current]
    now = utcnow()
    added = rows.add_school_enrolments(session, row.id, new, now)
    opened = rows.open_plan_submissions(session, row.id, Policy.model_validate(row.policy), added, parents, now)
    who = user.username if user is not None else (actor or "operator")
    changes = _sync_campaign(uow, who, row, set(added.values()))
    teachers = Counter(school for _, school in changes.joins)
    repo.append_audit(session, [AuditEntry(
        campaign_id=row.id, school_enrolment_id=added[units[code].id], actor=who, event="enrol_school",
        created_at=now, payload={"school": code, "teachers": teachers[added[units[code].id]]})
        for code in wanted if units[code].id in added])
    return SchoolsEnrolled(campaign, [c for c in wanted if units[c].id in added],
                           [c for c in wanted if units[c].id not in added], len(changes.joins), opened)


def sync_roster(uow: UnitOfWork, user: Principal | None, campaign: str, actor: str | None = None) -> dict[str, int]:
    """Bring one campaign's teachers in line with the roster (an office of its region or above, or the operator):
    how many joined, moved school, were withdrawn and returned."""
    row = repo.campaign_by_code(uow.session, campaign)
    refuse_if_closed(row.code, row.status, row.closed_at)
    if user is not None:
        _may_enrol(uow, user, row)
    return _sync_campaign(uow, user.username if user is not None else (actor or "operator"), row, set()).counts()


def sync_rosters(uow: UnitOfWork, actor: str, school_unit_ids: set[int] | None) -> dict[str, int]:
    """Bring every open campaign that enrols any of these schools (all open campaigns when None) in line with the
    roster, after people were imported, moved, deactivated or reactivated; the changes summed."""
    total = RosterChanges().counts()
    for campaign_id in rows.campaigns_with_schools(uow.session, school_unit_ids):
        counts = _sync_campaign(uow, actor, uow.session.get(Campaign, campaign_id), set()).counts()
        total = {k: total[k] + counts[k] for k in total}
    return total


def _sync_campaign(uow: UnitOfWork, actor: str, campaign: Campaign, new_schools: set[int]) -> RosterChanges:
    """Apply the roster diff of one campaign; each change is an audit entry, except joins at schools enrolled in
    this same step (their school's enrolment entry counts them)."""
    session = uow.session
    changes = roster_changes(rows.teacher_enrolments(session, campaign.id), rows.roster(session, campaign.id))
    if not any(changes.counts().values()):
        return changes
    now = utcnow()
    rows.apply_roster_changes(session, campaign.id, changes, now)
    schools = rows.school_codes(session, campaign.id)
    people = rows.person_usernames(session, [t for t, s in changes.joins if s not in new_schools])
    moved = rows.teacher_usernames(session, campaign.id, [e for e, *_ in
                                                          changes.transfers + changes.returns + changes.withdrawals])
    entries = [_entry(campaign.id, school, actor, now, "teacher_joined", people[teacher], school=schools[school])
               for teacher, school in changes.joins if school not in new_schools]
    entries += [_entry(campaign.id, to, actor, now, "teacher_transferred", moved[e], school=schools[to],
                       from_school=schools[old]) for e, old, to in changes.transfers]
    entries += [_entry(campaign.id, to, actor, now, "teacher_returned", moved[e], school=schools[to],
                       from_school=schools[old]) for e, old, to in changes.returns]
    entries += [_entry(campaign.id, school, actor, now, "teacher_withdrawn", moved[e], school=schools[school])
                for e, school in changes.withdrawals]
    if entries:
        repo.append_audit(session, entries)
    return changes


def _entry(campaign_id: int, school_enrolment_id: int, actor: str, now, event: str, username: str,
           **payload: str) -> AuditEntry:
    return AuditEntry(campaign_id=campaign_id, school_enrolment_id=school_enrolment_id, actor=actor, event=event,
                      created_at=now, payload={"teacher": username, **payload})


def _may_enrol(uow: UnitOfWork, user: Principal, campaign: Campaign) -> None:
    """Only a county or city office at or above the campaign's region enrols schools or syncs its roster."""
    if not is_office(user.role):
        raise OutOfScope("only a county or city project office (工程办) enrols schools")
    if not within(user.unit_id, campaign.region_unit_id, repo.ancestry_parents(uow.session, campaign.region_unit_id)):
        raise OutOfScope(f"campaign '{campaign.code}' belongs to a region outside your unit")
