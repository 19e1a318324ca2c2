"""Free text in requests: no control characters but newline and tab; a reason, a report or a plan says something."""
import unicodedata

import pytest
from hypothesis import given, strategies as st
from pydantic import TypeAdapter, ValidationError

from models.decisions import Decision, PlanFiled
from models.lifecycle import TransitionContext, reason_is_given
from models.policy import load_preset
from models.text import FreeText, Reason, has_visible_text, single_line

REASON, COMMENT, NAME = TypeAdapter(Reason), TypeAdapter(FreeText), TypeAdapter(single_line(64))
DECISION = TypeAdapter(Decision)
INVISIBLE = ["\u0000", "\u200b", "\ufeff\u200b", " \u3000\t\n", "\u200d\u2060\u00ad", "\u3164", "\u0301"]
controls = st.characters(categories=["Cc"], exclude_characters="\n\t")


@pytest.mark.parametrize("text", INVISIBLE, ids=repr)
def test_a_reason_of_nothing_visible_is_refused(text):
    with pytest.raises(ValidationError):
        REASON.validate_python(text)


@pytest.mark.parametrize("text", ["研修计划缺少学时安排", "A1 ✓", "第1条\n第2条\t完", "Windows line end\r\nkept", "5%"])
def test_a_reason_with_visible_text_is_kept_as_written(text):
    assert REASON.validate_python(text) == text


@given(st.text(max_size=20), controls, st.text(max_size=20))
def test_a_control_character_anywhere_is_refused_in_every_kind_of_text(before, control, after):
    if control == "\r" and after.startswith("\n"):
        after = "x" + after
    text = f"{before}{control}{after}x"
    for adapter in (REASON, COMMENT, NAME):
        with pytest.raises(ValidationError, match="control character U\\+|single line"):
            adapter.validate_python(text)


@given(st.text(st.characters(exclude_categories=["Cc", "Cs"]) | st.sampled_from("\n\t")))
def test_a_comment_without_control_characters_is_kept_even_if_blank(text):
    assert COMMENT.validate_python(text[:2000]) == text[:2000]


@given(st.text(st.characters(categories=["Zs", "Zl", "Zp", "Cf", "Mn", "Me"]) | st.sampled_from("\n\t")))
def test_spaces_format_characters_and_marks_alone_are_never_visible(text):
    assert not has_visible_text(text)


@given(st.characters(categories=["L", "N", "P", "S"]).filter(lambda c: c not in "\u115f\u1160\u3164\uffa0\u2800"))
def test_one_letter_digit_punctuation_or_symbol_is_visible(char):
    assert has_visible_text(f"\u200b{char}\ufeff") and unicodedata.category(char)[0] in "LNPS"


def test_names_take_no_line_breaks():
    assert NAME.validate_python("DEMO-X1-S001-leader") == "DEMO-X1-S001-leader"
    for text in ("a\nb", "a\tb", "\u200b"):
        with pytest.raises(ValidationError):
            NAME.validate_python(text)


@pytest.mark.parametrize("body", [
    {"kind": "plan_review", "outcome": "return", "reason": "\u200b"},
    {"kind": "plan_review", "outcome": "file", "comment": "ok\u0000"},
    {"kind": "rectification", "report": "\ufeff"},
    {"kind": "submission_grading", "items": {"学情分析方案\u0007": "pass"}},
], ids=["reason", "comment", "report", "item-name"])
def test_every_free_text_field_of_a_decision_applies_the_rule(body):
    with pytest.raises(ValidationError):
        DECISION.validate_python(body)


def test_the_lifecycle_guard_reads_a_reason_the_same_way():
    """A payload built outside the API (the demo, a script) meets the same rule in the guard."""
    policy = load_preset("yanzhou-2022")
    for text in ("\u200b", "\ufeff\u200b", " "):
        assert reason_is_given(TransitionContext("plan_submitted", {"reason": text}, policy)) == "a reason is required"
    assert reason_is_given(TransitionContext("plan_submitted", {"reason": "主题不清"}, policy)) is None


def test_a_decision_names_its_kind():
    with pytest.raises(ValidationError, match="kind"):
        PlanFiled(outcome="file")
    with pytest.raises(ValidationError, match="kind is required"):
        DECISION.validate_python({"outcome": "file"})
    assert isinstance(DECISION.validate_python({"kind": "plan_review", "outcome": "file"}), PlanFiled)
