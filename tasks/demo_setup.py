"""Tasks that load a demo campaign and read a school's roster for the simulated teachers."""
from prefect import task

from application import demo_setup
from application.demo_setup import DEMO_PASSWORD, DemoRoster, SchoolRoster
from infra.unit_of_work import committed
from models.catalog import CatalogEntry
from models.policy import Policy
from tasks.common import TASK_DEFAULTS

__all__ = ["DEMO_PASSWORD", "DemoRoster", "SchoolRoster", "insert_demo_campaign", "load_school_roster"]


@task(**TASK_DEFAULTS)
def insert_demo_campaign(
    campaign: str, policy: Policy, catalog: list[CatalogEntry], schools: int, teachers: int
) -> DemoRoster:
    """Create the demo province → city → county → schools, their people, and the enrolled campaign."""
    return committed(demo_setup.insert_demo_campaign, campaign, policy, catalog, schools, teachers)


@task(**TASK_DEFAULTS)
def load_school_roster(campaign: str, school: str) -> SchoolRoster:
    """What simulated teachers of a school need to act."""
    return committed(demo_setup.load_school_roster, campaign, school)
