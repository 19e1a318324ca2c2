"""City sampling: at least the ratio, at least one per county, the same seed gives the same sample."""
from hypothesis import given, strategies as st

from models.sampling import draw_sample, population_hash, sample_size

counties = st.dictionaries(
    st.text("ABCDEFGH", min_size=1, max_size=3),
    st.sets(st.text("0123456789", min_size=1, max_size=4), min_size=1, max_size=60),
    min_size=1, max_size=6,
)


@given(counties, st.floats(0.01, 1.0), st.integers(0, 2**32))
def test_sample_meets_ratio_and_one_per_county(population, ratio, seed):
    sample = draw_sample(population, ratio, seed)
    for county, codes in population.items():
        chosen = sample[county]
        assert len(chosen) >= 1
        assert len(chosen) >= ratio * len(codes) - 1e-9
        assert set(chosen) <= codes and len(set(chosen)) == len(chosen)


@given(counties, st.integers(0, 2**32))
def test_same_seed_same_sample_whatever_the_order(population, seed):
    shuffled = {county: list(reversed(sorted(codes))) for county, codes in population.items()}
    assert draw_sample(population, 0.1, seed) == draw_sample(shuffled, 0.1, seed)


def test_sample_size_boundaries():
    assert sample_size(0, 0.1) == 0
    assert sample_size(1, 0.1) == 1
    assert sample_size(10, 0.1) == 1
    assert sample_size(11, 0.1) == 2


def test_population_hash_ignores_order():
    assert population_hash(["b", "a"]) == population_hash(["a", "b"]) != population_hash(["a"])
