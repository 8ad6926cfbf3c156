"""Rheumatoid-arthritis scores: DAS28-ESR/-CRP, DAS28 states, EULAR response, ACR20/50/70.

Hand-written (no Python library implements them; in R/SAS they are ``mutate``/DATA-step
formulae).  References: DAS28-ESR Prevoo et al., Arthritis Rheum 1995;38:44
(0.56 sqrt(TJC28) + 0.28 sqrt(SJC28) + 0.70 ln(ESR) + 0.014 GH); DAS28-CRP as published by
the DAS28 authors (www.das-score.nl): 0.56 sqrt(TJC28) + 0.28 sqrt(SJC28) + 0.36 ln(CRP + 1)
+ 0.014 GH + 0.96 (CRP in mg/L, GH = patient global 0-100 mm).  States: remission < 2.6, low
<= 3.2, moderate <= 5.1, high > 5.1.  EULAR response (van Gestel et al., Arthritis Rheum 1996;39:34) and
ACR20/50/70 (Felson et al., Arthritis Rheum 1995;38:727) are the response presets of
:func:`sap.spec_criteria.preset_criteria`, which the derivations compute; the functions here wrap them on arrays.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from sap.spec_criteria import preset_criteria

from ._arrays import as_float, check_range, ge, gt, le, lt
from .criteria import compute_domain_response


def _out(arr):
    return float(arr) if np.ndim(arr) == 0 else arr


def _joint_terms(tjc28, sjc28, patient_global):
    t, s, g = as_float("TJC28", tjc28), as_float("SJC28", sjc28), as_float("patient global (0-100)", patient_global)
    check_range("TJC28", t, 0, 28)
    check_range("SJC28", s, 0, 28)
    check_range("patient global (0-100)", g, 0, 100)
    return 0.56 * np.sqrt(t) + 0.28 * np.sqrt(s) + 0.014 * g


def compute_das28_esr(tjc28: Any, sjc28: Any, esr: Any, patient_global: Any, *,
                      esr_floor: float | None = None):
    """DAS28-ESR (Prevoo 1995). ESR in mm/h must be > 0 (ln) unless ``esr_floor`` is prespecified."""
    e = as_float("ESR (mm/h)", esr)
    if esr_floor is not None:
        e = np.where(np.isnan(e), np.nan, np.maximum(e, float(esr_floor)))
    with np.errstate(invalid="ignore"):
        bad = e <= 0
    if np.any(bad):
        raise ValueError(f"ESR (mm/h): values <= 0 at positions {np.argwhere(np.atleast_1d(bad)).ravel()[:10].tolist()}; "
                         "ln(ESR) is undefined - prespecify esr_floor")
    return _out(_joint_terms(tjc28, sjc28, patient_global) + 0.70 * np.log(e))


def compute_das28_crp(tjc28: Any, sjc28: Any, crp: Any, patient_global: Any):
    """DAS28-CRP = 0.56 sqrt(TJC28) + 0.28 sqrt(SJC28) + 0.36 ln(CRP[mg/L] + 1) + 0.014 GH + 0.96."""
    c = as_float("CRP (mg/L)", crp)
    check_range("CRP (mg/L)", c, 0, None)
    return _out(_joint_terms(tjc28, sjc28, patient_global) + 0.36 * np.log(c + 1.0) + 0.96)


def compute_das28_state(das28: Any):
    """DAS28 state: remission < 2.6; low 2.6-<=3.2; moderate >3.2-<=5.1; high > 5.1 (None if missing)."""
    a = as_float("DAS28", das28)
    arr = np.atleast_1d(a)
    state = np.full(arr.shape, None, dtype=object)
    state[lt(arr, 2.6)] = "remission"
    state[ge(arr, 2.6) & le(arr, 3.2)] = "low"
    state[gt(arr, 3.2) & le(arr, 5.1)] = "moderate"
    state[gt(arr, 5.1)] = "high"
    return state[0] if np.ndim(a) == 0 else state


def compute_eular_response(baseline_das28: Any, post_das28: Any):
    """EULAR response category (van Gestel 1996) from baseline and current DAS28: the presets EULARG (good:
    improvement > 1.2 and current <= 3.2) and EULAR (good or moderate: improvement > 1.2, or improvement > 0.6
    and current <= 5.1) of :func:`sap.spec_criteria.preset_criteria`. "good", "moderate" (EULAR but not good:
    improvement > 1.2 and current > 3.2, or 0.6 < improvement <= 1.2 and current <= 5.1) or "none"; None where
    either value is missing.
    """
    b, p = np.broadcast_arrays(as_float("baseline DAS28", baseline_das28), as_float("post DAS28", post_das28))
    presets = preset_criteria()
    good, any_ = (np.asarray(compute_domain_response(b.reshape(-1, 1), p.reshape(-1, 1), presets[c]))
                  for c in ("EULARG", "EULAR"))
    out = np.where(good == 1, "good", np.where(any_ == 1, "moderate", "none")).astype(object)
    out[np.isnan(any_)] = None
    return out[0] if np.ndim(b) == 0 else out.reshape(b.shape)


#: column order of the ACR inputs (the domains of the ACR presets; acute-phase reactant CRP or ESR)
ACR_COMPONENTS = ("tjc28", "sjc28", "patient_global", "physician_global", "pain", "haq_di", "acute_phase")


def compute_acr_response(baseline: Any, post: Any, *, level: int = 20):
    """ACR20/50/70 (Felson 1995): the preset ACR``level`` of :func:`sap.spec_criteria.preset_criteria`, >= level %
    improvement in TJC and SJC and in >= 3 of the 5 others (patient global, physician global, pain, HAQ-DI,
    acute-phase reactant).

    Inputs (n, 7) or (7,) in the order of :data:`ACR_COMPONENTS`.  A component with baseline 0
    cannot count as improved.  Any missing component -> NaN (no component imputation).
    """
    if level not in (20, 50, 70):
        raise ValueError(f"ACR level must be 20, 50 or 70, got {level!r}")
    return compute_domain_response(baseline, post, preset_criteria()[f"ACR{level}"])
