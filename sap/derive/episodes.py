"""Response onset and duration of response (ADDUR, ADONSET) from ADRESP; hand-written.

Per subject and response endpoint, visits in study-day order (``ADY`` = observed visit day, else
the target/nominal day):

* **onset** = first visit with an observed response (AVAL_OC = 1) that counts under the strategy
  (under ``composite`` not on/after rescue and not after discontinuation).
* **loss (event)** = the first later visit with an observed non-response, or, under the
  ``composite`` strategy, the start of rescue therapy (study day RESCDY) if that comes first.
  Intermittent missing visits are skipped (neither loss nor response).
* **censoring** when no loss is seen: at the last observed visit with a response (the last
  assessment); the reason says whether the subject discontinued, missed later visits, or was
  still responding at the end of the schedule.
* duration (weeks) = (end day - onset day) / 7.

Time to onset (ADONSET, all subjects): AVAL = (onset day - 1) / 7 weeks since the first dose
(day 1), EVENT = 1; non-responders are censored at their last evaluable assessment (before rescue
under ``composite``), or at time 0 with no evaluable assessment.

SAS/R equivalent: ADTTE-style records (``admiral::derive_param_tte``) for PROC LIFETEST /
``survival::survfit``; CNSR = 1 - EVENT as in ADaM ADTTE.
"""
from __future__ import annotations

import numpy as np
import pandas as pd


def _subject_episode(g: pd.DataFrame, composite: bool, discontinued: bool) -> tuple[dict, dict]:
    g = g.sort_values(["ADY", "AVISITN"], kind="mergesort")
    day, vis = g["ADY"].to_numpy(float), g["AVISITN"].to_numpy(float)
    oc = g["AVAL_OC"].to_numpy(float)
    resc = float(g["RESCDY"].iloc[0]) if composite else np.nan
    disc = float(g["DISCDY"].iloc[0]) if composite else np.nan
    counts = np.ones(len(g), dtype=bool)
    if not np.isnan(resc):
        counts &= day < resc
    if not np.isnan(disc):
        counts &= day <= disc
    evaluable = counts & ~np.isnan(oc)
    resp_idx = np.flatnonzero(evaluable & (oc == 1))
    onset: dict = {}
    dur: dict = {}
    if resp_idx.size == 0:
        last = np.flatnonzero(evaluable)
        if last.size:
            i = last[-1]
            why = ("rescue therapy before response (composite)" if not np.isnan(resc) and
                   np.any(day >= resc) else "no response at any evaluable assessment")
            onset = dict(ONSETVN=np.nan, ONSETDY=np.nan, ENDDY=day[i], AVAL=(day[i] - 1) / 7.0, EVENT=0, EVNTDESC=why)
        else:
            onset = dict(ONSETVN=np.nan, ONSETDY=np.nan, ENDDY=1.0, AVAL=0.0, EVENT=0,
                         EVNTDESC="no evaluable post-baseline assessment")
        return onset, dur
    k = resp_idx[0]
    onset = dict(ONSETVN=vis[k], ONSETDY=day[k], ENDDY=day[k], AVAL=(day[k] - 1) / 7.0, EVENT=1,
                 EVNTDESC="response")
    end, endvn, event, why = np.nan, np.nan, 0, ""
    later = np.arange(k + 1, len(g))
    loss = [i for i in later if evaluable[i] and oc[i] == 0]
    if loss:
        end, endvn, event, why = day[loss[0]], vis[loss[0]], 1, "loss of response"
    if not np.isnan(resc) and resc > day[k] and (np.isnan(end) or resc <= end):
        end, endvn, event, why = resc, np.nan, 1, "rescue therapy (composite: loss of response)"
    if not event:
        last_resp = np.flatnonzero(evaluable & (oc == 1))[-1]
        end, endvn = day[last_resp], vis[last_resp]
        if discontinued:
            why = "censored: discontinued after last response"
        elif np.any(np.isnan(oc[last_resp + 1:])) or np.any(~counts[last_resp + 1:]):
            why = "censored: no evaluable assessment after last response"
        else:
            why = "censored: responding at last scheduled assessment"
    dur = dict(ONSETVN=vis[k], ONSETDY=day[k], ENDVN=endvn, ENDDY=end, AVAL=(end - day[k]) / 7.0,
               EVENT=event, EVNTDESC=why)
    return onset, dur


def derive_response_episodes(adresp: pd.DataFrame, ice: pd.DataFrame,
                             strategy: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ADDUR, ADONSET).

    ADDUR: one row per responder and endpoint: USUBJID, PARAMCD, ONSETVN (week), ONSETDY, ENDVN,
    ENDDY, AVAL (duration, weeks), AVALU, EVENT (1 = loss), CNSR, EVNTDESC.
    ADONSET: one row per subject and endpoint: USUBJID, PARAMCD, ONSETVN, ONSETDY, ENDDY, AVAL
    (weeks from first dose to onset or censoring), AVALU, EVENT (1 = onset), CNSR, EVNTDESC.
    """
    composite = strategy == "composite"
    disc = dict(zip(ice["USUBJID"], ice["DISCFL"].eq("Y")))
    on_rows, dur_rows = [], []
    for (code, subj), g in adresp.groupby(["PARAMCD", "USUBJID"], sort=True):
        onset, dur = _subject_episode(g, composite, disc.get(subj, False))
        on_rows.append(dict(USUBJID=subj, PARAMCD=code, **onset))
        if dur:
            dur_rows.append(dict(USUBJID=subj, PARAMCD=code, **dur))
    cols_on = ["USUBJID", "PARAMCD", "ONSETVN", "ONSETDY", "ENDDY", "AVAL", "EVENT", "EVNTDESC"]
    cols_dur = ["USUBJID", "PARAMCD", "ONSETVN", "ONSETDY", "ENDVN", "ENDDY", "AVAL", "EVENT", "EVNTDESC"]
    addur = pd.DataFrame(dur_rows, columns=cols_dur)
    adon = pd.DataFrame(on_rows, columns=cols_on)
    for f in (addur, adon):
        f["AVALU"] = "WEEKS"
        f["EVENT"] = f["EVENT"].astype(int)
        f["CNSR"] = 1 - f["EVENT"]
    return addur, adon
