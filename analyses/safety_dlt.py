"""DLT rate per dose level among DLT-evaluable subjects, with Clopper-Pearson CI.

A subject has a DLT if any of their ADAE records has DLTFL = Y. The denominator is the number
of DLT-evaluable subjects (ADSL DLTEVLFL = Y) at the dose. DLT records of subjects who are not
DLT-evaluable (or not in ADSL) are reported in ``excluded``, not dropped silently.
CI: exact Clopper-Pearson via ``statsmodels.stats.proportion.proportion_confint(method="beta")``
(R ``binom.test``; SAS PROC FREQ BINOMIAL exact limits).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.proportion import proportion_confint

from analyses.results import tidy_frame


def _clean(s: pd.Series) -> pd.Series:
    return s.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)


@dataclass(frozen=True)
class DLTRateResult:
    """Per dose: evaluable N, subjects with DLT, rate and exact CI."""

    rows: pd.DataFrame  # dose, n, n_dlt, rate, lower, upper
    level: float
    excluded: pd.DataFrame  # reason, records, subjects

    def tidy(self, analysis_id: str = "dlt_rate", population: str = "DLT-evaluable") -> pd.DataFrame:
        return tidy_frame(dict(analysis_id=analysis_id, endpoint="DLT", population=population,
                               group=str(r.dose), statistic="proportion", estimate=r.rate,
                               ci_lower=r.lower, ci_upper=r.upper, n=int(r.n),
                               n_events=int(r.n_dlt), method="clopper_pearson", level=self.level)
                          for r in self.rows.itertuples(index=False))


def summarize_dlt_rate(adsl: pd.DataFrame, adae: pd.DataFrame, *, dose: str = "DOSE",
                       evaluable_flag: str = "DLTEVLFL", dlt_flag: str = "DLTFL",
                       subject: str = "USUBJID", dose_levels: Sequence | None = None,
                       level: float = 0.95) -> DLTRateResult:
    """DLT rate (subjects with >= 1 DLT / DLT-evaluable subjects) per dose level."""
    for frame, name, cols in ((adsl, "ADSL", (subject, dose, evaluable_flag)),
                              (adae, "ADAE", (subject, dlt_flag))):
        missing = [c for c in cols if c not in frame.columns]
        if missing:
            raise ValueError(f"{name}: required column(s) {missing} missing")
    sl = adsl.assign(_s=_clean(adsl[subject]), _e=_clean(adsl[evaluable_flag]).str.upper())
    dup = sl.index[sl["_s"].duplicated(keep=False)].tolist()
    if dup:
        raise ValueError(f"ADSL column {subject!r} is not unique (rows {dup[:20]})")
    ev = sl[sl["_e"] == "Y"]
    bad = ev.index[ev[dose].isna()].tolist()
    if bad:
        raise ValueError(f"ADSL column {dose!r} missing for DLT-evaluable subjects (rows {bad[:20]})")
    flag = _clean(adae[dlt_flag]).map(lambda v: v.upper() if isinstance(v, str) else v)
    badf = flag.notna() & ~flag.isin(["Y", "N"])
    if badf.any():
        raise ValueError(f"ADAE column {dlt_flag!r} must be Y/N/blank (rows {flag.index[badf].tolist()[:20]})")
    dl = adae.assign(_s=_clean(adae[subject]))[flag == "Y"]
    known = dl["_s"].isin(set(sl["_s"]))
    evalu = dl["_s"].isin(set(ev["_s"]))
    excluded = pd.DataFrame({
        "reason": ["subject not in ADSL", "subject not DLT-evaluable"],
        "records": [int((~known).sum()), int((known & ~evalu).sum())],
        "subjects": [tuple(sorted(dl.loc[~known, "_s"].unique())),
                     tuple(sorted(dl.loc[known & ~evalu, "_s"].unique()))]})
    with_dlt = set(dl.loc[evalu, "_s"])
    present = list(pd.unique(ev[dose]))
    if dose_levels is None:
        order = sorted(present)
    else:
        order = list(dose_levels)
        extra = [d for d in present if d not in order]
        if extra:
            raise ValueError(f"ADSL column {dose!r} has levels {extra} not in dose_levels {order}")
    rows = []
    for d in order:
        subj = ev.loc[ev[dose] == d, "_s"]
        n, x = int(len(subj)), int(subj.isin(with_dlt).sum())
        if n:
            lo, hi = proportion_confint(x, n, alpha=1 - level, method="beta")
            rate = x / n
        else:
            rate = lo = hi = np.nan
        rows.append(dict(dose=d, n=n, n_dlt=x, rate=rate, lower=float(lo), upper=float(hi)))
    return DLTRateResult(pd.DataFrame(rows), level, excluded)
