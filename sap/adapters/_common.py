"""Helpers shared by the adapters: analysis-data selection (the method table's Selection, the plan's data block and
filter), endpoint look-ups and tidy-row concatenation. Display formatting lives in ``reports/`` only."""
from __future__ import annotations

from typing import Optional

import pandas as pd

from analyses.results import tidy_frame
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.expressions import FilterColumnError, FilterSyntaxError, evaluate_filter, parse_filter
from sap.registry import method_entry
from sap.spec import Analysis


#: label of the pooled column (every analysis subject over the groups) of ``options.total``
TOTAL = "Total"


def pooled_counts(counts: dict[str, int], analysis: Analysis) -> dict[str, int]:
    """Population N per column: the groups, then ``Total`` (their sum) when the analysis' ``options.total`` asks."""
    if not getattr(analysis.options, "total", False):
        return dict(counts)
    if TOTAL in counts:
        raise UserInputError(f"analyses[{analysis.id}].options.total: a treatment group is already labelled {TOTAL!r}")
    return {**counts, TOTAL: sum(counts.values())}


def visit_label(ctx: AnalysisContext, avisitn) -> str:
    return ctx.plan.visit_label(float(avisitn))


def endpoint_parameter(ctx: AnalysisContext, analysis: Analysis) -> str:
    if analysis.endpoint is None:
        raise UserInputError(f"analysis {analysis.id}: needs an endpoint")
    ep = ctx.plan.endpoint(analysis.endpoint)
    return ep.parameter or ep.id


def endpoint_visits(ctx: AnalysisContext, analysis: Analysis) -> tuple[float, ...]:
    if analysis.endpoint is None:
        return ()
    return tuple(ctx.plan.endpoint(analysis.endpoint).visits)


def selected_records(ctx: AnalysisContext, analysis: Analysis, default_dataset: str,
                     default_where: Optional[str] = None) -> pd.DataFrame:
    """Records of the analysis dataset (plan ``data`` selection or the default), limited to the analysis subjects
    and carrying ARMID/ARMLABEL/ARMORD/PHASEID."""
    sel = analysis.data
    name = (sel.dataset if sel else default_dataset).lower()
    frame = ctx.derived.get(name)
    if frame is None:
        frame = ctx.datasets.get(name)
    if frame is None:
        raise UserInputError(f"analysis {analysis.id}: dataset {name} is not available "
                             f"(loaded: {', '.join(sorted(ctx.datasets))})")
    where = sel.where if (sel and sel.where) else default_where
    if where:
        frame = _filtered(frame, where, analysis, name)
    subjects = ctx.analysis_subjects(analysis)
    return ctx.attach_groups(frame, subjects)


def select_frame(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    """The analysis frame as the method table's :class:`sap.registry.Selection` says: its default dataset and
    parameter (the plan's ``data:`` block overrides both), limited to the analysis subjects, with their groups."""
    sel = method_entry(analysis.method).selection
    where = None
    if sel.parameter is not None:
        code = endpoint_parameter(ctx, analysis) if sel.parameter == "endpoint" else getattr(analysis.options,
                                                                                            sel.parameter)
        where = f"PARAMCD == {code!r}"
    return selected_records(ctx, analysis, sel.dataset, where)


def analysed_records(ctx: AnalysisContext, analysis: Analysis, *, baseline: bool) -> pd.DataFrame:
    """The analysed records (the plan's ``data.analysis_flag``, ANL01FL by default, = Y when the dataset has the flag) of
    :func:`select_frame`, at the endpoint's
    visits (and baseline, AVISITN 0, when ``baseline``) if the method's selection says so and the plan's ``data``
    block does not choose the records itself."""
    recs = select_frame(ctx, analysis)
    flag = ctx.plan.data.analysis_flag
    if flag is not None and flag in recs.columns:
        recs = recs[recs[flag].astype("string").str.strip().str.upper() == "Y"]
    visits = endpoint_visits(ctx, analysis)
    if visits and analysis.data is None and method_entry(analysis.method).selection.endpoint_visits:
        recs = recs[recs["AVISITN"].isin(((0.0,) if baseline else ()) + tuple(visits))]
    return recs


def _filtered(frame: pd.DataFrame, where: str, analysis: Analysis, name: str) -> pd.DataFrame:
    """Rows of ``frame`` selected by the plan filter ``where`` (the safe language of sap.expressions)."""
    try:
        mask = evaluate_filter(parse_filter(where), frame, name)
    except FilterColumnError as exc:
        raise UserInputError(f"analysis {analysis.id}: data.where {where!r}: dataset {name} has no column "
                             f"{exc.column!r}") from None
    except (FilterSyntaxError, TypeError) as exc:  # e.g. a text column compared with a number
        raise UserInputError(f"analysis {analysis.id}: data.where {where!r} failed on {name}: {exc}") from None
    return frame[mask.to_numpy()]


def concat_tidy(parts) -> pd.DataFrame:
    """Concatenate tidy frames, skipping empty ones (an empty list gives an empty tidy frame)."""
    parts = [p.dropna(axis=1, how="all") if len(p) else p for p in parts if p is not None and len(p)]
    if not parts:
        return tidy_frame([])
    out = pd.concat(parts, ignore_index=True)
    return tidy_frame(out.to_dict("records"))
