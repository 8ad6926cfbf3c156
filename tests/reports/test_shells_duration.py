"""Table shell of the duration family (reports.shells.duration) on hand-built results (inline rows).

Expected cells are written by hand from the inline numbers: times and their CIs to 1 decimal, event-free rates to
3, restricted mean (SE), mean duration and hazard ratio to 2, p-values to 3 (``<0.001`` below); a missing limit
prints NE. Plans: cg-bm1 (DUR-ASAS20: tau 20 weeks, compare; ONSET-ASAS20) and cdiscpilot01 (TTDE-KM: ADTTE,
CNSR, days). The RP2D/placebo numbers are those of the cg-bm1 table 14.2.10 before the rebuild.
"""
from __future__ import annotations

import math

import pytest

from reports.shells import display_tables
from reports.shells.common import ShellContext
from reports.shells.duration import duration_table
from sap.results import AnalysisResult, Exclusion
from sap.spec import load_plan
from shared_helpers import render_tables as _render, result_of as _result  # noqa: E402

RP2D, PBO = "CG-BM1 (RP2D)", "Placebo"
LOW, HIGH = "Xanomeline Low Dose", "Xanomeline High Dose"
NAN = math.nan
COX_REASON = "Cox fit did not converge after 17 iterations"






def _group_rows(group, n, events, median, q1, q3, rates, rmst=None, mean=None, level=0.95) -> list[dict]:
    base = dict(group=group, n=n, level=level)
    rows = [dict(base, statistic="count", estimate=n, label="subjects"),
            dict(base, statistic="count", estimate=events, label="events"),
            dict(base, statistic="median", estimate=median[0], ci_lower=median[1], ci_upper=median[2], label="median"),
            dict(base, statistic="quantile", estimate=q1[0], ci_lower=q1[1], ci_upper=q1[2], label="Q1"),
            dict(base, statistic="quantile", estimate=q3[0], ci_lower=q3[1], ci_upper=q3[2], label="Q3")]
    for t, (s, lo, hi) in rates.items():
        rows.append(dict(base, statistic="survival_rate", estimate=s, ci_lower=lo, ci_upper=hi, time=t))
        rows.append(dict(base, statistic="n_at_risk", estimate=n, time=t))
    if rmst is not None:
        rows.append(dict(base, statistic="rmst", estimate=rmst[0], se=rmst[1], time=20.0))
    if mean is not None:
        rows.append(dict(base, statistic="mean_duration", estimate=mean[0], ci_lower=mean[1], ci_upper=mean[2]))
    return rows


def _comparison_rows(hr=(0.5712, 0.1977, 1.6503), p=0.2951, level=0.95, reason=None) -> list[dict]:
    base = dict(group=RP2D, comparator=PBO, n=20, level=level)
    hr_row = dict(base, statistic="hazard_ratio", estimate=hr[0], ci_lower=hr[1], ci_upper=hr[2], p_value=0.31)
    if reason:
        hr_row["not_estimable"] = reason
    return [dict(base, statistic="logrank_test", estimate=1.1, df=1, p_value=p), hr_row]


def _dur_result(level: float = 0.95, comparison=None, **kw) -> AnalysisResult:
    rows = (_group_rows(RP2D, 13, 11, (20.64, 7.86, NAN), (10.9, 4.43, 20.6), (22.94, 19.06, NAN),
                        {8.0: (0.76923, 0.44185, 0.91872), 4.0: (1.0, 1.0, 1.0)}, (15.4567, 1.6072),
                        (16.2, 12.0172, 20.3846), level)
            + _group_rows(PBO, 7, 6, (10.4, 3.7, 22.3), (7.3, 3.7, 10.4), (22.3, 8.0, NAN),
                          {4.0: (0.857143, 0.334, 0.9787), 8.0: (0.0, NAN, NAN)}, (12.71, 2.44),
                          (13.4055, 6.14, 20.6667), level)
            + (_comparison_rows(level=level) if comparison is None else comparison))
    kw.setdefault("extra", {"analysed": {RP2D: 13, PBO: 7}})
    return _result(load_plan("cg-bm1"), "DUR-ASAS20", rows, level=level, group_n={RP2D: 19, PBO: 20},
                   reference=PBO, **kw)


@pytest.fixture(scope="module")
def sc_cg():
    return ShellContext(load_plan("cg-bm1"), data_source="test data")


def test_duration_table_cells_and_headers(sc_cg):
    [table] = duration_table(_dur_result(), sc_cg)
    assert list(table.frame.columns) == ["Statistic", "CG-BM1 (RP2D) (N=19)", "Placebo (N=20)"]
    assert table.stub_columns == ("Statistic",) and table.title == "Duration of ASAS20 response"
    assert table.frame.values.tolist() == [
        ["Subjects", "13", "7"],
        ["Events", "11", "6"],
        ["Median (weeks) (95% CI)", "20.6 (7.9, NE)", "10.4 (3.7, 22.3)"],
        ["25th percentile (weeks) (95% CI)", "10.9 (4.4, 20.6)", "7.3 (3.7, 10.4)"],
        ["75th percentile (weeks) (95% CI)", "22.9 (19.1, NE)", "22.3 (8.0, NE)"],
        ["Event-free rate at 4 weeks (95% CI)", "1.000 (1.000, 1.000)", "0.857 (0.334, 0.979)"],
        ["Event-free rate at 8 weeks (95% CI)", "0.769 (0.442, 0.919)", "0.000 (NE, NE)"],
        ["Restricted mean (weeks) (SE)", "15.46 (1.61)", "12.71 (2.44)"],
        ["Mean duration (weeks) (SD-based 95% CI), Wang 2013 definition", "16.20 (12.02, 20.38)",
         "13.41 (6.14, 20.67)"],
        ["CG-BM1 (RP2D) vs Placebo: hazard ratio (95% CI); log-rank p", "0.57 (0.20, 1.65); p = 0.295", ""],
    ]


def test_duration_table_footnotes(sc_cg):
    [table] = duration_table(_dur_result(excluded=(Exclusion("no visit after onset", 2, "subjects"),)), sc_cg)
    notes = table.footnotes
    assert notes[0] == ("Responders (ASAS20 at any visit) per group: CG-BM1 (RP2D): 13, Placebo: 7. Duration from "
                        "the first visit with response to the first later visit without it (or rescue/"
                        "discontinuation under the composite strategy); censored at the last assessment.")
    assert notes[1].endswith("restricted mean = area under the KM curve up to tau = 20 weeks.")
    assert "with the log-log transform" in notes[1]
    assert notes[2:4] == ("Hazard ratio from Cox regression (Efron ties), Wald CI; log-rank test.",
                          "NE: not estimable.")
    assert "2 subjects excluded: no visit after onset." in notes
    assert notes[-2].startswith("Population: Full analysis set") and notes[-1] == "Data source: test data."


def test_level_090_prints_90_ci(sc_cg):
    [table] = duration_table(_dur_result(level=0.90), sc_cg)
    texts = list(table.frame["Statistic"]) + list(table.frame.columns) + list(table.footnotes)
    assert not [t for t in texts if "95%" in t]
    assert "Median (weeks) (90% CI)" in texts and "Event-free rate at 4 weeks (90% CI)" in texts
    assert "Mean duration (weeks) (SD-based 90% CI), Wang 2013 definition" in texts
    assert "CG-BM1 (RP2D) vs Placebo: hazard ratio (90% CI); log-rank p" in texts


def test_cox_not_converged_row_is_ne_with_reason(sc_cg):
    warning = f"Cox fit {RP2D} vs {PBO}: Newton-Raphson convergence completed successfully but norm(delta) is high"
    result = _dur_result(comparison=_comparison_rows(hr=(NAN, NAN, NAN), p=0.0004, reason=COX_REASON),
                         converged=False, warnings=(warning,))
    [table] = duration_table(result, sc_cg)
    last = table.frame.iloc[-1].tolist()
    assert last == ["CG-BM1 (RP2D) vs Placebo: hazard ratio (95% CI); log-rank p", "NE (NE, NE); p = <0.001", ""]
    assert table.frame.iloc[2].tolist()[1] == "20.6 (7.9, NE)"  # KM rows still shown
    assert (f"Hazard ratio CG-BM1 (RP2D) vs Placebo not estimable: {COX_REASON}; the log-rank test and "
            "Kaplan-Meier estimates are shown.") in table.footnotes
    assert f"Warning: {warning}" in table.footnotes
    assert not [f for f in table.footnotes if "last iteration" in f]  # the estimate is NE, not a last iterate


def test_no_subjects_table(sc_cg):
    result = _result(load_plan("cg-bm1"), "P1-DUR", [], level=0.95, group_n={"CG-BM1 1.0x10^6 cells/kg": 3},
                     extra={"analysed": {"CG-BM1 1.0x10^6 cells/kg": 0}})
    [table] = duration_table(result, sc_cg)
    assert table.frame.values.tolist() == [["No subjects with an ASAS20 response"]]
    assert table.footnotes[0].startswith("Responders (ASAS20 at any visit) per group: CG-BM1 1.0x10^6 cells/kg: 0.")
    assert "Hazard ratio from Cox regression (Efron ties), Wald CI; log-rank test." not in table.footnotes


def test_time_to_response_footnote_and_no_mean_row(sc_cg):
    rows = _group_rows(RP2D, 19, 13, (3.7, 1.0, 4.0), (1.0, 0.9, 1.1), (4.0, 3.7, NAN), {1.0: (0.6, 0.318, 0.797)})
    result = _result(load_plan("cg-bm1"), "ONSET-ASAS20", rows, level=0.95, group_n={RP2D: 19, PBO: 20},
                     extra={"analysed": {RP2D: 19, PBO: 20}})
    [table] = duration_table(result, sc_cg)
    assert table.frame["Statistic"].tolist()[-1] == "Event-free rate at 1 weeks (95% CI)"
    assert table.frame.iloc[-1].tolist()[1:] == ["0.600 (0.318, 0.797)", ""]  # placebo has no rows: blank
    assert table.footnotes[0] == ("Subjects per group: CG-BM1 (RP2D): 19, Placebo: 20. Event = first ASAS20 "
                                  "response; censored at the last assessment, rescue or discontinuation.")
    assert table.footnotes[1].endswith("up to tau = 24 weeks.")


def _tte_result() -> AnalysisResult:
    rows = (_group_rows(PBO, 86, 15, (NAN, NAN, NAN), (160.0, 84.0, NAN), (NAN, NAN, NAN),
                        {28.0: (0.8953, 0.8084, 0.9442)})
            + _group_rows(LOW, 84, 41, (33.0, 22.0, 46.0), (15.0, 9.0, 19.0), (91.0, 62.0, NAN),
                          {28.0: (0.6071, 0.4938, 0.7026)}))
    for g, hr, p in ((LOW, (3.354, 1.8661, 6.0298), 0.00002), (HIGH, (2.5124, 1.3799, 4.5748), 0.0017)):
        base = dict(group=g, comparator=PBO, level=0.95)
        rows += [dict(base, statistic="logrank_test", estimate=20.0, p_value=p),
                 dict(base, statistic="hazard_ratio", estimate=hr[0], ci_lower=hr[1], ci_upper=hr[2])]
    return _result(load_plan("cdiscpilot01"), "TTDE-KM", rows, level=0.95, group_n={PBO: 86, LOW: 84, HIGH: 84},
                   reference=PBO, extra={"analysed": {PBO: 86, LOW: 84, HIGH: 0}})


def test_time_to_event_table_days_and_comparisons():
    sc = ShellContext(load_plan("cdiscpilot01"))
    [table] = duration_table(_tte_result(), sc)
    assert list(table.frame.columns) == ["Statistic", "Placebo (N=86)", "Xanomeline Low Dose (N=84)",
                                         "Xanomeline High Dose (N=84)"]
    cells = {r[0]: r[1:] for r in table.frame.values.tolist()}
    assert cells["Median (days) (95% CI)"] == ["NE (NE, NE)", "33.0 (22.0, 46.0)", ""]
    assert cells["Event-free rate at 28 days (95% CI)"] == ["0.895 (0.808, 0.944)", "0.607 (0.494, 0.703)", ""]
    # every comparison is printed in the first group's column
    assert cells["Xanomeline Low Dose vs Placebo: hazard ratio (95% CI); log-rank p"] == [
        "3.35 (1.87, 6.03); p = <0.001", "", ""]
    assert cells["Xanomeline High Dose vs Placebo: hazard ratio (95% CI); log-rank p"] == [
        "2.51 (1.38, 4.57); p = 0.002", "", ""]
    assert table.footnotes[0] == ("Subjects per group: Placebo: 86, Xanomeline Low Dose: 84, Xanomeline High "
                                  "Dose: 0. Event = CNSR = 0; time = AVAL (days).")
    assert table.footnotes[1].endswith("up to tau.")  # the plan sets no tau


def test_display_tables_dispatches_to_the_duration_shell(sc_cg):
    tables = display_tables(_dur_result(), sc_cg)
    assert len(tables) == 1 and tables[0].frame.iloc[0, 0] == "Subjects"


def test_duration_table_snapshot(sc_cg, snapshot):
    assert _render(duration_table(_dur_result(), sc_cg)) == snapshot


def test_time_to_event_table_snapshot(snapshot):
    assert _render(duration_table(_tte_result(), ShellContext(load_plan("cdiscpilot01")))) == snapshot
