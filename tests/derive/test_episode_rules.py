"""Duration of response and time to response by the plan's episode rules, on a hand-made data set.

Hand-made ADRESP (ASAS20 observed response AVAL_OC by visit; visit days w1 = 8, w4 = 29, w8 = 57, w12 = 85,
w24 = 169; '-' = no evaluable assessment, ADY = the target day) and intercurrent events:

    subj  w1  w4  w8  w12 w24  events
    S1    1   1   0   0   0    -                      loss at d57
    S2    0   1   1   1   1    -                      responding to the end (d169)
    S3    1   1   -   -   -    discontinued d40       (discontinued responder)
    S4    1   -   1   0   0    -                      missed w4 inside the episode
    S5    0   1   1   1   1    rescue d70
    S6    0   0   0   0   0    -                      never responds
    S7    0   0   1   1   -    death d100
    S8    1   1   -   -   -    discontinued, date not recorded
    S9    0   1   1   1   1    rescue d20 (before the first response)

Durations worked out by hand, weeks = (end day - onset day) / 7, E = event, C = censored:

* composite (the cg-bm1 plan's DURASAS20 episode: rescue, discontinuation, death and a missed visit are losses
  of response at their own dates, a missed visit at its target day):
  S1 (57-8)/7 = 7 E; S2 (169-29)/7 = 20 C; S3 (40-8)/7 = 32/7 E; S4 (29-8)/7 = 3 E (missed w4);
  S5 (70-29)/7 = 41/7 E; S7 (100-57)/7 = 43/7 E; S8 (29-8)/7 = 3 E (no date: last response); S6, S9 none
  (S9's responses are all on/after rescue).
* censoring (discontinuation censored at the last response, missed visits and death ignored, rescue an event):
  S1 7 E; S2 20 C; S3 (29-8)/7 = 3 C; S4 (85-8)/7 = 11 E (w4 skipped, loss at w12); S5 41/7 E;
  S7 (85-57)/7 = 4 C (death ignored, w24 missing); S8 3 C.

Time to first response (the cg-bm1 plan's ONSASAS20 episode; weeks = (day - 1) / 7): S1 1 E, S2 4 E, S3 1 E,
S4 1 E, S5 4 E, S6 (169-1)/7 = 24 C (last assessment), S7 8 E, S8 1 E, S9 (8-1)/7 = 1 C (censored at the last
assessment before rescue; its w4 response does not count).

Kaplan-Meier of the two duration sets against R survival 3.5-3 (tests/validation/r/duration_episodes_reference.R
and .json; arms A = S1-S4, B = S5, S7, S8): median with Brookmeyer-Crowley log-log CI and S(t) with log-log
limits to 1e-9 (where S = 1, R's log-log limits are NA and the package's are 1, as compute_km_table documents),
log-rank chi-square to 1e-9.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses.duration import compute_km_quantile, compute_km_table, compute_logrank, compute_survival_at
from sap.derive.episodes import EpisodeSpec, derive_response_episodes
from sap.spec import load_plan
from sap.spec_episodes import EpisodeRules

REF = json.loads((Path(__file__).resolve().parents[1] / "validation" / "r" /
                  "duration_episodes_reference.json").read_text())
DAYS = {1: 8, 4: 29, 8: 57, 12: 85, 24: 169}
N = np.nan
OC = {"S1": [1, 1, 0, 0, 0], "S2": [0, 1, 1, 1, 1], "S3": [1, 1, N, N, N], "S4": [1, N, 1, 0, 0],
      "S5": [0, 1, 1, 1, 1], "S6": [0, 0, 0, 0, 0], "S7": [0, 0, 1, 1, N], "S8": [1, 1, N, N, N],
      "S9": [0, 1, 1, 1, 1]}
ICE = {"S3": dict(DISCFL="Y", DISCDY=40.0), "S5": dict(RESCDY=70.0), "S7": dict(DTHFL="Y", DTHDY=100.0),
       "S8": dict(DISCFL="Y"), "S9": dict(RESCDY=20.0)}
COMPOSITE = {"S1": (7, 1), "S2": (20, 0), "S3": (32 / 7, 1), "S4": (3, 1), "S5": (41 / 7, 1), "S7": (43 / 7, 1),
             "S8": (3, 1)}
CENSORING = {"S1": (7, 1), "S2": (20, 0), "S3": (3, 0), "S4": (11, 1), "S5": (41 / 7, 1), "S7": (4, 0),
             "S8": (3, 0)}
ONSET = {"S1": (1, 1), "S2": (4, 1), "S3": (1, 1), "S4": (1, 1), "S5": (4, 1), "S6": (24, 0), "S7": (8, 1),
         "S8": (1, 1), "S9": (1, 0)}
ARM = {"S1": "A", "S2": "A", "S3": "A", "S4": "A", "S5": "B", "S7": "B", "S8": "B"}


def _adresp() -> pd.DataFrame:
    rows = [dict(USUBJID=s, PARAMCD="ASAS20", AVISITN=float(w), ADY=float(DAYS[w]), AVAL_OC=float(v))
            for s, vals in OC.items() for w, v in zip(DAYS, vals)]
    return pd.DataFrame(rows)


def _ice() -> pd.DataFrame:
    base = dict(RESCDY=N, DISCFL="N", DISCDY=N, DTHFL="N", DTHDY=N)
    return pd.DataFrame([dict(USUBJID=s, **{**base, **ICE.get(s, {})}) for s in OC])


def _plan_rules(endpoint: str) -> EpisodeRules:
    return load_plan("cg-bm1").endpoint(endpoint).episode


CENSORING_RULES = EpisodeRules.model_validate(dict(response="ASAS20", start="first_response", ends=dict(
    loss_of_response=dict(outcome="event", date="assessment"), rescue=dict(outcome="event", date="event_day"),
    discontinuation=dict(outcome="censored", date="last_assessment"), death=dict(outcome="ignored"),
    missed_visit=dict(outcome="ignored"))))


def _derive(rules: EpisodeRules, which: int = 0) -> pd.DataFrame:
    frames = derive_response_episodes(_adresp(), _ice(), (EpisodeSpec("X", rules),))
    return frames[which].set_index("USUBJID")


@pytest.mark.parametrize("rules,expected", [(None, COMPOSITE), (CENSORING_RULES, CENSORING)],
                         ids=["cg-bm1 plan (composite)", "censoring at discontinuation"])
def test_durations_match_hand_computation(rules, expected):
    got = _derive(rules or _plan_rules("DURASAS20"))
    assert sorted(got.index) == sorted(expected)          # S6 and S9 never respond (S9 only after rescue)
    for subj, (weeks, event) in expected.items():
        assert got.loc[subj, "AVAL"] == pytest.approx(weeks, abs=1e-12), subj
        assert got.loc[subj, "EVENT"] == event and got.loc[subj, "CNSR"] == 1 - event, subj
    assert (got["PARAMCD"] == "X").all() and (got["RESPCD"] == "ASAS20").all()


def test_event_descriptions_name_the_end():
    got = _derive(_plan_rules("DURASAS20"))["EVNTDESC"]
    assert got["S3"] == "discontinuation"
    assert got["S4"] == "missed visit (visit 4)"
    assert got["S5"] == "rescue therapy" and got["S7"] == "death"
    assert got["S8"] == "discontinuation (date not recorded: last assessment used)"
    assert got["S2"].startswith("censored")


def test_time_to_response_matches_hand_computation():
    got = _derive(_plan_rules("ONSASAS20"), which=1)
    assert sorted(got.index) == sorted(ONSET)
    for subj, (weeks, event) in ONSET.items():
        assert got.loc[subj, "AVAL"] == pytest.approx(weeks, abs=1e-12), subj
        assert got.loc[subj, "EVENT"] == event, subj


def _same(got, expected, tol=1e-9):
    return math.isnan(got) if expected is None else abs(got - expected) <= tol


@pytest.mark.parametrize("name,rules", [("composite", None), ("censoring", CENSORING_RULES)])
def test_kaplan_meier_of_derived_durations_matches_r_survival(name, rules):
    ref = REF[name]
    got = _derive(rules or _plan_rules("DURASAS20"))
    table = compute_km_table(got["AVAL"], got["EVENT"], conf_type="log-log")
    assert (len(got), int(got["EVENT"].sum())) == (ref["n"], ref["events"])
    med = compute_km_quantile(table, 0.5)
    assert all(_same(g, e) for g, e in zip(med, (ref["median"], ref["median_lower"], ref["median_upper"]))), med
    for at, s, lo, hi in zip(ref["times"], ref["surv"], ref["surv_lower"], ref["surv_upper"]):
        surv, _, lower, upper = compute_survival_at(table, at)
        if s == 1:  # R gives NA log-log limits where S = 1; compute_km_table documents limits of 1 there
            lo, hi = (1.0 if lo is None else lo), (1.0 if hi is None else hi)
        assert _same(surv, s) and _same(lower, lo) and _same(upper, hi), at
    arm = got.index.map(ARM)
    a, b = got[arm == "A"], got[arm == "B"]
    lr = compute_logrank(a["AVAL"], a["EVENT"], b["AVAL"], b["EVENT"])
    assert lr["chisq"] == pytest.approx(ref["logrank_chisq"], abs=1e-9)


@pytest.mark.parametrize("ends,message", [
    (dict(rescue=dict(outcome="event", date="event_day")), "ends.loss_of_response is required"),
    (dict(loss_of_response=dict(outcome="censored", date="assessment")), "outcome must be 'event'"),
    (dict(missed_visit=dict(outcome="event", date="event_day")), "ends.missed_visit: date must be one of"),
    (dict(death=dict(outcome="ignored", date="event_day")), "an ignored end takes no date"),
    (dict(response=dict(outcome="event", date="assessment")), "ends.response does not apply"),
])
def test_rules_are_validated(ends, message):
    full = dict(loss_of_response=dict(outcome="event", date="assessment"),
                rescue=dict(outcome="event", date="event_day"), discontinuation=dict(outcome="ignored"),
                death=dict(outcome="ignored"), missed_visit=dict(outcome="ignored"))
    full.update(ends)
    if "rescue" in ends and len(ends) == 1:
        full.pop("loss_of_response")
    with pytest.raises(ValueError, match=message):
        EpisodeRules.model_validate(dict(response="ASAS20", start="first_response", ends=full))


def test_first_dose_takes_no_other_event():
    with pytest.raises(ValueError, match="only the response is an event"):
        EpisodeRules.model_validate(dict(response="ASAS20", start="first_dose", ends=dict(
            response=dict(outcome="event", date="assessment"), rescue=dict(outcome="event", date="event_day"),
            discontinuation=dict(outcome="ignored"), death=dict(outcome="ignored"),
            missed_visit=dict(outcome="ignored"))))


def test_plan_episode_reaches_derive_options_as_the_same_object():
    from sap.derivations import derive_options_for_plan
    plan = load_plan("cg-bm1")
    specs = {e.paramcd: e.rules for e in derive_options_for_plan(plan).episodes}
    assert specs["DURASAS20"] is plan.endpoint("DURASAS20").episode
    assert specs["ONSASAS20"] is plan.endpoint("ONSASAS20").episode


def _edited_cg_bm1(edit):
    import yaml
    from sap.spec import plan_from_mapping, plan_path
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    edit(data)
    return plan_from_mapping(data, "cg-bm1 (edited)")


def _endpoint(data, ep_id):
    return next(e for e in data["endpoints"] if e["id"] == ep_id)


@pytest.mark.parametrize("edit,message", [
    (lambda d: _endpoint(d, "DURASAS20").pop("episode"), r"endpoints\[DURASAS20\]\.episode: a response_duration "
                                                         "endpoint must declare its event and censoring rules"),
    (lambda d: _endpoint(d, "DURASAS20")["episode"].update(response="ASAS70"),
     r"endpoints\[DURASAS20\]\.episode\.response: 'ASAS70' is not in derivations\.responses"),
    (lambda d: _endpoint(d, "ONSASAS20").update(episode=_endpoint(d, "DURASAS20")["episode"]),
     r"endpoints\[ONSASAS20\]\.episode\.start: a response_onset endpoint starts at first_dose"),
    (lambda d: next(a for a in d["analyses"] if a["id"] == "DUR-ASAS20")["options"].update(response="ASAS40"),
     r"analyses\[DUR-ASAS20\]\.options\.response: 'ASAS40' disagrees with endpoint DURASAS20"),
    (lambda d: next(a for a in d["analyses"] if a["id"] == "DUR-ASAS20").update(endpoint="ASAS20"),
     r"analyses\[DUR-ASAS20\]\.endpoint: method response_duration needs a response_duration endpoint"),
])
def test_plan_refuses_inconsistent_episode_references(edit, message):
    from sap.errors import PlanError
    with pytest.raises(PlanError, match=message):
        _edited_cg_bm1(edit)
