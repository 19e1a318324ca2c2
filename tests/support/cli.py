"""The environment a test's `tisheng` subprocess runs in."""
import os


def cli_env(drop: tuple[str, ...] = ("PREFECT_",), **extra: str) -> dict[str, str]:
    """This process's environment without the `drop` prefixes, plus `extra`; when this process talks to a Prefect
    API (the session's harness), the subprocess talks to the same one instead of starting its own (~18 s each)."""
    from prefect.settings import PREFECT_API_URL

    env = {k: v for k, v in os.environ.items() if not k.startswith(drop)}
    if PREFECT_API_URL.value():
        env["PREFECT_API_URL"] = PREFECT_API_URL.value()
    return {**env, **extra}
