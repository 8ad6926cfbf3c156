"""A result with no rows names its cause (issue 15): blank population flags and a filter that selects nothing.

Before, the comparison of a population with no subjects returned an empty result counted as produced, and the run
stopped later with "multiplicity ... produced no p-value"; the hand-made edits below make the cause known.
"""
from __future__ import annotations

import pandas as pd
import pytest

from sap.errors import UserInputError
from sap.pipeline import build_context, frozen_data_dir, load_data, run_analyses
from sap.registry import method_entry
from sap.empty_results import check_result_has_estimates
from sap.spec import DataSelection, load_plan

PLAN = load_plan("cg-bm1")


@pytest.fixture(scope="module")
def blank_fas_context(tmp_path_factory):
    folder = tmp_path_factory.mktemp("blank_fas")
    for f in frozen_data_dir(PLAN).glob("*.csv"):
        frame = pd.read_csv(f)
        if f.stem == "adsl":
            frame.loc[frame["PHASE"] == "Phase 2", "FASFL"] = None   # 40 Phase 2 subjects in the frozen data
        frame.to_csv(folder / f.name, index=False)
    return build_context(PLAN, load_data(PLAN, folder))


def _run(ctx, analysis):
    return check_result_has_estimates(ctx, analysis, method_entry(analysis.method).run_function()(ctx, analysis))


def test_blank_population_flags_are_named(blank_fas_context):
    result = _run(blank_fas_context, PLAN.analysis("ASAS20-CMP"))
    assert result.not_estimable == ("no subjects in population FAS (FASFL = Y) in phase P2; "
                                    "ADSL FASFL in phase P2: (blank) 40")


def test_the_run_stops_with_the_cause_not_the_multiplicity_symptom(blank_fas_context):
    with pytest.raises(UserInputError, match=r"ASAS20-CMP has no estimates: no subjects in population FAS"):
        run_analyses(blank_fas_context)


def test_a_filter_that_selects_nothing_is_named():
    ctx = build_context(PLAN, load_data(PLAN, None))
    analysis = PLAN.analysis("BASDAI-SUM").model_copy(
        update={"data": DataSelection(dataset="adeff", where="PARAMCD == 'NOSUCH'")})
    result = _run(ctx, analysis)
    adsl = pd.read_csv(frozen_data_dir(PLAN) / "adsl.csv")
    n_fas_p2 = int(((adsl["PHASE"] == "Phase 2") & (adsl["FASFL"] == "Y")).sum())   # 39 in the frozen data
    assert result.not_estimable.startswith("no records of adeff where PARAMCD == 'NOSUCH'")
    assert f"for the {n_fas_p2} subjects of population FAS in phase P2" in result.not_estimable


def test_a_result_with_rows_is_left_alone():
    ctx = build_context(PLAN, load_data(PLAN, None))
    analysis = PLAN.analysis("POP")
    raw = method_entry(analysis.method).run_function()(ctx, analysis)
    assert check_result_has_estimates(ctx, analysis, raw) is raw


def test_a_phase_without_subjects_says_so():
    """A data cut with no Phase 1 subjects (issue 15: KeyError 'n' in the DLT rate, exit 1)."""
    loaded = load_data(PLAN, None)
    adsl = loaded.datasets["adsl"]
    keep = set(adsl.loc[adsl["PHASE"] == "Phase 2", "USUBJID"])
    for name, frame in list(loaded.datasets.items()):
        loaded.datasets[name] = frame[frame["USUBJID"].isin(keep)].reset_index(drop=True)
    ctx = build_context(PLAN, loaded)
    result = _run(ctx, PLAN.analysis("DLT-RATE"))
    assert result.not_estimable == "no subjects in population DLTEVAL in phase P1: ADSL has no subject in phase P1"


def test_a_family_member_without_p_value_says_why():
    """Zero variance or a single arm used to surface only as 'multiplicity ... produced no p-value'."""
    from analyses.results import tidy_frame
    from sap.adapters.multiplicity import select_member_rows
    from sap.results import AnalysisResult
    h = PLAN.multiplicity.family[0]                       # ASAS20-CMP at week 12
    target = PLAN.analysis(h.analysis)
    rows = tidy_frame([dict(statistic="fisher_test", imputation="nri", visit=12.0, group="CG-BM1 (RP2D)",
                            comparator="Placebo", p_value=float("nan"))])
    result = AnalysisResult(target.id, target.method, target.title, target.population, target.endpoint, rows,
                            notes=("every subject a responder at week 12",))
    with pytest.raises(UserInputError, match=r"could not be computed .*; every subject a responder at week 12"):
        select_member_rows(h, target, result)
    with pytest.raises(UserInputError, match="the analysis has no row of this test"):
        select_member_rows(h, target, AnalysisResult(target.id, target.method, target.title, target.population,
                                                     target.endpoint, tidy_frame([dict(statistic="proportion", visit=12.0)])))
