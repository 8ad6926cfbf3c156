"""Exposure-adjusted incidence rates of first AEs (AET05), per 100 subject-years at risk.

Rate = subjects with the event / subject-years at risk x 100. Time at risk of a subject runs
from ``start`` (day 1, e.g. TRTSDT) to the onset of their *first* event in the row (inclusive)
or, without an event, to the end of observation ``end`` (inclusive): days = stop - start + 1,
years = days / 365.25. An onset after ``end`` still counts as an event, with time at risk
truncated at ``end`` (the number of such subjects is reported in ``onset_after_end``).
CI: exact Poisson (Garwood 1936; chi-square limits) via
``statsmodels.stats.rates.confint_poisson(method="exact-c")`` divided by the subject-years;
R ``poisson.test(x, T)$conf.int``, SAS PROC GENMOD offset models give the same point estimate.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from statsmodels.stats.rates import confint_poisson

from analyses.results import tidy_frame
from analyses.safety_ae_data import TOTAL, AEData
from analyses.safety_ae_tables import _mask, sort_by_frequency

DAYS_PER_YEAR = 365.25


def compute_poisson_rate_ci(events: int, exposure: float, level: float = 0.95,
                            per: float = 100.0) -> tuple[float, float, float]:
    """(rate, lower, upper) per ``per`` units of exposure with the exact Poisson CI."""
    if exposure <= 0:
        raise ValueError(f"exposure must be positive, got {exposure}")
    lo, hi = confint_poisson(int(events), float(exposure), method="exact-c", alpha=1 - level)
    return per * events / exposure, per * float(lo), per * float(hi)


def _to_days(values: pd.Series, name: str) -> tuple[pd.Series, str]:
    """Dates -> days since 1970-01-01 (kind 'date'); numbers kept as days (kind 'day')."""
    if pd.api.types.is_numeric_dtype(values):
        return values.astype(float), "day"
    stripped = values.map(lambda v: v.strip() if isinstance(v, str) else v).replace("", None)
    dt = pd.to_datetime(stripped, errors="coerce")
    bad = stripped.notna() & dt.isna()
    if bad.any():
        raise ValueError(f"column {name!r} has values that are not dates in rows "
                         f"{values.index[bad].tolist()[:20]}")
    return (dt - pd.Timestamp("1970-01-01")).dt.days.astype(float), "date"


@dataclass(frozen=True)
class AERateTable:
    """Exposure-adjusted incidence rates; ``rows`` has one row per label x group."""

    title: str
    rows: pd.DataFrame  # label, soc, pt, group, n_subjects, big_n, subject_years, rate, lower, upper
    level: float
    per: float
    onset_after_end: int
    data: AEData

    def tidy(self, analysis_id: str = "ae_eair", population: str = "SAF") -> pd.DataFrame:
        out = []
        for r in self.rows.itertuples(index=False):
            common = dict(analysis_id=analysis_id, endpoint="TEAE", population=population,
                          group=r.group, n=r.big_n, label=r.label, soc=r.soc, pt=r.pt,
                          subject_years=r.subject_years, per=self.per, level=self.level,
                          method="exact Poisson (Garwood)")
            out.append(dict(common, statistic="count", estimate=int(r.n_subjects)))
            out.append(dict(common, statistic="incidence_rate", estimate=r.rate,
                            ci_lower=r.lower, ci_upper=r.upper))
        return tidy_frame(out)


def summarize_ae_incidence_rate(data: AEData, adsl: pd.DataFrame, *, by: str = "any",
                                start: str = "TRTSDT", end: str = "TRTEDT", onset: str = "ASTDT",
                                subject: str = "USUBJID", where: str | pd.Series | None = None,
                                level: float = 0.95, per: float = 100.0,
                                any_label: str = "Any TEAE") -> AERateTable:
    """Subjects with a first event per subject-years at risk (``by`` = any, soc or pt)."""
    if by not in ("any", "soc", "pt"):
        raise ValueError(f"by={by!r}: use 'any', 'soc' or 'pt'")
    for col in (subject, start, end):
        if col not in adsl.columns:
            raise ValueError(f"ADSL: column {col!r} missing")
    if f"src_{onset}" not in data.ae.columns:
        raise ValueError(f"ADAE: onset column {onset!r} missing")
    sl = adsl.assign(_s=adsl[subject].map(lambda v: v.strip() if isinstance(v, str) else v))
    sl = sl[sl["_s"].isin(set(data.population["subject"]))]
    s_day, s_kind = _to_days(sl[start], start)
    e_day, e_kind = _to_days(sl[end], end)
    bad = sl.index[s_day.isna() | e_day.isna()].tolist()
    if bad:
        raise ValueError(f"ADSL: {start!r}/{end!r} missing for population subjects (rows {bad[:20]})")
    bad = sl.index[e_day < s_day].tolist()
    if bad:
        raise ValueError(f"ADSL: {end!r} before {start!r} (rows {bad[:20]})")
    start_of = dict(zip(sl["_s"], s_day))
    end_of = dict(zip(sl["_s"], e_day))

    ae = data.ae[_mask(data, where)]
    o_day, o_kind = _to_days(ae[f"src_{onset}"], onset)
    if len(ae) and o_kind != s_kind:
        raise ValueError(f"onset {onset!r} ({o_kind}) and start {start!r} ({s_kind}) must both be "
                         "dates or both be day numbers")
    if s_kind != e_kind:
        raise ValueError(f"{start!r} and {end!r} must both be dates or both be day numbers")
    bad = ae.index[o_day.isna()].tolist()
    if bad:
        raise ValueError(f"ADAE: onset {onset!r} missing for analysed records (rows {bad[:20]}); "
                         "time at risk cannot be computed")
    ae = ae.assign(_onset=o_day, _start=ae["subject"].map(start_of))
    bad = ae.index[ae["_onset"] < ae["_start"]].tolist()
    if bad:
        raise ValueError(f"ADAE: onset {onset!r} before {start!r} in analysed records (rows {bad[:20]})")

    pop = data.population.assign(_start=lambda f: f["subject"].map(start_of),
                                 _end=lambda f: f["subject"].map(end_of))
    if by == "any":
        defs = [(None, None, any_label)]
    elif by == "soc":
        defs = [(s, None, s) for s in sort_by_frequency(ae, "soc")]
    else:
        defs = [(s, p, p) for s, p in sort_by_frequency(ae, "pt", within="soc")]
    rows = []
    after_end = set()
    for soc, pt, label in defs:
        sub = ae
        if soc is not None:
            sub = sub[sub["soc"] == soc]
        if pt is not None:
            sub = sub[sub["pt"] == pt]
        first = sub.groupby("subject")["_onset"].min()
        p = pop.assign(_first=pop["subject"].map(first))
        has = p["_first"].notna()
        after_end |= set(p.loc[has & (p["_first"] > p["_end"]), "subject"])
        stop = np.where(has, np.minimum(p["_first"], p["_end"]), p["_end"])
        p = p.assign(_years=(stop - p["_start"] + 1) / DAYS_PER_YEAR, _has=has)
        for g in data.groups:
            pg = p if g == TOTAL else p[p["group"] == g]
            x, sy = int(pg["_has"].sum()), float(pg["_years"].sum())
            rate, lo, hi = (compute_poisson_rate_ci(x, sy, level, per) if sy > 0
                            else (np.nan, np.nan, np.nan))
            rows.append(dict(label=label, soc=soc, pt=pt, group=g, n_subjects=x,
                             big_n=data.big_n[g], subject_years=sy, rate=rate, lower=lo, upper=hi))
    return AERateTable(f"Exposure-adjusted incidence of first TEAE (per {per:g} SY)",
                       pd.DataFrame(rows), level, per, len(after_end), data)
