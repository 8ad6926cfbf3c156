"""Adapters of the binary and continuous families (sap.adapters.binary, sap.adapters.continuous) on tiny frames.

The plan is the shipped msc-etanercept plan (arms MSC and Etanercept, reference Etanercept, FAS = FASFL "Y",
ASAS20 at weeks 12 and 48; key visit of ASAS20-CMP week 12) with one added continuous_summary analysis.
Expected counts, proportions and differences are computed by hand from the frames below.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from sap.adapters.binary import response_comparison, response_rate
from sap.adapters.continuous import continuous_summary, endpoint_records
from sap.context import AnalysisContext, assign_arms
from sap.results import AnalysisResult
from sap.spec import load_plan, plan_from_mapping
from shared_helpers import one_row as _row  # noqa: E402

MSC, ETN = "MSC 1.0x10^6 cells/kg", "Etanercept"

# S1-S3 MSC, S4-S6 etanercept, S7 MSC but not in the FAS (must be left out everywhere)
ADSL = pd.DataFrame({
    "USUBJID": [f"S{i}" for i in range(1, 8)],
    "TRT01P": ["MSC"] * 3 + ["Etanercept"] * 3 + ["MSC"],
    "FASFL": ["Y"] * 6 + ["N"],
    "SAFFL": ["Y"] * 7,
    "SEX": ["F", "M", "F", "F", "M", "M", "F"],
})
#                 S1   S2   S3       S4   S5   S6   S7
NRI = {12: [1, 1, 0, 1, 0, 0, 1], 48: [0, 0, 0, 1, 1, 0, 1]}
OC = {12: [1, 1, np.nan, 1, 0, 0, 1], 48: [0, np.nan, np.nan, 1, 1, 0, 1]}


def _adresp() -> pd.DataFrame:
    rows = []
    for visit in (12, 48):
        for i, subj in enumerate(ADSL["USUBJID"]):
            rows.append({"USUBJID": subj, "PARAMCD": "ASAS20", "AVISITN": float(visit),
                         "AVAL_NRI": NRI[visit][i], "AVAL_OC": OC[visit][i]})
    rows.append({"USUBJID": "S1", "PARAMCD": "ASAS40", "AVISITN": 12.0, "AVAL_NRI": 1, "AVAL_OC": 1})
    return pd.DataFrame(rows)


# BASDAI: baseline AVAL and week-12 CHG; S3's week-12 change is missing
ADEFF = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6", "S7"] * 2,
    "PARAMCD": "BASDAI",
    "AVISITN": [0.0] * 7 + [12.0] * 7,
    "ANL01FL": "Y",
    "AVAL": [6.0, 5.0, 7.0, 4.0, 6.0, 8.0, 9.0, 3.0, 4.0, np.nan, 3.0, 5.0, 7.0, 1.0],
    "CHG": [np.nan] * 7 + [-3.0, -1.0, np.nan, -1.0, -1.0, -1.0, -8.0],
})


def _plan(level: float = 0.95):
    data = load_plan("msc-etanercept").model_dump(mode="json")
    for analysis in data["analyses"]:
        if analysis["id"] in ("ASAS20-RATE", "ASAS20-CMP"):
            analysis["options"]["level"] = level
    data["analyses"].append({"id": "BASDAI-SUM", "title": "BASDAI", "method": "continuous_summary",
                             "endpoint": "BASDAI", "population": "FAS"})
    return plan_from_mapping(data, "msc-etanercept (test)")


def _ctx(level: float = 0.95, blinded: bool = False) -> AnalysisContext:
    plan = _plan(level)
    adsl = assign_arms(plan, ADSL)
    return AnalysisContext(plan=plan, datasets={"adsl": adsl, "adresp": _adresp(), "adeff": ADEFF.copy()},
                           adsl=adsl, blinded=blinded)




def _clopper_pearson_2_of_3(level: float) -> tuple[float, float]:
    """Clopper & Pearson (1934) limits of 2/3 in closed form: P(X >= 2 | p_L) = 3p^2 - 2p^3 = a/2 and
    P(X <= 2 | p_U) = 1 - p^3 = a/2 (R binom.test(2, 3): 0.0943, 0.9916 at 95%); tolerance 1e-10."""
    half = (1 - level) / 2
    roots = [r.real for r in np.roots([-2.0, 3.0, 0.0, -half]) if abs(r.imag) < 1e-12 and 0 < r.real < 1]
    return min(roots), (1 - half) ** (1 / 3)


# --------------------------------------------------------------------------- response_rate
def test_response_rate_counts_and_population():
    ctx = _ctx()
    result = response_rate(ctx, ctx.plan.analysis("ASAS20-RATE"))
    assert isinstance(result, AnalysisResult) and result.produced
    assert dict(result.group_n) == {MSC: 3, ETN: 3}  # S7 is not in the FAS
    assert result.level == 0.95
    rows = result.rows
    # NRI week 12: MSC S1, S2 of 3; etanercept S4 of 3
    assert _row(rows, imputation="nri", visit=12.0, group=MSC, statistic="count")["estimate"] == 2
    p = _row(rows, imputation="nri", visit=12.0, group=MSC, statistic="proportion")
    assert (p["estimate"], p["n"]) == (pytest.approx(2 / 3), 3)
    assert (p["ci_lower"], p["ci_upper"]) == pytest.approx(_clopper_pearson_2_of_3(0.95), abs=1e-10)
    # observed cases week 12: S3 not evaluable -> MSC 2 of 2; week 48: MSC S1 only, 0 of 1
    assert _row(rows, imputation="observed_case", visit=12.0, group=MSC, statistic="proportion")["n"] == 2
    oc48 = _row(rows, imputation="observed_case", visit=48.0, group=MSC, statistic="proportion")
    assert (oc48["estimate"], oc48["n"]) == (0.0, 1)
    assert not rows["group"].isna().any() and set(rows["group"]) == {MSC, ETN}


def test_response_rate_records_observed_case_exclusions():
    ctx = _ctx()
    result = response_rate(ctx, ctx.plan.analysis("ASAS20-RATE"))
    # FAS subject-visits: 12; observed cases miss S3 at week 12 and S2, S3 at week 48; NRI misses none
    assert [(e.reason.split(":")[0], e.n, e.unit) for e in result.excluded] == [
        ("Observed cases", 3, "subject-visits")]
    assert result.records_used == 12


def test_response_rate_figure_frame_and_level():
    ctx = _ctx(level=0.90)
    result = response_rate(ctx, ctx.plan.analysis("ASAS20-RATE"))
    assert result.level == 0.90
    assert set(result.rows.loc[result.rows["statistic"] == "proportion", "level"]) == {0.90}
    rates = result.frames["rates"]
    assert list(rates.columns) == ["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper", "n"]
    # the figure shows the first imputation of the plan (NRI): 2 groups x 2 visits
    assert len(rates) == 4 and set(rates["visit_label"]) == {"Week 12", "Week 48"}
    msc12 = rates[(rates["group"] == MSC) & (rates["visit"] == 12.0)].iloc[0]
    assert (msc12["ci_lower"], msc12["ci_upper"]) == pytest.approx(_clopper_pearson_2_of_3(0.90), abs=1e-10)


# --------------------------------------------------------------------------- response_comparison
def test_response_comparison_differences_by_imputation():
    ctx = _ctx()
    result = response_comparison(ctx, ctx.plan.analysis("ASAS20-CMP"))
    assert result.reference == ETN and result.level == 0.95
    rows = result.rows
    main = _row(rows, imputation="nri", visit=12.0, statistic="difference", method="newcombe")
    assert (main["group"], main["comparator"]) == (MSC, ETN)
    assert main["estimate"] == pytest.approx(2 / 3 - 1 / 3, abs=1e-15)
    assert (main["x_group"], main["n_group"], main["x_comparator"], main["n_comparator"]) == (2, 3, 1, 3)
    # the additional CI of the plan (Miettinen-Nurminen) per visit
    mn = _row(rows, imputation="nri", visit=48.0, statistic="difference", method="miettinen_nurminen")
    assert mn["estimate"] == pytest.approx(0 / 3 - 2 / 3, abs=1e-15) and mn["n"] == 6
    oc = _row(rows, imputation="observed_case", visit=48.0, statistic="difference", method="newcombe")
    assert (oc["x_group"], oc["n_group"], oc["x_comparator"], oc["n_comparator"]) == (0, 1, 2, 3)
    # Fisher exact p for [[2, 1], [1, 2]] is 1 (hypergeometric: every table is at least as extreme)
    assert _row(rows, imputation="nri", visit=12.0, statistic="fisher_test")["p_value"] == pytest.approx(1.0)
    assert [e.n for e in result.excluded] == [3]


def test_response_comparison_subgroups_at_the_key_visit():
    ctx = _ctx()
    result = response_comparison(ctx, ctx.plan.analysis("ASAS20-CMP"))
    sub = result.frames["subgroups"]
    assert set(sub["visit"]) == {12.0}  # multiplicity family: ASAS20-CMP at week 12
    by = {(r.subgroup, r.level): (r.estimate, r.n) for r in sub.itertuples()}
    # NRI week 12. Overall 2/3 - 1/3; F: MSC S1, S3 -> 1/2, ETN S4 -> 1/1; M: MSC S2 -> 1/1, ETN S5, S6 -> 0/2
    assert by[("Overall", "All subjects")] == (pytest.approx(1 / 3), 6)
    assert by[("Sex", "F")] == (pytest.approx(-0.5), 3)
    assert by[("Sex", "M")] == (pytest.approx(1.0), 3)


def test_response_comparison_blinded_is_withheld():
    ctx = _ctx(blinded=True)
    result = response_comparison(ctx, ctx.plan.analysis("ASAS20-CMP"))
    assert not result.produced and result.not_estimable is None
    assert "Blinded" in result.withheld and result.rows.empty


def test_response_comparison_level_reaches_every_interval():
    ctx = _ctx(level=0.90)
    result = response_comparison(ctx, ctx.plan.analysis("ASAS20-CMP"))
    assert result.level == 0.90
    assert set(result.rows["level"].dropna()) == {0.90}


# --------------------------------------------------------------------------- continuous_summary
def test_endpoint_records_keeps_analysed_records_at_baseline_and_endpoint_visits():
    ctx = _ctx()
    recs = endpoint_records(ctx, ctx.plan.analysis("BASDAI-SUM"))
    assert len(recs) == 12 and set(recs["USUBJID"]) == {f"S{i}" for i in range(1, 7)}


def test_continuous_summary_statistics():
    ctx = _ctx()
    result = continuous_summary(ctx, ctx.plan.analysis("BASDAI-SUM"))
    rows = result.rows
    base = {s: _row(rows, visit=0.0, group=MSC, statistic=s)["estimate"] for s in ("mean", "sd", "median")}
    # baseline AVAL MSC 6, 5, 7: mean 6, SD 1, median 6
    assert base == {"mean": pytest.approx(6.0), "sd": pytest.approx(1.0), "median": pytest.approx(6.0)}
    # week-12 CHG MSC -3, -1 (S3 missing): n 2, mean -2, SD sqrt(2), se 1, min -3, max -1
    m = _row(rows, visit=12.0, group=MSC, statistic="mean")
    assert (m["n"], m["estimate"], m["se"], m["value"]) == (2, pytest.approx(-2.0), pytest.approx(1.0), "CHG")
    assert _row(rows, visit=12.0, group=MSC, statistic="sd")["estimate"] == pytest.approx(math.sqrt(2))
    assert _row(rows, visit=12.0, group=ETN, statistic="min")["estimate"] == -1.0
    assert _row(rows, visit=0.0, group=ETN, statistic="max")["estimate"] == 8.0
    assert _row(rows, visit=12.0, group=MSC, statistic="mean")["label"] == "BASDAI: Change from baseline"
    # the missing change of S3 is recorded; S7 (not FAS, CHG -8) is nowhere
    assert [(e.reason, e.n) for e in result.excluded] == [("CHG missing", 1)]
    traj = result.frames["trajectories"]
    assert list(traj.columns) == ["subject", "group", "visit", "value"] and "S7" not in set(traj["subject"])


def test_continuous_summary_without_baseline():
    data = _plan().model_dump(mode="json")
    for analysis in data["analyses"]:
        if analysis["id"] == "BASDAI-SUM":
            analysis["options"] = {"include_baseline": False, "value": "AVAL"}
    plan = plan_from_mapping(data, "test")
    adsl = assign_arms(plan, ADSL)
    ctx = AnalysisContext(plan=plan, datasets={"adsl": adsl, "adeff": ADEFF.copy()}, adsl=adsl)
    rows = continuous_summary(ctx, plan.analysis("BASDAI-SUM")).rows
    assert set(rows["visit"]) == {12.0} and set(rows["value"]) == {"AVAL"}
    # week-12 AVAL MSC 3, 4 (S3 missing): mean 3.5
    assert _row(rows, visit=12.0, group=MSC, statistic="mean")["estimate"] == pytest.approx(3.5)
