"""Binary CIs against published values (as_endpoints.md section 5: Newcombe 1998 Tables I/II,
WUSS 2016 paper 127, Wang 2014 24/31) and against R references (tests/validation/r/binary_*)."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analyses.binary import difference_ci, proportion_ci
from analyses.binary_stratified import (cmh_test, crude_odds_ratio, fisher_test, logistic_odds_ratio,
                                        stratified_difference_ci)
from analyses.multiplicity import adjust_p_values

R_DIR = Path(__file__).resolve().parent / "r"
TOL_4DP = 5e-5  # published values are rounded to 4 decimals

# Newcombe 1998a (Stat Med 17:857) Table I, as reproduced in as_endpoints.md section 5.
SINGLE = [
    (81, 263, (0.2527, 0.3676), (0.2553, 0.3662)),
    (15, 148, (0.0578, 0.1617), (0.0624, 0.1605)),
    (0, 20, (0.0000, 0.1684), (0.0000, 0.1611)),
    (1, 29, (0.0009, 0.1776), (0.0061, 0.1718)),
    # Wang 2014 ASAS20 week 4, 24/31: R binom.test / Wilson, as_endpoints.md [computed]
    (24, 31, (0.5890, 0.9041), (0.6019, 0.8860)),
]


@pytest.mark.parametrize("x,n,cp,wilson", SINGLE)
def test_single_proportion_newcombe_table_1(x, n, cp, wilson):
    assert proportion_ci(x, n, "clopper_pearson") == pytest.approx(cp, abs=TOL_4DP)
    assert proportion_ci(x, n, "wilson") == pytest.approx(wilson, abs=TOL_4DP)


def test_wald_24_of_31():
    # as_endpoints.md: Wald 0.6270-0.9214 for 24/31 (tolerance: 4 dp rounding)
    assert proportion_ci(24, 31, "wald") == pytest.approx((0.6270, 0.9214), abs=TOL_4DP)


def test_wilson_1_of_29_is_pure_wilson_not_hmisc():
    # Pitfall in as_endpoints.md: Hmisc::binconf gives 0.0018; pure Wilson gives 0.0061.
    assert proportion_ci(1, 29, "wilson")[0] == pytest.approx(0.0061, abs=TOL_4DP)


# Newcombe 1998b (Stat Med 17:873) Table II via as_endpoints.md: (newcombe, MN, Mee)
DIFFERENCE = [
    ((56, 70, 48, 80), (0.0524, 0.3339), (0.0528, 0.3382), (0.0533, 0.3377)),
    ((9, 10, 3, 10), (0.1705, 0.8090), (0.1700, 0.8406), (0.1821, 0.8370)),
    ((6, 7, 2, 7), (0.0582, 0.8062), (0.0342, 0.8534), (0.0544, 0.8478)),
    ((5, 56, 0, 29), (-0.0381, 0.1926), (-0.0326, 0.1933), (-0.0313, 0.1926)),
    ((0, 10, 0, 20), (-0.1611, 0.2775), (-0.1658, 0.2844), (-0.1611, 0.2775)),
    ((0, 10, 0, 10), (-0.2775, 0.2775), (-0.2879, 0.2879), (-0.2775, 0.2775)),
    ((10, 10, 0, 20), (0.6791, 1.0000), (0.7156, 1.0000), (0.7225, 1.0000)),
    ((10, 10, 0, 10), (0.6075, 1.0000), (0.6636, 1.0000), (0.6777, 1.0000)),
]


@pytest.mark.parametrize("counts,newcombe,mn,mee", DIFFERENCE)
def test_difference_newcombe_table_2(counts, newcombe, mn, mee):
    x1, n1, x2, n2 = counts
    for method, expected in (("newcombe", newcombe), ("miettinen_nurminen", mn), ("mee", mee)):
        est, lo, hi = difference_ci(*counts, method=method)
        assert est == pytest.approx(x1 / n1 - x2 / n2, abs=1e-15)
        assert (lo, hi) == pytest.approx(expected, abs=TOL_4DP), method


def test_wuss_2016_84_101_vs_89_105():
    # WUSS 2016 paper 127 (SAS PROC FREQ output), as_endpoints.md; tolerance 4 dp rounding
    assert difference_ci(84, 101, 89, 105, "newcombe")[1:] == pytest.approx((-0.1177, 0.0851), abs=TOL_4DP)
    assert difference_ci(84, 101, 89, 105, "miettinen_nurminen")[1:] == pytest.approx(
        (-0.1191, 0.0860), abs=TOL_4DP)


@pytest.fixture(scope="module")
def rref():
    return json.loads((R_DIR / "binary_stratified_reference.json").read_text())


@pytest.mark.parametrize("case", ["three_strata", "with_zero_cells"])
def test_stratified_against_r(rref, case):
    r = rref[case]
    args = (r["x1"], r["n1"], r["x2"], r["n2"])
    # epiR 2.0.57 epi.2by2 ARisk.mh.sato = SAS COMMONRISKDIFF(CL=MH) Sato variance; tol 1e-10
    sato = stratified_difference_ci(*args, method="mh_sato")
    assert [sato["estimate"], sato["ci_lower"], sato["ci_upper"]] == pytest.approx(r["rd_mh_sato"], abs=1e-10)
    # epiR ARisk.mh.green coincides with tern "cmh" (MH weights, Wald stratum variances); tol 1e-10
    cmh = stratified_difference_ci(*args, method="cmh")
    assert [cmh["estimate"], cmh["ci_lower"], cmh["ci_upper"]] == pytest.approx(r["rd_mh_green"], abs=1e-10)
    # independent R score inversion (optimize + uniroot, tol 1e-12); agreement to 1e-8
    mn = stratified_difference_ci(*args, method="miettinen_nurminen")
    assert [mn["estimate"], mn["ci_lower"], mn["ci_upper"]] == pytest.approx(r["mn_stratified"], abs=1e-8)
    # R mantelhaen.test(correct=FALSE); tol 1e-10
    cm = cmh_test(*args)
    assert cm["statistic"] == pytest.approx(r["cmh_statistic"], rel=1e-10)
    assert cm["p_value"] == pytest.approx(r["cmh_p"], rel=1e-8)
    # R fisher.test on the pooled table; rel tol 1e-8
    pooled = [sum(v) for v in args]
    assert fisher_test(*pooled)["p_value"] == pytest.approx(r["fisher_p"], rel=1e-8)
    # crude OR, Woolf CI: epiR OR.crude.wald; tol 1e-10
    cr = crude_odds_ratio(*pooled)
    assert [cr["estimate"], cr["ci_lower"], cr["ci_upper"]] == pytest.approx(
        [r["crude_or"], r["crude_or_woolf_lower"], r["crude_or_woolf_upper"]], rel=1e-10)
    # R glm(binomial) + confint.default (strata with one response value left out); rel tol 1e-5
    # because R glm stops at its default deviance tolerance epsilon = 1e-8 (we iterate to 1e-12)
    y, trt, st = [], [], []
    for h, (a, b, c, d) in enumerate(zip(*args)):
        y += [1] * a + [0] * (b - a) + [1] * c + [0] * (d - c)
        trt += [1] * b + [0] * d
        st += [h] * (b + d)
    lo = logistic_odds_ratio(np.array(y), np.array(trt), np.array(st))
    assert [lo["estimate"], lo["ci_lower"], lo["ci_upper"], lo["p_value"]] == pytest.approx(
        [r["logistic_or"], r["logistic_or_lower"], r["logistic_or_upper"], r["logistic_p"]], rel=1e-5)


def test_single_stratum_score_matches_r_and_unstratified(rref):
    r = rref["single_stratum"]
    mn = stratified_difference_ci([56], [70], [48], [80], method="miettinen_nurminen")
    assert [mn["estimate"], mn["ci_lower"], mn["ci_upper"]] == pytest.approx(r["mn_stratified"], abs=1e-8)
    assert difference_ci(56, 70, 48, 80, "miettinen_nurminen") == pytest.approx(
        (mn["estimate"], mn["ci_lower"], mn["ci_upper"]), abs=1e-10)


@pytest.mark.parametrize("method", ["bonferroni", "holm", "hochberg"])
def test_p_adjust_against_r(rref, method):
    r = rref["p_adjust"]
    names = [f"H{i}" for i in range(len(r["p"]))]
    # R stats::p.adjust; tol 1e-12
    assert adjust_p_values(names, r["p"], method).adjusted == pytest.approx(r[method], abs=1e-12)
