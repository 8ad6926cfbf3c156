"""Paired comparison of a post-baseline value with its baseline: change from baseline, paired t-test and
Wilcoxon signed-rank test, by group and visit.

Over the n subjects with both values at a visit, d_i = AVAL_i - BASE_i (the change from baseline, CHG):

- mean change, SD (divisor n - 1), SE = SD / sqrt(n) and the two-sided ``level`` confidence interval
  mean +/- t(n - 1, (1 + level) / 2) SE;
- paired t-test of a mean change of 0 (Student 1908): t = mean / SE, df = n - 1, two-sided p from the t
  distribution. ``scipy.stats.ttest_rel``; SAS ``PROC TTEST; PAIRED AVAL*BASE;``; R
  ``t.test(AVAL, BASE, paired = TRUE)``.
- Wilcoxon signed-rank test (Wilcoxon 1945) of the differences: zero differences are dropped (Wilcoxon's
  convention), V = sum of the ranks of |d| of the positive differences (R's statistic; mid-ranks for ties),
  two-sided p. The p-value follows R ``wilcox.test(AVAL, BASE, paired = TRUE)``: the exact null distribution
  when fewer than 50 non-zero differences remain and there are no ties and no zeros, otherwise the normal
  approximation with tie-corrected variance and continuity correction (``scipy.stats.wilcoxon`` with
  ``method="exact"`` or ``method="asymptotic", correction=True``). SAS ``PROC UNIVARIATE`` (signed rank S =
  V - n(n + 1)/4) gives the same exact p for n <= 20 but uses a t approximation above 20, so its p can differ
  in the third decimal there.

References: Student. The probable error of a mean. Biometrika 1908;6:1-25. Wilcoxon F. Individual comparisons
by ranking methods. Biometrics Bulletin 1945;1:80-83. Pure statistics: nothing from the project is imported.
"""
from __future__ import annotations

import math
from typing import Any, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analyses.results import tidy_frame

#: below this many non-zero differences (and without ties or zeros) the signed-rank p is exact, as in R
EXACT_SIGNED_RANK_BELOW = 50


def compute_paired_t(post: Sequence[float], base: Sequence[float], level: float = 0.95) -> dict[str, float]:
    """Mean change (post - base), SD, SE, ``level`` CI, t, df and two-sided p of the paired t-test.

    Pairs with a missing value are left out. n < 2, or no variation in the changes: every statistic but n and
    the mean is NaN (not estimable)."""
    a, b = _pairs(post, base)
    d = a - b
    n = int(d.size)
    out = {"n": n, "mean": float(d.mean()) if n else math.nan, "sd": math.nan, "se": math.nan,
           "ci_lower": math.nan, "ci_upper": math.nan, "t": math.nan, "df": float(n - 1) if n else math.nan,
           "p_value": math.nan}
    if n < 2:
        return out
    sd = float(np.std(d, ddof=1))
    out.update(sd=sd, se=sd / math.sqrt(n))
    if sd == 0.0:
        return out
    res = stats.ttest_rel(a, b)
    ci = res.confidence_interval(confidence_level=level)
    out.update(ci_lower=float(ci.low), ci_upper=float(ci.high), t=float(res.statistic), df=float(res.df),
               p_value=float(res.pvalue))
    return out


def compute_signed_rank(post: Sequence[float], base: Sequence[float]) -> dict[str, Any]:
    """Wilcoxon signed-rank test of post - base: n (non-zero differences), V, two-sided p and the p method
    (``exact`` or ``normal``, see the module docstring). No non-zero difference: V and p are NaN."""
    a, b = _pairs(post, base)
    d = a - b
    zeros = int(np.sum(d == 0))
    nz = d[d != 0]
    n = int(nz.size)
    if n == 0:
        return {"n": 0, "v": math.nan, "p_value": math.nan, "method": "none", "zeros": zeros, "ties": False}
    ranks = stats.rankdata(np.abs(nz))
    ties = bool(len(np.unique(np.abs(nz))) < n)
    v = float(ranks[nz > 0].sum())
    exact = n < EXACT_SIGNED_RANK_BELOW and not ties and zeros == 0
    if exact:
        res = stats.wilcoxon(nz, method="exact")
    else:
        res = stats.wilcoxon(nz, method="asymptotic", correction=True)
    return {"n": n, "v": v, "p_value": float(res.pvalue), "method": "exact" if exact else "normal",
            "zeros": zeros, "ties": ties}


def summarize_paired_change(frame: pd.DataFrame, *, value: str, group: str, visit: str, groups: Sequence[str],
                            reference: str | None = None, options: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Tidy rows per group and visit of the paired comparison of ``AVAL`` with ``BASE`` (``frame``: BDS records
    after baseline; ``value`` names their change column, e.g. CHG, and is recorded on the rows).

    Rows: ``mean`` (mean change with se, CI, df), ``sd``, ``t_test`` (estimate = t, df, p_value) and
    ``signed_rank_test`` (estimate = V, p_value; ``n`` = non-zero differences) for the options' ``test`` and
    ``sensitivity`` tests (``paired_t``, ``signed_rank``; default both); ``level`` from the options (0.95)."""
    opts = dict(options or {})
    level = float(opts.get("level", 0.95))
    tests = (opts.get("test", "paired_t"), *opts.get("sensitivity", ("signed_rank",)))
    missing = [c for c in ("AVAL", "BASE", group, visit) if c not in frame.columns]
    if missing:
        raise ValueError(f"paired comparison: the records have no column(s) {', '.join(missing)}")
    rows = []
    for v in sorted(pd.to_numeric(frame[visit], errors="coerce").dropna().unique()):
        at = frame[pd.to_numeric(frame[visit], errors="coerce") == v]
        for g in groups:
            mine = at[at[group] == g]
            rows += _group_rows(mine, dict(group=g, visit=float(v), value=value, level=level), tests, level)
    return tidy_frame(rows)


def _group_rows(recs: pd.DataFrame, base: dict, tests: tuple[str, ...], level: float) -> list[dict]:
    post, bl = recs["AVAL"].to_numpy(dtype=float), recs["BASE"].to_numpy(dtype=float)
    t = compute_paired_t(post, bl, level)
    label = "Change from baseline"
    rows = [dict(base, statistic="mean", estimate=t["mean"], se=t["se"], ci_lower=t["ci_lower"],
                 ci_upper=t["ci_upper"], df=t["df"], n=t["n"], label=label, method="paired_t"),
            dict(base, statistic="sd", estimate=t["sd"], n=t["n"], label=label, method="paired_t")]
    for test in tests:
        if test == "paired_t":
            rows.append(dict(base, statistic="t_test", estimate=t["t"], df=t["df"], p_value=t["p_value"],
                             n=t["n"], label="Paired t-test", method="paired_t"))
        elif test == "signed_rank":
            w = compute_signed_rank(post, bl)
            rows.append(dict(base, statistic="signed_rank_test", estimate=w["v"], p_value=w["p_value"], n=w["n"],
                             label="Wilcoxon signed-rank test", method=f"signed_rank_{w['method']}",
                             zeros=w["zeros"]))
        else:
            raise ValueError(f"paired comparison: unknown test {test!r} (paired_t, signed_rank)")
    return rows


def _pairs(post: Sequence[float], base: Sequence[float]) -> tuple[np.ndarray, np.ndarray]:
    """The complete pairs (post, base) as float arrays."""
    a, b = np.asarray(post, dtype=float), np.asarray(base, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired values: {a.size} post-baseline values for {b.size} baseline values")
    ok = ~(np.isnan(a) | np.isnan(b))
    return a[ok], b[ok]
