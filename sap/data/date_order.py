"""Dates in order: an end before its start is a data problem naming dataset, columns and records.

Issue 15: an exposure end date before its start date gave an exposure of -29 days, analysed as real. The pairs
(start, end) are declared once here, for the contract's datasets (DESIGN.md): treatment start and end (ADSL
TRTSDT, TRTEDT), treatment start and end of study (TRTSDT, EOSDT), AE start and end (ADAE ASTDT, AENDT) and an
exposure record's start and end (ADEX EXSTDT, EXENDT). A pair is checked where both columns are present and both
dates are recorded; dates that cannot be read are the type check's problems, not these. Hand-written (the
pharmaverse checks such pairs in ``admiral::derive_vars_dt`` flags; no library does it for a data contract).
"""
from __future__ import annotations

from typing import Iterator, Mapping

import numpy as np
import pandas as pd

#: (dataset, start column, end column): the end may not be before the start
DATE_PAIRS: tuple[tuple[str, str, str], ...] = (
    ("adsl", "TRTSDT", "TRTEDT"),
    ("adsl", "TRTSDT", "EOSDT"),
    ("adae", "ASTDT", "AENDT"),
    ("adex", "EXSTDT", "EXENDT"),
)


def _as_dates(series: pd.Series) -> pd.Series:
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        return series
    if pd.api.types.is_numeric_dtype(series.dtype):  # SAS dates: days since 1960-01-01
        return pd.to_datetime(series, unit="D", origin="1960-01-01", errors="coerce")
    return pd.to_datetime(series.astype("string").str.strip(), errors="coerce", format="mixed")


def find_date_order_rules(datasets: Mapping[str, pd.DataFrame]) -> Iterator[tuple]:
    """(frame, dataset, column, rule, mask, what, show, summary) for each declared pair with an end before its
    start (the contract turns each into a :class:`sap.data.errors.Problem`)."""
    for name, start, end in DATE_PAIRS:
        frame = datasets.get(name)
        if frame is None or start not in frame.columns or end not in frame.columns:
            continue
        first, last = _as_dates(frame[start]), _as_dates(frame[end])
        mask = (first.notna() & last.notna() & (last < first)).to_numpy(dtype=bool)
        if np.any(mask):
            yield (frame, name, end, "date_order", mask, f"{end} is before {start}", (start, end),
                   f"before {start}")
