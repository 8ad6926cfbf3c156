"""Study day and analysis-visit windowing of BDS records (hand-written; the SAS equivalent is a
DATA step merging a window table, R ``admiral::derive_vars_dy`` + ``derive_var_extreme_flag``).

Rules (prespecified in the plan's schedule, :class:`sap.spec.Schedule`, via :class:`sap.derive.options.DeriveOptions`):

* Study day: ``ADY`` when present; otherwise from ``ADT`` and ADSL ``TRTSDT`` with no day 0
  (``ADT - TRTSDT + 1`` on/after first dose, ``ADT - TRTSDT`` before).
* A record is assigned to the window ``lo <= ADY <= hi`` that contains its study day; a record
  without a study day is assigned by its collected (nominal) visit number.  With no windows the
  collected AVISITN is the analysis visit.
* Baseline (AVISITN 0) candidates are pre-dose records only (``ADY <= 1``, or nominal visit 0
  without a day); the baseline is the *last* non-missing one (whatever the window rule).
* Several records of a subject/parameter in one post-baseline window: ``closest_then_latest``
  (closest to the target day, then the later day), ``latest``, or ``worst`` (worst value: the
  highest, except for mobility measures where higher is better; then closest, then later).
  Remaining exact ties are broken by the worse value, so the choice never depends on row order.
* A derived record of the sponsor (``DTYPE`` not missing, e.g. LOCF) is never the analysed record: the plan
  analyses observed values and the package derives its own scores.
* Nothing is dropped: records not chosen keep ``ANL01FL = 'N'`` with the reason in ``ANLREAS``.
  The collected visit is kept in ``AVISIT_NOM``/``AVISITN_NOM``.
"""
from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from sap.spec import Visit

#: Parameters for which a higher value is better (spinal mobility); all others: higher is worse.
HIGHER_IS_BETTER = frozenset({"SCHOBER", "LATFLXL", "LATFLXR", "LATFLX", "IMD", "CERVROTL", "CERVROTR", "CERVROT"})

REASON_OUTSIDE = "outside all visit windows"
REASON_NOT_SELECTED = "another record selected in the visit window"
REASON_MISSING = "AVAL missing"
REASON_POST_DOSE_BASELINE = "nominal baseline record after first dose"
REASON_DERIVED_TYPE = "derived record (DTYPE, e.g. LOCF): not an observed value"


def to_date(values: pd.Series, column: str) -> pd.Series:
    """Parse a date column: datetime, ISO strings, or SAS numeric dates (days since 1960-01-01)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return values.dt.normalize()
    if pd.api.types.is_numeric_dtype(values):
        return pd.to_datetime(values, unit="D", origin=pd.Timestamp("1960-01-01"))
    try:
        return pd.to_datetime(values, errors="raise").dt.normalize()
    except (ValueError, TypeError) as exc:
        raise ValueError(f"column {column}: cannot parse dates ({exc})") from None


def compute_study_day(dates: pd.Series, trtsdt: pd.Series) -> pd.Series:
    """Study day with no day 0: date - TRTSDT + 1 on/after first dose, date - TRTSDT before."""
    delta = (dates - trtsdt).dt.days.astype(float)
    return delta.where(delta < 0, delta + 1)


def derive_study_day(frame: pd.DataFrame, adsl: pd.DataFrame | None) -> pd.DataFrame:
    """Return ``frame`` with ``ADY`` filled from ``ADT`` and ADSL ``TRTSDT`` where missing."""
    out = frame.copy()
    if "ADY" not in out.columns:
        out["ADY"] = np.nan
    out["ADY"] = pd.to_numeric(out["ADY"], errors="raise").astype(float)
    if "ADT" in out.columns and adsl is not None and "TRTSDT" in adsl.columns:
        need = out["ADY"].isna() & out["ADT"].notna()
        if need.any():
            trt = adsl.set_index("USUBJID")["TRTSDT"]
            trt = to_date(trt, "ADSL.TRTSDT")
            adt = to_date(out.loc[need, "ADT"], "ADT")
            start = out.loc[need, "USUBJID"].map(trt)
            out.loc[need, "ADY"] = compute_study_day(adt, start).to_numpy()
    return out


def nominal_day(avisitn) -> float | np.ndarray:
    """Nominal study day of study week ``avisitn`` (week w -> day 7w + 1; day 1 = first dose)."""
    return np.asarray(avisitn, dtype=float) * 7.0 + 1.0


def _assign_windows(out: pd.DataFrame, windows: Sequence[Visit]) -> None:
    """Set AVISITN/AVISIT (analysis visit), AWTARGET, AWLO/AWHI of ``out`` in place from its ADY (or, without a
    day, its collected visit); with no windows the collected visit is the analysis visit."""
    ady = out["ADY"].astype(float).to_numpy()
    nom = out["AVISITN_NOM"].to_numpy()
    n = len(out)
    vis_n = np.full(n, np.nan)
    vis_c = np.full(n, None, dtype=object)
    target = np.full(n, np.nan)
    lo_arr, hi_arr = np.full(n, np.nan), np.full(n, np.nan)
    if windows:
        for w in windows:
            inside = (ady >= w.lo) & (ady <= w.hi)
            by_nominal = np.isnan(ady) & (nom == w.avisitn)
            hit = inside | by_nominal
            vis_n[hit], vis_c[hit], target[hit] = w.avisitn, w.label, w.target_day
            lo_arr[hit], hi_arr[hit] = w.lo, w.hi
    else:
        vis_n = nom.copy()
        vis_c = out["AVISIT_NOM"].to_numpy(dtype=object)
        target = np.where(nom == 0, 1.0, nominal_day(nom))
    out["AVISITN"], out["AVISIT"], out["AWTARGET"] = vis_n, vis_c, target
    out["AWLO"], out["AWHI"] = lo_arr, hi_arr


def derived_type(frame: pd.DataFrame) -> np.ndarray:
    """True for the sponsor's derived records (ADaM ``DTYPE`` not missing, e.g. LOCF): the package analyses observed
    values only and derives its own scores, so such records are kept but never analysed."""
    if "DTYPE" not in frame.columns:
        return np.zeros(len(frame), dtype=bool)
    return frame["DTYPE"].astype("string").str.strip().fillna("").ne("").to_numpy(dtype=bool)


def _exclusion_reasons(out: pd.DataFrame, exclude_reason: pd.Series | None) -> np.ndarray:
    """Per row, why it can never be the analysed record ('' = eligible)."""
    ady = out["ADY"].astype(float).to_numpy()
    vis_n = out["AVISITN"].to_numpy(dtype=float)
    reason = np.full(len(out), "", dtype=object)
    reason[np.isnan(vis_n)] = REASON_OUTSIDE
    post_dose_base = (vis_n == 0) & ~np.isnan(ady) & (ady > 1)
    reason[post_dose_base & (reason == "")] = REASON_POST_DOSE_BASELINE
    aval = pd.to_numeric(out["AVAL"], errors="coerce").to_numpy(dtype=float)
    reason[np.isnan(aval) & (reason == "")] = REASON_MISSING
    reason[derived_type(out) & (reason == "")] = REASON_DERIVED_TYPE
    if exclude_reason is not None:
        ex = exclude_reason.reindex(out.index).fillna("").to_numpy(dtype=object)
        reason = np.where((ex != "") & (reason == ""), ex, reason)
    return reason


def _chosen_records(out: pd.DataFrame, eligible: np.ndarray, rule: str) -> np.ndarray:
    """True for the one analysed record per subject/parameter/analysis visit among the ``eligible`` rows."""
    ady = out["ADY"].astype(float).to_numpy()
    vis_n = out["AVISITN"].to_numpy(dtype=float)
    target = out["AWTARGET"].to_numpy(dtype=float)
    aval = pd.to_numeric(out["AVAL"], errors="coerce").to_numpy(dtype=float)
    day = np.where(np.isnan(ady), target, ady)
    sign = np.where(out["PARAMCD"].isin(HIGHER_IS_BETTER).to_numpy(), -1.0, 1.0)
    work = pd.DataFrame({
        "row": np.arange(len(out)), "USUBJID": out["USUBJID"].to_numpy(), "PARAMCD": out["PARAMCD"].to_numpy(),
        "vis": vis_n, "base": vis_n == 0, "dist": np.abs(day - target), "day": day, "worse": aval * sign,
    })[eligible]
    if rule == "closest_then_latest":
        keys, asc = ["dist", "day", "worse"], [True, False, False]
    elif rule == "latest":
        keys, asc = ["day", "worse"], [False, False]
    else:
        keys, asc = ["worse", "dist", "day"], [False, True, False]
    # baseline: last pre-dose value, then worse
    work["k1"] = np.where(work["base"], -work["day"], 0.0)
    work = work.sort_values(["USUBJID", "PARAMCD", "vis", "k1"] + keys,
                            ascending=[True, True, True, True] + asc, kind="mergesort")
    first = ~work.duplicated(["USUBJID", "PARAMCD", "vis"], keep="first")
    chosen = np.zeros(len(out), dtype=bool)
    chosen[work.loc[first, "row"].to_numpy()] = True
    return chosen


def derive_analysis_visits(frame: pd.DataFrame, windows: Sequence[Visit], rule: str,
                           exclude_reason: pd.Series | None = None) -> pd.DataFrame:
    """Assign analysis visits and flag the analysed record (ANL01FL) per subject/parameter/visit.

    Input: BDS frame with USUBJID, PARAMCD, AVAL, AVISIT, AVISITN and ADY (may be NaN); ``windows`` and
    ``rule`` are the plan's (``schedule.visits``, ``schedule.window_rule``).
    Output: same rows (same order) with AVISIT/AVISITN = analysis visit, AVISIT_NOM/AVISITN_NOM,
    ANL01FL ('Y'/'N'), ANLREAS, AWTARGET (target day), AWLO/AWHI (window bounds).
    ``exclude_reason``: optional per-row reason (non-empty = never analysed, e.g. a sponsor score
    superseded by the re-derived one); such rows still get their analysis visit.
    """
    if rule not in ("closest_then_latest", "latest", "worst"):
        raise ValueError(f"window rule must be closest_then_latest, latest or worst, got {rule!r}")
    missing = [c for c in ("USUBJID", "PARAMCD", "AVAL", "AVISITN") if c not in frame.columns]
    if missing:
        raise ValueError(f"BDS frame: missing columns {missing}")
    out = frame.copy()
    if "AVISIT" not in out.columns:
        out["AVISIT"] = out["AVISITN"].map(lambda v: f"Week {v:g}" if pd.notna(v) else None)
    if "ADY" not in out.columns:
        out["ADY"] = np.nan
    out["AVISIT_NOM"] = out["AVISIT"]
    out["AVISITN_NOM"] = pd.to_numeric(out["AVISITN"], errors="raise").astype(float)
    _assign_windows(out, windows)
    reason = _exclusion_reasons(out, exclude_reason)
    eligible = reason == ""
    chosen = _chosen_records(out, eligible, rule)
    reason[eligible & ~chosen] = REASON_NOT_SELECTED
    out["ANL01FL"] = np.where(chosen, "Y", "N")
    out["ANLREAS"] = reason
    return out
