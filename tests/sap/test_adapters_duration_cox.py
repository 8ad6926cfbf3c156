"""Duration of response with a monotone Cox likelihood (issue 15), at the adapter level (sap.adapters.duration).

Plan: the shipped cg-bm1 plan, DUR-ASAS20 (Phase 2, CG-BM1 (RP2D) vs Placebo, FAS), optionally with
``cox_fallback: [firth]``. Frame: responders R1 (2 weeks, lost), R2 (4, lost), R3 (6, ongoing) on RP2D and P1 (1,
ongoing), P2 (3, ongoing) on placebo: no placebo response ends, so the Cox partial likelihood increases without
bound (hazard ratio RP2D vs placebo infinite). Expected: no exception; the hazard-ratio row not estimable with the
reason "monotone likelihood (no events in Placebo)" and the log-rank and Kaplan-Meier rows as usual; with the
Firth option the hazard ratio of Firth's penalised likelihood (analyses.cox, validated in
tests/analyses/test_cox_firth.py), its method named in the row, the result notes and the table.
Log-rank by hand: events at 2 (4 at risk, 3 RP2D: E = 3/4, V = 3/16) and 4 (2 at risk, both RP2D: E = 1, V = 0),
O - E = 2 - 7/4, chi-square = (1/4)^2 / (3/16) = 1/3; KM RP2D: 2/3 after week 2, 1/3 after week 4.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from analyses.cox import derive_event_terms, fit_cox_firth
from reports.shells.common import ShellContext
from reports.shells.duration import FIRTH_NOTE, duration_table
from sap.adapters.duration import response_duration
from sap.context import AnalysisContext, assign_arms
from sap.registry import method_sentence
from sap.spec import load_plan, plan_from_mapping
from shared_helpers import one_row as _row  # noqa: E402

RP2D, PBO = "CG-BM1 (RP2D)", "Placebo"
ADSL = pd.DataFrame({"USUBJID": ["R1", "R2", "R3", "R4", "P1", "P2", "P3", "P4"],
                     "TRT01P": ["CG-BM1 RP2D"] * 4 + ["Placebo"] * 4, "PHASE": "Phase 2", "FASFL": "Y"})
ADDUR = pd.DataFrame({"USUBJID": ["R1", "R2", "R3", "P1", "P2"], "PARAMCD": "DURASAS20",
                      "ONSETDY": [8.0, 8.0, 29.0, 8.0, 57.0], "AVAL": [2.0, 4.0, 6.0, 1.0, 3.0],
                      "EVENT": [1, 1, 0, 0, 0]})
REASON = f"monotone likelihood (no events in {PBO})"


def _ctx(fallback: list[str] | None = None) -> AnalysisContext:
    data = load_plan("cg-bm1").model_dump(mode="json")
    if fallback is not None:
        next(a for a in data["analyses"] if a["id"] == "DUR-ASAS20")["options"]["cox_fallback"] = fallback
    plan = plan_from_mapping(data, "cg-bm1 (test)")
    adsl = assign_arms(plan, ADSL)
    return AnalysisContext(plan=plan, datasets={"adsl": adsl}, adsl=adsl, derived={"addur": ADDUR.copy()})


def _km_and_logrank_stand(rows: pd.DataFrame) -> None:
    lr = _row(rows, statistic="logrank_test")
    assert lr["estimate"] == pytest.approx(1 / 3, rel=1e-9)  # by hand, module docstring
    assert _row(rows, group=RP2D, statistic="median")["estimate"] == 4.0  # S drops to 1/3 at week 4
    assert _row(rows, group=RP2D, statistic="count", label="events")["estimate"] == 2
    assert _row(rows, group=PBO, statistic="count", label="events")["estimate"] == 0


def test_arm_without_events_is_not_estimable_with_the_monotone_reason():
    ctx = _ctx()
    sentence = method_sentence("response_duration", ctx.plan.analysis("DUR-ASAS20").options)
    assert sentence.endswith("or the fit does not converge: none, the hazard ratio is not estimable).")
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    assert result.produced  # the analysis stands; only the hazard ratio is NE
    hr = _row(result.rows, statistic="hazard_ratio")
    assert hr["not_estimable"] == REASON and hr["method"] == "cox_efron_wald"
    assert all(pd.isna(hr[c]) for c in ("estimate", "ci_lower", "ci_upper", "p_value"))
    assert hr["converged"] is not None and not hr["converged"]
    assert result.converged is False and result.notes == ()
    [warning] = result.warnings
    assert warning.startswith(f"Cox fit {RP2D} vs {PBO}: ") and "coefficient may be infinite" in warning
    _km_and_logrank_stand(result.rows)
    table = duration_table(result, ShellContext(ctx.plan))[0]
    assert table.frame.iloc[-1][f"{RP2D} (N=4)"].startswith("NE (NE, NE); p = ")
    assert (f"Hazard ratio {RP2D} vs {PBO} not estimable: {REASON}; the log-rank test and Kaplan-Meier estimates "
            "are shown.") in table.footnotes


def test_firth_option_estimates_the_hazard_ratio_and_names_the_method():
    ctx = _ctx(["firth"])
    opts = ctx.plan.analysis("DUR-ASAS20").options
    assert opts.cox_fallback == ("firth",)
    assert ("or the fit does not converge: Firth's penalised partial likelihood (Breslow ties, profile "
            "penalised-likelihood confidence interval))." in method_sentence("response_duration", opts))
    result = response_duration(ctx, ctx.plan.analysis("DUR-ASAS20"))
    hr = _row(result.rows, statistic="hazard_ratio")
    assert hr["method"] == "cox_firth_pl" and bool(hr["converged"]) and hr["iterations"] > 0
    assert "not_estimable" not in result.rows.columns or not isinstance(hr["not_estimable"], str)
    # the same fit on the hand-built arms (RP2D = group): the adapter passes the right times and direction
    firth = fit_cox_firth(derive_event_terms([2.0, 4.0, 6.0], [1, 1, 0], [1.0, 3.0], [0, 0], "breslow"))
    assert hr["estimate"] == pytest.approx(math.exp(firth.beta), rel=1e-12)
    assert (hr["ci_lower"], hr["ci_upper"]) == pytest.approx(tuple(map(math.exp, firth.ci)), rel=1e-12)
    assert hr["estimate"] > 1 and hr["ci_lower"] < hr["estimate"] < hr["ci_upper"] < math.inf
    assert result.converged is True
    [note] = result.notes
    assert note.startswith(f"Cox fit {RP2D} vs {PBO}: {REASON}: hazard ratio from Firth's penalised partial "
                           "likelihood")
    assert len(result.warnings) == 1  # the standard fit's divergence stays recorded
    _km_and_logrank_stand(result.rows)
    table = duration_table(result, ShellContext(ctx.plan))[0]
    assert table.frame.iloc[-1]["Statistic"] == f"{RP2D} vs {PBO}: hazard ratio, Firth (95% CI); log-rank p"
    assert not table.frame.iloc[-1][f"{RP2D} (N=4)"].startswith("NE")
    assert FIRTH_NOTE in table.footnotes and note in table.footnotes
