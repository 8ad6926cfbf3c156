"""Power and sample size of the plan's primary comparison.

- Fisher's exact test of two proportions, exact power: the sum, over every pair of binomial outcomes
  (x1 of n1, x2 of n2), of their probability under the assumed rates, counting the pairs the two-sided
  conditional test rejects at ``alpha``. The two-sided p-value sums the hypergeometric probabilities of the
  tables with the same margins that are no more probable than the observed one (relative tolerance 1e-7, as
  R ``fisher.test``). SAS PROC POWER ``TWOSAMPLEFREQ TEST=FISHER``; R ``Exact``/``pwrss::power.exact.fisher``.
  Hand-written: scipy has Fisher's test but no power for it; the enumeration is vectorised per margin total.
- Two-sample comparison of means, normal approximation: power = Phi(|delta| / (sd * sqrt(1/n1 + 1/n2)) -
  z_{1-alpha/2}) (Chow, Shao & Wang 2008, section 3.2.1; R ``pwr``/``power.t.test`` give slightly less for
  small n, since they use the t distribution).
"""
from __future__ import annotations

import math

import numpy as np
from scipy import stats

RELATIVE_TOLERANCE = 1e-7  # R fisher.test: tables with probability <= observed * (1 + 1e-7) count as extreme


def _check(n1: int, n2: int, p1: float, p2: float, alpha: float) -> None:
    if n1 < 1 or n2 < 1:
        raise ValueError(f"group sizes must be at least 1 (got {n1}, {n2})")
    for name, p in (("p1", p1), ("p2", p2)):
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"{name} must be a probability (got {p})")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha must be in (0, 1) (got {alpha})")


def _fisher_rejects(n1: int, n2: int, alpha: float) -> np.ndarray:
    """Boolean (n1+1) x (n2+1) array: does the two-sided Fisher test reject table (x1, x2) at ``alpha``?"""
    reject = np.zeros((n1 + 1, n2 + 1), dtype=bool)
    for total in range(n1 + n2 + 1):
        lo, hi = max(0, total - n2), min(n1, total)
        x1 = np.arange(lo, hi + 1)
        pmf = stats.hypergeom.pmf(x1, n1 + n2, n1, total)
        pvalue = np.array([pmf[pmf <= q * (1 + RELATIVE_TOLERANCE)].sum() for q in pmf])
        reject[x1, total - x1] = pvalue <= alpha
    return reject


def compute_fisher_power(n1: int, n2: int, p1: float, p2: float, alpha: float = 0.05) -> float:
    """Exact power of the two-sided Fisher exact test with ``n1``/``n2`` subjects and true rates ``p1``/``p2``."""
    _check(n1, n2, p1, p2, alpha)
    reject = _fisher_rejects(n1, n2, alpha)
    prob1 = stats.binom.pmf(np.arange(n1 + 1), n1, p1)
    prob2 = stats.binom.pmf(np.arange(n2 + 1), n2, p2)
    return float(prob1 @ reject.astype(float) @ prob2)


def compute_fisher_sample_size(p1: float, p2: float, power: float = 0.8, alpha: float = 0.05,
                               ratio: float = 1.0, max_n: int = 2000) -> int:
    """Smallest n (subjects in group 2; group 1 gets ceil(ratio * n)) whose exact Fisher power reaches ``power``.

    The exact power is not monotone in n (the test's discreteness), so this is the first n that reaches it,
    as SAS PROC POWER reports; a larger n may fall just below.
    """
    if not 0.0 < power < 1.0:
        raise ValueError(f"power must be in (0, 1) (got {power})")
    for n in range(2, max_n + 1):
        if compute_fisher_power(math.ceil(ratio * n), n, p1, p2, alpha) >= power:
            return n
    raise ValueError(f"power {power} is not reached with up to {max_n} subjects per group")


def compute_mean_difference_power(n1: int, n2: int, delta: float, sd: float, alpha: float = 0.05) -> float:
    """Power of the two-sided two-sample comparison of means (normal approximation)."""
    if sd <= 0:
        raise ValueError(f"sd must be positive (got {sd})")
    _check(n1, n2, 0.5, 0.5, alpha)
    z = abs(delta) / (sd * math.sqrt(1.0 / n1 + 1.0 / n2))
    return float(stats.norm.cdf(z - stats.norm.ppf(1 - alpha / 2)) + stats.norm.cdf(-z - stats.norm.ppf(1 - alpha / 2)))
