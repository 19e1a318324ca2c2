"""The OpenAPI document carries a valid example for every decision kind and every published model."""
import pytest
from pydantic import TypeAdapter

from api.app import app
from api.problems import Problem
from api.routes.auth import Me, Token
from api.routes.campaigns import HistoryEntry, Progress, SchoolHistory
from models.catalog import load_catalog
from models.decisions import (
    DECISION_MODELS, CountyFailed, CountyPassed, Decision, PlanDocuments, SubmissionGradingDecision, openapi_examples,
)
from models.grading import refuse_unknown_items
from models.rubric import SchoolFacts, load_rubric, score_sheet

SCHEMAS = app.openapi()["components"]["schemas"]
DECISION = TypeAdapter(Decision)


def _refs(node) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[1]} if "$ref" in node else set()
        return found.union(*(_refs(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_refs(v) for v in node))
    return set()


def test_every_variant_of_the_completion_body_is_a_listed_decision_model():
    body = app.openapi()["paths"]["/tasks/{task_id}/complete"]["post"]["requestBody"]
    assert _refs(body) == {model.__name__ for model in DECISION_MODELS}


@pytest.mark.parametrize("model", DECISION_MODELS, ids=lambda m: m.__name__)
def test_each_decision_kind_has_an_example_that_is_read_as_that_kind(model):
    examples = SCHEMAS[model.__name__]["examples"]
    assert examples
    for example in examples:
        assert isinstance(DECISION.validate_python(example), model)  # extra="forbid": no stray keys either


@pytest.mark.parametrize("model", DECISION_MODELS, ids=lambda m: m.__name__)
def test_each_decision_requires_its_kind(model):
    """A body without `kind` is no decision of any kind (a default would read {"outcome": "file"} as a plan review)."""
    schema = SCHEMAS[model.__name__]
    assert "kind" in schema["required"] and "default" not in schema["properties"]["kind"]
    example = {k: v for k, v in schema["examples"][0].items() if k != "kind"}
    with pytest.raises(ValueError, match="kind"):
        model.model_validate(example)


def test_named_request_examples_cover_every_decision_kind():
    named = openapi_examples()
    assert list(named) == [model.__name__ for model in DECISION_MODELS]
    for model in DECISION_MODELS:
        assert isinstance(DECISION.validate_python(named[model.__name__]["value"]), model)
        assert named[model.__name__]["summary"].startswith(named[model.__name__]["value"]["kind"])


@pytest.mark.parametrize("model", [Token, Me, Progress, HistoryEntry, SchoolHistory, Problem, PlanDocuments],
                         ids=lambda m: m.__name__)
def test_other_published_models_have_valid_examples(model):
    examples = SCHEMAS[model.__name__]["examples"]
    assert examples and all(model.model_validate(example) for example in examples)


def test_the_examples_are_consistent_with_the_rules_they_illustrate():
    rubric = load_rubric("yanzhou-2022-annex1")
    facts = SchoolFacts(teachers=25, pass_rate=0.96, excellent_rate=0.12, all_online_hours_met=True,
                        all_practice_hours_met=True, school_set_valid=True, environment_shares_met=True,
                        peer_review_done=True, works_sent_up=3)
    passed = CountyPassed.model_validate(SCHEMAS["CountyPassed"]["examples"][0])
    failed = CountyFailed.model_validate(SCHEMAS["CountyFailed"]["examples"][0])
    assert score_sheet(rubric, facts, passed.scores).passed
    assert not score_sheet(rubric, facts, failed.scores).passed
    a1 = next(entry for entry in load_catalog() if entry.code == "A1")
    grading = SubmissionGradingDecision.model_validate(SCHEMAS["SubmissionGradingDecision"]["examples"][0])
    refuse_unknown_items("A1", a1.evidence_items, grading.items)
