"""Test-only crash points: the fault-injection suite makes a process die at a named point (off by default)."""
import os
import signal

from infra.settings import get_settings


def crash_point(name: str) -> None:
    """SIGKILL this process here when TISHENG_TEST_CRASH_POINT names this point (refused in production)."""
    if get_settings().test_crash_point == name:
        os.kill(os.getpid(), signal.SIGKILL)
