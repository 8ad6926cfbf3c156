"""Firth's penalised Cox fit (analyses.cox.fit_cox_firth) and the hazard-ratio fallback, against an independent
computation written here.

coxphf (R) is not in Debian, so the reference is computed in this file from the definition (Firth 1993; Heinze &
Schemper 2001): the penalised log partial likelihood log L(b) + 0.5 log I(b), with log L and I summed subject by
subject over the risk sets (Breslow: the whole risk set per event; Efron: the tied events' weights reduced by l/d),
I(b) as the sum over the event terms of the weighted variance of the covariate in the risk set, maximised by
scipy.optimize.minimize_scalar (bounded, xatol 1e-10); the profile penalised-likelihood limits are the roots of
2 (L*max - L*(b)) = chi2_1(0.95) found by brentq; the penalised likelihood-ratio test is 2 (L*max - L*(0)).
Published Firth-Cox numbers (Heinze & Schemper 2001, breast cancer data) are for a four-covariate model, which
analyses.cox (one treatment indicator) does not fit, so they are not used. Tolerances are stated at each check.
"""
from __future__ import annotations

import math
from typing import get_args

import numpy as np
import pytest
from scipy import optimize, stats

from analyses.cox import (COX_FALLBACKS, compute_cox_hazard_ratio, compute_partial_likelihood, derive_event_terms,
                          fit_cox_firth)
from sap import vocabulary as voc

# (group times, group events, comparator times, comparator events)
DATA = {
    # coxphf's help example: events at 1, 2 (x = 1) and 3 (x = 0); monotone (coxph does not converge)
    "coxphf_example": ([1, 2], [1, 1], [3], [1]),
    # the adapter test's separation: group responses 5, 6, 7 weeks, comparator 1, 2 (all ended): monotone
    "separation": ([5, 6, 7], [1, 1, 1], [1, 2], [1, 1]),
    # no events in the group, ties between arms at 2 and 4: monotone
    "no_events": ([2, 4, 4, 6, 8], [0, 0, 0, 0, 0], [1, 2, 2, 4, 5, 7], [1, 1, 1, 1, 0, 1]),
    # a finite MLE with heavy ties (weekly visits)
    "ties": ([1, 2, 2, 3, 4, 4, 4, 6], [1, 1, 0, 1, 1, 1, 0, 0], [1, 1, 2, 2, 3, 3, 5], [1, 1, 1, 0, 1, 1, 1]),
}


def _sums(b, t1, e1, t2, e2, ties):
    """(log L, I) summed subject by subject over the risk sets (independent of analyses.cox's per-arm closed
    form): each event term's weighted mean and variance of x over its (Efron-reduced) risk set."""
    t = np.r_[t1, t2].astype(float)
    e = np.r_[e1, e2].astype(int)
    x = np.r_[np.ones(len(t1)), np.zeros(len(t2))]
    w = np.exp(b * x)
    ll = info = 0.0
    for s in np.unique(t[e == 1]):
        dead, risk = (t == s) & (e == 1), t >= s
        d = int(dead.sum())
        ll += b * x[dead].sum()
        for k in range(d):
            c = risk - (k / d if ties == "efron" else 0.0) * dead  # each subject's share in this term
            s0, s1 = (c * w).sum(), (c * w * x).sum()
            ll -= math.log(s0)
            info += (c * w * x * x).sum() / s0 - (s1 / s0) ** 2
    return ll, info


def _loglik(b, t1, e1, t2, e2, ties):
    return _sums(b, t1, e1, t2, e2, ties)[0]


def _penalised(b, data, ties):
    ll, info = _sums(b, *data, ties)
    return ll + 0.5 * math.log(info) if info > 0 else -math.inf


def _root(f, start, step):
    """brentq root of f between ``start`` (f > 0) and the first point start + k step with f < 0."""
    edge = start + step
    while f(edge) >= 0:
        edge += step
    return optimize.brentq(f, min(edge - step, edge), max(edge - step, edge), xtol=1e-12)


def _reference(data, ties):
    fit = optimize.minimize_scalar(lambda b: -_penalised(b, data, ties), bounds=(-15, 15), method="bounded",
                                   options={"xatol": 1e-10})
    b, top = fit.x, -fit.fun
    target = top - stats.chi2.ppf(0.95, 1) / 2
    lo = _root(lambda v: _penalised(v, data, ties) - target, b, -0.5)
    hi = _root(lambda v: _penalised(v, data, ties) - target, b, 0.5)
    p = stats.chi2.sf(2 * (top - _penalised(0.0, data, ties)), 1)
    return b, lo, hi, p


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("name", sorted(DATA))
def test_closed_form_partial_likelihood_matches_the_subject_sums(name, ties):
    terms = derive_event_terms(*DATA[name], ties)
    for b in (-2.0, 0.0, 0.7):
        ll, *_ = compute_partial_likelihood(terms, b)
        assert ll == pytest.approx(_loglik(b, *DATA[name], ties), abs=1e-12)  # same sums, other order


@pytest.mark.parametrize("ties", ["breslow", "efron"])
@pytest.mark.parametrize("name", sorted(DATA))
def test_firth_estimate_interval_and_test_match_the_independent_maximisation(name, ties):
    b, lo, hi, p = _reference(DATA[name], ties)
    fit = fit_cox_firth(derive_event_terms(*DATA[name], ties))
    assert fit.converged and 0 < fit.iterations < 50
    # estimate: coxphf's stop (standardised step <= 1e-6, penalised score <= 1e-4) and the reference's bounded
    # Brent search limit the agreement (up to 6e-7 seen): abs 2e-6 on the log hazard ratio
    assert fit.beta == pytest.approx(b, abs=2e-6)
    # profile limits and the penalised LR p are roots / values of the same function: agree to 1e-13 (abs 1e-9)
    # (the p-value through L*max, flat at the maximum, is insensitive to the estimate's 1e-6)
    assert fit.ci == pytest.approx((lo, hi), abs=1e-9)
    assert fit.p_value == pytest.approx(p, rel=1e-9)
    assert fit.ci[0] < fit.beta < fit.ci[1] and all(map(math.isfinite, fit.ci))


def test_firth_shrinks_a_finite_estimate_towards_zero():
    # Firth's penalty removes the first-order bias of the MLE: |b_Firth| < |b_ML| on the finite "ties" data
    from analyses.cox import fit_cox_newton
    terms = derive_event_terms(*DATA["ties"], "breslow")
    ml, firth = fit_cox_newton(terms), fit_cox_firth(terms)
    assert ml.converged and 0 < abs(firth.beta) < abs(ml.beta)


def test_fallback_replaces_a_monotone_fit_and_names_the_method():
    t1, e1, t2, e2 = DATA["no_events"]
    plain = compute_cox_hazard_ratio(t1, e1, t2, e2, labels=("A", "B"))
    assert plain["not_estimable"] == "monotone likelihood (no events in A)" and math.isnan(plain["hr"])
    hr = compute_cox_hazard_ratio(t1, e1, t2, e2, labels=("A", "B"), fallback=("firth",))
    b, lo, hi, p = _reference(DATA["no_events"], "breslow")
    assert hr["not_estimable"] is None and hr["method"] == "cox_firth_pl" and hr["converged"] is True
    assert [hr["hr"], hr["ci_lower"], hr["ci_upper"]] == pytest.approx([math.exp(b), math.exp(lo), math.exp(hi)],
                                                                       rel=1e-4)  # exp of abs 1e-5 above
    assert hr["p_value"] == pytest.approx(p, rel=1e-4)
    assert hr["hr"] < 1  # no events in A: A's hazard is the lower one
    assert hr["warnings"] == plain["warnings"] and len(hr["warnings"]) == 1
    [note] = hr["notes"]
    assert note.startswith("monotone likelihood (no events in A): hazard ratio from Firth's penalised partial "
                           "likelihood (Breslow ties; plan option cox_fallback: firth), converged in ")


def test_fallback_does_not_touch_a_converged_fit():
    t1, e1, t2, e2 = DATA["ties"]
    assert (compute_cox_hazard_ratio(t1, e1, t2, e2, fallback=("firth",))
            == compute_cox_hazard_ratio(t1, e1, t2, e2))


def test_fallback_after_the_iteration_limit(monkeypatch):
    # a fit stopped by the iteration limit (here 1, so the finite "ties" fit cannot converge) goes to the fallback
    import analyses.cox as cox
    monkeypatch.setattr(cox, "COX_ITER_MAX", 1)
    t1, e1, t2, e2 = DATA["ties"]
    plain = cox.compute_cox_hazard_ratio(t1, e1, t2, e2)
    assert plain["not_estimable"] == "Cox fit did not converge after 1 iterations" and plain["converged"] is False
    hr = cox.compute_cox_hazard_ratio(t1, e1, t2, e2, fallback=("firth",))
    assert hr["method"] == "cox_firth_pl" and hr["hr"] == pytest.approx(math.exp(_reference(DATA["ties"],
                                                                                              "breslow")[0]), rel=1e-4)


def test_no_information_is_not_estimable_even_with_the_fallback():
    # A's events occur after every B subject left (B censored at 1, 2): log L is flat, Firth cannot help
    hr = compute_cox_hazard_ratio([3, 4], [1, 1], [1, 2], [0, 0], labels=("A", "B"), fallback=("firth",))
    assert hr["not_estimable"] == "no information on the hazard ratio (no event occurs while both arms are at risk)"
    assert hr["converged"] is None and math.isnan(hr["hr"])
    none = compute_cox_hazard_ratio([1, 2], [0, 0], [5, 6], [0, 0], labels=("A", "B"))
    assert none["not_estimable"] == "no events in A or B"
    with pytest.raises(ValueError, match="unknown Cox fallback"):
        compute_cox_hazard_ratio([1, 2], [1, 1], [3, 4], [1, 0], fallback=("ridge",))


def test_plan_vocabulary_names_the_fallbacks_the_statistics_implement():
    assert get_args(voc.CoxFallback) == COX_FALLBACKS and set(voc.COX_FALLBACK_LABELS) == set(COX_FALLBACKS)
    assert voc.cox_comparison(True, ("firth",)).endswith(
        "or the fit does not converge: Firth's penalised partial likelihood (Breslow ties, profile "
        "penalised-likelihood confidence interval))")
    assert voc.cox_comparison(True, ()).endswith("does not converge: none, the hazard ratio is not estimable)")
    assert voc.cox_comparison(False, ("firth",)) == "no between-group test"
