"""Compare a plan's published values (``plan.published``) with this run's tidy result rows.

A published value is found in the tidy rows of its analysis by ``statistic`` and ``visit`` (and, when that
leaves several rows, by ``row``, the rows' label, or else the published label), read from its result column
(``column``: estimate, n or p_value). A value published at a precision agrees when the run's value rounds to it,
i.e. ``|run - published| <= precision / 2``; a published direction ("p < 0.05") agrees when the run's value lies
on the published side of the threshold. Nothing is recomputed: the run's value is read as produced.
"""
from __future__ import annotations

import math
from typing import Any, Mapping

import pandas as pd

_EPS = 1e-9
COLUMNS = ["Published quantity", "Analysis", "Statistic", "Visit", "Published", "Compared as", "This run",
           "Difference", "Agrees", "Source"]


def how_data_were_made(plan) -> str:
    """How the plan's frozen synthetic data were made: the plan's ``data.synthetic.notes`` (plan data, the one
    place the report and the SAP document print it from)."""
    synthetic = plan.data.synthetic
    return synthetic.notes.strip() if synthetic is not None else ""


def published_texts(pv) -> tuple[str, str]:
    """(published value as printed, how it is compared: 'exact', 'rounded to 0.1' or 'direction')."""
    if getattr(pv, "comparison", "rounded") != "rounded":
        return pv.direction_text(), "direction"
    if pv.precision == 0:
        return f"{pv.value:g}", "exact"
    return f"{pv.value:.{decimals_for(pv.precision)}f}", f"rounded to {pv.precision:g}"


def decimals_for(precision: float) -> int:
    """Decimal places implied by a precision (0.1 -> 1, 0.05 -> 2, 1 -> 0)."""
    if precision <= 0:
        return 4
    return max(0, math.ceil(-math.log10(precision) - 1e-12))


def _matching_rows(published, tidy: pd.DataFrame) -> pd.DataFrame:
    rows = tidy[tidy["statistic"] == published.statistic]
    if published.visit is not None and "visit" in rows.columns:
        visits = pd.to_numeric(rows["visit"], errors="coerce")
        rows = rows[(visits - float(published.visit)).abs() < 1e-9]
    row_label = getattr(published, "row", None)
    if row_label is not None and "label" in rows.columns:
        return rows[rows["label"].astype(str).str.casefold() == row_label.casefold()]
    if len(rows) > 1 and "label" in rows.columns:
        by_label = rows[rows["label"].astype(str).str.casefold() == published.label.casefold()]
        if len(by_label):
            rows = by_label
    return rows


def find_run_value(published, outcomes: Mapping[str, Any]) -> tuple[float | None, str]:
    """The run's value for one published value and a status note ('' when found once)."""
    outcome = outcomes.get(published.analysis)
    if outcome is None:
        return None, f"analysis {published.analysis} not in this run"
    if outcome.not_estimable:
        return None, f"analysis {published.analysis} not estimable"
    tidy = outcome.rows
    if tidy is None or tidy.empty or "statistic" not in tidy.columns:
        return None, f"analysis {published.analysis} has no result rows"
    column = getattr(published, "column", "estimate")
    rows = _matching_rows(published, tidy)
    values = pd.to_numeric(rows[column], errors="coerce").dropna().unique() if len(rows) else []
    if len(values) == 0:
        return None, "no matching result row"
    if len(values) > 1:
        return None, f"ambiguous: {len(rows)} result rows match"
    return float(values[0]), ""


def _compare(pv, value: float) -> tuple[str, str, str]:
    """(difference text, this run's value as text, 'yes'/'no' agreement) of one published value."""
    comparison = getattr(pv, "comparison", "rounded")
    if comparison == "rounded":
        diff = value - pv.value
        agree = "yes" if abs(diff) <= pv.precision / 2 * (1 + _EPS) + _EPS else "no"
        if pv.precision == 0:
            return f"{diff:+g}", f"{value:g}", agree
        d = decimals_for(pv.precision)
        return f"{diff:+.{d + 2}f}", f"{value:.{d + 2}f}", agree
    agree = value < pv.value if comparison == "below" else value > pv.value
    return "\u2014", f"{value:.4g}" if abs(value) >= 1e-4 else f"{value:.2e}", "yes" if agree else "no"


def summarize_reproduction(plan, outcomes: Mapping[str, Any]) -> pd.DataFrame:
    """One row per published value: label, source, published, run value, difference, agreement."""
    rows = []
    for pv in plan.published:
        value, note = find_run_value(pv, outcomes)
        published, how = published_texts(pv)
        if value is None:
            run_txt, diff_txt, agree = "\u2014", "\u2014", f"not compared ({note})"
        else:
            diff_txt, run_txt, agree = _compare(pv, value)
        visit = "" if pv.visit is None else plan.visit_label(pv.visit)
        column = getattr(pv, "column", "estimate")
        statistic = pv.statistic if column == "estimate" else f"{pv.statistic} ({column})"
        rows.append({"Published quantity": pv.label, "Analysis": pv.analysis, "Statistic": statistic,
                     "Visit": visit, "Published": published, "Compared as": how, "This run": run_txt,
                     "Difference": diff_txt, "Agrees": agree, "Source": pv.source})
    return pd.DataFrame(rows, columns=COLUMNS)


def count_agreement(frame: pd.DataFrame) -> dict[str, int]:
    """Counts of a :func:`summarize_reproduction` frame: total, agree, values (rounded), directions."""
    agree = frame["Agrees"] == "yes"
    direction = frame["Compared as"] == "direction"
    return {"total": len(frame), "agree": int(agree.sum()), "values": int((~direction).sum()),
            "values_agree": int((agree & ~direction).sum()), "directions": int(direction.sum()),
            "directions_agree": int((agree & direction).sum())}
