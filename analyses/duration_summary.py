"""Time-to-event and response-duration summaries by group, as tidy rows.

Input: one row per subject with a time column (e.g. weeks from first response to loss of
response) and an event column (1 = event, e.g. loss of response; 0 = censored, e.g. still
responding at the last assessment). The derivation layer builds these episodes.
Statistics come from :mod:`analyses.duration` and (hazard ratio) :mod:`analyses.cox`.
SAS: PROC LIFETEST ``TIME t*cnsr(1); STRATA group / TEST=LOGRANK; TIMELIST=; RMST(TAU=)``, PROC PHREG;
R: ``survfit``, ``summary(fit, times=)``, ``print(fit, rmean=)``, ``survdiff``, ``coxph``.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Optional, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from analyses.cox import compute_cox_hazard_ratio
from analyses.duration import (check_time_event, compute_km_quantile, compute_km_table, compute_logrank,
                               compute_n_at_risk, compute_rmst, compute_survival_at)
from analyses.results import tidy_frame
from analyses.frames import check_complete_columns

QUANTILE_LABELS = {0.25: "Q1", 0.5: "median", 0.75: "Q3"}


@dataclass(frozen=True)
class TimeToEventResult:
    """Rows of a time-to-event / duration analysis; ``tidy()`` gives the results.json table.

    ``converged``: None without a Cox fit, else whether the reported fit converged; ``warnings``: why the standard
    Cox fit could not be used; ``notes``: the fallback used instead (Firth).
    """

    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)
    converged: Optional[bool] = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows)


def _check_frame(frame: pd.DataFrame, columns: dict[str, str | None]) -> None:
    check_complete_columns(frame, columns)
    t = pd.to_numeric(frame[columns["time"]], errors="coerce")
    bad = frame.index[~np.isfinite(t) | (t < 0)]
    if len(bad):
        raise ValueError(f"column {columns['time']!r} (time) must be numeric and >= 0; bad rows {list(bad[:20])}")
    bad = frame.index[~frame[columns["event"]].isin([0, 1, True, False])]
    if len(bad):
        raise ValueError(f"column {columns['event']!r} (event) must be 0/1; bad rows {list(bad[:20])}")


def _groups(frame: pd.DataFrame, group_col: str | None) -> list:
    if group_col is None:
        return [None]
    s = frame[group_col]
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [c for c in s.cat.categories if (s == c).any()]
    return list(pd.unique(s))


def summarize_time_to_event(frame: pd.DataFrame, *, time_col: str, event_col: str,
                            group_col: str | None = None, group: Any = None, comparator: Any = None,
                            level: float = 0.95, conf_type: str = "log-log",
                            quantiles: Sequence[float] = (0.25, 0.5, 0.75),
                            time_points: Sequence[float] = (), tau: float | None = None,
                            analysis_id: str | None = None, endpoint: str | None = None,
                            population: str | None = None, cox_fallback: Sequence[str] = ()) -> TimeToEventResult:
    """Per group: subjects and events ("count"), KM quantiles with Brookmeyer-Crowley CIs
    ("median"/"quantile"), event-free rates ("survival_rate") and numbers at risk ("n_at_risk") at
    ``time_points``, restricted mean ("rmst") at ``tau``. With ``group`` and ``comparator``: log-rank
    test ("logrank_test", estimate = chi-square) and Cox hazard ratio group vs comparator
    ("hazard_ratio", :func:`analyses.cox.compute_cox_hazard_ratio`: Efron ties, Wald CI, method "cox_efron_wald";
    with ``cox_fallback=("firth",)`` a monotone or non-converged fit is replaced by Firth's, method "cox_firth_pl";
    the row carries ``converged`` and ``iterations`` of the fit reported; a hazard ratio that is not estimable has
    NaN estimates and its reason in the extra column ``not_estimable``; warnings and notes are on the result).
    Times not reached are NaN (written as null).
    """
    _check_frame(frame, {"time": time_col, "event": event_col, "group": group_col})
    if (group is None) != (comparator is None):
        raise ValueError("give both group and comparator, or neither")
    common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
              "level": level, "conf_type": conf_type}
    rows = []
    arms = {}
    for grp in _groups(frame, group_col):
        sub = frame if grp is None else frame[frame[group_col] == grp]
        t, e = check_time_event(sub[time_col].astype(float), sub[event_col].astype(int), str(grp))
        arms[grp] = (t, e)
        table = compute_km_table(t, e, level, conf_type)
        base = dict(common, group=grp, n=int(t.size))
        rows.append(dict(base, statistic="count", estimate=int(t.size), label="subjects"))
        rows.append(dict(base, statistic="count", estimate=int(e.sum()), label="events"))
        for p in quantiles:
            q, lo, hi = compute_km_quantile(table, p)
            stat = "median" if p == 0.5 else "quantile"
            rows.append(dict(base, statistic=stat, estimate=q, ci_lower=lo, ci_upper=hi,
                             label=QUANTILE_LABELS.get(p, f"p{p:g}"), method="brookmeyer_crowley"))
        for at, nr in zip(time_points, compute_n_at_risk(t, time_points)):
            s, se, lo, hi = compute_survival_at(table, at)
            rows.append(dict(base, statistic="survival_rate", estimate=s, se=se, ci_lower=lo,
                             ci_upper=hi, time=at, method="greenwood"))
            rows.append(dict(base, statistic="n_at_risk", estimate=nr, time=at))
        if tau is not None:
            rm, se = compute_rmst(table, tau)
            z = stats.norm.ppf(0.5 + level / 2)
            rows.append(dict(base, statistic="rmst", estimate=rm, se=se, ci_lower=rm - z * se,
                             ci_upper=rm + z * se, time=tau, method="km_area"))
    if group is not None:
        for g in (group, comparator):
            if g not in arms:
                raise ValueError(f"group {g!r} does not occur in column {group_col!r}")
        (t1, e1), (t2, e2) = arms[group], arms[comparator]
        base = dict(common, group=group, comparator=comparator, n=int(t1.size + t2.size))
        lr = compute_logrank(t1, e1, t2, e2)
        rows.append(dict(base, statistic="logrank_test", estimate=lr["chisq"], df=lr["df"],
                         p_value=lr["p_value"], method="logrank"))
        hr = compute_cox_hazard_ratio(t1, e1, t2, e2, level, labels=(str(group), str(comparator)),
                                      fallback=tuple(cox_fallback))
        hr_row = dict(base, statistic="hazard_ratio", estimate=hr["hr"], ci_lower=hr["ci_lower"],
                      ci_upper=hr["ci_upper"], p_value=hr["p_value"], se_log=hr["se"], method=hr["method"],
                      converged=hr["converged"], iterations=hr["iterations"])
        if hr["not_estimable"]:
            hr_row["not_estimable"] = hr["not_estimable"]
        rows.append(hr_row)
        return TimeToEventResult(tuple(rows), converged=hr["converged"], warnings=hr["warnings"], notes=hr["notes"])
    return TimeToEventResult(tuple(rows))


def mean_response_duration(frame: pd.DataFrame, *, time_col: str, event_col: str,
                           group_col: str | None = None, level: float = 0.95,
                           tau: float | None = None, analysis_id: str | None = None,
                           endpoint: str | None = None,
                           population: str | None = None) -> TimeToEventResult:
    """Mean response duration as Wang et al. 2014 (Cell Transplant 23:1293) report it, plus the
    censoring-aware Kaplan-Meier restricted mean.

    Definition used here ("mean_duration"): over responders only (one row each), the arithmetic mean
    of the time from the first response to the first subsequent loss of response; a subject still
    responding at the last assessment contributes the time to that assessment (observed mean,
    censored durations counted as if complete; it therefore underestimates the true mean when
    censoring is present). se = SD/sqrt(n); CI mean +/- t(n-1) se (SAS PROC MEANS CLM).
    Companion ("rmst"): KM area up to ``tau`` (default: the largest observed duration in the
    whole frame, R ``rmean="common"``), with its Greenwood-type SE.
    """
    _check_frame(frame, {"time": time_col, "event": event_col, "group": group_col})
    if len(frame) == 0:
        raise ValueError("no responders: the duration frame is empty")
    if tau is None:
        tau = float(frame[time_col].max())
    common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
              "level": level}
    rows = []
    for grp in _groups(frame, group_col):
        sub = frame if grp is None else frame[frame[group_col] == grp]
        t, e = check_time_event(sub[time_col].astype(float), sub[event_col].astype(int), str(grp))
        n = t.size
        mean = float(t.mean())
        se = float(t.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
        q = stats.t.ppf(0.5 + level / 2, n - 1) if n > 1 else math.nan
        base = dict(common, group=grp, n=n)
        rows.append(dict(base, statistic="mean_duration", estimate=mean, se=se,
                         ci_lower=mean - q * se, ci_upper=mean + q * se, df=n - 1 if n > 1 else None,
                         label=f"observed mean; {int(n - e.sum())} of {n} censored durations counted as complete",
                         method="arithmetic_mean"))
        if tau > 0:
            rm, rse = compute_rmst(compute_km_table(t, e, level, "log-log"), tau)
            z = stats.norm.ppf(0.5 + level / 2)
            rows.append(dict(base, statistic="rmst", estimate=rm, se=rse, ci_lower=rm - z * rse,
                             ci_upper=rm + z * rse, time=tau, method="km_area",
                             label="Kaplan-Meier restricted mean duration"))
    return TimeToEventResult(tuple(rows))
