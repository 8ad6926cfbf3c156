"""Power and sample size (analyses.sample_size) against outside figures and an independent enumeration.

Outside figures (issue 14, computed outside this package): the exact two-sided Fisher power for 20 vs 20 subjects
at 60% vs 20% (alpha 0.05) is 0.650; 26 per arm give 79.9% and 27 per arm are needed for 80%. Tolerance: 5e-4
(the figures are given to 3 decimals). The independent check enumerates every table with scipy.stats.fisher_exact
(scipy's own two-sided p-value, a different implementation from the vectorised hypergeometric sums), 1e-12.
The normal-approximation power of a mean difference is checked against the closed form worked by hand.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from analyses.sample_size import (compute_fisher_power, compute_fisher_sample_size,
                                  compute_mean_difference_power)


def test_fisher_power_matches_the_outside_figures():
    assert compute_fisher_power(20, 20, 0.6, 0.2) == pytest.approx(0.650, abs=5e-4)
    assert compute_fisher_power(26, 26, 0.6, 0.2) == pytest.approx(0.799, abs=5e-4)
    assert compute_fisher_power(27, 27, 0.6, 0.2) >= 0.80
    assert compute_fisher_sample_size(0.6, 0.2, power=0.80) == 27


def _brute_force_power(n1, n2, p1, p2, alpha):
    power = 0.0
    for x1 in range(n1 + 1):
        for x2 in range(n2 + 1):
            p = stats.fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided").pvalue
            if p <= alpha:
                power += stats.binom.pmf(x1, n1, p1) * stats.binom.pmf(x2, n2, p2)
    return power


@pytest.mark.parametrize("n1, n2, p1, p2", [(12, 9, 0.7, 0.2), (15, 15, 0.5, 0.9), (8, 16, 0.3, 0.35)])
def test_fisher_power_equals_an_independent_enumeration(n1, n2, p1, p2):
    assert compute_fisher_power(n1, n2, p1, p2, 0.05) == pytest.approx(_brute_force_power(n1, n2, p1, p2, 0.05),
                                                                       abs=1e-12)


def test_size_under_the_null_is_at_most_alpha():
    """Fisher's test is conservative: its rejection probability under p1 = p2 never exceeds alpha."""
    for p in (0.1, 0.3, 0.5):
        assert compute_fisher_power(20, 20, p, p, 0.05) <= 0.05


def test_mean_difference_power_by_hand():
    # delta = 1 SD, 20 per group: z = 1 / sqrt(2/20) = 3.1623; power = Phi(3.1623 - 1.95996) + Phi(-3.1623 - 1.95996)
    z = 1 / math.sqrt(0.1)
    expected = stats.norm.cdf(z - 1.959963984540054) + stats.norm.cdf(-z - 1.959963984540054)
    assert compute_mean_difference_power(20, 20, 1.0, 1.0) == pytest.approx(expected, abs=1e-12)
    assert expected == pytest.approx(0.8854, abs=1e-4)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="probability"):
        compute_fisher_power(10, 10, 1.2, 0.2)
    with pytest.raises(ValueError, match="power"):
        compute_fisher_sample_size(0.6, 0.2, power=1.0)
    assert np.isfinite(compute_fisher_power(1, 1, 0.5, 0.5))
