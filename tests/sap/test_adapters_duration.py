"""Adapters of the duration family (sap.adapters.duration) on tiny frames.

Plan: the shipped cg-bm1 plan (Phase 2 arms CG-BM1 (RP2D) and Placebo, reference Placebo; FAS = FASFL "Y";
DUR-ASAS20: timepoints 4, 8, 12, tau 20, compare; ONSET-ASAS20) with one added ADTTE time_to_event analysis.
Expected Kaplan-Meier values, log-rank statistics and means are computed by hand from the frames below
(Kaplan & Meier 1958; log-rank O - E and hypergeometric variance, as R ``survdiff``; Wang 2013 mean with a
t(n-1) interval, as SAS PROC MEANS CLM); tolerances are stated at each check.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from reports.shells.common import ShellContext
from reports.shells.duration import duration_table
from sap.adapters.duration import response_duration, time_to_event, time_to_response
from sap.context import AnalysisContext, assign_arms
from sap.errors import UserInputError
from sap.results import AnalysisResult
from sap.spec import load_plan, plan_from_mapping
from shared_helpers import one_row as _row  # noqa: E402

RP2D, PBO = "CG-BM1 (RP2D)", "Placebo"

# R1-R4 RP2D, P1-P4 placebo (Phase 2, FAS); R5 RP2D not in the FAS; D1 Phase 1 (dose level 1): both left out
ADSL = pd.DataFrame({
    "USUBJID": ["R1", "R2", "R3", "R4", "P1", "P2", "P3", "P4", "R5", "D1"],
    "TRT01P": ["CG-BM1 RP2D"] * 4 + ["Placebo"] * 4 + ["CG-BM1 RP2D", "CG-BM1 1.0x10^6 cells/kg"],
    "PHASE": ["Phase 2"] * 9 + ["Phase 1"],
    "FASFL": ["Y"] * 8 + ["N", "Y"],
})


def _addur(aval=(2.0, 4.0, 6.0, 1.0, 3.0), event=(1, 1, 0, 1, 1)) -> pd.DataFrame:
    """Responders R1, R2, R3 (RP2D) and P1, P2 (placebo); R5 and D1 respond too but are not analysed."""
    subj = ["R1", "R2", "R3", "P1", "P2", "R5", "D1", "R1"]
    return pd.DataFrame({"USUBJID": subj, "PARAMCD": ["DURASAS20"] * 7 + ["DURASAS40"],
                         "ONSETDY": [8.0, 29.0, 8.0, 8.0, 57.0, 8.0, 8.0, 8.0],
                         "AVAL": list(aval) + [10.0, 5.0, 9.0], "EVENT": list(event) + [1, 1, 1]})


ADONSET = pd.DataFrame({"USUBJID": ["R1", "R2", "R3", "R4", "P1", "P2", "P3", "P4"], "PARAMCD": "ONSASAS20",
                        "ONSETDY": [8.0, 29.0, 8.0, np.nan, 8.0, 57.0, np.nan, np.nan],
                        "AVAL": [1.0, 4.0, 1.0, 24.0, 1.0, 8.0, 24.0, 12.0], "EVENT": [1, 1, 1, 0, 1, 1, 0, 0]})
ADTTE = pd.DataFrame({"USUBJID": ["R1", "R2", "R3", "R4", "P1", "P2", "P3", "P4", "R5"], "PARAMCD": "TTAE",
                      "AVAL": [10.0, 20.0, 30.0, 40.0, 5.0, 15.0, 25.0, 35.0, 1.0], "CNSR": [0, 1, 0, 1, 0, 0, 0, 1, 0]})


def _plan(time_unit: str | None = None):
    data = load_plan("cg-bm1").model_dump(mode="json")
    if time_unit:
        next(a for a in data["analyses"] if a["id"] == "DUR-ASAS20")["options"]["time_unit"] = time_unit
    data["analyses"].append({"id": "TTAE", "title": "Time to first AE", "method": "time_to_event",
                             "endpoint": "ONSASAS20", "population": "FAS", "phase": "P2",
                             "options": {"paramcd": "TTAE", "at_risk_times": [0, 20], "time_unit": "days"}})
    return plan_from_mapping(data, "cg-bm1 (test)")


def _ctx(addur=None, adtte=ADTTE, time_unit=None, blinded=False) -> AnalysisContext:
    plan = _plan(time_unit)
    adsl = assign_arms(plan, ADSL)
    return AnalysisContext(plan=plan, datasets={"adsl": adsl, "adtte": adtte.copy()}, adsl=adsl,
                           derived={"addur": _addur() if addur is None else addur, "adonset": ADONSET.copy()},
                           blinded=blinded)




def _logrank(group: list[tuple[float, int]], comparator: list[tuple[float, int]]) -> float:
    """Log-rank chi-square by hand: sum(O - E) over event times squared over the hypergeometric variance."""
    data = [(t, e, 1) for t, e in group] + [(t, e, 0) for t, e in comparator]
    o_e = var = 0.0
    for t in sorted({t for t, e, _ in data if e}):
        n1 = sum(1 for s, _, g in data if s >= t and g)
        n = sum(1 for s, _, _ in data if s >= t)
        d = sum(1 for s, e, _ in data if s == t and e)
        d1 = sum(1 for s, e, g in data if s == t and e and g)
        o_e += d1 - d * n1 / n
        var += d * (n1 / n) * (1 - n1 / n) * (n - d) / (n - 1) if n > 1 else 0.0
    return o_e ** 2 / var


# --------------------------------------------------------------------------- response_duration
def test_selection_population_phase_and_parameter():
    ctx = _ctx()
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert isinstance(result, AnalysisResult) and result.produced
    assert dict(result.group_n) == {RP2D: 4, PBO: 4}  # FAS of Phase 2 (R5 not FAS, D1 Phase 1)
    assert dict(result.extra["analysed"]) == {RP2D: 3, PBO: 2}  # responders only; ASAS40 record ignored
    assert result.records_used == 5 and result.level == 0.95 and result.reference == PBO
    rows = result.rows
    assert _row(rows, group=RP2D, statistic="count", label="subjects")["estimate"] == 3
    assert _row(rows, group=RP2D, statistic="count", label="events")["estimate"] == 2
    assert _row(rows, group=PBO, statistic="count", label="events")["estimate"] == 2


def test_kaplan_meier_rows_by_hand():
    ctx = _ctx()
    rows = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20")).rows
    # RP2D 2, 4, 6+: S = 2/3 after 2, 1/3 after 4 -> median 4; placebo 1, 3: S = 1/2 on [1, 3) -> median is the
    # midpoint (1 + 3) / 2 = 2 (R quantile.survfit rule). Exact (tol 1e-12).
    assert _row(rows, group=RP2D, statistic="median")["estimate"] == 4.0
    assert _row(rows, group=PBO, statistic="median")["estimate"] == 2.0
    assert _row(rows, group=RP2D, statistic="survival_rate", time=4.0)["estimate"] == pytest.approx(1 / 3, abs=1e-12)
    # restricted mean to tau = 20: RP2D 2 + 2 * 2/3 + 16 * 1/3 = 26/3; placebo 1 + 2 * 1/2 = 2
    assert _row(rows, group=RP2D, statistic="rmst")["estimate"] == pytest.approx(26 / 3, abs=1e-12)
    assert _row(rows, group=PBO, statistic="rmst")["estimate"] == pytest.approx(2.0, abs=1e-12)


def test_wang_mean_duration_by_hand():
    ctx = _ctx()
    mean = _row(response_duration(ctx, ctx.plan.analysis("DUR-ASAS20")).rows, group=RP2D, statistic="mean_duration")
    # (2 + 4 + 6) / 3 = 4, SD 2, SE 2 / sqrt 3; CI 4 -/+ t(0.975, 2) SE with t = 4.302653 (tables); tol 1e-6
    half = 4.302653 * 2 / math.sqrt(3)
    assert mean["estimate"] == 4.0
    assert (mean["ci_lower"], mean["ci_upper"]) == pytest.approx((4 - half, 4 + half), abs=1e-6)


def test_logrank_by_hand_and_cox_converged():
    ctx = _ctx()
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    lr = _row(result.rows, statistic="logrank_test")
    # survdiff by hand: events at 1 (P), 2 (R), 3 (P), 4 (R); E_R = 3/5 + 3/4 + 2/3 + 1, O_R = 2, so
    # O - E = -1.016667; V = 6/25 + 3/16 + 2/9 = 0.649722; adapter vs hand: tol 1e-9 relative
    chisq = _logrank([(2, 1), (4, 1), (6, 0)], [(1, 1), (3, 1)])
    assert chisq == pytest.approx(1.0336111 / 0.6497222, abs=1e-6)  # (O - E)^2 / V from the sums above
    assert (lr["group"], lr["comparator"]) == (RP2D, PBO)
    assert lr["estimate"] == pytest.approx(chisq, rel=1e-9)
    assert lr["p_value"] == pytest.approx(stats.chi2.sf(chisq, 1), rel=1e-9)
    hr = _row(result.rows, statistic="hazard_ratio")
    assert hr["estimate"] < 1 and hr["ci_lower"] < hr["estimate"] < hr["ci_upper"]  # RP2D responses last longer
    assert result.converged is True and result.warnings == ()
    assert "not_estimable" not in result.rows.columns


def test_cox_that_does_not_converge_is_not_estimable_with_reason():
    # monotone likelihood (complete separation in time): every RP2D response outlasts every placebo one, all
    # ended by an event, so the Cox estimate diverges (R coxph: "coefficient may be infinite")
    ctx = _ctx(addur=_addur(aval=(5.0, 6.0, 7.0, 1.0, 2.0), event=(1, 1, 1, 1, 1)))
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert result.produced and result.converged is False
    hr = _row(result.rows, statistic="hazard_ratio")
    assert all(pd.isna(hr[c]) for c in ("estimate", "ci_lower", "ci_upper", "p_value"))
    assert hr["not_estimable"] == (f"monotone likelihood (complete separation in time: no {PBO} subject is at "
                                   f"risk at any {RP2D} event)")
    assert result.warnings and all(w.startswith(f"Cox fit {RP2D} vs {PBO}: ") for w in result.warnings)
    assert any("coefficient may be infinite" in w for w in result.warnings)  # the diverging fit, recorded
    # the log-rank test and the KM estimates still stand: chi-square by hand (tol 1e-9 relative)
    lr = _row(result.rows, statistic="logrank_test")
    assert lr["estimate"] == pytest.approx(_logrank([(5, 1), (6, 1), (7, 1)], [(1, 1), (2, 1)]), rel=1e-9)
    assert _row(result.rows, group=RP2D, statistic="median")["estimate"] == 6.0
    # the table shows NE and the reason
    table = duration_table(result, ShellContext(ctx.plan))[0]
    cell = table.frame.iloc[-1][f"{RP2D} (N=4)"]
    assert cell.startswith("NE (NE, NE); p = ")
    reason = hr["not_estimable"]
    assert f"Hazard ratio {RP2D} vs {PBO} not estimable: {reason}; the log-rank test and Kaplan-Meier estimates " \
           "are shown." in table.footnotes
    assert not [f for f in table.footnotes if "last iteration" in f]


def test_arm_without_events_gives_a_reason():
    ctx = _ctx(addur=_addur(event=(0, 0, 0, 1, 1)))
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    hr = _row(result.rows, statistic="hazard_ratio")
    assert pd.isna(hr["estimate"]) and hr["not_estimable"] == f"monotone likelihood (no events in {RP2D})"
    assert result.converged is False  # the fit's coefficient diverges (coxph: "coefficient may be infinite")


def test_figure_frames():
    ctx = _ctx()
    frames = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20")).frames
    assert set(frames) == {"km_curve", "at_risk", "episodes"}
    km = frames["km_curve"]
    assert list(km.columns) == ["group", "time", "survival", "ci_lower", "ci_upper", "censored"]
    rp = km[km["group"] == RP2D]
    assert rp["time"].tolist() == [0.0, 2.0, 4.0, 6.0]
    assert rp["survival"].tolist() == pytest.approx([1, 2 / 3, 1 / 3, 1 / 3], abs=1e-12)
    assert rp["censored"].tolist() == [False, False, False, True]
    # at-risk grid: largest time 6 -> steps of 1 week, 0..6; counts of times >= t
    risk = frames["at_risk"]
    assert risk[risk["group"] == RP2D]["n_at_risk"].tolist() == [3, 3, 3, 2, 2, 1, 1]
    assert risk[risk["group"] == PBO]["n_at_risk"].tolist() == [2, 2, 1, 1, 0, 0, 0]
    ep = frames["episodes"].set_index("subject")
    assert list(frames["episodes"].columns) == ["subject", "group", "start", "end", "event", "ongoing"]
    # R2: onset day 29 -> week (29 - 1) / 7 = 4, response of 4 weeks ends at week 8
    assert (ep.loc["R2", "start"], ep.loc["R2", "end"], bool(ep.loc["R2", "event"])) == (4.0, 8.0, True)
    assert bool(ep.loc["R3", "ongoing"]) and set(ep.index) == {"R1", "R2", "R3", "P1", "P2"}


def test_time_unit_days_converts_the_weekly_times():
    ctx = _ctx(time_unit="days")
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert _row(result.rows, group=RP2D, statistic="median")["estimate"] == 28.0  # 4 weeks
    assert result.frames["episodes"].set_index("subject").loc["R2", "start"] == pytest.approx(28.0)
    table = duration_table(result, ShellContext(ctx.plan))[0]
    assert "Median (days) (95% CI)" in table.frame["Statistic"].tolist()


def test_blinded_data_give_no_comparison():
    ctx = _ctx(blinded=True)
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert result.reference is None and result.converged is None
    assert not result.rows["statistic"].isin(["logrank_test", "hazard_ratio"]).any()


def test_no_responders_gives_an_empty_result():
    ctx = _ctx(addur=_addur().iloc[0:0])
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert result.produced and result.rows.empty and dict(result.frames) == {}
    assert dict(result.extra["analysed"]) == {RP2D: 0, PBO: 0}
    table = duration_table(result, ShellContext(ctx.plan))[0]
    assert table.frame["Statistic"].tolist() == ["No subjects with an ASAS20 response"]


# --------------------------------------------------------------------------- time_to_response
def test_time_to_response_all_subjects():
    ctx = _ctx()
    result = time_to_response(ctx, ctx.plan.analysis("ONSET-ASAS20"))
    assert dict(result.extra["analysed"]) == {RP2D: 4, PBO: 4}
    assert set(result.frames) == {"km_curve", "at_risk"}
    # RP2D 1, 1, 4, 24+: S = 1/2 on [1, 4) -> median midpoint (1 + 4) / 2 = 2.5 weeks
    assert _row(result.rows, group=RP2D, statistic="median")["estimate"] == 2.5


# --------------------------------------------------------------------------- time_to_event
def test_time_to_event_adtte():
    ctx = _ctx()
    result = time_to_event(ctx, ctx.plan.analysis("TTAE"))
    rows = result.rows
    # RP2D 10, 20+, 30, 40+: S = 3/4 after 10, 3/4 * 1/2 = 3/8 after 30 -> median 30
    assert _row(rows, group=RP2D, statistic="median")["estimate"] == 30.0
    assert _row(rows, group=RP2D, statistic="count", label="events")["estimate"] == 2
    risk = result.frames["at_risk"]  # the plan's at_risk_times 0 and 20
    assert risk[risk["group"] == RP2D][["time", "n_at_risk"]].values.tolist() == [[0, 4], [20, 3]]
    assert risk[risk["group"] == PBO]["n_at_risk"].tolist() == [4, 2]


def test_time_to_event_bad_censoring_names_dataset_column_and_subject():
    bad = ADTTE.assign(CNSR=[0, 1, 2, 1, 0, 0, 0, 1, 0])
    ctx = _ctx(adtte=bad)
    with pytest.raises(UserInputError, match=r"TTAE: dataset adtte column 'CNSR' must be 0 \(event\) or 1 "
                                             r"\(censored\); 1 record\(s\) are not \(subjects R3\)"):
        time_to_event(ctx, ctx.plan.analysis("TTAE"))


def test_time_to_event_missing_time_names_the_option():
    ctx = _ctx(adtte=ADTTE.drop(columns="AVAL"))
    with pytest.raises(UserInputError, match=r"dataset adtte has no column 'AVAL' \(options.time_variable\)"):
        time_to_event(ctx, ctx.plan.analysis("TTAE"))
