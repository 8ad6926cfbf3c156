"""Check trial datasets against the ADaM data contract before any computation.

:func:`check_contract` runs every rule and raises one :class:`DataContractError` listing all
problems, each naming dataset, column and example rows (1-based record numbers as in the file,
plus USUBJID). Hand-written: the checks mirror what a SAS programmer does with PROC FREQ/SORT
NODUPKEY and the pharmaverse ``metatools``/``xportr`` checks, but no Python library does them.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from .cleaning import unparsed_dates
from .errors import MAX_EXAMPLE_ROWS, DataContractError, Problem
from sap.spec import Visit

from .date_order import find_date_order_rules
from .exposure_units import find_exposure_unit_rules
from .requirements import AllowedValues, ColumnSpec, DataRequirements, UniqueKey, ValueRange, VisitSchedule

SUBJECT = "USUBJID"


# --------------------------------------------------------------------------- helpers
def record_numbers(frame: pd.DataFrame) -> np.ndarray:
    """1-based record numbers: index + 1 for the readers' integer index (kept when the caller
    filters rows), else position + 1."""
    index = frame.index
    if pd.api.types.is_integer_dtype(index.dtype) and index.is_unique:
        return np.asarray(index, dtype=np.int64) + 1
    return np.arange(1, len(frame) + 1)


def _fmt(value) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "missing"
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return f"{value:g}"
    return repr(value) if isinstance(value, str) else str(value)


def _problem(frame: pd.DataFrame, dataset: str, column: str | None, rule: str, mask, what: str,
             show: tuple[str, ...] = (), summary: str | None = None) -> Problem | None:
    """A problem for the rows where ``mask`` is true (None when there are none)."""
    mask = np.asarray(mask, dtype=bool)
    if not mask.any():
        return None
    positions = np.flatnonzero(mask)
    rows = tuple(int(r) for r in record_numbers(frame)[positions])
    has_subject = SUBJECT in frame.columns
    subjects = tuple(None if pd.isna(v) else str(v) for v in frame[SUBJECT].iloc[positions]) if has_subject else ()
    examples = []
    for k, pos in enumerate(positions[:MAX_EXAMPLE_ROWS]):
        parts = [f"{SUBJECT} {subjects[k] or 'missing'}"] if has_subject else []
        parts += [f"{c}={_fmt(frame[c].iloc[pos])}" for c in show if c in frame.columns and c != SUBJECT]
        examples.append(f"row {rows[k]}" + (f" ({', '.join(parts)})" if parts else ""))
    more = f", ... ({len(rows) - MAX_EXAMPLE_ROWS} more)" if len(rows) > MAX_EXAMPLE_ROWS else ""
    where = f"{dataset}.{column}" if column else dataset
    n = len(rows)
    message = f"{where}: {what}: {n} row{'s' if n > 1 else ''}: {'; '.join(examples)}{more}"
    return Problem(dataset, column, rule, rows, message, subjects, summary)


def _column_problem(dataset, column, rule, what, summary=None) -> Problem:
    where = f"{dataset}.{column}" if column else dataset
    return Problem(dataset, column, rule, (), f"{where}: {what}", (), summary)


def _missing(series: pd.Series) -> np.ndarray:
    return series.isna().to_numpy()


# --------------------------------------------------------------------------- rules
def find_missing_datasets(datasets: Mapping[str, pd.DataFrame], req: DataRequirements) -> list[Problem]:
    out = []
    loaded = ", ".join(sorted(datasets)) or "none"
    for name in req.required_datasets:
        if name not in datasets:
            out.append(_column_problem(name, None, "missing_dataset",
                                       f"required dataset is missing (loaded: {loaded})", "missing"))
        elif len(datasets[name]) == 0:
            out.append(_column_problem(name, None, "no_rows", "required dataset has no rows", "has no rows"))
    return out


def _type_problem(frame: pd.DataFrame, dataset: str, column: str, kind: str) -> Problem | None:
    col = frame[column]
    present = col.notna().to_numpy()
    if kind == "any" or not present.any():
        return None  # an all-missing column satisfies every kind
    dtype = col.dtype
    is_date = pd.api.types.is_datetime64_any_dtype(dtype)
    is_number = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    summary = f"not {kind}"
    if kind == "numeric":
        if is_number:
            return None
        if dtype == object:
            parsed = pd.to_numeric(col, errors="coerce").notna().to_numpy()
            bad = present & ~parsed
            if bad.any():
                return _problem(frame, dataset, column, "wrong_type", bad,
                                "should be numeric but holds text", (column,), summary)
            return _column_problem(dataset, column, "wrong_type",
                                   "should be numeric but is character (numbers stored as text)", summary)
        return _column_problem(dataset, column, "wrong_type", f"should be numeric but is {dtype}", summary)
    if kind == "character":
        if dtype == object:
            bad = present & ~col.map(lambda v: isinstance(v, str)).to_numpy()
            return _problem(frame, dataset, column, "wrong_type", bad,
                            "should be character but holds non-text values", (column,), summary)
        return _column_problem(dataset, column, "wrong_type", f"should be character but is {dtype}", summary)
    # kind == "date"
    if is_date:
        return None
    if is_number:
        return _column_problem(dataset, column, "wrong_type",
                               "should be a date but is numeric (a SAS date without a date format?)", summary)
    bad = present & unparsed_dates(col) if dtype == object else present
    return _problem(frame, dataset, column, "wrong_type", bad if bad.any() else present,
                    f"should be a date but is {dtype} (text dates must be ISO 8601 or DATE9 in a *DT column)",
                    (column,), summary)


def find_column_problems(datasets, req: DataRequirements) -> list[Problem]:
    out = []
    for spec in req.columns:
        frame = datasets.get(spec.dataset)
        if frame is None:
            continue
        present = [n for n in spec.names if n in frame.columns]
        if not present:
            if spec.required:
                alt = f" (or {', '.join(spec.alternatives)})" if spec.alternatives else ""
                out.append(_column_problem(spec.dataset, spec.name, "missing_column",
                                           f"required column{alt} is missing", "missing"))
            continue
        problem = _type_problem(frame, spec.dataset, present[0], spec.kind)
        if problem is not None:
            out.append(problem)
    return out


def _numeric_declared(req: DataRequirements, dataset: str, column: str) -> bool:
    return any(c.dataset == dataset and column in c.names and c.kind == "numeric" for c in req.columns)


def find_range_problems(datasets, req: DataRequirements) -> list[Problem]:
    out = []
    for rng in req.ranges:
        frame = datasets.get(rng.dataset)
        if frame is None or rng.column not in frame.columns:
            continue
        if rng.paramcd is not None:
            if rng.param_column not in frame.columns:
                continue
            selected = (frame[rng.param_column] == rng.paramcd).to_numpy()
        else:
            selected = np.ones(len(frame), dtype=bool)
        raw = frame[rng.column]
        values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
        text = raw.notna().to_numpy() & np.isnan(values)
        if _numeric_declared(req, rng.dataset, rng.column) and raw.dtype == object:
            text[:] = False  # reported by the type check already
        with np.errstate(invalid="ignore"):
            bad = np.zeros(len(frame), dtype=bool)
            if rng.lo is not None:
                bad |= (values < rng.lo) if rng.lo_inclusive else (values <= rng.lo)
            if rng.hi is not None:
                bad |= (values > rng.hi) if rng.hi_inclusive else (values >= rng.hi)
            if rng.integer:
                bad |= ~np.isnan(values) & (values != np.round(values))
        bad = selected & (bad | text) & ~np.isinf(values)  # infinite values: find_non_finite_problems
        scope = f" for {rng.param_column}={rng.paramcd}" if rng.paramcd is not None else ""
        show = tuple(c for c in (rng.param_column, rng.column) if rng.paramcd is not None or c == rng.column)
        problem = _problem(frame, rng.dataset, rng.column, "out_of_range", bad,
                           f"values{scope} outside {rng.describe()}", show,
                           f"out of range{' ' + rng.paramcd if rng.paramcd else ''} {rng.describe()}")
        if problem is not None:
            out.append(problem)
    return out


def find_non_finite_problems(datasets: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Infinite numbers (a CSV's ``inf``/``-Infinity``, a parquet float) in any numeric column: never data."""
    found = (_problem(frame, name, c, "not_finite", np.isinf(frame[c].to_numpy(dtype=float, na_value=np.nan)),
                      "infinite values (write a missing value instead)",
                      tuple(k for k in ("PARAMCD", c) if k in frame.columns), "infinite")
             for name, frame in sorted(datasets.items()) for c in frame.columns
             if pd.api.types.is_float_dtype(frame[c].dtype))
    return [p for p in found if p is not None]


def _allowed_mask(series: pd.Series, rule: AllowedValues) -> np.ndarray:
    if pd.api.types.is_numeric_dtype(series.dtype):
        allowed = pd.to_numeric(pd.Series(rule.values, dtype=object), errors="coerce").dropna()
        ok = series.isin(allowed.astype(float)).to_numpy()
    else:
        ok = series.isin([str(v) for v in rule.values]).to_numpy()
    missing = _missing(series)
    return ~ok & ~missing if rule.allow_missing else ~ok


def find_allowed_value_problems(datasets, req: DataRequirements) -> list[Problem]:
    out = []
    for rule in req.allowed:
        names = [rule.dataset] if rule.dataset is not None else sorted(datasets)
        for name in names:
            frame = datasets.get(name)
            if frame is None or rule.column not in frame.columns:
                continue
            listed = ", ".join(_fmt(v) for v in rule.values) + (" or missing" if rule.allow_missing else "")
            mask = _allowed_mask(frame[rule.column], rule)
            bad = ", ".join(_fmt(v) for v in pd.unique(frame[rule.column][mask])[:MAX_EXAMPLE_ROWS])
            problem = _problem(frame, name, rule.column, "not_allowed", mask, f"values not in {{{listed}}}",
                               (rule.column,), f"value {bad} not allowed" if mask.any() else "")
            if problem is not None:
                out.append(problem)
    return out


def _absent_structural_columns(frame, dataset, columns, reported, purpose) -> list[Problem]:
    out = []
    for c in columns:
        if c not in frame.columns and (dataset, c) not in reported:
            out.append(_column_problem(dataset, c, "missing_column", f"column missing, {purpose} cannot be checked",
                                       "missing"))
            reported.add((dataset, c))
    return out


def find_key_problems(datasets, req: DataRequirements, reported: set) -> list[Problem]:
    out = []
    for key in req.unique_keys:
        frame = datasets.get(key.dataset)
        if frame is None:
            continue
        absent = [c for c in key.columns if c not in frame.columns]
        if absent:
            out += _absent_structural_columns(frame, key.dataset, absent, reported, "record key")
            continue
        label = "/".join(key.columns)
        checked = np.ones(len(frame), dtype=bool)
        scope = ""
        if key.within_flag is not None and key.within_flag in frame.columns:
            checked = (frame[key.within_flag] == "Y").to_numpy()
            scope = f" among {key.within_flag}='Y' records"
        incomplete = frame[list(key.columns)].isna().any(axis=1).to_numpy() & checked
        if incomplete.any() and not key.missing_allowed:
            out.append(_problem(frame, key.dataset, label, "missing_key", incomplete,
                                f"record key {label} has missing values{scope}", key.columns, "key missing"))
        checked &= ~incomplete
        cols = list(key.columns) + [c for c in key.when_present if c in frame.columns]
        sub = frame.loc[checked, cols]
        dup = np.zeros(len(frame), dtype=bool)
        dup[np.flatnonzero(checked)] = sub.duplicated(keep=False).to_numpy()
        problem = _problem(frame, key.dataset, label, "duplicated", dup,
                           f"more than one record per {'/'.join(cols)}{scope}", tuple(cols), "duplicated")
        if problem is not None:
            out.append(problem)
    return out


def find_subject_problems(datasets, req: DataRequirements) -> list[Problem]:
    parent_name, key = req.subject_dataset, req.subject_key
    parent = datasets.get(parent_name) if parent_name else None
    if parent is None or key not in parent.columns:
        return []
    known = set(parent[key].dropna())
    out = []
    for name, frame in sorted(datasets.items()):
        if name == parent_name or key not in frame.columns:
            continue
        missing = _missing(frame[key])
        unknown = ~missing & ~frame[key].isin(known).to_numpy()
        for rule, mask, what, summary in (
                ("missing_subject", missing, f"{key} is missing", "missing"),
                ("unknown_subject", unknown, f"{key} not in {parent_name}", f"not in {parent_name}")):
            problem = _problem(frame, name, key, rule, mask, what, (), summary)
            if problem is not None:
                out.append(problem)
    return out


def _window_masks(frame: pd.DataFrame, schedule: VisitSchedule, rows: np.ndarray):
    visits = pd.to_numeric(frame[schedule.visit_column], errors="coerce").to_numpy(dtype=float)
    by_visit: dict[float, Visit] = {float(w.avisitn): w for w in schedule.windows}
    missing = rows & np.isnan(visits)
    unknown = rows & ~np.isnan(visits) & ~np.isin(visits, list(by_visit))
    outside = np.zeros(len(frame), dtype=bool)
    if schedule.day_column in frame.columns:
        days = pd.to_numeric(frame[schedule.day_column], errors="coerce").to_numpy(dtype=float)
        for avisitn, window in by_visit.items():
            here = rows & (visits == avisitn) & ~np.isnan(days)
            with np.errstate(invalid="ignore"):
                out_lo = days < window.lo if window.lo is not None else np.zeros(len(frame), bool)
                out_hi = days > window.hi if window.hi is not None else np.zeros(len(frame), bool)
            outside |= here & (out_lo | out_hi)
    return missing, unknown, outside


def check_visit_windows(frame: pd.DataFrame, dataset: str, schedule: VisitSchedule) -> list[Problem]:
    """Problems of one dataset against one visit schedule (see :class:`VisitSchedule`)."""
    rows = np.ones(len(frame), dtype=bool)
    if schedule.skip_derived and "DTYPE" in frame.columns:
        rows &= _missing(frame["DTYPE"])
    if schedule.params is not None and schedule.param_column in frame.columns:
        rows &= frame[schedule.param_column].isin(schedule.params).to_numpy()
    missing, unknown, outside = _window_masks(frame, schedule, rows)
    vcol, dcol = schedule.visit_column, schedule.day_column
    table = "; ".join(w.describe() for w in schedule.windows)
    show = tuple(c for c in (schedule.param_column, vcol, schedule.label_column, dcol) if c)
    found = [
        _problem(frame, dataset, vcol, "unknown_visit", unknown,
                 f"visit not in the schedule ({', '.join(f'{w.avisitn:g}' for w in schedule.windows)})",
                 show, "not in schedule"),
        _problem(frame, dataset, dcol, "outside_window", outside,
                 f"study day outside its visit's window (schedule: {table})", show, "outside visit window"),
    ]
    if not schedule.missing_visit_allowed:
        found.append(_problem(frame, dataset, vcol, "missing_visit", missing, "visit is missing", show, "missing"))
    if schedule.label_column and schedule.label_column in frame.columns:
        labels = {float(w.avisitn): " ".join(w.label.split()).casefold() for w in schedule.windows}
        visits = pd.to_numeric(frame[vcol], errors="coerce")
        expected = visits.map(labels)
        actual = frame[schedule.label_column].map(lambda v: " ".join(str(v).split()).casefold(), na_action="ignore")
        wrong = rows & expected.notna().to_numpy() & (actual != expected).to_numpy()
        found.append(_problem(frame, dataset, schedule.label_column, "visit_label_mismatch", wrong,
                              f"label does not match the schedule's label for {vcol}", show, "label mismatch"))
    return [p for p in found if p is not None]


def find_visit_problems(datasets, req: DataRequirements, reported: set) -> list[Problem]:
    out = []
    for schedule in req.visit_schedules:
        for name in schedule.datasets:
            frame = datasets.get(name)
            if frame is None:
                continue
            if schedule.visit_column not in frame.columns:
                out += _absent_structural_columns(frame, name, [schedule.visit_column], reported, "visit schedule")
                continue
            out += check_visit_windows(frame, name, schedule)
    return out


def find_exposure_problems(datasets: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """ADEX dose-unit rules (:mod:`sap.data.exposure_units`: a dose needs its unit, a product one unit)."""
    adex = datasets.get("adex")
    if adex is None:
        return []
    return [_problem(adex, "adex", column, rule, mask, what, show, summary)
            for column, rule, mask, what, show, summary in find_exposure_unit_rules(adex)]


def find_date_order_problems(datasets: Mapping[str, pd.DataFrame]) -> list[Problem]:
    """Ends before their starts (:mod:`sap.data.date_order`)."""
    return [_problem(frame, name, column, rule, mask, what, show, summary)
            for frame, name, column, rule, mask, what, show, summary in find_date_order_rules(datasets)]


# --------------------------------------------------------------------------- entry point
def find_contract_problems(datasets: Mapping[str, pd.DataFrame], requirements: DataRequirements) -> list[Problem]:
    """Every problem of ``datasets`` against ``requirements`` (empty list when all is well)."""
    frames = {str(k).lower(): v if all(str(c) == str(c).upper() for c in v.columns)
              else v.rename(columns=lambda c: str(c).upper()) for k, v in datasets.items()}
    problems = find_missing_datasets(frames, requirements)
    columns = find_column_problems(frames, requirements)
    reported = {(p.dataset, p.column) for p in columns if p.rule == "missing_column"}
    problems += columns
    problems += find_range_problems(frames, requirements)
    problems += find_non_finite_problems(frames)
    problems += find_allowed_value_problems(frames, requirements)
    problems += find_key_problems(frames, requirements, reported)
    problems += find_subject_problems(frames, requirements)
    problems += find_visit_problems(frames, requirements, reported)
    problems += find_exposure_problems(frames)
    problems += find_date_order_problems(frames)
    return problems


def check_contract(datasets: Mapping[str, pd.DataFrame], requirements: DataRequirements) -> None:
    """Raise :class:`DataContractError` listing every problem of ``datasets``; return None if none.

    ``datasets``: frames by dataset name (``LoadedData.datasets``); names and columns are
    compared case-insensitively.
    """
    problems = find_contract_problems(datasets, requirements)
    if problems:
        raise DataContractError(problems)


__all__ = ["check_contract", "find_contract_problems", "find_exposure_problems", "find_non_finite_problems",
           "check_visit_windows", "record_numbers", "ColumnSpec", "ValueRange", "AllowedValues", "UniqueKey",
           "VisitSchedule"]
