"""Plans for tests that move schools: the three documents recorded as a school's plan files, then the plan."""
from functools import cache

from sqlalchemy import select

from infra import repository as repo
from models.catalog import load_catalog
from models.evidence import Evidence
from models.plan import PLAN_FILES, PLAN_ITEM
from models.simulation import DemoScript

CATALOG = {e.code: e for e in load_catalog()}


def recorded_plan_files(session, campaign: str, school: str) -> dict[str, int]:
    """The school's plan files as evidence records (the fast tier's stand-in for three verified uploads; the
    integration tier uploads them through the evidence service): their ids by plan field, the same on every call."""
    enrolment = repo.school_enrolment(session, campaign, school)
    found = session.scalars(select(Evidence).where(Evidence.school_enrolment_id == enrolment.id,
                                                   Evidence.item == PLAN_ITEM).order_by(Evidence.id)).all()
    if not found:
        found = [Evidence(campaign_id=enrolment.campaign_id, school_enrolment_id=enrolment.id, item=PLAN_ITEM,
                          key=f"{campaign}/{school}/plan/{field}", version_id="v1", size=9, sha256="0" * 64,
                          content_type="application/pdf", original_name=f"{title}.pdf", uploaded_by=f"{school}-admin")
                 for field, title in PLAN_FILES.items()]
        session.add_all(found)
        session.flush()
    return dict(zip(PLAN_FILES, (e.id for e in found)))


def uploaded_plan(campaign: str, school: str, seed: int = 1) -> dict:
    """A plan whose three documents the school's admin uploaded through the evidence service (as the demo does)."""
    from flows.demo import file_plan_documents

    script = DemoScript(seed, [school])
    return script.plan(school, file_plan_documents(campaign, school, script), CATALOG)


@cache
def plan_of(campaign: str, school: str = "DEMO-X1-S001") -> dict:
    """The school's uploaded plan, uploaded once per campaign and school (a replayed request carries the same)."""
    return uploaded_plan(campaign, school)
