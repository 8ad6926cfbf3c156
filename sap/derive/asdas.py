"""ASDAS-CRP / ASDAS-ESR, disease-activity states and improvement categories.

Hand-written (no library implements ASDAS; SAS/R programs write the formula in a DATA step /
``mutate``).  Formulae: Lukas et al., ARD 2009;68:18, Table 5 ("ASDAS C" = CRP, "ASDAS B" =
ESR).  ``coefficients="unrounded"`` uses the published coefficients (ASAS handbook, trial
registrations); ``"rounded"`` uses the 2-decimal forms (as in CamCOPS).  CRP floor: CRP below
2 mg/L is replaced by 2 mg/L (Machado 2015, Arthritis Rheumatol 67:408; ASAS recommendation);
``crp_floor=None`` disables it.  States: Machado 2011 ARD 70:47 (names per Machado 2018 ARD
77:1539).  Improvement/worsening cut-offs and the inactive / low disease-activity states as responses: the
presets of :func:`sap.spec_criteria.preset_criteria` (Machado 2011; ASAS 2018), which the derivations compute.

Inputs: back pain (BASDAI Q2), duration of morning stiffness (BASDAI Q6), patient global,
peripheral pain/swelling (BASDAI Q3) on 0-10 (``scale=10``) or 0-100 (``scale=100``; divided
by 10 before applying the coefficients); CRP in mg/L; ESR in mm/h.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from sap.spec_criteria import preset_criteria

from ._arrays import as_float, check_range, check_scale, ge, gt, le, lt
from .criteria import compute_domain_response

#: (back pain, duration, patient global, peripheral, marker term)
ASDAS_COEFFICIENTS = {
    ("crp", "unrounded"): (0.121, 0.058, 0.110, 0.073, 0.579),
    ("crp", "rounded"): (0.12, 0.06, 0.11, 0.07, 0.58),
    ("esr", "unrounded"): (0.079, 0.069, 0.113, 0.086, 0.293),
    ("esr", "rounded"): (0.08, 0.07, 0.11, 0.09, 0.29),
}

Coefficients = Literal["unrounded", "rounded"]


def _out(arr: np.ndarray):
    return float(arr) if np.ndim(arr) == 0 else arr


def _patient_terms(kind: str, coefficients: str, back_pain, duration, patient_global,
                   peripheral, scale: float):
    if (kind, coefficients) not in ASDAS_COEFFICIENTS:
        raise ValueError(f"coefficients must be 'unrounded' or 'rounded', got {coefficients!r}")
    s = check_scale(scale)
    c = ASDAS_COEFFICIENTS[(kind, coefficients)]
    vals = []
    for name, v in (("back pain", back_pain), ("stiffness duration", duration),
                    ("patient global", patient_global), ("peripheral pain/swelling", peripheral)):
        arr = as_float(name, v)
        check_range(name, arr, 0, s)
        vals.append(arr * (10.0 / s))
    bp, du, pg, pe = vals
    return c, c[0] * bp + c[1] * du + c[2] * pg + c[3] * pe


def compute_asdas_crp(back_pain: Any, duration: Any, patient_global: Any, peripheral: Any,
                      crp: Any, *, coefficients: Coefficients = "unrounded",
                      crp_floor: float | None = 2.0, scale: float = 10):
    """ASDAS-CRP = 0.121 BP + 0.058 Dur + 0.110 PG + 0.073 Periph + 0.579 ln(CRP + 1).

    CRP in mg/L, floored at ``crp_floor`` (default 2 mg/L; None = no floor).
    """
    c, part = _patient_terms("crp", coefficients, back_pain, duration, patient_global, peripheral, scale)
    crp_arr = as_float("CRP (mg/L)", crp)
    check_range("CRP (mg/L)", crp_arr, 0, None)
    if crp_floor is not None:
        crp_arr = np.where(np.isnan(crp_arr), np.nan, np.maximum(crp_arr, float(crp_floor)))
    return _out(part + c[4] * np.log(crp_arr + 1.0))


def compute_asdas_esr(back_pain: Any, duration: Any, patient_global: Any, peripheral: Any,
                      esr: Any, *, coefficients: Coefficients = "unrounded", scale: float = 10):
    """ASDAS-ESR = 0.079 BP + 0.069 Dur + 0.113 PG + 0.086 Periph + 0.293 sqrt(ESR [mm/h])."""
    c, part = _patient_terms("esr", coefficients, back_pain, duration, patient_global, peripheral, scale)
    esr_arr = as_float("ESR (mm/h)", esr)
    check_range("ESR (mm/h)", esr_arr, 0, None)
    return _out(part + c[4] * np.sqrt(esr_arr))


ASDAS_STATES = ("inactive", "low", "high", "very high")


def compute_asdas_state(asdas: Any):
    """ASDAS state: inactive < 1.3 <= low < 2.1 <= high <= 3.5 < very high (None if missing)."""
    a = as_float("ASDAS", asdas)
    arr = np.atleast_1d(a)
    state = np.full(arr.shape, None, dtype=object)
    state[lt(arr, 1.3)] = "inactive"
    state[ge(arr, 1.3) & lt(arr, 2.1)] = "low"
    state[ge(arr, 2.1) & le(arr, 3.5)] = "high"
    state[gt(arr, 3.5)] = "very high"
    return state[0] if np.ndim(a) == 0 else state


def compute_asdas_improvement(baseline: Any, post: Any) -> dict[str, Any]:
    """ASDAS change categories (1.0/0.0, NaN if either value is missing): the presets ASDASCII
    (``clinically_important_improvement``: decrease >= 1.1), ASDASMI (``major_improvement``: decrease
    >= 2.0) and ASDASCIW (``clinically_important_worsening``: increase >= 0.9) of
    :func:`sap.spec_criteria.preset_criteria`, computed by :func:`sap.derive.criteria.compute_domain_response`.
    """
    b, p = np.broadcast_arrays(as_float("baseline ASDAS", baseline), as_float("post ASDAS", post))
    presets = preset_criteria()
    keys = {"clinically_important_improvement": "ASDASCII", "major_improvement": "ASDASMI",
            "clinically_important_worsening": "ASDASCIW"}
    out = {}
    for key, code in keys.items():
        res = np.asarray(compute_domain_response(b.reshape(-1, 1), p.reshape(-1, 1), presets[code])).reshape(b.shape)
        out[key] = _out(res)
    return out
