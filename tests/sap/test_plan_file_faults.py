"""Faults of plan files (issue 15): each is a PlanError (exit 2, one ``error:`` line) naming the file, the key and its
line; nothing of a faulty plan is taken silently (a duplicated YAML key used to keep the last value, exit 0)."""
from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
import yaml

from sap.run import main
from sap.spec import PlanError, load_plan, plan_from_mapping, plan_path

SOURCE = plan_path("cg-bm1").read_text(encoding="utf-8")


def _line(text: str, fragment: str) -> int:
    """1-based line number of the first line of ``text`` containing ``fragment``."""
    return next(i for i, line in enumerate(text.splitlines(), 1) if fragment in line)


def _plan(tmp_path: Path, text: str | bytes, name: str = "plan.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def _error(path: Path) -> str:
    with pytest.raises(PlanError) as caught:
        load_plan(path)
    message = str(caught.value)
    assert "\n" not in message and str(path) in message
    return message


def test_yaml_syntax_error_keeps_its_line_number(tmp_path):
    """The finding: 'YAML syntax error: while parsing a flow sequence' -- which line?"""
    text = SOURCE.replace("\nshort_title:", "\nshort_title: [unclosed\nbroken: x\nshort_title2:", 1)
    message = _error(_plan(tmp_path, text))
    assert re.search(r"YAML syntax error at line \d+, column \d+", message), message
    assert f"line {_line(text, 'short_title: [unclosed')}" in message  # where the open sequence starts


def test_tab_indentation_names_its_line(tmp_path):
    text = SOURCE.replace("\nversion:", "\n\tversion:", 1)
    message = _error(_plan(tmp_path, text))
    assert f"line {_line(text, chr(9) + 'version:')}" in message and "tab" in message.lower(), message


def test_duplicate_key_is_refused_with_both_lines(tmp_path):
    text = SOURCE.replace("\nversion:", "\nshort_title: Another title\nversion:", 1)
    message = _error(_plan(tmp_path, text))
    first, second = _line(text, "short_title:"), _line(text, "short_title: Another title")
    assert "duplicate key 'short_title'" in message
    assert f"line {second}" in message and f"line {first}" in message


def test_duplicate_nested_key_is_refused(tmp_path):
    text = SOURCE.replace("      label: Phase 1 dose escalation\n",
                          "      label: Phase 1 dose escalation\n      label: Phase one\n", 1)
    message = _error(_plan(tmp_path, text))
    assert "duplicate key 'label'" in message and f"line {_line(text, 'label: Phase one')}" in message


def test_plan_that_is_not_utf8_names_the_line(tmp_path):
    """Was exit 1 (UnicodeDecodeError traceback)."""
    text = SOURCE.replace("\nsponsor: ", "\nsponsor: \u00c9quipe ", 1)
    message = _error(_plan(tmp_path, text.encode("latin-1", "replace")))
    assert f"line {_line(text, 'sponsor: ')}" in message and "0xc9" in message and "UTF-8" in message


def test_plan_with_a_byte_order_mark_loads(tmp_path):
    plan = load_plan(_plan(tmp_path, b"\xef\xbb\xbf" + SOURCE.encode("utf-8")))
    assert plan.id == "cg-bm1"


def test_unknown_key_names_its_line(tmp_path):
    text = SOURCE.replace("      label: Phase 1 dose escalation\n",
                          "      label: Phase 1 dose escalation\n      lable: typo\n", 1)
    message = _error(_plan(tmp_path, text))
    assert f"design.phases.0.lable (line {_line(text, 'lable: typo')}): unknown key" in message


def test_wrong_type_names_its_line(tmp_path):
    text = re.sub(r"\nversion: .*\n", "\nversion: [1, 2]\n", SOURCE, count=1)
    message = _error(_plan(tmp_path, text))
    assert f"version (line {_line(text, 'version: [1, 2]')}): Input should be a valid string" in message


def test_missing_key_names_the_enclosing_line(tmp_path):
    text = SOURCE.replace("      label: Phase 1 dose escalation\n", "", 1)
    message = _error(_plan(tmp_path, text))
    assert re.search(r"design\.phases\.0\.label \(line \d+\): Field required", message), message


@pytest.mark.parametrize("kind, items", [
    ("objectives", lambda raw: raw["objectives"]),
    ("design.phases", lambda raw: raw["design"]["phases"]),
])
def test_duplicate_ids_are_refused(kind, items):
    """Objectives and phases were taken twice without a word (populations, endpoints, analyses, outputs were
    checked already)."""
    raw = yaml.safe_load(SOURCE)
    items(raw).append(copy.deepcopy(items(raw)[0]))
    with pytest.raises(PlanError, match=rf"{re.escape(kind)}: duplicate id {items(raw)[0]['id']}"):
        plan_from_mapping(raw)


def test_duplicate_endpoint_id_is_refused(tmp_path):
    """Already refused before issue 15; documented here with the other plan faults."""
    message = _error(_plan(tmp_path, SOURCE.replace("  - id: BASDAI\n", "  - id: ASAS20\n", 1)))
    assert "endpoints: duplicate id ASAS20" in message


@pytest.mark.parametrize("edit", [
    lambda s: s.replace("\nshort_title:", "\nshort_title: [unclosed\n  :", 1),
    lambda s: s.replace("\nversion:", "\nshort_title: Another\nversion:", 1),
    lambda s: s.replace("\nsponsor: ", "\nsponsor: \u00c9 ", 1).encode("latin-1", "replace"),
    lambda s: s.replace("\ntitle:", "\ntitel: x\ntitle:", 1),
], ids=["syntax", "duplicate-key", "latin-1", "unknown-key"])
def test_cli_plan_faults_are_exit_2_with_one_line(tmp_path, capsys, edit):
    (tmp_path / "plans").mkdir()
    path = _plan(tmp_path / "plans", edit(SOURCE))
    out = tmp_path / "out"
    code = main(["--plan", str(path), "--format", "html", "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2, err
    assert len(err) == 1 and err[0].startswith(f"error: invalid plan {path}") and "line " in err[0], err
    assert not out.exists()
