"""Table shells of the mixed-model family (pharmaverse MMRMT01 / AOVT01): MMRM LS means by visit and arm with
differences versus the reference arm, and the single-visit ANCOVA table.

Reads the rows of :mod:`sap.adapters.mixed` (statistics ``lsmean``, ``lsmean_difference`` and, for the ANCOVA
dose-response test, ``f_test``) and, for the MMRM, ``extra`` (covariance requested and used, fallback history, df
method, REML, optimizer, ``grouped``, ``population_n``). Interval headers are written from ``result.level``;
the model statement from the analysis' parsed options; every number goes through :mod:`reports.format`.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import ci_header, fmt_ci, fmt_estimate_ci, fmt_int, fmt_num, fmt_p
from reports.shells.common import ShellContext, footnotes, group_header
from sap.vocabulary import COVARIANCE_LABELS, DF_LABELS, VALUE_LABELS

POOLED = "All subjects"
ENGINE = "Engine: sap analyses.mmrm (validated against SAS PROC MIXED)."


def _mean_se(r) -> str:
    return f"{fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)})"


def _lsmean_headers(result, lsm: pd.DataFrame) -> dict:
    """Group (None when pooled) -> column header, in display order, for the groups with LS means."""
    if not result.extra.get("grouped", True):
        return {None: group_header(POOLED, result.extra.get("population_n"))}
    present = set(lsm["group"].dropna())
    return {g: group_header(g, n) for g, n in result.group_n.items() if g in present}


def render_mmrm_frame(result) -> pd.DataFrame:
    """One row per visit: 'n=..: LS mean (SE)' per arm, then each difference with its CI and p-value."""
    rows, ci = result.rows, ci_header(result.level)
    lsm = rows[rows["statistic"] == "lsmean"]
    dif = rows[rows["statistic"] == "lsmean_difference"]
    heads = _lsmean_headers(result, lsm)
    records = []
    for v in sorted(lsm["visit"].unique()):
        rec = {"Visit": v}
        at = lsm[lsm["visit"] == v]
        for g, head in heads.items():
            r = at[at["group"] == g] if g is not None else at
            if len(r):
                rec[head] = f"n={fmt_int(r.iloc[0]['n'])}: {_mean_se(r.iloc[0])}"
        for _, d in dif[dif["visit"] == v].iterrows():
            rec[f"{d['group']} - {d['comparator']}: difference ({ci})"] = fmt_estimate_ci(
                d["estimate"], d["ci_lower"], d["ci_upper"], 2)
            rec[f"{d['group']} - {d['comparator']}: p"] = fmt_p(d["p_value"])
        records.append(rec)
    return pd.DataFrame(records)


def _covariance_note(extra) -> str:
    used, requested = extra.get("covariance_used"), extra.get("covariance_requested")
    note = f"{COVARIANCE_LABELS.get(used, used)} covariance"
    if used != requested:
        tried = ", ".join(f"{COVARIANCE_LABELS.get(h['covariance'], h['covariance'])} "
                          f"({'converged' if h['converged'] else 'not converged'})"
                          for h in extra.get("fallback_history", ()))
        note += (f" (fallback: the prespecified {COVARIANCE_LABELS.get(requested, requested)} structure did not "
                 f"converge; tried in turn: {tried})")
    return note


def render_mmrm_notes(result, sc: ShellContext) -> list[str]:
    """Method footnotes: what is shown, the model statement with the fitted covariance, missing data, convergence."""
    opts, ep, extra = sc.options(result), sc.endpoint(result), result.extra
    terms = "arm + visit + arm x visit" if extra.get("grouped", True) else "visit"
    model = (f"{opts.value} = {terms}" + "".join(f" + {c}" for c in opts.covariates)
             + "".join(f" + {c} + {c} x visit" for c in opts.visit_covariates))
    df = extra.get("df_method", opts.df)
    return [f"{ep.label}: LS mean (SE) of {VALUE_LABELS.get(opts.value, opts.value)}.",
            f"MMRM: {model}; {_covariance_note(extra)}; {'REML' if extra.get('reml', opts.reml) else 'ML'}; "
            f"{DF_LABELS.get(df, df)} degrees of freedom; LS means with equal weights over categorical covariates "
            f"and continuous covariates at their mean. {ENGINE}",
            "Missing data: all observed post-baseline values used; valid under missing at random.",
            f"Converged: {'yes' if result.converged else 'no'}; optimizer {extra.get('optimizer')}."]


def mmrm_table(result, sc: ShellContext) -> list[DisplayTable]:
    """The MMRM table: visits as rows (labels from the plan's schedule), arms and differences as columns."""
    frame = render_mmrm_frame(result)
    frame["Visit"] = frame["Visit"].map(sc.visit_label)
    return [DisplayTable(result.title, frame, footnotes=footnotes(result, sc, *render_mmrm_notes(result, sc)),
                         stub_columns=("Visit",))]


def render_ancova_frame(result) -> pd.DataFrame:
    """One row per arm: n, LS mean (SE), difference (SE) (CI) versus the reference arm and its p-value."""
    rows = result.rows
    diff_head = f"Difference vs {result.reference} ({ci_header(result.level)})"
    diffs = {r["group"]: r for _, r in rows[rows["statistic"] == "lsmean_difference"].iterrows()}
    records = []
    for _, r in rows[rows["statistic"] == "lsmean"].iterrows():
        d = diffs.get(r["group"])
        records.append({"Group": group_header(r["group"], result.group_n.get(r["group"], 0)), "n": fmt_int(r["n"]),
                        "LS mean (SE)": _mean_se(r),
                        diff_head: "" if d is None else f"{_mean_se(d)} {fmt_ci(d['ci_lower'], d['ci_upper'], 2)}",
                        "p-value": "" if d is None else fmt_p(d["p_value"])})
    return pd.DataFrame(records)


def render_ancova_notes(result, sc: ShellContext) -> list[str]:
    opts = sc.options(result)
    covs = " + ".join(opts.covariates) if opts.covariates else "(no covariates)"
    notes = [f"ANCOVA: {opts.value} = treatment + {covs}; OLS (statsmodels); LS means with equal weights over "
             "categorical covariates, continuous covariates at their mean; difference shown as estimate (SE) and CI."]
    dose = result.rows[result.rows["statistic"] == "f_test"]
    if len(dose):
        notes.append(f"Linear dose-response test ({opts.dose_response_variable} as a continuous covariate in place "
                     f"of treatment): p = {fmt_p(dose['p_value'].iloc[0])}.")
    return notes


def ancova_table(result, sc: ShellContext) -> list[DisplayTable]:
    """The ANCOVA table: arms as rows."""
    return [DisplayTable(result.title, render_ancova_frame(result),
                         footnotes=footnotes(result, sc, *render_ancova_notes(result, sc)), stub_columns=("Group",))]
