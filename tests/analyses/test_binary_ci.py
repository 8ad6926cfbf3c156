"""analyses.binary (single-proportion and difference CIs) against values printed by outside sources.

Not repeated here: Newcombe 1998a Table I (Clopper-Pearson and Wilson at 95%), Newcombe 1998b Table II
(Newcombe hybrid score, Miettinen-Nurminen, Mee) and WUSS 2016 are in tests/validation/test_binary_newcombe.py.
Each test names its source and tolerance. Property tests check what every method is defined to satisfy.
"""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats
from scipy.optimize import minimize_scalar

from analyses import binary
from analyses.binary import compute_restricted_mle, difference_ci, proportion_ci

# R package binom 1.1 ``binom.confint(x, n, tol = 1e-8)`` at 95%, methods "exact" (Clopper-Pearson),
# "wilson" and "asymptotic" (Wald), as printed to 15-16 digits in statsmodels'
# stats/tests/results/results_proportion.py (res_binom). Tolerance 1e-9: R prints more digits than that,
# and the exact limits are Beta quantiles solved to machine precision by both R and scipy.
R_BINOM_TOL = 1e-9
R_BINOM = {  # (x, n): (exact, wilson, asymptotic); asymptotic limits outside [0, 1] are truncated here
    (18, 20): ((0.6830172859809176, 0.9876514728297052), (0.6989663547715128, 0.972133518786232),
               (0.768521618913513, 1.031478381086487)),
    (4, 20): ((0.05733399705003284, 0.436614002996668), (0.0806576625797981, 0.4160174322518935),
              (0.0246954918846837, 0.3753045081153163)),
    (4, 200): ((0.005475565879556443, 0.05041360908989634), (0.00780442641634947, 0.05028708690582643),
               (0.000597346459104517, 0.0394026535408955)),
    (29, 30): ((0.8278305, 0.9991564), (0.8332961, 0.9940914), (0.9024326, 1.0309007)),
    (0, 30): ((0.0, 0.11570331), (0.0, 0.11351339), (0.0, 0.0)),
}


@pytest.mark.parametrize("counts", list(R_BINOM))
def test_single_proportion_against_r_binom(counts):
    x, n = counts
    exact, wilson, wald = R_BINOM[counts]
    # (29, 30) and (0, 30) are printed to 7 significant digits only: tolerance 5e-8 for those
    tol = R_BINOM_TOL if n in (20, 200) else 5e-8
    assert proportion_ci(x, n, "clopper_pearson") == pytest.approx(exact, abs=tol)
    assert proportion_ci(x, n, "wilson") == pytest.approx(wilson, abs=tol)
    assert proportion_ci(x, n, "wald") == pytest.approx((max(0.0, wald[0]), min(1.0, wald[1])), abs=tol)


# R package RSurveillance 0.2.1 ``binom.jeffreys(seq(10, 100, 10), 200)`` and ``binom.jeffreys(25, 200)``
# example output (equal-tailed Beta(x + 1/2, n - x + 1/2) quantiles, 95%), printed by R to 7 significant
# digits: tolerance 5e-8.
R_JEFFREYS = [
    (25, 200, (0.08462743, 0.176126)),
    (10, 200, (0.02599340, 0.08687509)),
    (20, 200, (0.06416642, 0.14729862)),
    (30, 200, (0.10567714, 0.20436243)),
    (50, 200, (0.19387268, 0.31330266)),
]


@pytest.mark.parametrize("x,n,expected", R_JEFFREYS)
def test_jeffreys_against_r_rsurveillance(x, n, expected):
    assert proportion_ci(x, n, "jeffreys") == pytest.approx(expected, abs=5e-8)


def test_jeffreys_boundary_rule():
    # Brown, Cai & DasGupta (2001, Stat Sci 16:101, section 4.1.2) and SAS CL=JEFFREYS: the lower limit is 0
    # when x = 0 and the upper limit is 1 when x = n (exact; the Beta quantile alone would not give 0 / 1)
    assert proportion_ci(0, 10, "jeffreys")[0] == 0.0
    assert proportion_ci(10, 10, "jeffreys")[1] == 1.0
    assert 0.0 < proportion_ci(10, 10, "jeffreys")[0] < 1.0


def test_clopper_pearson_boundaries_exact():
    # Clopper & Pearson (1934): the lower limit is exactly 0 at x = 0 and the upper exactly 1 at x = n
    assert proportion_ci(0, 20, "clopper_pearson")[0] == 0.0
    assert proportion_ci(20, 20, "clopper_pearson")[1] == 1.0


# Newcombe 1998b (Stat Med 17:873) Table II, method 1 (simple asymptotic, no continuity correction), 95%;
# 4 decimals as published: tolerance 5e-5. Cases (e) and (g) are the degenerate zero-width intervals.
NEWCOMBE_WALD = [
    ((56, 70, 48, 80), (0.0575, 0.3425)),
    ((9, 10, 3, 10), (0.2605, 0.9395)),
    ((6, 7, 2, 7), (0.1481, 0.9947)),
    ((5, 56, 0, 29), (0.0146, 0.1640)),
    ((0, 10, 0, 20), (0.0, 0.0)),
    ((10, 10, 0, 20), (1.0, 1.0)),
]


@pytest.mark.parametrize("counts,expected", NEWCOMBE_WALD)
def test_wald_difference_newcombe_table_2_method_1(counts, expected):
    x1, n1, x2, n2 = counts
    est, lo, hi = difference_ci(*counts, method="wald")
    assert est == pytest.approx(x1 / n1 - x2 / n2, abs=1e-15)
    assert (lo, hi) == pytest.approx(expected, abs=5e-5)


# Newcombe 1998a (Stat Med 17:857) Table I, method 1 (simple asymptotic), 95%; 4 decimals: tolerance 5e-5
@pytest.mark.parametrize("x,n,expected", [(81, 263, (0.2522, 0.3638)), (15, 148, (0.0527, 0.1500)),
                                          (0, 20, (0.0, 0.0))])
def test_wald_single_newcombe_table_1_method_1(x, n, expected):
    assert proportion_ci(x, n, "wald") == pytest.approx(expected, abs=5e-5)


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


def test_no_lazy_reexport_of_the_summaries():
    # the frame-level summaries live in analyses.binary_summary only (no module __getattr__, no cycle)
    assert not hasattr(binary, "summarize_response_rates")
    assert not hasattr(binary, "__getattr__")


@settings(max_examples=60, deadline=None)
@given(x1=st.integers(0, 30), e1=st.integers(0, 30), x2=st.integers(0, 30), e2=st.integers(0, 30),
       delta=st.floats(-0.95, 0.95))
def test_restricted_mle_closed_form_matches_numerical_maximum(x1, e1, x2, e2, delta):
    # definition of the restricted MLE (Miettinen & Nurminen 1985): the binomial likelihood under
    # p1 - p2 = delta is maximal there; checked against scipy's bounded scalar optimiser (tolerance 1e-7 on
    # the log-likelihood)
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
    # every method is equivariant under swapping the groups (Newcombe 1998b, criterion of symmetry):
    # CI(p2 - p1) = -CI(p1 - p2); and the estimate lies inside its interval
    (x1, n1), (x2, n2) = a, b
    d, lo, hi = difference_ci(x1, n1, x2, n2, method)
    assert -1.0 <= lo <= d + 1e-12 and d - 1e-12 <= hi <= 1.0
    d2, lo2, hi2 = difference_ci(x2, n2, x1, n1, method)
    assert d2 == pytest.approx(-d, abs=1e-14)
    assert (lo2, hi2) == pytest.approx((-hi, -lo), abs=1e-9)


@settings(max_examples=60, deadline=None)
@given(a=counts, b=counts, method=st.sampled_from(METHODS))
def test_difference_cis_nest_as_level_rises(a, b, method):
    # a higher confidence level never gives a shorter interval (all four methods invert a monotone statistic)
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
    # the estimate lies inside; intervals nest as the level rises; CI(n - x) = 1 - CI(x) (all four methods
    # are symmetric in success/failure, Brown, Cai & DasGupta 2001)
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
