"""Flow of the city office's spot-check draw over every locked school, in one run."""
from prefect import flow

from flows.transition import apply_school_transitions
from models.enums import SchoolEvent
from models.sampling import draw_sample, population_hash
from models.transition import TransitionOutcome, TransitionRequest, UnfinishedMove
from tasks.campaigns import load_campaign_policy
from tasks.sampling import locked_schools_by_county


@flow(name="city-sampling", flow_run_name="city sample · {campaign}", persist_result=False)
def draw_city_sample(campaign: str, seed: int, actor: str) -> list[TransitionOutcome | UnfinishedMove | str]:
    """Sample ≥ the policy ratio of each county's locked schools for spot check; the rest go to the province."""
    population = locked_schools_by_county(campaign)
    policy = load_campaign_policy(campaign)
    sample = draw_sample(population, policy.spot_check_ratio, seed)
    requests = [
        TransitionRequest(
            campaign=campaign, county=county, school=code, actor=actor,
            event=SchoolEvent.SAMPLE_FOR_SPOT_CHECK if code in sample[county] else SchoolEvent.SKIP_SPOT_CHECK,
            payload={"sample_seed": seed, "population_hash": population_hash(codes),
                     "ratio": policy.spot_check_ratio, "sampled": code in sample[county]},
            command_key=f"{campaign}:sample:{population_hash(codes)}:{seed}:{code}",
        )
        for county, codes in sorted(population.items())
        for code in sorted(codes)
    ]
    return apply_school_transitions(requests, label=f"spot-check draw · {campaign}")
