"""The analysed-record flag is plan data (issue 15: 'the adapter applies ANL01FL == "Y" even when the plan's filter
does not say so'): data.analysis_flag (ANL01FL by default; None = every selected record), printed in the SAP."""
from __future__ import annotations

import pandas as pd
import yaml

from sap.adapters._common import analysed_records
from sap.context import AnalysisContext
from sap.pipeline import build_context, load_data
from sap.spec import load_plan, plan_from_mapping, plan_path
from reports.sap_document import analyses_section

PLAN = load_plan("cg-bm1")


def _plan(flag):
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["data"]["analysis_flag"] = flag
    return plan_from_mapping(data, "cg-bm1 (edited)")


def _unescaped(text: str) -> str:
    return text.replace("\\", "")  # the SAP markdown escapes punctuation


def test_the_flag_selects_the_analysed_records_and_none_keeps_all():
    ctx = build_context(PLAN, load_data(PLAN, None))
    eff = ctx.derived["adeff"]
    basdai = eff[(eff["PARAMCD"] == "BASDAI") & (eff["ANL01FL"] == "Y") & (eff["PHASE"] == "Phase 2")
                 & (eff["FASFL"] == "Y")]
    extra = basdai.head(5).assign(ANL01FL=None, AVAL=basdai.head(5)["AVAL"] + 1)  # 5 non-analysed repeats
    derived = {**ctx.derived, "adeff": pd.concat([eff, extra], ignore_index=True)}
    analysis = PLAN.analysis("BASDAI-SUM")
    flagged = analysed_records(AnalysisContext(plan=PLAN, datasets=ctx.datasets, adsl=ctx.adsl, derived=derived),
                               analysis, baseline=True)
    unflagged_plan = _plan(None)
    every = analysed_records(AnalysisContext(plan=unflagged_plan, datasets=ctx.datasets, adsl=ctx.adsl,
                                             derived=derived), unflagged_plan.analysis("BASDAI-SUM"), baseline=True)
    assert (flagged["ANL01FL"] == "Y").all()
    assert len(every) == len(flagged) + 5   # the 5 repeats (Phase 2, FAS: subjects this analysis selects)


def test_the_sap_states_the_flag():
    assert "those with ANL01FL = Y are analysed" in _unescaped(analyses_section(PLAN))
    assert ("Every record an analysis selects is analysed (data.analysis_flag: none)"
            in _unescaped(analyses_section(_plan(None))))
