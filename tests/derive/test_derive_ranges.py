"""Property tests (hypothesis): every score stays in its documented range."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sap.derive import (compute_asdas_crp, compute_asdas_esr, compute_basdai, compute_basfi, compute_basmi2,
                        compute_basmi_linear, compute_das28_crp, compute_das28_esr)

nrs = st.floats(0, 10, allow_nan=False)
cm = st.floats(0, 200, allow_nan=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(nrs, min_size=6, max_size=6), st.lists(st.one_of(nrs, st.just(math.nan)), min_size=10, max_size=10))
def test_basdai_basfi_in_0_10(q, f):
    assert 0 <= compute_basdai(*q) <= 10
    v = compute_basfi(f)
    assert math.isnan(v) or 0 <= v <= 10
    assert math.isnan(v) == (sum(math.isnan(x) for x in f) > 2)


@settings(max_examples=200, deadline=None)
@given(cm, cm, cm, cm, st.floats(0, 180, allow_nan=False))
def test_basmi_in_0_10(a, b, c, d, e):
    assert 0 <= compute_basmi_linear(a, b, c, d, e) <= 10
    assert compute_basmi2(a, b, c, d, e) in set(range(11))


@settings(max_examples=200, deadline=None)
@given(nrs, nrs, nrs, nrs, st.floats(0, 300, allow_nan=False), st.floats(0, 150, allow_nan=False))
def test_asdas_ranges(bp, du, pg, pe, crp, esr):
    lo_crp = 0.579 * math.log(3)  # minimum with the 2 mg/L floor (as_endpoints.md: 0.6361)
    hi_patient = 10 * (0.121 + 0.058 + 0.110 + 0.073)
    v = compute_asdas_crp(bp, du, pg, pe, crp)
    assert lo_crp - 1e-12 <= v <= hi_patient + 0.579 * math.log(max(crp, 2) + 1) + 1e-12
    w = compute_asdas_esr(bp, du, pg, pe, esr)
    assert 0 <= w <= 10 * (0.079 + 0.069 + 0.113 + 0.086) + 0.293 * math.sqrt(esr) + 1e-12


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 28), st.integers(0, 28), st.floats(0, 100, allow_nan=False),
       st.floats(0, 300, allow_nan=False), st.floats(1, 150, allow_nan=False))
def test_das28_ranges(t, s, gh, crp, esr):
    v = compute_das28_crp(t, s, crp, gh)
    assert 0.96 <= v <= 0.56 * math.sqrt(28) + 0.28 * math.sqrt(28) + 0.36 * math.log(crp + 1) + 1.4 + 0.96 + 1e-12
    w = compute_das28_esr(t, s, esr, gh)
    assert np.isfinite(w) and w >= 0.0
