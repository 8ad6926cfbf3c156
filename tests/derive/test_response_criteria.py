"""Domain-count response criteria as plan data (sap.spec_criteria, sap.derive.criteria).

(a) The inclusive (ASAS20, Anderson 2001) and strict (ASAS20ST, the CG-BM1 registration's "> 20% and > 1 unit",
    no worsening) readings on one hand-made data set, both as plan presets, through the plan's derivations.
(b) Every preset reproduces the hard-coded functions of sap/derive/asas.py as they were before the criteria became
    plan data (copied below, commit 0798869), on random grids, and passes the outside vectors of
    ../shared/reference/as_endpoints.md section 1 through the generic path.
(c) A plan-defined criterion changes the derived responses as hand-computed.
Exact 0/1 comparisons (the functions are deterministic; cut-offs use the 1e-9 tolerance of sap.derive._arrays).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import yaml

from sap.derivations import derive_for_plan, derive_options_for_plan
from sap.derive._arrays import ge, gt, le, lt
from sap.derive.criteria import compute_domain_response
from sap.spec import PlanError, plan_from_mapping, plan_path, preset_criteria
from sap.spec_criteria import CGBM1_REGISTRATION, UCMSC_AS_REGISTRATION

PRESETS = preset_criteria()


def _plan(**derivations):
    """cg-bm1 with ``derivations`` keys replaced, loaded as a statistician's edited plan."""
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["derivations"] = {**data["derivations"], **derivations}
    return plan_from_mapping(data, "cg-bm1 (edited)")


# --------------------------------------------------------------------------- (a) strict versus inclusive
#: post-baseline (week 4) values: PTGA, TBPAIN (mm), BASFI items (all 10 equal), BASDAI Q5, Q6; baseline is
#: (5, 50, 5, 5, 5) for everyone, i.e. every ASAS domain 5 on 0-10, where 20 % of baseline is exactly 1 unit.
POST = {"S1": (3, 30, 3, 5, 5), "S2": (4, 40, 4, 5, 5), "S3": (3, 30, 3, 6, 6), "S4": (3, 30, 4, 5, 5),
        "S5": (3, 30, 3, 5, 6)}


def _hand_made_data() -> dict[str, pd.DataFrame]:
    """Integer 0-10 items (pain in mm), baseline day -1 and week 4 day 29, 5 subjects (see POST)."""
    rows = []

    def visit(subj, avisitn, ady, ptga, tbpain, basfi, q5, q6):
        vals = {"PTGA": ptga, "TBPAIN": tbpain, "NBPAIN": tbpain, **{f"BASFI{i}": basfi for i in range(1, 11)},
                **{f"BASDAI{i}": 5 for i in range(1, 5)}, "BASDAI5": q5, "BASDAI6": q6}
        rows.extend(dict(USUBJID=subj, PARAMCD=p, AVAL=float(v), AVISIT=f"Week {avisitn}", AVISITN=float(avisitn),
                         ADY=float(ady)) for p, v in vals.items())

    for subj, post in POST.items():
        visit(subj, 0, -1, 5, 50, 5, 5, 5)
        visit(subj, 4, 29, *post)
    n = len(POST)
    adsl = pd.DataFrame({"USUBJID": list(POST), "TRT01P": ["A"] * n, "TRTSDT": pd.to_datetime(["2024-01-01"] * n),
                         "EOSSTT": ["COMPLETED"] * n, "FASFL": ["Y"] * n})
    return {"adsl": adsl, "adqs": pd.DataFrame(rows)}


def _week4(plan) -> pd.DataFrame:
    """AVAL_OC at week 4: one row per subject, one column per response."""
    resp = derive_for_plan(plan, _hand_made_data())["adresp"]
    return resp[resp.AVISITN == 4].pivot(index="USUBJID", columns="PARAMCD", values="AVAL_OC")


def test_strict_and_inclusive_asas20_readings_by_hand():
    """Domains on 0-10 (pain 30 mm = 3), baseline 5 everywhere, so -1 unit is exactly -20 %.
    ASAS20 (inclusive): >= 20 % and >= 1 unit in >= 3 domains, no worsening of >= 20 % and >= 1 unit.
    ASAS20ST (strict): > 20 % and > 1 unit in >= 3 domains, no worsening at all.

    ====  ====================  =====================================  =================================
    subj  post (PG, pain, F, I)  ASAS20                                 ASAS20ST
    ====  ====================  =====================================  =================================
    S1    3, 3, 3, 5            3 improved (-40 %, -2), I unchanged: 1  3 improved, I unchanged: 1
    S2    4, 4, 4, 5            3 improved (exactly -20 %, -1): 1       none is > 20 % and > 1: 0
    S3    3, 3, 3, 6            I +1 unit = +20 %, worse: 0             I worse: 0
    S4    3, 3, 4, 5            3 improved (F exactly): 1               2 improved: 0
    S5    3, 3, 3, 5.5          I +0.5 < 1 unit, not worse: 1           I worse (+0.5): 0
    ====  ====================  =====================================  =================================

    Inclusive: 4 of 5 responders (S1, S2, S4, S5); strict: 1 of 5 (S1).
    """
    plan = _plan(asas_pain_domain="TBPAIN", responses=["ASAS20", "ASAS20ST"])
    got = _week4(plan)
    assert got["ASAS20"].to_dict() == {"S1": 1.0, "S2": 1.0, "S3": 0.0, "S4": 1.0, "S5": 1.0}
    assert got["ASAS20ST"].to_dict() == {"S1": 1.0, "S2": 0.0, "S3": 0.0, "S4": 0.0, "S5": 0.0}
    assert (got["ASAS20"].sum(), got["ASAS20ST"].sum()) == (4, 1)
    # the same counts from the presets on the domain matrix (columns PG, pain, F, I)
    base = np.full((5, 4), 5.0)
    post = np.array([[3, 3, 3, 5], [4, 4, 4, 5], [3, 3, 3, 6], [3, 3, 4, 5], [3, 3, 3, 5.5]], dtype=float)
    assert compute_domain_response(base, post, PRESETS["ASAS20"]).tolist() == [1, 1, 0, 1, 1]
    assert compute_domain_response(base, post, PRESETS["ASAS20ST"]).tolist() == [1, 0, 0, 0, 0]


def test_registered_presets_cite_the_registration_lines():
    """ASAS50: 000_*.txt line 70 ('at least 50% and ... at least 10 units on a 0-100 scale in at least three');
    ASAS20ST: 001_*.txt lines 133-134 ('> 20% and ... > 1 unit ...', 'no worsening in the remaining domain')."""
    a50, st = PRESETS["ASAS50"], PRESETS["ASAS20ST"]
    assert a50.reference == UCMSC_AS_REGISTRATION and "000_e3d85c03939e06ad.txt lines 69-70" in a50.reference
    assert (a50.improvement.relative, a50.improvement.absolute, a50.improvement.absolute_scale) == (0.5, 10, 100)
    assert (a50.n_required, a50.worsening.rule, a50.improvement.comparison) == (3, "none", "inclusive")
    assert st.reference == CGBM1_REGISTRATION and "001_a0939c7146ab3bf7.txt lines 133-134" in st.reference
    assert (st.improvement.comparison, st.worsening.rule, st.n_required) == ("strict", "any", 3)


def test_asas50_as_registered_by_hand():
    """Baseline 6 in every domain (0-10). >= 50 % means a decrease >= 3; 10 units on 0-100 = 1 unit on 0-10.
    (3, 3, 3, 9): 3 improved by exactly 50 %, the 4th worse by 3 units, no worsening clause -> 1.
    (3, 3, 3.5, 9): 2 improved -> 0. ASAS40 (>= 40 %/2 units, no worsening) of the first: 0 (4th worse)."""
    base = np.full((2, 4), 6.0)
    post = np.array([[3, 3, 3, 9], [3, 3, 3.5, 9]], dtype=float)
    assert compute_domain_response(base, post, PRESETS["ASAS50"]).tolist() == [1, 0]
    assert compute_domain_response(base, post, PRESETS["ASAS40"]).tolist() == [0, 0]


# --------------------------------------------------------------------------- (b) presets = the former functions
def _legacy_improved(b, p, rel, unit):
    d = p - b
    return (b > 0) & le(d, -rel * b) & le(d, -unit)


def _legacy_asas20(b, p):
    d = p - b
    ok = (_legacy_improved(b, p, 0.2, 1.0).sum(axis=1) >= 3) & ~(ge(d, 0.2 * b) & ge(d, 1.0)).any(axis=1)
    return np.where(np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1), np.nan, ok.astype(float))


def _legacy_asas40(b, p):
    d = p - b
    ok = (_legacy_improved(b, p, 0.4, 2.0).sum(axis=1) >= 3) & ~gt(d, 0.0).any(axis=1)
    return np.where(np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1), np.nan, ok.astype(float))


def _legacy_asas56(b, p):
    d = p - b
    n_imp = ((b[:, :5] > 0) & le(d[:, :5], -0.2 * b[:, :5])).sum(axis=1) + \
        ((b[:, 5] > 0) & ge(d[:, 5], 0.2 * b[:, 5])).astype(int)
    return np.where(np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1), np.nan, (n_imp >= 5).astype(float))


def _legacy_pr(p, rule):
    ok = (le(p, 2.0) if rule == "le2" else lt(p, 2.0)).all(axis=1)
    return np.where(np.isnan(p).any(axis=1), np.nan, ok.astype(float))


def _legacy_basdai50(b, p, rule):
    d = p - b
    ok = (b > 0) & le(d, -0.5 * b)
    if rule == "relative_or_absolute":
        ok = ok | le(d, -2.0)
    return np.where(np.isnan(d), np.nan, ok.astype(float))


def _grid(rng, n, k, step):
    """n x k values on 0-10 in steps of ``step`` (boundaries such as exactly -20 % occur), some missing."""
    x = rng.integers(0, int(round(10 / step)) + 1, size=(n, k)) * step
    x[rng.random((n, k)) < 0.02] = np.nan
    return x


@pytest.mark.parametrize("step", [1.0, 0.5, 0.1], ids=["integer", "half", "tenth"])
def test_presets_reproduce_the_former_functions_on_a_grid(step):
    rng = np.random.default_rng(20240514)
    n = 4000
    b, p = _grid(rng, n, 4, step), _grid(rng, n, 4, step)
    np.testing.assert_array_equal(compute_domain_response(b, p, PRESETS["ASAS20"]), _legacy_asas20(b, p))
    np.testing.assert_array_equal(compute_domain_response(b, p, PRESETS["ASAS40"]), _legacy_asas40(b, p))
    for rule in ("le2", "lt2"):
        crit = preset_criteria(partial_remission_rule=rule)["ASASPR"]
        np.testing.assert_array_equal(compute_domain_response(None, p, crit), _legacy_pr(p, rule))
    extra_b = np.column_stack([rng.integers(0, 40, n) * 0.5, rng.integers(0, 30, n) * 0.5])
    extra_p = np.column_stack([rng.integers(0, 40, n) * 0.5, rng.integers(0, 30, n) * 0.5])
    b6, p6 = np.column_stack([b, extra_b]), np.column_stack([p, extra_p])
    np.testing.assert_array_equal(compute_domain_response(b6, p6, PRESETS["ASAS56"]), _legacy_asas56(b6, p6))
    for rule in ("relative", "relative_or_absolute"):
        crit = preset_criteria(basdai50_rule=rule)["BASDAI50"]
        np.testing.assert_array_equal(compute_domain_response(b[:, :1], p[:, :1], crit),
                                      _legacy_basdai50(b[:, 0], p[:, 0], rule))
    # the grid exercises what the rules distinguish (not a vacuous comparison)
    r20 = _legacy_asas20(b, p)
    assert np.nansum(r20) > 50 and np.nansum(1 - r20) > 50 and np.isnan(r20).sum() > 50


#: ../shared/reference/as_endpoints.md section 1, "ASAS test vectors": baseline (6, 7, 5, 6); post, ASAS20,
#: ASAS40, partial remission (the last row is also a partial remission: all <= 2)
BASE = (6, 7, 5, 6)
VECTORS = [((4.5, 5.5, 4.0, 6.5), 1, 0, 0), ((4.5, 5.5, 4.0, 7.5), 0, 0, 0), ((3.0, 4.0, 3.0, 6.0), 1, 1, 0),
           ((3.0, 4.0, 3.0, 6.2), 1, 0, 0), ((1.5, 2.0, 1.0, 2.0), 1, 1, 1)]


@pytest.mark.parametrize("post, asas20, asas40, remission", VECTORS)
def test_outside_vectors_through_the_generic_path(post, asas20, asas40, remission):
    assert compute_domain_response(BASE, post, PRESETS["ASAS20"]) == asas20
    assert compute_domain_response(BASE, post, PRESETS["ASAS40"]) == asas40
    assert compute_domain_response(None, post, PRESETS["ASASPR"]) == remission


def test_outside_vectors_through_the_plan_derivations():
    """The same five vectors as five subjects of a plan run (pain in mm: 7 -> 70 mm; inflammation = (Q5+Q6)/2
    with Q5 = Q6), with the shipped presets of cg-bm1 (ASAS pain domain set to TBPAIN)."""
    rows = []
    for i, (post, *_) in enumerate(VECTORS, start=1):
        for avisitn, ady, (pg, pain, fn, infl) in ((0, -1, BASE), (4, 29, post)):
            vals = {"PTGA": pg, "TBPAIN": pain * 10, "NBPAIN": pain * 10, **{f"BASFI{j}": fn for j in range(1, 11)},
                    **{f"BASDAI{j}": 5 for j in range(1, 5)}, "BASDAI5": infl, "BASDAI6": infl}
            rows += [dict(USUBJID=f"S{i}", PARAMCD=p, AVAL=float(v), AVISIT=f"Week {avisitn}",
                          AVISITN=float(avisitn), ADY=float(ady)) for p, v in vals.items()]
    n = len(VECTORS)
    adsl = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(1, n + 1)], "TRT01P": ["A"] * n,
                         "TRTSDT": pd.to_datetime(["2024-01-01"] * n), "EOSSTT": ["COMPLETED"] * n, "FASFL": ["Y"] * n})
    resp = derive_for_plan(_plan(asas_pain_domain="TBPAIN", responses=["ASAS20", "ASAS40", "ASASPR"]),
                           {"adsl": adsl, "adqs": pd.DataFrame(rows)})["adresp"]
    got = resp[resp.AVISITN == 4].pivot(index="USUBJID", columns="PARAMCD", values="AVAL_OC")
    for i, (_, a20, a40, pr) in enumerate(VECTORS, start=1):
        assert (got.loc[f"S{i}", "ASAS20"], got.loc[f"S{i}", "ASAS40"], got.loc[f"S{i}", "ASASPR"]) == (a20, a40, pr)


def test_generic_conventions():
    """Baseline 0 cannot improve relatively; its worsening rests on the absolute rule; missing -> NaN."""
    a20 = PRESETS["ASAS20"]
    assert compute_domain_response((0, 5, 5, 5), (0, 4, 4, 4), a20) == 1
    assert compute_domain_response((0, 5, 5, 5), (1, 4, 4, 4), a20) == 0     # +1 unit from 0: worse
    assert compute_domain_response((0, 5, 5, 5), (0.9, 4, 4, 4), a20) == 1
    assert compute_domain_response((5, 5, 5, 0), (0, 0, 0, 0), a20) == 1     # 3 improved, 4th cannot
    assert compute_domain_response((5, 5, 5, 0), (0, 0, 5, 0), a20) == 0     # only 2
    assert math.isnan(compute_domain_response((5, 5, 5, 5), (1, 1, 1, np.nan), a20))
    assert math.isnan(compute_domain_response(None, (1, 1, 1, np.nan), PRESETS["ASASPR"]))
    with pytest.raises(ValueError, match=r"post PTGA \(ASAS20\): values outside \[0, 10"):
        compute_domain_response((5, 5, 5, 5), (50, 4, 4, 4), a20)


# --------------------------------------------------------------------------- (c) a plan-defined criterion
#: ASAS20 as the UC-MSC AS registration writes it (000_*.txt line 68: >= 20 % and >= 10 units on 0-100 in >= 3
#: domains; no worsening clause), defined by the plan under its own id
ASAS20NW = {"id": "ASAS20NW", "label": "ASAS20 response (registered: no worsening clause)",
            "reference": "UC-MSC AS registration, 000_e3d85c03939e06ad.txt line 68",
            "domains": [{"parameter": p, "scale": 10} for p in ("PTGA", "@pain", "BASFI", "INFLAM")],
            "improvement": {"relative": 0.2, "absolute": 10, "absolute_scale": 100}, "required": 3}


def test_plan_defined_criterion_changes_the_responses():
    """On the data of (a): without the worsening clause S3 (3 domains -40 %/-2 units, inflammation +1 unit =
    +20 %) becomes a responder: 5 of 5 against the preset's 4 of 5. A plan criterion under the preset id ASAS20
    replaces the preset (same counts as ASAS20NW)."""
    plan = _plan(asas_pain_domain="TBPAIN", criteria=[ASAS20NW], responses=["ASAS20", "ASAS20NW"])
    got = _week4(plan)
    assert got["ASAS20"].to_dict() == {"S1": 1.0, "S2": 1.0, "S3": 0.0, "S4": 1.0, "S5": 1.0}
    assert got["ASAS20NW"].to_dict() == {"S1": 1.0, "S2": 1.0, "S3": 1.0, "S4": 1.0, "S5": 1.0}
    resp = derive_for_plan(plan, _hand_made_data())["adresp"]
    assert set(resp.loc[resp.PARAMCD == "ASAS20NW", "PARAM"]) == {ASAS20NW["label"]}
    replaced = _plan(asas_pain_domain="TBPAIN", criteria=[{**ASAS20NW, "id": "ASAS20"}], responses=["ASAS20"])
    assert _week4(replaced)["ASAS20"].sum() == 5
    assert derive_options_for_plan(replaced).criteria[0].worsening.rule == "none"


def test_plan_defined_criterion_with_a_higher_better_domain_and_or_rule():
    """A made-up criterion: BASFI (0-10, lower is better) or lateral flexion (cm, higher is better) improves by
    >= 25 % or >= 3 units (no absolute_scale: in each domain's own unit); 1 of 2 needed; no worsening rule.

    ===========================  ==========================================================  ====
    BASFI     LATFLX (cm)        hand computation                                              resp
    ===========================  ==========================================================  ====
    8 -> 5    20 -> 20           BASFI -3 units (and -37.5 %)                                  1
    4 -> 3.5  8 -> 10            BASFI -12.5 %, -0.5; LATFLX +2 = exactly +25 %               1
    4 -> 3.5  8 -> 9.9           BASFI no; LATFLX +23.75 %, +1.9 cm: no                        0
    8 -> 5    8 -> 7             BASFI yes; LATFLX worse, but there is no worsening rule       1
    4 -> 4    20 -> 23           LATFLX +15 %, but +3 cm                                       1
    ===========================  ==========================================================  ====
    """
    crit = plan_from_mapping_criterion({
        "id": "MYRESP", "label": "mine", "reference": "the plan",
        "domains": [{"parameter": "BASFI", "scale": 10}, {"parameter": "LATFLX", "better": "higher"}],
        "improvement": {"relative": 0.25, "absolute": 3, "combine": "or"}, "required": 1})
    base = np.array([[8, 20], [4, 8], [4, 8], [8, 8], [4, 20]], dtype=float)
    post = np.array([[5, 20], [3.5, 10], [3.5, 9.9], [5, 7], [4, 23]], dtype=float)
    assert compute_domain_response(base, post, crit).tolist() == [1, 1, 0, 1, 1]


def plan_from_mapping_criterion(mapping: dict):
    """The criterion as the plan loader validates it (inside cg-bm1's derivations)."""
    plan = _plan(criteria=[mapping], responses=["ASAS20", mapping["id"]])  # ASAS20: cg-bm1's duration endpoints
    return next(c for c in plan.derivations.response_criteria() if c.id == mapping["id"])


@pytest.mark.parametrize("edit, message", [
    ({"improvement": None}, "give either an improvement rule or a state cut-off"),
    ({"improvement": None, "cutoff": {"comparison": "le", "value": 2, "scale": 10}},
     "a state cut-off alone takes no 'required'"),  # an improvement with a cut-off is valid (EULAR good)
    ({"worsening": {"rule": "thresholds"}}, "rule 'thresholds' needs a threshold"),
    ({"domains": [{"parameter": "PTGA"}] * 4}, "a domain is listed twice"),
    ({"domains": [{"parameter": p} for p in ("PTGA", "@pain", "BASFI", "INFLAM")]},
     "a threshold written on a scale needs every domain's scale"),
    ({"improvement": {"relative": 0.2, "combine": "or"}}, "combine 'or' needs both"),
    ({"id": "asas20nw"}, "String should match pattern"),
])
def test_plan_refuses_an_inconsistent_criterion(edit, message):
    with pytest.raises(PlanError, match=message):
        _plan(criteria=[{**ASAS20NW, **edit}], responses=["ASAS20"])
