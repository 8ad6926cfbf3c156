"""Plan notes: where the registration is silent or self-contradictory, what the plan decides.

A note is a string, or ``{text, about}`` where ``about`` names the plan items it concerns (one id or a list): a
phase, arm, population, endpoint, analysis or output id. The SAP document prints a targeted note beside each
item it names and, like every note, in the numbered list of notes. :func:`check_note_targets` refuses an id
that names no item.
"""
from __future__ import annotations

from typing import Any, Union

from pydantic import field_validator

from sap.spec_base import PlanModel

#: the kinds of plan item a note can be about, in the order the SAP document presents them
NOTE_KINDS = ("phase", "arm", "population", "endpoint", "analysis", "output")


class Note(PlanModel):
    """A note about named plan items (``about``: ids of phases, arms, populations, endpoints, analyses, outputs)."""

    text: str
    about: tuple[str, ...] = ()

    @field_validator("about", mode="before")
    @classmethod
    def _one_or_many(cls, v: Any) -> Any:
        return (v,) if isinstance(v, str) else v


PlanNote = Union[str, Note]


def note_text(note: PlanNote) -> str:
    return note if isinstance(note, str) else note.text


def note_about(note: PlanNote) -> tuple[str, ...]:
    return () if isinstance(note, str) else note.about


def plan_items(plan) -> dict[str, tuple[str, ...]]:
    """Every item id a note can name -> the kinds of item with that id."""
    groups = {"phase": plan.design.phases, "arm": plan.design.arms, "population": plan.populations,
              "endpoint": plan.endpoints, "analysis": plan.analyses, "output": plan.outputs}
    found: dict[str, tuple[str, ...]] = {}
    for kind in NOTE_KINDS:
        for item in groups[kind]:
            found[item.id] = found.get(item.id, ()) + (kind,)
    return found


def check_note_targets(plan) -> list[str]:
    """Errors for note ``about`` ids that name no phase, arm, population, endpoint, analysis or output."""
    items = plan_items(plan)
    errors = []
    for i, note in enumerate(plan.notes):
        for target in note_about(note):
            if target not in items:
                errors.append(f"notes[{i}].about: {target!r} is not the id of a phase, arm, population, endpoint, "
                              f"analysis or output of the plan")
    return errors


def notes_about(plan, ids) -> list[tuple[int, str]]:
    """(number, text) of the plan's notes (numbered from 1 in plan order) about any of ``ids``."""
    wanted = set(ids)
    return [(n, note_text(note)) for n, note in enumerate(plan.notes, start=1) if wanted & set(note_about(note))]
