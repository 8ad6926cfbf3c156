"""Table shells of the binary and continuous families on hand-built results (inline rows).

Expected cells are written by hand from the inline numbers (percent = 100 x proportion, 1 decimal; odds ratios
2 decimals; p-values 3 decimals). Plans: msc-etanercept (ASAS20-RATE), cg-bm1 (ASAS20-CMP: stratified by STRAT1,
Fisher and CMH tests) and wang2013 (CRP-SUM, unit mg/L).
"""
from __future__ import annotations

import pandas as pd
import pytest

from reports.shells import display_tables
from reports.shells.binary import comparison_table, rate_table
from reports.shells.common import ShellContext
from reports.shells.continuous import summary_table
from sap.results import AnalysisResult, Exclusion, withheld_result
from sap.spec import load_plan
from shared_helpers import render_tables as _render, result_of as _result  # noqa: E402

MSC, ETN = "MSC 1.0x10^6 cells/kg", "Etanercept"
RP2D, PBO = "CG-BM1 (RP2D)", "Placebo"






# --------------------------------------------------------------------------- rates
def _rate_rows(level: float = 0.95) -> list[dict]:
    rows = []
    for imp, visit, group, x, n, lo, hi in (
            ("nri", 12.0, MSC, 2, 3, 0.0943, 0.9916), ("nri", 12.0, ETN, 0, 3, 0.0, 0.7076),
            ("nri", 48.0, MSC, 3, 3, 0.2924, 1.0), ("observed_case", 12.0, MSC, 2, 2, 0.1581, 1.0)):
        base = dict(visit=visit, group=group, n=n, imputation=imp)
        rows.append(dict(base, statistic="count", estimate=x, label="responders"))
        rows.append(dict(base, statistic="proportion", estimate=x / n, ci_lower=lo, ci_upper=hi,
                         method="clopper_pearson", level=level))
    return rows


def _rate_result(level: float = 0.95) -> AnalysisResult:
    plan = load_plan("msc-etanercept")
    return _result(plan, "ASAS20-RATE", _rate_rows(level), level=level, group_n={MSC: 3, ETN: 3},
                   excluded=(Exclusion("Observed cases: no evaluable response at the visit", 4,
                                       "subject-visits"),))


@pytest.fixture(scope="module")
def sc_msc():
    return ShellContext(load_plan("msc-etanercept"), data_source="test data")


def test_rate_table_cells(sc_msc):
    nri, oc = rate_table(_rate_result(), sc_msc)
    assert nri.title == "ASAS20 response rate (non-responder imputation)"
    assert list(nri.frame.columns) == ["Visit", f"{MSC} (N=3)", f"{ETN} (N=3)"]
    assert nri.frame.values.tolist() == [
        ["Week 12", "2/3 (66.7%) (9.4, 99.2)", "0/3 (0.0%) (0.0, 70.8)"],
        ["Week 48", "3/3 (100.0%) (29.2, 100.0)", ""],  # no row: not shown
    ]
    assert oc.frame.values.tolist() == [["Week 12", "2/2 (100.0%) (15.8, 100.0)", ""]]
    assert nri.stub_columns == ("Visit",)


def test_rate_table_footnotes_carry_each_imputations_exclusions(sc_msc):
    nri, oc = rate_table(_rate_result(), sc_msc)
    assert nri.footnotes[0] == ("Non-responder imputation. Responders/n (%) of the subjects evaluated at the visit, "
                                "and 95% CI (%) by the Clopper-Pearson exact method.")
    assert not [f for f in nri.footnotes if "excluded" in f]
    assert "4 subject-visits excluded: Observed cases: no evaluable response at the visit." in oc.footnotes
    assert oc.footnotes[-1] == "Data source: test data."
    assert any(f.startswith("Population: Full analysis set") for f in oc.footnotes)


def test_rate_table_prints_level_090(sc_msc):
    texts = [f for t in rate_table(_rate_result(0.90), sc_msc) for f in t.footnotes]
    assert any("90% CI (%)" in f for f in texts) and not any("95%" in f for f in texts)


def test_rate_table_snapshot(sc_msc, snapshot):
    assert _render(rate_table(_rate_result(), sc_msc)) == snapshot


# --------------------------------------------------------------------------- comparisons
def _comparison_rows(level: float = 0.95) -> list[dict]:
    base = dict(group=RP2D, comparator=PBO, visit=12.0, n=39, n_group=19, n_comparator=20, x_group=8,
                x_comparator=3, imputation="nri", level=level)
    strat = "stratified by STRAT1; 2 of 2 strata with both arms"
    return [
        dict(base, statistic="difference", estimate=0.2711, ci_lower=-0.0123, ci_upper=0.5081, method="newcombe",
             label="unstratified"),
        dict(base, statistic="fisher_test", p_value=0.0816, method="fisher_exact"),
        dict(base, statistic="odds_ratio", estimate=4.2, ci_lower=0.9, ci_upper=19.6, method="woolf",
             label="crude"),
        dict(base, statistic="difference", estimate=0.274, ci_lower=0.002, ci_upper=0.546, method="cmh",
             label=strat),
        dict(base, statistic="chisq_test", estimate=3.4, df=1, p_value=0.0004, method="cmh", label=strat),
        dict(base, statistic="odds_ratio", estimate=4.25, ci_lower=0.912, ci_upper=19.8, p_value=0.06,
             method="logistic_wald", label="adjusted for STRAT1"),
        dict(base, statistic="difference", estimate=0.2711, ci_lower=-0.016, ci_upper=0.526,
             method="miettinen_nurminen", label="unstratified"),
    ]


def _comparison_result(level: float = 0.95) -> AnalysisResult:
    plan = load_plan("cg-bm1")
    return _result(plan, "ASAS20-CMP", _comparison_rows(level), level=level, reference=PBO,
                   group_n={RP2D: 20, PBO: 20})


@pytest.fixture(scope="module")
def sc_cg():
    return ShellContext(load_plan("cg-bm1"), data_source="test data")


def test_comparison_table_cells(sc_cg):
    nri, oc = comparison_table(_comparison_result(), sc_cg)
    assert list(nri.frame.columns) == [
        "Visit", "Comparison", RP2D, PBO, "Difference, % (95% CI Newcombe hybrid score)",
        "95% CI Miettinen-Nurminen", "Stratified difference, % (Cochran-Mantel-Haenszel weighted)",
        "Odds ratio (95% CI)", "Fisher p", "CMH p"]
    # the stratum-adjusted (logistic) odds ratio is shown when present, not the crude one
    assert nri.frame.values.tolist() == [[
        "Week 12", f"{RP2D} vs {PBO}", "8/19 (42.1%)", "3/20 (15.0%)", "27.1 (-1.2, 50.8)", "(-1.6, 52.6)",
        "27.4 (0.2, 54.6)", "4.25 (0.91, 19.80)", "0.082", "<0.001"]]
    assert oc.frame.empty  # no observed-case rows in this result
    assert nri.footnotes[0] == ("Non-responder imputation. Difference = CG-BM1 (RP2D) minus Placebo; "
                                "95% confidence intervals.")
    assert "Primary CI: Newcombe hybrid score (Newcombe 1998, method 10)." in nri.footnotes


def test_comparison_table_prints_level_090(sc_cg):
    nri, _ = comparison_table(_comparison_result(0.90), sc_cg)
    heads = list(nri.frame.columns)
    assert {"Difference, % (90% CI Newcombe hybrid score)", "90% CI Miettinen-Nurminen",
            "Odds ratio (90% CI)"} <= set(heads)
    assert not [t for t in heads + list(nri.footnotes) if "95%" in t]


def test_comparison_not_estimable_odds_ratio_prints_ne(sc_cg):
    rows = [r for r in _comparison_rows() if r.get("method") != "logistic_wald"]
    for r in rows:
        if r["statistic"] == "odds_ratio":
            r.update(estimate=float("nan"), ci_lower=float("nan"), ci_upper=float("nan"))
    result = _result(load_plan("cg-bm1"), "ASAS20-CMP", rows, level=0.95, reference=PBO,
                     group_n={RP2D: 20, PBO: 20})
    nri, _ = comparison_table(result, sc_cg)
    assert nri.frame["Odds ratio (95% CI)"].tolist() == ["NE"]


def test_blinded_comparison_is_a_note(sc_cg):
    analysis = sc_cg.plan.analysis("ASAS20-CMP")
    tables = display_tables(withheld_result(analysis, "Blinded data: between-arm comparisons are not produced."),
                            sc_cg)
    assert [t.frame.values.tolist() for t in tables] == [[["Blinded data: between-arm comparisons are not produced."]]]


def test_comparison_table_snapshot(sc_cg, snapshot):
    assert _render(comparison_table(_comparison_result(), sc_cg)) == snapshot


# --------------------------------------------------------------------------- continuous summaries
def _summary_result() -> AnalysisResult:
    plan = load_plan("wang2013")
    rows = []
    for visit, what, group, n, mean, sd, median, lo, hi in (
            (0.0, "Baseline value", "MSC", 3, 20.5, 4.25, 19.0, 16.0, 26.5),
            (4.0, "Value", "MSC", 1, 12.0, None, 12.0, 12.0, 12.0)):
        base = dict(group=group, visit=visit, n=n, label=f"C-reactive protein (mg/L): {what}", value="AVAL")
        rows.append(dict(base, statistic="mean", estimate=mean))
        rows += [dict(base, statistic=s, estimate=v) for s, v in
                 (("sd", sd), ("median", median), ("min", lo), ("max", hi))]
    group_n = {"MSC": 3}
    return _result(plan, "CRP-SUM", rows, group_n=group_n, excluded=(Exclusion("AVAL missing", 2),))


def test_summary_table_cells():
    sc = ShellContext(load_plan("wang2013"))
    result = _summary_result()
    group = next(iter(result.group_n))
    (table,) = summary_table(result, sc)
    assert table.title == "CRP by visit: C-reactive protein (mg/L)"
    assert list(table.frame.columns) == ["Visit", "Statistic", f"{group} (N=3)"]
    assert table.frame.values.tolist() == [
        ["Baseline", "Baseline value: n", "3"],
        ["Baseline", "Baseline value: Mean (SD)", "20.50 (4.25)"],
        ["Baseline", "Baseline value: Median", "19.00"],
        ["Baseline", "Baseline value: Min, Max", "16.00, 26.50"],
        ["Week 4", "Value: n", "1"],
        ["Week 4", "Value: Mean (SD)", "12.00 (NE)"],  # one subject: SD not estimable
        ["Week 4", "Value: Median", "12.00"],
        ["Week 4", "Value: Min, Max", "12.00, 12.00"],
    ]
    assert "2 records excluded: AVAL missing." in table.footnotes


def test_summary_table_snapshot(snapshot):
    assert _render(summary_table(_summary_result(), ShellContext(load_plan("wang2013")))) == snapshot


def test_summary_group_without_records_is_blank():
    result = _summary_result()
    result = AnalysisResult(result.analysis_id, result.method, result.title, result.population, result.endpoint,
                            result.rows, group_n={"MSC": 3, "Other": 2})
    (table,) = summary_table(result, ShellContext(load_plan("wang2013")))
    assert table.frame["Other (N=2)"].tolist() == [""] * 8
    assert isinstance(table.frame, pd.DataFrame)
