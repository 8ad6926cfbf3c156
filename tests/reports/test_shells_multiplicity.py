"""Table shell of the multiplicity adjustment (reports.shells.multiplicity) on hand-built results (inline rows).

Rows are those of the cg-bm1 table 14.2.11 before the rebuild (fixed sequence, raw p 0.0824, 0.1353, 0.0882,
0.0614; adjusted = running maximum); p-values print to 3 decimals, '<0.001' below.
"""
from __future__ import annotations

import pytest

from analyses.results import tidy_frame
from reports.shells import display_tables
from reports.shells.common import ShellContext
from reports.shells.multiplicity import multiplicity_table
from sap.results import AnalysisResult, withheld_result
from sap.spec import load_plan
from shared_helpers import render_tables  # noqa: E402

PLAN = load_plan("cg-bm1")
LABELS = [h.label for h in PLAN.multiplicity.family]


@pytest.fixture
def sc():
    return ShellContext(PLAN, data_source="test data")


def _render(tables) -> list[dict]:
    return render_tables(tables, fill_missing=False)


def mult_result(raw=(0.0824, 0.1353, 0.0882, 0.0614), adjusted=(0.0824, 0.1353, 0.1353, 0.1353),
                rejected=(False,) * 4, tested=(True, False, False, False), method="fixed_sequence", alpha=0.05):
    rows = [dict(statistic="adjusted_p_value", estimate=a, p_value=a, hypothesis=h, raw_p_value=r, rejected=rej,
                 tested=t, order=i, method=method, alpha=alpha, visit=12.0)
            for i, (h, r, a, rej, t) in enumerate(zip(LABELS, raw, adjusted, rejected, tested), start=1)]
    a = PLAN.analysis("MULT")
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows[::-1]))


def test_cells_in_declared_order(sc):
    (t,) = multiplicity_table(mult_result(), sc)
    assert list(t.frame.columns) == ["Order", "Hypothesis", "Raw p-value", "Adjusted p-value", "Tested", "Rejected"]
    assert t.frame.values.tolist() == [  # table 14.2.11 before the rebuild
        ["1", LABELS[0], "0.082", "0.082", "yes", "no"],
        ["2", LABELS[1], "0.135", "0.135", "no (sequence stopped)", "no"],
        ["3", LABELS[2], "0.088", "0.135", "no (sequence stopped)", "no"],
        ["4", LABELS[3], "0.061", "0.135", "no (sequence stopped)", "no"]]
    assert t.footnotes[0] == ("Procedure: fixed-sequence (hierarchical) testing, each at the full alpha until the "
                              "first non-rejection; adjusted p = running maximum; two-sided alpha 0.05.")
    assert t.footnotes[1] == PLAN.multiplicity.text
    assert t.stub_columns == ("Order", "Hypothesis")


def test_holm_small_p_and_rejections(sc):
    res = mult_result(raw=(0.0004, 0.02, 0.03, 0.5), adjusted=(0.0016, 0.06, 0.06, 0.5),
                      rejected=(True, False, False, False), tested=(True,) * 4, method="holm", alpha=0.025)
    (t,) = multiplicity_table(res, sc)
    assert [r[2:] for r in t.frame.values.tolist()] == [["<0.001", "0.002", "yes", "yes"],
                                                        ["0.020", "0.060", "yes", "no"],
                                                        ["0.030", "0.060", "yes", "no"],
                                                        ["0.500", "0.500", "yes", "no"]]
    assert t.footnotes[0] == "Procedure: Holm step-down (statsmodels multipletests); two-sided alpha 0.025."


def test_withheld_prints_its_reason(sc):
    res = withheld_result(PLAN.analysis("MULT"), "blinded data: no comparisons")
    (t,) = display_tables(res, sc)
    assert t.frame.values.tolist() == [["blinded data: no comparisons"]]


def test_no_interval_header_whatever_the_level(sc):
    """The table prints p-values only: no CI header, whatever the result's level."""
    (t,) = multiplicity_table(mult_result(), sc)
    assert not any("CI" in c for c in t.frame.columns)


def test_multiplicity_table_snapshot(sc, snapshot):
    assert _render(multiplicity_table(mult_result(), sc)) == snapshot
