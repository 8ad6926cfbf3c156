"""Plan notes (issue 14): a note is a string or ``{text, about}``; the SAP document prints a targeted note beside
each item it names (its table, or its phase's section) and every note in the numbered list; ``about`` must name
an item of the plan."""
from __future__ import annotations

import re

import pytest
import yaml

from reports.sap_document import build_sap_body
from sap.errors import PlanError
from sap.spec import Note, available_plans, load_plan, plan_from_mapping, plan_path, plan_sha256

PBO_NOTE = "Placebo <&> composition is given two ways in the source."


def _data(plan_id: str = "wang2013") -> dict:
    return yaml.safe_load(plan_path(plan_id).read_text(encoding="utf-8"))


def _with_notes(notes, plan_id: str = "cg-bm1"):
    data = _data(plan_id)
    data["notes"] = notes
    return plan_from_mapping(data, f"{plan_id} (edited)")


def _block(body: str, block_id: str) -> str:
    """The HTML part of the table block ``block_id`` of the SAP body (to the end of its raw HTML block)."""
    start = body.index(f'<div class="tlg" id="{block_id}">')
    return body[start:body.index("\n```", start)]


def _section(body: str, heading: str) -> str:
    """Markdown from the heading line starting with ``heading`` to the next heading, markdown escapes removed."""
    start = body.index(heading)
    following = re.search(r"^#{1,2} ", body[start + len(heading):], flags=re.M)
    text = body[start:start + len(heading) + following.start()] if following else body[start:]
    return re.sub(r"\\(.)", r"\1", text)


@pytest.mark.parametrize("plan_id", available_plans())
def test_every_shipped_plan_loads_and_lists_its_notes(plan_id):
    plan = load_plan(plan_id)
    listed = _section(build_sap_body(plan, "0" * 64), "# Choices where the registration was silent")
    for note in plan.notes:
        text = note if isinstance(note, str) else note.text
        assert " ".join(text.split()) in " ".join(listed.split())


def test_plain_string_notes_are_unchanged():
    """A plan whose notes are strings keeps them as strings (same canonical JSON and SHA-256) and gets no marks."""
    data = _data("wang2013")
    plan = plan_from_mapping(data, "wang2013")
    assert all(isinstance(n, str) for n in plan.notes)
    assert plan.model_dump(mode="json")["notes"] == data["notes"]
    assert plan_sha256(plan) == plan_sha256(load_plan("wang2013"))
    body = build_sap_body(plan, "0" * 64)
    assert "[note" not in body and "(about " not in body


def test_about_is_one_id_or_a_list():
    plan = _with_notes(["plain", {"text": "one", "about": "PBO"}, {"text": "two", "about": ["P1", "DLT"]}])
    assert plan.notes[0] == "plain"
    assert plan.notes[1] == Note(text="one", about=("PBO",))
    assert plan.notes[2].about == ("P1", "DLT")
    assert plan.model_dump(mode="json")["notes"][1] == {"text": "one", "about": ["PBO"]}


def test_unknown_about_is_a_plan_error_naming_the_note():
    with pytest.raises(PlanError, match=r"notes\[1\]\.about: 'NOPE' is not the id of a phase, arm, population, "
                                        r"endpoint, analysis or output"):
        _with_notes(["plain", {"text": "x", "about": ["PBO", "NOPE"]}])
    with pytest.raises(PlanError, match=r"notes\.0\.Note\.abut: unknown key"):
        _with_notes([{"text": "x", "abut": "PBO"}])


def test_a_targeted_note_is_printed_beside_each_item_and_in_the_list():
    notes = ["An untargeted note.", {"text": PBO_NOTE, "about": ["PBO", "P2"]},
             {"text": "About two kinds.", "about": ["DLTEVAL", "BASFI", "DLT-RATE", "14.3.7"]}]
    body = build_sap_body(_with_notes(notes), "0" * 64)
    escaped = "Placebo &lt;&amp;&gt; composition is given two ways in the source."
    arms = _block(body, "sap-arms")
    assert "PBO [note 2]" in arms and f"Note 2 (about PBO): {escaped}" in arms
    assert "DL1 [note" not in arms and "Note 3" not in arms
    phase2 = _section(body, "## Phase 2 randomized")
    assert f"**Note 2:** {PBO_NOTE}" in phase2
    assert "Note 2" not in _section(body, "## Phase 1 dose escalation")
    for block, mark, about in (("sap-populations", "DLT-evaluable (DLTEVAL) [note 3]", "DLTEVAL"),
                               ("sap-endpoints", "BASFI (BASFI) [note 3]", "BASFI"),
                               ("sap-analyses", "DLT-RATE [note 3]", "DLT-RATE"),
                               ("sap-catalogue", "Table 14.3.7 [note 3]", "14.3.7")):
        html = _block(body, block)
        assert mark in html and f"Note 3 (about {about}): About two kinds." in html, block
        assert "Note 2" not in html and "Note 1 " not in html, block
    listed = _section(body, "# Choices where the registration was silent")
    assert "1. An untargeted note.\n" in listed
    assert f"2. {PBO_NOTE} (About: PBO, P2.)\n" in listed
    assert "3. About two kinds. (About: DLTEVAL, BASFI, DLT-RATE, 14.3.7.)\n" in listed


def test_several_notes_about_one_item_share_its_mark():
    body = build_sap_body(_with_notes(["a", {"text": "b", "about": "PBO"}, {"text": "c", "about": ["PBO"]}]),
                          "0" * 64)
    arms = _block(body, "sap-arms")
    assert "PBO [notes 2, 3]" in arms
    assert arms.index("Note 2 (about PBO): b") < arms.index("Note 3 (about PBO): c")
