"""The logistic odds ratio (analyses.binary_stratified.logistic_odds_ratio) reports its IRLS convergence and never
uses a fit that did not converge (issue 15). The converged numbers are validated against R glm in
tests/validation/test_binary_newcombe.py; here only the convergence record is checked.
"""
from __future__ import annotations

import math

import numpy as np
import statsmodels.api as sm

import analyses.binary_stratified as bs

Y = np.array([1, 0, 1, 1, 0, 0, 1, 0, 1, 1])
TRT = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])


def test_converged_fit_reports_its_iterations():
    lo = bs.logistic_odds_ratio(Y, TRT)
    ref = sm.GLM(Y, np.c_[np.ones(10), TRT], family=sm.families.Binomial()).fit(tol=1e-12, maxiter=200)
    assert lo["converged"] is True and lo["iterations"] == ref.fit_history["iteration"] > 1
    # 3/5 vs 3/5 responders: OR 1 exactly (tol 1e-9)
    assert math.isclose(lo["estimate"], 1.0, rel_tol=1e-9) and lo["note"] is None


def test_fit_stopped_by_the_iteration_limit_is_not_used(monkeypatch):
    monkeypatch.setattr(bs, "LOGISTIC_MAXITER", 1)  # one IRLS step cannot meet tol 1e-12 on these data
    lo = bs.logistic_odds_ratio(np.array([1, 0, 1, 1, 1, 0, 0, 1, 0, 0]), TRT)
    assert lo["converged"] is False and lo["iterations"] == 1
    assert all(math.isnan(lo[k]) for k in ("estimate", "se", "ci_lower", "ci_upper", "p_value"))
    assert lo["note"] == "not estimable (logistic fit did not converge after 1 IRLS iterations)"


def test_separation_is_not_fitted():
    lo = bs.logistic_odds_ratio(np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0]), TRT)
    assert lo["converged"] is None and lo["iterations"] == 0 and math.isnan(lo["estimate"])
