"""Response rates and between-arm comparisons of binary endpoints (pharmaverse RSPT01), as results.

Rates: :func:`analyses.binary_summary.summarize_response_rates` (Clopper-Pearson by default, as SAS FREQ
BINOMIAL(EXACT)). Comparisons: :func:`analyses.binary_summary.compare_response_rates` (Newcombe hybrid score
and Miettinen-Nurminen CIs, Fisher exact test, odds ratios; with strata the CMH-weighted difference, CMH test
and the stratum-adjusted logistic odds ratio); R: tern ``estimate_proportion(_diff)``. Data: ``adresp`` from
:mod:`sap.derive` with the non-responder imputed (AVAL_NRI, composite strategy) and observed-case (AVAL_OC)
values. Subject-visits without a value for an imputation are left out of that imputation's rows and recorded
as an :class:`~sap.results.Exclusion` whose reason starts with the imputation's label
(:data:`sap.vocabulary.IMPUTATION_LABELS`), so a shell can footnote each imputation's table. Shells:
:mod:`reports.shells.binary`.
"""
from __future__ import annotations

import pandas as pd

from analyses.binary import difference_ci
from analyses.binary_summary import compare_response_rates, summarize_response_rates
from analyses.results import tidy_frame
from sap import vocabulary as voc
from sap.context import AnalysisContext
from sap.data.contract import record_numbers
from sap.errors import DataError
from sap.results import AnalysisResult, Exclusion, withheld_result
from sap.spec import Analysis

from ._common import TOTAL, concat_tidy, endpoint_visits, pooled_counts, select_frame, visit_label

RESPONSE_COLUMN = {"nri": "AVAL_NRI", "observed_case": "AVAL_OC"}
SUBGROUP_VARIABLES = (("SEX", "Sex"), ("STRAT1", "Stratum"), ("HLAB27", "HLA-B27"), ("AGEGR1", "Age group"))
BLINDED_REASON = "Blinded data: between-arm comparisons are not produced."


def response_records(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    """``adresp`` records of the endpoint's parameter (at the endpoint's visits unless the plan selects data)."""
    recs = select_frame(ctx, analysis)
    visits = endpoint_visits(ctx, analysis)
    if visits and analysis.data is None:
        recs = recs[recs["AVISITN"].isin(visits)]
    return recs


def derive_imputed(recs: pd.DataFrame, imputation: str) -> tuple[pd.DataFrame, Exclusion]:
    """The records with a response under ``imputation`` (0/1 in RESP) and the exclusion of the others."""
    col = RESPONSE_COLUMN[imputation]
    kept = recs[recs[col].notna()].copy()
    kept["RESP"] = kept[col].astype(int)
    reason = f"{voc.IMPUTATION_LABELS[imputation]}: no evaluable response at the visit"
    return kept, Exclusion(reason, len(recs) - len(kept), "subject-visits")


def drop_unobserved_visits(ctx: AnalysisContext, recs: pd.DataFrame, data: pd.DataFrame,
                           imputation: str) -> tuple[pd.DataFrame, list[Exclusion]]:
    """``data`` without the visits at which no analysis subject has an observed response (issue 15: such a visit
    came out as 0/19 vs 0/20, Fisher p 1.000, all imputed); each such visit is an exclusion naming it."""
    if imputation == "observed_case" or recs.empty:
        return data, []
    observed = recs.groupby("AVISITN")["AVAL_OC"].apply(lambda s: s.notna().any())
    empty = [v for v, seen in observed.items() if not seen]
    out = [Exclusion(f"{voc.IMPUTATION_LABELS[imputation]}: {visit_label(ctx, v)} has no observed response in any "
                     f"subject; not analysed (every value would be imputed)", int((data["AVISITN"] == v).sum()),
                     "subject-visits") for v in empty]
    return data[~data["AVISITN"].isin(empty)], out


def _result(analysis: Analysis, rows: pd.DataFrame, ctx: AnalysisContext, **kw) -> AnalysisResult:
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, level=analysis.options.level, group_n=pooled_counts(ctx.column_counts(analysis),
                                                                                      analysis), **kw)


def _reported(exclusion: Exclusion, imputation: str) -> bool:
    """Observed-case exclusions are always reported (also 0); NRI leaves nothing out unless values are missing."""
    return imputation == "observed_case" or exclusion.n > 0


def response_rate(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Responders and proportion with CI per group and visit, for each imputation of the plan; with ``options.total``
    also over every analysis subject (``Total``: the same records, pooled over the groups)."""
    opts = analysis.options
    recs = response_records(ctx, analysis)
    pooled = TOTAL in pooled_counts(ctx.column_counts(analysis), analysis)
    parts, excluded, rates = [], [], None
    for imputation in opts.imputation:
        data, exclusion = derive_imputed(recs, imputation)
        if _reported(exclusion, imputation):
            excluded.append(exclusion)
        data, unobserved = drop_unobserved_visits(ctx, recs, data, imputation)
        excluded += unobserved
        if pooled:
            data = pd.concat([data, data.assign(ARMLABEL=TOTAL)], ignore_index=True)
        tidy = summarize_response_rates(data, response_col="RESP", group_col="ARMLABEL", visit_col="AVISITN",
                                        method=opts.ci_method, level=opts.level, imputation=imputation).tidy()
        parts.append(tidy)
        if rates is None:  # figure data: the groups (the figure is by group)
            prop = tidy[(tidy["statistic"] == "proportion") & (tidy["group"] != TOTAL)]
            rates = prop.assign(visit_label=prop["visit"].map(lambda v: visit_label(ctx, v)))[
                ["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper", "n"]].reset_index(drop=True)
    return _result(analysis, concat_tidy(parts), ctx, excluded=tuple(excluded),
                   records_used=len(recs), frames={"rates": rates} if rates is not None else {})


def _strata_column(data: pd.DataFrame, strata: tuple[str, ...]) -> str | None:
    present = [s for s in strata if s in data.columns]
    if not present:
        return None
    if len(present) == 1:
        return present[0]
    data["_STRATA"] = data[present].astype("string").agg(" / ".join, axis=1)
    return "_STRATA"


def _key_visit(ctx: AnalysisContext, analysis: Analysis, visits) -> float:
    for h in ctx.plan.multiplicity.family:
        if h.analysis == analysis.id and h.visit is not None:
            return float(h.visit)
    return float(max(visits))


def compute_additional_differences(data: pd.DataFrame, group: str, reference: str, imputation: str,
                                   opts) -> pd.DataFrame:
    """Unstratified difference rows by each of ``opts.additional_difference_ci`` per visit with both arms."""
    extra = []
    for method in opts.additional_difference_ci:
        for v, sub in data.groupby("AVISITN"):
            a, b = sub[sub["ARMLABEL"] == group], sub[sub["ARMLABEL"] == reference]
            if len(a) and len(b):
                est, lo, hi = difference_ci(int(a["RESP"].sum()), len(a), int(b["RESP"].sum()), len(b),
                                            method, opts.level)
                extra.append(dict(group=group, comparator=reference, visit=v, statistic="difference",
                                  estimate=est, ci_lower=lo, ci_upper=hi, n=len(a) + len(b), method=method,
                                  label="unstratified", imputation=imputation, level=opts.level))
    return tidy_frame(extra)


def check_strata_complete(ctx: AnalysisContext, analysis: Analysis, recs: pd.DataFrame) -> None:
    """Raise DataError naming adsl.<stratum> and the ADSL rows when a subject of a stratified comparison has no
    stratum: the stratified difference and the CMH test need every subject's stratum (``options.stratified_by``)."""
    subj = ctx.plan.data.subject_variable
    for column in analysis.options.stratified_by:
        if column not in recs.columns:
            continue
        missing = set(recs.loc[recs[column].isna(), subj])
        if missing:
            at = ctx.adsl[subj].isin(missing).to_numpy()
            rows = ", ".join(map(str, record_numbers(ctx.adsl)[at][:5])) + (", ..." if at.sum() > 5 else "")
            phase = f" in phase {analysis.phase}" if analysis.phase else ""
            raise DataError(f"adsl.{column}: analysis {analysis.id} is stratified by {column} "
                            f"(options.stratified_by), which is missing for {len(missing)} subject"
                            f"{'s' if len(missing) > 1 else ''} of population {analysis.population}{phase} "
                            f"(rows {rows})")


def response_comparison(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Each group minus the reference per visit and imputation; subgroup differences at the key visit."""
    opts = analysis.options
    if ctx.blinded:
        return withheld_result(analysis, BLINDED_REASON, group_n=ctx.column_counts(analysis))
    recs = response_records(ctx, analysis)
    check_strata_complete(ctx, analysis, recs)
    reference = ctx.reference_group(analysis.phase)
    groups = [g for g in ctx.group_order(analysis.phase) if g != reference]
    parts, excluded, subgroup_rows = [], [], []
    for imputation in opts.imputation:
        data, exclusion = derive_imputed(recs, imputation)
        if _reported(exclusion, imputation):
            excluded.append(exclusion)
        data, unobserved = drop_unobserved_visits(ctx, recs, data, imputation)
        excluded += unobserved
        strata = _strata_column(data, opts.stratified_by)
        for g in groups:
            if not ((data["ARMLABEL"] == g).any() and (data["ARMLABEL"] == reference).any()):
                continue
            tidy = compare_response_rates(data, response_col="RESP", group_col="ARMLABEL", group=g,
                                          comparator=reference, visit_col="AVISITN", strata_col=strata,
                                          method=opts.difference_ci, level=opts.level, imputation=imputation).tidy()
            parts.append(concat_tidy([tidy, compute_additional_differences(data, g, reference, imputation, opts)]))
            if imputation == opts.imputation[0]:
                subgroup_rows += compute_subgroup_differences(ctx, analysis, data, g, reference)
    frames = {"subgroups": pd.DataFrame(subgroup_rows)} if subgroup_rows else {}
    return _result(analysis, concat_tidy(parts), ctx, reference=reference, excluded=tuple(excluded),
                   records_used=len(recs), frames=frames)


def compute_subgroup_differences(ctx: AnalysisContext, analysis: Analysis, data: pd.DataFrame, group: str,
                                 reference: str) -> list[dict]:
    """Difference (group - reference) with the primary CI at the key visit, overall and per subgroup level."""
    opts = analysis.options
    visit = _key_visit(ctx, analysis, data["AVISITN"].unique())
    at = data[data["AVISITN"] == visit].merge(
        ctx.adsl.drop(columns=[c for c in ("ARMID", "ARMLABEL", "ARMORD", "PHASEID") if c in ctx.adsl]),
        on=ctx.plan.data.subject_variable, how="left", suffixes=("", "_ADSL"))
    out = []

    def add(sub: pd.DataFrame, name: str, level: str):
        a, b = sub[sub["ARMLABEL"] == group], sub[sub["ARMLABEL"] == reference]
        if len(a) == 0 or len(b) == 0:
            return
        est, lo, hi = difference_ci(int(a["RESP"].sum()), len(a), int(b["RESP"].sum()), len(b),
                                    opts.difference_ci, opts.level)
        out.append(dict(subgroup=name, level=level, estimate=est, ci_lower=lo, ci_upper=hi, n=len(a) + len(b),
                        group=group, comparator=reference, visit=visit))

    add(at, "Overall", "All subjects")
    for var, label in SUBGROUP_VARIABLES:
        if var in at.columns:
            for level in sorted(at[var].dropna().astype(str).unique()):
                add(at[at[var].astype(str) == level], label, level)
    return out
