"""Keeping a campaign's teachers in step with the roster (002 参训学校名单): who joins, moves, leaves or returns.

The roster side is every active teacher bound to a school enrolled in the campaign; the enrolment side is every
teacher enrolment of the campaign. A teacher is never deleted: one who leaves is withdrawn (kept with hours and
submissions, out of the rates) and one who comes back is returned.
"""
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class EnrolledTeacher:
    """A teacher enrolment as the sync compares it: the person, the school enrolment, whether withdrawn."""

    enrolment_id: int
    teacher_id: int
    school_enrolment_id: int
    withdrawn: bool


@dataclass(frozen=True)
class RosterChanges:
    """What a sync changes: new teacher enrolments, moves between schools (调动), withdrawals and returns."""

    joins: list[tuple[int, int]] = field(default_factory=list)  # (teacher id, school enrolment id)
    transfers: list[tuple[int, int, int]] = field(default_factory=list)  # (enrolment id, from, to school enrolment)
    withdrawals: list[tuple[int, int]] = field(default_factory=list)  # (enrolment id, school enrolment id)
    returns: list[tuple[int, int, int]] = field(default_factory=list)  # (enrolment id, from, to school enrolment)

    def counts(self) -> dict[str, int]:
        """How many of each change."""
        return {"joined": len(self.joins), "transferred": len(self.transfers), "withdrawn": len(self.withdrawals),
                "returned": len(self.returns)}


def roster_changes(enrolled: Iterable[EnrolledTeacher], roster: Mapping[int, int]) -> RosterChanges:
    """The changes that bring the enrolments in line with the roster (teacher id → school enrolment id)."""
    changes = RosterChanges()
    seen: set[int] = set()
    for teacher in enrolled:
        seen.add(teacher.teacher_id)
        school = roster.get(teacher.teacher_id)
        if school is None:
            if not teacher.withdrawn:
                changes.withdrawals.append((teacher.enrolment_id, teacher.school_enrolment_id))
        elif teacher.withdrawn:
            changes.returns.append((teacher.enrolment_id, teacher.school_enrolment_id, school))
        elif school != teacher.school_enrolment_id:
            changes.transfers.append((teacher.enrolment_id, teacher.school_enrolment_id, school))
    changes.joins.extend((teacher, school) for teacher, school in sorted(roster.items()) if teacher not in seen)
    return changes
