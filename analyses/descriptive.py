"""Descriptive statistics by display column: n, mean, SD, median, min, max, and counts of categories.

One row per subject goes in (a ``group`` column names the subject's display column); tidy rows come out, one
per column and statistic: each treatment group in the order given, then, when ``total`` is given, a column of
every subject in the frame. Percentages are not stored: a count row carries the column N in ``n``.

Conventions of the pharmaverse templates DMT01/DST01 (R: ``tern::analyze_vars`` / ``tern::count_occurrences``
with ``rtables::add_overall_col``; SAS: PROC MEANS ``N MEAN STD MEDIAN MIN MAX`` and PROC FREQ with an ALL
class level): the SD has divisor n - 1 (not estimable, missing, for n < 2); the median is the mean of the two
middle values when n is even (SAS QNTLDEF=5, R ``quantile(type = 2)``); missing values are left out of the
continuous statistics and shown as their own category ("Missing") of a categorical variable.
"""
from __future__ import annotations

import math
from typing import Iterable, Mapping, Optional, Sequence

import numpy as np
import pandas as pd

from analyses.results import tidy_frame

MISSING_LEVEL = "Missing"
#: statistics of :func:`summarize_continuous`, in row order
CONTINUOUS_STATISTICS = ("mean", "sd", "median", "min", "max")


def column_subsets(frame: pd.DataFrame, groups: Sequence[str], *, group: str = "group",
                   total: Optional[str] = None) -> list[tuple[str, pd.DataFrame]]:
    """(column label, rows) per display column: each of ``groups`` in order, then ``total`` (all rows) if given."""
    cols = [(g, frame[frame[group] == g]) for g in groups]
    if total is not None:
        cols.append((total, frame))
    return cols


def compute_descriptive(values: Iterable) -> dict[str, float]:
    """n, mean, SD (divisor n - 1), SE of the mean, median, min and max of the non-missing values.

    SD and SE are NaN for n < 2; every statistic but n is NaN for n = 0 (R: ``mean``/``sd``/``median``/``range``
    with ``na.rm = TRUE``; SAS PROC MEANS N MEAN STD STDERR MEDIAN MIN MAX).
    """
    arr = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=float)
    n = int(arr.size)
    if n == 0:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "se": np.nan, "median": np.nan, "min": np.nan, "max": np.nan}
    sd = float(np.std(arr, ddof=1)) if n > 1 else np.nan
    return {"n": n, "mean": float(arr.mean()), "sd": sd, "se": sd / math.sqrt(n) if n > 1 else np.nan,
            "median": float(np.median(arr)), "min": float(arr.min()), "max": float(arr.max())}


def summarize_continuous(frame: pd.DataFrame, value: str, groups: Sequence[str], *, label: str,
                         group: str = "group", total: Optional[str] = None,
                         statistics: Sequence[str] = CONTINUOUS_STATISTICS) -> pd.DataFrame:
    """Tidy rows of :func:`compute_descriptive` of ``frame[value]`` per display column.

    Per column, one row per statistic in ``statistics`` (any of mean, sd, median, min, max), each with ``n`` =
    the number of non-missing values and ``label``; the mean row carries the standard error in ``se``.
    Values that are not numbers raise ValueError (convert or set them missing first).
    """
    unknown = [s for s in statistics if s not in CONTINUOUS_STATISTICS]
    if unknown:
        raise ValueError(f"statistics {unknown} are not among {CONTINUOUS_STATISTICS}")
    if not pd.api.types.is_numeric_dtype(frame[value]) and frame[value].notna().any():
        raise ValueError(f"column {value!r} is not numeric")
    rows = []
    for name, sub in column_subsets(frame, groups, group=group, total=total):
        d = compute_descriptive(sub[value])
        for stat in statistics:
            row = dict(group=name, statistic=stat, estimate=d[stat], n=d["n"], label=label)
            if stat == "mean":
                row["se"] = d["se"]
            rows.append(row)
    return tidy_frame(rows)


def category_values(values: pd.Series, missing: str = MISSING_LEVEL) -> pd.Series:
    """Values as text with missing and empty values as the category ``missing``."""
    return values.astype("string").fillna(missing).replace({"": missing})


def category_levels(values: pd.Series, missing: str = MISSING_LEVEL) -> list[str]:
    """The categories of ``values`` in table order: as text, sorted, missing values as ``missing``."""
    return sorted(category_values(values, missing).unique())


def summarize_categories(frame: pd.DataFrame, value: str, groups: Sequence[str], *, label: str,
                         group: str = "group", total: Optional[str] = None,
                         missing: str = MISSING_LEVEL) -> pd.DataFrame:
    """Subjects per category of ``frame[value]`` and display column (statistic ``count``, ``n`` = column N).

    Categories are the values as text, sorted, with missing values counted as ``missing``; every category seen
    in ``frame`` gets a row in every column (0 where absent), so each column's counts add up to its N.
    ``label`` of a row: ``"<label>: <category>"``.
    """
    levels_of = category_values(frame[value], missing)
    rows = []
    for level in category_levels(frame[value], missing):
        for name, sub in column_subsets(frame.assign(_level=levels_of), groups, group=group, total=total):
            rows.append(dict(group=name, statistic="count", estimate=int((sub["_level"] == level).sum()),
                             n=len(sub), label=f"{label}: {level}"))
    return tidy_frame(rows)


def _true(flags: pd.Series) -> pd.Series:
    """Boolean flags with missing values as False."""
    return flags.astype("boolean").fillna(False).astype(bool)


def summarize_indicators(frame: pd.DataFrame, indicators: Mapping[str, str], groups: Sequence[str], *,
                         group: str = "group", total: Optional[str] = None) -> pd.DataFrame:
    """Subjects with a true indicator per display column: ``indicators`` maps a row label to a boolean column.

    One ``count`` row per label (in the mapping's order) and column, ``n`` = the column N; a missing indicator
    counts as false.
    """
    cols = column_subsets(frame, groups, group=group, total=total)
    rows = [dict(group=name, statistic="count", estimate=int(_true(sub[col]).sum()), n=len(sub), label=lab)
            for lab, col in indicators.items() for name, sub in cols]
    return tidy_frame(rows)
