"""Array helpers shared by the ``compute_*`` functions (hand-written; no library does this).

* Inputs are coerced to float arrays; ``None``/NaN mean *missing* and propagate, so a
  missing component always gives a missing result (never a silent 0 or False).
* Binary results are float arrays with 1.0 (yes), 0.0 (no) and NaN (not evaluable).
* Cut-off comparisons use an absolute tolerance :data:`EPS` so that a value that equals a
  cut-off in decimal arithmetic (e.g. 3.3 - 2.2 = 1.0999999999999996 against ">= 1.1")
  is not misclassified by binary floating point.  SAS programmers get the same effect with
  ``ROUND(x, 1E-9)`` or FUZZ; R's ``all.equal`` uses 1.5e-8.
"""
from __future__ import annotations

from typing import Any

import numpy as np

EPS = 1e-9


def as_float(name: str, values: Any) -> np.ndarray:
    """Return ``values`` as a float ndarray (None -> NaN); raise ValueError if not numeric."""
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        arr_obj = np.atleast_1d(np.asarray(values, dtype=object))
        bad = []
        for i, v in enumerate(arr_obj.ravel()):
            try:
                float(np.nan if v is None else v)
            except (TypeError, ValueError):
                bad.append(i)
        raise ValueError(f"{name}: non-numeric values at positions {bad[:10]}") from exc
    return arr


def check_range(name: str, arr: np.ndarray, lo: float | None, hi: float | None) -> None:
    """Raise ValueError naming ``name`` and the offending positions if outside [lo, hi]."""
    with np.errstate(invalid="ignore"):
        bad = np.zeros(arr.shape, dtype=bool)
        if lo is not None:
            bad |= arr < lo - EPS
        if hi is not None:
            bad |= arr > hi + EPS
        bad |= np.isinf(arr)
    if bad.any():
        pos = np.argwhere(np.atleast_1d(bad)).ravel()[:10].tolist() if arr.ndim <= 1 else \
            [tuple(p) for p in np.argwhere(bad)[:10].tolist()]
        vals = np.atleast_1d(arr)[np.atleast_1d(bad)][:10].tolist()
        raise ValueError(
            f"{name}: values outside [{lo}, {hi}] at positions {pos} (values {vals}); "
            "check the scale argument")


def check_scale(scale: float) -> float:
    if scale not in (10, 100):
        raise ValueError(f"scale must be 10 (0-10 NRS/cm VAS) or 100 (0-100 mm VAS), got {scale!r}")
    return float(scale)


def ge(a: np.ndarray, b: Any) -> np.ndarray:
    """a >= b with tolerance EPS (NaN -> False; callers mask missing separately)."""
    with np.errstate(invalid="ignore"):
        return a >= np.asarray(b, dtype=float) - EPS


def le(a: np.ndarray, b: Any) -> np.ndarray:
    """a <= b with tolerance EPS (NaN -> False)."""
    with np.errstate(invalid="ignore"):
        return a <= np.asarray(b, dtype=float) + EPS


def gt(a: np.ndarray, b: Any) -> np.ndarray:
    """a > b beyond tolerance EPS (NaN -> False)."""
    with np.errstate(invalid="ignore"):
        return a > np.asarray(b, dtype=float) + EPS


def lt(a: np.ndarray, b: Any) -> np.ndarray:
    """a < b beyond tolerance EPS (NaN -> False)."""
    with np.errstate(invalid="ignore"):
        return a < np.asarray(b, dtype=float) - EPS


def to_binary(flag: np.ndarray, missing: np.ndarray) -> np.ndarray:
    """Boolean ``flag`` -> float 1.0/0.0 with NaN where ``missing``."""
    out = np.asarray(flag, dtype=float)
    out = np.where(missing, np.nan, out)
    return out


def as_matrix(name: str, values: Any, ncol: int) -> np.ndarray:
    """Return a float (n, ncol) matrix from an (n, ncol) or (ncol,) array-like."""
    arr = as_float(name, values)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2 or arr.shape[1] != ncol:
        raise ValueError(f"{name}: expected shape (n, {ncol}) or ({ncol},), got {arr.shape}")
    return arr


def squeeze_like(result: np.ndarray, template: Any) -> np.ndarray | float:
    """Return a scalar when the caller passed a single record (1-D template of length ncol)."""
    if np.ndim(template) == 1 and result.shape == (1,):
        return result[0]
    return result
