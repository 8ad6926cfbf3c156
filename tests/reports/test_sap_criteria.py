"""The SAP document prints each response criterion from the criterion the derivations compute (issue 14).

Expected sentences are written by hand from the rules (Anderson 2001, Brandt 2004, the CG-BM1 registration;
Machado 2011/2018 for ASDAS, Felson 1995 for ACR, van Gestel 1996 for EULAR).
"""
from __future__ import annotations

import yaml

from reports.sap_document import criterion_rule_text, derivations_section, endpoints_section
from sap.derivations import derive_options_for_plan
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
    assert "Response criteria" in text
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


# --------------------------------------------------------------------------- ASDAS, ACR, EULAR as criteria
IMPROVEMENT = "improvement (change from baseline in the better direction)"


def test_asdas_acr_eular_presets_in_words():
    """Written by hand from Machado 2011/2018 (ASDAS), Felson 1995 (ACR) and van Gestel 1996 (EULAR)."""
    p = preset_criteria()
    assert criterion_rule_text(p["ASDASCII"]) == (f"{IMPROVEMENT} >= 1.1 units in the domain",
                                                  "none (no worsening rule)")
    assert criterion_rule_text(p["ASDASMI"])[0] == f"{IMPROVEMENT} >= 2 units in the domain"
    assert criterion_rule_text(p["ASDASCIW"]) == (
        "deterioration (change from baseline in the worse direction) >= 0.9 units in the domain", "not applicable")
    assert criterion_rule_text(p["ASDASID"]) == ("value at the visit < 1.3 in the domain (baseline not used)",
                                                 "not applicable")
    assert criterion_rule_text(p["ASDASLDA"])[0] == "value at the visit < 2.1 in the domain (baseline not used)"
    assert criterion_rule_text(p["ACR50"]) == (
        f"{IMPROVEMENT} >= 50% of baseline in tender joint count (28) and swollen joint count (28), and in at least "
        "3 of the 5 other domains", "none (no worsening rule)")
    assert criterion_rule_text(p["EULAR"]) == (
        f"any one of: (1) {IMPROVEMENT} > 1.2 units in the domain; (2) {IMPROVEMENT} > 0.6 units in the domain and "
        "value at the visit <= 5.1 in the domain", "none (no worsening rule)")
    assert criterion_rule_text(p["EULARG"]) == (
        f"{IMPROVEMENT} > 1.2 units in the domain and value at the visit <= 3.2 in the domain",
        "none (no worsening rule)")


def test_ra_plan_prints_mandatory_domains_placeholders_and_alternatives():
    """The placeholders are printed as the PARAMCDs the derivations use (their DeriveOptions)."""
    plan = load_plan("ucmsc-ra")
    opt = derive_options_for_plan(plan)
    text = " ".join(derivations_section(plan).split())
    for label in ("ACR20 response (ACR20)", "ACR50 response (ACR50)", "ACR70 response (ACR70)",
                  "EULAR good or moderate response (DAS28) (EULAR)"):
        assert label in text
    assert "tender joint count (28) (TJC28; lower is better; in its own unit; mandatory)" in text
    assert "patient global assessment (VAS) (PTGAVAS; lower is better; in its own unit);" in text
    assert f"acute-phase reactant ({opt.acr_acute_phase}, the derivations" in text
    assert f"DAS28 (DAS28{opt.das28_marker}, the derivations" in text and opt.das28_marker == "CRP"
    assert "Felson DT et al. Arthritis Rheum 1995;38:727" in text and "van Gestel AM et al." in text
    for note in ("A mandatory domain must meet the change rule itself", "A response with alternatives holds when "
                 "any one of them holds.", "A threshold or cut-off without a scale is in the domain"):
        assert note in text
    assert "deterioration rule" not in text  # only the notes the plan's criteria need


def test_ra_endpoint_definitions_are_the_criteria():
    text = " ".join(endpoints_section(load_plan("ucmsc-ra")).split())
    assert (">= 20% of baseline in tender joint count (28) and swollen joint count (28), and in at least 3 of the 5 "
            "other domains") in text
    assert "any one of: (1) improvement" in text


def test_cg_bm1_prints_its_asdas_criteria():
    text = " ".join(derivations_section(load_plan("cg-bm1")).split())
    assert "ASDAS-CRP clinically important improvement (decrease >= 1.1) (ASDASCII)" in text
    assert "Machado P et al. Ann Rheum Dis 2011;70:47" in text
    assert "ASDAS-CRP (ASDASCRP; lower is better; in its own unit)" in text


def test_a_plan_defined_criterion_with_alternatives_is_printed_as_defined():
    """Alternatives with different worsening rules: each states its own."""
    own = {"id": "MYRESP", "label": "mine", "reference": "the plan",
           "domains": [{"parameter": "PTGA", "label": "patient global", "scale": 10},
                       {"parameter": "BASFI", "label": "function", "scale": 10, "mandatory": True}],
           "any_of": [{"improvement": {"relative": 0.2}, "worsening": {"rule": "any"}},
                      {"cutoff": {"comparison": "le", "value": 2, "scale": 10}}]}
    plan = _plan(criteria=[own], responses=["ASAS20", "MYRESP"])
    crit = next(c for c in plan.derivations.response_criteria() if c.id == "MYRESP")
    assert criterion_rule_text(crit) == (
        f"any one of: (1) {IMPROVEMENT} >= 20% of baseline in function, and in at least 1 of the 1 other domains, no "
        "worsening at all in the remaining domain(s): post worse than baseline fails; (2) value at the visit <= 2 on "
        "0-10 in every one of the 2 domains (baseline not used)", "as stated in each alternative")
    text = " ".join(derivations_section(plan).split())
    assert "function (BASFI; lower is better; read on 0-10; mandatory)" in text and "mine (MYRESP)" in text
