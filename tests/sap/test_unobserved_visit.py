"""A scheduled visit at which no subject has an observed response is not analysed under NRI (issue 15: it came out
as 0/19 vs 0/20 with Fisher p 1.000, every value imputed); the exclusion names the visit. Expected: the shipped
frozen cg-bm1 results at the other visits, unchanged."""
from __future__ import annotations

import pandas as pd

from sap.pipeline import build_context, load_data
from sap.registry import method_entry
from sap.spec import load_plan

PLAN = load_plan("cg-bm1")


def _run(ctx, analysis_id):
    a = PLAN.analysis(analysis_id)
    return method_entry(a.method).run_function()(ctx, a)


def test_a_visit_without_observations_is_named_not_imputed():
    shipped = build_context(PLAN, load_data(PLAN, None))
    loaded = load_data(PLAN, None)
    adqs = loaded.datasets["adqs"]
    loaded.datasets["adqs"] = adqs[adqs["AVISITN"] != 8].reset_index(drop=True)   # week 8 never assessed
    ctx = build_context(PLAN, loaded)
    for analysis_id in ("ASAS20-CMP", "ASAS20-RATE"):
        before, after = _run(shipped, analysis_id), _run(ctx, analysis_id)
        nri = after.rows[after.rows["imputation"] == "nri"]
        assert 8.0 not in set(pd.to_numeric(nri["visit"], errors="coerce"))
        assert any("Week 8 has no observed response in any subject" in e.reason for e in after.excluded)
        keep = lambda r: r[(pd.to_numeric(r["visit"], errors="coerce") == 12) & (r["imputation"] == "nri")]  # noqa
        pd.testing.assert_frame_equal(keep(before.rows).reset_index(drop=True), keep(after.rows).reset_index(drop=True))
