"""Service tokens on the fast tier: created once with a digest, listed without the secret, revoked once."""
import pytest

from application.tokens import create_service_token, revoke_service_token, service_tokens
from infra import imports as rows
from infra.service_tokens import token_named
from models.errors import InvalidServiceToken, NotFound
from models.service_token import token_digest


def test_a_token_is_created_listed_and_revoked(uow, demo):
    secret = create_service_token(uow, "fast-sync", "county_office", "DEMO-C1-X1", 30)
    token, account = token_named(uow.session, "fast-sync")
    assert secret.startswith("tsk_") and token.token_hash == token_digest(secret) != secret
    assert account.service_account and (account.role, account.active) == ("county_office", True)
    listed = [t for t in service_tokens(uow) if t.name == "fast-sync"]
    assert [(t.role, t.unit, t.status) for t in listed] == [("county_office", "DEMO-C1-X1", "active")]
    assert (listed[0].expires_at - listed[0].created_at).days == 30
    assert revoke_service_token(uow, "fast-sync") is True
    assert revoke_service_token(uow, "fast-sync") is False
    assert [t.status for t in service_tokens(uow) if t.name == "fast-sync"] == ["revoked"]
    assert rows.people_by_username(uow.session, ["fast-sync"])["fast-sync"].active is False


@pytest.mark.parametrize("name,role,unit,days,error,message", [
    ("Bad Name", "county_office", "DEMO-C1-X1", None, InvalidServiceToken, "token name 'Bad Name' must be 3-48"),
    ("fast-role", "mayor", "DEMO-C1-X1", None, InvalidServiceToken, "role 'mayor' is not one of"),
    ("fast-level", "teacher", "DEMO-C1-X1", None, InvalidServiceToken,
     "role teacher belongs to a school, 'DEMO-C1-X1' is a county"),
    ("fast-days", "county_office", "DEMO-C1-X1", 3651, InvalidServiceToken, "--days must be between 1 and 3650"),
    ("fast-unit", "county_office", "NOWHERE", None, NotFound, "unit 'NOWHERE' does not exist"),
    ("demo-county-office", "county_office", "DEMO-C1-X1", None, InvalidServiceToken,
     "the name 'demo-county-office' is taken"),
])
def test_a_bad_token_request_creates_nothing(uow, demo, name, role, unit, days, error, message):
    with pytest.raises(error, match=message):
        create_service_token(uow, name, role, unit, days)
    assert token_named(uow.session, name) is None


def test_revoking_an_unknown_token_is_refused(uow, demo):
    with pytest.raises(NotFound, match="no service token is named 'nobody'"):
        revoke_service_token(uow, "nobody")
