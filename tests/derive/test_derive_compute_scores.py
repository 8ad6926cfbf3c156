"""Unit tests of the compute_* score functions against published / reference vectors.

Source of every AS vector: ../shared/reference/as_endpoints.md (sections quoted per test);
tolerance 5e-5 (the reference prints 4 decimals) unless stated.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

from sap.derive.as_scores import (compute_basdai, compute_basfi, compute_basmi2, compute_basmi_linear,
                                  compute_basmi_linear_components, compute_side_mean, compute_spinal_pain)
from sap.derive.asdas import (compute_asdas_crp, compute_asdas_esr, compute_asdas_improvement,
                              compute_asdas_state)
from sap.derive.ra_scores import (compute_acr_response, compute_das28_crp, compute_das28_esr,
                                  compute_das28_state, compute_eular_response)

TOL4 = 5e-5  # reference values are printed to 4 decimals


# --- BASDAI (as_endpoints.md section 2, Garrett 1994 formula; computed vectors) ---------------
@pytest.mark.parametrize("items, expected", [((5, 6, 3, 4, 7, 5), 4.8), ((2, 3, 1, 2, 2, 1), 1.9)])
def test_basdai_reference_vectors(items, expected):
    assert compute_basdai(*items) == pytest.approx(expected, abs=1e-12)


def test_basdai_missing_item_is_missing_and_scale_checked():
    assert math.isnan(compute_basdai(5, 6, np.nan, 4, 7, 5))
    assert compute_basdai(50, 60, 30, 40, 70, 50, scale=100) == pytest.approx(48.0)
    with pytest.raises(ValueError, match="BASDAI Q1"):
        compute_basdai(50, 6, 3, 4, 7, 5)  # 0-100 value on the 0-10 scale


# --- BASFI (Calin 1994 mean; prespecified <=2 missing rule) ------------------------------------
def test_basfi_missing_item_rule():
    full = np.arange(10, dtype=float)
    assert compute_basfi(full) == pytest.approx(4.5)
    two_missing = full.copy(); two_missing[[0, 9]] = np.nan       # mean of 1..8 = 4.5
    assert compute_basfi(two_missing) == pytest.approx(4.5)
    three_missing = two_missing.copy(); three_missing[5] = np.nan
    assert math.isnan(compute_basfi(three_missing))
    assert compute_basfi(three_missing, max_missing=3) == pytest.approx(np.mean([1, 2, 3, 4, 6, 7, 8]))
    with pytest.raises(ValueError, match="10 columns"):
        compute_basfi(np.ones((2, 9)))


# --- BASMI-linear (van der Heijde 2008 Table 3; vectors computed in as_endpoints.md) ----------
@pytest.mark.parametrize("inputs, components, expected", [
    ((15, 10, 4, 100, 60), (2.3333, 5.2857, 4.8571, 2.45, 3.4471), 3.6746),
    ((12.5, 15.3, 3.1, 85, 45), (1.5, 2.7619, 6.1429, 3.95, 5.2118), 3.9133),
    ((6, 25, 8, 130, 90), (0, 0, 0, 0, 0), 0.0),
    ((40, 0, 0, 20, 0), (10, 10, 10, 10, 10), 10.0),
])
def test_basmi_linear_reference_vectors(inputs, components, expected):
    comps = compute_basmi_linear_components(*inputs)
    assert list(comps.values()) == pytest.approx(list(components), abs=TOL4)
    assert compute_basmi_linear(*inputs) == pytest.approx(expected, abs=TOL4)


def test_basmi_linear_uses_side_means():
    ttw = compute_side_mean([14, np.nan], [16, 12], name="tragus")
    assert ttw[0] == pytest.approx(15.0) and math.isnan(ttw[1])
    out = compute_basmi_linear(ttw, [10, 10], [4, 4], [100, 100], [60, 60])
    assert out[0] == pytest.approx(3.6746, abs=TOL4) and math.isnan(out[1])


def test_basmi2_reference_vector_and_bands():
    assert compute_basmi2(15, 10, 4, 100, 60) == 5.0    # as_endpoints.md: all boundaries -> 1
    assert compute_basmi2(14.9, 10.1, 4.1, 100.1, 70.1) == 0.0
    assert compute_basmi2(30.1, 4.9, 1.9, 69.9, 19.9) == 10.0
    assert compute_basmi2(30, 5, 2, 70, 20) == 5.0


def test_spinal_pain_is_mean_of_total_and_nocturnal():
    assert compute_spinal_pain(60, 40) == pytest.approx(50.0)
    assert math.isnan(compute_spinal_pain(60, np.nan))


# --- ASDAS (Lukas 2009 Table 5; vectors computed in as_endpoints.md section 3) -----------------
CRP_VECTORS = [  # (BP, Dur, PG, Periph, CRP) -> unrounded, rounded
    ((6, 5, 6, 4, 10), 3.3564, 3.3508),
    ((6, 5, 6, 4, 0.5), 2.6041, 2.5972),
    ((6, 5, 6, 4, 2), 2.6041, 2.5972),
    ((2, 1, 2, 0, 1), 1.1561, 1.1572),
    ((8, 7, 8, 5, 30), 4.6073, 4.6017),
    ((0, 0, 0, 0, 0), 0.6361, 0.6372),
]
ESR_VECTORS = [
    ((6, 5, 6, 4, 25), 3.3060, 3.3000),
    ((2, 1, 2, 0, 9), 1.3320, 1.3200),
    ((8, 7, 8, 5, 49), 4.5000, 4.4900),
]


@pytest.mark.parametrize("inputs, unrounded, rounded", CRP_VECTORS)
def test_asdas_crp_reference_vectors(inputs, unrounded, rounded):
    assert compute_asdas_crp(*inputs) == pytest.approx(unrounded, abs=TOL4)
    assert compute_asdas_crp(*inputs, coefficients="rounded") == pytest.approx(rounded, abs=TOL4)


@pytest.mark.parametrize("inputs, unrounded, rounded", ESR_VECTORS)
def test_asdas_esr_reference_vectors(inputs, unrounded, rounded):
    assert compute_asdas_esr(*inputs) == pytest.approx(unrounded, abs=TOL4)
    assert compute_asdas_esr(*inputs, coefficients="rounded") == pytest.approx(rounded, abs=TOL4)


def test_asdas_crp_floor_option_and_scale():
    # Without the floor, CRP 0 gives 0 (ln 1); minimum with the 2 mg/L floor is 0.579 ln 3 = 0.6361.
    assert compute_asdas_crp(0, 0, 0, 0, 0, crp_floor=None) == 0.0
    assert compute_asdas_crp(0, 0, 0, 0, 0) == pytest.approx(0.579 * math.log(3), abs=1e-12)
    assert compute_asdas_crp(6, 5, 6, 4, 0.5, crp_floor=None) == pytest.approx(
        0.121 * 6 + 0.058 * 5 + 0.110 * 6 + 0.073 * 4 + 0.579 * math.log(1.5), abs=1e-12)
    assert compute_asdas_crp(60, 50, 60, 40, 10, scale=100) == pytest.approx(3.3564, abs=TOL4)
    assert math.isnan(compute_asdas_crp(6, 5, 6, np.nan, 10))
    with pytest.raises(ValueError, match="coefficients"):
        compute_asdas_crp(6, 5, 6, 4, 10, coefficients="lukas")
    with pytest.raises(ValueError, match="CRP"):
        compute_asdas_crp(6, 5, 6, 4, -1)


def test_asdas_states_boundaries():
    # Machado 2011/2018: inactive <1.3, low 1.3-<2.1, high 2.1-<=3.5, very high >3.5
    got = compute_asdas_state([1.29, 1.3, 2.09, 2.1, 3.5, 3.51, np.nan])
    assert list(got) == ["inactive", "low", "low", "high", "high", "very high", None]
    assert compute_asdas_state(0.6 + 0.7) == "low"  # 1.2999999999999998 in binary floating point


def test_asdas_improvement_categories():
    got = compute_asdas_improvement([3.3, 3.3, 4.0, 2.0, 2.0, np.nan], [2.2, 2.21, 2.0, 2.9, 2.89, 1.0])
    assert list(got["clinically_important_improvement"][:5]) == [1, 0, 1, 0, 0]  # 3.3-2.2 is 1.1 exactly
    assert list(got["major_improvement"][:5]) == [0, 0, 1, 0, 0]
    assert list(got["clinically_important_worsening"][:5]) == [0, 0, 0, 1, 0]
    assert all(math.isnan(v[5]) for v in got.values())


# --- DAS28 (Prevoo 1995; DAS28-CRP formula per das-score.nl) -----------------------------------
def test_das28_worked_examples():
    # Hand computation from the published formulas:
    # DAS28-ESR(TJC 4, SJC 4, ESR 25, GH 50) = 0.56*2 + 0.28*2 + 0.70*ln 25 + 0.014*50
    #   = 1.12 + 0.56 + 2.253213 + 0.70 = 4.633213
    assert compute_das28_esr(4, 4, 25, 50) == pytest.approx(4.633213, abs=1e-6)
    # DAS28-CRP(TJC 4, SJC 4, CRP 10, GH 50) = 1.12 + 0.56 + 0.36*ln 11 + 0.70 + 0.96
    #   = 1.12 + 0.56 + 0.863242 + 0.70 + 0.96 = 4.203242
    assert compute_das28_crp(4, 4, 10, 50) == pytest.approx(4.203242, abs=1e-6)
    # TJC 9, SJC 16, ESR 1, GH 0: 0.56*3 + 0.28*4 + 0 + 0 = 2.80 (exact)
    assert compute_das28_esr(9, 16, 1, 0) == pytest.approx(2.80, abs=1e-12)
    # Published minimum of the 4-variable DAS28-CRP is 0.96 (medicalalgorithms.com DAS28-CRP page).
    assert compute_das28_crp(0, 0, 0, 0) == pytest.approx(0.96, abs=1e-12)
    with pytest.raises(ValueError, match="ESR"):
        compute_das28_esr(4, 4, 0, 50)
    assert compute_das28_esr(0, 0, 0, 0, esr_floor=1.0) == 0.0
    with pytest.raises(ValueError, match="TJC28"):
        compute_das28_esr(29, 4, 20, 50)


def test_das28_states_published_thresholds():
    # das-score.nl: remission < 2.6, low <= 3.2, high > 5.1
    got = compute_das28_state([2.59, 2.6, 3.2, 3.21, 5.1, 5.11, np.nan])
    assert list(got) == ["remission", "low", "low", "moderate", "moderate", "high", None]


def test_eular_response_grid():
    # van Gestel 1996 grid: rows = current DAS28 (<=3.2, >3.2-<=5.1, >5.1),
    # columns = improvement (>1.2, >0.6-<=1.2, <=0.6)
    base = [5.0, 4.0, 3.5, 6.5, 5.5, 4.4, 7.0, 6.0, 5.8]
    post = [3.0, 3.0, 3.0, 4.0, 4.5, 4.2, 5.5, 5.3, 5.3]
    expected = ["good", "moderate", "none",        # current <= 3.2: imp 2.0, 1.0, 0.5
                "moderate", "moderate", "none",    # current 3.2-5.1: imp 2.5, 1.0, 0.2
                "moderate", "none", "none"]        # current > 5.1: imp 1.5, 0.7, 0.5
    assert list(compute_eular_response(base, post)) == expected
    assert compute_eular_response(4.4, 3.2) == "moderate"     # improvement exactly 1.2 is not > 1.2
    assert compute_eular_response(np.nan, 3.0) is None


def test_acr_worked_examples():
    # Felson 1995 definition applied by hand.  Order: TJC, SJC, PtGA, PhGA, pain, HAQ-DI, CRP.
    base = [10, 8, 60, 50, 70, 1.5, 20]
    # TJC -20 %, SJC -25 %, PtGA -50 %, PhGA -20 %, pain -10 %, HAQ -20 %, CRP +10 % -> 3 of 5 -> ACR20
    post20 = [8, 6, 30, 40, 63, 1.2, 22]
    assert compute_acr_response(base, post20, level=20) == 1.0
    assert compute_acr_response(base, post20, level=50) == 0.0
    # TJC only -10 % -> not ACR20 although every other component improves 50 %
    assert compute_acr_response(base, [9, 4, 30, 25, 35, 0.75, 10], level=20) == 0.0
    # 70 % everywhere -> ACR70
    post70 = [3, 2.4, 18, 15, 21, 0.45, 6]
    assert compute_acr_response(base, post70, level=70) == 1.0
    assert math.isnan(compute_acr_response(base, [8, 6, 30, 40, 63, np.nan, 22]))
