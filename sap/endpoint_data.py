"""Analyses of what is there: an endpoint whose data are absent is an error, or "no data" where the plan allows it.

Issue 15: with no TNF-alpha records at all, the MMRM said "fewer than 3 subjects with post-baseline values", which
reads as a small-sample problem. :func:`find_absent_endpoints` lists the endpoints that analyses use and whose
parameter has no value in the derived datasets (ADEFF for scores and raw parameters, ADRESP for responses).
:func:`check_endpoint_data` raises one UserInputError (exit 2) naming every absent endpoint the plan marks
required (``optional: false``, the default); an absent optional endpoint's analyses get a "no data" result
(:func:`no_data_result`), whose footnote says so. Plans on other ADaM datasets (no derived ADEFF) choose their
records with ``data:`` blocks and are not checked here. Hand-written.
"""
from __future__ import annotations

from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.results import not_estimable_result

#: the derived dataset and value column an endpoint type is analysed from
SOURCES = {"continuous": ("adeff", "AVAL"), "binary": ("adresp", "AVAL_OC")}


def find_absent_endpoints(ctx: AnalysisContext) -> dict[str, str]:
    """Endpoint id -> reason, for endpoints used by an analysis without ``data:`` whose parameter has no value."""
    used = {a.endpoint for a in ctx.plan.analyses if a.endpoint and a.data is None}
    out = {}
    for ep in ctx.plan.endpoints:
        source = SOURCES.get(ep.type)
        if ep.id not in used or source is None or not ep.parameter or source[0] not in ctx.derived:
            continue
        frame, column = ctx.derived[source[0]], source[1]
        present = frame.loc[frame["PARAMCD"] == ep.parameter, column].notna().any() if len(frame) else False
        if not present:
            where = "ADQS/ADLB" if source[0] == "adeff" else "the response components in ADQS/ADLB"
            out[ep.id] = f"no values of parameter {ep.parameter} in {where} (derived {source[0].upper()})"
    return out


def check_endpoint_data(ctx: AnalysisContext) -> dict[str, str]:
    """The absent optional endpoints (id -> reason); raise UserInputError for absent required ones."""
    absent = find_absent_endpoints(ctx)
    required = [f"endpoints[{e}]: {why}; the plan marks it required (set optional: true to report 'no data')"
                for e, why in absent.items() if not ctx.plan.endpoint(e).optional]
    if required:
        raise UserInputError("endpoint data absent: " + "; ".join(required))
    return absent


def no_data_result(ctx: AnalysisContext, analysis, reason: str):
    """The "no data" result of an analysis of an absent optional endpoint."""
    return not_estimable_result(analysis, f"no data: {reason} (optional endpoint {analysis.endpoint})",
                                group_n=ctx.column_counts(analysis))
