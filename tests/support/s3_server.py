"""A real S3-protocol server for tests: localstack-core's S3 provider, run without Docker.

LocalStack needs Python 3.13, so it lives in its own venv (``ensure_venv``) and runs as a
subprocess on a free 127.0.0.1 port (``start_s3_server``). Run ``python -m tests.support.s3_server``
to keep one up by hand.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = Path(__file__).with_name("s3-server-requirements.txt")
PY313_CANDIDATES = ("/root/.pyenv/versions/3.13.0/bin/python3", "python3.13")
START_TIMEOUT_S = 90.0

# What LocalStack needs to run on the host: no Docker detection, no DNS server, no downloads,
# no analytics, presigned signatures checked, only S3 (loaded before "ready"), state in memory only.
SERVER_ENV = {
    "OVERRIDE_IN_DOCKER": "0",
    "SERVICES": "s3",
    "EAGER_SERVICE_LOADING": "1",
    "PERSISTENCE": "0",
    "DNS_ADDRESS": "0",
    "SKIP_SSL_CERT_DOWNLOAD": "1",
    "DISABLE_EVENTS": "1",
    "LOCALSTACK_TELEMETRY": "0",
    "S3_SKIP_SIGNATURE_VALIDATION": "0",  # default 1 accepts presigned URLs with bad/expired signatures
}


def venv_dir() -> Path:
    """Where the server venv lives: $TISHENG_S3_VENV or <repo>/.cache/s3-server-venv."""
    return Path(os.environ.get("TISHENG_S3_VENV") or REPO_ROOT / ".cache" / "s3-server-venv")


def find_python313() -> str:
    """Path of a Python 3.13 interpreter, or RuntimeError."""
    for candidate in PY313_CANDIDATES:
        found = shutil.which(candidate)
        if found:
            return found
    raise RuntimeError(f"S3 test server needs Python 3.13; none of {PY313_CANDIDATES} found")


def ensure_venv() -> Path:
    """Create (once) the Python 3.13 venv with the pinned localstack-core; return its python."""
    venv = venv_dir()
    python = venv / "bin" / "python"
    stamp = venv / ".requirements.sha256"
    want = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    venv.parent.mkdir(parents=True, exist_ok=True)
    with open(venv.parent / f".{venv.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # parallel test workers: one builds, the others wait
        if stamp.exists() and stamp.read_text() == want and python.exists():
            return python
        shutil.rmtree(venv, ignore_errors=True)
        subprocess.run([find_python313(), "-m", "venv", str(venv)], check=True)
        uv = shutil.which("uv")
        if uv:  # ~15-35s; pip fallback ~65s. Precompiled bytecode halves the first server start.
            installer = [uv, "pip", "install", "-q", "--compile-bytecode", "--python", str(python)]
        else:
            installer = [str(python), "-m", "pip", "install", "-q"]
        subprocess.run([*installer, "-r", str(REQUIREMENTS)], check=True)
        stamp.write_text(want)
    return python


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class S3Server:
    """A running LocalStack S3 subprocess; use as a context manager."""

    access_key = "test"
    secret_key = "test"
    region = "us-east-1"

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.endpoint = f"127.0.0.1:{self.port}"
        self.url = f"http://{self.endpoint}"
        self.startup_seconds: float | None = None
        self._root: Path | None = None
        self.log_path: Path | None = None
        self._proc: subprocess.Popen | None = None

    def start(self, timeout: float = START_TIMEOUT_S) -> "S3Server":
        """Start the server and block until S3 answers."""
        python = ensure_venv()
        with socket.socket() as probe:  # else the health check below would find the other server
            if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                raise RuntimeError(f"S3 test server: port {self.port} is already in use")
        self._root = Path(tempfile.mkdtemp(prefix="tisheng-s3-"))  # LocalStack's FILESYSTEM_ROOT + log
        self.log_path = self._root / "server.log"
        env = {**os.environ, **SERVER_ENV, "GATEWAY_LISTEN": self.endpoint, "FILESYSTEM_ROOT": str(self._root / "fs")}
        t0 = time.monotonic()
        with open(self.log_path, "wb") as log:
            self._proc = subprocess.Popen(
                [str(python), "-m", "localstack.runtime.main"],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env=env, cwd=self._root, start_new_session=True,
            )
        try:
            while not self._s3_running():
                if self._proc.poll() is not None:
                    raise RuntimeError(f"S3 test server exited with {self._proc.returncode}; log tail:\n{self.log_tail()}")
                if time.monotonic() - t0 > timeout:
                    raise RuntimeError(f"S3 test server not up after {timeout:.0f}s; log tail:\n{self.log_tail()}")
                time.sleep(0.1)
        except BaseException:  # includes Ctrl-C while waiting: never leave the server behind
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - t0
        return self

    def _s3_running(self) -> bool:
        """True when LocalStack's health endpoint reports S3 up."""
        try:
            with urllib.request.urlopen(f"{self.url}/_localstack/health", timeout=1) as r:
                return json.load(r)["services"].get("s3") in ("running", "available")
        except (OSError, ValueError, KeyError):
            return False

    def log_tail(self, lines: int = 40) -> str:
        """Last lines of the server's combined stdout/stderr."""
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except (OSError, TypeError):
            return "(no log)"

    def stop(self) -> None:
        """Kill the server's process group and remove its scratch dir."""
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            try:  # SIGKILL: LocalStack's SIGTERM shutdown hangs, and all state is in memory anyway
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(10)
        if self._root:
            shutil.rmtree(self._root, ignore_errors=True)

    def __enter__(self) -> "S3Server":
        return self if self._proc else self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def start_s3_server(port: int | None = None) -> S3Server:
    """Start an S3 server and return it once S3 answers; use `with start_s3_server() as s3:` to stop it."""
    return S3Server(port).start()


def main() -> None:
    """Run a server until Ctrl-C, printing its endpoint and credentials."""
    t0 = time.monotonic()
    ensure_venv()
    venv_s = time.monotonic() - t0
    port = int(sys.argv[1]) if len(sys.argv) > 1 else None
    for sig in (signal.SIGINT, signal.SIGTERM):  # Ctrl-C or `kill` stops the server too (even when backgrounded)
        signal.signal(sig, lambda *_: sys.exit(0))
    with start_s3_server(port) as s3:
        print(f"venv ready in {venv_s:.1f}s, server up in {s3.startup_seconds:.1f}s", flush=True)
        print(f"S3 endpoint {s3.endpoint} (http) access_key={s3.access_key} secret_key={s3.secret_key} region={s3.region}", flush=True)
        signal.pause()


if __name__ == "__main__":
    main()
