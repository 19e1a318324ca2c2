"""Free text people type into requests: which characters it may hold, and when it says something at all."""
import unicodedata
from typing import Annotated

from pydantic import AfterValidator, Field

ALLOWED_CONTROLS = frozenset("\n\t")
"""The only control characters free text keeps; a CR is taken only as part of a CRLF line end."""

BLANK_LOOKALIKES = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")
"""Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern, the grapheme joiner)."""


def control_problem(text: str) -> str | None:
    """Why the text may not be stored (a control character other than newline and tab, a lone surrogate), or None."""
    for index, char in enumerate(text):
        if char == "\r" and text[index + 1:index + 2] == "\n":
            continue
        category = unicodedata.category(char)
        if (category == "Cc" and char not in ALLOWED_CONTROLS) or category == "Cs":
            return f"must not contain the control character U+{ord(char):04X} (at position {index + 1})"
    return None


def is_visible(char: str) -> bool:
    """A letter, digit, punctuation mark or symbol that shows: not a space, control, format or combining mark."""
    return unicodedata.category(char)[0] in "LNPS" and char not in BLANK_LOOKALIKES


def has_visible_text(text: str) -> bool:
    """Whether the text shows at least one character (spaces, zero-width characters and BOMs alone do not)."""
    return any(is_visible(char) for char in text)


def no_controls(text: str) -> str:
    """The text, if it holds no control character but newline and tab (ValueError otherwise)."""
    problem = control_problem(text)
    if problem:
        raise ValueError(problem)
    return text


def visible(text: str) -> str:
    """The text, if it shows something (ValueError otherwise)."""
    if not has_visible_text(text):
        raise ValueError("needs visible text: spaces, control, zero-width or BOM characters alone say nothing")
    return text


def free_text(max_length: int, description: str | None = None) -> object:
    """Optional free text (a comment): at most max_length characters, no control characters but newline and tab."""
    return Annotated[str, Field(max_length=max_length, description=description), AfterValidator(no_controls)]


def required_text(max_length: int, description: str | None = None) -> object:
    """Free text that must say something (a reason, a report, a plan): as `free_text`, and visible."""
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description),
                     AfterValidator(no_controls), AfterValidator(visible)]


def one_line(text: str) -> str:
    """The text, if it holds no control character at all, newline and tab included (ValueError otherwise)."""
    if any(char in text for char in "\r\n\t"):
        raise ValueError("must be a single line, without newline or tab")
    return no_controls(text)


def single_line(max_length: int, description: str | None = None) -> object:
    """A name or code typed on one line (a username, a file name): no control characters at all, and visible."""
    return Annotated[str, Field(min_length=1, max_length=max_length, description=description),
                     AfterValidator(one_line), AfterValidator(visible)]


FreeText = free_text(2000)
"""A comment: optional, at most 2000 characters, no control characters but newline and tab."""

Reason = required_text(2000, "Why; required, and visible text (no control characters but newline and tab).")
"""Why a return or failure was decided: required and visible."""
