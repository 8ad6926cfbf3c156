"""How the SAP document and the tables describe the groups (reports.sap_design): the registered clinical phase, a
non-randomized phase's allocation, and comparisons between non-randomized groups labelled as such (ucmsc-ra)
while randomized comparisons (msc-etanercept) carry no such label."""
from __future__ import annotations

import pandas as pd
import pytest

from reports.sap_design import (allocation_lines, clinical_phase_line, comparison_label, is_nonrandomized_comparison,
                                nonrandomized_footnote)
from reports.blocks import labelled
from reports.sap_document import build_sap_body
from sap.spec import load_plan


@pytest.fixture(scope="module")
def ra():
    return load_plan("ucmsc-ra")


@pytest.fixture(scope="module")
def et():
    return load_plan("msc-etanercept")


def test_clinical_phase_and_allocation_lines(ra, et):
    assert clinical_phase_line(ra.design) == labelled("Clinical phase (as registered)", "Phase 1/2")
    assert clinical_phase_line(et.design) == labelled("Clinical phase", "not recorded in the plan (see the notes)")
    method = ra.design.phases[0].allocation.method
    lines = allocation_lines(ra.design.phases[0])
    assert lines[0] == labelled("Allocation", f"{method}; planned split 1:1:1 (UCMSC, DMARD, COMBO).")
    assert lines[1] == labelled("Comparisons", "The groups were not randomized, so between-group differences and "
                                "tests are descriptive comparisons of non-randomized groups, not randomized estimates "
                                "of the treatment effect.")
    assert allocation_lines(et.design.phases[0]) == []


def test_comparisons_labelled_only_between_nonrandomized_groups(ra, et):
    labelled = {a.id for a in ra.analyses if is_nonrandomized_comparison(ra, a)}
    assert labelled == {"ACR20-CMP", "ACR50-CMP", "ACR70-CMP", "EULAR-CMP", "DAS28CRP-MMRM", "DAS28ESR-MMRM",
                        "HAQDI-MMRM", "MULT"}
    assert comparison_label(ra, ra.analysis("ACR20-RATE")) == ""
    assert comparison_label(ra, ra.analysis("ACR20-CMP")) == " (non-randomized comparison)"
    assert not any(is_nonrandomized_comparison(et, a) for a in et.analyses)


def test_footnote_only_for_rows_with_a_comparator(ra, et):
    with_comparator = pd.DataFrame({"group": ["UC-MSC"], "comparator": ["DMARDs"]})
    without = pd.DataFrame({"group": ["UC-MSC"], "comparator": [None]})
    note = nonrandomized_footnote(ra, ra.analysis("ACR20-CMP"), with_comparator)
    assert note.startswith("Non-randomized comparison: the groups were not randomized")
    assert nonrandomized_footnote(ra, ra.analysis("ACR20-RATE"), without) == ""
    assert nonrandomized_footnote(et, et.analysis("ASAS20-CMP"), with_comparator) == ""


def test_sap_document_prints_phase_allocation_and_labels(ra):
    body = build_sap_body(ra, "0" * 64)
    assert labelled("Clinical phase (as registered)", "Phase 1/2") in body
    assert allocation_lines(ra.design.phases[0])[0] in body
    assert body.count("(non-randomized comparison)") >= 8
