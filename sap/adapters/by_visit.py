"""The generic adapter: a method whose analysis frame is "the endpoint's records by treatment group and visit".

It selects the frame as the method's registry :class:`sap.registry.Selection` says (the plan's ``data:`` block
overrides it), keeps the analysed record (``ANL01FL = "Y"`` when the dataset flags one) at the endpoint's visits,
leaves out records whose analysed value is missing (recorded as an exclusion with its reason) and calls the
entry's ``compute`` function in ``analyses/``::

    compute(frame, *, value, group, visit, groups, reference, options) -> tidy rows

(``value``/``group``/``visit``: column names; ``groups``: display labels in plan order; ``reference``: the
comparator's label or None; ``options``: the parsed options as a dict). A new method of this shape is one
``analyses/`` module, one registry entry (``run="sap.adapters.by_visit:summarize_by_visit"``, ``compute=...``)
and one shell.
"""
from __future__ import annotations

import pandas as pd

from sap.context import AnalysisContext
from sap.registry import method_entry
from sap.results import AnalysisResult, Exclusion
from sap.spec import Analysis

from ._common import analysed_records


def select_visit_records(ctx: AnalysisContext, analysis: Analysis, value: str) -> tuple[pd.DataFrame, int]:
    """(analysed records with a value, number of records left out because the value is missing)."""
    recs = analysed_records(ctx, analysis, baseline=False)
    values = pd.to_numeric(recs[value], errors="coerce") if value in recs.columns else None
    if values is None:
        return recs.iloc[0:0], len(recs)
    return recs[values.notna()].assign(**{value: values[values.notna()]}), int(values.isna().sum())


def summarize_by_visit(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Call the method's ``compute`` function on the endpoint's analysed records by group and visit."""
    entry = method_entry(analysis.method)
    opts = analysis.options
    value = str(getattr(opts, "value", "AVAL"))
    recs, missing = select_visit_records(ctx, analysis, value)
    counts = ctx.column_counts(analysis)
    reference = ctx.reference_group(analysis.phase)
    rows = entry.compute_function()(recs, value=value, group="ARMLABEL", visit="AVISITN", groups=list(counts),
                                    reference=reference, options=opts.model_dump())
    excluded = (Exclusion(f"{value} missing", missing),) if missing else ()
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, level=getattr(opts, "level", None), group_n=counts, reference=reference,
                          records_used=len(recs), excluded=excluded)
