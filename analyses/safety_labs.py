"""Laboratory safety: normal-range shift tables and change-from-baseline summaries.

Shift (LBT14/LBT15): each population subject is counted once per parameter, in the cell
(baseline category x worst post-baseline category). Categories are LOW / NORMAL / HIGH, from
ANRIND (or derived from AVAL and ANRLO/ANRHI, or A1LO/A1HI: below the lower limit = LOW,
above the upper = HIGH, limits themselves NORMAL). Baseline category: BNRIND if present, else
the baseline record's category. "Worst" = furthest from normal: LOW and HIGH rank above
NORMAL; a subject with both LOW and HIGH post-baseline values gets the direction with the larger
deviation relative to the normal range width (|x - limit| / (ANRHI - ANRLO)); when that is
undecidable (equal, or ANRIND without limits) the ``tie`` option decides (default HIGH).
Subjects without a baseline or post-baseline value fall in a "MISSING" category, so every
column sums to the population N. Change from baseline: n, mean, SD, median, min, max of AVAL
and CHG = AVAL - baseline AVAL by visit and group (tern::summarize_change; SAS PROC MEANS).
Hand-written on pandas.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from analyses.descriptive import compute_descriptive
from analyses.results import tidy_frame

CATEGORIES = ("LOW", "NORMAL", "HIGH", "MISSING")
_MAP = {"LOW": "LOW", "L": "LOW", "NORMAL": "NORMAL", "N": "NORMAL", "HIGH": "HIGH", "H": "HIGH"}
TOTAL = "Total"


def _clean(s: pd.Series) -> pd.Series:
    return s.astype(object).map(lambda v: (v.strip() or None) if isinstance(v, str) else v)


def _population(adsl, subject, group, population_flag, group_order, total):
    for c in (subject, group) + ((population_flag,) if population_flag else ()):
        if c not in adsl.columns:
            raise ValueError(f"ADSL: column {c!r} missing")
    sl = adsl.assign(_s=_clean(adsl[subject]), _g=_clean(adsl[group]))
    if population_flag:
        sl = sl[_clean(sl[population_flag]).map(lambda v: str(v).upper() if v else v) == "Y"]
    dup = sl.index[sl["_s"].duplicated(keep=False)].tolist()
    if dup:
        raise ValueError(f"ADSL column {subject!r} is not unique (rows {dup[:20]})")
    bad = sl.index[sl["_g"].isna()].tolist()
    if bad:
        raise ValueError(f"ADSL column {group!r} missing for population subjects (rows {bad[:20]})")
    pop = pd.DataFrame({"subject": sl["_s"].astype(str), "group": sl["_g"].astype(str)})
    present = sorted(pop["group"].unique())
    order = present if group_order is None else [str(g) for g in group_order]
    extra = [g for g in present if g not in order]
    if extra:
        raise ValueError(f"ADSL column {group!r} has groups {extra} not in group_order {order}")
    return pop, tuple(order) + ((TOTAL,) if total else ())


def derive_range_category(adlb: pd.DataFrame, *, aval: str = "AVAL", indicator: str = "ANRIND",
                          low: str | None = None, high: str | None = None) -> pd.Series:
    """LOW/NORMAL/HIGH per record from ``indicator`` if present, else from AVAL and the limits
    (ANRLO/ANRHI, else A1LO/A1HI); NaN where undeterminable. Unknown indicator values raise."""
    if indicator in adlb.columns and low is None and high is None:
        raw = _clean(adlb[indicator]).map(lambda v: str(v).upper() if v is not None and v == v else None)
        bad = raw.notna() & ~raw.isin(list(_MAP))
        if bad.any():
            raise ValueError(f"ADLB column {indicator!r} must be LOW/NORMAL/HIGH; rows "
                             f"{raw.index[bad].tolist()[:20]} have {sorted(raw[bad].unique())[:5]}")
        return raw.map(_MAP)
    lo_col, hi_col = _limit_columns(adlb, low, high)
    x = pd.to_numeric(adlb[aval], errors="coerce")
    lo = pd.to_numeric(adlb[lo_col], errors="coerce")
    hi = pd.to_numeric(adlb[hi_col], errors="coerce")
    cat = pd.Series(np.where(x.isna(), None, "NORMAL"), index=adlb.index, dtype=object)
    cat[(x < lo) & lo.notna()] = "LOW"
    cat[(x > hi) & hi.notna()] = "HIGH"
    cat[x.notna() & lo.isna() & hi.isna()] = None
    return cat


def _limit_columns(adlb, low, high):
    if low and high:
        pairs = [(low, high)]
    else:
        pairs = [("ANRLO", "ANRHI"), ("A1LO", "A1HI")]
    for lo, hi in pairs:
        if lo in adlb.columns and hi in adlb.columns:
            return lo, hi
    raise ValueError("ADLB needs ANRIND or normal-range limits (ANRLO/ANRHI or A1LO/A1HI)")


@dataclass(frozen=True)
class LabSummary:
    """Tidy-able lab summary; ``rows`` is long (parameter, group, ... , statistic, value)."""

    kind: str  # "shift" or "change"
    rows: pd.DataFrame
    groups: tuple[str, ...]
    big_n: dict[str, int]

    def tidy(self, analysis_id: str = "labs", population: str = "SAF") -> pd.DataFrame:
        out = []
        for r in self.rows.to_dict("records"):
            common = dict(analysis_id=analysis_id, endpoint=r["parameter"], population=population,
                          group=r["group"], parameter=r["parameter"])
            if self.kind == "shift":
                lab = f"baseline {r['baseline']} -> worst post-baseline {r['worst']}"
                out.append(dict(common, statistic="count", estimate=r["n"], n=r["big_n"],
                                label=lab, baseline=r["baseline"], worst=r["worst"]))
                out.append(dict(common, statistic="percent",
                                estimate=100 * r["n"] / r["big_n"] if r["big_n"] else None,
                                n=r["big_n"], label=lab, baseline=r["baseline"], worst=r["worst"]))
            else:
                for stat in ("mean", "sd", "median", "min", "max"):
                    se = (r["sd"] / np.sqrt(r["n"]) if stat == "mean" and r["n"] > 1 else None)
                    out.append(dict(common, visit=r["visit"], statistic=stat, estimate=r[stat],
                                    se=se, n=r["n"], label=r["variable"]))
        return tidy_frame(out)


def _prepare_lab(adlb, params, subject, param, aval, visit, pop, baseline_visit, baseline_flag):
    for c in (subject, param, aval, visit):
        if c not in adlb.columns:
            raise ValueError(f"ADLB: column {c!r} missing")
    lb = adlb.assign(_s=_clean(adlb[subject]).astype(str), _p=_clean(adlb[param]))
    if params is not None:
        unknown = [p for p in params if p not in set(lb["_p"])]
        if unknown:
            raise ValueError(f"ADLB column {param!r} has no records for {unknown}")
        lb = lb[lb["_p"].isin(list(params))]
    lb = lb[lb["_s"].isin(set(pop["subject"]))]
    v = pd.to_numeric(lb[visit], errors="coerce")
    if v.isna().any():
        raise ValueError(f"ADLB column {visit!r} missing/non-numeric in rows {lb.index[v.isna()].tolist()[:20]}")
    if baseline_flag and baseline_flag in lb.columns:
        is_base = _clean(lb[baseline_flag]).map(lambda x: str(x).upper() if x else x) == "Y"
    else:
        is_base = v == baseline_visit
    lb = lb.assign(_v=v, _base=is_base, _post=v > baseline_visit,
                   _x=pd.to_numeric(lb[aval], errors="coerce"))
    dup = lb[lb["_base"]].duplicated(["_s", "_p"], keep=False)
    if dup.any():
        raise ValueError(f"ADLB: more than one baseline record per subject and parameter "
                         f"(rows {lb[lb['_base']].index[dup].tolist()[:20]})")
    return lb


def summarize_lab_shift(adsl: pd.DataFrame, adlb: pd.DataFrame, *,
                        params: Sequence[str] | None = None, group: str = "TRT01A",
                        population_flag: str | None = "SAFFL", group_order=None, total=True,
                        subject: str = "USUBJID", param: str = "PARAMCD", aval: str = "AVAL",
                        visit: str = "AVISITN", baseline_visit: float = 0,
                        baseline_flag: str | None = "ABLFL", baseline_indicator: str = "BNRIND",
                        indicator: str = "ANRIND", low: str | None = None, high: str | None = None,
                        tie: str = "high") -> LabSummary:
    """Baseline x worst post-baseline normal-range category, per parameter and group."""
    if tie not in ("high", "low"):
        raise ValueError("tie must be 'high' or 'low'")
    pop, groups = _population(adsl, subject, group, population_flag, group_order, total)
    lb = _prepare_lab(adlb, params, subject, param, aval, visit, pop, baseline_visit, baseline_flag)
    lb = lb.assign(_cat=derive_range_category(lb, aval=aval, indicator=indicator, low=low, high=high))
    try:
        lo_col, hi_col = _limit_columns(lb, low, high)
        width = pd.to_numeric(lb[hi_col], errors="coerce") - pd.to_numeric(lb[lo_col], errors="coerce")
        dev_lo = (pd.to_numeric(lb[lo_col], errors="coerce") - lb["_x"]) / width
        dev_hi = (lb["_x"] - pd.to_numeric(lb[hi_col], errors="coerce")) / width
    except ValueError:
        dev_lo = dev_hi = pd.Series(np.nan, index=lb.index)
    lb = lb.assign(_dlo=dev_lo.where(lb["_cat"] == "LOW"), _dhi=dev_hi.where(lb["_cat"] == "HIGH"))
    post = lb[lb["_post"] & lb["_cat"].notna()]
    worst = {}
    for (s, p), g in post.groupby(["_s", "_p"]):
        cats = set(g["_cat"])
        if "LOW" in cats and "HIGH" in cats:
            lo_d, hi_d = g["_dlo"].max(), g["_dhi"].max()
            if pd.notna(lo_d) and pd.notna(hi_d) and lo_d != hi_d:
                worst[(s, p)] = "LOW" if lo_d > hi_d else "HIGH"
            else:
                worst[(s, p)] = tie.upper()
        elif "LOW" in cats or "HIGH" in cats:
            worst[(s, p)] = "LOW" if "LOW" in cats else "HIGH"
        else:
            worst[(s, p)] = "NORMAL"
    base = lb[lb["_base"]]
    if baseline_indicator in lb.columns:
        bcat = _clean(base[baseline_indicator]).map(lambda v: _MAP.get(str(v).upper()) if v else None)
        bcat = bcat.where(bcat.notna(), base["_cat"])
    else:
        bcat = base["_cat"]
    base_of = dict(zip(zip(base["_s"], base["_p"]), bcat))
    plist = list(params) if params is not None else sorted(lb["_p"].dropna().unique())
    rows = []
    big_n = {g: int((pop["group"] == g).sum()) for g in groups if g != TOTAL}
    if total:
        big_n[TOTAL] = len(pop)
    for p in plist:
        cells = pop.assign(b=[base_of.get((s, p)) or "MISSING" for s in pop["subject"]],
                           w=[worst.get((s, p), "MISSING") for s in pop["subject"]])
        for g in groups:
            cg = cells if g == TOTAL else cells[cells["group"] == g]
            counts = cg.groupby(["b", "w"]).size()
            for b in CATEGORIES:
                for w in CATEGORIES:
                    rows.append(dict(parameter=p, group=g, baseline=b, worst=w,
                                     n=int(counts.get((b, w), 0)), big_n=big_n[g]))
    return LabSummary("shift", pd.DataFrame(rows), groups, big_n)


def summarize_lab_change(adsl: pd.DataFrame, adlb: pd.DataFrame, *,
                         params: Sequence[str] | None = None, group: str = "TRT01A",
                         population_flag: str | None = "SAFFL", group_order=None, total=True,
                         subject: str = "USUBJID", param: str = "PARAMCD", aval: str = "AVAL",
                         visit: str = "AVISITN", baseline_visit: float = 0,
                         baseline_flag: str | None = "ABLFL") -> LabSummary:
    """n, mean, SD, median, min, max of AVAL and of CHG = AVAL - baseline by visit and group.
    One record per subject, parameter and visit is required (filter e.g. ANL01FL first)."""
    pop, groups = _population(adsl, subject, group, population_flag, group_order, total)
    lb = _prepare_lab(adlb, params, subject, param, aval, visit, pop, baseline_visit, baseline_flag)
    keep = lb[lb["_base"] | lb["_post"]]
    dup = keep.duplicated(["_s", "_p", "_v"], keep=False) & ~keep["_base"]
    if dup.any():
        raise ValueError(f"ADLB: several records per subject, parameter and visit "
                         f"(rows {keep.index[dup].tolist()[:20]}); filter to one (e.g. ANL01FL)")
    base_of = dict(zip(zip(keep.loc[keep["_base"], "_s"], keep.loc[keep["_base"], "_p"]),
                       keep.loc[keep["_base"], "_x"]))
    keep = keep.assign(group=keep["_s"].map(dict(zip(pop["subject"], pop["group"]))),
                       _b=[base_of.get(k, np.nan) for k in zip(keep["_s"], keep["_p"])])
    keep = keep.assign(_chg=np.where(keep["_base"], np.nan, keep["_x"] - keep["_b"]),
                       _vis=np.where(keep["_base"], baseline_visit, keep["_v"]))
    if total:
        keep = pd.concat([keep, keep.assign(group=TOTAL)], ignore_index=True)
    big_n = {g: int((pop["group"] == g).sum()) for g in groups if g != TOTAL}
    if total:
        big_n[TOTAL] = len(pop)
    rows = []
    plist = list(params) if params is not None else sorted(keep["_p"].dropna().unique())
    for p in plist:
        kp = keep[keep["_p"] == p]
        for vis in sorted(kp["_vis"].unique()):
            for var, col in (("AVAL", "_x"), ("CHG", "_chg")):
                if var == "CHG" and vis == baseline_visit:
                    continue
                for g in groups:
                    d = compute_descriptive(kp.loc[(kp["_vis"] == vis) & (kp["group"] == g), col])
                    rows.append(dict(parameter=p, visit=float(vis), variable=var, group=g, n=d["n"],
                                     mean=d["mean"], sd=d["sd"], median=d["median"], min=d["min"], max=d["max"]))
    return LabSummary("change", pd.DataFrame(rows), groups, big_n)
