"""analyses.cox (Cox model of a 0/1 treatment indicator) against R survival 3.5-3 ``coxph``.

Reference: tests/validation/r/cox_reference.json, written by tests/validation/r/cox_reference.R (coxph.control
defaults: eps 1e-9, iter.max 20) on (a) survival::lung by sex, (b) aml, (c) lung with times in 100-day blocks
(heavy ties), (d) a near-monotone set (coxph converges in 9 iterations; lifelines 0.30 diverges on it, the
issue 15 failure), (e) monotone sets (no events in one arm: "Loglik converged before variable 1; coefficient may
be infinite"; complete separation: "Ran out of iterations"), plus step halving from distant starts (aml, init -6,
3, 6) and a fit stopped by iter.max = 2 (lung). analyses.cox follows coxfit6's iterations, so estimates agree to
rounding: tolerances are stated at each check.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from analyses.cox import (check_monotone_likelihood, compute_cox_hazard_ratio, derive_event_terms,
                          fit_cox_newton)

REF = json.loads((Path(__file__).resolve().parent / "r" / "cox_reference.json").read_text())
CASES = ["lung_sex", "aml", "lung_ties", "near_monotone", "monotone_no_events", "monotone_separation"]
MONOTONE = {"monotone_no_events": "down", "monotone_separation": "up"}


def _arms(case: str):
    d = REF[case]
    t, s, x = (np.asarray(d[k], float) for k in ("time", "status", "x"))
    return t[x == 1], s[x == 1], t[x == 0], s[x == 0]


def _terms(case: str, ties: str = "efron"):
    return derive_event_terms(*_arms(case), ties)


def _r_iterations(r: dict) -> int:
    """coxph's ``iter``; its C loop counter ends at iter.max + 1 when it ran out of iterations."""
    ran_out = "Ran out of iterations and did not converge" in r["warnings"]
    return r["iter"] - 1 if ran_out else r["iter"]


@pytest.mark.parametrize("ties", ["efron", "breslow"])
@pytest.mark.parametrize("case", CASES)
def test_newton_raphson_follows_coxph(case, ties):
    r = REF[case][ties]
    fit = fit_cox_newton(_terms(case, ties))
    assert fit.iterations == _r_iterations(r)  # exact: same iterations, same stopping rule
    assert fit.converged == ("Ran out of iterations and did not converge" not in r["warnings"])
    assert fit.infinite == any("coefficient may be infinite" in w for w in r["warnings"])
    # converged fits agree to rounding (rel 1e-9); a diverging coefficient after 20 steps amplifies rounding
    # (about 7e-10 relative seen), rel 1e-8 there; log-likelihoods abs 1e-9
    rel = 1e-8 if case in MONOTONE else 1e-9
    assert fit.beta == pytest.approx(r["coef"], rel=rel)
    assert fit.se == pytest.approx(r["se"], rel=1e-6 if case in MONOTONE else 1e-9)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-9)


@pytest.mark.parametrize("init,key", [(-6, "m6"), (3, "p3"), (6, "p6")])
def test_step_halving_from_distant_start_follows_coxph(init, key):
    # from these starts the first Newton steps overshoot and coxfit6 halves ((new + k old) / (k + 1)):
    # 8, 11, 12 iterations in R; the same count and stopping point (rel 1e-9) show the same halving rule
    r = REF["aml_init"]["fits"][key]
    fit = fit_cox_newton(_terms("aml"), init=init)
    assert fit.iterations == r["iter"] and fit.converged
    assert fit.beta == pytest.approx(r["coef"], rel=1e-9)
    assert fit.loglik == pytest.approx(r["loglik"], abs=1e-9)


def test_iteration_limit_is_reported_not_converged():
    r = REF["lung_iter2"]  # coxph(iter.max = 2): "Ran out of iterations and did not converge"
    fit = fit_cox_newton(_terms("lung_sex"), iter_max=2)
    assert not fit.converged and fit.iterations == _r_iterations(r) == 2
    assert fit.beta == pytest.approx(r["coef"], rel=1e-9)  # the last accepted iterate, as R
    assert fit.loglik[1] == pytest.approx(r["loglik"][1], abs=1e-9)


@pytest.mark.parametrize("case", ["lung_sex", "aml", "lung_ties", "near_monotone"])
def test_hazard_ratio_and_wald_interval_against_coxph(case):
    r = REF[case]["efron"]
    hr = compute_cox_hazard_ratio(*_arms(case), labels=("x=1", "x=0"))
    assert hr["not_estimable"] is None and hr["converged"] is True and hr["method"] == "cox_efron_wald"
    assert hr["iterations"] == r["iter"] and hr["warnings"] == () and hr["notes"] == ()
    # summary(coxph): exp(coef), lower/upper .95, Pr(>|z|); rel 1e-9 (p: 1e-8, a tail area)
    assert [hr["hr"], hr["ci_lower"], hr["ci_upper"]] == pytest.approx([r["hr"], r["hr_lower"], r["hr_upper"]],
                                                                       rel=1e-9)
    assert hr["se"] == pytest.approx(r["se"], rel=1e-9)
    assert hr["p_value"] == pytest.approx(r["wald_p"], rel=1e-8)


@pytest.mark.parametrize("case", sorted(MONOTONE))
def test_monotone_likelihood_detected_and_not_estimable(case):
    r = REF[case]["efron"]
    terms = _terms(case)
    side = check_monotone_likelihood(terms)
    assert side == MONOTONE[case]
    assert math.copysign(1, r["coef"]) == (1 if side == "up" else -1)  # R's coefficient runs off that way
    hr = compute_cox_hazard_ratio(*_arms(case), labels=("G", "C"))
    assert math.isnan(hr["hr"]) and hr["converged"] is False and hr["iterations"] == _r_iterations(r)
    expected = {"monotone_no_events": "monotone likelihood (no events in G)",
                "monotone_separation": ("monotone likelihood (complete separation in time: no G subject is at risk "
                                        "at any C event)")}[case]
    assert hr["not_estimable"] == expected
    [warning] = hr["warnings"]
    assert "coefficient may be infinite" in warning and expected in warning


def test_near_monotone_is_finite():
    # one comparator event (time 4) has group subjects at risk, so the MLE is finite: HR 0.0199 (coxph)
    assert check_monotone_likelihood(_terms("near_monotone")) is None
    assert REF["near_monotone"]["efron"]["hr"] == pytest.approx(0.019923, rel=1e-4)
