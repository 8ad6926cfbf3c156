"""Re-derivation check of sponsor-supplied scores (DESIGN.md: "scores that real data already carries
are re-derived from items and any disagreement is reported"); hand-written (SAS: PROC COMPARE with
CRITERION=; R: ``diffdf``).

Neither value is silently preferred: every pair whose absolute difference exceeds the tolerance,
or where exactly one of the two is missing, is returned.  Which value is analysed is the
prespecified ``DeriveOptions.score_source``; the other is kept with ANL01FL = 'N'.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

DISAGREEMENT_COLUMNS = ["USUBJID", "PARAMCD", "AVISIT", "AVISITN", "ADY", "SPONSOR", "REDERIVED", "DIFF", "LEVEL"]


def derive_score_disagreements(sponsor: pd.DataFrame, rederived: pd.DataFrame, keys: list[str],
                               tolerance: float, level: str) -> pd.DataFrame:
    """Rows where sponsor and re-derived AVAL differ by more than ``tolerance`` (or one is missing).

    ``sponsor``/``rederived``: BDS rows with ``keys`` + PARAMCD + AVAL.  Sponsor rows without a
    re-derived counterpart (no items at that occasion) are not disagreements; the pipeline counts them.
    """
    if sponsor.empty or rederived.empty:
        return pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    on = keys + ["PARAMCD"]
    left = sponsor[on + [c for c in ("AVISIT",) if c in sponsor.columns and c not in on] + ["AVAL"]]
    right = rederived[on + ["AVAL"]].rename(columns={"AVAL": "REDERIVED"})
    fill = {k: -9.0e15 for k in keys if k != "USUBJID"}
    m = left.rename(columns={"AVAL": "SPONSOR"}).fillna(fill).merge(right.fillna(fill), on=on, how="inner")
    for k in fill:
        m[k] = m[k].replace(-9.0e15, np.nan)
    s, r = m["SPONSOR"].astype(float), m["REDERIVED"].astype(float)
    m["DIFF"] = s - r
    bad = (m["DIFF"].abs() > tolerance) | (s.isna() != r.isna())
    out = m[bad].copy()
    out["LEVEL"] = level
    for c in DISAGREEMENT_COLUMNS:
        if c not in out.columns:
            out[c] = np.nan
    return out[DISAGREEMENT_COLUMNS].reset_index(drop=True)
