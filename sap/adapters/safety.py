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
    opts = analysis.parsed_options()
    columns = AEColumns(subject=ctx.plan.data.subject_variable,
                        grade="AETOXGR" if opts.grade_variable == "AETOXGR" else "_NO_TOXGR_")
    adae = ctx.datasets["adae"]
    adsl_all = ctx.adsl[[ctx.plan.data.subject_variable]].merge(subjects, how="left")
    adsl_all = adsl_all[adsl_all["ARMLABEL"].notna()]
    return prepare_ae_data(adsl_all, adae, group="ARMLABEL", population_flag=None,
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
