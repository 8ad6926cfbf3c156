"""Confidence intervals for one binomial proportion and for a difference of two proportions.

Single proportions use ``statsmodels.stats.proportion.proportion_confint`` (the method-name mapping is
in :data:`STATSMODELS_METHOD`). Newcombe's hybrid score interval is built from those Wilson limits
(validated against Newcombe 1998b Table II in ``tests/validation/test_binary_newcombe.py``).
The Miettinen-Nurminen / Mee score inversion is hand-written: statsmodels 0.15
``confint_proportions_2indep(method="score")`` does not reproduce Newcombe's published limits
(56/70 - 48/80: upper 0.3440 vs 0.3382) and raises for 6/7 - 2/7, 0/10 - 0/20 and 10/10 - 0/20, and
the stratified version (analyses.binary_stratified) needs the same score function.

References
    Newcombe RG (1998a). Two-sided confidence intervals for the single proportion. Stat Med 17:857.
    Newcombe RG (1998b). Interval estimation for the difference between independent proportions.
        Stat Med 17:873 (method 10 = hybrid score).
    Miettinen O, Nurminen M (1985). Comparative analysis of two rates. Stat Med 4:213.
    Mee RW (1984). Confidence bounds for the difference between two probabilities. Biometrics 40:1175.
    Farrington CP, Manning G (1990). Stat Med 9:1447 (closed-form restricted MLE).
SAS: PROC FREQ ``BINOMIAL(CL=EXACT WILSON JEFFREYS WALD)`` and ``RISKDIFF(CL=NEWCOMBE MN MEE WALD)``.
R: ``binom.test``, ``prop.test(correct=FALSE)``, ``DescTools::BinomDiffCI``, ``tern::stat_propdiff_ci``.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import optimize, stats
from statsmodels.stats.proportion import proportion_confint

#: Our method names -> statsmodels ``proportion_confint`` method names.
STATSMODELS_METHOD: dict[str, str] = {
    "clopper_pearson": "beta",
    "wilson": "wilson",
    "jeffreys": "jeffreys",
    "wald": "normal",
}

PROPORTION_METHODS = tuple(STATSMODELS_METHOD)
DIFFERENCE_METHODS = ("newcombe", "miettinen_nurminen", "mee", "wald")


def check_counts(x: int, n: int, label: str = "") -> None:
    """Raise ValueError unless 0 <= x <= n and n >= 1 are integers."""
    where = f" ({label})" if label else ""
    for name, value in (("x", x), ("n", n)):
        if isinstance(value, bool) or not float(value).is_integer():
            raise ValueError(f"{name}={value!r}{where} must be a whole number")
    if n < 1:
        raise ValueError(f"n={n}{where} must be at least 1")
    if x < 0 or x > n:
        raise ValueError(f"x={x}{where} must lie between 0 and n={n}")


def check_level(level: float) -> float:
    """Raise ValueError unless 0 < level < 1; return the two-sided normal quantile."""
    if not 0.0 < float(level) < 1.0:
        raise ValueError(f"level={level!r} must lie strictly between 0 and 1")
    return float(stats.norm.ppf(1.0 - (1.0 - level) / 2.0))


def proportion_ci(x: int, n: int, method: str = "clopper_pearson",
                  level: float = 0.95) -> tuple[float, float]:
    """Two-sided confidence interval for a binomial proportion x/n.

    Methods: ``clopper_pearson`` (exact; SAS CL=EXACT, R ``binom.test``), ``wilson`` (score without
    continuity correction; SAS CL=WILSON, R ``prop.test(correct=FALSE)``), ``jeffreys`` (equal-tailed
    Beta(x+1/2, n-x+1/2) with the Brown-Cai-DasGupta 2001 boundary rule lower=0 when x=0 and upper=1
    when x=n, as SAS CL=JEFFREYS), ``wald`` (truncated to [0, 1]).
    """
    check_counts(x, n)
    check_level(level)
    if method not in STATSMODELS_METHOD:
        raise ValueError(f"method={method!r}; expected one of {PROPORTION_METHODS}")
    lower, upper = proportion_confint(int(x), int(n), alpha=1.0 - level,
                                      method=STATSMODELS_METHOD[method])
    lower, upper = float(lower), float(upper)
    if method == "jeffreys":
        lower = 0.0 if x == 0 else lower
        upper = 1.0 if x == n else upper
    return max(0.0, lower), min(1.0, upper)


def difference_ci(x1: int, n1: int, x2: int, n2: int, method: str = "newcombe",
                  level: float = 0.95) -> tuple[float, float, float]:
    """Estimate and CI for p1 - p2 = x1/n1 - x2/n2 (group 1 minus group 2).

    ``newcombe``: hybrid score method 10 of Newcombe (1998b) built from Wilson limits.
    ``miettinen_nurminen``: score inversion with the restricted MLE and variance factor N/(N-1).
    ``mee``: the same score inversion without the N/(N-1) factor (Mee 1984, Farrington-Manning).
    ``wald``: d +/- z*sqrt(p1 q1/n1 + p2 q2/n2), truncated to [-1, 1].
    Returns ``(estimate, lower, upper)``.
    """
    check_counts(x1, n1, "group 1")
    check_counts(x2, n2, "group 2")
    z = check_level(level)
    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"method={method!r}; expected one of {DIFFERENCE_METHODS}")
    p1, p2 = x1 / n1, x2 / n2
    d = p1 - p2
    if method == "wald":
        half = z * math.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
        return d, max(-1.0, d - half), min(1.0, d + half)
    if method == "newcombe":
        l1, u1 = proportion_ci(x1, n1, "wilson", level)
        l2, u2 = proportion_ci(x2, n2, "wilson", level)
        lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
        upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
        return d, max(-1.0, lower), min(1.0, upper)
    lower, upper = score_interval([x1], [n1], [x2], [n2], z, mn_factor=method == "miettinen_nurminen")
    return d, lower, upper


def compute_restricted_mle(p1: float, n1: float, p2: float, n2: float,
                           delta: float) -> tuple[float, float]:
    """Maximum-likelihood (p1~, p2~) under the constraint p1~ - p2~ = delta.

    Closed-form root of the likelihood cubic (Miettinen & Nurminen 1985, appendix; Farrington &
    Manning 1990), as used by SAS RISKDIFF(CL=MN). Results are clipped to the feasible region.
    When both arms have no responders (or both all responders) the likelihood is monotone and the
    maximum sits on the boundary, which is returned exactly (the cubic loses precision there);
    otherwise the closed-form root is polished by Newton steps on the profile score.
    """
    lo, hi = max(0.0, delta), min(1.0, 1.0 + delta)  # feasible range of p1~
    if p1 == 0.0 and p2 == 0.0:
        return lo, lo - delta
    if p1 == 1.0 and p2 == 1.0:
        return hi, hi - delta
    theta = n2 / n1
    a = 1.0 + theta
    b = -(1.0 + theta + p1 + theta * p2 + delta * (theta + 2.0))
    c = delta * delta + delta * (2.0 * p1 + theta + 1.0) + p1 + theta * p2
    d = -p1 * delta * (1.0 + delta)
    v = b ** 3 / (27.0 * a ** 3) - b * c / (6.0 * a * a) + d / (2.0 * a)
    inside = max(b * b / (9.0 * a * a) - c / (3.0 * a), 0.0)
    u = math.copysign(math.sqrt(inside), v) if v != 0 else math.sqrt(inside)
    if u == 0.0:
        cos_arg = 1.0
    else:
        cos_arg = min(1.0, max(-1.0, v / u ** 3))
    w = (math.pi + math.acos(cos_arg)) / 3.0
    pt1 = min(hi, max(lo, 2.0 * u * math.cos(w) - b / (3.0 * a)))
    pt1 = _polish_restricted_mle(pt1, p1 * n1, n1, p2 * n2, n2, delta, lo, hi)
    return pt1, min(1.0, max(0.0, pt1 - delta))


def _polish_restricted_mle(pt1, x1, n1, x2, n2, delta, lo, hi):
    """Up to 3 Newton steps on d loglik / d p1~ (concave), kept only while strictly inside (lo, hi)."""
    for _ in range(3):
        q1, q2 = pt1, pt1 - delta
        if not (lo < pt1 < hi) or min(q1, 1 - q1, q2, 1 - q2) <= 1e-12:
            break
        grad = x1 / q1 - (n1 - x1) / (1 - q1) + x2 / q2 - (n2 - x2) / (1 - q2)
        hess = -(x1 / q1 ** 2 + (n1 - x1) / (1 - q1) ** 2 + x2 / q2 ** 2 + (n2 - x2) / (1 - q2) ** 2)
        if hess >= 0 or not math.isfinite(grad):
            break
        step = pt1 - grad / hess
        if not (lo < step < hi):
            break
        pt1 = step
    return pt1


def compute_score_statistic(delta: float, x1, n1, x2, n2, weights, mn_factor: bool) -> float:
    """Stratified score statistic sum w_k (d_k - delta) / sqrt(sum w_k^2 V_k(delta)).

    With one stratum this is the Miettinen-Nurminen (mn_factor=True) or Mee statistic. V_k is the
    restricted-MLE variance p1~q1~/n1 + p2~q2~/n2, times N_k/(N_k - 1) for Miettinen-Nurminen.
    Returns +/-inf when the variance is 0 and the numerator is not, and 0 when both are 0.
    """
    num = 0.0
    var = 0.0
    for xa, na, xb, nb, w in zip(x1, n1, x2, n2, weights):
        pa, pb = xa / na, xb / nb
        num += w * (pa - pb - delta)
        ta, tb = compute_restricted_mle(pa, na, pb, nb, delta)
        v = ta * (1 - ta) / na + tb * (1 - tb) / nb
        if mn_factor:
            total = na + nb
            v *= total / (total - 1.0)
        var += w * w * v
    if abs(num) < 1e-15:
        return 0.0
    if var <= 0.0:
        return math.copysign(math.inf, num)
    return num / math.sqrt(var)


def score_interval(x1, n1, x2, n2, z: float, mn_factor: bool = True,
                   weights=None) -> tuple[float, float]:
    """Invert the (stratified) score test: {delta : |score(delta)| <= z}, solved to 1e-12.

    The score statistic is decreasing in delta; the lower limit solves score = z on
    [-1, estimate] and the upper solves score = -z on [estimate, 1]. When the estimate sits on a
    boundary (e.g. 10/10 vs 0/20 gives estimate 1) that boundary is the limit.
    """
    n1a = np.asarray(n1, float)
    n2a = np.asarray(n2, float)
    if weights is None:
        weights = n1a * n2a / (n1a + n2a)
    weights = np.asarray(weights, float)
    est = float(np.sum(weights * (np.asarray(x1) / n1a - np.asarray(x2) / n2a)) / np.sum(weights))

    def f(delta: float, target: float) -> float:
        return compute_score_statistic(delta, x1, n1, x2, n2, weights, mn_factor) - target

    eps = 1e-13
    lower = -1.0
    if est > -1.0 + eps:
        a = -1.0 + eps
        if f(a, z) > 0:
            lower = optimize.brentq(f, a, est, args=(z,), xtol=1e-13, rtol=4 * np.finfo(float).eps,
                                    maxiter=500)
    upper = 1.0
    if est < 1.0 - eps:
        b = 1.0 - eps
        if f(b, -z) < 0:
            upper = optimize.brentq(f, est, b, args=(-z,), xtol=1e-13, rtol=4 * np.finfo(float).eps,
                                    maxiter=500)
    return float(lower), float(upper)

