"""Response rates and between-arm comparisons of binary endpoints (pharmaverse RSPT01).

Rates: :func:`analyses.binary_summary.summarize_response_rates` (Clopper-Pearson by default, as SAS FREQ
BINOMIAL(EXACT)). Comparisons: :func:`analyses.binary_summary.compare_response_rates` (Newcombe hybrid score
and Miettinen-Nurminen CIs, Fisher exact test, odds ratios; with strata the CMH-weighted difference, CMH test
and the stratum-adjusted logistic odds ratio). Data: ``adresp`` from :mod:`sap.derive` with the non-responder
imputed (AVAL_NRI, composite strategy) and observed-case (AVAL_OC; non-evaluable visits excluded and counted)
values.
"""
from __future__ import annotations

import pandas as pd

from analyses.binary import difference_ci
from analyses.binary_summary import compare_response_rates, summarize_response_rates
from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.spec import Analysis

from ._common import (concat_tidy, data_footnote, endpoint_parameter, endpoint_visits, fmt_ci, fmt_n_pct, fmt_p,
                      group_header, population_footnote, selected_records, visit_label)

RESPONSE_COLUMN = {"nri": "AVAL_NRI", "observed_case": "AVAL_OC"}
IMPUTATION_LABEL = {"nri": "Non-responder imputation", "observed_case": "Observed cases"}
CI_LABEL = {"clopper_pearson": "Clopper-Pearson exact", "wilson": "Wilson score", "jeffreys": "Jeffreys",
            "wald": "Wald", "newcombe": "Newcombe hybrid score", "miettinen_nurminen": "Miettinen-Nurminen",
            "mee": "Mee", "cmh": "Cochran-Mantel-Haenszel weighted"}
SUBGROUP_VARIABLES = (("SEX", "Sex"), ("STRAT1", "Stratum"), ("HLAB27", "HLA-B27"), ("AGEGR1", "Age group"))


def response_records(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    code = endpoint_parameter(ctx, analysis)
    recs = selected_records(ctx, analysis, "adresp", f"PARAMCD == {code!r}")
    visits = endpoint_visits(ctx, analysis)
    if visits and analysis.data is None:
        recs = recs[recs["AVISITN"].isin(visits)]
    return recs


def _imputed(recs: pd.DataFrame, imputation: str) -> tuple[pd.DataFrame, int]:
    col = RESPONSE_COLUMN[imputation]
    kept = recs[recs[col].notna()].copy()
    kept["RESP"] = kept[col].astype(int)
    return kept, len(recs) - len(kept)


def response_rate(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    ep = ctx.plan.endpoint(analysis.endpoint)
    recs = response_records(ctx, analysis)
    counts = ctx.column_counts(analysis)
    tidy_parts, tables, rates = [], [], None
    for imputation in opts.imputation:
        data, excluded = _imputed(recs, imputation)
        res = summarize_response_rates(data, response_col="RESP", group_col="ARMLABEL", visit_col="AVISITN",
                                       method=opts.ci_method, level=opts.level, imputation=imputation)
        tidy = res.tidy()
        tidy_parts.append(tidy)
        prop = tidy[tidy["statistic"] == "proportion"]
        cnt = tidy[tidy["statistic"] == "count"]
        rows = []
        for v in sorted(data["AVISITN"].unique()):
            row = {"Visit": visit_label(ctx, v)}
            for g in counts:
                p = prop[(prop["visit"] == v) & (prop["group"] == g)]
                c = cnt[(cnt["visit"] == v) & (cnt["group"] == g)]
                if p.empty:
                    row[group_header(g, counts[g])] = ""
                    continue
                x, n = int(c["estimate"].iloc[0]), int(p["n"].iloc[0])
                row[group_header(g, counts[g])] = (f"{x}/{n} ({100 * x / n:.1f}%) "
                                                   f"{fmt_ci(p['ci_lower'].iloc[0] * 100, p['ci_upper'].iloc[0] * 100, 1)}")
            rows.append(row)
        level = int(round(opts.level * 100))
        notes = [f"{IMPUTATION_LABEL[imputation]}. Responders/n (%) and {level}% CI (%) by the "
                 f"{CI_LABEL[opts.ci_method]} method.",
                 f"{ep.label}: {ep.formula}" if ep.formula else ep.label,
                 population_footnote(ctx, analysis)]
        if imputation == "nri":
            notes.append("Missing responses and visits after rescue therapy or discontinuation count as "
                         "non-response (composite strategy).")
        else:
            notes.append(f"Subject-visits without an evaluable response are excluded ({excluded} excluded).")
        notes.append(data_footnote(ctx))
        tables.append(DisplayTable(f"{analysis.title} ({IMPUTATION_LABEL[imputation].lower()})", pd.DataFrame(rows),
                                   footnotes=tuple(notes), stub_columns=("Visit",)))
        if rates is None:
            rates = prop.assign(visit_label=prop["visit"].map(lambda v: visit_label(ctx, v)))[
                ["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper", "n"]].reset_index(drop=True)
    tidy = concat_tidy(tidy_parts)
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy, tables=tables, figure_data={"rates": rates} if rates is not None else {})


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


def response_comparison(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    if ctx.blinded:
        note = "Blinded data: between-arm comparisons are not produced."
        return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                               tidy_frame([]), tables=[DisplayTable(analysis.title, pd.DataFrame({"Note": [note]}))],
                               notes=[note], not_estimable=True)
    ep = ctx.plan.endpoint(analysis.endpoint)
    recs = response_records(ctx, analysis)
    reference = ctx.reference_group(analysis.phase)
    groups = [g for g in ctx.group_order(analysis.phase) if g != reference]
    level = int(round(opts.level * 100))
    tidy_parts, tables, subgroup_rows = [], [], []
    for imputation in opts.imputation:
        data, excluded = _imputed(recs, imputation)
        strata = _strata_column(data, opts.stratified_by)
        rows = []
        for g in groups:
            if not ((data["ARMLABEL"] == g).any() and (data["ARMLABEL"] == reference).any()):
                continue
            res = compare_response_rates(data, response_col="RESP", group_col="ARMLABEL", group=g,
                                         comparator=reference, visit_col="AVISITN", strata_col=strata,
                                         method=opts.difference_ci, level=opts.level, imputation=imputation)
            tidy = res.tidy()
            extra = []
            for method in opts.additional_difference_ci:
                for v, sub in data.groupby("AVISITN"):
                    a, b = sub[sub["ARMLABEL"] == g], sub[sub["ARMLABEL"] == reference]
                    if len(a) and len(b):
                        est, lo, hi = difference_ci(int(a["RESP"].sum()), len(a), int(b["RESP"].sum()), len(b),
                                                    method, opts.level)
                        extra.append(dict(group=g, comparator=reference, visit=v, statistic="difference",
                                          estimate=est, ci_lower=lo, ci_upper=hi, n=len(a) + len(b),
                                          method=method, label="unstratified", imputation=imputation,
                                          level=opts.level))
            tidy = concat_tidy([tidy, tidy_frame(extra)])
            tidy_parts.append(tidy)
            for v in sorted(tidy["visit"].dropna().unique()):
                at = tidy[tidy["visit"] == v]
                d = at[(at["statistic"] == "difference") & (at["label"] == "unstratified")]
                main = d[d["method"] == opts.difference_ci].iloc[0]
                row = {"Visit": visit_label(ctx, v), "Comparison": f"{g} vs {reference}",
                       g: fmt_n_pct(int(main["x_group"]), int(main["n_group"])) + f" / {int(main['n_group'])}",
                       reference: fmt_n_pct(int(main["x_comparator"]), int(main["n_comparator"]))
                       + f" / {int(main['n_comparator'])}",
                       f"Difference, % ({level}% CI {CI_LABEL[opts.difference_ci]})":
                           f"{100 * main['estimate']:.1f} {fmt_ci(100 * main['ci_lower'], 100 * main['ci_upper'], 1)}"}
                for method in opts.additional_difference_ci:
                    e = d[d["method"] == method]
                    if len(e):
                        row[f"{level}% CI {CI_LABEL[method]}"] = fmt_ci(100 * e["ci_lower"].iloc[0],
                                                                         100 * e["ci_upper"].iloc[0], 1)
                strat = at[(at["statistic"] == "difference") & (at["label"] != "unstratified")]
                if len(strat):
                    s = strat.iloc[0]
                    row[f"Stratified difference, % ({CI_LABEL.get(s['method'], s['method'])})"] = (
                        f"{100 * s['estimate']:.1f} {fmt_ci(100 * s['ci_lower'], 100 * s['ci_upper'], 1)}")
                orr = at[at["statistic"] == "odds_ratio"]
                adj = orr[orr["method"] == "logistic_wald"] if (orr["method"] == "logistic_wald").any() else orr
                if len(adj) and opts.odds_ratio:
                    o = adj.iloc[0]
                    row["Odds ratio (95% CI)"] = f"{o['estimate']:.2f} {fmt_ci(o['ci_lower'], o['ci_upper'], 2)}" \
                        if pd.notna(o["estimate"]) else "NE"
                if "fisher" in opts.tests:
                    row["Fisher p"] = fmt_p(at.loc[at["statistic"] == "fisher_test", "p_value"].iloc[0])
                if "cmh" in opts.tests and (at["statistic"] == "chisq_test").any():
                    row["CMH p"] = fmt_p(at.loc[at["statistic"] == "chisq_test", "p_value"].iloc[0])
                rows.append(row)
            if imputation == opts.imputation[0]:
                subgroup_rows += _subgroups(ctx, analysis, data, g, reference, opts)
        notes = [f"{IMPUTATION_LABEL[imputation]}. Difference = {', '.join(groups)} minus {reference}.",
                 f"Primary CI: {CI_LABEL[opts.difference_ci]} (Newcombe 1998 method 10 / Miettinen & Nurminen 1985)."]
        if opts.stratified_by:
            notes.append(f"Stratified analyses by {', '.join(opts.stratified_by)}: CMH-weighted difference, "
                         "CMH test (statsmodels StratifiedTable) and logistic regression adjusted for strata.")
        notes += ["Fisher exact test two-sided (scipy).", population_footnote(ctx, analysis)]
        if imputation == "observed_case":
            notes.append(f"Subject-visits without an evaluable response excluded ({excluded}).")
        notes.append(data_footnote(ctx))
        stub = ("Visit", "Comparison")
        tables.append(DisplayTable(f"{analysis.title} ({IMPUTATION_LABEL[imputation].lower()})",
                                   pd.DataFrame(rows), footnotes=tuple(notes), stub_columns=stub,
                                   group_column="Visit"))
    tidy = concat_tidy(tidy_parts)
    fig = {"subgroups": pd.DataFrame(subgroup_rows)} if subgroup_rows else {}
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy, tables=tables, figure_data=fig)


def _subgroups(ctx, analysis, data, group, reference, opts) -> list[dict]:
    """Difference (group - reference) with the primary CI at the key visit, overall and per subgroup level."""
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
