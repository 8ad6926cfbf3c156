"""Plan schema: every shipped plan loads; unknown keys, methods and visits are rejected by name; hash stability."""
from __future__ import annotations

import copy

import pytest
import yaml

from sap.spec import PlanError, available_plans, load_plan, plan_from_mapping, plan_path, plan_sha256

#: the five seeded trials (../shared/seeds) must ship; every other test loops over available_plans()
SHIPPED = ["cg-bm1", "ucmsc-as", "msc-etanercept", "ucmsc-ra", "wang2013"]


def _raw(plan_id: str) -> dict:
    return yaml.safe_load(plan_path(plan_id).read_text(encoding="utf-8"))


def test_the_five_seeded_plans_are_shipped():
    assert set(SHIPPED) <= set(available_plans())


@pytest.mark.parametrize("plan_id", available_plans())
def test_every_plan_loads_and_is_frozen(plan_id):
    plan = load_plan(plan_id)
    assert plan.id == plan_id
    assert plan.analyses and plan.outputs and plan.endpoints
    with pytest.raises(Exception):
        plan.id = "other"  # frozen


def test_cg_bm1_design_matches_the_registration():
    plan = load_plan("cg-bm1")
    doses = [a.dose for a in plan.design.arms if a.phase == "P1"]
    assert doses == [1.0, 2.0, 4.0]
    assert all(a.infusion_days == (0, 7, 14, 21) for a in plan.design.arms)
    assert [v.avisitn for v in plan.schedule.visits] == [0, 1, 4, 8, 12, 24]
    p2 = plan.design.phase("P2")
    assert p2.reference_arm == "PBO" and p2.blinding == "double-blind"
    registered = {"TEAE", "SAE", "DLT", "ASAS20", "PTGA", "SPPAIN", "BASFI", "BASDAI", "BASMI2", "SJC44",
                  "TJC44", "CRP", "ESR", "TNFA", "BMP2", "CD4", "CD8", "TREG", "TH17", "NK", "MAIT", "MONO",
                  "NEUT", "BCELL", "ASDASCRP", "DURASAS20"}
    assert registered <= {e.id for e in plan.endpoints}
    analysed = {a.endpoint for a in plan.analyses}
    assert registered <= analysed, registered - analysed


def test_other_plans_match_their_sources():
    uc = load_plan("ucmsc-as")
    assert [a.dose for a in uc.design.arms] == [3.0 / 3, 3.0, 5.0]
    assert {"Day 14", "Day 28", "Week 12", "Week 24", "Week 36", "Week 48"} <= {v.label for v in uc.schedule.visits}
    assert uc.endpoint("MSASSS").visits == (48,) and uc.endpoint("ASSPIMRI").visits == (48,)
    et = load_plan("msc-etanercept")
    assert [v.avisitn for v in et.schedule.visits] == [0, 12, 48]
    ra = load_plan("ucmsc-ra")
    assert {a.id for a in ra.design.arms} == {"UCMSC", "DMARD", "COMBO"}
    assert {"ACR20", "ACR50", "ACR70", "DAS28CRP", "DAS28ESR", "EULAR", "HAQDI"} <= {e.id for e in ra.endpoints}
    w = load_plan("wang2013")
    assert w.design.phases[0].planned_n == 31 and w.design.arms[0].infusion_days == (0, 7, 14, 21)
    assert {p.value for p in w.published} >= {0.774, 7.1, 3.6, 2.4, 3.2}


def test_unknown_key_is_rejected_with_its_name():
    raw = _raw("cg-bm1")
    raw["design"]["phases"][0]["escalation"]["cohort_sise"] = 3
    with pytest.raises(PlanError, match=r"design\.phases\.0\.escalation\.cohort_sise: unknown key"):
        plan_from_mapping(raw)


def test_unknown_top_level_key_is_rejected():
    raw = _raw("wang2013")
    raw["extra_section"] = {}
    with pytest.raises(PlanError, match="extra_section: unknown key"):
        plan_from_mapping(raw)


def test_unknown_method_is_rejected_with_the_analysis():
    raw = _raw("cg-bm1")
    raw["analyses"][0]["method"] = "bayesian_magic"
    with pytest.raises(PlanError, match=r"analyses\.0\.method.*unknown method 'bayesian_magic'"):
        plan_from_mapping(raw)


def test_unknown_method_option_is_rejected():
    raw = _raw("cg-bm1")
    mmrm = next(a for a in raw["analyses"] if a["method"] == "mmrm")
    mmrm["options"] = dict(mmrm["options"], covariance="unstructured-ish")
    with pytest.raises(PlanError, match=r"options\.covariance"):
        plan_from_mapping(raw)


def test_endpoint_visit_outside_schedule_is_rejected():
    raw = _raw("cg-bm1")
    ep = next(e for e in raw["endpoints"] if e["id"] == "BASDAI")
    ep["visits"] = [1, 4, 16]
    with pytest.raises(PlanError, match=r"endpoints\[BASDAI\]\.visits: \[16\] not in the visit schedule"):
        plan_from_mapping(raw)


def test_cross_references_are_checked():
    raw = _raw("wang2013")
    raw["outputs"][0]["analyses"] = ["NOPE"]
    with pytest.raises(PlanError, match=r"outputs\[14\.1\.1\]\.analyses: unknown analysis 'NOPE'"):
        plan_from_mapping(raw)
    raw = _raw("wang2013")
    raw["analyses"][3]["population"] = "ITT"
    with pytest.raises(PlanError, match="unknown population 'ITT'"):
        plan_from_mapping(raw)


def test_hash_is_stable_under_key_order_and_whitespace(tmp_path):
    raw = _raw("cg-bm1")
    reference = plan_sha256(plan_from_mapping(raw))
    reordered = {k: raw[k] for k in reversed(list(raw))}
    reordered["design"] = {k: raw["design"][k] for k in reversed(list(raw["design"]))}
    assert plan_sha256(plan_from_mapping(reordered)) == reference
    text = yaml.safe_dump(raw, sort_keys=True, indent=4, width=200)
    path = tmp_path / "cg-bm1.yaml"
    path.write_text("# a comment\n\n" + text, encoding="utf-8")
    assert plan_sha256(load_plan(path)) == reference
    assert plan_sha256(load_plan("cg-bm1")) == reference


def test_hash_changes_when_content_changes():
    raw = _raw("cg-bm1")
    changed = copy.deepcopy(raw)
    changed["schedule"]["visits"][1]["window"] = [5, 12]
    assert plan_sha256(plan_from_mapping(changed)) != plan_sha256(plan_from_mapping(raw))


def test_unknown_plan_id_lists_available_plans():
    with pytest.raises(PlanError, match="available plans: .*cg-bm1"):
        load_plan("no-such-plan")
