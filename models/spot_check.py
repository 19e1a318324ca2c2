"""The city's spot-check draw as school moves: which locked schools are sampled, which skip it (pure)."""
from models.enums import SchoolEvent
from models.sampling import draw_sample, population_hash
from models.transition import TransitionRequest


def spot_check_requests(campaign: str, population: dict[str, list[str]], ratio: float, seed: int,
                        actor: str) -> list[TransitionRequest]:
    """The city's draw as moves (pure): ≥ `ratio` of each county's locked schools sampled for spot check, the rest
    skip it; seed, roster hash and ratio recorded in each move, and a re-run of the same draw has the same keys."""
    sample = draw_sample(population, ratio, seed)
    return [
        TransitionRequest(
            campaign=campaign, county=county, school=code, actor=actor,
            event=SchoolEvent.SAMPLE_FOR_SPOT_CHECK if code in sample[county] else SchoolEvent.SKIP_SPOT_CHECK,
            payload={"sample_seed": seed, "population_hash": population_hash(codes), "ratio": ratio,
                     "sampled": code in sample[county]},
            command_key=f"{campaign}:sample:{population_hash(codes)}:{seed}:{code}",
        )
        for county, codes in sorted(population.items())
        for code in sorted(codes)
    ]
