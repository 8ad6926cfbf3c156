"""Blinded view of the data, as a blinded data review receives it.

Subjects of blinded phases (``blinding`` not open-label) get TRT01P/TRT01A = ``"BLINDED"``,
TRT01PN/TRT01AN and DOSE missing, and their ADEX EXTRT/EXDOSE masked (placebo would show as dose
0); the allocation goes to a separate ``randomization`` frame (USUBJID, TRT01P, TRT01PN).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sap.spec import Plan

BLINDED = "BLINDED"


def blind(plan: Plan, data: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Return blinded copies of the datasets plus ``randomization``."""
    adsl = data["adsl"].copy()
    values = {ph.data_value for ph in plan.design.phases if ph.blinding != "open-label"}
    arms = {a for ph in plan.design.phases if ph.blinding != "open-label" for a in ph.arms}
    arm_values = {plan.design.arm(a).data_value for a in arms}
    if not arms:
        raise ValueError(f"plan {plan.id}: no blinded phase, nothing to blind")
    mask = adsl["TRT01P"].isin(arm_values)
    if None not in values and "PHASE" in adsl:
        mask &= adsl["PHASE"].isin(values)
    rand = adsl.loc[mask, ["USUBJID", "TRT01P", "TRT01PN"]].reset_index(drop=True)
    adsl.loc[mask, ["TRT01P"]] = BLINDED
    adsl.loc[mask & adsl["TRT01A"].notna(), "TRT01A"] = BLINDED
    adsl.loc[mask, ["TRT01PN", "TRT01AN", "DOSE"]] = np.nan
    out = dict(data)
    out["adsl"] = adsl
    adex = data["adex"].copy()
    m = adex["USUBJID"].isin(set(rand["USUBJID"]))
    adex.loc[m, "EXTRT"] = BLINDED
    adex.loc[m, "EXDOSE"] = np.nan
    out["adex"] = adex
    out["randomization"] = rand
    return out
