"""Tests for the frame-level response-rate summaries and comparisons."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.binary import difference_ci, proportion_ci
from analyses.binary_summary import compare_response_rates, summarize_response_rates
from analyses.binary_stratified import logistic_odds_ratio, stratified_difference_ci
from analyses.results import RESULT_COLUMNS


def _frame():
    # visit 1: A 3/4, P 1/4 ; visit 2: A 2/4, P 0/4 ; strata s1/s2
    rows = []
    resp = {("W4", "A"): [1, 1, 1, 0], ("W4", "P"): [1, 0, 0, 0],
            ("W12", "A"): [1, 0, 1, 0], ("W12", "P"): [0, 0, 0, 0]}
    for (visit, grp), ys in resp.items():
        for i, y in enumerate(ys):
            rows.append({"USUBJID": f"{grp}{i}", "AVISIT": visit, "TRT": grp,
                         "STRAT": "s1" if i < 2 else "s2", "RESP": y})
    return pd.DataFrame(rows)


def test_summarize_counts_and_cis():
    res = summarize_response_rates(_frame(), response_col="RESP", group_col="TRT", visit_col="AVISIT",
                                   method="wilson", imputation="NRI", endpoint="ASAS20").tidy()
    assert list(res.columns[:len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert (res.imputation == "NRI").all() and (res.endpoint == "ASAS20").all()
    row = res[(res.visit == "W4") & (res.group == "A") & (res.statistic == "proportion")].iloc[0]
    assert row.estimate == 0.75 and row.n == 4
    assert (row.ci_lower, row.ci_upper) == pytest.approx(proportion_ci(3, 4, "wilson"))
    cnt = res[(res.visit == "W12") & (res.group == "P") & (res.statistic == "count")].iloc[0]
    assert cnt.estimate == 0 and cnt.n == 4
    # counts in = counts out: every subject-visit row is counted exactly once
    assert res[res.statistic == "count"].n.sum() == len(_frame())
    assert res.visit.drop_duplicates().tolist() == ["W4", "W12"]  # order of appearance


def test_compare_rows_unstratified_and_stratified():
    res = compare_response_rates(_frame(), response_col="RESP", group_col="TRT", group="A",
                                 comparator="P", visit_col="AVISIT", strata_col="STRAT",
                                 method="newcombe", stratified_method="mh_sato").tidy()
    w4 = res[res.visit == "W4"]
    diff = w4[(w4.statistic == "difference") & (w4.label == "unstratified")].iloc[0]
    assert (diff.estimate, diff.ci_lower, diff.ci_upper) == pytest.approx(difference_ci(3, 4, 1, 4, "newcombe"))
    strat = w4[(w4.statistic == "difference") & (w4.method == "mh_sato")].iloc[0]
    # s1: A 2/2, P 1/2 ; s2: A 1/2, P 0/2
    ref = stratified_difference_ci([2, 1], [2, 2], [1, 0], [2, 2], "mh_sato")
    assert strat.estimate == pytest.approx(ref["estimate"]) and strat.ci_lower == pytest.approx(ref["ci_lower"])
    assert set(w4.statistic) == {"difference", "fisher_test", "odds_ratio", "chisq_test"}
    assert (w4.group == "A").all() and (w4.comparator == "P").all()
    # W12: no responders in P -> crude OR and logistic OR not estimable (NaN), never a number
    w12 = res[(res.visit == "W12") & (res.statistic == "odds_ratio")]
    assert w12.estimate.isna().all()
    assert w12.label.str.contains("not estimable").any()


def test_missing_response_raises_with_rows():
    f = _frame()
    f.loc[3, "RESP"] = np.nan
    with pytest.raises(ValueError, match=r"RESP.*\[3\]"):
        summarize_response_rates(f, response_col="RESP", group_col="TRT", visit_col="AVISIT")


def test_non_binary_and_unknown_columns_raise():
    f = _frame()
    f.loc[0, "RESP"] = 2
    with pytest.raises(ValueError, match="0/1"):
        summarize_response_rates(f, response_col="RESP", group_col="TRT")
    with pytest.raises(ValueError, match="NOPE"):
        summarize_response_rates(_frame(), response_col="NOPE", group_col="TRT")
    with pytest.raises(ValueError, match="group 'X'"):
        compare_response_rates(_frame(), response_col="RESP", group_col="TRT", group="X", comparator="P")


def test_duplicate_subject_visit_raises():
    f = pd.concat([_frame(), _frame().iloc[[0]]])
    with pytest.raises(ValueError, match="more than one row"):
        summarize_response_rates(f, response_col="RESP", group_col="TRT", visit_col="AVISIT")


def test_logistic_or_without_strata_equals_crude_or():
    y = np.r_[np.ones(7), np.zeros(3), np.ones(4), np.zeros(6)]
    trt = np.r_[np.ones(10), np.zeros(10)]
    lo = logistic_odds_ratio(y, trt)
    assert lo["estimate"] == pytest.approx(7 * 6 / (3 * 4), rel=1e-9)
    assert lo["se"] == pytest.approx(np.sqrt(1 / 7 + 1 / 3 + 1 / 4 + 1 / 6), rel=1e-7)
