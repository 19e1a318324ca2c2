"""Phasing targets (002: 2021年…不少于60%的学校…；2022年全部完成): how far a region's schools are against each."""
from dataclasses import dataclass
from datetime import date

from models.policy import PhaseTarget


@dataclass(frozen=True)
class TargetProgress:
    """One target: its day and share, the region's certified share now, and whether that meets it."""

    by: date
    share: float
    actual: float
    met: bool


def target_progress(targets: list[PhaseTarget], certified: int, schools: int) -> list[TargetProgress]:
    """Each target against the certified schools of the region out of its school units (no schools: share 0)."""
    actual = round(certified / schools, 4) if schools else 0.0
    return [TargetProgress(t.by, t.share, actual, schools > 0 and certified >= t.share * schools) for t in targets]
