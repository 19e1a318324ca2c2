"""The deployments a Tisheng worker process serves on the Prefect server."""
from prefect.deployments.runner import RunnerDeployment

from flows.city_sampling import draw_city_sample
from flows.grading import apply_grading_decisions
from flows.transition import apply_school_transition, apply_school_transitions


def tisheng_deployments() -> list[RunnerDeployment]:
    """Every flow the API and schedules start by deployment name."""
    return [
        flow.to_deployment(name="tisheng", tags=["tisheng"])
        for flow in (apply_school_transition, apply_school_transitions, apply_grading_decisions, draw_city_sample)
    ]
