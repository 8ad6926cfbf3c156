"""Unit and property tests for analyses.binary (single-proportion and difference CIs)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import minimize_scalar
from statsmodels.stats.proportion import proportion_confint

from analyses import binary
from analyses.binary import (STATSMODELS_METHOD, compute_restricted_mle, difference_ci, proportion_ci)


def test_statsmodels_method_mapping():
    assert STATSMODELS_METHOD == {"clopper_pearson": "beta", "wilson": "wilson",
                                  "jeffreys": "jeffreys", "wald": "normal"}
    for ours, theirs in STATSMODELS_METHOD.items():
        if ours == "jeffreys":
            continue
        assert proportion_ci(7, 19, ours, 0.9) == pytest.approx(
            tuple(proportion_confint(7, 19, alpha=0.1, method=theirs)), abs=1e-15)


def test_clopper_pearson_is_beta_quantiles():
    # L = B(a/2; x, n-x+1), U = B(1-a/2; x+1, n-x)  (as_endpoints.md formula)
    lo, hi = proportion_ci(24, 31, "clopper_pearson")
    assert lo == pytest.approx(stats.beta.ppf(0.025, 24, 8), abs=1e-12)
    assert hi == pytest.approx(stats.beta.ppf(0.975, 25, 7), abs=1e-12)


def test_wilson_hand_formula():
    x, n, z = 24, 31, stats.norm.ppf(0.975)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert proportion_ci(x, n, "wilson") == pytest.approx((centre - half, centre + half), abs=1e-12)


def test_jeffreys_boundaries():
    # Brown, Cai & DasGupta 2001 / SAS: lower 0 at x = 0, upper 1 at x = n
    assert proportion_ci(0, 10, "jeffreys")[0] == 0.0
    assert proportion_ci(10, 10, "jeffreys")[1] == 1.0
    lo, hi = proportion_ci(3, 10, "jeffreys")
    assert (lo, hi) == pytest.approx((stats.beta.ppf(0.025, 3.5, 7.5), stats.beta.ppf(0.975, 3.5, 7.5)))


def test_boundaries_exact():
    assert proportion_ci(0, 20, "clopper_pearson")[0] == 0.0
    assert proportion_ci(20, 20, "clopper_pearson")[1] == 1.0
    assert proportion_ci(20, 20, "wald") == (1.0, 1.0)


@pytest.mark.parametrize("args", [(-1, 5), (6, 5), (1, 0), (1.5, 5)])
def test_bad_counts_raise(args):
    with pytest.raises(ValueError):
        proportion_ci(*args)


def test_bad_method_and_level_raise():
    with pytest.raises(ValueError, match="method"):
        proportion_ci(1, 5, "exact")
    with pytest.raises(ValueError, match="level"):
        proportion_ci(1, 5, "wilson", 95)
    with pytest.raises(ValueError, match="method"):
        difference_ci(1, 5, 2, 5, "score")


def test_wald_difference_hand_formula():
    d, lo, hi = difference_ci(56, 70, 48, 80, "wald")
    se = math.sqrt(0.8 * 0.2 / 70 + 0.6 * 0.4 / 80)
    z = stats.norm.ppf(0.975)
    assert (d, lo, hi) == pytest.approx((0.2, 0.2 - z * se, 0.2 + z * se), abs=1e-12)


def test_newcombe_hand_formula_from_wilson_limits():
    l1, u1 = proportion_ci(9, 10, "wilson")
    l2, u2 = proportion_ci(3, 10, "wilson")
    d, lo, hi = difference_ci(9, 10, 3, 10, "newcombe")
    assert lo == pytest.approx(0.6 - math.sqrt((0.9 - l1) ** 2 + (u2 - 0.3) ** 2), abs=1e-14)
    assert hi == pytest.approx(0.6 + math.sqrt((u1 - 0.9) ** 2 + (0.3 - l2) ** 2), abs=1e-14)


@settings(max_examples=60, deadline=None)
@given(x1=st.integers(0, 30), e1=st.integers(0, 30), x2=st.integers(0, 30), e2=st.integers(0, 30),
       delta=st.floats(-0.95, 0.95))
def test_restricted_mle_closed_form_matches_numerical_maximum(x1, e1, x2, e2, delta):
    n1, n2 = x1 + e1 + 1, x2 + e2 + 1
    pt1, pt2 = compute_restricted_mle(x1 / n1, n1, x2 / n2, n2, delta)
    assert pt1 - pt2 == pytest.approx(delta, abs=1e-9)

    def negll(p2):
        p1 = p2 + delta
        return -(stats.binom.logpmf(x1, n1, p1) + stats.binom.logpmf(x2, n2, p2))

    lo, hi = max(0.0, -delta), min(1.0, 1.0 - delta)
    res = minimize_scalar(negll, bounds=(lo, hi), method="bounded", options={"xatol": 1e-12})
    assert negll(pt2) <= res.fun + 1e-7


counts = st.integers(1, 60).flatmap(lambda n: st.tuples(st.integers(0, n), st.just(n)))
METHODS = ["newcombe", "miettinen_nurminen", "mee", "wald"]


@settings(max_examples=60, deadline=None)
@given(a=counts, b=counts, method=st.sampled_from(METHODS))
def test_difference_estimate_inside_ci_and_swap_mirrors(a, b, method):
    (x1, n1), (x2, n2) = a, b
    d, lo, hi = difference_ci(x1, n1, x2, n2, method)
    assert -1.0 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1.0
    d2, lo2, hi2 = difference_ci(x2, n2, x1, n1, method)
    assert d2 == pytest.approx(-d, abs=1e-14)
    assert (lo2, hi2) == pytest.approx((-hi, -lo), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(a=counts, b=counts, method=st.sampled_from(METHODS))
def test_difference_cis_nest_as_level_rises(a, b, method):
    (x1, n1), (x2, n2) = a, b
    prev = None
    for level in (0.8, 0.9, 0.95, 0.99):
        _, lo, hi = difference_ci(x1, n1, x2, n2, method, level)
        if prev is not None:
            assert lo <= prev[0] + 1e-9 and hi >= prev[1] - 1e-9
        prev = (lo, hi)


@settings(max_examples=60, deadline=None)
@given(a=counts, method=st.sampled_from(["clopper_pearson", "wilson", "jeffreys", "wald"]))
def test_proportion_estimate_inside_ci_nesting_and_mirror(a, method):
    x, n = a
    prev = None
    for level in (0.8, 0.9, 0.95, 0.99):
        lo, hi = proportion_ci(x, n, method, level)
        assert 0.0 <= lo <= x / n + 1e-12 and x / n - 1e-12 <= hi <= 1.0
        if prev is not None:
            assert lo <= prev[0] + 1e-12 and hi >= prev[1] - 1e-12
        prev = (lo, hi)
    lo, hi = proportion_ci(x, n, method)
    lo2, hi2 = proportion_ci(n - x, n, method)
    assert (lo2, hi2) == pytest.approx((1 - hi, 1 - lo), abs=1e-9)


def test_mn_score_is_zero_based_interval_root():
    # the MN limits are roots of |score| = z: check the score statistic at the limits
    z = stats.norm.ppf(0.975)
    _, lo, hi = difference_ci(6, 7, 2, 7, "miettinen_nurminen")
    from analyses.binary import compute_score_statistic
    assert compute_score_statistic(lo, [6], [7], [2], [7], [1.0], True) == pytest.approx(z, abs=1e-8)
    assert compute_score_statistic(hi, [6], [7], [2], [7], [1.0], True) == pytest.approx(-z, abs=1e-8)


def test_lazy_reexport():
    assert callable(binary.summarize_response_rates)
    with pytest.raises(AttributeError):
        binary.no_such_function


@pytest.mark.parametrize("counts", [(56, 70, 48, 80), (6, 7, 2, 7), (0, 10, 0, 20), (10, 10, 0, 20)])
def test_newcombe_agrees_with_statsmodels_newcomb(counts):
    import warnings

    from statsmodels.stats.proportion import confint_proportions_2indep
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = confint_proportions_2indep(*counts, method="newcomb", compare="diff")
    assert difference_ci(*counts, method="newcombe")[1:] == pytest.approx(tuple(map(float, ref)), abs=1e-12)
