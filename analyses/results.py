"""Tidy result rows shared by every analysis (the ``results.json`` contract of DESIGN.md).

Every analysis returns a result object with a ``tidy()`` method giving a pandas DataFrame
whose first columns are exactly :data:`RESULT_COLUMNS` (extra descriptive columns such as
``method``, ``level``, ``parameter`` or ``label`` may follow). ``statistic`` takes a value
from :data:`STATISTICS`. Missing values are ``None``/NaN and are written to JSON as null.
"""
from __future__ import annotations

import math
from typing import Any, Iterable, Mapping

import pandas as pd

RESULT_COLUMNS: tuple[str, ...] = (
    "analysis_id", "endpoint", "population", "visit", "group", "comparator", "statistic",
    "estimate", "se", "ci_lower", "ci_upper", "df", "p_value", "n",
)

#: Controlled vocabulary of the ``statistic`` column.
STATISTICS: dict[str, str] = {
    "count": "number of subjects (or events, see `label`)",
    "event_count": "number of events (records)",
    "percent": "percentage of the column N",
    "proportion": "proportion with exact/score CI",
    "difference": "difference in proportions (group minus comparator)",
    "relative_risk": "ratio of proportions",
    "odds_ratio": "odds ratio",
    "mean": "arithmetic mean (se = standard error of the mean)",
    "sd": "standard deviation",
    "median": "median (Kaplan-Meier for time-to-event)",
    "quantile": "quantile (see `label`, e.g. Q1/Q3)",
    "min": "minimum",
    "max": "maximum",
    "lsmean": "least-squares mean",
    "lsmean_difference": "difference in least-squares means",
    "f_test": "type-3 F test (estimate = F value, df = denominator df)",
    "chisq_test": "chi-square / CMH test (estimate = statistic)",
    "fisher_test": "Fisher exact test",
    "logrank_test": "log-rank test",
    "t_test": "t test, e.g. paired t-test of the change from baseline (estimate = t, df, p_value)",
    "signed_rank_test": "Wilcoxon signed-rank test (estimate = V, sum of positive ranks; n = non-zero differences)",
    "hazard_ratio": "Cox proportional-hazards hazard ratio",
    "survival_rate": "Kaplan-Meier event-free probability at a time point",
    "rmst": "restricted mean (survival/duration) time",
    "mean_duration": "arithmetic mean duration as reported by Wang 2013",
    "n_at_risk": "number at risk at a time point",
    "incidence_rate": "exposure-adjusted incidence rate (per 100 subject-years)",
    "adjusted_p_value": "multiplicity-adjusted p-value",
    "decision": "dose-escalation decision (see `label`)",
    "probability": "probability (e.g. operating characteristics)",
    "expected_value": "expected value (e.g. expected sample size)",
    "variance_component": "covariance parameter",
    "loglik": "log-likelihood",
}


def make_row(**values: Any) -> dict[str, Any]:
    """Return one result row with every column of RESULT_COLUMNS (missing ones None)."""
    unknown_stat = values.get("statistic")
    if unknown_stat is not None and unknown_stat not in STATISTICS:
        raise ValueError(f"statistic {unknown_stat!r} is not in the results vocabulary")
    row = {c: values.pop(c, None) for c in RESULT_COLUMNS}
    row.update(values)
    return row


def tidy_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Build a DataFrame with RESULT_COLUMNS first from row mappings."""
    rows = [make_row(**dict(r)) for r in rows]
    frame = pd.DataFrame(rows)
    if frame.empty:
        return pd.DataFrame(columns=list(RESULT_COLUMNS))
    extra = [c for c in frame.columns if c not in RESULT_COLUMNS]
    return frame[list(RESULT_COLUMNS) + extra]


def json_safe(value: Any) -> Any:
    """Convert numpy/pandas scalars and NaN to JSON-serialisable Python values."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value
