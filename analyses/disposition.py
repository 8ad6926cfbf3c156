"""Subject disposition: each subject's end-of-study status and discontinuation reason, and the counts per display
column in which every subject is counted exactly once.

Template DST01 (pharmaverse chevron; R: ``tern::count_occurrences`` of EOSSTT and DCSREAS by arm with an overall
column; SAS: PROC FREQ of EOSSTT and DCSREAS by TRT01P). The status comes from ADSL ``EOSSTT`` (ADaM IG terms
COMPLETED, DISCONTINUED, ONGOING; missing = ongoing) or, without it, from ``DCDECOD`` (CDISC pilot: COMPLETED,
missing = ongoing, any other term = discontinued). The status rows partition the subjects: completed +
discontinued + each other recorded status + ongoing/not recorded = enrolled, in every column; a status outside the
ADaM terms gets a row of its own, so no subject is dropped or hidden in another row.
"""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np
import pandas as pd

from analyses.descriptive import summarize_indicators

COMPLETED, DISCONTINUED, ONGOING = "COMPLETED", "DISCONTINUED", "ONGOING"
#: status of a subject whose data have no status column at all
UNKNOWN = "UNKNOWN"
NOT_RECORDED = "Not recorded"

ENROLLED = "Enrolled"
TREATED = "Treated (safety population)"
COMPLETED_ROW = "Completed the study"
DISCONTINUED_ROW = "Discontinued the study"
ONGOING_ROW = "Ongoing / status not recorded"
OTHER_STATUS_PREFIX = "Other end-of-study status: "
#: columns that hold the discontinuation reason, in order of preference
REASON_COLUMNS = ("DCSREAS", "DCREASCD", "DCDECOD")


def _status(adsl: pd.DataFrame) -> pd.Series:
    if "EOSSTT" in adsl.columns:
        s = adsl["EOSSTT"].astype("string").str.upper().str.strip()
        return s.fillna(ONGOING).replace({"": ONGOING})
    if "DCDECOD" in adsl.columns:
        d = adsl["DCDECOD"].astype("string").str.upper().str.strip().fillna("").to_numpy(dtype=object)
        status = np.where(d == COMPLETED, COMPLETED, np.where(d == "", ONGOING, DISCONTINUED))
        return pd.Series(status, index=adsl.index)
    return pd.Series(UNKNOWN, index=adsl.index)


def _reason(adsl: pd.DataFrame) -> pd.Series:
    for col in REASON_COLUMNS:
        if col in adsl.columns:
            return adsl[col].astype("string").str.strip().fillna(NOT_RECORDED).replace({"": NOT_RECORDED})
    return pd.Series(NOT_RECORDED, index=adsl.index)


def derive_disposition(adsl: pd.DataFrame) -> pd.DataFrame:
    """``adsl`` with ``status`` (upper-case end-of-study status, see the module docstring; UNKNOWN when the data
    have neither EOSSTT nor DCDECOD) and ``reason`` (first of DCSREAS, DCREASCD, DCDECOD; "Not recorded")."""
    return adsl.assign(status=_status(adsl).astype(object), reason=_reason(adsl).astype(object))


def discontinuation_reasons(frame: pd.DataFrame, *, status: str = "status", reason: str = "reason") -> list[str]:
    """The reasons of the discontinued subjects of ``frame``, sorted (the indented rows under 'Discontinued')."""
    return sorted(frame.loc[frame[status] == DISCONTINUED, reason].astype(str).unique())


def other_statuses(frame: pd.DataFrame, *, status: str = "status") -> list[str]:
    """Recorded statuses other than completed, discontinued and ongoing, sorted (each gets a row of its own)."""
    known = {COMPLETED, DISCONTINUED, ONGOING, UNKNOWN}
    return sorted(set(frame[status].astype(str)) - known)


def summarize_disposition(frame: pd.DataFrame, groups: Sequence[str], *, group: str = "group",
                          total: Optional[str] = None, treated: Optional[str] = None,
                          status: str = "status", reason: str = "reason") -> pd.DataFrame:
    """Subjects per disposition row and display column (statistic ``count``, ``n`` = column N, ``label`` = row).

    ``frame``: one row per subject with ``status`` and ``reason`` (:func:`derive_disposition`) and, if given, a
    boolean ``treated`` column (the 'Treated (safety population)' row). Rows: Enrolled, Treated, Completed,
    Discontinued, one row per discontinuation reason, one row per other recorded status
    ("Other end-of-study status: X"), Ongoing / status not recorded.
    """
    st = frame[status].astype(str)
    ind = {ENROLLED: pd.Series(True, index=frame.index)}
    if treated is not None:
        ind[TREATED] = frame[treated].fillna(False).astype(bool)
    ind[COMPLETED_ROW] = st.eq(COMPLETED)
    ind[DISCONTINUED_ROW] = st.eq(DISCONTINUED)
    for r in discontinuation_reasons(frame, status=status, reason=reason):
        if r in ind:
            raise ValueError(f"discontinuation reason {r!r} is also the label of a disposition row")
        ind[r] = st.eq(DISCONTINUED) & frame[reason].astype(str).eq(r)
    for s in other_statuses(frame, status=status):
        ind[OTHER_STATUS_PREFIX + s] = st.eq(s)
    ind[ONGOING_ROW] = st.isin([ONGOING, UNKNOWN])
    names = {lab: f"_ind{i}" for i, lab in enumerate(ind)}
    flags = frame.assign(**{names[lab]: v for lab, v in ind.items()})
    return summarize_indicators(flags, names, groups, group=group, total=total)
