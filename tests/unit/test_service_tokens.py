"""Service tokens: told apart from access tokens by their prefix, stored as a digest, named and timed."""
from datetime import UTC, datetime, timedelta

import pytest

from infra.security import new_service_token
from models.service_token import ServiceToken, is_service_token, name_problem, token_digest, token_status

NOW = datetime(2022, 11, 25, 9, 0, tzinfo=UTC)


def test_a_new_token_carries_the_prefix_and_256_random_bits():
    tokens = {new_service_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(t.startswith("tsk_") and len(t) == 4 + 43 and is_service_token(t) for t in tokens)


def test_an_access_token_is_not_taken_for_a_service_token():
    assert not is_service_token("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.e30.sig")
    assert not is_service_token("TSK_upper") and not is_service_token("")


def test_the_digest_is_sha256_hex_and_never_the_token():
    token = "tsk_abc"
    assert token_digest(token) == "c4a98b7b973a42b43da3dcb611c9f10a82de037aeacde8a1d7bb48472276c9a7"
    assert token_digest(token) != token_digest("tsk_abd")


@pytest.mark.parametrize("name", ["moodle-sync", "grading.bot", "a_1", "x" * 48])
def test_good_names(name):
    assert name_problem(name) is None


@pytest.mark.parametrize("name", ["ab", "x" * 49, "Sync", "-sync", "sync bot", "同步", "sync\x00", ""])
def test_bad_names_are_explained(name):
    assert "3-48 characters" in name_problem(name)


def test_status_is_revoked_before_expired_and_expires_at_the_instant():
    token = ServiceToken(person_id=1, token_hash="0" * 64, created_at=NOW, expires_at=NOW + timedelta(days=1))
    assert token_status(token, NOW) == "active"
    assert token_status(token, NOW + timedelta(days=1) - timedelta(microseconds=1)) == "active"
    assert token_status(token, NOW + timedelta(days=1)) == "expired"
    token.revoked_at = NOW
    assert token_status(token, NOW + timedelta(days=2)) == "revoked"
    assert token_status(ServiceToken(person_id=1, token_hash="0" * 64), NOW + timedelta(days=3650)) == "active"
