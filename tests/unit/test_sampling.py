"""The spot-check draw: at least the ratio, at least one per county, the same seed gives the same sample, and an
earlier draw's outcome is kept."""
from hypothesis import given, strategies as st

from models.enums import SchoolEvent
from models.sampling import draw_sample, population_hash, sample_size
from models.spot_check import spot_check_draw

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


@given(counties, st.integers(0, 2**31 - 1), st.data())
def test_a_draw_keeps_every_earlier_outcome_and_samples_only_among_the_fresh(population, seed, data):
    codes = sorted({code for county in population.values() for code in county})
    earlier = data.draw(st.dictionaries(st.sampled_from(codes), st.booleans()))
    waiting, seen = {}, set()
    for county, members in population.items():  # a school code waits in one county only
        waiting[county] = sorted(members - seen)
        seen |= members
    drawn = spot_check_draw(waiting, earlier, 0.1, seed)
    assert sorted(d.school for d in drawn) == sorted(c for members in waiting.values() for c in members)
    for county, members in waiting.items():
        fresh = [c for c in members if c not in earlier]
        mine = [d for d in drawn if d.county == county]
        assert all(d.sampled == earlier[d.school] and d.earlier and d.payload["earlier_draw"]
                   for d in mine if d.school in earlier)
        if fresh:
            assert sum(d.sampled for d in mine if not d.earlier) >= 1
            assert all(d.payload["population_hash"] == population_hash(fresh) for d in mine)
        assert all(d.payload["sample_seed"] == seed and d.payload["sampled"] == d.sampled for d in mine)
    assert spot_check_draw(waiting, earlier, 0.1, seed) == drawn


def test_a_drawn_school_asks_for_the_matching_move():
    (sampled,) = spot_check_draw({"X": ["S1"]}, {}, 0.1, 1)
    (kept,) = spot_check_draw({"X": ["S1"]}, {"S1": False}, 0.1, 1)
    assert sampled.event == SchoolEvent.SAMPLE_FOR_SPOT_CHECK and kept.event == SchoolEvent.SKIP_SPOT_CHECK
