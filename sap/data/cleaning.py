"""Normalise a freshly read data frame to the package's conventions.

Conventions (same for every file format, so real and synthetic data take the same path):
upper-case column names; character values stripped of leading/trailing blanks (SAS pads, and
ADLBC ``AVISIT`` is right-justified); ``""`` and a lone ``"."`` are missing (``NaN``); dates
(``datetime.date``/``datetime.datetime`` objects) become ``datetime64[ns]``; numeric columns stay
numeric; a RangeIndex from 0, so record number = index + 1.

CSV text carries no types, so :func:`infer_csv_types` decides them (hand-written: pandas'
own inference would turn ``"NA"`` into missing in character columns and drop leading zeros of
identifiers).
"""
from __future__ import annotations

import datetime as _dt
import re

import numpy as np
import pandas as pd

from .errors import DataReadError

_MISSING_TEXT = ("", ".")
#: Tokens R/pandas write for a missing number; missing only in a column that is otherwise numeric.
_MISSING_NUMBER_TOKENS = frozenset({"NA", "NaN", "nan", "NAN"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")
_SAS_DATE9 = re.compile(r"^\d{2}[A-Za-z]{3}\d{4}$")
_LEADING_ZERO = re.compile(r"^[+-]?0\d")


def upper_case_columns(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Column names upper-cased and stripped; two names that collide is an error."""
    names = [str(c).strip().upper() for c in frame.columns]
    seen: dict[str, str] = {}
    for original, name in zip(frame.columns, names):
        if name in seen:
            raise DataReadError(
                f"{source}: columns {seen[name]!r} and {original!r} are the same name {name!r} "
                "once upper-cased")
        seen[name] = str(original)
    out = frame.copy(deep=False)
    out.columns = names
    return out


def _is_text(values: pd.Series) -> bool:
    return bool(values.map(lambda v: isinstance(v, str)).all())


def _is_dates(values: pd.Series) -> bool:
    return bool(values.map(lambda v: isinstance(v, (_dt.date, _dt.datetime, pd.Timestamp))).all())


def clean_frame(frame: pd.DataFrame, source: str) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Apply the conventions above; returns the frame and the names of its date columns."""
    out = upper_case_columns(frame, source)
    if not isinstance(out.index, pd.RangeIndex) or out.index.start != 0:
        out = out.reset_index(drop=True)
    columns = {}
    for name in out.columns:
        col = out[name]
        if isinstance(col.dtype, pd.CategoricalDtype):
            col = col.astype(object)
        if isinstance(col.dtype, pd.StringDtype):
            col = col.astype(object).where(col.notna(), np.nan)
        if col.dtype == object:
            present = col[col.notna()]
            if len(present) and _is_text(present):
                stripped = col.where(col.isna(), col.str.strip())
                col = stripped.where(~stripped.isin(_MISSING_TEXT) & stripped.notna(), np.nan)
            elif len(present) and _is_dates(present):
                try:
                    col = pd.to_datetime(col).astype("datetime64[ns]")
                except (pd.errors.OutOfBoundsDatetime, ValueError) as exc:
                    raise DataReadError(f"{source}: column {name}: dates out of range ({exc})") from exc
        elif pd.api.types.is_datetime64_any_dtype(col.dtype) and getattr(col.dtype, "tz", None) is None:
            col = col.astype("datetime64[ns]")
        columns[name] = col
    out = pd.DataFrame(columns, index=out.index)
    dates = tuple(c for c in out.columns if pd.api.types.is_datetime64_any_dtype(out[c].dtype))
    return out, dates


def _parse_numbers(col: pd.Series) -> pd.Series | None:
    present = col[col.notna()]
    if not len(present) or present.map(lambda v: bool(_LEADING_ZERO.match(v))).any():
        return None
    candidates = present[~present.isin(_MISSING_NUMBER_TOKENS)]
    if not len(candidates):
        return None
    parsed = pd.to_numeric(candidates, errors="coerce")
    if parsed.isna().any():
        return None
    result = pd.Series(np.nan, index=col.index, dtype=float)
    result.loc[parsed.index] = parsed.astype(float)
    return result  # float64 even for integers, so missing stays NaN (as SAS numerics do)


def _parse_dates(col: pd.Series) -> pd.Series | None:
    present = col[col.notna() & ~col.isin(_MISSING_NUMBER_TOKENS)]
    if not len(present):
        return None
    if present.map(lambda v: bool(_ISO_DATE.match(v))).all():
        fmt = "ISO8601"
    elif present.map(lambda v: bool(_SAS_DATE9.match(v))).all():
        fmt = "%d%b%Y"
    else:
        return None
    try:
        parsed = pd.to_datetime(present, format=fmt)
    except (ValueError, TypeError):
        return None
    result = pd.Series(pd.NaT, index=col.index, dtype="datetime64[ns]")
    result.loc[parsed.index] = parsed.astype("datetime64[ns]")
    return result


def unparsed_dates(col: pd.Series) -> np.ndarray:
    """For a text column that should hold dates: True where a value is not a date in the column's format (the
    format, ISO 8601 or DATE9, most of its values have), so a message names the bad rows, not every row."""
    text = col.map(lambda v: v if isinstance(v, str) else None)
    iso = text.map(lambda v: bool(v and _ISO_DATE.match(v))).to_numpy(dtype=bool)
    date9 = text.map(lambda v: bool(v and _SAS_DATE9.match(v))).to_numpy(dtype=bool)
    shape, fmt = (iso, "ISO8601") if iso.sum() >= date9.sum() else (date9, "%d%b%Y")
    parsed = pd.to_datetime(text.where(shape), format=fmt, errors="coerce").notna().to_numpy(dtype=bool)
    return col.notna().to_numpy(dtype=bool) & ~parsed


def infer_csv_types(frame: pd.DataFrame) -> pd.DataFrame:
    """Types for a CSV read as text and cleaned.

    * columns named ``*DT``/``*DTM`` whose values are all ISO 8601 (``2014-01-02``,
      ``2014-01-02T10:30``) or SAS DATE9 (``02JAN2014``) -> ``datetime64``;
    * columns whose values all parse as numbers -> ``float64``, except identifiers
      (names ending in ``ID``, e.g. USUBJID/SITEID) and values with leading zeros (``"007"``),
      which stay character; ``NA``/``NaN`` count as missing in such a numeric column;
    * everything else stays character.
    """
    out = {}
    for name in frame.columns:
        col = frame[name]
        converted = None
        if col.dtype == object:
            if name.endswith(("DT", "DTM")):
                converted = _parse_dates(col)
            if converted is None and not name.endswith("ID"):
                converted = _parse_numbers(col)
        out[name] = col if converted is None else converted
    return pd.DataFrame(out, index=frame.index)
