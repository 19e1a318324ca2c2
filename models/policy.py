"""Campaign policy as data: thresholds, hour rules, ratios and deadlines, with the shipped presets."""
from datetime import date
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from models.enums import TaskKind
from models.errors import InvalidPolicy

PRESET_DIR = Path(__file__).parent / "presets"


class HourRules(BaseModel):
    """Training hours a teacher needs (000: 网络研修25学时＋校本实践应用25学时)."""

    model_config = ConfigDict(extra="forbid")
    online_min: float = Field(ge=0)
    practice_min: float = Field(ge=0)
    total_min: float = Field(ge=0)


class Policy(BaseModel):
    """The rules one campaign runs under; presets reproduce the source documents."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    title: str
    source: str
    hours: HourRules
    micro_abilities_per_teacher_min: int = Field(ge=1)
    teacher_pass_rate_min: float | None = Field(default=None, gt=0, le=1)
    teacher_excellent_rate_min: float | None = Field(default=None, gt=0, le=1)
    school_pass_score: float | None = Field(default=None, gt=0, le=100)
    school_excellent_cap: float | None = Field(default=None, gt=0, le=1)
    spot_check_ratio: float = Field(gt=0, le=1)
    presenter_ratio: float | None = Field(default=None, gt=0, le=1)
    peer_review_before_submit: bool = False
    final_deadline: date
    task_due_days: dict[TaskKind, int] = Field(default_factory=dict)

    def due_days(self, kind: TaskKind) -> int:
        """Days a reviewer has for a task of this kind (14 where the policy is silent)."""
        return self.task_due_days.get(kind, 14)


def preset_names() -> list[str]:
    """Names of the shipped policy presets."""
    return sorted(p.stem for p in PRESET_DIR.glob("*.yaml"))


def load_policy_file(path: Path) -> Policy:
    """Read and validate a policy YAML file, raising InvalidPolicy naming every problem."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InvalidPolicy(f"{path}: cannot read policy: {exc}") from exc
    return parse_policy(data, origin=str(path))


def parse_policy(data: object, origin: str = "policy") -> Policy:
    """Validate raw policy data, raising InvalidPolicy with one line per problem and its path."""
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise InvalidPolicy(f"{origin}: {problems}") from exc


def load_preset(name: str) -> Policy:
    """Load a shipped preset by name, e.g. 'yanzhou-2022'."""
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise InvalidPolicy(f"unknown policy preset '{name}'; known: {', '.join(preset_names())}")
    return load_policy_file(path)
