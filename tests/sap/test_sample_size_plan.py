"""The plan's sample-size statement is computed, not typed: cg-bm1's Phase 2 power is the exact Fisher power of
its stated assumptions (outside figure: 0.650 for 20 vs 20 at 60% vs 20%, two-sided 0.05), a plan whose stated
power is more than 1 percentage point off is refused naming the field, and the SAP prints the computed power.
Before this check the cg-bm1 plan said "about 80% power" for the same design."""
from __future__ import annotations

import pytest

from reports.sap_document import build_sap_body
from sap.errors import PlanError
from sap.sample_size import check_plan_power
from sap.spec import load_plan, plan_from_mapping, plan_sha256

PLAN = load_plan("cg-bm1")


def _with_stated_power(power):
    data = PLAN.model_dump(mode="json")
    phase = next(p for p in data["design"]["phases"] if p["id"] == "P2")
    phase["sample_size"]["power"] = power
    return plan_from_mapping(data, "cg-bm1 (test)")


def test_cg_bm1_power_is_the_exact_fisher_power():
    (check,) = check_plan_power(PLAN)
    assert check.phase == "P2" and check.computed_power == pytest.approx(0.650, abs=5e-4)
    assert check.stated_power == 0.65 and check.n_for_80 == 27


def test_a_typed_power_that_disagrees_is_refused_naming_the_field():
    with pytest.raises(PlanError, match=r"design\.phases\[P2\]\.sample_size\.power: the plan states 80\.0%, the "
                                        r"computation gives 65\.0%"):
        check_plan_power(_with_stated_power(0.80))
    check_plan_power(_with_stated_power(0.655))  # within 1 percentage point


def test_the_sap_prints_the_computed_power():
    body = build_sap_body(PLAN, plan_sha256(PLAN), power_checks=tuple(check_plan_power(PLAN)))
    assert "power 65.0% (the plan states 65.0%); 27 per arm give at least 80%" in body.replace("\\", "")  # markdown escapes


def test_fisher_assumptions_need_rates():
    data = PLAN.model_dump(mode="json")
    next(p for p in data["design"]["phases"] if p["id"] == "P2")["sample_size"]["rates"] = None
    with pytest.raises(PlanError, match="fisher_exact needs rates"):
        plan_from_mapping(data, "cg-bm1 (test)")
