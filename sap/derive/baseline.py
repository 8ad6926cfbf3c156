"""Baseline flag, BASE, CHG and PCHG for BDS records (hand-written; SAS: a DATA-step merge of the
baseline record; R: ``admiral::derive_var_base`` / ``derive_var_chg`` / ``derive_var_pchg``).

Baseline is the analysed record of analysis visit 0, which :mod:`sap.derive.visits` chooses as the
last non-missing pre-dose value (``ADY <= 1``, i.e. on or before the first dose).  ``BASE`` is
merged onto every analysed record of the same subject and parameter; ``CHG = AVAL - BASE`` and
``PCHG = 100 * CHG / BASE`` on post-baseline records, with PCHG missing when BASE = 0 (never
infinite).  Non-analysed records (ANL01FL = 'N') keep BASE for reference but no CHG/PCHG.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def derive_change_from_baseline(frame: pd.DataFrame) -> pd.DataFrame:
    """Add ABLFL, BASE, CHG, PCHG to a windowed BDS frame (columns USUBJID, PARAMCD, AVAL, AVISITN, ANL01FL)."""
    out = frame.copy()
    anl = out["ANL01FL"].eq("Y")
    is_base = anl & out["AVISITN"].eq(0)
    out["ABLFL"] = np.where(is_base, "Y", "")
    dup = out[is_base].duplicated(["USUBJID", "PARAMCD"], keep=False)
    if dup.any():
        rows = out[is_base][dup].index.tolist()[:10]
        raise ValueError(f"more than one baseline record per USUBJID/PARAMCD at rows {rows}")
    base = out.loc[is_base].set_index(["USUBJID", "PARAMCD"])["AVAL"]
    key = pd.MultiIndex.from_frame(out[["USUBJID", "PARAMCD"]])
    out["BASE"] = base.reindex(key).to_numpy(dtype=float)
    aval = pd.to_numeric(out["AVAL"], errors="coerce").astype(float)
    post = anl & out["AVISITN"].gt(0)
    chg = (aval - out["BASE"]).where(post)
    out["CHG"] = chg
    with np.errstate(divide="ignore", invalid="ignore"):
        pchg = 100.0 * chg / out["BASE"]
    out["PCHG"] = pchg.where(post & out["BASE"].ne(0) & out["BASE"].notna())
    return out
