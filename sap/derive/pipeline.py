"""``derive_analysis_datasets``: ADSL + ADQS + ADLB -> ADEFF, ADRESP, ADDUR, ADONSET and logs.

Order of steps (each counted in ``derivation_log``; nothing is dropped, counts in = out):
1. check inputs (columns, subjects known to ADSL, item ranges) - ValueError naming rows;
2. study day from ADT/TRTSDT where ADY is missing;
3. occasion scores from items (BASDAI, BASFI, INFLAM, SPPAIN, BASMILIN, BASMI2, LATFLX);
4. sponsor-supplied scores compared with the re-derived ones (score_disagreements);
5. analysis-visit windows and the analysed record (ANL01FL, ANLREAS);
6. visit scores combining questionnaire and laboratory (ASDASCRP/ESR, DAS28CRP/ESR);
7. baseline, change and percent change (ABLFL, BASE, CHG, PCHG);
8. intercurrent events, responses (OC and NRI), onset and duration of response.
"""
from __future__ import annotations

from typing import Mapping

import numpy as np
import pandas as pd

from sap.errors import DataError

from .baseline import derive_change_from_baseline
from .episodes import derive_response_episodes
from .intercurrent import derive_intercurrent_events
from .options import DeriveOptions
from .params import DERIVED_PARAMS, OCCASION_SCORES, VISIT_SCORES, derive_occasion_scores, derive_visit_scores
from .rederive import DISAGREEMENT_COLUMNS, derive_score_disagreements
from .response import derive_responses
from .visits import derive_analysis_visits, derive_study_day, derived_type


def _ranges(opt: DeriveOptions) -> dict[str, tuple[float, float | None]]:
    r: dict[str, tuple[float, float | None]] = {}
    for p in [f"BASDAI{i}" for i in range(1, 7)] + [f"BASFI{i}" for i in range(1, 11)] + ["PTGA", "PHGA"]:
        r[p] = (0.0, float(opt.scale))
    for p in ("TBPAIN", "NBPAIN"):
        r[p] = (0.0, float(opt.pain_scale))
    for p in ("PTGAVAS", "PHGAVAS", "PAINVAS"):
        r[p] = (0.0, 100.0)
    r.update(TJC28=(0, 28), SJC28=(0, 28), TJC44=(0, 44), SJC44=(0, 44), HAQDI=(0, 3))
    for p in ("CRP", "ESR", "TRAGUSL", "TRAGUSR", "LATFLXL", "LATFLXR", "SCHOBER", "IMD", "CERVROTL", "CERVROTR"):
        r[p] = (0.0, None)
    return r


def check_bds(frame: pd.DataFrame, name: str, adsl: pd.DataFrame, opt: DeriveOptions) -> None:
    """Raise ValueError naming dataset, column and rows for contract violations used by derivations."""
    miss = [c for c in ("USUBJID", "PARAMCD", "AVAL", "AVISITN") if c not in frame.columns]
    if miss:
        raise ValueError(f"{name}: missing columns {miss}")
    aval = pd.to_numeric(frame["AVAL"], errors="coerce")
    bad = aval.isna() & frame["AVAL"].notna()
    if bad.any():
        raise ValueError(f"{name}.AVAL: non-numeric values at rows {frame.index[bad].tolist()[:10]}")
    unknown = ~frame["USUBJID"].isin(adsl["USUBJID"])
    if unknown.any():
        raise ValueError(f"{name}.USUBJID: subjects not in ADSL at rows {frame.index[unknown].tolist()[:10]}")
    for p, (lo, hi) in _ranges(opt).items():
        sel = frame["PARAMCD"].eq(p)
        if not sel.any():
            continue
        v = aval[sel]
        out = (v < lo) | ((v > hi) if hi is not None else False)
        if out.any():
            raise ValueError(f"{name}.AVAL: PARAMCD {p} outside [{lo}, {hi}] at rows "
                             f"{v.index[out].tolist()[:10]} (check DeriveOptions.scale/pain_scale)")


def _log(rows: list, step: str, dataset: str, n_in: int, n_out: int, flagged: int = 0, detail: str = "") -> None:
    rows.append(dict(STEP=step, DATASET=dataset, N_IN=n_in, N_OUT=n_out, N_FLAGGED=flagged, DETAIL=detail))


def _source_conflicts(frame: pd.DataFrame, keys: list[str], prefer: str) -> pd.Series:
    """Reason per row to exclude the non-preferred source where both sponsor and re-derived exist."""
    reason = pd.Series("", index=frame.index, dtype=object)
    is_sp = frame["PARAMTYP"].eq("SPONSOR")
    is_de = frame["PARAMTYP"].eq("DERIVED") & frame["PARAMCD"].isin(DERIVED_PARAMS)
    k = frame[keys + ["PARAMCD"]].astype(str).agg("|".join, axis=1)
    both = set(k[is_sp]) & set(k[is_de])
    clash = k.isin(both)
    if prefer == "rederive":
        reason[clash & is_sp] = "sponsor-supplied score; re-derived value analysed (see score_disagreements)"
    else:
        reason[clash & is_de] = "re-derived score; sponsor value analysed (see score_disagreements)"
    return reason


def _input_bds(ds: Mapping[str, pd.DataFrame], adsl: pd.DataFrame, opt: DeriveOptions, log: list) -> pd.DataFrame:
    """Checked ADQS + ADLB records (SRCDOM), AVAL numeric, ADY filled from ADT where missing (steps 1-2)."""
    parts = []
    for name in ("adqs", "adlb"):
        if name in ds and ds[name] is not None:
            f = ds[name].reset_index(drop=True)
            check_bds(f, name.upper(), adsl, opt)
            f = derive_study_day(f, adsl)
            check_one_record_per_occasion(f, name)
            f["SRCDOM"] = name.upper()
            parts.append(f)
            _log(log, "input", name.upper(), len(f), len(f))
    if not parts:
        raise ValueError("datasets: need at least one of 'adqs', 'adlb'")
    bds = pd.concat(parts, ignore_index=True)
    bds["AVAL"] = pd.to_numeric(bds["AVAL"], errors="coerce").astype(float)
    _log(log, "study day", "ADQS+ADLB", len(bds), len(bds), int(bds["ADY"].isna().sum()), "records without ADY")
    return bds


def check_one_record_per_occasion(frame: pd.DataFrame, name: str) -> None:
    """Raise DataError naming the dataset and rows when an item of an occasion score (BASDAI, BASFI, spinal pain,
    BASMI) is observed twice on one occasion (subject, collected visit, study day; the day from ADT where ADY is
    missing): the score could not tell which value to use (derived records, DTYPE, are not used for scores).
    ``frame`` keeps the file's record order."""
    items = {p for comps, _ in OCCASION_SCORES.values() for p in comps}
    keys = ["USUBJID", "PARAMCD", "AVISITN", "ADY"]
    observed = frame[~derived_type(frame)]
    rows = np.zeros(len(frame), dtype=bool)
    rows[~derived_type(frame)] = (observed["PARAMCD"].isin(items).to_numpy()
                                  & observed[keys].duplicated(keep=False).to_numpy())
    if not rows.any():
        return
    at = np.flatnonzero(rows)
    shown = "; ".join(f"row {i + 1} (" + ", ".join(f"{k} {frame[k].iloc[i]}" for k in keys) + ")" for i in at[:5])
    raise DataError(f"{name}.PARAMCD: an item recorded more than once on one occasion (USUBJID, AVISITN, study "
                    f"day ADY): {len(at)} rows: {shown}{' ...' if len(at) > 5 else ''}; keep one record per item "
                    f"and occasion (a repeated assessment on another day is fine)")


def _new_rows_detail(new: pd.DataFrame, params) -> str:
    return "new rows " + ", ".join(f"{p}={int((new['PARAMCD'] == p).sum())}" for p in params) if len(new) else "none"


def _derive_adeff(bds: pd.DataFrame, opt: DeriveOptions, log: list) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADEFF (steps 3-7) and the sponsor-vs-re-derived score disagreements."""
    n_input = len(bds)
    sponsor = bds["PARAMCD"].isin(DERIVED_PARAMS)
    bds["PARAMTYP"] = np.where(sponsor, "SPONSOR", "")
    bds["DERIVED"] = "N"
    occ = derive_occasion_scores(bds[~sponsor & ~derived_type(bds)], opt)
    _log(log, "occasion scores", "ADEFF", len(bds), len(bds) + len(occ), int(occ["AVAL"].isna().sum()) if len(occ) else 0,
         _new_rows_detail(occ, OCCASION_SCORES))
    occ_keys = ["USUBJID", "AVISITN", "ADY"]
    sp_occ = bds[sponsor & bds["PARAMCD"].isin(OCCASION_SCORES)]
    dis = [derive_score_disagreements(sp_occ, occ, occ_keys, opt.rederive_tolerance, "occasion")]
    allrows = pd.concat([bds, occ], ignore_index=True) if len(occ) else bds.copy()
    excl = _source_conflicts(allrows, occ_keys, opt.score_source)

    win = derive_analysis_visits(allrows, opt.visit_windows, opt.window_rule, exclude_reason=excl)
    for reason, n in win.loc[win["ANL01FL"].eq("N"), "ANLREAS"].value_counts().items():
        _log(log, "visit windows", "ADEFF", len(allrows), len(win), int(n), f"ANL01FL=N: {reason}")

    vis = derive_visit_scores(win, opt)
    if len(vis):
        sp_vis = win[win["PARAMTYP"].eq("SPONSOR") & win["PARAMCD"].isin(VISIT_SCORES) & win["ANL01FL"].eq("Y")]
        dis.append(derive_score_disagreements(sp_vis, vis, ["USUBJID", "AVISITN"], opt.rederive_tolerance, "visit"))
        merged = pd.concat([win, vis], ignore_index=True)
        ex2 = _source_conflicts(merged.assign(_A=merged["ANL01FL"]), ["USUBJID", "AVISITN"], opt.score_source)
        ex2[~merged["PARAMCD"].isin(VISIT_SCORES) | merged["ANL01FL"].ne("Y")] = ""
        merged.loc[ex2 != "", "ANL01FL"] = "N"
        merged.loc[ex2 != "", "ANLREAS"] = ex2[ex2 != ""]
    else:
        merged = win
    _log(log, "visit scores", "ADEFF", len(win), len(merged), int(vis["AVAL"].isna().sum()) if len(vis) else 0,
         _new_rows_detail(vis, VISIT_SCORES))

    adeff = derive_change_from_baseline(merged)
    n_base = int(adeff["ABLFL"].eq("Y").sum())
    _log(log, "baseline", "ADEFF", len(merged), len(adeff), int((adeff["ANL01FL"].eq("Y") & adeff["AVISITN"].gt(0)
                                                                 & adeff["BASE"].isna()).sum()),
         f"{n_base} baseline records; flagged = analysed post-baseline records without baseline")
    n_derived = len(occ) + len(vis)
    if len(adeff) != n_input + n_derived:
        raise RuntimeError(f"internal error: ADEFF has {len(adeff)} rows, expected {n_input} + {n_derived}")
    disagreements = pd.concat([d for d in dis if len(d)], ignore_index=True) if any(len(d) for d in dis) \
        else pd.DataFrame(columns=DISAGREEMENT_COLUMNS)
    n_sp = int(sponsor.sum())
    _log(log, "re-derivation check", "ADEFF", n_sp, n_sp, len(disagreements),
         f"sponsor score records vs re-derived; tolerance {opt.rederive_tolerance}; score_source={opt.score_source}")
    return adeff, disagreements


def _derive_response_datasets(adeff: pd.DataFrame, adsl: pd.DataFrame, ice: pd.DataFrame, opt: DeriveOptions,
                              log: list) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """ADRESP, ADDUR and ADONSET (step 8)."""
    adresp = derive_responses(adeff, adsl, ice, opt)
    n_grid = len(adsl) * len(opt.responses) * int(adresp["AVISITN"].nunique()) if len(adresp) else 0
    _log(log, "responses", "ADRESP", n_grid, len(adresp), int(adresp["IMPFL"].eq("Y").sum()) if len(adresp) else 0,
         f"subjects x visits x endpoints; flagged = AVAL_NRI set by rule (strategy {opt.intercurrent_strategy})")
    if len(adresp):
        for code, g in adresp.groupby("PARAMCD", sort=False):
            n_eval = int(g["EVALFL"].eq("Y").sum())
            _log(log, "responses", "ADRESP", len(g), len(g), len(g) - n_eval,
                 f"{code}: {n_eval} evaluable, {len(g) - n_eval} not evaluable"
                 + (" - components not collected? every value is NRI" if n_eval == 0 else ""))
        for reason, n in adresp.loc[adresp["IMPFL"].eq("Y"), "IMPREAS"].value_counts().items():
            _log(log, "responses", "ADRESP", len(adresp), len(adresp), int(n), reason)
    addur, adonset = derive_response_episodes(adresp, ice, opt.episodes)
    n_dur = sum(e.rules.start == "first_response" for e in opt.episodes)
    n_onset = len(opt.episodes) - n_dur
    _log(log, "duration of response", "ADDUR", len(adsl) * n_dur, len(addur),
         int(addur["CNSR"].sum()) if len(addur) else 0,
         "subjects x duration endpoints in, one row per responder out (non-responders have none); flagged = censored")
    for name, frame in (("ADDUR", addur), ("ADONSET", adonset)):
        for (code, why), n in frame[["PARAMCD", "EVNTDESC"]].value_counts(sort=False).items():
            _log(log, "episode ends", name, int(n), int(n), int(n) if why.startswith("censored") else 0,
                 f"{code}: {why}")
    _log(log, "time to onset", "ADONSET", len(adsl) * n_onset, len(adonset),
         int(adonset["CNSR"].sum()) if len(adonset) else 0, "one row per subject and endpoint; flagged = censored")
    return adresp, addur, adonset


def _with_adsl(frame: pd.DataFrame, adsl: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with the ADSL keys, treatment, phase, cohort, dose, stratum and flags of its subjects."""
    carry = [c for c in adsl.columns if c in ("STUDYID", "TRT01P", "TRT01PN", "TRT01A", "TRT01AN", "PHASE",
                                               "COHORT", "DOSE", "STRAT1") or c.endswith("FL")]
    carry = ["USUBJID"] + [c for c in carry if c != "USUBJID"]
    return frame.merge(adsl[carry].drop(columns=[c for c in carry if c in frame.columns and c != "USUBJID"]),
                       on="USUBJID", how="left", validate="many_to_one")


def derive_analysis_datasets(datasets: Mapping[str, pd.DataFrame], options: DeriveOptions) -> dict[str, pd.DataFrame]:
    """Derive the analysis datasets (shapes documented in :mod:`sap.derive`) with the plan's ``options``
    (:func:`sap.derivations.derive_options_for_plan`)."""
    opt = options
    ds = {k.lower(): v for k, v in datasets.items()}
    if "adsl" not in ds:
        raise ValueError("datasets: 'adsl' is required")
    adsl = ds["adsl"].reset_index(drop=True)
    log: list[dict] = []
    ice = derive_intercurrent_events(adsl)
    bds = _input_bds(ds, adsl, opt, log)
    adeff, disagreements = _derive_adeff(bds, opt, log)
    adresp, addur, adonset = _derive_response_datasets(adeff, adsl, ice, opt, log)
    n_disc_nodate = int((ice["DISCFL"].eq("Y") & ice["DISCDY"].isna()).sum())
    if n_disc_nodate:
        _log(log, "intercurrent events", "ADSL", len(adsl), len(adsl), n_disc_nodate,
             "discontinued without a discontinuation date: missed visits handled by NRI only")
    return {
        "adeff": _with_adsl(adeff, adsl), "adresp": _with_adsl(adresp, adsl) if len(adresp) else adresp,
        "addur": _with_adsl(addur, adsl), "adonset": _with_adsl(adonset, adsl), "ice": ice,
        "score_disagreements": disagreements, "derivation_log": pd.DataFrame(log),
    }
