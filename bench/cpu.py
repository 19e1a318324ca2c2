"""CPU seconds used by a process tree and by PostgreSQL: a cost per request that a noisy machine hardly moves."""
import os

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def tree_cpu(root: int) -> float:
    """User + system CPU seconds of `root` and all its descendants."""
    parents = {pid: int(fields[1]) for pid in _pids() if (fields := _stat(pid))}
    tree, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in tree} - tree
        tree |= more
        grew = bool(more)
    return sum((int(f[11]) + int(f[12])) / _TICK for pid in tree if (f := _stat(pid)))


def processes_cpu(pids: list[int]) -> float:
    """User + system CPU seconds of these processes (e.g. the PostgreSQL backends serving one database)."""
    return sum((int(f[11]) + int(f[12])) / _TICK for pid in pids if (f := _stat(pid)))
