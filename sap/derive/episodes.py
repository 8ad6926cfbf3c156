"""Duration of response (ADDUR) and time to response (ADONSET) from ADRESP, by the plan's episode rules;
hand-written (no library derives ADTTE-style records from declared event/censoring sources).

The rules are the endpoint's :class:`sap.spec_episodes.EpisodeRules` (its module docstring defines every term);
nothing here is a choice of its own. Per subject, visits in study-day order (``ADY`` = observed visit day, else
the target day), and the intercurrent events of the ``ice`` frame (RESCDY, DISCFL/DISCDY, DTHFL/DTHDY):

* an intercurrent event that is not ``ignored`` stops the visits that count: visits on/after the rescue day, and
  visits after the discontinuation or death day, do not count (an ``ignored`` one changes nothing);
* time zero: the first counting visit with an observed response (``first_response``), else study day 1;
* candidate ends after time zero: the main end (first later observed non-response, or first observed response),
  each intercurrent event not ignored, and the first counting visit without an evaluable assessment when
  ``missed_visit`` is not ignored; the earliest wins (ties in ``END_ORDER``); its outcome and date are the
  declared ones; with no end, censored at the last counting assessment;
* times in weeks: duration = (end day - onset day) / 7; time to response = (end day - 1) / 7.

SAS/R equivalent: ADTTE records with CNSR and EVNTDESC (``admiral::derive_param_tte``) for PROC LIFETEST /
``survival::survfit``; CNSR = 1 - EVENT.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sap.spec_episodes import END_ORDER, EpisodeRules

DUR_COLUMNS = ["USUBJID", "PARAMCD", "RESPCD", "ONSETVN", "ONSETDY", "ENDVN", "ENDDY", "AVAL", "EVENT", "EVNTDESC"]
ONSET_COLUMNS = ["USUBJID", "PARAMCD", "RESPCD", "ONSETVN", "ONSETDY", "ENDDY", "AVAL", "EVENT", "EVNTDESC"]
_LABEL = {"loss_of_response": "loss of response", "response": "response", "rescue": "rescue therapy",
          "discontinuation": "discontinuation", "death": "death", "missed_visit": "missed visit"}


@dataclass(frozen=True)
class EpisodeSpec:
    """One episode endpoint to derive: its PARAMCD in ADDUR/ADONSET and its rules."""

    paramcd: str
    rules: EpisodeRules


@dataclass(frozen=True)
class _End:
    cause: str
    day: float          # when the end happens (for ordering)
    visit: float        # AVISITN of the visit that shows it, NaN if none
    day_known: bool = True


def _intercurrent(rules: EpisodeRules, ice: dict) -> list[_End]:
    """The intercurrent events of one subject that the rules do not ignore (day NaN = not recorded)."""
    out = []
    for cause, flag, col in (("rescue", None, "RESCDY"), ("discontinuation", "DISCFL", "DISCDY"),
                             ("death", "DTHFL", "DTHDY")):
        day = float(ice.get(col, np.nan))
        happened = (not np.isnan(day)) if flag is None else ice.get(flag) == "Y"
        if happened and getattr(rules.ends, cause).outcome != "ignored":
            out.append(_End(cause, day, np.nan, not np.isnan(day)))
    return out


def _counting(day: np.ndarray, events: list[_End]) -> np.ndarray:
    """Visits that count: before a rescue day, up to a discontinuation or death day."""
    ok = np.ones(len(day), dtype=bool)
    for e in events:
        if e.day_known:
            ok &= (day < e.day) if e.cause == "rescue" else (day <= e.day)
    return ok


def _first_end(rules, day, vis, oc, counts, t0_idx, events) -> _End | None:
    """The earliest end after time zero (index ``t0_idx``, -1 for study day 1), ties in END_ORDER."""
    main = "loss_of_response" if rules.start == "first_response" else "response"
    later = np.arange(t0_idx + 1, len(day))
    ev = later[counts[later] & ~np.isnan(oc[later])]
    hit = ev[oc[ev] == (0 if main == "loss_of_response" else 1)]
    cands = [_End(main, day[hit[0]], vis[hit[0]])] if hit.size else []
    last_obs = day[~np.isnan(oc)].max() if np.any(~np.isnan(oc)) else 1.0
    t0 = day[t0_idx] if t0_idx >= 0 else 1.0
    for e in events:
        when = e.day if e.day_known else last_obs
        if when > t0 or (when == t0 and e.cause != "rescue"):
            cands.append(_End(e.cause, when, np.nan, e.day_known))
    if rules.ends.missed_visit.outcome != "ignored":
        gap = later[counts[later] & np.isnan(oc[later])]
        if gap.size:
            cands.append(_End("missed_visit", day[gap[0]], vis[gap[0]]))
    return min(cands, key=lambda e: (e.day, END_ORDER.index(e.cause)), default=None)


def _last_counting(day, oc, counts, upto: float, responses_only: bool) -> int | None:
    """Index of the last counting assessment before ``upto`` (with a response if ``responses_only``)."""
    ok = counts & ~np.isnan(oc) & (day < upto) & ((oc == 1) if responses_only else True)
    idx = np.flatnonzero(ok)
    return int(idx[-1]) if idx.size else None


def derive_subject_episode(g: pd.DataFrame, ice: dict, rules: EpisodeRules) -> dict | None:
    """One subject's record (columns of ADDUR/ADONSET without keys), or None for a non-responder (duration)."""
    g = g.sort_values(["ADY", "AVISITN"], kind="mergesort")
    day, vis, oc = (g[c].to_numpy(float) for c in ("ADY", "AVISITN", "AVAL_OC"))
    events = _intercurrent(rules, ice)
    counts = _counting(day, events)
    duration = rules.start == "first_response"
    if duration:
        resp = np.flatnonzero(counts & (oc == 1))
        if resp.size == 0:
            return None
        k = int(resp[0])
        t0_idx, onset = k, dict(ONSETVN=vis[k], ONSETDY=day[k])
    else:
        t0_idx, onset = -1, dict(ONSETVN=np.nan, ONSETDY=np.nan)
    end = _first_end(rules, day, vis, oc, counts, t0_idx, events)
    if end is not None:
        declared = getattr(rules.ends, end.cause)
        event = int(declared.outcome == "event")
        desc = _LABEL[end.cause] if event else f"censored: {_LABEL[end.cause]}"
        use_last = declared.date == "last_assessment" or not end.day_known
        if not end.day_known:
            desc += " (date not recorded: last assessment used)"
        if end.cause == "missed_visit":
            desc += f" (visit {end.visit:g})"
    else:
        event, desc, use_last = 0, "censored: no end observed; last assessment", True
    if use_last:
        upto = end.day + (1e-9 if end is not None and end.cause != "rescue" else 0) if end is not None else np.inf
        i = _last_counting(day, oc, counts, upto, duration)
        end_day, end_vn = (day[i], vis[i]) if i is not None else (1.0, np.nan)
    else:
        end_day, end_vn = end.day, end.visit
    origin = onset["ONSETDY"] if duration else 1.0
    if duration and end_day < origin:
        end_day, end_vn = origin, onset["ONSETVN"]
    if not duration and event:
        onset = dict(ONSETVN=end_vn, ONSETDY=end_day)
    return dict(**onset, ENDVN=end_vn, ENDDY=end_day, AVAL=(end_day - origin) / 7.0, EVENT=event, EVNTDESC=desc)


def derive_response_episodes(adresp: pd.DataFrame, ice: pd.DataFrame,
                             episodes: tuple[EpisodeSpec, ...]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return (ADDUR, ADONSET): one row per responder (``first_response`` endpoints) or per subject
    (``first_dose`` endpoints) and endpoint; PARAMCD = the endpoint's parameter, RESPCD = its response; AVAL
    (weeks), AVALU, EVENT, CNSR (= 1 - EVENT), EVNTDESC. Subjects with no ADRESP record of the response
    (none derived) get no record."""
    by_subject = {r["USUBJID"]: r for r in ice.to_dict("records")}
    dur_rows, on_rows = [], []
    for spec in episodes:
        resp = adresp[adresp["PARAMCD"] == spec.rules.response] if len(adresp) else adresp
        for subj, g in (resp.groupby("USUBJID", sort=True) if len(resp) else ()):
            rec = derive_subject_episode(g, by_subject.get(subj, {}), spec.rules)
            if rec is None:
                continue
            row = dict(USUBJID=subj, PARAMCD=spec.paramcd, RESPCD=spec.rules.response, **rec)
            (dur_rows if spec.rules.start == "first_response" else on_rows).append(row)
    addur = pd.DataFrame(dur_rows, columns=DUR_COLUMNS)
    adon = pd.DataFrame(on_rows, columns=ONSET_COLUMNS + ["ENDVN"]).drop(columns="ENDVN")
    for f in (addur, adon):
        f["AVALU"] = "WEEKS"
        f["EVENT"] = f["EVENT"].astype(int)
        f["CNSR"] = 1 - f["EVENT"]
    return addur, adon
