"""Campaign policy as data: thresholds, hour rules, ratios and deadlines, with the shipped presets."""
import hashlib
import json
from datetime import date
from pathlib import Path

import yaml
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.enums import SchoolState, TaskKind, UnitLevel
from models.errors import InvalidPolicy

PRESET_DIR = Path(__file__).parent / "presets"


class BeijingHours(BaseModel):
    """002 附件1 五、学时与考核: how each kind of record earns hours."""

    model_config = ConfigDict(extra="forbid")
    watch_ratio_min: float = Field(default=2 / 3, gt=0, le=1)  # 每门课程学习时长不低于总时长的2/3
    topic_hours_min: float = Field(default=15, ge=0)  # 不少于15学时的课程学习
    topic_with_quiz_hours: float = Field(default=20, ge=0)  # 并完成已选课程的随堂测试，共计20学时
    case_hours_min: float = Field(default=5, ge=0)  # 不少于5学时的应用案例…共计5学时
    school_training_hours: float = Field(default=20, ge=0)  # 校本研修…合格计20学时
    school_assessment_hours: float = Field(default=5, ge=0)  # 经学校考核合格后计5学时


class HourRules(BaseModel):
    """Training hours a teacher needs (000: 网络研修25学时＋校本实践应用25学时)."""

    model_config = ConfigDict(extra="forbid")
    online_min: float = Field(ge=0)
    practice_min: float = Field(ge=0)
    total_min: float = Field(ge=0)
    scheme: Literal["plain", "beijing"] = "plain"
    beijing: BeijingHours | None = None

    @model_validator(mode="after")
    def _scheme_has_its_parameters(self) -> "HourRules":
        if self.scheme == "beijing" and self.beijing is None:
            raise ValueError("scheme 'beijing' needs a 'beijing' section")
        if self.online_min + self.practice_min > self.total_min:
            raise ValueError("online_min + practice_min exceed total_min")
        return self


class ShareBound(BaseModel):
    """Share of a school's teachers' choices that one environment may or must take."""

    model_config = ConfigDict(extra="forbid")
    min: float | None = Field(default=None, ge=0, le=1)
    max: float | None = Field(default=None, ge=0, le=1)


class ChoiceRules(BaseModel):
    """Which micro-abilities teachers and schools must pick."""

    model_config = ConfigDict(extra="forbid")
    per_teacher_min: int = Field(ge=1)
    per_teacher_max: int | None = Field(default=None, ge=1)
    dimensions_min: int | None = Field(default=None, ge=1, le=4)
    school_set_min: int | None = Field(default=None, ge=1)
    school_set_max: int | None = Field(default=None, ge=1)
    school_set_all_environments: bool = False
    environment_shares: dict[Literal["A", "B", "C"], ShareBound] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _ranges_are_ordered(self) -> "ChoiceRules":
        if self.per_teacher_max is not None and self.per_teacher_max < self.per_teacher_min:
            raise ValueError("per_teacher_max is below per_teacher_min")
        if None not in (self.school_set_min, self.school_set_max) and self.school_set_max < self.school_set_min:
            raise ValueError("school_set_max is below school_set_min")
        return self


MB = 1024 * 1024
FileType = Literal["pdf", "docx", "xlsx", "pptx", "jpg", "png", "mp4", "mov", "mp3"]


class EvidenceItem(BaseModel):
    """One kind of evidence file: the types it may be (sniffed from the bytes) and its size limit."""

    model_config = ConfigDict(extra="forbid")
    types: list[FileType] = Field(min_length=1)
    max_mb: float = Field(gt=0, le=5 * 1024)

    @property
    def max_bytes(self) -> int:
        """The size limit in bytes."""
        return int(self.max_mb * MB)


def _default_evidence_items() -> dict[str, EvidenceItem]:
    documents = ["pdf", "docx"]
    return {
        "plan": EvidenceItem(types=documents, max_mb=20),  # 学校规划、研修计划、考核方案 (000 学校职责)
        "design": EvidenceItem(types=documents, max_mb=20),  # 教学设计 / 活动方案 (003 微能力成果)
        "lesson_video": EvidenceItem(types=["mp4", "mov"], max_mb=500),  # 课堂实录 / 视频片段
        "reflection": EvidenceItem(types=documents, max_mb=20),  # 教学反思
        "report": EvidenceItem(types=[*documents, "xlsx", "pptx", "jpg", "png"], max_mb=50),  # 总结报告、佐证
    }


class EvidenceRules(BaseModel):
    """What may be uploaded, and how long certified evidence is kept under COMPLIANCE retention."""

    model_config = ConfigDict(extra="forbid")
    items: dict[str, EvidenceItem] = Field(default_factory=_default_evidence_items)
    archive_years: int = Field(default=5, ge=1, le=30)
    direct_upload_max_mb: float = Field(default=20, gt=0, le=100)


class Deadlines(BaseModel):
    """The campaign calendar's defaults: the last day of a stage, or of a task kind (task kind wins)."""

    model_config = ConfigDict(extra="forbid")
    stages: dict[SchoolState, date] = Field(default_factory=dict)
    tasks: dict[TaskKind, date] = Field(default_factory=dict)


class ReminderRules(BaseModel):
    """When the daily reminder run warns a reviewer, and when it tells the office above."""

    model_config = ConfigDict(extra="forbid")
    warn_days: int = Field(default=3, ge=0, le=60)  # due within this many days: in the digest as "due soon"
    escalate_after_days: int = Field(default=7, ge=1, le=120)  # overdue longer: reported to the parent's office


class PhaseTarget(BaseModel):
    """A phasing target: by this day, at least this share of the region's schools certified (整校推进完成)."""

    model_config = ConfigDict(extra="forbid")
    by: date
    share: float = Field(gt=0, le=1)


class Policy(BaseModel):
    """The rules one campaign runs under; presets reproduce the source documents."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str
    title: str
    source: str
    hours: HourRules
    choices: ChoiceRules
    teacher_pass_rate_min: float | None = Field(default=None, gt=0, le=1)
    teacher_excellent_rate_min: float | None = Field(default=None, gt=0, le=1)
    school_pass_score: float | None = Field(default=None, gt=0, le=100)
    school_excellent_cap: float | None = Field(default=None, gt=0, le=1)
    spot_check_ratio: float = Field(gt=0, le=1)
    spot_check_by: Literal[UnitLevel.CITY, UnitLevel.COUNTY] = UnitLevel.CITY  # whose office draws, whose expert checks
    presenter_ratio: float | None = Field(default=None, gt=0, le=1)
    peer_review_before_submit: bool = False
    presenters_verified_to_pass: bool = False  # a doubtful or open presenter verification blocks the county's pass
    school_confirms_grades: bool = False  # two-level school review: 教研组 grades, then the school confirms
    application_reports: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=10)  # reports the county application attaches, as the school's files
    rubric: str | None = None
    final_deadline: date
    task_due_days: dict[TaskKind, int] = Field(default_factory=dict)
    evidence: EvidenceRules = Field(default_factory=EvidenceRules)
    deadlines: Deadlines = Field(default_factory=Deadlines)
    reminders: ReminderRules = Field(default_factory=ReminderRules)
    targets: list[PhaseTarget] = Field(default_factory=list)

    @model_validator(mode="after")
    def _targets_rise(self) -> "Policy":
        for earlier, later in zip(self.targets, self.targets[1:]):
            if not (earlier.by < later.by and earlier.share < later.share):
                raise ValueError(f"targets must rise: {later.by} {later.share:g} does not come after "
                                 f"{earlier.by} {earlier.share:g} with a larger share")
        late = [str(t.by) for t in self.targets if t.by > self.final_deadline]
        if late:
            raise ValueError(f"targets after final_deadline {self.final_deadline}: {', '.join(late)}")
        return self

    @model_validator(mode="after")
    def _deadlines_within_campaign(self) -> "Policy":
        late = [f"{name} {day}" for name, day in {**self.deadlines.stages, **self.deadlines.tasks}.items()
                if day > self.final_deadline]
        if late:
            raise ValueError(f"deadlines after final_deadline {self.final_deadline}: {', '.join(late)}")
        return self

    @model_validator(mode="after")
    def _rubric_matches(self) -> "Policy":
        if self.rubric is not None:
            from models.rubric import load_rubric  # the rubric module imports this one

            rubric = load_rubric(self.rubric)
            if self.school_pass_score is not None and rubric.pass_score != self.school_pass_score:
                raise ValueError(f"school_pass_score {self.school_pass_score:g} differs from rubric's {rubric.pass_score:g}")
        return self

    def next_year(self) -> "Policy":
        """The same rules one year on: the final deadline, every calendar deadline and target moved by a year."""
        return self.for_year(self.final_deadline.year + 1)

    def for_year(self, year: int) -> "Policy":
        """The same rules for another campaign year: the final deadline and every calendar deadline moved by the
        years between the final deadline's year and `year` (either way; 29 February becomes the 28th)."""
        shift = year - self.final_deadline.year
        if shift == 0:
            return self
        deadlines = Deadlines(stages={k: _years_later(v, shift) for k, v in self.deadlines.stages.items()},
                              tasks={k: _years_later(v, shift) for k, v in self.deadlines.tasks.items()})
        targets = [t.model_copy(update={"by": _years_later(t.by, shift)}) for t in self.targets]
        return self.model_copy(update={"final_deadline": _years_later(self.final_deadline, shift),
                                       "deadlines": deadlines, "targets": targets})

    def due_days(self, kind: TaskKind) -> int:
        """Days a reviewer has for a task of this kind (14 where the policy is silent)."""
        return self.task_due_days.get(kind, 14)


def _years_later(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February into a year without one
        return day.replace(year=day.year + years, day=28)


def policy_version(policy: Policy, origin: str) -> str:
    """Where a campaign's policy came from and a hash of its canonical JSON, e.g.
    'preset yanzhou-2022 sha256:1a2b3c4d5e6f' or 'file my-policy.yaml sha256:…'."""
    canonical = json.dumps(policy.model_dump(mode="json"), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{origin} sha256:{hashlib.sha256(canonical.encode('utf-8')).hexdigest()[:12]}"


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
        named = [(".".join(str(p) for p in err["loc"]) or "<root>", err["msg"]) for err in exc.errors()]
        refusal = InvalidPolicy(f"{origin}: " + "; ".join(f"{where}: {msg}" for where, msg in named))
        refusal.errors = [{"field": f"{origin}.{where}", "message": msg} for where, msg in named]
        raise refusal from exc


def load_preset(name: str) -> Policy:
    """Load a shipped preset by name, e.g. 'yanzhou-2022'."""
    path = PRESET_DIR / f"{name}.yaml"
    if not path.is_file():
        raise InvalidPolicy(f"unknown policy preset '{name}'; known: {', '.join(preset_names())}")
    return load_policy_file(path)
