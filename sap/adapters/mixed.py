"""Mixed model for repeated measures and single-visit ANCOVA (pharmaverse MMRMT01 / AOVT01).

MMRM: :func:`analyses.mmrm.fit_mmrm` (hand-written engine validated against SAS PROC MIXED; R ``mmrm``) with the
plan's model: value ~ arm x visit + covariates + visit covariates x visit (baseline x visit by default), the
plan's covariance structure and fallback chain, REML/ML and df method; LS means per arm and visit with equal
weights over categorical covariates, differences versus the reference arm.
ANCOVA: :func:`analyses.ancova.fit_ancova` (OLS; SAS PROC GLM with LSMEANS, R ``lm`` + ``emmeans``).

Both return an :class:`~sap.results.AnalysisResult`. The data are checked first: a covariate the plan names that
is in neither the analysis dataset nor ADSL, or two records of one subject at one visit, is a
:class:`~sap.errors.UserInputError`; too few subjects in an arm at a visit (or no value column) is recorded as
``not_estimable`` with the reason. Of the fit only the documented failures are caught
(:class:`analyses.mmrm.MmrmEstimationError`: no covariance structure of the chain converged, rank-deficient
design); any other exception is a bug and propagates. Every warning raised by the fit is recorded in
``warnings``. MMRM ``extra``: covariance requested/used, fallback history, df and vcov method, REML, optimizer,
whether arms are modelled (``grouped``) and the population N of the pooled column; ``frames["lsmeans"]``.
"""
from __future__ import annotations

import warnings
from typing import Optional

import pandas as pd

from analyses.ancova import fit_ancova
from analyses.mmrm import MmrmEstimationError, MmrmSettings, fit_mmrm
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.results import AnalysisResult, Exclusion, not_estimable_result, withheld_result
from sap.spec import Analysis

from .continuous import endpoint_records

#: fewest subjects with a value in one arm at one visit for the model to be fitted
MIN_SUBJECTS_PER_CELL = 2
#: fewest subjects with post-baseline values for an MMRM at all
MIN_SUBJECTS = 3
POOLED = "All subjects"


def _dataset_name(analysis: Analysis) -> str:
    """The analysis dataset :func:`endpoint_records` reads (the plan's ``data.dataset`` or the derived ADEFF)."""
    return (analysis.data.dataset if analysis.data else "adeff").lower()


def select_model_frame(ctx: AnalysisContext, analysis: Analysis, recs: pd.DataFrame, value: str,
                       covariates: dict[str, tuple[str, ...]]):
    """(complete-case frame, exclusion, not-estimable reason) of ``recs`` with the covariates from ADSL added.

    ``covariates`` maps the plan field (e.g. ``options.covariates``) to the columns it names; a column in neither
    the records nor ADSL is a UserInputError naming the dataset and the column."""
    subj = ctx.plan.data.subject_variable
    dataset = _dataset_name(analysis)
    cols = [c for names in covariates.values() for c in names]
    for field_name, names in covariates.items():
        for c in names:
            if c not in recs.columns and c not in ctx.adsl.columns:
                raise UserInputError(f"analysis {analysis.id}: {field_name} names {c!r}, which is not a column of "
                                     f"dataset {dataset} or adsl")
    need = [c for c in dict.fromkeys(cols) if c not in recs.columns]
    if need:
        recs = recs.merge(ctx.adsl[[subj] + need], on=subj, how="left")
    if value not in recs.columns:
        return None, None, f"column {value} is not in dataset {dataset}"
    if not pd.api.types.is_numeric_dtype(recs[value]):
        raise UserInputError(f"dataset {dataset}: column {value} (options.value) is not numeric")
    used = [value] + list(dict.fromkeys(cols))
    complete = recs[used].notna().all(axis=1)
    names = ", ".join(used[:-1]) + (" or " if len(used) > 1 else "") + used[-1]
    exclusion = Exclusion(f"missing value of {names}", int((~complete).sum()), "subject-visit records")
    return recs[complete].copy(), exclusion, None


def check_one_record_per_visit(data: pd.DataFrame, analysis: Analysis, subject: str, value: str) -> None:
    """Raise UserInputError when a subject has two analysed records at one visit (the MMRM needs one)."""
    dup = data[data.duplicated([subject, "AVISITN"], keep=False)]
    if len(dup):
        first = dup.iloc[0]
        raise UserInputError(f"dataset {_dataset_name(analysis)}: {len(dup)} analysed records share a {subject} and "
                             f"AVISITN with a {value} value (e.g. {subject} {first[subject]} at AVISITN "
                             f"{first['AVISITN']:g}); one record per subject and visit is needed (ANL01FL)")


def check_mmrm_cells(ctx: AnalysisContext, data: pd.DataFrame, groups: Optional[list[str]]) -> Optional[str]:
    """The not-estimable reason when too few subjects have values (overall, or per arm and visit), else None."""
    subj = ctx.plan.data.subject_variable
    if data[subj].nunique() < MIN_SUBJECTS:
        return f"fewer than {MIN_SUBJECTS} subjects with post-baseline values"
    keys = ["ARMLABEL", "AVISITN"] if groups else ["AVISITN"]
    counts = data.groupby(keys)[subj].nunique()
    short = []
    for v in sorted(data["AVISITN"].unique()):
        for g in (groups or [None]):
            n = int(counts.get((g, v) if groups else v, 0))
            if n < MIN_SUBJECTS_PER_CELL:
                where = f"in arm {g} " if groups else ""
                short.append(f"fewer than {MIN_SUBJECTS_PER_CELL} subjects {where}at {ctx.plan.visit_label(v)} "
                             f"({n})")
    return "; ".join(short) or None


def _warning_texts(caught) -> tuple[str, ...]:
    return tuple(sorted({str(w.message) for w in caught}))


def fit_recorded(fit, **kwargs):
    """(value, warnings, documented failure text): ``fit(**kwargs)`` with every warning recorded; only
    :class:`MmrmEstimationError` is caught."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fit(**kwargs)
        except MmrmEstimationError as exc:
            return None, _warning_texts(caught), str(exc)
    return out, _warning_texts(caught), None


def _fit_and_tidy_mmrm(data: pd.DataFrame, *, reference, **model):
    fit = fit_mmrm(data, **model)
    return fit, fit.tidy(weights="equal", reference=reference)


def derive_lsmeans_frame(ctx: AnalysisContext, rows: pd.DataFrame) -> pd.DataFrame:
    """Figure frame ``lsmeans``: group (``All subjects`` when pooled), visit, visit_label, estimate, CI."""
    lsm = rows[rows["statistic"] == "lsmean"]
    out = lsm.assign(group=lsm["group"].fillna(POOLED), visit_label=lsm["visit"].map(ctx.plan.visit_label))
    return out[["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper"]].reset_index(drop=True)


def mmrm(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    opts = analysis.options
    subj = ctx.plan.data.subject_variable
    recs = endpoint_records(ctx, analysis)
    recs = recs[recs["AVISITN"] > 0]
    visits = opts.visits or ctx.plan.endpoint(analysis.endpoint).visits
    if visits:
        recs = recs[recs["AVISITN"].isin(visits)]
    data, exclusion, reason = select_model_frame(
        ctx, analysis, recs, opts.value,
        {"options.covariates": opts.covariates, "options.visit_covariates": opts.visit_covariates})
    counts = ctx.column_counts(analysis)
    excluded = (exclusion,) if exclusion else ()
    if reason is None:
        check_one_record_per_visit(data, analysis, subj, opts.value)
        groups = [g for g in counts if (data["ARMLABEL"] == g).any()]
        grouped = len(groups) > 1 and not ctx.blinded
        reason = check_mmrm_cells(ctx, data, groups if grouped else None)
    if reason is not None:
        return not_estimable_result(analysis, reason, group_n=counts, excluded=excluded)
    reference = ctx.reference_group(analysis.phase)
    reference = reference if grouped and reference in groups else None
    for c in opts.covariates:  # categorical covariates as strings
        if not pd.api.types.is_numeric_dtype(data[c]):
            data[c] = data[c].astype(str)
    settings = MmrmSettings(reference=reference, group_levels=tuple(groups) if grouped else None,
                            visit_levels=tuple(sorted(data["AVISITN"].unique())),
                            fallback=tuple(opts.fallback_covariance), level=opts.level)
    out, warn, failure = fit_recorded(
        _fit_and_tidy_mmrm, data=data, reference=reference, response=opts.value, subject=subj, visit="AVISITN",
        group="ARMLABEL" if grouped else None, covariates=opts.covariates, visit_covariates=opts.visit_covariates,
        covariance=opts.covariance, reml=opts.reml, df=opts.df, settings=settings)
    if failure is not None:
        return not_estimable_result(analysis, failure, group_n=counts, excluded=excluded, warnings=warn)
    fit, rows = out
    rows = rows.assign(value=opts.value)
    extra = {"grouped": grouped, "population_n": len(ctx.analysis_subjects(analysis)),
             "covariance_requested": fit.covariance_requested, "covariance_used": fit.covariance_used,
             "fallback_history": [{"covariance": h["covariance"], "converged": bool(h["converged"])}
                                  for h in fit.fallback_history],
             "df_method": fit.df_method, "vcov_method": fit.vcov_method, "reml": fit.reml,
             "optimizer": fit.optimizer}
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, level=opts.level, group_n=counts,
                          reference=fit.design.group.reference if grouped else None,
                          frames={"lsmeans": derive_lsmeans_frame(ctx, rows)}, converged=fit.converged,
                          warnings=warn, records_used=fit.n_obs, excluded=excluded, extra=extra)


def check_dose_variable(data: pd.DataFrame, analysis: Analysis, dose: Optional[str]) -> None:
    """Raise UserInputError unless the dose-response variable is numeric and constant within each arm."""
    if dose is None:
        return
    where = f"analysis {analysis.id}: options.dose_response_variable {dose!r}"
    if not pd.api.types.is_numeric_dtype(data[dose]):
        raise UserInputError(f"{where} is not numeric")
    varies = data.groupby("ARMLABEL", observed=True)[dose].nunique()
    if (varies > 1).any():
        raise UserInputError(f"{where} is not constant within arm {', '.join(map(str, varies.index[varies > 1]))}")


def check_ancova_groups(data: pd.DataFrame, groups: list[str], reference: Optional[str], subject: str,
                        n_parameters: int) -> Optional[str]:
    """The not-estimable reason of an ANCOVA on ``data`` (too few arms or subjects, no residual df), else None."""
    if len(groups) < 2:
        return "fewer than 2 treatment groups with data"
    if reference not in groups:
        return f"the reference arm {reference} has no analysed subjects"
    n = data.groupby("ARMLABEL", observed=True)[subject].nunique()
    short = [f"fewer than {MIN_SUBJECTS_PER_CELL} subjects in arm {g} ({int(n.get(g, 0))})" for g in groups
             if n.get(g, 0) < MIN_SUBJECTS_PER_CELL]
    if short:
        return "; ".join(short)
    if len(data) <= n_parameters:
        return f"{len(data)} records for {n_parameters} model parameters: no residual degrees of freedom"
    return None


def _n_parameters(data: pd.DataFrame, groups: list[str], covariates) -> int:
    """Intercept + arm contrasts + one column per continuous covariate / per non-reference level."""
    k = len(groups)
    for c in covariates:
        numeric = pd.api.types.is_numeric_dtype(data[c]) and not pd.api.types.is_bool_dtype(data[c])
        k += 1 if numeric else max(data[c].nunique() - 1, 0)
    return k


def ancova(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Single-visit ANCOVA (:func:`analyses.ancova.fit_ancova`, OLS; SAS PROC GLM with LSMEANS) at
    ``options.visit`` (default: the endpoint's last visit, as the SAP sentence states)."""
    opts = analysis.options
    counts = ctx.column_counts(analysis)
    if ctx.blinded:
        return withheld_result(analysis, "between-arm comparisons are not produced on blinded data", group_n=counts)
    recs = endpoint_records(ctx, analysis)
    visits = ctx.plan.endpoint(analysis.endpoint).visits
    visit = opts.visit if opts.visit is not None else (max(visits) if visits else None)
    if visit is None:
        return not_estimable_result(analysis, "options.visit is not given and the endpoint lists no visits",
                                    group_n=counts)
    recs = recs[recs["AVISITN"] == visit]
    dose = opts.dose_response_variable
    named = {"options.covariates": opts.covariates, "options.dose_response_variable": (dose,) if dose else ()}
    data, exclusion, reason = select_model_frame(ctx, analysis, recs, opts.value, named)
    excluded = (Exclusion(exclusion.reason, exclusion.n),) if exclusion else ()
    if reason is None:
        check_one_record_per_visit(data, analysis, ctx.plan.data.subject_variable, opts.value)
        check_dose_variable(data, analysis, dose)
        groups = [g for g in counts if (data["ARMLABEL"] == g).any()]
        reference = ctx.reference_group(analysis.phase) or (groups[0] if groups else None)
        reason = check_ancova_groups(data, groups, reference, ctx.plan.data.subject_variable,
                                     _n_parameters(data, groups, opts.covariates))
    if reason is not None:
        return not_estimable_result(analysis, reason, group_n=counts, excluded=excluded)
    data["ARMLABEL"] = pd.Categorical(data["ARMLABEL"], categories=groups)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        res = fit_ancova(data, response=opts.value, group="ARMLABEL", covariates=list(opts.covariates),
                         reference=reference, dose=dose, level=opts.level)
        rows = res.tidy(visit=visit)
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, level=opts.level, group_n=counts, reference=reference,
                          warnings=_warning_texts(caught), records_used=res.n_obs, excluded=excluded)
