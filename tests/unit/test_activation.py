"""Activation codes: random, readable, at least 60 bits, stored only as a digest, valid for a while."""
import hashlib
import math
from datetime import UTC, datetime, timedelta

from models import activation

NOW = datetime(2027, 3, 1, 8, tzinfo=UTC)


def test_a_code_is_twelve_readable_symbols_of_five_bits_grouped_by_four():
    code = activation.new_code()
    groups = code.split("-")
    assert [len(g) for g in groups] == [4, 4, 4]
    assert set("".join(groups)) <= set(activation.ALPHABET)
    assert not set("01IO") & set(activation.ALPHABET)
    assert activation.CODE_LENGTH * math.log2(len(activation.ALPHABET)) >= 60


def test_codes_do_not_repeat():
    assert len({activation.new_code() for _ in range(2000)}) == 2000


def test_the_digest_is_sha256_of_the_code_as_typed_in_any_case_or_grouping():
    code = activation.new_code()
    expected = hashlib.sha256(code.replace("-", "").encode()).hexdigest()
    assert activation.digest(code) == expected
    assert activation.digest(code.lower().replace("-", " ")) == expected
    assert len(expected) == 64 and activation.digest(activation.new_code()) != expected


def test_a_code_expires_after_thirty_days_and_a_naive_stored_time_is_utc():
    expires = activation.expiry(NOW)
    assert expires == NOW + timedelta(days=30)
    assert not activation.is_expired(expires, NOW + timedelta(days=29))
    assert activation.is_expired(expires, expires)
    assert not activation.is_expired(expires.replace(tzinfo=None), NOW)
    assert activation.is_expired(None, NOW)
