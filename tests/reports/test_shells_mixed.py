"""Table shells of the mixed-model family (reports.shells.mixed) on hand-built results (inline rows).

Expected cells are written by hand from the inline numbers: LS means, SEs and differences to 2 decimals,
p-values to 3 (``<0.001`` below). Plans: msc-etanercept (BASDAI-MMRM: CHG, unstructured, Kenward-Roger, BASE x
visit) and cdiscpilot01 (ADAS-ANCOVA: CHG = treatment + SITEGR1 + BASE, dose-response on TRTPN). The numbers are
those of msc-etanercept table 14.2.3 and cdiscpilot01 table 14-3.01 before the rebuild.
"""
from __future__ import annotations

import pytest

from analyses.results import tidy_frame
from reports.shells import display_tables
from reports.shells.common import ShellContext
from reports.shells.mixed import ancova_table, mmrm_table
from sap.results import AnalysisResult, Exclusion
from sap.spec import load_plan
from shared_helpers import result_of as _result  # noqa: E402

MSC, ETN = "MSC 1.0x10^6 cells/kg", "Etanercept"
PBO, LOW, HIGH = "Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"
US_EXTRA = {"grouped": True, "population_n": 58, "covariance_requested": "us", "covariance_used": "us",
            "fallback_history": [{"covariance": "us", "converged": True}], "df_method": "kenward_roger",
            "vcov_method": "kenward_roger", "reml": True, "optimizer": "L-BFGS-B"}


@pytest.fixture(scope="module")
def etn():
    return load_plan("msc-etanercept")


@pytest.fixture(scope="module")
def cdisc():
    return load_plan("cdiscpilot01")




def _render(tables) -> list[dict]:
    return [{"title": t.title, "columns": list(t.frame.columns), "cells": t.frame.fillna("").values.tolist(),
             "footnotes": list(t.footnotes), "stub": list(t.stub_columns)} for t in tables]


def _mmrm_rows(level=0.95, grouped=True) -> list[dict]:
    base = dict(level=level, value="CHG")
    if not grouped:
        return [dict(base, statistic="lsmean", visit=12.0, group=None, estimate=-1.9012, se=0.1466, n=49),
                dict(base, statistic="lsmean", visit=48.0, group=None, estimate=-1.2549, se=0.1999, n=49)]
    rows = []
    for v, (m, ms, mn), (e, es, en), (d, lo, hi, p) in (
            (12.0, (-1.2849, 0.1937, 27), (-2.6271, 0.2031, 22), (1.3422, 0.7861, 1.8983, 0.00001)),
            (48.0, (0.0612, 0.2049, 26), (-2.6098, 0.2151, 23), (2.6710, 2.0704, 3.2716, 0.0004))):
        rows.append(dict(base, statistic="lsmean", visit=v, group=MSC, estimate=m, se=ms, n=mn))
        rows.append(dict(base, statistic="lsmean", visit=v, group=ETN, estimate=e, se=es, n=en))
        rows.append(dict(base, statistic="lsmean_difference", visit=v, group=MSC, comparator=ETN, estimate=d,
                         ci_lower=lo, ci_upper=hi, p_value=p, n=mn, n_comparator=en))
    return rows


def _mmrm_result(etn, level=0.95, extra=None, **kw):
    return _result(etn, "BASDAI-MMRM", _mmrm_rows(level), level=level, group_n={MSC: 29, ETN: 29}, reference=ETN,
                   converged=True, excluded=(Exclusion("missing value of CHG or BASE", 3, "subject-visit records"),),
                   extra=extra or US_EXTRA, **kw)


def test_mmrm_cells_and_headers_by_hand(etn):
    (t,) = mmrm_table(_mmrm_result(etn), ShellContext(etn, data_source="test data"))
    assert t.title == "BASDAI change from baseline: MMRM" and t.stub_columns == ("Visit",)
    assert list(t.frame.columns) == ["Visit", f"{MSC} (N=29)", "Etanercept (N=29)",
                                     f"{MSC} - Etanercept: difference (95% CI)", f"{MSC} - Etanercept: p"]
    assert t.frame.values.tolist() == [
        ["Week 12", "n=27: -1.28 (0.19)", "n=22: -2.63 (0.20)", "1.34 (0.79, 1.90)", "<0.001"],
        ["Week 48", "n=26: 0.06 (0.20)", "n=23: -2.61 (0.22)", "2.67 (2.07, 3.27)", "<0.001"]]
    assert t.footnotes[:4] == (
        "BASDAI: LS mean (SE) of change from baseline.",
        "MMRM: CHG = arm + visit + arm x visit + BASE + BASE x visit; unstructured covariance; REML; Kenward-Roger "
        "degrees of freedom; LS means with equal weights over categorical covariates and continuous covariates at "
        "their mean. Engine: sap analyses.mmrm (validated against SAS PROC MIXED).",
        "Missing data: all observed post-baseline values used; valid under missing at random.",
        "Converged: yes; optimizer L-BFGS-B.")
    assert "3 subject-visit records excluded: missing value of CHG or BASE." in t.footnotes
    assert t.footnotes[-1] == "Data source: test data."


def test_mmrm_level_090_prints_90_percent_ci(etn):
    (t,) = mmrm_table(_mmrm_result(etn, level=0.90), ShellContext(etn))
    assert f"{MSC} - Etanercept: difference (90% CI)" in t.frame.columns
    assert not any("95%" in c for c in t.frame.columns)


def test_mmrm_fallback_and_warnings_in_footnotes(etn):
    extra = dict(US_EXTRA, covariance_used="toeph", fallback_history=[{"covariance": "us", "converged": False},
                                                                    {"covariance": "toeph", "converged": True}])
    warning = "MMRM with covariance 'us' failed; fell back to 'toeph' (see fit.fallback_history)"
    (t,) = mmrm_table(_mmrm_result(etn, extra=extra, warnings=(warning,)), ShellContext(etn))
    model = t.footnotes[1]
    assert ("heterogeneous Toeplitz covariance (fallback: the prespecified unstructured structure did not converge; "
            "tried in turn: unstructured (not converged), heterogeneous Toeplitz (converged))") in model
    assert f"Warning: {warning}" in t.footnotes


def test_mmrm_pooled_column_uses_the_population_n(etn):
    extra = dict(US_EXTRA, grouped=False)
    result = _result(etn, "BASDAI-MMRM", _mmrm_rows(grouped=False), level=0.95,
                     group_n={"Blinded treatment (pooled)": 58}, converged=True, extra=extra)
    (t,) = mmrm_table(result, ShellContext(etn, blinded=True))
    assert list(t.frame.columns) == ["Visit", "All subjects (N=58)"]
    assert t.frame.values.tolist() == [["Week 12", "n=49: -1.90 (0.15)"], ["Week 48", "n=49: -1.25 (0.20)"]]
    assert t.footnotes[1].startswith("MMRM: CHG = visit + BASE + BASE x visit; unstructured covariance")


def test_mmrm_not_estimable_shows_the_reason(etn):
    a = etn.analysis("BASDAI-MMRM")
    result = AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame([]),
                            group_n={MSC: 29, ETN: 29}, not_estimable="fewer than 2 subjects in arm Etanercept at "
                                                                      "Week 48 (1)")
    (t,) = display_tables(result, ShellContext(etn))
    assert t.frame.values.tolist() == [["Not estimable: fewer than 2 subjects in arm Etanercept at Week 48 (1)"]]


def _ancova_result(cdisc, level=0.95):
    base = dict(level=level, visit=24.0)
    rows = [dict(base, statistic="lsmean", group=PBO, estimate=2.4724, se=0.5971, n=79),
            dict(base, statistic="lsmean", group=LOW, estimate=2.0066, se=0.5915, n=81),
            dict(base, statistic="lsmean", group=HIGH, estimate=1.4653, se=0.6197, n=74),
            dict(base, statistic="lsmean_difference", group=LOW, comparator=PBO, estimate=-0.4658, se=0.8212,
                 ci_lower=-2.0840, ci_upper=1.1524, p_value=0.5711),
            dict(base, statistic="lsmean_difference", group=HIGH, comparator=PBO, estimate=-1.0071, se=0.8419,
                 ci_lower=-2.6660, ci_upper=0.6518, p_value=0.2329),
            dict(base, statistic="f_test", estimate=1.36, p_value=0.2447, label="linear dose-response")]
    return _result(cdisc, "ADAS-ANCOVA", rows, level=level, group_n={PBO: 79, LOW: 81, HIGH: 74}, reference=PBO,
                   excluded=(Exclusion("missing value of CHG, SITEGR1, BASE or TRTPN", 0),))


def test_ancova_cells_and_footnotes_by_hand(cdisc):
    (t,) = ancova_table(_ancova_result(cdisc), ShellContext(cdisc))
    assert list(t.frame.columns) == ["Group", "n", "LS mean (SE)", "Difference vs Placebo (95% CI)", "p-value"]
    assert t.frame.values.tolist() == [
        ["Placebo (N=79)", "79", "2.47 (0.60)", "", ""],
        ["Xanomeline Low Dose (N=81)", "81", "2.01 (0.59)", "-0.47 (0.82) (-2.08, 1.15)", "0.571"],
        ["Xanomeline High Dose (N=74)", "74", "1.47 (0.62)", "-1.01 (0.84) (-2.67, 0.65)", "0.233"]]
    assert t.footnotes[:3] == (
        "ANCOVA: CHG = treatment + SITEGR1 + BASE; OLS (statsmodels); LS means with equal weights over categorical "
        "covariates, continuous covariates at their mean; difference shown as estimate (SE) and CI.",
        "Linear dose-response test (TRTPN as a continuous covariate in place of treatment): p = 0.245.",
        "0 records excluded: missing value of CHG, SITEGR1, BASE or TRTPN.")


def test_ancova_level_090_prints_90_percent_ci(cdisc):
    (t,) = ancova_table(_ancova_result(cdisc, level=0.90), ShellContext(cdisc))
    assert "Difference vs Placebo (90% CI)" in t.frame.columns


def test_mmrm_table_snapshot(etn, snapshot):
    rendered = _render(mmrm_table(_mmrm_result(etn), ShellContext(etn, data_source="test data")))
    assert rendered == snapshot


def test_ancova_table_snapshot(cdisc, snapshot):
    rendered = _render(ancova_table(_ancova_result(cdisc), ShellContext(cdisc, data_source="test data")))
    assert rendered == snapshot
