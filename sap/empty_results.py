"""A result without rows and without a reason is given its reason: never an empty table that looks produced.

Issue 15: blank population flags gave a comparison with no rows that counted as produced, and the run stopped
later with "multiplicity ... produced no p-value", hiding the cause. :func:`check_result_has_estimates` names it:
no subjects in the population (with the flag's values in ADSL), or no records of the analysis dataset for the
population's subjects (with the filter used). Hand-written; pipeline-level, after every adapter.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from sap.adapters._common import select_frame
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.registry import method_entry
from sap.results import AnalysisResult


def _value_counts(series: pd.Series) -> str:
    counts = series.astype("string").str.strip().fillna("").replace("", "(blank)").value_counts()
    return ", ".join(f"{v} {n}" for v, n in counts.items())


def explain_no_estimates(ctx: AnalysisContext, analysis) -> str:
    """Why ``analysis`` has nothing to estimate on these data."""
    pop = ctx.plan.population(analysis.population)
    phase = f" in phase {analysis.phase}" if analysis.phase else ""
    subjects = ctx.analysis_subjects(analysis)
    if subjects.empty:
        frame = ctx.adsl if analysis.phase is None else ctx.adsl[ctx.adsl["PHASEID"] == analysis.phase]
        flag = f" ({pop.flag} = Y)" if pop.flag else ""
        if frame.empty:
            return f"no subjects in population {pop.id}{phase}: ADSL has no subject{phase}"
        values = f"; ADSL {pop.flag}{phase}: {_value_counts(frame[pop.flag])}" if pop.flag in frame.columns else ""
        return f"no subjects in population {pop.id}{flag}{phase}{values}"
    sel = method_entry(analysis.method).selection
    if sel is not None:
        try:
            records = select_frame(ctx, analysis)
        except UserInputError as exc:
            return str(exc)
        if records.empty:
            dataset = (analysis.data.dataset if analysis.data else sel.dataset).lower()
            where = f" where {analysis.data.where}" if analysis.data and analysis.data.where else ""
            return (f"no records of {dataset}{where} ({sel.text()}) for the {len(subjects)} subjects of population "
                    f"{pop.id}{phase}")
    return f"no estimates from {len(subjects)} subjects of population {pop.id}{phase}"


def check_result_has_estimates(ctx: AnalysisContext, analysis, result: AnalysisResult) -> AnalysisResult:
    """``result``, marked not estimable with the reason when it has no rows and no reason of its own."""
    if not isinstance(result, AnalysisResult) or not result.produced or len(result.rows):
        return result
    return replace(result, not_estimable=explain_no_estimates(ctx, analysis))
