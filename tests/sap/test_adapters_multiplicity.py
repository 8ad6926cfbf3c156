"""Adapter of the multiplicity family (sap.adapters.multiplicity) on hand-built member results.

Plan: the shipped cg-bm1 plan, family in order ASAS20-CMP (response comparison, tests fisher then cmh,
imputations nri then observed_case), BASDAI-MMRM, ASDASCRP-MMRM, BASFI-MMRM, all at week 12, fixed sequence at
alpha 0.05; and ucmsc-ra (Holm, one member with two experimental arms). Expected adjusted p-values are worked by
hand: fixed sequence = running maximum (Maurer, Hothorn & Lehmacher 1995); Holm = step-down
min(1, max_{j<=i} (m - j + 1) p_(j)) (Holm 1979; R ``p.adjust(method = "holm")``).
"""
from __future__ import annotations

import pandas as pd
import pytest

from analyses.results import tidy_frame
from sap.adapters.multiplicity import multiplicity
from sap.context import AnalysisContext, assign_arms
from sap.errors import UserInputError
from sap.results import AnalysisResult, not_estimable_result
from sap.spec import load_plan, plan_from_mapping

CG = load_plan("cg-bm1")
RP2D, PBO = "CG-BM1 (RP2D)", "Placebo"
FAMILY = ("ASAS20-CMP", "BASDAI-MMRM", "ASDASCRP-MMRM", "BASFI-MMRM")


def context(plan, arms, *, blinded=False):
    """Phase 2 subjects: two per arm value in the FAS, one more not in the FAS."""
    values = [v for v in arms for _ in range(2)] + [arms[0]]
    adsl = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(len(values))], "TRT01P": values,
                         "PHASE": "Phase 2", "FASFL": ["Y"] * (len(values) - 1) + ["N"]})
    return AnalysisContext(plan=plan, datasets={"adsl": adsl}, adsl=assign_arms(plan, adsl), blinded=blinded)


def result(plan, analysis_id, rows):
    a = plan.analysis(analysis_id)
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows))


def response_rows(p_nri, group=RP2D, comparator=PBO):
    """Fisher and CMH tests under NRI and observed cases at weeks 8 and 12; only fisher/nri/week 12 is the
    member's test (the plan lists fisher first and NRI first)."""
    rows = []
    for visit in (8.0, 12.0):
        for imputation in ("nri", "observed_case"):
            for statistic, p in (("fisher_test", p_nri if (visit, imputation) == (12.0, "nri") else 0.9),
                                 ("chisq_test", 0.0001), ("odds_ratio", 0.0002)):
                rows.append(dict(statistic=statistic, visit=visit, group=group, comparator=comparator,
                                 imputation=imputation, p_value=p))
    return rows


def mmrm_rows(p12):
    """LS means (no comparator, tiny p) and differences at weeks 8 and 12; the member is the week-12 difference."""
    return [dict(statistic="lsmean", visit=12.0, group=g, p_value=1e-8) for g in (RP2D, PBO)] + [
        dict(statistic="lsmean_difference", visit=8.0, group=RP2D, comparator=PBO, p_value=0.5),
        dict(statistic="lsmean_difference", visit=12.0, group=RP2D, comparator=PBO, p_value=p12)]


def cg_results(plan=CG, p=(0.03, 0.01, 0.2, 0.001)):
    out = {"ASAS20-CMP": result(plan, "ASAS20-CMP", response_rows(p[0]))}
    for aid, pv in zip(FAMILY[1:], p[1:]):
        out[aid] = result(plan, aid, mmrm_rows(pv))
    return out


def test_fixed_sequence_selects_each_members_test():
    """p = 0.03, 0.01, 0.2, 0.001 -> adjusted (running max) 0.03, 0.03, 0.2, 0.2; rejected yes, yes, no, no;
    the fourth is not tested (the sequence stopped at the third)."""
    res = multiplicity(context(CG, ["CG-BM1 RP2D", "Placebo"]), CG.analysis("MULT"), cg_results())
    rows = res.rows
    assert list(rows["hypothesis"]) == [h.label for h in CG.multiplicity.family]
    assert list(rows["raw_p_value"]) == [0.03, 0.01, 0.2, 0.001]
    assert list(rows["p_value"]) == pytest.approx([0.03, 0.03, 0.2, 0.2], abs=1e-15)
    assert list(rows["rejected"]) == [True, True, False, False]
    assert list(rows["tested"]) == [True, True, True, False]
    assert list(rows["visit"]) == [12.0] * 4 and set(rows["group"]) == {RP2D} and set(rows["comparator"]) == {PBO}
    assert set(rows["method"]) == {"fixed_sequence"} and set(rows["statistic"]) == {"adjusted_p_value"}
    assert dict(res.group_n) == {RP2D: 2, PBO: 2}


def test_holm_one_hypothesis_per_arm():
    """ucmsc-ra: ACR20 at week 48, two arms vs DMARDs; p = 0.48, 0.0095 -> Holm: 2 x 0.0095 = 0.019,
    max(0.019, 1 x 0.48) = 0.48; only the second is rejected at 0.05."""
    plan = load_plan("ucmsc-ra")
    a = plan.analysis("ACR20-CMP")
    arms = [x for x in plan.design.arms]
    ref = plan.design.arm(plan.design.phases[0].reference_arm).label
    exp = [x.label for x in arms if x.label != ref]
    rows = [dict(statistic="fisher_test", visit=48.0, group=g, comparator=ref, imputation="nri", p_value=p)
            for g, p in zip(exp, (0.48, 0.0095))]
    results = {"ACR20-CMP": AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows))}
    res = multiplicity(context(plan, [x.data_value for x in arms]), plan.analysis("MULT"), results)
    label = plan.multiplicity.family[0].label
    assert list(res.rows["hypothesis"]) == [f"{label}: {g} vs {ref}" for g in exp]
    assert list(res.rows["p_value"]) == pytest.approx([0.48, 0.019], abs=1e-15)
    assert list(res.rows["rejected"]) == [False, True]


def _plan_with_member(analysis_id, visit=12.0):
    data = CG.model_dump(mode="json")
    data["multiplicity"]["family"][0].update({"analysis": analysis_id, "visit": visit})
    return plan_from_mapping(data, "cg-bm1 (test)")


def test_member_without_a_test_names_the_family_member():
    plan = _plan_with_member("ASAS20-RATE")
    label = plan.multiplicity.family[0].label
    results = cg_results(plan)
    results["ASAS20-RATE"] = result(plan, "ASAS20-RATE", [dict(statistic="proportion", visit=12.0, group=RP2D)])
    with pytest.raises(UserInputError, match=rf"multiplicity\.family\[{label}\]: analysis ASAS20-RATE "
                                             rf"\(response_rate\) has no comparison test"):
        multiplicity(context(plan, ["CG-BM1 RP2D", "Placebo"]), plan.analysis("MULT"), results)


def test_member_without_a_p_value_at_its_visit():
    plan = _plan_with_member("ASAS20-CMP", visit=24.0)
    label = plan.multiplicity.family[0].label
    with pytest.raises(UserInputError, match=rf"multiplicity\.family\[{label}\]: analysis ASAS20-CMP produced no "
                                             r"p-value \(statistic = fisher_test, imputation = nri\) at visit 24"):
        multiplicity(context(plan, ["CG-BM1 RP2D", "Placebo"]), plan.analysis("MULT"), cg_results(plan))


def test_member_not_estimable_gives_its_reason():
    results = cg_results()
    results["BASDAI-MMRM"] = not_estimable_result(CG.analysis("BASDAI-MMRM"), "fewer than 2 subjects in Placebo")
    label = CG.multiplicity.family[1].label
    with pytest.raises(UserInputError, match=rf"multiplicity\.family\[{label}\]: .*fewer than 2 subjects"):
        multiplicity(context(CG, ["CG-BM1 RP2D", "Placebo"]), CG.analysis("MULT"), results)


def test_member_without_a_visit_and_several_visits():
    plan = _plan_with_member("BASDAI-MMRM", visit=None)
    label = plan.multiplicity.family[0].label
    with pytest.raises(UserInputError, match=rf"multiplicity\.family\[{label}\]\.visit: .*several p-values"):
        multiplicity(context(plan, ["CG-BM1 RP2D", "Placebo"]), plan.analysis("MULT"), cg_results(plan))


def test_blinded_and_no_family_are_withheld():
    res = multiplicity(context(CG, ["BLINDED"], blinded=True), CG.analysis("MULT"), {})
    assert res.withheld == "blinded data: no comparisons" and not res.produced
    data = CG.model_dump(mode="json")
    data["multiplicity"].update({"strategy": "none", "family": []})
    plan = plan_from_mapping(data, "cg-bm1 (test)")
    res = multiplicity(context(plan, ["CG-BM1 RP2D", "Placebo"]), plan.analysis("MULT"), {})
    assert res.withheld == "no multiplicity family declared"
