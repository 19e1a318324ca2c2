"""Flow of the city office's spot-check draw over every locked school, in one run."""
from prefect import flow

from flows.transition import apply_school_transitions
from models.spot_check import spot_check_requests
from models.transition import TransitionOutcome, UnfinishedMove
from tasks.campaigns import load_campaign_policy
from tasks.sampling import locked_schools_by_county


@flow(name="city-sampling", flow_run_name="city sample · {campaign}", persist_result=False)
def draw_city_sample(campaign: str, seed: int, actor: str) -> list[TransitionOutcome | UnfinishedMove | str]:
    """Sample ≥ the policy ratio of each county's locked schools for spot check; the rest go to the province."""
    population = locked_schools_by_county(campaign)
    policy = load_campaign_policy(campaign)
    requests = spot_check_requests(campaign, population, policy.spot_check_ratio, seed, actor)
    return apply_school_transitions(requests, label=f"spot-check draw · {campaign}")
