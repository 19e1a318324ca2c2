"""The spot-check draw (pure): which waiting locked schools are sampled for spot check and which go on to the
province, reproducibly from a seed; a school an earlier draw decided is never drawn again."""
from dataclasses import dataclass
from typing import Any

from models.enums import SchoolEvent
from models.sampling import draw_sample, population_hash


@dataclass(frozen=True)
class DrawnSchool:
    """One school's share of a draw: sampled or not, whether an earlier draw decided it, and the move's payload."""

    county: str
    school: str
    sampled: bool
    earlier: bool
    payload: dict[str, Any]

    @property
    def event(self) -> SchoolEvent:
        """The move the draw asks for."""
        return SchoolEvent.SAMPLE_FOR_SPOT_CHECK if self.sampled else SchoolEvent.SKIP_SPOT_CHECK


def spot_check_draw(waiting: dict[str, list[str]], earlier: dict[str, bool], ratio: float,
                    seed: int) -> list[DrawnSchool]:
    """Per county, ≥ `ratio` of the waiting schools no earlier draw decided are sampled (at least one), the rest
    skip the spot check; a school that locked again after a rectification keeps its earlier draw's outcome (a
    sampled one is checked again, a skipped one goes on). Seed, population hash and ratio are in every payload."""
    fresh = {county: sorted(c for c in codes if c not in earlier) for county, codes in waiting.items()}
    sample = draw_sample({county: codes for county, codes in fresh.items() if codes}, ratio, seed)
    drawn = []
    for county, codes in sorted(waiting.items()):
        digest = population_hash(fresh[county])
        for code in sorted(codes):
            sampled = earlier[code] if code in earlier else code in sample[county]
            drawn.append(DrawnSchool(county, code, sampled, code in earlier, {
                "sample_seed": seed, "population_hash": digest, "ratio": ratio, "sampled": sampled,
                **({"earlier_draw": True} if code in earlier else {})}))
    return drawn
