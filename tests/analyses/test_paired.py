"""analyses.paired against hand computations written in this file (independent of scipy's test functions).

Paired t: mean, SD (n - 1), SE, t = mean / SE, df = n - 1, CI mean +/- t_{0.975, df} SE, p = 2 P(T_df > |t|)
(the t quantiles and tail areas from scipy.stats.t, the distribution only). Signed rank: V = sum of the ranks of
the positive differences; exact p by enumerating all 2^n sign patterns (R: p = 2 min(P(V <= v), P(V >= v)),
capped at 1); normal approximation as R writes it (tie-corrected variance, continuity correction 0.5 towards the
mean). Tolerance 1e-12 (the same arithmetic in another order).
"""
from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.paired import compute_paired_t, compute_signed_rank, summarize_paired_change

TOL = 1e-12
BASE = np.array([5.1, 6.3, 4.8, 7.2, 5.9, 6.6, 5.5, 6.1])
POST = np.array([4.2, 6.0, 4.1, 5.3, 6.3, 5.2, 4.0, 5.6])  # 8 distinct non-zero |d|: exact signed-rank p


def _hand_t(post, base, level=0.95):
    d = post - base
    n = len(d)
    mean = sum(d) / n
    sd = math.sqrt(sum((x - mean) ** 2 for x in d) / (n - 1))
    se = sd / math.sqrt(n)
    t = mean / se
    q = stats.t.ppf((1 + level) / 2, n - 1)
    return dict(n=n, mean=mean, sd=sd, se=se, t=t, df=n - 1, p_value=2 * stats.t.sf(abs(t), n - 1),
                ci_lower=mean - q * se, ci_upper=mean + q * se)


def _exact_signed_rank(d):
    ranks = stats.rankdata(np.abs(d))
    v = ranks[d > 0].sum()
    dist = [sum(r for r, s in zip(ranks, signs) if s) for signs in itertools.product((0, 1), repeat=len(d))]
    dist = np.array(dist)
    return v, min(1.0, 2 * min(np.mean(dist <= v), np.mean(dist >= v)))


def test_paired_t_matches_hand_formula():
    got = compute_paired_t(POST, BASE)
    want = _hand_t(POST, BASE)
    for k, v in want.items():
        assert got[k] == pytest.approx(v, rel=TOL, abs=TOL), k


def test_paired_t_level_changes_only_the_interval():
    got = compute_paired_t(POST, BASE, level=0.90)
    want = _hand_t(POST, BASE, level=0.90)
    assert (got["ci_lower"], got["ci_upper"]) == pytest.approx((want["ci_lower"], want["ci_upper"]), rel=TOL)
    assert got["p_value"] == pytest.approx(want["p_value"], rel=TOL)


def test_signed_rank_exact_matches_enumeration():
    d = POST - BASE
    v, p = _exact_signed_rank(d)
    got = compute_signed_rank(POST, BASE)
    assert got["method"] == "exact" and got["n"] == 8 and got["v"] == v
    assert got["p_value"] == pytest.approx(p, rel=TOL)


def test_signed_rank_normal_approximation_with_ties_and_zeros():
    base = np.array([3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0])
    post = base + np.array([1.0, -1.0, 2.0, 2.0, 0.0, 3.0, 3.0, 3.0, -4.0, 5.0])  # ties in |d| and one zero
    d = (post - base)[post != base]
    n = len(d)
    ranks = stats.rankdata(np.abs(d))
    v = ranks[d > 0].sum()
    _, counts = np.unique(np.abs(d), return_counts=True)
    sigma = math.sqrt(n * (n + 1) * (2 * n + 1) / 24 - sum(c ** 3 - c for c in counts) / 48)
    z = v - n * (n + 1) / 4
    z = (z - math.copysign(0.5, z)) / sigma
    p = 2 * min(stats.norm.cdf(z), stats.norm.sf(z))
    got = compute_signed_rank(post, base)
    assert got["method"] == "normal" and got["n"] == 9 and got["zeros"] == 1 and got["ties"]
    assert got["v"] == v and got["p_value"] == pytest.approx(p, rel=1e-10)


def test_missing_pairs_are_left_out_and_small_n_is_not_estimable():
    post = np.array([1.0, np.nan, 3.0])
    base = np.array([0.5, 2.0, np.nan])
    one = compute_paired_t(post, base)
    assert one["n"] == 1 and one["mean"] == 0.5 and math.isnan(one["sd"]) and math.isnan(one["p_value"])
    flat = compute_paired_t(np.array([2.0, 3.0]), np.array([1.0, 2.0]))  # SD of the changes 0
    assert flat["sd"] == 0 and math.isnan(flat["t"]) and math.isnan(flat["ci_lower"])
    none = compute_signed_rank(np.array([1.0, 2.0]), np.array([1.0, 2.0]))
    assert none["n"] == 0 and none["zeros"] == 2 and math.isnan(none["p_value"])
    with pytest.raises(ValueError, match="3 post-baseline values for 2 baseline values"):
        compute_paired_t(np.ones(3), np.ones(2))


def _frame():
    rows = []
    for v, shift in ((4.0, 0.0), (20.0, 1.0)):
        for i, (b, p) in enumerate(zip(BASE, POST)):
            rows.append({"USUBJID": f"S{i}", "ARMLABEL": "A" if i < 5 else "B", "AVISITN": v, "BASE": b,
                         "AVAL": p - shift, "CHG": p - shift - b})
    return pd.DataFrame(rows)


def test_tidy_rows_by_group_and_visit():
    frame = _frame()
    tidy = summarize_paired_change(frame, value="CHG", group="ARMLABEL", visit="AVISITN", groups=["A", "B"],
                                   options={"test": "paired_t", "sensitivity": ("signed_rank",), "level": 0.95})
    assert len(tidy) == 2 * 2 * 4
    at = tidy[(tidy["group"] == "B") & (tidy["visit"] == 20.0)]
    want = _hand_t(POST[5:] - 1.0, BASE[5:])
    mean = at[at["statistic"] == "mean"].iloc[0]
    assert mean["estimate"] == pytest.approx(want["mean"], rel=TOL) and mean["n"] == 3 and mean["df"] == 2
    assert (mean["ci_lower"], mean["ci_upper"]) == pytest.approx((want["ci_lower"], want["ci_upper"]), rel=TOL)
    t = at[at["statistic"] == "t_test"].iloc[0]
    assert t["estimate"] == pytest.approx(want["t"], rel=TOL) and t["p_value"] == pytest.approx(want["p_value"])
    w = at[at["statistic"] == "signed_rank_test"].iloc[0]
    v, p = _exact_signed_rank(POST[5:] - 1.0 - BASE[5:])
    assert w["estimate"] == v and w["p_value"] == pytest.approx(p, rel=TOL) and w["method"] == "signed_rank_exact"
    assert set(tidy["value"]) == {"CHG"}


def test_only_the_named_tests_and_clear_errors():
    frame = _frame()
    tidy = summarize_paired_change(frame, value="CHG", group="ARMLABEL", visit="AVISITN", groups=["A"],
                                   options={"test": "signed_rank", "sensitivity": ()})
    assert set(tidy["statistic"]) == {"mean", "sd", "signed_rank_test"}
    with pytest.raises(ValueError, match="unknown test 'sign'"):
        summarize_paired_change(frame, value="CHG", group="ARMLABEL", visit="AVISITN", groups=["A"],
                                options={"test": "sign", "sensitivity": ()})
    with pytest.raises(ValueError, match=r"no column\(s\) BASE"):
        summarize_paired_change(frame.drop(columns="BASE"), value="CHG", group="ARMLABEL", visit="AVISITN",
                                groups=["A"])
