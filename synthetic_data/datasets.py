"""Assemble the simulated arrays into ADaM-shaped ADSL, ADQS/ADLB (BDS) and ADEX frames."""
from __future__ import annotations

import numpy as np
import pandas as pd

from .catalog import CATALOG
from .measurements import normal_range


def _date_series(values: np.ndarray) -> pd.Series:
    return pd.Series(pd.to_datetime(np.asarray(values, dtype="datetime64[D]")).astype("datetime64[ns]"))


def build_bds(trial, visits, need: dict, values: dict, ady: np.ndarray, ady_out: np.ndarray,
              observed: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame]:
    """ADQS and ADLB: one record per subject, parameter and observed visit the plan needs."""
    avisitn = np.array([vv.avisitn for vv in visits], dtype=float)
    labels = np.array([vv.label for vv in visits], dtype=object)
    ady_rec = np.where(np.arange(ady.shape[1])[None, :] == 0, ady_out[:, None], ady).astype(float)
    dates = trial.to_date(ady.astype(float))
    frames = {"adqs": [], "adlb": []}
    order = list(CATALOG)
    for code, post in need.items():
        spec = CATALOG[code]
        vmask = (avisitn == 0) | np.isin(avisitn, np.asarray(post, dtype=float))
        rows, cols = np.nonzero(observed & vmask[None, :])
        rec = {
            "_s": rows, "_p": np.full(len(rows), order.index(code)), "_v": cols,
            "STUDYID": np.full(len(rows), trial.studyid, dtype=object),
            "USUBJID": trial.usubjid[rows], "PARAMCD": np.full(len(rows), code, dtype=object),
            "PARAM": np.full(len(rows), spec.param, dtype=object), "AVAL": values[code][rows, cols],
        }
        if spec.dataset == "adlb":
            lo, hi = normal_range(spec, trial.female)
            lo, hi = lo[rows], hi[rows]
            aval = rec["AVAL"]
            ind = np.where(np.isnan(lo) & np.isnan(hi), None,
                           np.where(aval < np.where(np.isnan(lo), -np.inf, lo), "LOW",
                                    np.where(aval > np.where(np.isnan(hi), np.inf, hi), "HIGH", "NORMAL")))
            rec.update({"AVALU": np.full(len(rows), spec.unit, dtype=object), "ANRLO": lo, "ANRHI": hi,
                        "ANRIND": ind})
        rec.update({"AVISIT": labels[cols], "AVISITN": avisitn[cols], "ADT": dates[rows, cols],
                    "ADY": ady_rec[rows, cols]})
        frames[spec.dataset].append(pd.DataFrame(rec))
    out = []
    for name in ("adqs", "adlb"):
        cols = ["STUDYID", "USUBJID", "PARAMCD", "PARAM", "AVAL"]
        if name == "adlb":
            cols += ["AVALU", "ANRLO", "ANRHI", "ANRIND"]
        cols += ["AVISIT", "AVISITN", "ADT", "ADY"]
        if not frames[name]:
            out.append(pd.DataFrame({c: pd.Series(dtype="datetime64[ns]" if c == "ADT" else
                                                  float if c in ("AVAL", "AVISITN", "ADY", "ANRLO", "ANRHI")
                                                  else object) for c in cols}))
            continue
        df = pd.concat(frames[name], ignore_index=True)
        df = df.sort_values(["_s", "_p", "_v"], kind="stable").reset_index(drop=True)
        df["ADT"] = _date_series(df["ADT"].to_numpy())
        out.append(df[cols])
    return out[0], out[1]


def build_adex(trial) -> pd.DataFrame:
    """One record per administration actually given."""
    rows = []
    for i, admin in enumerate(trial.admin):
        for seq, (day, trt, amount, unit) in enumerate(admin, start=1):
            rows.append((i, seq, trt, day + 1, amount, unit))
    cols = ["STUDYID", "USUBJID", "EXSEQ", "EXTRT", "EXSTDT", "EXSTDY", "EXDOSE", "EXDOSU"]
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in cols})
    i, seq, trt, stdy, amount, unit = (np.array(x, dtype=object) for x in zip(*rows))
    i = i.astype(int)
    stdy = stdy.astype(float)
    return pd.DataFrame({
        "STUDYID": trial.studyid, "USUBJID": trial.usubjid[i], "EXSEQ": seq.astype(int), "EXTRT": trt,
        "EXSTDT": _date_series(trial.to_date_for(i, stdy)), "EXSTDY": stdy.astype(int),
        "EXDOSE": amount.astype(float), "EXDOSU": unit,
    })[cols]


def build_adsl(trial, pool, strata_values: dict, rp2d, deviation: np.ndarray, ady: np.ndarray) -> pd.DataFrame:
    """One record per enrolled subject, with the plan's population flags."""
    plan, p, n = trial.plan, trial.params, trial.n
    arm_ids = [a.id for a in plan.design.arms]
    arm_value = {a.id: a.data_value for a in plan.design.arms}
    yn = lambda m: np.where(m, "Y", "N")  # noqa: E731
    trtpn = np.array([arm_ids.index(a) + 1 for a in trial.arm], dtype=float)
    trtp = np.array([arm_value[a] for a in trial.arm], dtype=object)
    phase_value = {ph.id: ph.data_value for ph in plan.design.phases}
    is_p1 = np.array([plan.design.phase(ph).kind == "dose_escalation" for ph in trial.phase])
    planned = np.array([len(plan.design.arm(a).infusion_days)
                        + (p.other_regimens[a][5] if a in p.other_regimens else 0) for a in trial.arm])
    addon = {a: r.name for a, r in p.conditional_regimens.items()}  # conditional add-ons are not planned doses
    given = np.array([sum(x[1] != addon.get(arm) for x in a) for arm, a in zip(trial.arm, trial.admin)])
    fas = trial.dosed.copy()
    pp = fas & ~deviation & (given >= planned)
    flags = {"RANDFL": yn(trial.randomized), "SAFFL": yn(trial.dosed), "FASFL": yn(fas), "ITTFL": yn(fas),
             "PPROTFL": yn(pp), "DLTEVLFL": yn(is_p1 & trial.evaluable)}
    named = [pop.flag for pop in plan.populations if pop.flag]
    unknown = [f for f in named if f not in flags]
    if unknown:
        raise ValueError(f"plan {plan.id}: population flags {unknown} are unknown to the synthetic data generator")
    emit = ["RANDFL", "SAFFL", "ITTFL" if "ITTFL" in named and "FASFL" not in named else "FASFL", "PPROTFL",
            "DLTEVLFL"]
    emit += [f for f in named if f not in emit]
    entry_date = trial.start + trial.entry_day.astype("timedelta64[D]")
    first = np.where(trial.dosed, entry_date, np.datetime64("NaT"))
    last = trial.to_date(trial.last_admin_ady)
    rng = np.random.default_rng(trial.rand_seed)
    randdt = np.where(trial.randomized, entry_date - rng.integers(0, 4, n).astype("timedelta64[D]"),
                      np.datetime64("NaT"))
    eos = trial.to_date(trial.eos_ady)
    eos = np.where(trial.dosed, eos, entry_date + np.timedelta64(3, "D"))
    out = {
        "STUDYID": trial.studyid, "USUBJID": trial.usubjid, "SUBJID": trial.subjid, "SITEID": trial.siteid,
        "AGE": pool.age.astype(int), "SEX": np.where(trial.female, "F", "M"), "RACE": "ASIAN",
        "HLAB27": np.where(pool.hla, "POSITIVE", "NEGATIVE"),
        "PHASE": np.array([phase_value[ph] for ph in trial.phase], dtype=object),
        "COHORT": trial.cohort, "DOSE": trial.dose,
        "TRT01P": trtp, "TRT01PN": trtpn,
        "TRT01A": np.where(trial.dosed, trtp, None), "TRT01AN": np.where(trial.dosed, trtpn, np.nan).astype(float),
    }
    for f in emit:
        out[f] = flags[f]
    strata_cols = sorted(strata_values) or ["STRAT1"]
    for s in strata_cols:
        out[s] = strata_values.get(s, np.full(n, None, dtype=object))
    out.update({
        "RANDDT": _date_series(randdt), "TRTSDT": _date_series(first), "TRTEDT": _date_series(last),
        "EOSSTT": np.where(trial.completed, "COMPLETED", "DISCONTINUED"),
        "DCSREAS": np.where(trial.completed, None, trial.dcsreas),
        "EOSDT": _date_series(eos), "RESCDT": _date_series(trial.to_date(trial.resc_ady)),
    })
    return pd.DataFrame(out)
