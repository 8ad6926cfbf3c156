"""Derived-parameter rows (BDS): scores computed from their items and appended as new records.

Hand-written glue around the ``compute_*`` functions (SAS: PROC TRANSPOSE + DATA step; R:
``admiral::derive_param_computed``).  Two levels:

* **occasion scores** (one questionnaire / one examination): BASDAI, BASFI, INFLAM (ASAS
  inflammation = mean of BASDAI Q5 and Q6), SPPAIN, BASMILIN, BASMI2, LATFLX (mean lateral
  flexion) are computed from items recorded at the same occasion (USUBJID, collected AVISITN,
  ADY) *before* windowing, so a score never mixes items answered on different days;
* **visit scores** combining questionnaire and laboratory (ASDASCRP, ASDASESR, DAS28CRP,
  DAS28ESR) are computed per subject and analysis visit from the analysed records after
  windowing (the CRP is rarely drawn on the questionnaire day).

A derived row is created when at least one component is present; missing components give a
missing AVAL (never a partial score, except BASFI's prespecified rule).  Derived rows carry
``PARAMTYP = 'DERIVED'`` and ``DERIVED = 'Y'``; ADY is the latest ADY of the components.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .as_scores import (compute_basdai, compute_basfi, compute_basmi2, compute_basmi_linear,
                        compute_side_mean, compute_spinal_pain)
from .asdas import compute_asdas_crp, compute_asdas_esr
from .options import DeriveOptions
from .ra_scores import compute_das28_crp, compute_das28_esr

BASDAI_ITEMS = tuple(f"BASDAI{i}" for i in range(1, 7))
BASFI_ITEMS = tuple(f"BASFI{i}" for i in range(1, 11))
MOBILITY = ("TRAGUSL", "TRAGUSR", "LATFLXL", "LATFLXR", "SCHOBER", "IMD", "CERVROTL", "CERVROTR")

#: derived PARAMCD -> (component PARAMCDs, label)
OCCASION_SCORES: dict[str, tuple[tuple[str, ...], str]] = {
    "BASDAI": (BASDAI_ITEMS, "BASDAI (0-10)"),
    "BASFI": (BASFI_ITEMS, "BASFI (0-10)"),
    "INFLAM": (("BASDAI5", "BASDAI6"), "ASAS inflammation: mean of BASDAI Q5 and Q6"),
    "SPPAIN": (("TBPAIN", "NBPAIN"), "Spinal pain: mean of total and nocturnal back pain"),
    "BASMILIN": (MOBILITY, "BASMI-linear (0-10)"),
    "BASMI2": (MOBILITY, "BASMI 3-point (0-10)"),
    "LATFLX": (("LATFLXL", "LATFLXR"), "Lateral spinal flexion, mean of left and right (cm)"),
}
VISIT_SCORES: dict[str, tuple[tuple[str, ...], str]] = {
    "ASDASCRP": (("BASDAI2", "BASDAI6", "PTGA", "BASDAI3", "CRP"), "ASDAS-CRP"),
    "ASDASESR": (("BASDAI2", "BASDAI6", "PTGA", "BASDAI3", "ESR"), "ASDAS-ESR"),
    "DAS28CRP": (("TJC28", "SJC28", "CRP", "PTGAVAS"), "DAS28-CRP"),
    "DAS28ESR": (("TJC28", "SJC28", "ESR", "PTGAVAS"), "DAS28-ESR"),
}
DERIVED_PARAMS = tuple(OCCASION_SCORES) + tuple(VISIT_SCORES)
_LAB_MARKERS = frozenset({"CRP", "ESR"})  # shared components: never trigger a visit score on their own
_NA_KEY = -9.0e15  # sentinel for a missing grouping key


def _wide(frame: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Pivot AVAL by PARAMCD over ``keys``; raise if one key holds two values of one parameter."""
    dup = frame.duplicated(keys + ["PARAMCD"], keep=False)
    if dup.any():
        rows = frame.index[dup].tolist()[:10]
        raise ValueError(f"two records of the same PARAMCD on one occasion ({', '.join(keys)}) at rows {rows}")
    return frame.set_index(keys + ["PARAMCD"])["AVAL"].unstack("PARAMCD")


def _col(wide: pd.DataFrame, name: str) -> np.ndarray:
    return wide[name].to_numpy(dtype=float) if name in wide.columns else np.full(len(wide), np.nan)


def _score_values(code: str, w: pd.DataFrame, opt: DeriveOptions) -> np.ndarray:
    c = lambda name: _col(w, name)  # noqa: E731
    if code == "BASDAI":
        return compute_basdai(*(c(i) for i in BASDAI_ITEMS), scale=opt.scale)
    if code == "BASFI":
        return compute_basfi(np.column_stack([c(i) for i in BASFI_ITEMS]), max_missing=opt.basfi_max_missing,
                             scale=opt.scale)
    if code == "INFLAM":
        return (c("BASDAI5") + c("BASDAI6")) / 2.0
    if code == "SPPAIN":
        return compute_spinal_pain(c("TBPAIN"), c("NBPAIN"), scale=opt.pain_scale)
    if code in ("BASMILIN", "BASMI2"):
        args = (compute_side_mean(c("TRAGUSL"), c("TRAGUSR"), name="TRAGUS"),
                compute_side_mean(c("LATFLXL"), c("LATFLXR"), name="LATFLX"), c("SCHOBER"), c("IMD"),
                compute_side_mean(c("CERVROTL"), c("CERVROTR"), name="CERVROT"))
        return compute_basmi_linear(*args) if code == "BASMILIN" else compute_basmi2(*args)
    if code == "LATFLX":
        return compute_side_mean(c("LATFLXL"), c("LATFLXR"), name="LATFLX")
    if code == "ASDASCRP":
        return compute_asdas_crp(c("BASDAI2"), c("BASDAI6"), c("PTGA"), c("BASDAI3"), c("CRP"),
                                 coefficients=opt.asdas_coefficients, crp_floor=opt.crp_floor, scale=opt.scale)
    if code == "ASDASESR":
        return compute_asdas_esr(c("BASDAI2"), c("BASDAI6"), c("PTGA"), c("BASDAI3"), c("ESR"),
                                 coefficients=opt.asdas_coefficients, scale=opt.scale)
    if code == "DAS28CRP":
        return compute_das28_crp(c("TJC28"), c("SJC28"), c("CRP"), c("PTGAVAS"))
    if code == "DAS28ESR":
        return compute_das28_esr(c("TJC28"), c("SJC28"), c("ESR"), c("PTGAVAS"), esr_floor=opt.esr_floor)
    raise ValueError(f"unknown derived parameter {code}")


def _derive_rows(frame: pd.DataFrame, keys: list[str], scores: dict, opt: DeriveOptions,
                 carry: list[str]) -> pd.DataFrame:
    parts = []
    needed = {p for comps, _ in scores.values() for p in comps}
    src = frame[frame["PARAMCD"].isin(needed)].copy()
    if src.empty:
        return pd.DataFrame()
    for k in keys[1:]:  # NaN keys (e.g. no ADY) must form their own group, not be dropped
        src[k] = src[k].astype(float).fillna(_NA_KEY)
    wide = _wide(src, keys)
    present = src.assign(_one=1.0).set_index(keys + ["PARAMCD"])["_one"].unstack("PARAMCD").notna()
    present = present.reindex(index=wide.index, fill_value=False)
    day = src.groupby(keys, dropna=False)["ADY"].max().reindex(wide.index)
    extra = src.groupby(keys, dropna=False)[carry].first().reindex(wide.index) if carry else None
    in_data = set(src["PARAMCD"])
    for code, (comps, label) in scores.items():
        markers = [c for c in comps if c in _LAB_MARKERS]
        if markers and not set(markers) <= in_data:
            continue  # marker never collected (e.g. no ESR in the trial): no rows for this score
        cols = [c for c in comps if c in present.columns and c not in _LAB_MARKERS]
        has = present[cols].any(axis=1).to_numpy(dtype=bool) if cols else np.zeros(len(wide), dtype=bool)
        if not has.any():
            continue
        vals = np.asarray(_score_values(code, wide, opt), dtype=float)
        idx = wide.index[has]
        rows = idx.to_frame(index=False)
        rows["PARAMCD"], rows["PARAM"], rows["AVAL"] = code, label, vals[has]
        rows["ADY"] = day.to_numpy()[has]
        if extra is not None:
            for col in carry:
                rows[col] = extra[col].to_numpy()[has]
        parts.append(rows)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    for k in keys[1:]:
        out[k] = out[k].replace(_NA_KEY, np.nan)
    if "ADY" in out.columns:
        out["ADY"] = out["ADY"].replace(_NA_KEY, np.nan)
    out["PARAMTYP"], out["DERIVED"], out["SRCDOM"] = "DERIVED", "Y", "DERIVED"
    return out


def derive_occasion_scores(frame: pd.DataFrame, options: DeriveOptions) -> pd.DataFrame:
    """New rows for BASDAI, BASFI, INFLAM, SPPAIN, BASMILIN, BASMI2, LATFLX per collection occasion.

    ``frame``: BDS rows (collected AVISIT/AVISITN, ADY).  Returns only the new rows.
    """
    keys = ["USUBJID", "AVISITN", "ADY"]
    carry = [c for c in ("AVISIT", "ADT", "STUDYID") if c in frame.columns]
    return _derive_rows(frame, keys, OCCASION_SCORES, options, carry)


def derive_visit_scores(frame: pd.DataFrame, options: DeriveOptions) -> pd.DataFrame:
    """New rows for ASDASCRP, ASDASESR, DAS28CRP, DAS28ESR per subject and analysis visit.

    ``frame``: windowed BDS rows; only analysed records (ANL01FL = 'Y') are used.  Returns the new
    rows with ANL01FL = 'Y'.
    """
    anl = frame[frame["ANL01FL"].eq("Y") & frame["AVISITN"].notna() & ~frame.get("PARAMTYP", pd.Series(
        "", index=frame.index)).eq("SPONSOR")]
    carry = [c for c in ("AVISIT", "STUDYID", "AWTARGET", "AWLO", "AWHI") if c in frame.columns]
    out = _derive_rows(anl, ["USUBJID", "AVISITN"], VISIT_SCORES, options, carry)
    if not out.empty:
        out["ANL01FL"], out["ANLREAS"] = "Y", ""
    return out
