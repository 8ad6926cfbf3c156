"""ASDAS, ACR and EULAR responses as plan data: presets of the response-criterion mechanism (issue 14).

(a) Each preset on a small hand-made data set whose responder counts are worked out by hand below, with the
    boundary cases (ASDAS change exactly 1.1 / 2.0 / 0.9 and ASDAS exactly 1.3 / 2.1; exactly 20 % / 50 % / 70 %
    improvement; DAS28 improvement exactly 1.2 / 0.6 and DAS28 exactly 3.2 / 5.1). Exact decimals are not exact
    in binary floating point (4.4 - 3.2 = 1.2000000000000002); cut-offs use the 1e-9 tolerance of
    sap.derive._arrays, so they behave as the decimal rule says.
(b) The ASDAS-CRP test vectors of ../shared/reference/as_endpoints.md section 3 (items -> ASDAS-CRP) through a
    plan's derivations into the ASDAS presets; the ACR and EULAR presets through a plan's derivations from joint
    counts, VAS, HAQ-DI and CRP (DAS28-CRP by hand).
(c) The presets reproduce the code-defined functions they replace (copied below from sap/derive/asdas.py and
    sap/derive/ra_scores.py at commit 60e8b9a) on random grids with boundary values.
(d) The plan refuses inconsistent criteria of the new forms with a clear message; a plan-defined criterion of the
    new forms (mandatory domains, alternatives with a state cut-off) is computed as hand-computed.
"""
from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import yaml

from sap.derivations import derive_for_plan, derive_options_for_plan
from sap.derive._arrays import ge, gt, le
from sap.derive.criteria import compute_domain_response
from sap.derive.response import response_components
from sap.spec import PlanError, plan_from_mapping, plan_path, preset_criteria
from sap.spec_criteria import ACUTE_PHASE, DAS28, FELSON_1995, MACHADO_2011, MACHADO_2018, VAN_GESTEL_1996

PRESETS = preset_criteria()


def _col(values) -> np.ndarray:
    return np.asarray(values, dtype=float).reshape(-1, 1)


def _resp(code: str, base, post) -> list:
    """Responses of preset ``code`` as a list (NaN kept), one-domain inputs."""
    b = None if base is None else _col(base)
    return compute_domain_response(b, _col(post), PRESETS[code]).tolist()


def _same(got: list, expected: list) -> bool:
    return all((math.isnan(g) and math.isnan(e)) if math.isnan(e) else g == e for g, e in zip(got, expected)) \
        and len(got) == len(expected)


# --------------------------------------------------------------------------- (a) ASDAS presets by hand
#: ASDAS-CRP at baseline and at the visit
ASDAS_BASE = [3.3, 3.3, 4.0, 2.0, 2.0, 3.4, 3.0, 2.6, np.nan, 3.0]
ASDAS_POST = [2.2, 2.21, 2.0, 2.9, 2.89, 1.3, 1.29, 2.1, 1.0, np.nan]
N = np.nan


def test_asdas_presets_by_hand():
    """ASDASCII: decrease >= 1.1; ASDASMI: decrease >= 2.0; ASDASCIW: increase >= 0.9 (Machado 2011; ASAS 2018);
    ASDASID: ASDAS < 1.3; ASDASLDA: ASDAS < 2.1 (Machado 2011, names of Machado 2018). States use no baseline.

    ====  ===========  ==============================  ===  ==  ===  ==  ===
    subj  base -> post  hand computation                CII  MI  CIW  ID  LDA
    ====  ===========  ==============================  ===  ==  ===  ==  ===
    S1    3.3 -> 2.2    decrease exactly 1.1            1    0   0    0   0
    S2    3.3 -> 2.21   decrease 1.09 < 1.1             0    0   0    0   0
    S3    4.0 -> 2.0    decrease exactly 2.0; 2.0 < 2.1  1    1   0    0   1
    S4    2.0 -> 2.9    increase exactly 0.9            0    0   1    0   0
    S5    2.0 -> 2.89   increase 0.89 < 0.9             0    0   0    0   0
    S6    3.4 -> 1.3    decrease 2.1; 1.3 is not < 1.3  1    1   0    0   1
    S7    3.0 -> 1.29   decrease 1.71; 1.29 < 1.3       1    0   0    1   1
    S8    2.6 -> 2.1    2.1 is not < 2.1                0    0   0    0   0
    S9    missing -> 1  change missing; state 1.0       .    .   .    1   1
    S10   3.0 -> miss.  all missing                     .    .   .    .   .
    ====  ===========  ==============================  ===  ==  ===  ==  ===

    Responders: CII 4 of 8 evaluable, MI 2 of 8, CIW 1 of 8, ID 2 of 9, LDA 4 of 9.
    """
    expected = {"ASDASCII": [1, 0, 1, 0, 0, 1, 1, 0, N, N], "ASDASMI": [0, 0, 1, 0, 0, 1, 0, 0, N, N],
                "ASDASCIW": [0, 0, 0, 1, 0, 0, 0, 0, N, N], "ASDASID": [0, 0, 0, 0, 0, 0, 1, 0, 1, N],
                "ASDASLDA": [0, 0, 1, 0, 0, 1, 1, 0, 1, N]}
    counts = {"ASDASCII": (4, 8), "ASDASMI": (2, 8), "ASDASCIW": (1, 8), "ASDASID": (2, 9), "ASDASLDA": (4, 9)}
    for code, exp in expected.items():
        got = _resp(code, ASDAS_BASE, ASDAS_POST)
        assert _same(got, exp), (code, got)
        assert (np.nansum(got), int(np.sum(~np.isnan(got)))) == counts[code], code
    # the states need no baseline at all
    assert _same(_resp("ASDASID", None, ASDAS_POST), expected["ASDASID"])


def test_asdas_presets_cite_their_references():
    for code in ("ASDASCII", "ASDASMI"):
        assert PRESETS[code].reference == MACHADO_2011
    assert PRESETS["ASDASCIW"].reference == MACHADO_2018 and PRESETS["ASDASCIW"].deterioration.absolute == 0.9
    for code, cut in (("ASDASID", 1.3), ("ASDASLDA", 2.1)):
        c = PRESETS[code]
        assert MACHADO_2011 in c.reference and MACHADO_2018 in c.reference
        assert (c.cutoff.comparison, c.cutoff.value, c.needs_baseline) == ("lt", cut, False)
    assert {d.parameter for code in ("ASDASCII", "ASDASMI", "ASDASCIW", "ASDASID", "ASDASLDA")
            for d in PRESETS[code].domains} == {"ASDASCRP"}


# --------------------------------------------------------------------------- (a) ACR presets by hand
#: columns: TJC28, SJC28, patient global, physician global, pain (VAS mm), HAQ-DI, CRP (mg/L)
ACR_BASE = np.array([[10, 10, 50, 50, 50, 1.0, 20]] * 8, dtype=float)
ACR_BASE[5, 1] = 0  # R6: swollen joint count 0 at baseline
ACR_POST = np.array([
    [8, 8, 40, 40, 40, 0.8, 16],     # R1 exactly 20 % everywhere
    [9, 5, 25, 25, 25, 0.5, 10],     # R2 tender joints only -10 %, all others -50 %
    [5, 5, 40, 40, 40, 1.0, 30],     # R3 joints -50 %; exactly 3 of 5 others -20 %, HAQ unchanged, CRP +50 %
    [5, 5, 40, 40, 45, 1.0, 20],     # R4 joints -50 %; only 2 of 5 others (pain -10 %)
    [3, 3, 15, 15, 15, 0.3, 6],      # R5 exactly 70 % everywhere
    [3, 0, 15, 15, 15, 0.3, 6],      # R6 swollen 0 -> 0: baseline 0 cannot improve
    [5, 5, 25, 25, 25, np.nan, 10],  # R7 HAQ-DI missing
    [5, 5, 25, 25, 25, 0.5, 10],     # R8 exactly 50 % everywhere
])


def test_acr_presets_by_hand():
    """ACR20/50/70 (Felson 1995): >= x % improvement in both joint counts (mandatory) and in >= 3 of the 5 other
    core measures; no worsening rule; a component with baseline 0 cannot improve; a missing one -> missing.

    ====  ========================================================  =====  =====  =====
    row   hand computation                                          ACR20  ACR50  ACR70
    ====  ========================================================  =====  =====  =====
    R1    every component exactly -20 % (HAQ 1.0 -> 0.8)               1      0      0
    R2    TJC -10 % fails the mandatory joint count                 0      0      0
    R3    TJC, SJC -50 %; PtGA, PhGA, pain -20 %; CRP worse           1      0      0
    R4    TJC, SJC -50 %; PtGA, PhGA -20 %, pain -10 %: 2 of 5         0      0      0
    R5    every component exactly -70 %                              1      1      1
    R6    SJC baseline 0: cannot improve, and it is mandatory         0      0      0
    R7    HAQ-DI missing                                            .      .      .
    R8    every component exactly -50 %                              1      1      0
    ====  ========================================================  =====  =====  =====

    Responders of the 7 evaluable rows: ACR20 4, ACR50 2, ACR70 1.
    """
    expected = {"ACR20": [1, 0, 1, 0, 1, 0, N, 1], "ACR50": [0, 0, 0, 0, 1, 0, N, 1],
                "ACR70": [0, 0, 0, 0, 1, 0, N, 0]}
    for code, exp in expected.items():
        got = compute_domain_response(ACR_BASE, ACR_POST, PRESETS[code]).tolist()
        assert _same(got, exp), (code, got)
    assert [np.nansum(compute_domain_response(ACR_BASE, ACR_POST, PRESETS[c])) for c in expected] == [4, 2, 1]


def test_acr_presets_structure():
    for x in (20, 50, 70):
        c = PRESETS[f"ACR{x}"]
        assert c.reference == FELSON_1995 and c.improvement.relative == x / 100
        assert c.improvement.comparison == "inclusive" and c.worsening.rule == "none"
        assert [d.parameter for d in c.domains if d.mandatory] == ["TJC28", "SJC28"]
        assert (c.n_required, c.domains[-1].parameter) == (3, ACUTE_PHASE)


# --------------------------------------------------------------------------- (a) EULAR presets by hand
DAS_BASE = [5.0, 4.4, 4.5, 4.6, 5.7, 5.8, 5.9, 7.0, 3.0, np.nan]
DAS_POST = [3.0, 3.2, 3.2, 3.3, 5.1, 5.1, 5.2, 5.5, 3.5, 3.0]


def test_eular_presets_by_hand():
    """van Gestel 1996 on DAS28: good = improvement > 1.2 and DAS28 <= 3.2; moderate = improvement > 1.2 and
    DAS28 > 3.2, or 0.6 < improvement <= 1.2 and DAS28 <= 5.1. EULAR = good or moderate; EULARG = good.

    ====  ===========  ===============================================  ========  =====  ======
    subj  base -> post  hand computation                                category  EULAR  EULARG
    ====  ===========  ===============================================  ========  =====  ======
    E1    5.0 -> 3.0    improvement 2.0 > 1.2, 3.0 <= 3.2                good      1      1
    E2    4.4 -> 3.2    improvement exactly 1.2 (not > 1.2), 3.2 <= 5.1  moderate  1      0
    E3    4.5 -> 3.2    improvement 1.3, DAS28 exactly 3.2               good      1      1
    E4    4.6 -> 3.3    improvement 1.3, 3.3 > 3.2                       moderate  1      0
    E5    5.7 -> 5.1    improvement exactly 0.6 (not > 0.6)              none      0      0
    E6    5.8 -> 5.1    improvement 0.7, DAS28 exactly 5.1               moderate  1      0
    E7    5.9 -> 5.2    improvement 0.7, 5.2 > 5.1                       none      0      0
    E8    7.0 -> 5.5    improvement 1.5 > 1.2 (no cut-off then), 5.5     moderate  1      0
    E9    3.0 -> 3.5    worse                                            none      0      0
    E10   missing       missing                                          .         .      .
    ====  ===========  ===============================================  ========  =====  ======

    Of 9 evaluable: EULAR 6, EULARG 2.
    """
    eular, good = _resp("EULAR", DAS_BASE, DAS_POST), _resp("EULARG", DAS_BASE, DAS_POST)
    assert _same(eular, [1, 1, 1, 1, 0, 1, 0, 1, 0, N])
    assert _same(good, [1, 0, 1, 0, 0, 0, 0, 0, 0, N])
    assert (np.nansum(eular), np.nansum(good)) == (6, 2)


def test_eular_presets_structure():
    e, g = PRESETS["EULAR"], PRESETS["EULARG"]
    assert e.reference == g.reference == VAN_GESTEL_1996
    assert [d.parameter for d in e.domains] == [d.parameter for d in g.domains] == [DAS28]
    first, second = e.rules
    assert (first.improvement.absolute, first.improvement.comparison, first.cutoff) == (1.2, "strict", None)
    assert (second.improvement.absolute, second.cutoff.comparison, second.cutoff.value) == (0.6, "le", 5.1)
    assert (g.improvement.absolute, g.improvement.comparison, g.cutoff.value) == (1.2, "strict", 3.2)


# --------------------------------------------------------------------------- (b) through a plan's derivations
def _plan(plan_id: str, **derivations):
    data = yaml.safe_load(plan_path(plan_id).read_text(encoding="utf-8"))
    data["derivations"] = {**data["derivations"], **derivations}
    return plan_from_mapping(data, f"{plan_id} (edited)")


def _adsl(subjects) -> pd.DataFrame:
    n = len(subjects)
    return pd.DataFrame({"USUBJID": list(subjects), "TRT01P": ["A"] * n, "TRTSDT": pd.to_datetime(["2024-01-01"] * n),
                         "EOSSTT": ["COMPLETED"] * n, "FASFL": ["Y"] * n})


def _rows(subj, avisitn, ady, values: dict) -> list[dict]:
    return [dict(USUBJID=subj, PARAMCD=p, AVAL=float(v), AVISIT=f"Week {avisitn}", AVISITN=float(avisitn),
                 ADY=float(ady)) for p, v in values.items() if v is not None]


def _at_visit(resp: pd.DataFrame, avisitn: float, column: str = "AVAL_OC") -> pd.DataFrame:
    return resp[resp.AVISITN == avisitn].pivot(index="USUBJID", columns="PARAMCD", values=column)


#: ../shared/reference/as_endpoints.md section 3, ASDAS-CRP test vectors (BP, Dur, PG, Periph, CRP), unrounded
ASDAS_VECTORS = {"V1": ((8, 7, 8, 5, 30), 4.6073), "V2": ((6, 5, 6, 4, 10), 3.3564), "V3": ((2, 1, 2, 0, 1), 1.1561),
                 "V4": ((6, 5, 6, 4, 0.5), 2.6041)}
#: subject: (baseline vector, week-4 vector)
ASDAS_SUBJECTS = {"A": ("V1", "V2"), "B": ("V2", "V3"), "C": ("V3", "V4")}


def _asdas_data() -> dict[str, pd.DataFrame]:
    """BASDAI Q2 (back pain), Q6 (duration), Q3 (peripheral), PTGA on 0-10; CRP in mg/L (adlb)."""
    qs, lb = [], []
    for subj, visits in ASDAS_SUBJECTS.items():
        for (avisitn, ady), vec in zip(((0, -1), (4, 29)), visits):
            bp, dur, pg, periph, crp = ASDAS_VECTORS[vec][0]
            qs += _rows(subj, avisitn, ady, {"BASDAI2": bp, "BASDAI6": dur, "PTGA": pg, "BASDAI3": periph})
            lb += _rows(subj, avisitn, ady, {"CRP": crp})
    return {"adsl": _adsl(ASDAS_SUBJECTS), "adqs": pd.DataFrame(qs), "adlb": pd.DataFrame(lb)}


def test_asdas_vectors_of_the_reference_through_the_plan():
    """cg-bm1 (unrounded coefficients, CRP floored at 2 mg/L). ASDAS-CRP from as_endpoints.md section 3:
    V1 (8,7,8,5, CRP 30) 4.6073; V2 (6,5,6,4, CRP 10) 3.3564; V3 (2,1,2,0, CRP 1 -> 2) 1.1561;
    V4 (6,5,6,4, CRP 0.5 -> 2) 2.6041.

    A  V1 -> V2: decrease 1.2509: CII 1, MI 0, CIW 0; 3.3564: ID 0, LDA 0
    B  V2 -> V3: decrease 2.2003: CII 1, MI 1, CIW 0; 1.1561: ID 1, LDA 1
    C  V3 -> V4: increase 1.4480: CII 0, MI 0, CIW 1; 2.6041: ID 0, LDA 0
    """
    codes = ["ASDASCII", "ASDASMI", "ASDASCIW", "ASDASID", "ASDASLDA"]
    derived = derive_for_plan(_plan("cg-bm1", responses=["ASAS20"] + codes), _asdas_data())
    adeff = derived["adeff"]
    asdas = adeff[(adeff.PARAMCD == "ASDASCRP") & adeff.ANL01FL.eq("Y")].set_index(["USUBJID", "AVISITN"])["AVAL"]
    for subj, (v0, v4) in ASDAS_SUBJECTS.items():  # the scores are the reference's
        assert asdas[(subj, 0.0)] == pytest.approx(ASDAS_VECTORS[v0][1], abs=5e-5)
        assert asdas[(subj, 4.0)] == pytest.approx(ASDAS_VECTORS[v4][1], abs=5e-5)
    got = _at_visit(derived["adresp"], 4)[codes]
    assert got.to_dict("index") == {
        "A": {"ASDASCII": 1, "ASDASMI": 0, "ASDASCIW": 0, "ASDASID": 0, "ASDASLDA": 0},
        "B": {"ASDASCII": 1, "ASDASMI": 1, "ASDASCIW": 0, "ASDASID": 1, "ASDASLDA": 1},
        "C": {"ASDASCII": 0, "ASDASMI": 0, "ASDASCIW": 1, "ASDASID": 0, "ASDASLDA": 0}}
    resp = derived["adresp"]
    assert set(resp.loc[resp.PARAMCD == "ASDASCII", "PARAM"]) == {PRESETS["ASDASCII"].label}


#: joint counts, VAS (mm), HAQ-DI, CRP (mg/L) at baseline (AVISITN 0, day 1) and month 3 (AVISITN 12, day 85)
RA_BASE = {"TJC28": 16, "SJC28": 9, "PTGAVAS": 50, "PHGAVAS": 50, "PAINVAS": 50, "HAQDI": 1.0, "CRP": 0}
RA_SUBJECTS = {
    "R1": (RA_BASE, {"TJC28": 4, "SJC28": 1, "PTGAVAS": 20, "PHGAVAS": 40, "PAINVAS": 40, "HAQDI": 1.0, "CRP": 0}),
    "R2": (RA_BASE, {"TJC28": 9, "SJC28": 4, "PTGAVAS": 50, "PHGAVAS": 25, "PAINVAS": 25, "HAQDI": 0.5, "CRP": 0}),
    "R3": ({**RA_BASE, "HAQDI": 0.5},
           {"TJC28": 16, "SJC28": 9, "PTGAVAS": 10, "PHGAVAS": 50, "PAINVAS": 50, "HAQDI": 0.45, "CRP": 0}),
    "R4": (RA_BASE, {"TJC28": 4, "SJC28": 1, "PTGAVAS": 20, "PHGAVAS": 40, "PAINVAS": 40, "HAQDI": None, "CRP": 0}),
}


def _ra_data() -> dict[str, pd.DataFrame]:
    qs, lb = [], []
    for subj, visits in RA_SUBJECTS.items():
        for (avisitn, ady), values in zip(((0, 1), (12, 85)), visits):
            qs += _rows(subj, avisitn, ady, {k: v for k, v in values.items() if k != "CRP"})
            lb += _rows(subj, avisitn, ady, {"CRP": values["CRP"]})
    return {"adsl": _adsl(RA_SUBJECTS), "adqs": pd.DataFrame(qs), "adlb": pd.DataFrame(lb)}


def test_acr_and_eular_through_the_plan():
    """ucmsc-ra (CRP as the ACR acute-phase reactant and in DAS28-CRP). CRP 0 at baseline: that ACR component
    cannot improve. DAS28-CRP = 0.56 sqrt(TJC) + 0.28 sqrt(SJC) + 0.36 ln(CRP + 1) + 0.014 PtGA + 0.96:
    baseline (16, 9, CRP 0, 50) = 2.24 + 0.84 + 0 + 0.70 + 0.96 = 4.74.

    R1  month 3 (4, 1, 0, 20) = 1.12 + 0.28 + 0.28 + 0.96 = 2.64: improvement 2.10 > 1.2, <= 3.2: good.
        ACR: TJC -75 %, SJC -89 %; PtGA -60 %, PhGA -20 %, pain -20 %, HAQ 0 %, CRP no: 3 of 5 -> ACR20;
        at 50 % only PtGA -> not ACR50.
    R2  (9, 4, 0, 50) = 1.68 + 0.56 + 0.70 + 0.96 = 3.90: improvement 0.84 in (0.6, 1.2], <= 5.1: moderate.
        ACR: TJC -43.75 %, SJC -55.6 %; PhGA, pain, HAQ -50 %: ACR20; TJC < 50 %: not ACR50.
    R3  (16, 9, 0, 10) = 2.24 + 0.84 + 0.14 + 0.96 = 4.18: improvement 0.56 <= 0.6: none. ACR: TJC 0 %: no.
    R4  as R1 but HAQ-DI missing: EULAR good; ACR missing (observed), non-responder under NRI.
    """
    codes = ["ACR20", "ACR50", "ACR70", "EULAR", "EULARG"]
    derived = derive_for_plan(_plan("ucmsc-ra", responses=codes), _ra_data())
    adeff = derived["adeff"]
    das = adeff[(adeff.PARAMCD == "DAS28CRP") & adeff.ANL01FL.eq("Y")].set_index(["USUBJID", "AVISITN"])["AVAL"]
    assert das[("R1", 0.0)] == pytest.approx(4.74, abs=1e-12) and das[("R1", 12.0)] == pytest.approx(2.64, abs=1e-12)
    oc = _at_visit(derived["adresp"], 12)[codes]
    assert _same(oc.loc["R1"].tolist(), [1, 0, 0, 1, 1])
    assert _same(oc.loc["R2"].tolist(), [1, 0, 0, 1, 0])
    assert _same(oc.loc["R3"].tolist(), [0, 0, 0, 0, 0])
    assert _same(oc.loc["R4"].tolist(), [N, N, N, 1, 1])
    nri = _at_visit(derived["adresp"], 12, "AVAL_NRI")
    assert nri.loc["R4", "ACR20"] == 0 and (nri["ACR20"].sum(), nri["EULAR"].sum(), nri["EULARG"].sum()) == (2, 3, 2)


def test_placeholders_are_the_derivation_options():
    """@acute_phase is DeriveOptions.acr_acute_phase and @das28 is DAS28 + DeriveOptions.das28_marker."""
    opt = derive_options_for_plan(_plan("ucmsc-ra", responses=["ACR20", "ACR50", "EULAR", "EULARG"]))
    assert response_components("ACR20", opt) == ("TJC28", "SJC28", "PTGAVAS", "PHGAVAS", "PAINVAS", "HAQDI", "CRP")
    assert response_components("EULAR", opt) == ("DAS28CRP",)
    esr = replace(opt, acr_acute_phase="ESR", das28_marker="ESR")
    assert response_components("ACR50", esr)[-1] == "ESR" and response_components("EULARG", esr) == ("DAS28ESR",)


# --------------------------------------------------------------------------- (c) presets = the former functions
def _legacy_asdas(b, p):
    """sap/derive/asdas.py compute_asdas_improvement at commit 60e8b9a."""
    diff = p - b
    miss = np.isnan(diff)
    res = {"ASDASCII": ge(-diff, 1.1), "ASDASMI": ge(-diff, 2.0), "ASDASCIW": ge(diff, 0.9)}
    return {k: np.where(miss, np.nan, v.astype(float)) for k, v in res.items()}


def _legacy_eular(b1, p1):
    """sap/derive/ra_scores.py compute_eular_response at commit 60e8b9a (categories)."""
    imp = b1 - p1
    out = np.full(b1.shape, "none", dtype=object)
    big, mid = gt(imp, 1.2), gt(imp, 0.6) & le(imp, 1.2)
    out[big & gt(p1, 3.2)] = "moderate"
    out[big & le(p1, 3.2)] = "good"
    out[mid & le(p1, 5.1)] = "moderate"
    out[np.isnan(imp)] = None
    return out


def _legacy_acr(b, p, level):
    """sap/derive/ra_scores.py compute_acr_response at commit 60e8b9a."""
    frac = level / 100.0
    improved = (b > 0) & le(p - b, -frac * b)
    ok = improved[:, 0] & improved[:, 1] & (improved[:, 2:].sum(axis=1) >= 3)
    miss = np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1)
    return np.where(miss, np.nan, ok.astype(float))


def test_presets_reproduce_the_former_functions_on_a_grid():
    rng = np.random.default_rng(20240601)
    n = 20000
    b, p = rng.integers(0, 91, n) * 0.1, rng.integers(0, 91, n) * 0.1  # 0-9 by 0.1: every boundary occurs
    b[rng.random(n) < 0.02], p[rng.random(n) < 0.02] = np.nan, np.nan
    legacy = _legacy_asdas(b, p)
    for code in ("ASDASCII", "ASDASMI", "ASDASCIW"):
        np.testing.assert_array_equal(compute_domain_response(_col(b), _col(p), PRESETS[code]), legacy[code])
    cat = _legacy_eular(b, p)
    got_any = compute_domain_response(_col(b), _col(p), PRESETS["EULAR"])
    got_good = compute_domain_response(_col(b), _col(p), PRESETS["EULARG"])
    miss = np.array([c is None for c in cat])
    np.testing.assert_array_equal(np.isnan(got_any), miss)
    np.testing.assert_array_equal(got_any[~miss], np.isin(cat[~miss], ["good", "moderate"]).astype(float))
    np.testing.assert_array_equal(got_good[~miss], (cat[~miss] == "good").astype(float))
    assert min((cat == "good").sum(), (cat == "moderate").sum(), (cat == "none").sum()) > 500  # not vacuous
    base = rng.integers(0, 11, (n, 7)) * np.array([2, 2, 10, 10, 10, 0.2, 4])
    post = base * rng.choice([0.2, 0.3, 0.5, 0.8, 0.9, 1.0, 1.1], (n, 7))  # exactly -70 %, -50 %, -20 % occur
    base[rng.random((n, 7)) < 0.01] = np.nan
    for level in (20, 50, 70):
        old = _legacy_acr(base, post, level)
        np.testing.assert_array_equal(compute_domain_response(base, post, PRESETS[f"ACR{level}"]), old)
        assert np.nansum(old) > 50 and np.nansum(1 - old) > 50


# --------------------------------------------------------------------------- (d) validation and a plan's own
ACR_DOMAINS = [{"parameter": "TJC28", "mandatory": True}, {"parameter": "SJC28", "mandatory": True},
               {"parameter": "PTGAVAS"}, {"parameter": "HAQDI"}]
#: a plan's own criterion with mandatory domains: 30 % in both joint counts and in >= 1 of patient global, HAQ-DI
JOINT30 = {"id": "JOINT30", "label": "30% joint response", "reference": "the plan",
           "domains": ACR_DOMAINS, "improvement": {"relative": 0.3}, "required": 1}
#: a plan's own criterion with alternatives, one of them a state: HAQ-DI improved >= 0.22 (MCID), or <= 0.5
HAQOK = {"id": "HAQOK", "label": "HAQ-DI improved or normal", "reference": "the plan",
         "domains": [{"parameter": "HAQDI", "label": "HAQ-DI"}],
         "any_of": [{"improvement": {"absolute": 0.22}}, {"cutoff": {"comparison": "le", "value": 0.5}}]}


def test_plan_defined_criteria_of_the_new_forms():
    """On the data of test_acr_and_eular_through_the_plan (month 3):

    JOINT30 (TJC, SJC mandatory >= 30 %; >= 1 of PtGA, HAQ-DI >= 30 %):
      R1 TJC -75 %, SJC -89 %, PtGA -60 %: 1;  R2 TJC -43.75 %, SJC -55.6 %, HAQ -50 %: 1;  R3 TJC 0 %: 0;
      R4 HAQ-DI missing: missing.
    HAQOK (HAQ-DI decrease >= 0.22, or HAQ-DI <= 0.5 at the visit):
      R1 1.0 -> 1.0: 0;  R2 1.0 -> 0.5: decrease 0.5 (and <= 0.5): 1;  R3 0.5 -> 0.45: decrease 0.05, but
      0.45 <= 0.5: 1;  R4 missing.
    """
    plan = _plan("ucmsc-ra", criteria=[JOINT30, HAQOK], responses=["ACR20", "JOINT30", "HAQOK"])
    oc = _at_visit(derive_for_plan(plan, _ra_data())["adresp"], 12)
    assert _same(oc["JOINT30"].tolist(), [1, 1, 0, N]) and _same(oc["HAQOK"].tolist(), [0, 1, 1, N])
    own = {c.id: c for c in plan.derivations.response_criteria()}
    assert own["HAQOK"].needs_baseline and len(own["HAQOK"].rules) == 2


@pytest.mark.parametrize("criterion, message", [
    ({**JOINT30, "required": 3}, r"criterion JOINT30: required 3 is more than its 2 non-mandatory domains"),
    ({**JOINT30, "improvement": None, "required": None, "cutoff": {"comparison": "le", "value": 2}},
     r"mandatory domains need a change rule"),
    ({**HAQOK, "any_of": HAQOK["any_of"][:1]}, r"criterion HAQOK: any_of needs at least two alternative rules"),
    ({**HAQOK, "improvement": {"absolute": 0.3}}, r"either at the top level or as alternatives in any_of"),
    ({**HAQOK, "any_of": [{"improvement": {"absolute": 0.22}}, {"improvement": {"absolute": 0.2, "absolute_scale": 3}}]},
     r"criterion HAQOK any_of\[1\]: a threshold written on a scale needs every domain's scale"),
    ({**HAQOK, "any_of": [{"improvement": {"absolute": 0.22}}, {"required": 1}]},
     r"criterion HAQOK any_of\[1\]: give either an improvement rule or a state cut-off"),
    ({**HAQOK, "any_of": None, "improvement": {"absolute": 0.2}, "deterioration": {"absolute": 0.2}},
     r"an improvement and a deterioration rule cannot be one rule"),
    ({**HAQOK, "any_of": None, "deterioration": {"absolute": 0.2}, "worsening": {"rule": "any"}},
     r"a deterioration rule takes no worsening rule"),
    ({**HAQOK, "domains": [{"parameter": "@crp"}]}, r"unknown placeholder '@crp'"),
])
def test_plan_refuses_an_inconsistent_criterion_of_the_new_forms(criterion, message):
    criterion = {k: v for k, v in criterion.items() if v is not None}
    with pytest.raises(PlanError, match=message):
        _plan("ucmsc-ra", criteria=[criterion], responses=["ACR20", criterion["id"]])
