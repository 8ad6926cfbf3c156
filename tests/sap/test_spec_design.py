"""Design schema (sap.spec_design): non-randomized allocation, the registered clinical phase and their validation.
Each invalid plan must be refused with a PlanError naming the field."""
from __future__ import annotations

import copy

import pytest

from sap.errors import PlanError
from sap.spec import load_plan, plan_from_mapping


@pytest.fixture(scope="module")
def raw():
    return load_plan("ucmsc-ra").model_dump(mode="json")


def _phase(raw):
    out = copy.deepcopy(raw)
    return out, out["design"]["phases"][0]


def test_ucmsc_ra_is_nonrandomized_with_allocation(raw):
    plan = plan_from_mapping(raw)
    phase = plan.design.phases[0]
    assert (phase.kind, phase.blinding, phase.randomization) == ("nonrandomized", "open-label", None)
    assert phase.allocation.ratio == (1, 1, 1) and phase.compares_nonrandomized_groups()
    assert plan.design.clinical_phase == "Phase 1/2"


def test_nonrandomized_phase_cannot_carry_randomization(raw):
    bad, phase = _phase(raw)
    phase["randomization"] = {"ratio": [1, 1, 1]}
    with pytest.raises(PlanError, match=r"phase MAIN: 'randomization' is for a randomized phase; a nonrandomized "
                                        r"phase states its 'allocation'"):
        plan_from_mapping(bad)


def test_nonrandomized_groups_need_an_allocation(raw):
    bad, phase = _phase(raw)
    del phase["allocation"]
    with pytest.raises(PlanError, match=r"a nonrandomized phase with several arms needs 'allocation'"):
        plan_from_mapping(bad)


def test_allocation_only_for_nonrandomized(raw):
    bad, phase = _phase(raw)
    phase["kind"] = "randomized"
    phase["randomization"] = {"ratio": [1, 1, 1]}
    with pytest.raises(PlanError, match=r"'allocation' is for a nonrandomized phase \(kind randomized\)"):
        plan_from_mapping(bad)


def test_allocation_ratio_one_number_per_arm(raw):
    bad, phase = _phase(raw)
    phase["allocation"]["ratio"] = [1, 1]
    with pytest.raises(PlanError, match=r"design\.phases\[MAIN\]\.allocation\.ratio: one number per arm expected"):
        plan_from_mapping(bad)


def test_clinical_phase_vocabulary(raw):
    bad = copy.deepcopy(raw)
    bad["design"]["clinical_phase"] = "PHASE1/PHASE2"  # the registry's spelling is written as 'Phase 1/2'
    with pytest.raises(PlanError, match=r"design\.clinical_phase"):
        plan_from_mapping(bad)


def test_randomized_plans_are_not_nonrandomized_comparisons():
    for pid in ("msc-etanercept", "cg-bm1"):
        assert not any(p.compares_nonrandomized_groups() for p in load_plan(pid).design.phases)
