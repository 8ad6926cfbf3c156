"""The plan's notes in the SAP document: a targeted note (``{text, about}``, :mod:`sap.spec_notes`) beside each
item it is about (a mark on the item's row and the note under its table, or a paragraph under its phase), and
every note in the numbered list of notes."""
from __future__ import annotations

from sap.spec_notes import note_about, note_text, notes_about

from reports.blocks import bullets, labelled


def render_mark(plan, item_id: str, label: str) -> str:
    """``label`` with the numbers of the notes about ``item_id``: 'PBO [note 8]', 'DLT [notes 7, 9]'."""
    numbers = [str(n) for n, _ in notes_about(plan, [item_id])]
    if not numbers:
        return label
    return f"{label} [note{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}]"


def render_item_notes(plan, ids) -> list[str]:
    """Lines 'Note 8 (about PBO): text' for the notes about any of ``ids``, each note once, in plan order."""
    wanted = list(ids)
    lines = []
    for n, text in notes_about(plan, wanted):
        about = [i for i in note_about(plan.notes[n - 1]) if i in wanted]
        lines.append(f"Note {n} (about {', '.join(about)}): {text}")
    return lines


def render_phase_notes(plan, phase_id: str) -> list[str]:
    """'**Note 7:** text' paragraphs for the notes about a phase (printed under the phase's heading)."""
    return [labelled(f"Note {n}", text) for n, text in notes_about(plan, [phase_id])]


def render_notes_list(plan) -> str:
    """The numbered list of every note; a targeted note names the items it is printed beside."""
    items = []
    for note in plan.notes:
        about = note_about(note)
        items.append(note_text(note) + (f" (About: {', '.join(about)}.)" if about else ""))
    return bullets(items, numbered=True)
