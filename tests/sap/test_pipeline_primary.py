"""An analysis the plan marks as primary (of a primary endpoint, not a sensitivity analysis) that cannot be
estimated stops the run as bad input (exit 2) naming it; any other not-estimable result is recorded and shown."""
from __future__ import annotations

import pytest

from analyses.results import tidy_frame
from sap.errors import UserInputError
from sap.pipeline import check_primary_estimable, is_primary
from sap.results import AnalysisResult, not_estimable_result, withheld_result
from sap.spec import load_plan

PLAN = load_plan("cg-bm1")


def _produced():
    return {a.id: AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame([]))
            for a in PLAN.analyses}


def test_primary_marks_follow_the_plan():
    primary = {a.id for a in PLAN.analyses if is_primary(PLAN, a)}
    # cg-bm1's registration: safety (AEs, DLTs) is primary; ASAS20-PP is a sensitivity analysis
    assert {"DLT-RATE", "AE-OVW"} <= primary and "ASAS20-PP" not in primary
    assert all(PLAN.endpoint(PLAN.analysis(i).endpoint).role == "primary" for i in primary)


def test_primary_analysis_not_estimable_is_an_error_naming_it():
    results = _produced()
    results["DLT-RATE"] = not_estimable_result(PLAN.analysis("DLT-RATE"), "no DLT-evaluable subject at any dose")
    with pytest.raises(UserInputError, match=r"analyses\[DLT-RATE\] \(dlt_rate, primary endpoint .*\): not estimable: "
                                             r"no DLT-evaluable subject at any dose"):
        check_primary_estimable(PLAN, results)


def test_other_results_not_estimable_or_withheld_do_not_stop_the_run():
    results = _produced()
    results["ASAS20-PP"] = not_estimable_result(PLAN.analysis("ASAS20-PP"), "fewer than 2 subjects in arm Placebo")
    results["ESC"] = withheld_result(PLAN.analysis("ESC"), "blinded data")
    check_primary_estimable(PLAN, results)  # no error
