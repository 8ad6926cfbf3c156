"""Kaplan-Meier estimates for time-to-event and response-duration endpoints.

The Kaplan-Meier curve and its event table come from ``lifelines.KaplanMeierFitter``; the log-rank
test from ``lifelines.statistics``; the Cox hazard ratio is in :mod:`analyses.cox`. Hand-written here
because lifelines offers only the log-log band and no quantile CIs: Greenwood pointwise bands for the
``log``, ``log-log`` and ``plain`` transforms, Brookmeyer-Crowley quantile CIs, and the restricted mean with its SE.

References
    Kaplan EL, Meier P (1958). JASA 53:457.  Greenwood M (1926) variance.
    Brookmeyer R, Crowley J (1982). A confidence interval for the median survival time.
        Biometrics 38:29.
SAS: PROC LIFETEST (CONFTYPE=LOGLOG default; RMST; TIMELIST=; STRATA / TEST=LOGRANK).
R: ``survival::survfit`` (conf.type "log" default), ``quantile.survfit``, ``print(fit, rmean=)``,
``survdiff``.
"""
from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.statistics import logrank_test as lifelines_logrank_test

from analyses.binary import check_level

CONF_TYPES = ("log-log", "log", "plain")
_TOL = math.sqrt(np.finfo(float).eps)  # tie tolerance of R quantile.survfit


def check_time_event(time, event, label: str = "") -> tuple[np.ndarray, np.ndarray]:
    """Return (time, event) as float/int arrays; raise ValueError naming the bad rows."""
    where = f" ({label})" if label else ""
    t = np.asarray(time, dtype=float)
    e_raw = np.asarray(event, dtype=float)
    if t.shape != e_raw.shape or t.ndim != 1:
        raise ValueError(f"time and event{where} must be 1-D and of equal length")
    if t.size == 0:
        raise ValueError(f"time{where} is empty")
    bad = np.flatnonzero(~np.isfinite(t) | (t < 0))
    if bad.size:
        raise ValueError(f"time{where} must be finite and >= 0; bad rows {bad[:20].tolist()}")
    bad = np.flatnonzero(~np.isin(e_raw, (0.0, 1.0)))
    if bad.size:
        raise ValueError(f"event{where} must be 0 (censored) or 1 (event); bad rows {bad[:20].tolist()}")
    return t, e_raw.astype(int)


def compute_km_table(time, event, level: float = 0.95, conf_type: str = "log-log") -> pd.DataFrame:
    """Kaplan-Meier table at each distinct time: n_risk, n_event, n_censor, surv, std_err, lower, upper.

    ``std_err`` is the Greenwood standard error of S(t). Pointwise limits (as R ``survfit`` and SAS
    LIFETEST): ``plain`` S +/- z se; ``log`` exp(log S +/- z se/S); ``log-log``
    exp(-exp(log(-log S) -/+ z se/(S |log S|))). Limits are clipped to [0, 1] and equal 1 where S = 1.
    Where S = 0 the Greenwood SE is 0 * inf, so SE and limits are undefined (NaN) for every
    transform, as in R (a naive implementation would let the band touch 0 and end a CI there).
    """
    t, e = check_time_event(time, event)
    z = check_level(level)
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type={conf_type!r}; expected one of {CONF_TYPES}")
    kmf = KaplanMeierFitter().fit(t, e)
    table = kmf.event_table.iloc[:, :]
    table = table[table.index > 0] if (t > 0).all() else table
    times = table.index.to_numpy(dtype=float)
    n_risk = table["at_risk"].to_numpy(dtype=float)
    n_event = table["observed"].to_numpy(dtype=float)
    n_censor = table["censored"].to_numpy(dtype=float)
    surv = kmf.survival_function_.loc[times].to_numpy(dtype=float).ravel()
    with np.errstate(divide="ignore", invalid="ignore"):
        increments = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    greenwood = np.cumsum(increments)  # inf once S reaches 0
    with np.errstate(invalid="ignore", divide="ignore"):
        se_cumhaz = np.sqrt(greenwood)
        std_err = surv * se_cumhaz
        if conf_type == "plain":
            lower = surv - z * std_err
            upper = surv + z * std_err
            lower = np.where(surv == 0, np.nan, lower)
            upper = np.where(surv == 0, np.nan, upper)
        elif conf_type == "log":
            lower = surv * np.exp(-z * se_cumhaz)
            upper = surv * np.exp(z * se_cumhaz)
            lower = np.where(surv == 0, np.nan, lower)
            upper = np.where(surv == 0, np.nan, upper)
        else:
            log_s = np.log(surv)
            se_g = se_cumhaz / np.abs(log_s)
            g = np.log(-log_s)
            lower = np.exp(-np.exp(g + z * se_g))
            upper = np.exp(-np.exp(g - z * se_g))
            lower = np.where(surv == 0, np.nan, lower)
            upper = np.where(surv == 0, np.nan, upper)
    lower = np.where(surv == 1, 1.0, np.clip(lower, 0.0, 1.0))
    upper = np.where(surv == 1, 1.0, np.clip(upper, 0.0, 1.0))
    std_err = np.where(surv == 0, np.nan, std_err)
    return pd.DataFrame({"time": times, "n_risk": n_risk.astype(int), "n_event": n_event.astype(int),
                         "n_censor": n_censor.astype(int), "surv": surv, "std_err": std_err,
                         "lower": lower, "upper": upper})


def compute_curve_quantile(times: np.ndarray, curve: np.ndarray, p: float) -> float:
    """Time at which a decreasing step curve first reaches 1 - p (NaN if it never does).

    If the curve equals 1 - p exactly (within sqrt(machine eps)) on a flat stretch, return the
    midpoint between the start of that stretch and the next time it drops below (R quantile.survfit;
    SAS LIFETEST uses the same midpoint rule). Undefined (NaN) curve points never count as reaching.
    """
    target = 1.0 - p
    ok = np.isfinite(curve)
    hit = np.flatnonzero(ok & (curve <= target + _TOL))
    if hit.size == 0:
        return math.nan
    i = hit[0]
    if abs(curve[i] - target) > _TOL:
        return float(times[i])
    below = np.flatnonzero(ok & (curve < target - _TOL))
    below = below[below > i]
    if below.size == 0:
        return float(times[i])
    return float((times[i] + times[below[0]]) / 2.0)


def compute_km_quantile(table: pd.DataFrame, p: float = 0.5) -> tuple[float, float, float]:
    """(estimate, lower, upper) of the p-quantile, CI by Brookmeyer-Crowley inversion of the band.

    Lower limit: first time the lower pointwise band reaches 1 - p; upper limit: first time the
    upper band does (NaN = not reached / not estimable), as R ``quantile.survfit``.
    """
    if not 0.0 < p < 1.0:
        raise ValueError(f"quantile probability {p!r} must lie strictly between 0 and 1")
    times = table["time"].to_numpy(float)
    return (compute_curve_quantile(times, table["surv"].to_numpy(float), p),
            compute_curve_quantile(times, table["lower"].to_numpy(float), p),
            compute_curve_quantile(times, table["upper"].to_numpy(float), p))


def compute_survival_at(table: pd.DataFrame, at: float) -> tuple[float, float, float, float]:
    """(surv, std_err, lower, upper) of the KM curve at time ``at`` (right-continuous step).

    Beyond the largest observed time the curve is undefined (NaN) unless it has already reached 0.
    """
    times = table["time"].to_numpy(float)
    if at < 0:
        raise ValueError(f"time point {at!r} must be >= 0")
    idx = np.searchsorted(times, at, side="right") - 1
    if idx < 0:
        return 1.0, 0.0, 1.0, 1.0
    row = table.iloc[idx]
    if at > times[-1] and row["surv"] > 0:
        return math.nan, math.nan, math.nan, math.nan
    return float(row["surv"]), float(row["std_err"]), float(row["lower"]), float(row["upper"])


def compute_rmst(table: pd.DataFrame, tau: float) -> tuple[float, float]:
    """Restricted mean time min(T, tau): area under the KM curve on [0, tau], with its SE.

    SE^2 = sum over event times t_j < tau of A_j^2 d_j / (n_j (n_j - d_j)), A_j = area under the
    curve from t_j to tau (R survival ``print(fit, rmean=tau)``, SAS LIFETEST RMST). If tau exceeds
    the largest time, the last value of the curve is carried forward (R's convention).
    """
    if not tau > 0:
        raise ValueError(f"tau={tau!r} must be > 0")
    times = table["time"].to_numpy(float)
    surv = table["surv"].to_numpy(float)
    keep = times < tau
    knots = np.concatenate(([0.0], times[keep], [tau]))
    levels = np.concatenate(([1.0], surv[keep]))
    pieces = np.diff(knots) * levels
    rmean = float(pieces.sum())
    # area to the right of each knot after the first
    right_area = np.cumsum(pieces[::-1])[::-1][1:]
    d = table["n_event"].to_numpy(float)[keep]
    n = table["n_risk"].to_numpy(float)[keep]
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where((n - d) > 0, d / (n * (n - d)), 0.0)
    return rmean, float(math.sqrt(np.sum(right_area ** 2 * h)))


def compute_n_at_risk(time, at: Sequence[float]) -> list[int]:
    """Number of subjects still at risk at each time point: count of times >= t."""
    t = np.asarray(time, dtype=float)
    return [int(np.sum(t >= a)) for a in at]


def km_summary(time, event, level: float = 0.95, conf_type: str = "log-log") -> dict:
    """n, events, KM median and its Brookmeyer-Crowley CI (NaN where not reached).

    ``conf_type``: "log-log" (SAS default), "log" (R default), "plain" (linear).
    """
    t, e = check_time_event(time, event)
    table = compute_km_table(t, e, level, conf_type)
    median, lower, upper = compute_km_quantile(table, 0.5)
    return {"n": int(t.size), "events": int(e.sum()), "median": median,
            "ci_lower": lower, "ci_upper": upper, "level": level, "conf_type": conf_type}


def compute_logrank(time1, event1, time2, event2) -> dict:
    """Two-sample log-rank test (lifelines; R ``survdiff`` rho=0, SAS LIFETEST TEST=LOGRANK)."""
    t1, e1 = check_time_event(time1, event1, "group")
    t2, e2 = check_time_event(time2, event2, "comparator")
    res = lifelines_logrank_test(t1, t2, event_observed_A=e1, event_observed_B=e2)
    return {"chisq": float(res.test_statistic), "df": 1, "p_value": float(res.p_value)}
