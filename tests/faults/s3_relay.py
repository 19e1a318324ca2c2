"""The S3 server process as the application sees it, for fault tests: a TCP relay to the LocalStack S3 server.

LocalStack's community S3 keeps every object in memory (`PERSISTENCE=1` is a LocalStack Pro feature: localstack-core
has no snapshot save or load), so a SIGKILLed LocalStack comes back empty, unlike MinIO, whose data is on disk. The
fault tests kill this relay instead: in-flight requests are cut, new connections are refused, and a relay restarted
on the same port serves the same data, as a restarted MinIO does.

`python -m tests.faults.s3_relay PORT BACKEND_PORT [HALT_AFTER]` prints `ready`; with HALT_AFTER > 0 it forwards that
many legal-hold requests, prints `halted N`, and holds every later one unanswered until it is killed, so the kill lands
in the middle of the lock deterministically.
"""
from __future__ import annotations

import socket
import subprocess
import sys
import threading

HOLD_MARK = b"legal-hold"  # in the request line of every PutObjectLegalHold (`?legal-hold=&versionId=…`)
CHUNK = 65536


class Relay:
    """Forward connections from a port to the backend, counting legal-hold requests."""

    def __init__(self, port: int, backend_port: int, halt_after: int = 0):
        self.port, self.backend_port, self.halt_after = port, backend_port, halt_after
        self.holds = 0
        self.halted = threading.Event()
        self._lock = threading.Lock()

    def serve_forever(self) -> None:
        """Accept until killed; one pair of pump threads per connection."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        print("ready", flush=True)
        while True:
            client, _ = listener.accept()
            threading.Thread(target=self._connect, args=(client,), daemon=True).start()

    def _connect(self, client: socket.socket) -> None:
        try:
            backend = socket.create_connection(("127.0.0.1", self.backend_port))
        except OSError:
            client.close()
            return
        threading.Thread(target=self._pump, args=(backend, client, False), daemon=True).start()
        self._pump(client, backend, True)

    def _pump(self, source: socket.socket, sink: socket.socket, requests: bool) -> None:
        try:
            while data := source.recv(CHUNK):
                if requests and self.halted.is_set() and HOLD_MARK in data:
                    threading.Event().wait()  # never answered: the kill cuts it
                sink.sendall(data)
                if requests and (found := data.count(HOLD_MARK)):
                    self._count(found)
            sink.shutdown(socket.SHUT_WR)
        except OSError:
            for s in (source, sink):
                s.close()

    def _count(self, found: int) -> None:
        with self._lock:
            self.holds += found
            if self.halt_after and self.holds >= self.halt_after and not self.halted.is_set():
                self.halted.set()
                print(f"halted {self.holds}", flush=True)


def start_relay(port: int, backend_port: int, halt_after: int = 0) -> subprocess.Popen:
    """The relay as a subprocess (its stdout a pipe), once it listens."""
    proc = subprocess.Popen([sys.executable, "-m", "tests.faults.s3_relay", str(port), str(backend_port),
                             str(halt_after)], stdout=subprocess.PIPE, text=True, start_new_session=True)
    line = proc.stdout.readline()  # the relay prints `ready` once bound, or exits (EOF) if it cannot bind
    if line.strip() != "ready":
        proc.kill()
        raise RuntimeError(f"S3 relay on port {port} did not start: {line!r}")
    return proc


if __name__ == "__main__":
    args = [int(a) for a in sys.argv[1:4]]
    Relay(*args).serve_forever()
