"""Adverse-event, DLT and laboratory safety tables (pharmaverse AET01/AET02/AET04/AET01_AESI, LBT14).

Counting rules (:mod:`analyses.safety_ae_tables`): subjects in the safety population by treatment group as
treated, each subject counted once per row, percentages of the column's population N, a Total column; ADAE
records of subjects outside the population are counted and reported in a footnote, never dropped silently.
"""
from __future__ import annotations

import pandas as pd

from analyses.safety_ae_data import AEColumns, prepare_ae_data
from analyses.safety_ae_grade import summarize_ae_by_max_grade
from analyses.safety_ae_tables import (summarize_ae_by_soc_pt, summarize_ae_overview, summarize_ae_special_interest,
                                       summarize_serious_ae)
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.spec import Analysis

from ._common import data_footnote, population_footnote


def ae_data(ctx: AnalysisContext, analysis: Analysis):
    """AEData for the analysis: population subjects (as treated) joined to ADAE."""
    if "adae" not in ctx.datasets:
        raise UserInputError(f"analysis {analysis.id}: dataset adae is required")
    subjects = ctx.analysis_subjects(analysis)[[ctx.plan.data.subject_variable, "ARMLABEL"]]
    subjects = subjects[subjects["ARMLABEL"].notna()]
    opts = analysis.parsed_options()
    columns = AEColumns(subject=ctx.plan.data.subject_variable,
                        grade="AETOXGR" if opts.grade_variable == "AETOXGR" else "_NO_TOXGR_")
    return prepare_ae_data(subjects, ctx.datasets["adae"], group="ARMLABEL", population_flag=None,
                           group_order=ctx.group_order(analysis.phase), total=len(ctx.group_order(analysis.phase)) > 1,
                           treatment_emergent_only=opts.treatment_emergent_only, columns=columns)


def _outcome(ctx, analysis, table_obj, extra_notes=()) -> AnalysisOutcome:
    data = table_obj.data
    frame = table_obj.table(events=True).reset_index()
    frame = frame.rename(columns={frame.columns[0]: "Category / term"})
    notes = ["n (%) [events]: subjects with at least one event (each subject counted once per row), percentage of "
             "the column N, and number of events.",
             "Treatment-emergent AEs only (TRTEMFL = Y)." if analysis.parsed_options().treatment_emergent_only
             else "All adverse events.",
             "Grades: CTCAE v5.0 (AETOXGR)." if data.grade_scale == "ctcae" else "Severity: AESEV (mild/moderate/severe).",
             *extra_notes, *data.notes]
    if data.excluded_records:
        ex = "; ".join(f"{r.reason}: {int(r.records)} records of {int(r.subjects)} subjects"
                       for r in data.excluded.itertuples() if r.records)
        notes.append(f"ADAE records not analysed: {ex}.")
    notes += [population_footnote(ctx, analysis), data_footnote(ctx)]
    tidy = table_obj.tidy(analysis_id=analysis.id, population=analysis.population)
    table = DisplayTable(analysis.title, frame, footnotes=tuple(notes), stub_columns=("Category / term",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy, tables=[table])


def ae_overview(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    return _outcome(ctx, analysis, summarize_ae_overview(ae_data(ctx, analysis), title=analysis.title))


def ae_by_soc_pt(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    return _outcome(ctx, analysis, summarize_ae_by_soc_pt(ae_data(ctx, analysis), title=analysis.title),
                    ["System organ classes and preferred terms (MedDRA) sorted by descending total frequency."])


def ae_by_max_grade(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    return _outcome(ctx, analysis, summarize_ae_by_max_grade(ae_data(ctx, analysis), title=analysis.title),
                    ["Each subject counted once per block at the worst grade."])


def ae_serious(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    return _outcome(ctx, analysis, summarize_serious_ae(ae_data(ctx, analysis)))


def ae_special_interest(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    if not opts.terms:
        raise UserInputError(f"analysis {analysis.id}: options.terms must list the AEs of special interest")
    return _outcome(ctx, analysis, summarize_ae_special_interest(ae_data(ctx, analysis), list(opts.terms),
                                                                 title=analysis.title),
                    [f"AEs of special interest (preferred terms): {', '.join(opts.terms)}."])


def ae_exposure_adjusted(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    """Exposure-adjusted incidence rates (:func:`analyses.safety_ae_rate.summarize_ae_incidence_rate`):
    subjects with a first event per 100 subject-years at risk from first dose to the first event or the end of
    observation (EOSDT, else TRTEDT), exact Poisson (Garwood) CI."""
    from analyses.safety_ae_rate import summarize_ae_incidence_rate

    data = ae_data(ctx, analysis)
    subj = ctx.plan.data.subject_variable
    adsl = ctx.adsl.copy()
    end_note = "end of treatment (TRTEDT)"
    if "EOSDT" in adsl.columns:
        adsl["_OBSEND"] = pd.to_datetime(adsl["EOSDT"]).fillna(pd.to_datetime(adsl["TRTEDT"]))
        end_note = "end of study (EOSDT; TRTEDT where EOSDT is missing)"
    else:
        adsl["_OBSEND"] = pd.to_datetime(adsl["TRTEDT"])
    frames, tidy = [], []
    for by in ("any", "soc"):
        res = summarize_ae_incidence_rate(data, adsl, by=by, start="TRTSDT", end="_OBSEND", subject=subj)
        table = res.table().reset_index()
        frames.append(table.rename(columns={table.columns[0]: "Category"}))
        tidy.append(res.tidy(analysis_id=analysis.id, population=analysis.population))
    frame = pd.concat(frames, ignore_index=True)
    notes = ("Cell: subjects with the event / subject-years at risk: rate per 100 subject-years (95% exact Poisson CI).",
             f"Time at risk from first dose (TRTSDT) to the first event, or to the {end_note} for subjects without it.",
             population_footnote(ctx, analysis), data_footnote(ctx))
    table = DisplayTable(analysis.title, frame, footnotes=notes, stub_columns=("Category",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           pd.concat(tidy, ignore_index=True), tables=[table])


def dlt_rate(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    """DLT rate per dose level among DLT-evaluable subjects with a Clopper-Pearson CI
    (:func:`analyses.safety_dlt.summarize_dlt_rate`)."""
    from analyses.safety_dlt import summarize_dlt_rate

    opts = analysis.parsed_options()
    subjects = ctx.analysis_subjects(analysis)
    phase_arms = [a for a in ctx.plan.design.arms if analysis.phase is None or a.phase == analysis.phase]
    adsl = ctx.adsl[ctx.adsl[ctx.plan.data.subject_variable].isin(subjects[ctx.plan.data.subject_variable])].copy()
    adsl["DOSELVL"] = adsl["ARMLABEL"]
    adsl["_EVAL"] = "Y"
    res = summarize_dlt_rate(adsl, ctx.datasets["adae"], dose="DOSELVL", evaluable_flag="_EVAL",
                             subject=ctx.plan.data.subject_variable,
                             dose_levels=[a.label for a in phase_arms if a.label in set(adsl["DOSELVL"])],
                             level=opts.level)
    frame = res.table().reset_index()
    notes = ("DLT rate = subjects with at least one DLT (ADAE DLTFL = Y) / DLT-evaluable subjects; exact "
             "Clopper-Pearson CI.", population_footnote(ctx, analysis), data_footnote(ctx))
    table = DisplayTable(analysis.title, frame, footnotes=notes, stub_columns=("Dose level",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           res.tidy(analysis_id=analysis.id, population=analysis.population), tables=[table])


def _lab_inputs(ctx: AnalysisContext, analysis: Analysis):
    opts = analysis.parsed_options()
    subj = ctx.plan.data.subject_variable
    eff = ctx.derived.get("adeff")
    if eff is not None and "SRCDOM" in eff.columns:
        lb = eff[(eff["SRCDOM"] == "ADLB") & (eff["ANL01FL"] == "Y")]
    elif "adlb" in ctx.datasets:
        lb = ctx.datasets["adlb"]
        if "ANL01FL" in lb.columns:
            lb = lb[lb["ANL01FL"].astype("string") == "Y"]
    else:
        raise UserInputError(f"analysis {analysis.id}: dataset adlb is required")
    params = [p for p in opts.parameters if p in set(lb["PARAMCD"])]
    missing = [p for p in opts.parameters if p not in params]
    subjects = ctx.analysis_subjects(analysis)[[subj, "ARMLABEL"]]
    return opts, lb, params, missing, subjects, ctx.group_order(analysis.phase)


def _lab_outcome(ctx, analysis, summary, params, missing, what) -> AnalysisOutcome:
    tables = []
    for p in params:
        frame = summary.table(p).reset_index()
        tables.append(DisplayTable(f"{analysis.title}: {p}", frame,
                                   footnotes=(what, population_footnote(ctx, analysis), data_footnote(ctx)),
                                   stub_columns=(frame.columns[0],)))
    notes = [f"parameters not in the data: {', '.join(missing)}"] if missing else []
    if not tables:
        tables.append(DisplayTable(analysis.title, pd.DataFrame({"Note": ["No laboratory data for the named parameters."]})))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           summary.tidy(analysis_id=analysis.id, population=analysis.population) if params else
                           pd.DataFrame(), tables=tables, notes=notes)


def lab_shift(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    """Baseline versus worst post-baseline normal-range category (:func:`analyses.safety_labs.summarize_lab_shift`)."""
    from analyses.safety_labs import summarize_lab_shift

    opts, lb, params, missing, adsl, groups = _lab_inputs(ctx, analysis)
    low = "ANRLO" if "ANRLO" in lb.columns else None
    high = "ANRHI" if "ANRHI" in lb.columns else None
    summary = summarize_lab_shift(adsl, lb, params=params, group="ARMLABEL", population_flag=None, group_order=groups,
                                  total=len(groups) > 1, subject=ctx.plan.data.subject_variable, low=low, high=high)
    return _lab_outcome(ctx, analysis, summary, params, missing,
                        "Rows: baseline category; columns: worst post-baseline category (LOW/NORMAL/HIGH by the "
                        "normal range; a subject with both LOW and HIGH values is counted in the direction of the "
                        "larger deviation relative to the range width). Percentages of the population N.")


def lab_change(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    """Laboratory values and change from baseline by visit (:func:`analyses.safety_labs.summarize_lab_change`)."""
    from analyses.safety_labs import summarize_lab_change

    opts, lb, params, missing, adsl, groups = _lab_inputs(ctx, analysis)
    summary = summarize_lab_change(adsl, lb, params=params, group="ARMLABEL", population_flag=None, group_order=groups,
                                   total=len(groups) > 1, subject=ctx.plan.data.subject_variable)
    return _lab_outcome(ctx, analysis, summary, params, missing,
                        "n, mean (SD), median, min-max of the value and of the change from baseline by visit; "
                        "observed values of the analysed record per visit.")
