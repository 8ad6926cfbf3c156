"""Keep chosen subjects of a simulated candidate pool as a trial of their own.

Used after :func:`synthetic_data.calibration.select_calibrated`. The kept subjects (pool positions,
ascending = enrolment order) are renumbered 0001, 0002, ... (SUBJID, USUBJID = STUDYID-SITEID-
SUBJID in every dataset) and the k-th kept subject is enrolled on the k-th pool subject's entry
date: every date of that subject moves by the same number of days, so study days (ADY, ASTDY,
EXSTDY) and all values are unchanged while the accrual calendar stays that of ``n`` subjects.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def subset_subjects(data: dict[str, pd.DataFrame], index: np.ndarray,
                    entry_dates: np.ndarray) -> dict[str, pd.DataFrame]:
    """Datasets restricted to ADSL rows ``index`` (renumbered, calendar compacted; see module doc).

    ``entry_dates``: each pool subject's enrolment date (ADSL order, non-decreasing)."""
    adsl = data["adsl"]
    index = np.asarray(index, dtype=int)
    if len(index) == 0 or np.any(np.diff(index) <= 0) or index[0] < 0 or index[-1] >= len(adsl):
        raise ValueError(f"index must be ascending distinct ADSL row positions in [0, {len(adsl)}), got {index}")
    entry = np.asarray(entry_dates, dtype="datetime64[D]")
    if len(entry) != len(adsl):
        raise ValueError(f"entry_dates has {len(entry)} values for {len(adsl)} ADSL rows")
    keep = adsl.iloc[index]
    subjid = np.array([f"{k + 1:04d}" for k in range(len(index))], dtype=object)
    usubjid = np.array([f"{s}-{site}-{q}" for s, site, q in zip(keep["STUDYID"], keep["SITEID"], subjid)],
                       dtype=object)
    rename = dict(zip(keep["USUBJID"], usubjid))
    shift = dict(zip(keep["USUBJID"],
                     pd.to_timedelta((entry[: len(index)] - entry[index]).astype("timedelta64[D]"))))
    out = {}
    for name, frame in data.items():
        if "USUBJID" not in frame.columns:
            out[name] = frame.copy()
            continue
        f = frame[frame["USUBJID"].isin(rename)].copy()
        delta = f["USUBJID"].map(shift)
        for col in f.columns:
            if pd.api.types.is_datetime64_any_dtype(f[col]):
                f[col] = f[col] + delta.to_numpy()
        f["USUBJID"] = f["USUBJID"].map(rename)
        if name == "adsl":
            f["SUBJID"] = subjid
        out[name] = f.reset_index(drop=True)
    return out
