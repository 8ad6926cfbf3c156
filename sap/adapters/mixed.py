"""Mixed model for repeated measures and single-visit ANCOVA (pharmaverse MMRMT01 / AOVT01).

MMRM: :func:`analyses.mmrm.fit_mmrm` (hand-written engine validated against SAS PROC MIXED) with the plan's
model: change ~ arm x visit + covariates + visit covariates x visit (baseline x visit by default), the plan's
covariance structure (fallback chain recorded), REML and Kenward-Roger df by default; LS means per arm and
visit with equal weights over categorical covariates, differences versus the reference arm.
"""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.spec import Analysis

from ._common import data_footnote, fmt_ci, fmt_num, fmt_p, group_header, population_footnote, visit_label
from .continuous import endpoint_records

DF_LABEL = {"kenward_roger": "Kenward-Roger", "kenward_roger_linear": "Kenward-Roger (linear)",
            "satterthwaite": "Satterthwaite", "residual": "residual"}
COV_LABEL = {"us": "unstructured", "toep": "Toeplitz", "toeph": "heterogeneous Toeplitz", "ar1": "AR(1)",
             "ar1h": "heterogeneous AR(1)", "cs": "compound symmetry", "csh": "heterogeneous compound symmetry"}


def _not_estimable(analysis: Analysis, why: str) -> AnalysisOutcome:
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame([]), tables=[DisplayTable(analysis.title, pd.DataFrame({"Note": [why]}))],
                           notes=[why], not_estimable=True)


def _model_data(ctx: AnalysisContext, analysis: Analysis, value: str, covariates, visits):
    subj = ctx.plan.data.subject_variable
    recs = endpoint_records(ctx, analysis)
    recs = recs[recs["AVISITN"] > 0]
    if visits:
        recs = recs[recs["AVISITN"].isin(visits)]
    need = [c for c in covariates if c not in recs.columns]
    if need:
        recs = recs.merge(ctx.adsl[[subj] + [c for c in need if c in ctx.adsl.columns]], on=subj, how="left")
    cols = [value] + list(covariates)
    missing = [c for c in cols if c not in recs.columns]
    if missing:
        return None, recs, f"columns {missing} are not available"
    complete = recs[cols].notna().all(axis=1)
    return recs[complete].copy(), recs, int((~complete).sum())


def mmrm(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    from analyses.mmrm import fit_mmrm

    opts = analysis.parsed_options()
    subj = ctx.plan.data.subject_variable
    ep = ctx.plan.endpoint(analysis.endpoint)
    covs = tuple(opts.covariates) + tuple(opts.visit_covariates)
    visits = opts.visits or ep.visits
    data, recs, excluded = _model_data(ctx, analysis, opts.value, covs, visits)
    if data is None:
        return _not_estimable(analysis, f"MMRM not estimable: {excluded}.")
    counts = ctx.column_counts(analysis)
    groups = [g for g in counts if (data["ARMLABEL"] == g).any()]
    reference = ctx.reference_group(analysis.phase)
    use_group = len(groups) > 1 and not ctx.blinded
    if data[subj].nunique() < 3 or data["AVISITN"].nunique() < 1:
        return _not_estimable(analysis, "MMRM not estimable: fewer than 3 subjects with post-baseline data.")
    for c in opts.covariates:  # categorical covariates as strings
        if not pd.api.types.is_numeric_dtype(data[c]):
            data[c] = data[c].astype(str)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = fit_mmrm(data, response=opts.value, subject=subj, visit="AVISITN",
                           group="ARMLABEL" if use_group else None, covariates=opts.covariates,
                           visit_covariates=opts.visit_covariates, covariance=opts.covariance, reml=opts.reml,
                           df=opts.df, reference=reference if (use_group and reference in groups) else None,
                           group_levels=groups if use_group else None,
                           visit_levels=sorted(data["AVISITN"].unique()), fallback=opts.fallback_covariance,
                           level=opts.level)
    except (ValueError, np.linalg.LinAlgError) as exc:
        return _not_estimable(analysis, f"MMRM not estimable: {exc}")
    warn_text = sorted({str(w.message) for w in caught})
    tidy = fit.tidy(weights="equal", reference=reference if use_group and reference in groups else None)
    tidy["value"] = opts.value
    lsm = tidy[tidy["statistic"] == "lsmean"]
    dif = tidy[tidy["statistic"] == "lsmean_difference"]
    rows = []
    level = int(round(opts.level * 100))
    for v in sorted(lsm["visit"].unique()):
        row = {"Visit": visit_label(ctx, v)}
        for g in (groups if use_group else [None]):
            r = lsm[(lsm["visit"] == v) & ((lsm["group"] == g) if g is not None else True)]
            name = g if g is not None else "All subjects"
            header = group_header(name, counts.get(name, len(ctx.analysis_subjects(analysis))))
            if len(r):
                r = r.iloc[0]
                row[header] = f"n={int(r['n'])}: {fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)})"
        for _, d in dif[dif["visit"] == v].iterrows():
            row[f"{d['group']} - {d['comparator']}: difference ({level}% CI)"] = (
                f"{fmt_num(d['estimate'], 2)} {fmt_ci(d['ci_lower'], d['ci_upper'], 2)}")
            row[f"{d['group']} - {d['comparator']}: p"] = fmt_p(d["p_value"])
        rows.append(row)
    cov_note = f"{COV_LABEL.get(fit.covariance_used, fit.covariance_used)} covariance"
    if fit.covariance_used != fit.covariance_requested:
        cov_note += (f" (fallback: the prespecified {COV_LABEL.get(fit.covariance_requested)} structure did not "
                     f"converge; history {fit.fallback_history})")
    model = (f"{opts.value} = {'arm + visit + arm x visit' if use_group else 'visit'}"
             + "".join(f" + {c}" for c in opts.covariates)
             + "".join(f" + {c} + {c} x visit" for c in opts.visit_covariates))
    footnotes = [f"{ep.label}: LS mean (SE) of {'change from baseline' if opts.value == 'CHG' else opts.value}.",
                 f"MMRM: {model}; {cov_note}; {'REML' if opts.reml else 'ML'}; {DF_LABEL[opts.df]} degrees of "
                 f"freedom; LS means with equal weights over categorical covariates and continuous covariates at "
                 f"their mean. Engine: sap analyses.mmrm (validated against SAS PROC MIXED).",
                 f"Missing data: all observed post-baseline values used; valid under missing at random. "
                 f"{excluded} subject-visit records excluded for a missing value or covariate.",
                 f"Converged: {'yes' if fit.converged else 'NO - interpret with caution'}; optimizer {fit.optimizer}.",
                 population_footnote(ctx, analysis), data_footnote(ctx)]
    footnotes += [f"Warning: {w}" for w in warn_text]
    table = DisplayTable(analysis.title, pd.DataFrame(rows), footnotes=tuple(footnotes), stub_columns=("Visit",))
    fig_rows = lsm.assign(group=lsm["group"].fillna("All subjects"),
                          visit_label=lsm["visit"].map(lambda v: visit_label(ctx, v)))
    figure = {"lsmeans": fig_rows[["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper"]]
              .reset_index(drop=True)}
    outcome = AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                              tidy, tables=[table], figure_data=figure, notes=warn_text)
    if not fit.converged:
        outcome.notes.append("MMRM did not converge")
    return outcome


def ancova(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    """Single-visit ANCOVA (:func:`analyses.ancova.fit_ancova`, statsmodels OLS; SAS PROC GLM with LSMEANS)."""
    from analyses.ancova import fit_ancova

    opts = analysis.parsed_options()
    subj = ctx.plan.data.subject_variable
    recs = endpoint_records(ctx, analysis)
    if opts.visit is not None and "AVISITN" in recs.columns:
        recs = recs[recs["AVISITN"] == opts.visit]
    covs = list(opts.covariates)
    extra = [c for c in covs + ([opts.dose_response_variable] if opts.dose_response_variable else [])
             if c not in recs.columns and c in ctx.adsl.columns]
    if extra:
        recs = recs.merge(ctx.adsl[[subj] + extra], on=subj, how="left")
    cols = [opts.value] + covs + ([opts.dose_response_variable] if opts.dose_response_variable else [])
    absent = [c for c in cols if c not in recs.columns]
    if absent:
        return _not_estimable(analysis, f"ANCOVA not estimable: columns {absent} are not available.")
    complete = recs[cols].notna().all(axis=1)
    data = recs[complete].copy()
    excluded = int((~complete).sum())
    if ctx.blinded or data["ARMLABEL"].nunique() < 2:
        return _not_estimable(analysis, "ANCOVA needs at least two treatment groups (blinded or single-arm data).")
    counts = ctx.column_counts(analysis)
    groups = [g for g in counts if (data["ARMLABEL"] == g).any()]
    data["ARMLABEL"] = pd.Categorical(data["ARMLABEL"], categories=groups)
    reference = ctx.reference_group(analysis.phase) or groups[0]
    try:
        res = fit_ancova(data, response=opts.value, group="ARMLABEL", covariates=covs, reference=reference,
                         dose=opts.dose_response_variable, level=opts.level)
    except ValueError as exc:
        return _not_estimable(analysis, f"ANCOVA not estimable: {exc}")
    tidy = res.tidy(visit=opts.visit)
    level = int(round(opts.level * 100))
    rows = []
    for _, r in tidy[tidy["statistic"] == "lsmean"].iterrows():
        rows.append({"Group": group_header(r["group"], counts.get(r["group"], 0)), "n": str(int(r["n"])),
                     "LS mean (SE)": f"{fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)})",
                     f"Difference vs {reference} ({level}% CI)": "", "p-value": ""})
    for _, r in tidy[tidy["statistic"] == "lsmean_difference"].iterrows():
        for row in rows:
            if row["Group"].startswith(str(r["group"]) + " (N="):
                row[f"Difference vs {reference} ({level}% CI)"] = (
                    f"{fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)}) {fmt_ci(r['ci_lower'], r['ci_upper'], 2)}")
                row["p-value"] = fmt_p(r["p_value"])
    notes = [f"ANCOVA: {opts.value} = treatment + {' + '.join(covs) if covs else '(no covariates)'}; OLS "
             "(statsmodels); LS means with equal weights over categorical covariates, continuous covariates at "
             "their mean; difference shown as estimate (SE) and CI."]
    dr = tidy[tidy["statistic"] == "f_test"]
    if len(dr):
        notes.append(f"Linear dose-response test ({opts.dose_response_variable} as a continuous covariate in place "
                     f"of treatment): p = {fmt_p(dr['p_value'].iloc[0])}.")
    notes += [f"{excluded} records excluded for a missing response or covariate.",
              population_footnote(ctx, analysis), data_footnote(ctx)]
    table = DisplayTable(analysis.title, pd.DataFrame(rows), footnotes=tuple(notes), stub_columns=("Group",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy, tables=[table])
