"""Helpers shared by the adapters: display formatting, group headers and analysis-data selection."""
from __future__ import annotations

import math
from typing import Iterable, Optional

import numpy as np
import pandas as pd

from analyses.results import tidy_frame
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.registry import method_entry
from sap.expressions import FilterColumnError, FilterSyntaxError, evaluate_filter, parse_filter
from sap.spec import Analysis


def fmt_num(value, digits: int = 1) -> str:
    """Fixed-decimal text; empty for missing."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return ""
    return f"{float(value):.{digits}f}"


def fmt_n_pct(n: int, denom: int, digits: int = 1) -> str:
    """'n (x.x%)' with the percentage of ``denom``; '0' when n is 0; 'n' when denom is 0."""
    if n == 0:
        return "0"
    if not denom:
        return f"{n}"
    return f"{n} ({100.0 * n / denom:.{digits}f}%)"


def fmt_ci(lower, upper, digits: int = 3) -> str:
    """'(lower, upper)'; a limit that is not estimable (missing) prints as NE."""
    def one(v):
        return "NE" if v is None or pd.isna(v) else f"{float(v):.{digits}f}"
    return f"({one(lower)}, {one(upper)})"


def fmt_p(p) -> str:
    if p is None or pd.isna(p):
        return ""
    p = float(p)
    return "<0.001" if p < 0.001 else f"{p:.3f}"


def group_header(label: str, n: int) -> str:
    return f"{label} (N={n})"


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


def group_levels(ctx: AnalysisContext, analysis: Analysis) -> list[str]:
    return ctx.group_order(analysis.phase)


def population_footnote(ctx: AnalysisContext, analysis: Analysis) -> str:
    pop = ctx.plan.population(analysis.population)
    phase = f"; {ctx.plan.design.phase(analysis.phase).label}" if analysis.phase else ""
    return f"Population: {pop.label} ({pop.definition.rstrip('.')}){phase}. N = number of subjects in the population."


def data_footnote(ctx: AnalysisContext) -> str:
    return f"Data source: {ctx.data_source}." if ctx.data_source else ""


def describe(values: Iterable[float]) -> dict[str, float]:
    """n, mean, SD (n-1), median, min, max of the non-missing values."""
    arr = np.asarray([v for v in values if v is not None and not pd.isna(v)], dtype=float)
    n = arr.size
    if n == 0:
        return {"n": 0, "mean": np.nan, "sd": np.nan, "se": np.nan, "median": np.nan, "min": np.nan, "max": np.nan}
    sd = float(np.std(arr, ddof=1)) if n > 1 else np.nan
    return {"n": n, "mean": float(arr.mean()), "sd": sd, "se": sd / math.sqrt(n) if n > 1 else np.nan,
            "median": float(np.median(arr)), "min": float(arr.min()), "max": float(arr.max())}


def concat_tidy(parts) -> pd.DataFrame:
    """Concatenate tidy frames, skipping empty ones (an empty list gives an empty tidy frame)."""
    parts = [p.dropna(axis=1, how="all") if len(p) else p for p in parts if p is not None and len(p)]
    if not parts:
        return tidy_frame([])
    out = pd.concat(parts, ignore_index=True)
    return tidy_frame(out.to_dict("records"))
