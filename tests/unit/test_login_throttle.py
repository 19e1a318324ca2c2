"""The login throttle's rule and keys."""
from datetime import UTC, datetime, timedelta

from models.login_throttle import ThrottleRule, address_key, retry_after, user_key

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
RULE = ThrottleRule(5, timedelta(minutes=15), timedelta(minutes=15))


def test_the_fifth_failure_within_the_window_locks_for_the_lock_time():
    assert [RULE.locks(n) for n in range(1, 7)] == [False] * 4 + [True, True]
    assert RULE.lock_end(NOW) == NOW + timedelta(minutes=15)
    assert RULE.window_start(NOW) == NOW - timedelta(minutes=15)


def test_retry_after_rounds_up_and_ends_with_the_lock():
    assert retry_after(NOW + timedelta(seconds=899.2), NOW) == 900
    assert retry_after(NOW + timedelta(milliseconds=1), NOW) == 1
    assert retry_after(NOW, NOW) is None and retry_after(NOW - timedelta(seconds=1), NOW) is None
    assert retry_after(None, NOW) is None


def test_keys_name_the_username_or_address_and_digest_what_no_account_can_be_called():
    assert user_key("demo-county-office") == "user:demo-county-office"
    assert address_key("203.0.113.7") == "ip:203.0.113.7" and address_key(None) == "ip:unknown"
    long, nul = user_key("x" * 5000), user_key("a\x00b")
    assert long.startswith("user#") and len(long) == 5 + 64 and nul != user_key("ab") and "\x00" not in nul
    assert len(address_key("f" * 500)) <= 128
