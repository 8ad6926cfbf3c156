"""Result rows keyed by what they describe, so goldens can be compared row by row by key, not position.

A ``results.json`` row is identified by its KEY_COLUMNS (analysis, endpoint, population, visit, group,
comparator, statistic and the descriptive columns the safety/efficacy tables add: label, method,
imputation, parameter, SOC/PT, ...). Every other column is a value (estimate, se, CI, df, p-value, n,
x_group, table title, escalation rule, ...). The key is unique within a plan; ``keyed_frame`` raises if
it is not (add the missing descriptive column to KEY_COLUMNS, never drop rows).

``compare_keyed(old, new)`` lists, by key: rows only in old, rows only in new, and every value that differs
(numbers by ``math.isclose(rel_tol=1e-6, abs_tol=1e-9)``, missing equals missing, everything else as exact
text). CSV helpers write a sorted file with shortest round-trip floats (``repr``) and read it back with
keys as text, so ``read_csv(write_csv(f))`` compares equal to ``f`` even at tolerance 0.

No pytest here: imported by the golden tests and by ``compare_results.py``.
"""
from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Iterable, Mapping, Union

import numpy as np
import pandas as pd

REL_TOL = 1e-6
ABS_TOL = 1e-9

#: Columns that identify a result row. Numeric identifiers (visit, time, cohort) are stored as text
#: ("12", not "12.0"). Order = sort order and CSV column order.
KEY_COLUMNS: tuple[str, ...] = (
    "analysis_id", "endpoint", "population", "visit", "group", "comparator", "statistic",
    # descriptive columns that rows of the five plans carry
    "parameter",    # laboratory parameter (LAB-SHIFT, LAB-CHG)
    "value",        # AVAL / CHG (laboratory change tables)
    "label",        # row label: 'Grade 1', 'AVAL', 'baseline NORMAL -> worst ...', escalation decision
    "method",       # CI / test / model method (clopper_pearson, newcombe, fisher_exact, MMRM ...)
    "imputation",   # observed_case / nri
    "category",     # AE grade category / special-interest category
    "soc", "pt",    # MedDRA system organ class and preferred term
    "baseline", "worst",  # laboratory shift cells
    "cohort",       # 3+3 escalation cohort number
    "time",         # time point of a Kaplan-Meier / survival estimate
    "hypothesis",   # multiplicity family member
)
#: Key columns holding numbers; sorted numerically, written without a trailing ".0".
NUMERIC_KEYS = frozenset({"visit", "time", "cohort"})
#: Value columns shown first (the fixed results.json columns); the rest follow alphabetically.
LEADING_VALUES = ("estimate", "se", "ci_lower", "ci_upper", "df", "p_value", "n")
#: Occurrence number among rows equal in every key column (not used today: all keys are unique).
DUP_COLUMN = "_dup"

FrameLike = Union[pd.DataFrame, Mapping[str, Any], Iterable[Mapping[str, Any]]]


# --------------------------------------------------------------------------------------------- frames
def _key_text(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA:
        return ""
    if isinstance(v, (bool, np.bool_)):
        return str(bool(v))
    if isinstance(v, (int, np.integer)):
        return str(int(v))
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return str(int(f)) if f.is_integer() else repr(f)
    return str(v)


def _key_series(s: pd.Series) -> pd.Series:
    s = s.astype(object)
    miss = pd.isna(s)
    if all(isinstance(v, str) for v in s[~miss]):
        return s.where(~miss, "")
    return s.map(_key_text).astype(object)


def _missing(v: Any) -> bool:
    if v is None or v is pd.NA or (isinstance(v, str) and v == ""):
        return True
    return isinstance(v, (float, np.floating)) and math.isnan(v)


def _normalise_value_column(s: pd.Series) -> pd.Series:
    """One dtype per value column: Int64, float64, bool (object) or text (object); missing is NA/NaN."""
    s = s.astype(object)
    miss = pd.isna(s) | s.map(lambda v: isinstance(v, str) and v == "")
    present = s[~miss]
    if present.empty:
        return pd.Series(np.nan, index=s.index, dtype="float64")
    types = set(map(type, present))
    if types <= {str}:  # from CSV: recover numbers and booleans
        if present.isin(["True", "False"]).all():
            return (s == "True").astype(object).where(~miss, None)
        if all(_as_float(v) is not None for v in present):  # float(), not pandas' faster inexact parser
            if present.str.fullmatch(r"[+-]?\d+").all():
                return s.map(lambda v: None if _missing(v) else int(v)).astype("Int64")
            return s.map(lambda v: np.nan if _missing(v) else float(v)).astype("float64")
        return s.where(~miss, np.nan)
    if all(issubclass(t, (bool, np.bool_)) for t in types):
        return s.map(bool).astype(object).where(~miss, None)
    numeric = all(issubclass(t, (int, float, np.integer, np.floating)) and not issubclass(t, (bool, np.bool_))
                  for t in types)
    if numeric:
        if all(issubclass(t, (int, np.integer)) for t in types):
            return s.map(lambda v: None if _missing(v) else int(v)).astype("Int64")
        return s.map(lambda v: np.nan if _missing(v) else float(v)).astype("float64")
    return s.map(lambda v: v if isinstance(v, str) else _key_text(v)).where(~miss, np.nan)


def key_columns(frame: pd.DataFrame) -> list[str]:
    return list(KEY_COLUMNS) + ([DUP_COLUMN] if DUP_COLUMN in frame.columns else [])


def value_columns(frame: pd.DataFrame) -> list[str]:
    keys = set(key_columns(frame))
    rest = [c for c in frame.columns if c not in keys]
    return [c for c in LEADING_VALUES if c in rest] + sorted(c for c in rest if c not in LEADING_VALUES)


def sort_keyed(frame: pd.DataFrame) -> pd.DataFrame:
    """Sort by the key (numeric identifiers numerically, then as text); key columns first."""
    keys = key_columns(frame)
    helpers, order = {}, []
    for c in keys:
        if c in NUMERIC_KEYS:
            helpers[f"__num_{c}"] = pd.to_numeric(frame[c], errors="coerce").fillna(-np.inf)
            order.append(f"__num_{c}")
        order.append(c)
    tmp = frame.assign(**helpers)
    tmp = tmp.sort_values(order, kind="mergesort").drop(columns=list(helpers))
    return tmp[keys + value_columns(frame)].reset_index(drop=True)


def duplicated_keys(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows whose key occurs more than once (empty when the key is unique)."""
    keys = key_columns(frame)
    return frame[frame.duplicated(keys, keep=False)]


def _check_unique(frame: pd.DataFrame, what: str) -> None:
    dup = duplicated_keys(frame)
    if len(dup):
        sample = "; ".join(format_key(r) for r in dup[key_columns(frame)].head(5).to_dict("records"))
        raise ValueError(f"{what}: {len(dup)} rows share a key in {len(KEY_COLUMNS)} KEY_COLUMNS "
                         f"(add the descriptive column that tells them apart to keyed.KEY_COLUMNS): {sample}")


def _rows(doc: FrameLike) -> list[Mapping[str, Any]]:
    if isinstance(doc, Mapping):
        return list(doc["results"])
    return list(doc)


def keyed_frame(doc: FrameLike) -> pd.DataFrame:
    """The results rows of ``doc`` (a results.json document or a list of rows) as a keyed frame.

    Key columns first (text; missing = ""), then value columns; sorted by key; one row per key
    (ValueError otherwise).
    """
    if isinstance(doc, pd.DataFrame):
        frame = doc.copy()
    else:
        rows = _rows(doc)
        columns = list(dict.fromkeys(c for r in rows for c in r))
        # column by column as Python objects: from_records would turn int columns with gaps into floats
        frame = pd.DataFrame({c: pd.Series([r.get(c) for r in rows], dtype=object) for c in columns},
                             index=pd.RangeIndex(len(rows)))
    for c in KEY_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
        frame[c] = _key_series(frame[c])
    if DUP_COLUMN in frame.columns:
        frame[DUP_COLUMN] = _key_series(frame[DUP_COLUMN])
    for c in value_columns(frame):
        frame[c] = _normalise_value_column(frame[c])
    _check_unique(frame, "keyed_frame")
    return sort_keyed(frame)


# ------------------------------------------------------------------------------------------ comparing
def format_key(key: Mapping[str, Any]) -> str:
    """``[analysis_id=EFF visit=12 group=Placebo ...]`` with the empty key columns left out."""
    return "[" + " ".join(f"{k}={v}" for k, v in key.items() if v != "") + "]"


def _as_float(v: Any) -> float | None:
    if isinstance(v, (bool, np.bool_)):
        return None
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def values_equal(a: Any, b: Any, rel: float = REL_TOL, abs_: float = ABS_TOL) -> bool:
    """Missing equals missing (None, NaN, ""); numbers by math.isclose; everything else as exact text."""
    am, bm = _missing(a), _missing(b)
    if am or bm:
        return am and bm
    fa, fb = _as_float(a), _as_float(b)
    if fa is not None and fb is not None:
        if math.isnan(fa) or math.isnan(fb):
            return math.isnan(fa) and math.isnan(fb)
        return math.isclose(fa, fb, rel_tol=rel, abs_tol=abs_)
    return str(a) == str(b)


def _show(v: Any) -> str:
    return "missing" if _missing(v) else repr(v.item() if isinstance(v, np.generic) else v)


def _objects(s: pd.Series) -> np.ndarray:
    arr = s.astype(object).to_numpy()
    miss = pd.isna(arr)
    arr[miss] = None
    return arr


def compare_keyed(old: FrameLike, new: FrameLike, rel: float = REL_TOL, abs_: float = ABS_TOL) -> list[str]:
    """Human-readable differences between two keyed frames (or results documents), by key.

    First the rows only in old, then the rows only in new, then one line per differing value
    ``[key] column: old X, new Y``. An empty list means equal within tolerance.
    """
    old = old if isinstance(old, pd.DataFrame) else keyed_frame(old)
    new = new if isinstance(new, pd.DataFrame) else keyed_frame(new)
    dup = DUP_COLUMN in old.columns or DUP_COLUMN in new.columns
    keys = list(KEY_COLUMNS) + ([DUP_COLUMN] if dup else [])
    old = old.assign(**{c: "" for c in keys if c not in old.columns})
    new = new.assign(**{c: "" for c in keys if c not in new.columns})
    _check_unique(old, "compare_keyed(old)")
    _check_unique(new, "compare_keyed(new)")
    oi = old.set_index(keys)
    ni = new.set_index(keys)
    only_old = oi.index.difference(ni.index, sort=False)
    only_new = ni.index.difference(oi.index, sort=False)
    common = oi.index.intersection(ni.index, sort=False)

    def label(tup) -> str:
        return format_key(dict(zip(keys, tup)))

    out: list[str] = []
    out += [f"only in old: {label(k)}" for k in sort_keyed(only_old.to_frame(index=False)).itertuples(index=False)]
    out += [f"only in new: {label(k)}" for k in sort_keyed(only_new.to_frame(index=False)).itertuples(index=False)]

    if len(common):
        ordered = sort_keyed(common.to_frame(index=False))
        idx = pd.MultiIndex.from_frame(ordered[keys])
        o, n = oi.loc[idx], ni.loc[idx]
        columns = [c for c in value_columns(old) if c not in keys]
        columns += [c for c in value_columns(new) if c not in keys and c not in columns]
        cells: list[tuple[int, int, str]] = []
        for ci, col in enumerate(columns):
            a = _objects(o[col]) if col in o.columns else np.full(len(idx), None, dtype=object)
            b = _objects(n[col]) if col in n.columns else np.full(len(idx), None, dtype=object)
            same = np.fromiter((x is y or (type(x) is type(y) and x == y) for x, y in zip(a, b)),
                               dtype=bool, count=len(a))
            for ri in np.flatnonzero(~same):
                x, y = a[ri], b[ri]
                if values_equal(x, y, rel, abs_):
                    continue
                fx, fy = _as_float(x), _as_float(y)
                extra = ""
                if fx is not None and fy is not None and not (math.isnan(fx) or math.isnan(fy)):
                    scale = max(abs(fx), abs(fy))
                    extra = f" (rel diff {abs(fx - fy) / scale:.2g})" if scale else ""
                cells.append((ri, ci, f"{label(idx[ri])} {col}: old {_show(x)}, new {_show(y)}{extra}"))
        out += [text for _, _, text in sorted(cells)]
    return out


# ------------------------------------------------------------------------------------------------ I/O
def write_csv(frame: pd.DataFrame, path: Path | str) -> Path:
    """Write a keyed frame sorted by key, floats in shortest round-trip form (``repr``)."""
    path = Path(path)
    sort_keyed(frame).to_csv(path, index=False, float_format=lambda x: repr(float(x)), lineterminator="\n")
    return path


def read_csv(path: Path | str) -> pd.DataFrame:
    """Read a keyed CSV: keys as text ("" = missing), value columns back to numbers/booleans/text."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[])
    for c in KEY_COLUMNS:
        if c not in frame.columns:
            frame[c] = ""
    for c in value_columns(frame):
        frame[c] = _normalise_value_column(frame[c].astype(object))
    _check_unique(frame, str(path))
    return sort_keyed(frame)


def plan_header(doc: Mapping[str, Any]) -> dict[str, Any]:
    """The plan-level part of a results document: ``plan`` (id, title, version, sha256) and ``data``."""
    return {"plan": doc["plan"], "data": doc["data"]}


def write_meta(doc: Mapping[str, Any], path: Path | str) -> Path:
    path = Path(path)
    path.write_text(json.dumps(plan_header(doc), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path


def read_meta(path: Path | str) -> dict[str, Any]:
    return json.loads(Path(path).read_text(encoding="utf-8"))
