"""The API is served by uvicorn's fast parts, named on every command line so a missing one fails loudly."""
import importlib.util
import re
from pathlib import Path

import yaml

from tisheng_cli.stack import api_command

ROOT = Path(__file__).resolve().parents[2]


def test_uvloop_and_httptools_are_installed():
    assert importlib.util.find_spec("uvloop") is not None
    assert importlib.util.find_spec("httptools") is not None
    from uvicorn.config import Config

    config = Config("api.app:app", loop="uvloop", http="httptools")
    config.load()  # imports the loop and protocol classes: raises if either extra is missing
    assert config.http_protocol_class.__module__ == "uvicorn.protocols.http.httptools_impl"


def test_tisheng_up_starts_uvicorn_with_uvloop_and_httptools():
    args = api_command("api.app:app", "127.0.0.1", 8000)
    assert args[:3] == ["-m", "uvicorn", "api.app:app"]
    assert args[args.index("--loop") + 1] == "uvloop" and args[args.index("--http") + 1] == "httptools"
    assert 'api_command("api.app:app"' in (ROOT / "tisheng_cli/stack.py").read_text()  # `up` uses this builder


def test_the_compose_api_and_the_benchmark_name_uvloop_and_httptools():
    compose = yaml.safe_load((ROOT / "infra/deploy/compose.yaml").read_text())
    command = compose["services"]["api"]["command"]
    assert command[:2] == ["uvicorn", "api.app:app"] and command[command.index("--workers") + 1] == "2"
    assert command[command.index("--loop") + 1] == "uvloop" and command[command.index("--http") + 1] == "httptools"
    assert re.search(r"api_command\(\"bench\.baseline_app:app\"", (ROOT / "bench/api_completions.py").read_text())


def test_uv_lock_pins_the_server_extras():
    lock = (ROOT / "uv.lock").read_text()
    for name in ("httptools", "uvloop"):
        assert re.search(rf'name = "{name}"\nversion = "[0-9.]+"', lock), name
    assert re.search(r'"(httptools|uvloop)==', (ROOT / "pyproject.toml").read_text())


def test_the_compose_prefect_api_asks_a_password_of_every_client_and_is_not_published_to_users():
    compose = yaml.safe_load((ROOT / "infra/deploy/compose.yaml").read_text())
    services = compose["services"]
    server = services["prefect-server"]
    assert server["environment"]["PREFECT_SERVER_API_AUTH_STRING"].startswith("${PREFECT_AUTH_STRING:?")
    assert server["ports"] == ["127.0.0.1:4200:4200"]
    for name in ("migrate", "deploy", "worker", "dispatcher", "api"):
        assert services[name]["environment"]["PREFECT_API_AUTH_STRING"] == \
            server["environment"]["PREFECT_SERVER_API_AUTH_STRING"], name
