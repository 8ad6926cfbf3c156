"""Adapters of the dose-escalation family (sap.adapters.escalation) on tiny frames.

Plan: the shipped cg-bm1 plan (Phase 1 dose levels DL1 < DL2 < DL3, DLT-evaluable population DLTEVAL =
DLTEVLFL "Y"), with its escalation rule changed where a test says so. Expected decisions are worked by hand
from the rule as written (Storer 1989; Le Tourneau et al. 2009; Lin & Shih 2001's A+B design with
C = D = E = 1 for cohorts of A and expansions of B): 0/A escalate, 1/A expand by B, at most 1/(A+B) escalate,
2 or more DLTs exceed the MTD.
"""
from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analyses.escalation import ThreePlusThreeRule
from sap.adapters.escalation import derive_rule, dose_escalation, escalation_oc
from sap.context import AnalysisContext, assign_arms
from sap.errors import UserInputError
from sap.results import AnalysisResult
from sap.spec import EscalationRule, load_plan, plan_from_mapping

BASE = load_plan("cg-bm1")
L1, L2, L3 = (BASE.design.arm(a).label for a in ("DL1", "DL2", "DL3"))
ARM_VALUE = {a: BASE.design.arm(a).data_value for a in ("DL1", "DL2", "DL3")}


def plan(**rule):
    """cg-bm1 with the Phase 1 rule's settings changed (validated like a plan file)."""
    data = BASE.model_dump(mode="json")
    phase = next(p for p in data["design"]["phases"] if p["id"] == "P1")
    phase["escalation"].update(rule)
    return plan_from_mapping(data, "cg-bm1 (test)")


def context(p, cohorts, *, extra_subjects=()):
    """ADSL/ADAE for cohorts given as (arm id, DLT flags), subjects S01, S02, ... in order of first dose.

    ``extra_subjects``: (arm id, DLTEVLFL, DLT) rows added last in cohort 99 (outside the analysis)."""
    rows, dlt, k = [], [], 0
    for c, (arm, flags) in enumerate(list(cohorts) + [(a, (d,)) for a, _, d in extra_subjects], start=1):
        for flag in flags:
            k += 1
            subj = f"S{k:02d}"
            evaluable = "Y" if c <= len(cohorts) else extra_subjects[c - len(cohorts) - 1][1]
            rows.append({"USUBJID": subj, "TRT01P": ARM_VALUE[arm], "PHASE": "Phase 1", "DLTEVLFL": evaluable,
                         "COHORT": c if c <= len(cohorts) else 99,
                         "TRTSDT": pd.Timestamp("2024-01-01") + pd.Timedelta(days=k)})
            if flag:
                dlt.append(subj)
    adsl = pd.DataFrame(rows)
    adae = pd.DataFrame({"USUBJID": dlt + ["S01"], "DLTFL": ["Y"] * len(dlt) + ["N"]})
    return AnalysisContext(plan=p, datasets={"adsl": adsl, "adae": adae}, adsl=assign_arms(p, adsl))


def decisions(result):
    """(dose, subjects at dose, DLTs at dose, decision) per cohort, from the result rows."""
    rows = result.rows[result.rows["cohort"].notna()]
    return [(g, int(n), int(x), d) for g, n, x, d in zip(rows["group"], rows["n"], rows["estimate"], rows["label"])]


def final_row(result):
    return result.rows[result.rows["cohort"].isna()].iloc[-1]


# --------------------------------------------------------------------------- one rule model, from the plan
def test_rule_defaults_are_the_plans():
    """The engine's rule has the plan's defaults (no second model that can drift)."""
    engine = {f.name: f.default for f in dataclasses.fields(ThreePlusThreeRule) if f.name != "n_doses"}
    spec = EscalationRule.model_fields
    assert engine == {"cohort_size": spec["cohort_size"].default, "expansion_size": spec["expansion_size"].default,
                      "mtd_needs_six": spec["mtd_requires_six"].default,
                      "allow_deescalation": spec["deescalation"].default}


@pytest.mark.parametrize("settings, expected", [
    (dict(cohort_size=4, expansion_size=2, mtd_requires_six=False, deescalation=False), (3, 4, 2, False, False)),
    (dict(cohort_size=3, expansion_size=3, mtd_requires_six=True, deescalation=True), (3, 3, 3, True, True)),
])
def test_derive_rule_reads_every_setting_of_the_plan(settings, expected):
    assert derive_rule(plan(**settings).design.phase("P1")) == ThreePlusThreeRule(*expected)


def test_derive_rule_refuses_inconsistent_settings():
    with pytest.raises(UserInputError, match=r"design\.phases\[P1\]\.escalation: allow_deescalation"):
        derive_rule(plan(mtd_requires_six=False, deescalation=True).design.phase("P1"))
    with pytest.raises(UserInputError, match=r"design\.phases\[P1\]\.escalation: cohort_size"):
        derive_rule(plan(cohort_size=0).design.phase("P1"))


# --------------------------------------------------------------------------- decisions
def test_plan_cohort_of_four_expansion_of_two():
    """Plan rule 4+2 (MTD needs 4+2 = 6): 0/4 up; 1/4 -> 2 more; 1/6 up; 2/4 -> stop, MTD DL2 with 6.

    Fails on the code before the rebuild: it treated cohorts of 3 whatever the plan said (UserInputError
    'has 4 DLT-evaluable subjects; the 3+3 rule treats cohorts of 3')."""
    p = plan(cohort_size=4, expansion_size=2)
    ctx = context(p, [("DL1", (0, 0, 0, 0)), ("DL2", (0, 1, 0, 0)), ("DL2", (0, 0)), ("DL3", (1, 0, 1, 0))])
    res = dose_escalation(ctx, p.analysis("ESC"))
    assert decisions(res) == [(L1, 4, 0, "escalate"), (L2, 4, 1, "expand"), (L2, 6, 1, "escalate"),
                              (L3, 4, 2, "stop")]
    assert list(res.rows["rule"].iloc[:2]) == ["0/4 DLT: escalate to the next dose", "1/4 DLT: expand the dose to 6"]
    last = final_row(res)
    assert last["group"] == L2 and last["n"] == 6
    assert last["label"] == f"recommendation: stop; MTD status: declared; RP2D: {L2}"


def test_plan_cohort_of_four_mtd_level_expanded_by_two():
    """4+2, MTD needs 6: 0/4, 0/4, 1/4 -> 2 more -> 2/6 at DL3: DL2 (4 subjects) gets 2 more, 0/6 confirms."""
    p = plan(cohort_size=4, expansion_size=2, mtd_requires_six=True)
    ctx = context(p, [("DL1", (0, 0, 0, 0)), ("DL2", (0, 0, 0, 0)), ("DL3", (0, 0, 1, 0)), ("DL3", (1, 0)),
                      ("DL2", (0, 0))])
    res = dose_escalation(ctx, p.analysis("ESC"))
    assert decisions(res) == [(L1, 4, 0, "escalate"), (L2, 4, 0, "escalate"), (L3, 4, 1, "expand"),
                              (L3, 6, 2, "expand_mtd"), (L2, 6, 0, "stop")]
    assert final_row(res)["n"] == 6


@pytest.mark.parametrize("six, last, status", [(True, "expand_mtd", None), (False, "stop", "declared")])
def test_plan_mtd_requires_six(six, last, status):
    """0/3, 0/3, 2/3: with the MTD needing 6, DL2 (3 subjects) is expanded; without, DL2 is the MTD with 3."""
    p = plan(mtd_requires_six=six)
    ctx = context(p, [("DL1", (0, 0, 0)), ("DL2", (0, 0, 0)), ("DL3", (1, 1, 0))])
    res = dose_escalation(ctx, p.analysis("ESC"))
    assert decisions(res)[-1] == (L3, 3, 2, last)
    assert res.extra["mtd_status"] == status
    assert res.extra["recommendation"] == (f"expand (MTD level) dose {L2!r}" if six else "stop")
    assert res.extra["rp2d"] == (None if six else L2) and res.extra["n_at_mtd"] == (None if six else 3)


def test_result_fields_and_selection():
    """DLT-evaluable Phase 1 subjects only (S15, not evaluable, with a DLT, is left out); cohort listing frame."""
    p = plan(cohort_size=4, expansion_size=2)
    ctx = context(p, [("DL1", (0, 0, 0, 0)), ("DL2", (0, 1, 0, 0)), ("DL2", (0, 0)), ("DL3", (1, 0, 1, 0))],
                  extra_subjects=[("DL3", "N", 1)])
    res = dose_escalation(ctx, p.analysis("ESC"))
    assert isinstance(res, AnalysisResult) and res.produced
    assert dict(res.group_n) == {L1: 4, L2: 6, L3: 4} and res.records_used == 14
    cohorts = res.frames["cohorts"]
    assert list(cohorts["subjects"]) == ["S01, S02, S03, S04", "S05, S06, S07, S08", "S09, S10",
                                         "S11, S12, S13, S14"]
    assert list(cohorts["n_dlt_cohort"]) == [0, 1, 0, 2] and list(cohorts["n_cohort"]) == [4, 4, 2, 4]
    assert list(res.frames["escalation"].columns) == ["cohort", "dose", "n_dlt", "decision"]
    assert dict(res.extra) == {"phase": "P1", "recommendation": "stop", "mtd_status": "declared", "mtd": L2,
                               "rp2d": L2, "n_at_mtd": 6}
    assert res.level is None and res.notes == () and res.warnings == ()


def test_data_errors_name_the_data():
    p = plan()
    ctx = context(p, [("DL1", (0, 0, 0)), ("DL3", (0, 0, 0))])
    with pytest.raises(UserInputError, match=r"analysis ESC: cohort data violate the 3\+3 rule: .*required dose"):
        dose_escalation(ctx, p.analysis("ESC"))
    ctx = context(p, [("DL1", (0, 0, 0))])
    ctx.adsl = ctx.adsl.drop(columns="COHORT")
    with pytest.raises(UserInputError, match=r"adsl\.COHORT is required"):
        dose_escalation(ctx, p.analysis("ESC"))
    ctx = context(p, [("DL1", (0, 0, 0))])
    ctx.datasets["adae"] = ctx.datasets["adae"].drop(columns="DLTFL")
    with pytest.raises(UserInputError, match=r"adae\.DLTFL is required"):
        dose_escalation(ctx, p.analysis("ESC"))


# --------------------------------------------------------------------------- operating characteristics
ONE_COHORT = [("DL1", (0, 0, 0))]  # the OC do not depend on the data


def oc_plan(scenarios, **rule):
    data = plan(**rule).model_dump(mode="json")
    next(a for a in data["analyses"] if a["id"] == "ESC-OC")["options"] = {
        "scenarios": [list(s) for s in scenarios], "n_simulations": 4000, "seed": 11}
    return plan_from_mapping(data, "cg-bm1 (test)")


def exact(res, label, statistic="probability"):
    rows = res.rows[(res.rows["method"] == "exact enumeration") & (res.rows["statistic"] == statistic)]
    return rows[rows["label"] == label]


def test_oc_classic_rule_gives_the_published_values():
    """mtd_requires_six false, cohorts of 3: Storer's 3+3. Source: /work/shared/reference/as_endpoints.md
    section 4 'Three-dose test vectors' (exact, Lin & Shih 2001) for true DLT rates 0.10, 0.20, 0.30:
    P(no dose, MTD = 1, 2, all cleared) = .0939, .2640, .3247, .3174; E[N] 10.2671; E[DLTs] 1.9581; printed to 4
    decimals -> tolerance 5e-5. Monte-Carlo rows within 4 standard errors of the exact values."""
    p = oc_plan([(0.10, 0.20, 0.30)], mtd_requires_six=False)
    res = escalation_oc(context(p, ONE_COHORT), p.analysis("ESC-OC"))
    probs = exact(res, "scenario 1")
    assert list(probs["group"]) == ["No dose tolerated", f"MTD = {L1}", f"MTD = {L2}", f"{L3} cleared"]
    assert list(probs["estimate"]) == pytest.approx([.0939, .2640, .3247, .3174], abs=5e-5)
    assert exact(res, "scenario 1: E[N]", "expected_value")["estimate"].item() == pytest.approx(10.2671, abs=5e-5)
    assert exact(res, "scenario 1: E[DLTs]", "expected_value")["estimate"].item() == pytest.approx(1.9581, abs=5e-5)
    mc = res.rows[res.rows["method"] == "Monte-Carlo 4000 trials"]
    assert len(mc) == 6 and mc["se"].notna().all()
    for (_, m), e in zip(mc.iloc[:4].iterrows(), probs["estimate"]):
        assert abs(m["estimate"] - e) <= 4 * m["se"]
    assert res.extra["scenarios"] == [[0.10, 0.20, 0.30]] and res.extra["simulation_method"] == "Monte-Carlo 4000 trials"


def test_oc_uses_the_plans_cohort_sizes():
    """Cohorts of 4, expansion by 2, MTD not needing 6: per dose P(escalate) = q^4 + 4 p q^3 q^2 (Storer's
    recursion with A = 4, B = 2); P(no dose) = 1 - a1, P(MTD = 1) = a1 (1 - a2), P(MTD = 2) = a1 a2 (1 - a3),
    P(all cleared) = a1 a2 a3; E[N] = sum over reached doses of 4 + 2 * 4 p q^3. Hand formula, float round-off
    tolerance 1e-12. Fails on the code before the rebuild (it used cohorts of 3)."""
    probs = (0.10, 0.25, 0.40)
    p = oc_plan([probs], cohort_size=4, expansion_size=2, mtd_requires_six=False)
    res = escalation_oc(context(p, ONE_COHORT), p.analysis("ESC-OC"))
    a = [(1 - x) ** 4 + 4 * x * (1 - x) ** 3 * (1 - x) ** 2 for x in probs]
    expected = [1 - a[0], a[0] * (1 - a[1]), a[0] * a[1] * (1 - a[2]), a[0] * a[1] * a[2]]
    assert list(exact(res, "scenario 1")["estimate"]) == pytest.approx(expected, abs=1e-12)
    en = sum(r * (4 + 2 * 4 * x * (1 - x) ** 3) for r, x in zip([1, a[0], a[0] * a[1]], probs))
    assert exact(res, "scenario 1: E[N]", "expected_value")["estimate"].item() == pytest.approx(en, abs=1e-12)


def test_oc_scenario_length_is_checked():
    p = oc_plan([(0.1, 0.2)])
    with pytest.raises(UserInputError, match=r"analyses\[ESC-OC\]\.options\.scenarios\[0\]: 2 DLT rates for 3"):
        escalation_oc(context(p, ONE_COHORT), p.analysis("ESC-OC"))
