"""Runs the whole local stack as child processes: Prefect server and UI, flow server, API."""
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field


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
