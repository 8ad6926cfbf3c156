"""The one number formatter of the package: every estimate, count, percentage, interval and p-value printed in
a table goes through here, so one report never prints the same statistic two ways.

Conventions (pharmaverse tern / CSR practice): counts with percentages of the column N as ``n (x.x%)`` (``0``
alone when n is 0); responders of the subjects evaluated as ``x/n (x.x%)``; intervals as ``(lower, upper)`` with ``NE`` for a limit that is not estimable; p-values to 3 decimals with
``<0.001``; confidence-interval headers written from the result's level (``90% CI``), never assumed.
"""
from __future__ import annotations


import pandas as pd


def _missing(value) -> bool:
    if value is None or value is pd.NA:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def fmt_num(value, digits: int = 1) -> str:
    """Fixed-decimal text; empty for missing."""
    if _missing(value):
        return ""
    return f"{float(value):.{digits}f}"


def fmt_int(value) -> str:
    """A count; empty for missing."""
    return "" if _missing(value) else str(int(value))


def fmt_n_pct(n, denom, digits: int = 1) -> str:
    """'n (x.x%)' with the percentage of ``denom``; '0' when n is 0; 'n' when denom is 0 or missing."""
    n = int(n)
    if n == 0:
        return "0"
    if _missing(denom) or not denom:
        return f"{n}"
    return f"{n} ({100.0 * n / float(denom):.{digits}f}%)"


def fmt_x_of_n_pct(x, n, digits: int = 1) -> str:
    """Responders of the subjects evaluated: 'x/n (x.x%)'; 'x/0' when nobody was evaluated."""
    x, n = int(x), int(n)
    return f"{x}/{n} ({100.0 * x / n:.{digits}f}%)" if n else f"{x}/{n}"


def fmt_ci(lower, upper, digits: int = 3) -> str:
    """'(lower, upper)'; a limit that is not estimable (missing) prints as NE."""
    def one(v):
        return "NE" if _missing(v) else f"{float(v):.{digits}f}"
    return f"({one(lower)}, {one(upper)})"


def fmt_estimate_ci(estimate, lower, upper, digits: int = 2, scale: float = 1.0) -> str:
    """'estimate (lower, upper)' (each multiplied by ``scale``, e.g. 100 for percentages); NE when missing."""
    def sc(v):
        return None if _missing(v) else float(v) * scale
    est = "NE" if _missing(estimate) else f"{float(estimate) * scale:.{digits}f}"
    return f"{est} {fmt_ci(sc(lower), sc(upper), digits)}"


def fmt_p(p) -> str:
    """Two-sided p-value: 3 decimals, '<0.001' below; empty for missing."""
    if _missing(p):
        return ""
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def level_percent(level: float) -> str:
    """0.95 -> '95', 0.9 -> '90', 0.975 -> '97.5'."""
    return f"{round(float(level) * 100, 6):g}"


def ci_header(level: float, method: str = "") -> str:
    """Header of a confidence-interval column written from the result's level: '90% CI' or '95% CI (Wilson)'."""
    head = f"{level_percent(level)}% CI"
    return f"{head} ({method})" if method else head
