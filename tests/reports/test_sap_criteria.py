"""The SAP document prints each response criterion from the criterion the derivations compute (issue 14).

Expected sentences are written by hand from the rules (Anderson 2001, Brandt 2004, the CG-BM1 registration).
"""
from __future__ import annotations

import yaml

from reports.sap_document import criterion_rule_text, derivations_section, endpoints_section
from sap.spec import load_plan, plan_from_mapping, plan_path, preset_criteria


def _plan(**derivations):
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["derivations"] = {**data["derivations"], **derivations}
    return plan_from_mapping(data, "cg-bm1 (edited)")


def test_preset_rules_in_words():
    p = preset_criteria(basdai50_rule="relative_or_absolute", partial_remission_rule="lt2")
    assert criterion_rule_text(p["ASAS20"]) == (
        "improvement (change from baseline in the better direction) >= 20% of baseline and >= 1 unit on 0-10 in at "
        "least 3 of the 4 domains", "no worsening >= 20% of baseline and >= 1 unit on 0-10 in the remaining domain(s)")
    assert criterion_rule_text(p["ASAS20ST"]) == (
        "improvement (change from baseline in the better direction) > 20% of baseline and > 1 unit on 0-10 in at "
        "least 3 of the 4 domains", "no worsening at all in the remaining domain(s): post worse than baseline fails")
    assert criterion_rule_text(p["ASAS50"])[0].endswith(">= 50% of baseline and >= 10 units on 0-100 in at least 3 "
                                                       "of the 4 domains")
    assert criterion_rule_text(p["ASAS50"])[1] == "none (no worsening rule)"
    assert criterion_rule_text(p["ASAS56"])[0].endswith(">= 20% of baseline in at least 5 of the 6 domains")
    assert criterion_rule_text(p["ASASPR"]) == (
        "value at the visit < 2 on 0-10 in every one of the 4 domains (baseline not used)", "not applicable")
    assert criterion_rule_text(p["BASDAI50"])[0].endswith(">= 50% of baseline or >= 2 units on 0-10 in the domain")


def test_derivations_section_prints_the_plans_criteria():
    text = " ".join(derivations_section(load_plan("cg-bm1")).split())
    assert "Response criteria (domain counts)" in text
    for label in ("ASAS20 response (ASAS20)", "ASAS40 response (ASAS40)", "ASAS 5/6 response (ASAS56)",
                  "ASAS partial remission (ASASPR)", "BASDAI50 response (BASDAI50)"):
        assert label in text
    assert "SPPAIN, the plan" in text  # the pain placeholder shows the plan's choice
    assert "lateral spinal flexion, cm (LATFLX; higher is better; in its own unit)" in text
    assert "ASAS50" not in text  # only what the plan derives


def test_a_plan_defined_criterion_is_printed_as_defined():
    own = {"id": "ASAS20", "label": "ASAS20 (as registered)", "reference": "000_e3d85c03939e06ad.txt line 68",
           "domains": [{"parameter": p, "scale": 10} for p in ("PTGA", "@pain", "BASFI", "INFLAM")],
           "improvement": {"relative": 0.2, "absolute": 10, "absolute_scale": 100}, "required": 3}
    text = " ".join(derivations_section(_plan(criteria=[own], asas_pain_domain="TBPAIN")).split())
    assert "ASAS20 (as registered) (ASAS20)" in text
    assert ">= 20% of baseline and >= 10 units on 0-100 in at least 3 of the 4 domains" in text
    assert "none (no worsening rule)" in text and "TBPAIN, the plan" in text
    assert "ASAS20 response (ASAS20)" not in text  # the preset is replaced


def test_endpoint_definition_of_a_response_is_its_criterion():
    """The endpoints table shows what is computed, not a free-text formula that could disagree with it."""
    text = " ".join(endpoints_section(load_plan("ucmsc-as")).split())
    assert ("ASAS50 response (as registered) (ASAS50)" in text and ">= 50% of baseline and >= 10 units on 0-100 in at "
            "least 3 of the 4 domains" in text)
    assert ">= 40% of baseline and >= 2 units on 0-10 in at least 3 of the 4 domains; no worsening at all" in text
