"""Intercurrent events per subject from ADSL (ICH E9(R1)); hand-written.

* Rescue / prohibited therapy: ``RESCDT`` -> study day ``RESCDY`` (no day 0, relative to TRTSDT).
* Death: ``DTHFL == 'Y'`` or a date in ``DTHDT`` -> ``DTHFL``, ``DTHDY`` (missing when not recorded).
* Discontinuation: ``EOSSTT == 'DISCONTINUED'`` with a date in ``EOSDT`` (or ``DCSDT``) -> ``DISCDY``.
  A discontinued subject without a date has ``DISCDY`` missing; the visits he missed are then
  non-responders through the missing-data rule (NRI) anyway, and the log counts such subjects.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sap.errors import DataError

from .visits import compute_study_day, to_date

DISC_DATE_COLUMNS = ("EOSDT", "DCSDT")


def derive_intercurrent_events(adsl: pd.DataFrame) -> pd.DataFrame:
    """One row per ADSL subject: USUBJID, RESCDY, DISCFL ('Y'/'N'), DISCDY, DTHFL ('Y'/'N'), DTHDY, DCSREAS."""
    if "USUBJID" not in adsl.columns:
        raise ValueError("ADSL: missing column USUBJID")
    dup = adsl["USUBJID"].duplicated(keep=False)
    if dup.any():
        raise ValueError(f"ADSL: USUBJID not unique at rows {adsl.index[dup].tolist()[:10]}")
    out = pd.DataFrame({"USUBJID": adsl["USUBJID"].to_numpy()})
    trt = to_date(adsl["TRTSDT"], "ADSL.TRTSDT") if "TRTSDT" in adsl.columns else None
    out["RESCDY"] = np.nan
    if "RESCDT" in adsl.columns:
        resc = to_date(adsl["RESCDT"], "ADSL.RESCDT")
        bad = resc.notna() & (trt.isna() if trt is not None else True)
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy()) + 1
            where = "column adsl.TRTSDT is absent" if trt is None else "adsl.TRTSDT is missing"
            raise DataError(f"adsl.RESCDT: a rescue date but {where}, so rescue cannot be placed in study time "
                            f"(rows {', '.join(map(str, rows[:10]))}{', ...' if len(rows) > 10 else ''})")
        if trt is not None:
            out["RESCDY"] = compute_study_day(resc, trt).to_numpy()
    status = adsl["EOSSTT"].astype(str).str.upper() if "EOSSTT" in adsl.columns else pd.Series("", index=adsl.index)
    out["DISCFL"] = np.where(status.eq("DISCONTINUED").to_numpy(), "Y", "N")
    out["DISCDY"] = np.nan
    col = next((c for c in DISC_DATE_COLUMNS if c in adsl.columns), None)
    if col is not None and trt is not None:
        dd = to_date(adsl[col], f"ADSL.{col}")
        day = compute_study_day(dd, trt).to_numpy()
        out["DISCDY"] = np.where(out["DISCFL"].eq("Y"), day, np.nan)
    out["DTHFL"], out["DTHDY"] = _death(adsl, trt)
    out["DCSREAS"] = adsl["DCSREAS"].to_numpy() if "DCSREAS" in adsl.columns else None
    return out


def _death(adsl: pd.DataFrame, trt) -> tuple[np.ndarray, np.ndarray]:
    """(DTHFL, DTHDY) per subject from ADSL DTHFL / DTHDT (study day relative to TRTSDT)."""
    flag = adsl["DTHFL"].astype(str).str.upper().eq("Y") if "DTHFL" in adsl.columns else \
        pd.Series(False, index=adsl.index)
    day = np.full(len(adsl), np.nan)
    if "DTHDT" in adsl.columns:
        dth = to_date(adsl["DTHDT"], "ADSL.DTHDT")
        flag = flag | dth.notna()
        if trt is not None:
            day = compute_study_day(dth, trt).to_numpy(dtype=float)
    return np.where(flag.to_numpy(), "Y", "N"), day
