"""Imports of an office's files on the fast tier: a roster, a catalog, a platform's hour export, all or nothing."""
import pytest

from application import campaign_info
from application.imports import import_hour_records, import_users, replace_catalog
from application.tokens import create_service_token
from infra import imports as rows
from infra.teacher_work import hour_records
from infra import repository as repo
from models.campaign import Submission
from models.catalog import CatalogEntry, load_catalog
from models.enums import CampaignStatus, Role
from models.errors import CampaignClosed, InvalidRecords, RuleViolated
from models.hours import HourKind, HourRecord
from models.roster import RosterLine


def line(username: str, role: Role = Role.SCHOOL_ADMIN, unit: str = "DEMO-X1-S001", n: int = 2, **kw) -> RosterLine:
    return RosterLine(username, f"name of {username}", role, unit, "longpassword1", n, **kw)


def test_a_roster_creates_and_updates_users_and_reports_each_line(uow, demo):
    seen = []
    summary = import_users(uow, [line("new-admin"), line("DEMO-X1-S001-admin", email="a@example.org", n=3)],
                           progress=lambda *step: seen.append(step))
    assert summary.counts() == {"users": 2, "created": 1}
    assert seen == [("users", 1, 2), ("users", 2, 2)]
    people = rows.people_by_username(uow.session, ["new-admin", "DEMO-X1-S001-admin"])
    assert people["new-admin"].unit_id == repo.school_enrolment(uow.session, "fast", "DEMO-X1-S001").school_id
    assert people["DEMO-X1-S001-admin"].email == "a@example.org"


def test_a_roster_with_any_bad_line_imports_nothing(uow, demo):
    create_service_token(uow, "fast-sync", "county_office", "DEMO-C1-X1", None)
    bad = [line("ok-admin"), line("ghost", unit="NOWHERE", n=3), line("wrong-level", unit="DEMO-C1-X1", n=4),
           line("fast-sync", role=Role.COUNTY_OFFICE, unit="DEMO-C1-X1", n=5)]
    with pytest.raises(InvalidRecords) as refused:
        import_users(uow, bad)
    assert refused.value.detail.split("; ") == [
        "line 3: unit 'NOWHERE' does not exist",
        "line 4: role school_admin belongs to a school, 'DEMO-C1-X1' is a county",
        "line 5: 'fast-sync' is a service token's account, not a user",
    ]
    assert rows.people_by_username(uow.session, ["ok-admin"]) == {}


def entry(code: str) -> CatalogEntry:
    return next(e for e in load_catalog() if e.code == code)


def test_a_catalog_replaces_the_campaigns_entries(uow, demo):
    campaign = campaign_info.campaign_id(uow, "fast")
    before = rows.campaign_catalog(uow.session, campaign)
    kept = [e for e in load_catalog()][:3]
    renamed = CatalogEntry(kept[0].code, "改名", kept[0].environment, kept[0].dimension, kept[0].evidence_items, True)
    summary = replace_catalog(uow, campaign, [renamed, *kept[1:]])
    assert summary == {"entries": 3, "added": 0, "removed": len(before) - 3}
    after = rows.campaign_catalog(uow.session, campaign)
    assert sorted(after) == sorted(e.code for e in kept) and after[kept[0].code].name == "改名"


def test_a_catalog_cannot_drop_a_code_with_submissions_nor_change_a_closed_campaign(uow, demo):
    campaign = campaign_info.campaign_id(uow, "fast")
    catalog = rows.campaign_catalog(uow.session, campaign)
    used = sorted(catalog)[0]
    teacher = rows.enrolled_teachers(uow.session, campaign)["DEMO-X1-S001-t001"]
    uow.session.add(Submission(teacher_enrolment_id=teacher.id, micro_ability_id=catalog[used].id, attempt=1))
    others = [e for e in load_catalog() if e.code != used]
    with pytest.raises(RuleViolated, match=f"{used} already have submissions"):
        replace_catalog(uow, campaign, others)
    assert used in rows.campaign_catalog(uow.session, campaign)
    repo.campaign_by_code(uow.session, "fast").status = CampaignStatus.CLOSED
    with pytest.raises(CampaignClosed):
        replace_catalog(uow, campaign, load_catalog())


def hours(teacher: str, minutes: float, kind: HourKind = HourKind.ONLINE, n: int = 2) -> HourRecord:
    return HourRecord(teacher, f"course {n}", minutes, 60, kind, n)


def test_hour_records_are_stored_and_each_teachers_hours_recomputed(uow, demo):
    campaign = campaign_info.campaign_id(uow, "fast")
    seen = []
    records = [hours("DEMO-X1-S001-t001", 30), hours("DEMO-X1-S001-t001", 90, n=3),
               hours("DEMO-X1-S002-t002", 60, HourKind.PRACTICE, n=4)]
    summary = import_hour_records(uow, campaign, records, progress=lambda *step: seen.append(step))
    assert summary == {"records": 3, "teachers": 2}
    teachers = rows.enrolled_teachers(uow.session, campaign)
    first, other = teachers["DEMO-X1-S001-t001"], teachers["DEMO-X1-S002-t002"]
    assert (first.online_hours, first.practice_hours) == (1.5, 0)  # 30 min + a 60-min course capped at 60
    assert (other.online_hours, other.practice_hours) == (0, 1)
    assert len(hour_records(uow.session, first.id)) == 2
    assert seen[0] == ("hour records stored", 3, 3) and seen[-1] == ("teachers' hours recomputed", 2, 2)


def test_hour_records_of_a_teacher_not_enrolled_import_nothing(uow, demo):
    campaign = campaign_info.campaign_id(uow, "fast")
    records = [hours("DEMO-X1-S001-t001", 30), hours("stranger", 30, n=3), hours("DEMO-X1-S001-admin", 5, n=4)]
    with pytest.raises(InvalidRecords) as refused:
        import_hour_records(uow, campaign, records)
    assert refused.value.detail == ("line 3: teacher 'stranger' is not enrolled in this campaign; "
                                    "line 4: teacher 'DEMO-X1-S001-admin' is not enrolled in this campaign")
    teacher = rows.enrolled_teachers(uow.session, campaign)["DEMO-X1-S001-t001"]
    assert hour_records(uow.session, teacher.id) == [] and teacher.online_hours == 0
