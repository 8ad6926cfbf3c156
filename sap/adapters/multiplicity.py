"""Multiplicity: the plan's declared family tested by fixed sequence, Holm, Hochberg or Bonferroni.

Each family member names an analysis and a visit; its p-value is that analysis' primary test at the visit
(response comparisons: the first test the plan lists, under non-responder imputation; MMRM and ANCOVA: the
LS-mean difference versus the reference arm). A comparison with several experimental arms contributes one
hypothesis per arm. Procedures: :mod:`analyses.multiplicity` (statsmodels ``multipletests`` for Holm/Hochberg).
"""
from __future__ import annotations

import pandas as pd

from analyses.multiplicity import adjust_p_values
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.spec import Analysis

from ._common import fmt_p, population_footnote

TEST_STATISTIC = {"fisher": "fisher_test", "cmh": "chisq_test"}


def _primary_rows(ctx: AnalysisContext, analysis: Analysis, outcome: AnalysisOutcome, visit) -> pd.DataFrame:
    tidy = outcome.tidy
    if analysis.method == "response_comparison":
        stat = TEST_STATISTIC[analysis.parsed_options().tests[0]]
        rows = tidy[tidy["statistic"] == stat]
        if "imputation" in rows.columns and (rows["imputation"] == "nri").any():
            rows = rows[rows["imputation"] == "nri"]
    elif analysis.method in ("mmrm", "ancova"):
        rows = tidy[tidy["statistic"] == "lsmean_difference"]
    else:
        raise UserInputError(f"multiplicity.family: analysis {analysis.id} ({analysis.method}) has no comparison test")
    if visit is not None:
        rows = rows[pd.to_numeric(rows["visit"], errors="coerce") == float(visit)]
    return rows[rows["p_value"].notna()]


def multiplicity(ctx: AnalysisContext, analysis: Analysis, outcomes: dict[str, AnalysisOutcome]) -> AnalysisOutcome:
    mult = ctx.plan.multiplicity
    title = analysis.title
    if mult.strategy == "none" or not mult.family or ctx.blinded:
        why = "blinded data: no comparisons" if ctx.blinded else "no multiplicity family declared"
        table = DisplayTable(title, pd.DataFrame({"Note": [why]}), footnotes=(mult.text,))
        return AnalysisOutcome(analysis.id, title, analysis.method, analysis.population, None,
                               pd.DataFrame(), tables=[table], notes=[why])
    names, pvals, members = [], [], []
    for h in mult.family:
        target = ctx.plan.analysis(h.analysis)
        rows = _primary_rows(ctx, target, outcomes[h.analysis], h.visit)
        if rows.empty:
            raise UserInputError(f"multiplicity.family[{h.label}]: analysis {h.analysis} produced no p-value"
                                 f" at visit {h.visit}")
        for _, r in rows.iterrows():
            name = h.label if len(rows) == 1 else f"{h.label}: {r['group']} vs {r['comparator']}"
            names.append(name)
            pvals.append(float(r["p_value"]))
            members.append((h, r))
    result = adjust_p_values(names, pvals, method=mult.strategy, alpha=mult.alpha, analysis_id=analysis.id)
    tidy = result.tidy()
    tidy["visit"] = [h.visit for h, _ in members]
    tidy["group"] = [r["group"] for _, r in members]
    tidy["comparator"] = [r["comparator"] for _, r in members]
    tidy["population"] = analysis.population
    frame = pd.DataFrame({
        "Order": range(1, len(names) + 1),
        "Hypothesis": names,
        "Raw p-value": [fmt_p(p) for p in result.p_values],
        "Adjusted p-value": [fmt_p(p) for p in result.adjusted],
        "Tested": ["yes" if t else "no (sequence stopped)" for t in result.tested],
        "Rejected": ["yes" if r else "no" for r in result.rejected],
    })
    method_text = {"fixed_sequence": "fixed-sequence (hierarchical) testing, each at the full alpha until the first "
                                     "non-rejection; adjusted p = running maximum",
                   "holm": "Holm step-down (statsmodels multipletests)",
                   "hochberg": "Hochberg step-up (statsmodels multipletests, simes-hochberg)",
                   "bonferroni": "Bonferroni"}[mult.strategy]
    table = DisplayTable(title, frame, footnotes=(f"Procedure: {method_text}; two-sided alpha {mult.alpha}.",
                                                  mult.text, population_footnote(ctx, analysis)),
                         stub_columns=("Order", "Hypothesis"))
    return AnalysisOutcome(analysis.id, title, analysis.method, analysis.population, None, tidy, tables=[table])
