"""The county expert confirms a school's drawn presenters, as a test that passes the school directly needs (003)."""
from application import demo
from infra.unit_of_work import committed


def verify_presenters(campaign: str, school: str) -> int:
    """Confirm every open presenter verification of the school; how many."""
    return committed(demo.verify_presenters, "demo-county-expert", campaign, school)
