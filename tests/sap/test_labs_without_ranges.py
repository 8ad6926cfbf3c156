"""Laboratory data without normal ranges (issue 15, finding 2: 'ADLB needs ANRIND or normal-range limits' was an
internal error, exit 1). The shift table is not estimable and says why; the lab change table and every other
analysis run, and the whole run succeeds."""
from __future__ import annotations

from sap.pipeline import build_context, load_data, run_analyses
from sap.spec import load_plan

PLAN = load_plan("cg-bm1")


def test_no_normal_ranges_is_a_reason_not_a_crash():
    loaded = load_data(PLAN, None)
    adlb = loaded.datasets["adlb"]
    loaded.datasets["adlb"] = adlb.drop(columns=[c for c in adlb.columns if c.startswith("ANR")])
    results = run_analyses(build_context(PLAN, loaded))
    shift = results["LAB-SHIFT"]
    assert shift.not_estimable is not None and "no normal ranges" in shift.not_estimable
    assert "adlb.ANRIND" in shift.not_estimable
    assert results["LAB-CHG"].produced and len(results["LAB-CHG"].rows)
