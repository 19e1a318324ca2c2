"""The county's point table (003 附件1) as versioned data, and the score sheet it produces."""
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.errors import InvalidPolicy, RuleViolated, UnknownItems

RUBRIC_DIR = Path(__file__).parent / "rubrics"


class RubricItem(BaseModel):
    """One scored line of the table."""

    model_config = ConfigDict(extra="forbid")
    id: str
    name: str
    max: float = Field(gt=0)
    rule: str | None = None
    threshold: float | None = None


class RubricSection(BaseModel):
    """A heading of the table and the points it carries."""

    model_config = ConfigDict(extra="forbid")
    name: str
    points: float
    items: list[RubricItem]

    @model_validator(mode="after")
    def _items_add_up(self) -> "RubricSection":
        if abs(sum(i.max for i in self.items) - self.points) > 1e-9:
            raise ValueError(f"section {self.name}: items add up to {sum(i.max for i in self.items):g}, not {self.points:g}")
        return self


class Rubric(BaseModel):
    """A versioned point table with its pass mark."""

    model_config = ConfigDict(extra="forbid")
    name: str
    title: str
    version: int
    pass_score: float
    sections: list[RubricSection]

    @property
    def items(self) -> list[RubricItem]:
        """Every item, in table order."""
        return [item for section in self.sections for item in section.items]

    @model_validator(mode="after")
    def _rules_are_known(self) -> "Rubric":
        unknown = {i.rule for i in self.items if i.rule and i.rule not in COMPUTED_RULES}
        if unknown:
            raise ValueError(f"unknown computed rules: {', '.join(sorted(unknown))}")
        return self


@dataclass(frozen=True)
class SchoolFacts:
    """What the computed items read: the school's data at assessment time."""

    teachers: int
    pass_rate: float
    excellent_rate: float
    all_online_hours_met: bool
    all_practice_hours_met: bool
    school_set_valid: bool
    environment_shares_met: bool
    peer_review_done: bool
    works_sent_up: int | None = None


COMPUTED_RULES: dict[str, Callable[[SchoolFacts, float | None], bool]] = {
    "school_set": lambda f, _: f.school_set_valid,
    "environment_shares": lambda f, _: f.environment_shares_met,
    "online_hours": lambda f, _: f.all_online_hours_met,
    "practice_hours": lambda f, _: f.all_practice_hours_met,
    "peer_review": lambda f, _: f.peer_review_done,
    "pass_rate": lambda f, t: f.pass_rate >= t - 1e-9,
    "excellent_rate": lambda f, t: f.excellent_rate >= t - 1e-9,
    "works_sent_up": lambda f, t: f.works_sent_up is not None and f.works_sent_up >= t * f.teachers - 1e-9,
}


class SheetLine(BaseModel):
    """One item's scores on a school's sheet."""

    id: str
    name: str
    max: float
    self_score: float | None
    assessed_score: float
    computed: bool


class ScoreSheet(BaseModel):
    """A school's completed table: every line, totals, and whether it passes."""

    rubric: str
    version: int
    lines: list[SheetLine]
    self_total: float | None
    total: float
    pass_score: float
    passed: bool


def score_sheet(rubric: Rubric, facts: SchoolFacts, assessed: Mapping[str, float],
                self_scores: Mapping[str, float] | None = None) -> ScoreSheet:
    """Fill the table: computed items from facts, the rest from the expert; refuse bad or missing scores."""
    items = {item.id: item for item in rubric.items}
    problems = [f"unknown item '{k}'" for k in [*assessed, *(self_scores or {})] if k not in items]
    problems += [f"item '{k}' is computed from data" for k in assessed if k in items and items[k].rule]
    lines = []
    for item in rubric.items:
        if item.rule:
            score = item.max if COMPUTED_RULES[item.rule](facts, item.threshold) else 0.0
        elif item.id not in assessed:
            problems.append(f"item '{item.id}' ({item.name}) has no assessed score")
            continue
        else:
            score = _in_range(assessed[item.id], item, problems)
        own = None if self_scores is None or item.id not in self_scores else _in_range(self_scores[item.id], item, problems)
        lines.append(SheetLine(id=item.id, name=item.name, max=item.max, self_score=own, assessed_score=score,
                               computed=item.rule is not None))
    if problems:
        raise RuleViolated("rubric_scores", "; ".join(problems))
    total = round(sum(line.assessed_score for line in lines), 4)
    self_total = None if self_scores is None else round(sum(line.self_score or 0 for line in lines), 4)
    return ScoreSheet(rubric=rubric.name, version=rubric.version, lines=lines, self_total=self_total, total=total,
                      pass_score=rubric.pass_score, passed=total >= rubric.pass_score)


def refuse_unknown_scores(rubric: Rubric, field: str, scores: Mapping[str, object]) -> None:
    """Refuse scores of items the table does not have (score_sheet would refuse them later, after the 202)."""
    ids = [item.id for item in rubric.items]
    unknown = [name for name in scores if name not in ids]
    if unknown:
        raise UnknownItems(field, unknown, f"items of rubric {rubric.name}", ids)


def _in_range(value: object, item: RubricItem, problems: list[str]) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0 <= value <= item.max:
        problems.append(f"item '{item.id}' score {value!r} is not between 0 and {item.max:g}")
        return 0.0
    return float(value)


def load_rubric(name: str) -> Rubric:
    """A shipped rubric by name."""
    path = RUBRIC_DIR / f"{name}.yaml"
    if not path.is_file():
        raise InvalidPolicy(f"unknown rubric '{name}'")
    try:
        return Rubric.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except ValidationError as exc:
        raise InvalidPolicy(f"{path}: {exc}") from exc


def excellent_cap(schools_in_county: int, share: float) -> int:
    """003: 优秀等次控制在总数30%以内 — the most schools of a county that may be graded excellent."""
    return int(schools_in_county * share + 1e-9)
