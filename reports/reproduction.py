"""Compare a plan's published values (``plan.published``) with this run's tidy result rows.

A published value is found in the tidy rows of its analysis by ``statistic`` and ``visit`` (and, when that
leaves several rows, by ``label`` equal to the published label). It agrees when the run's estimate rounds to
the published value at the published precision, i.e. ``|run - published| <= precision / 2``. Nothing is
recomputed: the run's value is read as produced.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

_EPS = 1e-9


def decimals_for(precision: float) -> int:
    """Decimal places implied by a precision (0.1 -> 1, 0.05 -> 2, 1 -> 0)."""
    if precision <= 0:
        return 4
    return max(0, math.ceil(-math.log10(precision) - 1e-12))


def find_run_value(published, outcomes: Mapping[str, Any]) -> tuple[float | None, str]:
    """The run's estimate for one published value and a status note ('' when found once)."""
    outcome = outcomes.get(published.analysis)
    if outcome is None:
        return None, f"analysis {published.analysis} not in this run"
    if outcome.not_estimable:
        return None, f"analysis {published.analysis} not estimable"
    tidy = outcome.rows
    if tidy is None or tidy.empty or "statistic" not in tidy.columns:
        return None, f"analysis {published.analysis} has no result rows"
    rows = tidy[tidy["statistic"] == published.statistic]
    if published.visit is not None and "visit" in rows.columns:
        visits = pd.to_numeric(rows["visit"], errors="coerce")
        rows = rows[(visits - float(published.visit)).abs() < 1e-9]
    if len(rows) > 1 and "label" in rows.columns:
        by_label = rows[rows["label"].astype(str).str.casefold() == published.label.casefold()]
        if len(by_label):
            rows = by_label
    estimates = pd.to_numeric(rows["estimate"], errors="coerce").dropna().unique() if len(rows) else []
    if len(estimates) == 0:
        return None, "no matching result row"
    if len(estimates) > 1:
        return None, f"ambiguous: {len(rows)} result rows match"
    return float(estimates[0]), ""


def summarize_reproduction(plan, outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """One row per published value: label, source, published, run value, difference, agreement."""
    rows = []
    for pv in plan.published:
        value, note = find_run_value(pv, outcomes)
        d = decimals_for(pv.precision)
        if value is None:
            run_txt, diff_txt, agree = "\u2014", "\u2014", f"not compared ({note})"
        else:
            diff = value - pv.value
            run_txt = f"{value:.{d + 2}f}"
            diff_txt = f"{diff:+.{d + 2}f}"
            agree = "yes" if abs(diff) <= pv.precision / 2 * (1 + _EPS) + _EPS else "no"
        visit = "" if pv.visit is None else plan.visit_label(pv.visit)
        rows.append({"Published quantity": pv.label, "Analysis": pv.analysis, "Statistic": pv.statistic,
                     "Visit": visit, "Published": f"{pv.value:.{d}f}", "Precision": f"{pv.precision:g}",
                     "This run": run_txt, "Difference": diff_txt, "Agrees": agree, "Source": pv.source})
    columns = ["Published quantity", "Analysis", "Statistic", "Visit", "Published", "Precision", "This run",
               "Difference", "Agrees", "Source"]
    return pd.DataFrame(rows, columns=columns)
