"""`tisheng up`, `dispatch`, `serve-flows` and `migrate`: the whole local stack as child processes (Prefect server
and UI, flow server, dispatcher, API), its parts one by one, and the schema."""
import os
import signal
import socket
import subprocess
import sys
import time
import traceback
import urllib.request
from dataclasses import dataclass, field
from typing import Annotated

import typer
from rich.console import Console

from infra.settings import get_settings
from tisheng_cli.common import err, fail, prepare


# uvicorn's fast parts, named so a missing one stops the server instead of falling back to h11 and asyncio
SERVER_OPTIONS = ["--loop", "uvloop", "--http", "httptools"]


def api_command(app: str, host: str, port: int, workers: int = 1) -> list[str]:
    """The uvicorn arguments (after the interpreter) that serve an ASGI app with uvloop and httptools."""
    return ["-m", "uvicorn", app, "--host", host, "--port", str(port), "--workers", str(workers), *SERVER_OPTIONS]


class StackError(RuntimeError):
    """The stack could not start; the message says which part and why."""


def port_free(host: str, port: int) -> bool:
    """True when nothing listens on host:port."""
    with socket.socket() as sock:
        return sock.connect_ex((host, port)) != 0


def wait_for(url: str, seconds: float, process: subprocess.Popen) -> None:
    """Poll url until it answers 200; fail early if the process exits."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise StackError(f"{' '.join(process.args[:4])} exited with code {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise StackError(f"{url} did not answer within {seconds:.0f} s")


@dataclass
class Stack:
    """The child processes of `tisheng up`, stopped together."""

    log_dir: str
    processes: list[subprocess.Popen] = field(default_factory=list)

    def start(self, name: str, args: list[str]) -> subprocess.Popen:
        """Start a child whose output goes to LOG_DIR/NAME.log."""
        log = open(os.path.join(self.log_dir, f"{name}.log"), "ab")
        process = subprocess.Popen([sys.executable, *args], stdout=log, stderr=subprocess.STDOUT, env=os.environ.copy())
        self.processes.append(process)
        return process

    def watch(self) -> str:
        """Block until a child exits; return which one."""
        while True:
            for process in self.processes:
                if process.poll() is not None:
                    return f"{' '.join(process.args[1:4])} exited with code {process.returncode}"
            time.sleep(1)

    def stop(self) -> None:
        """Terminate every child, killing those that do not stop within 10 s; a second Ctrl-C or SIGTERM
        (a terminal signals the whole process group, `uv run` forwards) must not interrupt this."""
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        for process in reversed(self.processes):
            if process.poll() is None:
                process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def migrate() -> None:
    """Apply database migrations to the configured database."""
    prepare()
    err.print(f"database at {get_settings().db_url.split('@')[-1]} is up to date")


def up(
    demo_schools: Annotated[int, typer.Option(min=0, max=500, help="Schools of the demo campaign to load (0: none).")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the demo campaign.")] = 2022,
) -> None:
    """Start Prefect's server and UI, the flow server and the API, load a demo campaign, run until Ctrl-C."""
    from tisheng_cli.demo import load_demo

    signal.signal(signal.SIGTERM, signal.default_int_handler)  # SIGTERM stops the stack like Ctrl-C

    prepare(log_level="INFO")
    settings = get_settings()
    host, prefect_port, api_port = settings.api_host, settings.prefect_port, settings.api_port
    for variable, port in (("TISHENG_PREFECT_PORT", prefect_port), ("TISHENG_API_PORT", api_port)):
        if not port_free(host, port):
            fail(f"port {port} is in use; stop what listens there or set {variable}")
    os.environ["PREFECT_API_URL"] = f"http://{host}:{prefect_port}/api"
    logs = settings.data_dir / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    stack = Stack(str(logs))
    code = 0
    try:
        server = stack.start("prefect-server", ["-m", "prefect", "server", "start", "--host", host,
                                                "--port", str(prefect_port)])
        err.print(f"starting the Prefect server (log: {logs / 'prefect-server.log'}) …")
        wait_for(f"http://{host}:{prefect_port}/api/health", 180, server)
        stack.start("flow-server", ["-m", "tisheng_cli.main", "serve-flows"])
        stack.start("dispatcher", ["-m", "tisheng_cli.main", "dispatch"])
        api = stack.start("api", api_command("api.app:app", host, api_port))
        wait_for(f"http://{host}:{api_port}/health", 60, api)
        if demo_schools:
            load_demo(demo_schools, seed)
        out = Console()
        out.print(f"Prefect UI   http://{host}:{prefect_port}  (flow runs, events, deployments)")
        out.print(f"Tisheng API  http://{host}:{api_port}/docs")
        out.print(f"logs         {logs}    data {settings.data_dir}")
        out.print("running; Ctrl-C stops everything")
        err.print(f"stopped: {stack.watch()}")
        code = 1
    except StackError as exc:
        sys.stderr.write(f"error: {exc}\n")
        code = 2
    except KeyboardInterrupt:
        err.print("stopping …")
    except Exception:  # noqa: BLE001 — report it, then still take the whole stack down
        traceback.print_exc()
        code = 1
    finally:
        stack.stop()
        # Prefect's client threads are not daemons and would keep this process alive after the stack is down.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def dispatch(interval: Annotated[float, typer.Option(min=0.05, help="Seconds between polls when idle.")] = 1.0) -> None:
    """Apply decisions queued by the API, in bulk flow runs; an outage only delays them (runs until stopped)."""
    prepare(log_level="INFO", wait_for_database=True)
    from flows.dispatch import run_dispatcher
    from infra.prefect_env import fast_flow_runs

    err.print(f"dispatch: polling the outbox every {interval:g} s", highlight=False)
    with fast_flow_runs():
        run_dispatcher(interval, on_error=lambda exc: err.print(f"dispatch: {type(exc).__name__}: {exc}; retrying"))


def serve_flows() -> None:
    """Serve Tisheng's deployments on the Prefect server named by PREFECT_API_URL (runs until stopped)."""
    prepare(log_level="INFO", wait_for_database=True)
    from prefect import serve

    from flows.deployments import ensure_concurrency_limits, tisheng_deployments

    ensure_concurrency_limits()
    serve(*tisheng_deployments())
