"""Multiplicity: the plan's declared family tested by fixed sequence, Holm, Hochberg or Bonferroni.

Each family member names an analysis and a visit; its p-value is the row of that analysis' primary test at
the visit, found in the analysis' result rows by the column values of :data:`PRIMARY_TEST` (response
comparisons: the first test the plan lists, under non-responder imputation when the plan lists it; MMRM and
ANCOVA: the LS-mean difference versus the reference arm). A comparison with several experimental arms
contributes one hypothesis per arm. Procedures: :mod:`analyses.multiplicity` (statsmodels ``multipletests``
for Holm/Hochberg/Bonferroni; R ``p.adjust``, SAS PROC MULTTEST).
"""
from __future__ import annotations

from typing import Any, Callable

import pandas as pd

from analyses.multiplicity import adjust_p_values
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.results import AnalysisResult, withheld_result
from sap.spec import Analysis, Hypothesis

#: test named in the response-comparison options -> ``statistic`` of its result rows
TEST_STATISTIC = {"fisher": "fisher_test", "cmh": "chisq_test"}


def _response_test(options) -> dict[str, str]:
    imputation = "nri" if "nri" in options.imputation else options.imputation[0]
    return {"statistic": TEST_STATISTIC[options.tests[0]], "imputation": imputation}


#: method -> (its parsed options -> the result-row column values identifying its primary test's p-value rows).
#: A method not listed has no comparison test and cannot be a family member.
PRIMARY_TEST: dict[str, Callable[[Any], dict[str, str]]] = {
    "response_comparison": _response_test,
    "mmrm": lambda options: {"statistic": "lsmean_difference"},
    "ancova": lambda options: {"statistic": "lsmean_difference"},
}


def _why_not_produced(result) -> str | None:
    """Why a member's result has no estimates (None when it has); an old-type outcome gives its notes."""
    if isinstance(result, AnalysisResult):
        return None if result.produced else (result.not_estimable or result.withheld)
    return ("; ".join(result.notes) or "no reason recorded") if result.not_estimable else None


def _why_no_p_value(result, tested: pd.DataFrame) -> str:
    """Why the member's test rows hold no p-value: no such row, or rows whose test could not be computed."""
    if tested.empty:
        return "the analysis has no row of this test (no comparison at this visit: both groups need subjects)"
    groups = ", ".join(sorted({f"{g} vs {c}" for g, c in zip(tested["group"], tested["comparator"])}))
    extra = "; ".join(tuple(getattr(result, "notes", ())) + tuple(getattr(result, "warnings", ())))
    return (f"the test of {groups} could not be computed (e.g. no variation: every subject a responder, or every "
            f"one a non-responder)" + (f"; {extra}" if extra else ""))


def select_member_rows(h: Hypothesis, target: Analysis, result) -> pd.DataFrame:
    """The p-value rows of family member ``h`` (one per experimental arm) in the result rows of ``target``."""
    field = f"multiplicity.family[{h.label}]"
    if target.method not in PRIMARY_TEST:
        raise UserInputError(f"{field}: analysis {target.id} ({target.method}) has no comparison test; "
                             f"family members must be one of {', '.join(sorted(PRIMARY_TEST))}")
    reason = _why_not_produced(result)
    if reason is not None:
        raise UserInputError(f"{field}: analysis {target.id} has no estimates: {reason}")
    key = PRIMARY_TEST[target.method](target.options)
    rows = result.rows
    for column, value in key.items():
        rows = rows[rows[column] == value] if column in rows.columns else rows.iloc[0:0]
    if h.visit is not None:
        rows = rows[pd.to_numeric(rows["visit"], errors="coerce") == float(h.visit)]
    tested = rows
    rows = rows[rows["p_value"].notna()]
    at = "" if h.visit is None else f" at visit {h.visit:g}"
    if rows.empty:
        wanted = ", ".join(f"{c} = {v}" for c, v in key.items())
        raise UserInputError(f"{field}: analysis {h.analysis} produced no p-value ({wanted}){at}: "
                             + _why_no_p_value(result, tested))
    if rows.duplicated(["group", "comparator"]).any():
        raise UserInputError(f"{field}.visit: analysis {h.analysis} has several p-values per comparison{at}; "
                             f"name one visit")
    return rows


def multiplicity(ctx: AnalysisContext, analysis: Analysis, results: dict) -> AnalysisResult:
    """Adjusted p-values and decisions for the plan's family, in the declared order."""
    mult = ctx.plan.multiplicity
    if ctx.blinded:
        return withheld_result(analysis, "blinded data: no comparisons")
    if mult.strategy == "none" or not mult.family:
        return withheld_result(analysis, "no multiplicity family declared")
    names, pvals, members = [], [], []
    for h in mult.family:
        rows = select_member_rows(h, ctx.plan.analysis(h.analysis), results[h.analysis])
        for _, r in rows.iterrows():
            names.append(h.label if len(rows) == 1 else f"{h.label}: {r['group']} vs {r['comparator']}")
            pvals.append(float(r["p_value"]))
            members.append((h, r))
    tidy = adjust_p_values(names, pvals, method=mult.strategy, alpha=mult.alpha, analysis_id=analysis.id).tidy()
    tidy["visit"] = [h.visit for h, _ in members]
    tidy["group"] = [r["group"] for _, r in members]
    tidy["comparator"] = [r["comparator"] for _, r in members]
    tidy["population"] = analysis.population
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, None, tidy,
                          group_n=ctx.column_counts(analysis))
