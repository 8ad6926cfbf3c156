"""ADAE: MedDRA-coded adverse events with CTCAE grades, seriousness, relatedness and DLT flags.

Hand-written simulation. Per subject and preferred term (``params.AE_TERMS``) the number of events
is Poisson with the term's rate (times ``control_factor`` in placebo/control arms and
``ae_rate_scale``); onset follows the term's timing (infusion day, first 35 days, or any time on
study); grades, seriousness and relatedness are drawn per event. DLTs are consistent with the
3+3 enrolment: each Phase 1 subject simulated with a DLT gets exactly one grade 3-4 related event
inside the DLT window flagged ``DLTFL = "Y"`` (its infusions after that day are withheld); in
Phase 1 subjects without a DLT, related events in the window are capped at grade 2, so the DLT
flags and the escalation history agree. Subjects who discontinued for an adverse event get the
event on the day they left.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from .params import AE_TERMS, DLT_TERMS

ADAE_COLUMNS = ["STUDYID", "USUBJID", "AESEQ", "AETERM", "AEDECOD", "AEBODSYS", "ASTDT", "ASTDY", "AENDT",
                "AENDY", "AESER", "AETOXGR", "AEREL", "AEACN", "AEOUT", "TRTEMFL", "DLTFL"]


def build_adae(trial, rng: np.random.Generator, window: int) -> pd.DataFrame:
    plan, p, n = trial.plan, trial.params, trial.n
    roles = np.array([plan.design.arm(a).role for a in trial.arm])
    control = np.isin(roles, ("placebo", "active_control"))
    is_p1 = np.array([plan.design.phase(ph).kind == "dose_escalation" for ph in trial.phase])
    end = np.where(np.isnan(trial.eos_ady), 0, trial.eos_ady)
    ev = []  # (subject, term index, onset ADY, grade, related, serious, dlt, action override)
    for k, term in enumerate(AE_TERMS):
        lam = term.rate * p.ae_rate_scale * np.where(control, term.control_factor, 1.0)
        counts = np.where(trial.dosed, rng.poisson(lam), 0)
        subj = np.repeat(np.arange(n), counts)
        if not len(subj):
            continue
        if term.timing == "infusion":
            onset = np.empty(len(subj))
            for j, i in enumerate(subj):
                days = [a[0] for a in trial.admin[i]] or [0]
                onset[j] = days[int(rng.integers(len(days)))] + 1 + int(rng.random() < 0.3)
        elif term.timing == "early":
            onset = rng.integers(1, 36, len(subj)).astype(float)
        else:
            onset = 1 + np.floor(rng.random(len(subj)) * np.maximum(end[subj], 1))
        grade = 1 + rng.choice(4, len(subj), p=np.asarray(term.grades) / sum(term.grades))
        related = rng.random(len(subj)) < np.where(control[subj], term.p_related / 2, term.p_related)
        keep = onset <= end[subj]
        # Phase 1 without a DLT: nothing in the window may meet the DLT definition
        cap = is_p1[subj] & ~trial.dlt[subj] & (onset <= window) & related & (grade >= 3)
        grade = np.where(cap, 2, grade)
        serious = np.where(grade >= 3, rng.random(len(subj)) < term.p_serious_g3,
                           rng.random(len(subj)) < (0.02 if "infections" in term.bodsys.lower() else 0.0))
        for j in np.flatnonzero(keep):
            ev.append((subj[j], k, onset[j], int(grade[j]), bool(related[j]), bool(serious[j]), False, None))
    for i in np.flatnonzero(trial.dlt):
        term = DLT_TERMS[trial.dlt_term[i]]
        k = AE_TERMS.index(term)
        grade = 3 if rng.random() < 0.8 else 4
        ev.append((i, k, trial.dlt_ady[i], grade, True, bool(rng.random() < 0.5), True, "DRUG WITHDRAWN"))
    for i in np.flatnonzero(trial.dcsreas == "ADVERSE EVENT"):
        k = int(rng.choice([j for j, t in enumerate(AE_TERMS) if t.timing == "any"]))
        ev.append((i, k, max(1.0, trial.eos_ady[i] - int(rng.integers(0, 4))), 2 + int(rng.random() < 0.3),
                   bool(rng.random() < 0.3), False, False, "DRUG WITHDRAWN"))
    pre = np.flatnonzero(trial.dosed & (rng.random(n) < p.p_pretreatment_ae))
    any_terms = [j for j, t in enumerate(AE_TERMS) if t.timing == "any" and t.grades[0] > 0.5]
    for i in pre:
        ev.append((i, int(rng.choice(any_terms)), -float(rng.integers(1, 15)), 1, False, False, False, None))
    if not ev:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in ADAE_COLUMNS})

    subj, k, onset, grade, related, serious, dltfl, acn = (np.array(x, dtype=object) for x in zip(*ev))
    subj, k = subj.astype(int), k.astype(int)
    onset, grade = onset.astype(float), grade.astype(int)
    related, serious, dltfl = related.astype(bool), serious.astype(bool), dltfl.astype(bool)
    mean_days = np.array([AE_TERMS[j].mean_days for j in k])
    dur = rng.geometric(1 / np.maximum(mean_days, 1.0)) - 1 + (grade >= 3) * rng.integers(2, 10, len(k))
    endy = onset + dur
    endy = np.where(endy == 0, 1.0, endy)  # no study day 0
    onset_day0 = np.where(onset > 0, onset - 1, onset)
    endy_day0 = onset_day0 + dur
    eos = trial.eos_ady[subj]
    ongoing = endy > eos
    last_admin = trial.last_admin_ady[subj]
    action = np.where(onset > last_admin, "NOT APPLICABLE",
                      np.where(related & (grade >= 3), "DRUG WITHDRAWN",
                               np.where(related & (grade == 2) & np.isin(k, [j for j, t in enumerate(AE_TERMS)
                                                                           if t.timing == "infusion"]),
                                        "DRUG INTERRUPTED", "DOSE NOT CHANGED")))
    action = np.where(onset < 1, "NOT APPLICABLE", action)
    action = np.where(acn != None, acn, action)  # noqa: E711
    trial_dates = trial.to_date_for(subj, onset)
    end_dates = trial.start + (trial.entry_day[subj] + endy_day0).astype(np.int64).astype("timedelta64[D]")
    end_dates = np.where(ongoing, np.datetime64("NaT"), end_dates)
    verbatim = [AE_TERMS[j].verbatim[int(rng.integers(len(AE_TERMS[j].verbatim)))] for j in k]
    df = pd.DataFrame({
        "_s": subj, "STUDYID": trial.studyid, "USUBJID": trial.usubjid[subj], "AETERM": verbatim,
        "AEDECOD": [AE_TERMS[j].decod for j in k], "AEBODSYS": [AE_TERMS[j].bodsys for j in k],
        "ASTDT": pd.to_datetime(trial_dates).astype("datetime64[ns]"), "ASTDY": onset.astype(int),
        "AENDT": pd.to_datetime(end_dates.astype("datetime64[D]")).astype("datetime64[ns]"),
        "AENDY": np.where(ongoing, np.nan, endy),
        "AESER": np.where(serious, "Y", "N"), "AETOXGR": grade,
        "AEREL": np.where(related, "RELATED", "NOT RELATED"), "AEACN": action,
        "AEOUT": np.where(ongoing, "NOT RECOVERED/NOT RESOLVED", "RECOVERED/RESOLVED"),
        "TRTEMFL": np.where(onset >= 1, "Y", "N"), "DLTFL": np.where(dltfl, "Y", "N"),
    })
    df = df.sort_values(["_s", "ASTDY", "AEDECOD", "AETERM"], kind="stable").reset_index(drop=True)
    df["AESEQ"] = df.groupby("_s").cumcount() + 1
    return df[ADAE_COLUMNS]
