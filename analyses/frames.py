"""Input-frame checks shared by the frame-level analyses (response rates, time to event)."""
from __future__ import annotations

import pandas as pd


def check_complete_columns(frame: pd.DataFrame, columns: dict[str, str | None], missing_hint: str = "") -> None:
    """Raise ValueError naming the column, its role and the rows when a named column is absent or has missing
    values; roles mapped to None are not checked. ``missing_hint`` is appended to the missing-values message."""
    for role, col in columns.items():
        if col is None:
            continue
        if col not in frame.columns:
            raise ValueError(f"column {col!r} ({role}) is not in the data")
        missing = frame.index[frame[col].isna()]
        if len(missing):
            raise ValueError(f"column {col!r} ({role}) has missing values in rows {list(missing[:20])}{missing_hint}")
