"""Table shell of the paired comparison with baseline (reports.shells.paired) on hand-built results (inline rows).

Plan: wang2013, analysis TIE-PAIRED (paired t-test, Wilcoxon signed-rank as sensitivity). Expected cells are
written by hand from the inline numbers: mean change, SD and CI to 2 decimals, t to 2, V to 1, p-values to 3
(``<0.001`` below).
"""
from __future__ import annotations

import pytest

from reports.shells.common import ShellContext
from reports.shells.paired import paired_table
from sap.results import Exclusion
from sap.spec import load_plan
from shared_helpers import render_tables
from shared_helpers import result_of as _result

GROUP = "Allogeneic MSC"


@pytest.fixture(scope="module")
def plan():
    return load_plan("wang2013")


def _rows(p4=0.3241, p20=0.00043):
    rows = []
    for v, (m, sd, lo, hi, t, p, w, pw, n) in (
            (4.0, (-52790.2258, 293175.3614, -160327.8165, 54747.3649, -1.0026, p4, 190.0, 0.2639, 31)),
            (20.0, (-132935.3226, 312195.6214, -247449.6010, -18421.0441, -2.3708, p20, 146.0, 0.0456, 30))):
        base = dict(group=GROUP, visit=v, value="CHG", level=0.95, label="Change from baseline")
        rows += [dict(base, statistic="mean", estimate=m, ci_lower=lo, ci_upper=hi, df=n - 1, n=n, method="paired_t"),
                 dict(base, statistic="sd", estimate=sd, n=n, method="paired_t"),
                 dict(base, statistic="t_test", estimate=t, df=n - 1, p_value=p, n=n, label="Paired t-test",
                      method="paired_t"),
                 dict(base, statistic="signed_rank_test", estimate=w, p_value=pw, n=n,
                      label="Wilcoxon signed-rank test", method="signed_rank_exact")]
    return rows


def _table(plan, **kw):
    result = _result(plan, "TIE-PAIRED", _rows(), level=0.95, group_n={GROUP: 31},
                     excluded=(Exclusion("CHG missing", 1),), **kw)
    (t,) = paired_table(result, ShellContext(plan, data_source="test data"))
    return t


def test_paired_cells_by_hand(plan):
    t = _table(plan)
    assert t.title == "MRI TIE change from baseline (paired comparison): MRI total inflammation extent (TIE) of the spine"
    assert list(t.frame.columns) == ["Visit", "Statistic", f"{GROUP} (N=31)"]
    assert t.frame.values.tolist() == [
        ["Week 4", "n", "31"],
        ["Week 4", "Mean change (SD)", "-52790.23 (293175.36)"],
        ["Week 4", "95% CI of the mean change", "(-160327.82, 54747.36)"],
        ["Week 4", "Paired t-test (primary)", "t = -1.00 (df 30), p = 0.324"],
        ["Week 4", "Wilcoxon signed-rank test (sensitivity)", "V = 190.0, p = 0.264"],
        ["Week 20", "n", "30"],
        ["Week 20", "Mean change (SD)", "-132935.32 (312195.62)"],
        ["Week 20", "95% CI of the mean change", "(-247449.60, -18421.04)"],
        ["Week 20", "Paired t-test (primary)", "t = -2.37 (df 29), p < 0.001"],
        ["Week 20", "Wilcoxon signed-rank test (sensitivity)", "V = 146.0, p = 0.046"]]
    assert t.footnotes[0].startswith("n: subjects with a value at baseline and at the visit; change = visit value "
                                     "minus baseline. 95% CI: t distribution with n - 1 df. Tests of no change, "
                                     "two-sided: Paired t-test (the plan's test); Wilcoxon signed-rank test "
                                     "(sensitivity).")
    assert Exclusion("CHG missing", 1).text() + "." in t.footnotes
    assert t.footnotes[-1] == "Data source: test data."


def test_not_estimable_test_prints_ne(plan):
    rows = _rows()
    rows[2]["p_value"] = float("nan")
    result = _result(plan, "TIE-PAIRED", rows, level=0.95, group_n={GROUP: 31})
    (t,) = paired_table(result, ShellContext(plan))
    assert t.frame.values.tolist()[3] == ["Week 4", "Paired t-test (primary)", "NE"]


def test_paired_snapshot(plan, snapshot):
    assert render_tables([_table(plan)]) == snapshot
