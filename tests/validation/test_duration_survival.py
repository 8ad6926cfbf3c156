"""Kaplan-Meier summaries against R survival 3.5-3 (tests/validation/r/duration_*), the published
median-CI table of as_endpoints.md section 5, and the CDISC pilot ADTTE (TTDE) numbers at risk."""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses.cox import compute_cox_hazard_ratio
from analyses.duration import (compute_km_quantile, compute_km_table, compute_logrank, compute_n_at_risk,
                               compute_rmst, compute_survival_at, km_summary)
from analyses.duration_summary import summarize_time_to_event

R_DIR = Path(__file__).resolve().parent / "r"
LUNG = pd.read_csv(R_DIR / "duration_lung.csv")  # R survival::lung (time, status 1=death, sex)
AML = pd.read_csv(R_DIR / "duration_aml.csv")  # R survival::aml
REF = json.loads((R_DIR / "duration_survival_reference.json").read_text())
SUBSETS = {"lung_all": LUNG, "lung_sex1": LUNG[LUNG.sex == 1], "lung_sex2": LUNG[LUNG.sex == 2],
           "aml_Maintained": AML[AML.x == "Maintained"], "aml_Nonmaintained": AML[AML.x == "Nonmaintained"]}
NAN = float("nan")


def _same(got, expected, tol):
    """Equal within tol, with None/NaN (not reached / undefined) matching only NaN."""
    exp = NAN if expected is None else expected
    if math.isnan(exp):
        return math.isnan(got)
    return abs(got - exp) <= tol


@pytest.mark.parametrize("subset", list(SUBSETS))
@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_km_against_r_survival(subset, conf_type):
    r = REF[f"{subset}|{conf_type}"]
    d = SUBSETS[subset]
    table = compute_km_table(d.time, d.status, conf_type=conf_type)
    # quantile.survfit: quartiles and Brookmeyer-Crowley CIs; times are exact (tol 1e-9)
    for p, q, lo, hi in zip(r["quantile_probs"], r["quantile"], r["quantile_lower"], r["quantile_upper"]):
        got = compute_km_quantile(table, p)
        assert all(_same(g, e, 1e-9) for g, e in zip(got, (q, lo, hi))), (p, got, (q, lo, hi))
    # summary(fit, times=): survival and pointwise limits; tol 1e-12
    for at, s, lo, hi in zip(r["times"], r["surv"], r["surv_lower"], r["surv_upper"]):
        got = compute_survival_at(table, at)
        assert all(_same(g, e, 1e-12) for g, e in zip((got[0], got[2], got[3]), (s, lo, hi))), at
    # summary(fit, times=)$n.risk; exact
    assert compute_n_at_risk(d.time, r["times"]) == r["n_risk"]
    # print(fit, rmean=tau): rmean and se(rmean); tol 1e-10
    rm, se = compute_rmst(table, r["tau"])
    assert rm == pytest.approx(r["rmean"], abs=1e-10)
    assert se == pytest.approx(r["se_rmean"], abs=1e-10)
    s = km_summary(d.time, d.status, conf_type=conf_type)
    assert (s["n"], s["events"]) == (r["n"], r["events"])


# as_endpoints.md section 5 [computed, R survival 3.5-3]: median (lower, upper); None = NA
PUBLISHED = {
    ("lung_all", "log"): (310, 285, 363), ("lung_all", "log-log"): (310, 284, 361),
    ("lung_all", "plain"): (310, 284, 361),
    ("lung_sex1", "log"): (270, 212, 310), ("lung_sex1", "log-log"): (270, 210, 306),
    ("lung_sex1", "plain"): (270, 212, 306),
    ("lung_sex2", "log"): (426, 348, 550), ("lung_sex2", "log-log"): (426, 345, 524),
    ("lung_sex2", "plain"): (426, 345, 524),
    ("aml_Maintained", "log"): (31, 18, None), ("aml_Maintained", "log-log"): (31, 13, None),
    ("aml_Maintained", "plain"): (31, 18, 48),
    # S reaches 0 at t = 45: the log band is undefined there, so the upper limit is NA, not 45
    ("aml_Nonmaintained", "log"): (23, 8, None), ("aml_Nonmaintained", "log-log"): (23, 5, 33),
    ("aml_Nonmaintained", "plain"): (23, 8, 33),
}


@pytest.mark.parametrize("key", list(PUBLISHED))
def test_km_median_ci_published_table(key):
    subset, conf_type = key
    d = SUBSETS[subset]
    s = km_summary(d.time, d.status, level=0.95, conf_type=conf_type)
    expected = PUBLISHED[key]
    got = (s["median"], s["ci_lower"], s["ci_upper"])
    assert all(_same(g, e, 1e-9) for g, e in zip(got, expected)), (got, expected)


def test_logrank_and_cox_against_r():
    f, m = LUNG[LUNG.sex == 2], LUNG[LUNG.sex == 1]
    lr = compute_logrank(f.time, f.status, m.time, m.status)
    # survdiff(Surv(time, status) ~ sex, lung): chisq 10.3267; rel tol 1e-9
    assert lr["chisq"] == pytest.approx(REF["lung_logrank"]["chisq"], rel=1e-9)
    assert lr["p_value"] == pytest.approx(REF["lung_logrank"]["p_value"], rel=1e-8)
    cox = compute_cox_hazard_ratio(f.time, f.status, m.time, m.status)
    r = REF["lung_cox_efron"]
    # coxph(ties="efron"): coef -0.53102; HR 0.5880 (0.4237, 0.8160); rel tol 1e-5 here (analyses.cox follows
    # coxph's iterations, so tests/validation/test_cox_r.py checks it to 1e-9)
    assert cox["log_hr"] == pytest.approx(r["coef"], rel=1e-5)
    assert cox["se"] == pytest.approx(r["se"], rel=1e-5)
    assert [cox["hr"], cox["ci_lower"], cox["ci_upper"]] == pytest.approx(
        [r["hr"], r["hr_lower"], r["hr_upper"]], rel=1e-5)
    assert cox["p_value"] == pytest.approx(r["wald_p"], rel=1e-4)
    # Efron differs from Breslow here, so the tie handling really is Efron
    assert abs(cox["log_hr"] - REF["lung_cox_breslow"]["coef"]) > 1e-4
    a, b = AML[AML.x == "Maintained"], AML[AML.x == "Nonmaintained"]
    # survdiff(Surv(time, status) ~ x, aml): rel tol 1e-9
    assert compute_logrank(a.time, a.status, b.time, b.status)["chisq"] == pytest.approx(
        REF["aml_logrank"]["chisq"], rel=1e-9)


@pytest.fixture(scope="module")
def adtte(cdiscpilot_dir):
    import pyreadstat
    df, _ = pyreadstat.read_xport(str(cdiscpilot_dir / "adam" / "adtte.xpt"), encoding="windows-1252")
    df = df[df.PARAMCD == "TTDE"].copy()
    df["EVENT"] = (df.CNSR == 0).astype(int)
    return df


def test_cdisc_pilot_adtte_numbers_at_risk_and_medians(adtte):
    # CDISC pilot 01 KM figure (time to first dermatologic event), numbers at risk at days 0..200;
    # exact integers. Medians: Placebo not reached, Low 33, High 36 days.
    expected = {"Placebo": [86, 75, 65, 59, 50, 47, 45, 42, 40, 35, 0],
                "Xanomeline Low Dose": [84, 58, 31, 20, 14, 12, 8, 6, 6, 5, 0],
                "Xanomeline High Dose": [84, 48, 31, 14, 7, 4, 4, 4, 4, 3, 0]}
    medians = {"Placebo": NAN, "Xanomeline Low Dose": 33.0, "Xanomeline High Dose": 36.0}
    days = list(range(0, 201, 20))
    res = summarize_time_to_event(adtte, time_col="AVAL", event_col="EVENT", group_col="TRTA",
                                  time_points=days).tidy()
    for arm, counts in expected.items():
        rows = res[(res.group == arm) & (res.statistic == "n_at_risk")]
        assert rows.estimate.astype(int).tolist() == counts, arm
        med = res[(res.group == arm) & (res.statistic == "median")].estimate.iloc[0]
        assert _same(med, medians[arm], 1e-9), arm
    assert (adtte.TRTA == adtte.TRTP).all()
