"""Conditional add-on treatment: a regimen an arm's subjects start during the study only when their disease is not
alleviated at a scheduled assessment (ucmsc-ra, NCT01547091: UC-MSC, and DMARDs "if the disease is still not
alleviated"). The registration does not define "alleviated"; the generator reads it as DAS28-CRP <= 3.2 (low
disease activity, the DAS28 state cut-off) at the assessment, so the add-on starts on the day of the first
assessment of :attr:`ConditionalRegimen.assess_visits` with DAS28-CRP above the cut-off, and the subject's ADEX
gets its administrations from that day. Its effect is combined with the arm's own (1 - (1 - f)(1 - e r(t)), r
rising from the start with ``tau_on_days``), as the rescue effect is; values at and before the start are unchanged.
"""
from __future__ import annotations

import numpy as np

from sap.derive.ra_scores import compute_das28_crp

DAS28_ITEMS = ("TJC28", "SJC28", "CRP", "PTGAVAS")


def apply_conditional_regimens(p, visits, values: dict, ady: np.ndarray, f: np.ndarray, arm: np.ndarray,
                               dosed: np.ndarray, admin: list) -> np.ndarray:
    """``f`` with the add-on effect from each add-on's start (subjects x visits, fraction of activity removed).

    ``admin`` (per subject: (day, treatment, dose, unit)) gets the add-on administrations in place."""
    if not p.conditional_regimens:
        return f
    missing = [k for k in DAS28_ITEMS if k not in values]
    if missing:
        raise ValueError(f"a conditional regimen needs DAS28-CRP at the assessments: {missing} are not simulated")
    das28 = compute_das28_crp(values["TJC28"], values["SJC28"], values["CRP"], values["PTGAVAS"])
    t = np.where(ady >= 1, ady - 1, -1).astype(float)
    out = f.copy()
    for arm_id, reg in p.conditional_regimens.items():
        cols = [k for k, v in enumerate(visits) if v.avisitn in reg.assess_visits]
        need = (das28[:, cols] > reg.das28_above) & ((arm == arm_id) & dosed)[:, None]
        for i in np.flatnonzero(need.any(axis=1)):
            day0 = float(t[i, cols[int(np.argmax(need[i]))]])
            days = np.arange(day0, reg.last_day, reg.every_days)
            admin[i] = sorted(admin[i] + [(int(d), reg.name, float(reg.dose), reg.unit) for d in days])
            ramp = np.where(t[i] > day0, 1 - np.exp(-(t[i] - day0) / p.tau_on_days), 0.0)
            out[i] = 1 - (1 - out[i]) * (1 - reg.effect * ramp)
    return np.minimum(out, p.f_max)
