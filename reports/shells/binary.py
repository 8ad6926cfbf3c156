"""Table shells of binary endpoints: response rates and between-arm comparisons (pharmaverse RSPT01 layout).

One table per imputation of the plan (non-responder imputation, observed cases), rows by visit. Cells:
responders ``x/n (x.x%)`` of the subjects evaluated (:func:`reports.format.fmt_x_of_n_pct`), proportions and differences in
percent with their interval ``(lower, upper)``; CI headers and footnotes are written from ``result.level``.
Results come from :mod:`sap.adapters.binary`; exclusions are matched to their imputation's table by the
imputation label their reason starts with.
"""
from __future__ import annotations

from dataclasses import replace

import pandas as pd

from reports.display import DisplayTable
from reports.format import ci_header, fmt_ci, fmt_estimate_ci, fmt_p, fmt_x_of_n_pct, level_percent
from reports.shells.common import ShellContext, footnotes, group_headers
from sap.vocabulary import CI_LABELS, IMPUTATION_LABELS

#: the publication each difference method follows (footnote of the comparison table)
DIFFERENCE_REFERENCES = {"newcombe": "Newcombe 1998, method 10", "miettinen_nurminen": "Miettinen & Nurminen 1985",
                         "mee": "Mee 1984", "wald": "simple asymptotic, Newcombe 1998 method 1"}
NRI_NOTE = ("Missing responses and visits after rescue therapy or discontinuation count as non-response "
            "(composite strategy).")


def render_responders(x, n) -> str:
    """Responders of the subjects evaluated: 'x/n (x.x%)'."""
    return fmt_x_of_n_pct(x, n)


def _imputation_rows(result, imputation: str) -> pd.DataFrame:
    rows = result.rows
    if "imputation" not in rows.columns:
        return rows.iloc[0:0]
    return rows[rows["imputation"] == imputation]


def _imputation_footnotes(result, sc: ShellContext, imputation: str, *method_notes: str) -> tuple[str, ...]:
    """Footnotes of one imputation's table: only the exclusions of that imputation."""
    label = IMPUTATION_LABELS[imputation]
    own = tuple(e for e in result.excluded if e.reason.startswith(label))
    return footnotes(replace(result, excluded=own), sc, *method_notes)


def _table_title(result, imputation: str) -> str:
    return f"{result.title} ({IMPUTATION_LABELS[imputation].lower()})"


def _method(rows: pd.DataFrame, statistic: str, default: str) -> str:
    """The CI method recorded on the result rows of ``statistic`` (the plan's option when none is recorded)."""
    if "method" not in rows.columns:
        return default
    found = rows.loc[rows["statistic"] == statistic, "method"].dropna()
    return str(found.iloc[0]) if len(found) else default


# --------------------------------------------------------------------------- response rates
def _rate_cell(rows: pd.DataFrame, visit, group) -> str:
    at = rows[(rows["visit"] == visit) & (rows["group"] == group)]
    prop, count = at[at["statistic"] == "proportion"], at[at["statistic"] == "count"]
    if prop.empty or count.empty:
        return ""
    p = prop.iloc[0]
    ci = fmt_ci(100 * p["ci_lower"], 100 * p["ci_upper"], 1)
    return f"{render_responders(count['estimate'].iloc[0], p['n'])} {ci}"


def render_rate_frame(result, rows: pd.DataFrame, sc: ShellContext) -> pd.DataFrame:
    """Visit x group cells of one imputation's response rates."""
    heads = group_headers(result)
    out = []
    for v in sorted(rows["visit"].dropna().unique()):
        out.append({"Visit": sc.visit_label(v), **{heads[g]: _rate_cell(rows, v, g) for g in heads}})
    return pd.DataFrame(out)


def rate_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Response rate tables, one per imputation: responders n (%) / evaluated and the CI by visit and group."""
    opts = sc.options(result)
    ep = sc.endpoint(result)
    tables = []
    for imputation in opts.imputation:
        rows = _imputation_rows(result, imputation)
        method = _method(rows, "proportion", opts.ci_method)
        notes = [f"{IMPUTATION_LABELS[imputation]}. Responders/n (%) of the subjects evaluated at the visit, and "
                 f"{ci_header(result.level)} (%) by the {CI_LABELS.get(method, method)} method.",
                 f"{ep.label}: {ep.formula}" if ep.formula else ep.label]
        if imputation == "nri":
            notes.append(NRI_NOTE)
        tables.append(DisplayTable(_table_title(result, imputation), render_rate_frame(result, rows, sc),
                                   footnotes=_imputation_footnotes(result, sc, imputation, *notes),
                                   stub_columns=("Visit",)))
    return tables


# --------------------------------------------------------------------------- comparisons
def _comparison_cells(at: pd.DataFrame, opts, level: float) -> dict[str, str]:
    """Difference (primary and additional CIs), stratified difference, odds ratio and p-value cells."""
    head = ci_header(level)
    d = at[(at["statistic"] == "difference") & (at["label"] == "unstratified")]
    main = d[d["method"] == opts.difference_ci].iloc[0]
    cells = {f"Difference, % ({head} {CI_LABELS[opts.difference_ci]})":
             fmt_estimate_ci(main["estimate"], main["ci_lower"], main["ci_upper"], digits=1, scale=100)}
    for method in opts.additional_difference_ci:
        e = d[d["method"] == method]
        if len(e):
            cells[f"{head} {CI_LABELS[method]}"] = fmt_ci(100 * e["ci_lower"].iloc[0], 100 * e["ci_upper"].iloc[0], 1)
    strat = at[(at["statistic"] == "difference") & (at["label"] != "unstratified")]
    if len(strat):
        s = strat.iloc[0]
        cells[f"Stratified difference, % ({CI_LABELS.get(s['method'], s['method'])})"] = fmt_estimate_ci(
            s["estimate"], s["ci_lower"], s["ci_upper"], digits=1, scale=100)
    orr = at[at["statistic"] == "odds_ratio"]
    adjusted = orr[orr["method"] == "logistic_wald"]
    orr = adjusted if len(adjusted) else orr
    if len(orr) and opts.odds_ratio:
        o = orr.iloc[0]
        cells[f"Odds ratio ({head})"] = (fmt_estimate_ci(o["estimate"], o["ci_lower"], o["ci_upper"], digits=2)
                                         if pd.notna(o["estimate"]) else "NE")
    if "fisher" in opts.tests:
        cells["Fisher p"] = fmt_p(at.loc[at["statistic"] == "fisher_test", "p_value"].iloc[0])
    if "cmh" in opts.tests and (at["statistic"] == "chisq_test").any():
        cells["CMH p"] = fmt_p(at.loc[at["statistic"] == "chisq_test", "p_value"].iloc[0])
    return cells


def render_comparison_frame(result, rows: pd.DataFrame, sc: ShellContext) -> pd.DataFrame:
    """One row per group and visit: responders per arm, then the comparison cells."""
    opts, ref = sc.options(result), result.reference
    out = []
    for g in pd.unique(rows["group"].dropna()):
        mine = rows[rows["group"] == g]
        for v in sorted(mine["visit"].dropna().unique()):
            at = mine[mine["visit"] == v]
            main = at[(at["statistic"] == "difference") & (at["label"] == "unstratified")
                      & (at["method"] == opts.difference_ci)].iloc[0]
            out.append({"Visit": sc.visit_label(v), "Comparison": f"{g} vs {ref}",
                        g: render_responders(main["x_group"], main["n_group"]),
                        ref: render_responders(main["x_comparator"], main["n_comparator"]),
                        **_comparison_cells(at, opts, result.level)})
    return pd.DataFrame(out)


def _comparison_notes(result, sc: ShellContext, imputation: str) -> list[str]:
    opts = sc.options(result)
    groups = [g for g in result.group_n if g != result.reference]
    method = opts.difference_ci
    notes = [f"{IMPUTATION_LABELS[imputation]}. Difference = {', '.join(groups)} minus {result.reference}; "
             f"{level_percent(result.level)}% confidence intervals.",
             f"Primary CI: {CI_LABELS[method]} ({DIFFERENCE_REFERENCES[method]})."]
    if opts.stratified_by:
        notes.append(f"Stratified analyses by {', '.join(opts.stratified_by)}: CMH-weighted difference, "
                     "CMH test (statsmodels StratifiedTable) and logistic regression adjusted for strata.")
    if "fisher" in opts.tests:
        notes.append("Fisher exact test two-sided (scipy).")
    return notes


def comparison_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Between-arm comparison tables, one per imputation: each group minus the reference by visit."""
    tables = []
    for imputation in sc.options(result).imputation:
        rows = _imputation_rows(result, imputation)
        frame = render_comparison_frame(result, rows, sc) if len(rows) else pd.DataFrame()
        tables.append(DisplayTable(_table_title(result, imputation), frame,
                                   footnotes=_imputation_footnotes(result, sc, imputation,
                                                                   *_comparison_notes(result, sc, imputation)),
                                   stub_columns=("Visit", "Comparison"), group_column="Visit"))
    return tables
