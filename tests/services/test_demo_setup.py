"""The demo set-up service on the fast tier."""
import pytest

from application.demo_setup import insert_demo_campaign, load_school_roster
from models.catalog import load_catalog
from models.errors import DomainError
from models.policy import load_preset


def test_the_demo_campaign_enrols_its_schools_and_teachers(uow, demo):
    roster = load_school_roster(uow, "fast", demo.schools[0])
    assert demo.schools == ("DEMO-X1-S001", "DEMO-X1-S002")
    assert [username for _, username in roster.teachers] == ["DEMO-X1-S001-t001", "DEMO-X1-S001-t002"]


def test_a_second_demo_campaign_of_the_same_code_is_refused(uow, demo):
    with pytest.raises(DomainError, match="already exists"):
        insert_demo_campaign(uow, "fast", load_preset("yanzhou-2022"), load_catalog(), 1, 1)
