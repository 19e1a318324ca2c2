"""City spot-check sampling: ≥ ratio of each county's locked schools, at least one, reproducible."""
import hashlib
import math
import random
from collections.abc import Iterable, Mapping, Sequence
from typing import TypeVar

T = TypeVar("T")


def population_hash(codes: Iterable[str]) -> str:
    """SHA-256 of the sorted school codes: anyone holding the same population gets the same hash."""
    return hashlib.sha256("\n".join(sorted(codes)).encode("utf-8")).hexdigest()


def sample_size(population: int, ratio: float) -> int:
    """ceil(ratio × population), at least one for a non-empty county (002/003: 不低于10%)."""
    if population <= 0:
        return 0
    return min(population, max(1, math.ceil(ratio * population - 1e-9)))


def draw_sample(population: Mapping[str, Iterable[str]], ratio: float, seed: int) -> dict[str, list[str]]:
    """Per county, the sorted sample; the same seed and population always give the same sample."""
    sample: dict[str, list[str]] = {}
    for county, codes in sorted(population.items()):
        ordered = sorted(codes)
        rng = random.Random(f"{seed}:{county}:{population_hash(ordered)}")
        sample[county] = sorted(rng.sample(ordered, sample_size(len(ordered), ratio)))
    return sample


def draw_some(items: Sequence[T], count: int | None, seed: int) -> list[T]:
    """`count` of the items drawn with the seed, in their original order; all of them when count is None."""
    if count is None or count >= len(items):
        return list(items)
    chosen = set(random.Random(seed).sample(range(len(items)), max(count, 0)))
    return [item for index, item in enumerate(items) if index in chosen]
