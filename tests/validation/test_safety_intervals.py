"""Exact intervals used by the safety tables, against published values and closed forms.

Poisson (Garwood 1936): lower = chi2(a/2; 2x)/2, upper = chi2(1-a/2; 2x+2)/2. Published values
(R ``poisson.test(x)$conf.int``, 95%; also Ulm 1990 Am J Epidemiol 131:373 table):
x=0 (0, 3.688879), x=1 (0.02531781, 5.57164339), x=10 (4.795389, 18.390356). Tolerance 1e-6.
"""
from __future__ import annotations

import pytest
from scipy.stats import beta, chi2

from analyses.safety import compute_poisson_rate_ci


@pytest.mark.parametrize("x, lo, hi", [(0, 0.0, 3.688879), (1, 0.02531781, 5.57164339),
                                        (10, 4.795389, 18.390356)])
def test_poisson_exact_ci_published(x, lo, hi):
    rate, lower, upper = compute_poisson_rate_ci(x, 1.0, per=1.0)
    assert rate == x
    assert (lower, upper) == pytest.approx((lo, hi), abs=1e-6)


@pytest.mark.parametrize("x, t, level", [(3, 12.5, 0.95), (17, 78.7, 0.90), (65, 14.5, 0.99)])
def test_poisson_exact_ci_chi_square_form(x, t, level):
    a = 1 - level
    rate, lower, upper = compute_poisson_rate_ci(x, t, level=level, per=100)
    assert rate == pytest.approx(100 * x / t)
    assert lower == pytest.approx(100 * chi2.ppf(a / 2, 2 * x) / 2 / t, rel=1e-9)
    assert upper == pytest.approx(100 * chi2.ppf(1 - a / 2, 2 * x + 2) / 2 / t, rel=1e-9)


def test_clopper_pearson_beta_form():
    """DLT CI = Beta quantiles (Clopper & Pearson 1934) — checked through summarize_dlt_rate."""
    import pandas as pd

    from analyses.safety import summarize_dlt_rate
    adsl = pd.DataFrame({"USUBJID": [f"s{i}" for i in range(7)], "DOSE": 1, "DLTEVLFL": "Y"})
    adae = pd.DataFrame({"USUBJID": ["s0", "s1", "s2"], "DLTFL": "Y"})
    r = summarize_dlt_rate(adsl, adae).rows.iloc[0]
    assert r["lower"] == pytest.approx(beta.ppf(0.025, 3, 5), rel=1e-9)
    assert r["upper"] == pytest.approx(beta.ppf(0.975, 4, 4), rel=1e-9)
