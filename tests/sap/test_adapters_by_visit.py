"""The generic adapter (sap.adapters.by_visit) on a hand-made ADEFF for the shipped msc-etanercept plan.

A method entry with ``run="sap.adapters.by_visit:summarize_by_visit"`` gets the endpoint's analysed records at its
visits, with missing values left out and recorded, and passes them to its ``compute`` function. The compute
function here (written to a temporary module) returns what it was given, so the test sees the frame and
arguments the adapter passes; the expectations are counted by hand from the frame below.
"""
from __future__ import annotations

import sys
import textwrap
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from sap import registry
from sap.adapters.by_visit import summarize_by_visit
from sap.context import AnalysisContext, assign_arms
from sap.registry import ContinuousSummaryOptions, MethodEntry, Selection
from sap.results import Exclusion
from sap.spec import load_plan

MSC, ETN = "MSC 1.0x10^6 cells/kg", "Etanercept"

COMPUTE = '''
from analyses.results import tidy_frame

def echo(frame, *, value, group, visit, groups, reference, options):
    rows = []
    for (g, v), sub in frame.groupby([group, visit]):
        rows.append(dict(group=g, visit=v, statistic="count", estimate=len(sub), n=len(sub),
                         label=f"{value};{','.join(groups)};{reference};{options['value']};{sorted(sub['USUBJID'])}"))
    return tidy_frame(rows)
'''


@pytest.fixture()
def method(tmp_path, monkeypatch):
    (tmp_path / "by_visit_compute.py").write_text(textwrap.dedent(COMPUTE), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = MethodEntry("echo_by_visit", ContinuousSummaryOptions, "records by visit", "efficacy",
                        Selection("adeff", parameter="endpoint", endpoint_visits=True),
                        "sap.adapters.by_visit:summarize_by_visit", ("reports.shells.continuous:summary_table",),
                        lambda o: "echo.", compute="by_visit_compute:echo")
    monkeypatch.setitem(registry.REGISTRY, entry.name, entry)
    yield entry
    registry.resolve.cache_clear()
    sys.modules.pop("by_visit_compute", None)


def _context(plan):
    adsl = assign_arms(plan, pd.DataFrame({"USUBJID": ["M1", "M2", "E1", "E2", "X1"],
                                           "TRT01P": ["MSC", "MSC", "Etanercept", "Etanercept", "MSC"],
                                           "FASFL": ["Y", "Y", "Y", "Y", "N"], "SAFFL": "Y"}))
    rows = []
    for s in ["M1", "M2", "E1", "E2", "X1"]:
        for v, chg in ((0.0, np.nan), (12.0, 1.0), (48.0, np.nan if s == "M2" else 2.0), (24.0, 3.0)):
            rows.append({"USUBJID": s, "PARAMCD": "BASDAI", "AVISITN": v, "ANL01FL": "Y", "CHG": chg, "AVAL": 5.0})
        rows.append({"USUBJID": s, "PARAMCD": "BASDAI", "AVISITN": 12.0, "ANL01FL": "N", "CHG": 9.0, "AVAL": 5.0})
        rows.append({"USUBJID": s, "PARAMCD": "BASFI", "AVISITN": 12.0, "ANL01FL": "Y", "CHG": 9.0, "AVAL": 5.0})
    return AnalysisContext(plan=plan, datasets={"adsl": adsl}, adsl=adsl, derived={"adeff": pd.DataFrame(rows)})


def test_generic_adapter_passes_the_selected_frame(method):
    plan = load_plan("msc-etanercept")
    analysis = plan.analysis("BASDAI-MMRM").model_copy(update={"method": method.name,
                                                               "options": ContinuousSummaryOptions(value="CHG")})
    result = summarize_by_visit(_context(plan), analysis)
    rows = result.rows.set_index(["group", "visit"])
    # FAS only (X1 out), ANL01FL = Y, BASDAI only, the endpoint's visits 12 and 48 (24 is not one; 0 has no CHG)
    assert sorted(rows.index) == [(ETN, 12.0), (ETN, 48.0), (MSC, 12.0), (MSC, 48.0)]
    assert rows.loc[(MSC, 48.0), "estimate"] == 1  # M2's week-48 CHG is missing
    assert rows.loc[(MSC, 12.0), "label"] == f"CHG;{MSC},{ETN};{ETN};CHG;['M1', 'M2']"
    assert result.excluded == (Exclusion("CHG missing", 1),)
    assert result.records_used == 7 and dict(result.group_n) == {MSC: 2, ETN: 2} and result.reference == ETN


def test_entry_without_compute_function_is_a_clear_error(method):
    with pytest.raises(ValueError, match="names no compute function"):
        replace(method, compute="").compute_function()
