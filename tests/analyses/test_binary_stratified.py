"""Unit and property tests for analyses.binary_stratified."""
from __future__ import annotations

import math
from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyses import binary_stratified
from analyses.binary import difference_ci
from analyses.binary_stratified import (STRATIFIED_METHODS, cmh_test, crude_odds_ratio, fisher_test,
                                        stratified_difference_ci)

stratum = st.tuples(st.integers(1, 25), st.integers(1, 25)).flatmap(
    lambda n: st.tuples(st.integers(0, n[0]), st.just(n[0]), st.integers(0, n[1]), st.just(n[1])))


def test_single_stratum_reduces_to_unstratified():
    one = stratified_difference_ci([9], [10], [3], [10], "miettinen_nurminen")
    assert (one["estimate"], one["ci_lower"], one["ci_upper"]) == pytest.approx(
        difference_ci(9, 10, 3, 10, "miettinen_nurminen"), abs=1e-10)
    cmh = stratified_difference_ci([9], [10], [3], [10], "cmh")
    assert (cmh["estimate"], cmh["ci_lower"], cmh["ci_upper"]) == pytest.approx(
        difference_ci(9, 10, 3, 10, "wald"), abs=1e-12)


def test_mh_weights():
    r = stratified_difference_ci([1, 2], [4, 6], [1, 1], [4, 3], "cmh")
    w = np.array([4 * 4 / 8, 6 * 3 / 9])
    assert r["weights"] == pytest.approx(list(w / w.sum()))
    assert r["estimate"] == pytest.approx((w[0] * 0 + w[1] * (2 / 6 - 1 / 3)) / w.sum())


@settings(max_examples=40, deadline=None)
@given(strata=st.lists(stratum, min_size=1, max_size=4), method=st.sampled_from(STRATIFIED_METHODS))
def test_stratified_estimate_in_ci_and_swap_mirrors(strata, method):
    x1, n1, x2, n2 = (list(v) for v in zip(*strata))
    r = stratified_difference_ci(x1, n1, x2, n2, method)
    assert r["ci_lower"] <= r["estimate"] + 1e-12 <= r["ci_upper"] + 2e-12
    s = stratified_difference_ci(x2, n2, x1, n1, method)
    assert s["estimate"] == pytest.approx(-r["estimate"], abs=1e-14)
    assert (s["ci_lower"], s["ci_upper"]) == pytest.approx((-r["ci_upper"], -r["ci_lower"]), abs=1e-8)
    wide = stratified_difference_ci(x1, n1, x2, n2, method, level=0.99)
    assert wide["ci_lower"] <= r["ci_lower"] + 1e-9 and wide["ci_upper"] >= r["ci_upper"] - 1e-9


def test_fisher_calls_scipy_two_sided():
    real = binary_stratified.stats.fisher_exact
    with mock.patch.object(binary_stratified.stats, "fisher_exact", side_effect=real) as spy:
        fisher_test(3, 4, 1, 4)
    assert spy.call_args.args[0] == [[3, 1], [1, 3]]
    assert spy.call_args.kwargs["alternative"] == "two-sided"


def test_cmh_uninformative_and_no_correction():
    assert math.isnan(cmh_test([0], [5], [0], [5])["statistic"])
    # one informative 2x2 table: CMH = (a - E a)^2 / V with V = n1 n2 m1 m2 / (N^2 (N-1))
    a, n1, c, n2 = 6, 10, 2, 10
    m1, N = a + c, n1 + n2
    ea = n1 * m1 / N
    v = n1 * n2 * m1 * (N - m1) / (N ** 2 * (N - 1))
    assert cmh_test([a], [n1], [c], [n2])["statistic"] == pytest.approx((a - ea) ** 2 / v)


def test_crude_or_zero_cell_is_nan():
    assert math.isnan(crude_odds_ratio(0, 5, 2, 5)["estimate"])


def test_bad_strata_lengths_raise():
    with pytest.raises(ValueError, match="one entry per stratum"):
        stratified_difference_ci([1, 2], [3], [1], [3])
    with pytest.raises(ValueError, match="stratum 1"):
        stratified_difference_ci([1, 5], [3, 3], [1, 1], [3, 3])
