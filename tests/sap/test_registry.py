"""The method table (sap.registry): one entry per method, references that resolve, options parsed once on load,
and SAP sentences that write every option out (defaults included)."""
from __future__ import annotations

import inspect

import pytest

from sap.errors import PlanError
from sap.registry import REGISTRY, MethodOptions, method_entry, method_sentence, resolve
from sap.spec import available_plans, load_plan, plan_from_mapping


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_reference_resolves(name):
    entry = REGISTRY[name]
    run = entry.run_function()
    assert callable(run)
    params = list(inspect.signature(run).parameters)
    assert params[:2] == ["ctx", "analysis"], (name, params)
    shells = entry.shell_functions()
    assert shells, f"{name}: no table shell"
    for shell in shells:
        assert list(inspect.signature(shell).parameters)[:2] == ["result", "sc"], (name, shell)


def test_a_misspelt_reference_fails_loudly():
    with pytest.raises(AttributeError, match="no 'no_such_adapter'"):
        resolve("sap.adapters.binary:no_such_adapter")
    with pytest.raises(ModuleNotFoundError):
        resolve("sap.adapters.no_such_module:x")


def test_unknown_method_is_a_plan_error_at_load():
    data = load_plan("wang2013").model_dump(mode="json")
    data["analyses"][0]["method"] = "mmrm_typo"
    with pytest.raises(PlanError, match=r"unknown method 'mmrm_typo'"):
        plan_from_mapping(data, "typo.yaml")


def test_unknown_option_is_a_plan_error_naming_the_analysis_and_key():
    data = load_plan("cg-bm1").model_dump(mode="json")
    target = next(a for a in data["analyses"] if a["method"] == "mmrm")
    target["options"]["covarance"] = "us"
    with pytest.raises(PlanError, match=rf"analysis {target['id']} \(mmrm\): options.covarance"):
        plan_from_mapping(data, "typo.yaml")


@pytest.mark.parametrize("plan_id", available_plans())
def test_options_are_parsed_once_into_the_method_model(plan_id):
    plan = load_plan(plan_id)
    for analysis in plan.analyses:
        model = method_entry(analysis.method).options
        assert type(analysis.options) is model, (analysis.id, type(analysis.options))
        assert analysis.parsed_options() is analysis.options


def test_plan_round_trip_keeps_parsed_options():
    plan = load_plan("cg-bm1")
    again = plan_from_mapping(plan.model_dump(mode="json"), "round trip")
    assert [a.options for a in again.analyses] == [a.options for a in plan.analyses]


def test_mmrm_sentence_writes_the_defaults_out():
    options = method_entry("mmrm").options()
    text = method_sentence("mmrm", options)
    for expected in ("unstructured", "REML", "Kenward-Roger", "95%", "BASE x visit", "heterogeneous Toeplitz"):
        assert expected in text, (expected, text)
    assert "defaults" not in text


def test_sentences_follow_the_options():
    model = method_entry("response_comparison").options
    text = method_sentence("response_comparison", model(level=0.9, difference_ci="wald", stratified_by=("STRAT1",)))
    assert "90%" in text and "Wald" in text and "STRAT1" in text


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_method_has_a_sentence_for_its_defaults(name):
    entry = REGISTRY[name]
    required = [f for f, info in entry.options.model_fields.items() if info.is_required()]
    options = entry.options(**{f: "X" for f in required})
    text = method_sentence(name, options)
    assert isinstance(options, MethodOptions) and text.endswith(".") and len(text) > 20
