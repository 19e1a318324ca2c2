"""A lean HTTP/1.1 load client: pre-rendered requests over keep-alive sockets, a fixed count, exact latencies.

httpx costs about a millisecond of client CPU per request, which on a 2-core machine is taken from the server
being measured; this client spends tens of microseconds.
"""
import asyncio
import time
from dataclasses import dataclass, field


@dataclass
class LoadResult:
    """What one drive measured: wall seconds, per-request latencies (ms) and status counts."""

    wall: float
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)


def render(method: str, path: str, host: str, headers: dict[str, str], body: bytes = b"") -> bytes:
    """One HTTP/1.1 request as bytes."""
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def _read_response(reader: asyncio.StreamReader) -> int:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        if line[:15].lower() == b"content-length:":
            length = int(line[15:])
    if length:
        await reader.readexactly(length)
    return status


async def drive(host: str, port: int, requests: list[bytes], clients: int) -> LoadResult:
    """Send every request once over `clients` keep-alive connections, one in flight on each."""
    pending = iter(requests)
    result = LoadResult(wall=0.0)

    async def client() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            for request in pending:
                start = time.perf_counter()
                writer.write(request)
                status = await _read_response(reader)
                result.latencies.append((time.perf_counter() - start) * 1000)
                result.statuses[status] = result.statuses.get(status, 0) + 1
        finally:
            writer.close()

    start = time.perf_counter()
    await asyncio.gather(*(client() for _ in range(clients)))
    result.wall = time.perf_counter() - start
    return result
