"""Unit tests for analyses.duration and analyses.duration_summary (hand-computed values)."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter

from analyses.duration import (compute_km_quantile, compute_km_table, compute_n_at_risk, compute_rmst,
                               compute_survival_at, km_summary)
from analyses.duration_summary import mean_response_duration, summarize_time_to_event

# 6 subjects: times 2, 3+, 4, 4, 6, 8+
T = np.array([2, 3, 4, 4, 6, 8.0])
E = np.array([1, 0, 1, 1, 1, 0])


def test_km_hand_values():
    tab = compute_km_table(T, E, conf_type="plain")
    # S(2) = 5/6; S(4) = 5/6 * (1 - 2/4) = 5/12; S(6) = 5/12 * (1 - 1/2) = 5/24
    assert tab.time.tolist() == [2, 3, 4, 6, 8]
    assert tab.n_risk.tolist() == [6, 5, 4, 2, 1]
    assert tab.surv.tolist() == pytest.approx([5 / 6, 5 / 6, 5 / 12, 5 / 24, 5 / 24])
    # Greenwood: var S(4) = S^2 (1/(6*5) + 2/(4*2))
    assert tab.std_err[2] == pytest.approx(5 / 12 * math.sqrt(1 / 30 + 2 / 8))
    # agrees with lifelines' own curve
    kmf = KaplanMeierFitter().fit(T, E)
    assert tab.surv.to_numpy() == pytest.approx(kmf.survival_function_.loc[tab.time].to_numpy().ravel())


def test_median_and_rmst_hand_values():
    tab = compute_km_table(T, E)
    assert compute_km_quantile(tab, 0.5)[0] == 4.0
    # area: 2*1 + 2*(5/6) + 2*(5/12) = 2 + 5/3 + 5/6 = 4.5 up to tau = 6
    assert compute_rmst(tab, 6.0)[0] == pytest.approx(4.5)


def test_median_midpoint_rule_when_curve_is_exactly_half():
    # 4 subjects, event at 1 and 2: S = .75, .5 (flat until 3), then event at 3 -> 0.25
    t, e = np.array([1, 2, 3, 5.0]), np.array([1, 1, 1, 0])
    assert km_summary(t, e)["median"] == pytest.approx(2.5)  # (2 + 3) / 2, R / SAS rule


def test_median_not_reached_is_nan():
    s = km_summary([5, 6, 7, 8], [1, 0, 0, 0])
    assert math.isnan(s["median"]) and math.isnan(s["ci_upper"])
    assert s["n"] == 4 and s["events"] == 1


def test_curve_reaching_zero_gives_undefined_band():
    tab = compute_km_table([1, 2], [1, 1], conf_type="plain")
    assert tab.surv.iloc[-1] == 0.0
    assert math.isnan(tab.lower.iloc[-1]) and math.isnan(tab.upper.iloc[-1])


def test_n_at_risk_uses_time_ge_t():
    assert compute_n_at_risk(T, [0, 2, 2.5, 4, 8, 9]) == [6, 6, 5, 4, 1, 0]


def test_survival_beyond_last_time():
    tab = compute_km_table(T, E)
    assert math.isnan(compute_survival_at(tab, 9.0)[0])  # last time censored with S > 0
    tab0 = compute_km_table([1, 2], [1, 1])
    assert compute_survival_at(tab0, 5.0)[0] == 0.0
    assert compute_survival_at(tab, 0.0)[0] == 1.0


@pytest.mark.parametrize("bad", [dict(time=[1, -1], event=[1, 0]), dict(time=[1, np.nan], event=[1, 0]),
                                 dict(time=[1, 2], event=[1, 2])])
def test_bad_input_raises_naming_rows(bad):
    with pytest.raises(ValueError, match=r"rows \[1\]"):
        km_summary(bad["time"], bad["event"])


def test_bad_conf_type():
    with pytest.raises(ValueError, match="conf_type"):
        km_summary(T, E, conf_type="arcsin")


@settings(max_examples=40, deadline=None)
@given(data=st.lists(st.tuples(st.integers(1, 50), st.integers(0, 1)), min_size=2, max_size=40),
       conf_type=st.sampled_from(["log", "log-log", "plain"]))
def test_median_inside_ci_and_nesting(data, conf_type):
    t = np.array([d[0] for d in data], float)
    e = np.array([d[1] for d in data])
    prev = None
    for level in (0.8, 0.95):
        s = km_summary(t, e, level, conf_type)
        if not math.isnan(s["median"]):
            if not math.isnan(s["ci_lower"]):
                assert s["ci_lower"] <= s["median"]
            if not math.isnan(s["ci_upper"]):
                assert s["ci_upper"] >= s["median"]
        if prev is not None and not math.isnan(prev["ci_lower"]) and not math.isnan(s["ci_lower"]):
            assert s["ci_lower"] <= prev["ci_lower"]
        prev = s


def test_summarize_rows_and_comparison():
    f = pd.DataFrame({"T": np.r_[T, T + 1], "E": np.r_[E, E], "G": ["A"] * 6 + ["B"] * 6})
    res = summarize_time_to_event(f, time_col="T", event_col="E", group_col="G", group="A",
                                  comparator="B", time_points=[3], tau=6).tidy()
    assert set(res.statistic) == {"count", "median", "quantile", "survival_rate", "n_at_risk", "rmst",
                                  "logrank_test", "hazard_ratio"}
    hr = res[res.statistic == "hazard_ratio"].iloc[0]
    assert hr.group == "A" and hr.comparator == "B" and hr.estimate > 1  # A has earlier events
    assert res[(res.statistic == "count") & (res.label == "subjects")].estimate.sum() == len(f)


def test_mean_response_duration_definition():
    f = pd.DataFrame({"DUR": [4.0, 8.0, 10.0, 6.0], "LOST": [1, 1, 0, 1]})
    res = mean_response_duration(f, time_col="DUR", event_col="LOST").tidy()
    m = res[res.statistic == "mean_duration"].iloc[0]
    assert m.estimate == 7.0 and m.n == 4
    assert m.se == pytest.approx(np.std([4, 8, 10, 6], ddof=1) / 2)
    rm = res[res.statistic == "rmst"].iloc[0]
    # KM: S=3/4 after 4, 2/4 after 6, 1/4 after 8; area to tau=10: 4 + 2*.75 + 2*.5 + 2*.25 = 7.0
    assert rm.estimate == pytest.approx(7.0) and rm.time == 10.0
