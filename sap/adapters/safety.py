"""Adverse-event, DLT and laboratory safety analyses (pharmaverse AET01/AET02/AET04/AET01_AESI/AET05, LBT14):
select the data, call :mod:`analyses` and return an :class:`~sap.results.AnalysisResult` (the shells in
:mod:`reports.shells.safety` print it).

Counting rules (:mod:`analyses.safety_ae_tables`): subjects in the safety population by treatment group as
treated, each subject counted once per row, percentages of the column's population N, a Total column; ADAE
records of subjects outside the population are counted and recorded as exclusions, never dropped silently.
``extra`` of an AE result: ``grade_scale`` ("ctcae" or "severity"), ``indent`` (row order -> depth of the row
label); of an incidence-rate result: ``observation_end`` ("EOSDT" or "TRTEDT"), ``onset_after_end``.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Optional

import pandas as pd

from analyses.safety_ae_data import NOT_RELATED_VALUES, RELATED_VALUES, AEColumns, AEData, prepare_ae_data
from analyses.safety_ae_grade import summarize_ae_by_max_grade
from analyses.safety_ae_rate import summarize_ae_incidence_rate
from analyses.safety_ae_tables import (AETable, summarize_ae_by_soc_pt, summarize_ae_overview,
                                       summarize_ae_special_interest, summarize_serious_ae)
from analyses.safety_dlt import summarize_dlt_rate
from analyses.safety_labs import LabSummary, summarize_lab_change, summarize_lab_shift
from sap.context import AnalysisContext
from sap.data.contract import record_numbers
from sap.errors import DataError, UserInputError
from sap.results import AnalysisResult, Exclusion, not_estimable_result
from sap.spec import Analysis

#: the AE methods whose table can be restricted to related events (``options.relatedness``)
RELATEDNESS_METHODS = ("ae_by_max_grade", "ae_by_soc_pt")
#: ADLB columns a shift table can take the normal-range category from (:mod:`analyses.safety_labs`)
NORMAL_RANGE_COLUMNS = (("ANRIND",), ("ANRLO", "ANRHI"), ("A1LO", "A1HI"))


def _result(analysis: Analysis, rows: pd.DataFrame, group_n, **kw) -> AnalysisResult:
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, group_n=group_n, **kw)


def _exclusions(excluded: pd.DataFrame, unit: str) -> tuple[Exclusion, ...]:
    """One Exclusion per reason with records (``excluded``: reason, records, subjects)."""
    def subjects(k: int) -> str:
        return f"{k} subject" if k == 1 else f"{k} subjects"
    return tuple(Exclusion(f"{r.reason} ({subjects(len(r.subjects))})", int(r.records), unit)
                 for r in excluded.itertuples() if r.records)


def check_ae_codes(adae: pd.DataFrame) -> None:
    """Raise DataError naming adae.AESER / adae.AEREL and rows for values the AE tables cannot read: a missing
    seriousness, and a relationship that is neither related nor unrelated (``RELATED_VALUES`` and
    ``NOT_RELATED_VALUES`` of :mod:`analyses.safety_ae_data`, case and blanks ignored; a missing AEREL counts as
    related)."""
    rows = record_numbers(adae)
    problems = []
    if "AESER" in adae.columns:
        missing = adae["AESER"].astype("string").str.strip().fillna("").eq("").to_numpy(dtype=bool)
        if missing.any():
            problems.append(f"adae.AESER: seriousness is missing (rows {', '.join(map(str, rows[missing][:5]))}"
                            f"{', ...' if missing.sum() > 5 else ''}; {int(missing.sum())} records)")
    if "AEREL" in adae.columns:
        codes = adae["AEREL"].map(lambda v: " ".join(str(v).split()).upper(), na_action="ignore")
        unknown = (codes.notna() & codes.ne("") & ~codes.isin(RELATED_VALUES | NOT_RELATED_VALUES)).to_numpy()
        if unknown.any():
            problems.append(f"adae.AEREL: relationship {sorted(set(codes[unknown]))[:5]} is neither related "
                            f"({', '.join(sorted(RELATED_VALUES))}) nor not related "
                            f"({', '.join(sorted(NOT_RELATED_VALUES))}) (rows "
                            f"{', '.join(map(str, rows[unknown][:5]))}{', ...' if unknown.sum() > 5 else ''})")
    if problems:
        raise DataError("; ".join(problems))


def _flagged_adsl(ctx: AnalysisContext, analysis: Analysis, flag: str) -> pd.DataFrame:
    """ADSL (subject, ARMLABEL) with ``flag`` = Y for the analysis subjects (population, phase, assigned arm)."""
    subj = ctx.plan.data.subject_variable
    subjects = ctx.analysis_subjects(analysis)
    chosen = set(subjects.loc[subjects["ARMLABEL"].notna(), subj])
    adsl = ctx.adsl[[subj, "ARMLABEL"]]
    return adsl.assign(**{flag: adsl[subj].isin(chosen).map({True: "Y", False: "N"})})


def _check_ae_options(analysis: Analysis) -> None:
    """Refuse AE options the analysis would otherwise ignore (the SAP sentence would misstate the analysis)."""
    opts = analysis.options
    if opts.min_percent:
        raise UserInputError(f"analyses[{analysis.id}].options.min_percent: a frequency cut-off is not "
                             f"implemented; remove it (every preferred term is shown)")
    if opts.terms and analysis.method != "ae_special_interest":
        raise UserInputError(f"analyses[{analysis.id}].options.terms: only ae_special_interest uses terms")
    if opts.relatedness != "any" and analysis.method not in RELATEDNESS_METHODS:
        raise UserInputError(f"analyses[{analysis.id}].options.relatedness: only "
                             f"{' and '.join(RELATEDNESS_METHODS)} restrict the table to related events")


def select_ae_data(ctx: AnalysisContext, analysis: Analysis) -> AEData:
    """AEData for the analysis: population subjects (as treated) joined to ADAE; records of other ADSL subjects
    and of subjects not in ADSL are counted as excluded."""
    _check_ae_options(analysis)
    if "adae" not in ctx.datasets:
        raise UserInputError(f"analysis {analysis.id}: dataset adae is required")
    check_ae_codes(ctx.datasets["adae"])
    opts = analysis.options
    columns = AEColumns(subject=ctx.plan.data.subject_variable,
                        grade="AETOXGR" if opts.grade_variable == "AETOXGR" else "_NO_TOXGR_")
    groups = ctx.group_order(analysis.phase)
    return prepare_ae_data(_flagged_adsl(ctx, analysis, "_INPOP"), ctx.datasets["adae"], group="ARMLABEL",
                           population_flag="_INPOP", group_order=groups, total=len(groups) > 1,
                           treatment_emergent_only=opts.treatment_emergent_only, columns=columns)


def _related_only(analysis: Analysis) -> bool:
    return analysis.options.relatedness == "related"


def plan_notes(ctx: AnalysisContext, notes: tuple[str, ...]) -> tuple[str, ...]:
    """The AE data notes a plan's tables show: nothing about DLTs (ADAE DLTFL) in a plan without a DLT endpoint."""
    if any(e.derivation == "adae_dltfl" for e in ctx.plan.endpoints):
        return tuple(notes)
    return tuple(n for n in notes if "DLTFL" not in n)


def _ae_result(ctx: AnalysisContext, analysis: Analysis, table: AETable) -> AnalysisResult:
    """The result of an AE table; with ``relatedness: related`` the unrelated records are counted as excluded."""
    data = table.data
    layout = table.rows.drop_duplicates("order")
    excluded, used = _exclusions(data.excluded, "ADAE records"), len(data.ae)
    if _related_only(analysis):
        unrelated = int((~data.ae["related"].astype(bool)).sum())
        excluded += (Exclusion("not related to the study treatment (options.relatedness: related)", unrelated,
                               "ADAE records"),)
        used -= unrelated
    return _result(analysis, table.tidy(analysis_id=analysis.id, population=analysis.population),
                   ctx.column_counts(analysis), notes=plan_notes(ctx, data.notes), records_used=used, excluded=excluded,
                   extra={"grade_scale": data.grade_scale,
                          "indent": {int(o): int(i) for o, i in zip(layout["order"], layout["indent"])}})


def discontinuation_source(ctx: AnalysisContext, analysis: Analysis, data) -> tuple[Optional[set], str]:
    """(subjects discontinued for an AE from a subject-level source, or None for ADAE AEACN / no row; the footnote
    naming the source) per ``options.discontinuation`` (see :class:`sap.registry.AEOverviewOptions`)."""
    choice = analysis.options.discontinuation
    where = f"analysis {analysis.id}: options.discontinuation {choice}"
    if choice == "AEACN" and not data.has_discontinuation:
        raise UserInputError(f"{where}: ADAE column AEACN is absent or blank in every analysed record")
    if choice is None and data.has_discontinuation:
        choice = "AEACN"
    if choice == "AEACN":
        return None, "TEAE leading to discontinuation: ADAE AEACN = DRUG WITHDRAWN."
    flag = choice.split(".", 1)[1] if choice else "DSRAEFL"
    if flag not in ctx.adsl.columns:
        if choice:
            raise UserInputError(f"{where}: dataset adsl has no column {flag}")
        return None, ("No row for TEAE leading to discontinuation: ADAE AEACN is absent or blank and ADSL has no "
                      "DSRAEFL (options.discontinuation names another source).")
    subj = ctx.plan.data.subject_variable
    yes = ctx.adsl[flag].astype("string").str.strip().str.upper().eq("Y").fillna(False)
    why = "" if choice else " (ADAE AEACN is absent or blank)"
    return (set(ctx.adsl.loc[yes.to_numpy(), subj].astype(str)),
            f"TEAE leading to discontinuation: subjects with ADSL {flag} = Y{why}; subject level, no event count.")


def ae_overview(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """AE overview (AET01; :func:`analyses.safety_ae_tables.summarize_ae_overview`): the discontinuation row from
    the plan's source, the DLT row only where the plan has a DLT endpoint, the infusion-reaction row only with
    the plan's terms."""
    data = select_ae_data(ctx, analysis)
    subjects, note = discontinuation_source(ctx, analysis, data)
    dlt = any(e.derivation == "adae_dltfl" for e in ctx.plan.endpoints)
    table = summarize_ae_overview(data, title=analysis.title, dlt=dlt, discontinued_subjects=subjects,
                                  infusion_reaction_terms=analysis.options.infusion_reaction_terms)
    result = _ae_result(ctx, analysis, table)
    return replace(result, notes=result.notes + (note,))


def _subset(analysis: Analysis) -> dict:
    """``where``/``any_label`` of an AE table restricted to related events (``options.relatedness``), else none."""
    if not _related_only(analysis):
        return {}
    return dict(where="related", any_label="Any related TEAE" if analysis.options.treatment_emergent_only
                else "Any related AE")


def ae_by_soc_pt(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Subjects with AEs by SOC and PT (AET02; :func:`analyses.safety_ae_tables.summarize_ae_by_soc_pt`); only
    related events with ``relatedness: related``."""
    return _ae_result(ctx, analysis, summarize_ae_by_soc_pt(select_ae_data(ctx, analysis), title=analysis.title,
                                                            **_subset(analysis)))


def ae_by_max_grade(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Subjects by worst grade (AET04; :func:`analyses.safety_ae_grade.summarize_ae_by_max_grade`); only related
    events with ``relatedness: related`` (R tern ``count_occurrences_by_grade`` on the related records)."""
    return _ae_result(ctx, analysis, summarize_ae_by_max_grade(select_ae_data(ctx, analysis), title=analysis.title,
                                                               **_subset(analysis)))


def ae_serious(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Serious AEs by SOC and PT (:func:`analyses.safety_ae_tables.summarize_serious_ae`)."""
    return _ae_result(ctx, analysis, summarize_serious_ae(select_ae_data(ctx, analysis)))


def ae_special_interest(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """AEs of special interest, the plan's preferred terms (AET01_AESI;
    :func:`analyses.safety_ae_tables.summarize_ae_special_interest`)."""
    terms = list(analysis.options.terms)
    if not terms:
        raise UserInputError(f"analysis {analysis.id}: options.terms must list the AEs of special interest")
    return _ae_result(ctx, analysis, summarize_ae_special_interest(select_ae_data(ctx, analysis), terms,
                                                                   title=analysis.title))


def _who(frame: pd.DataFrame, mask, subject: str) -> str:
    ids = frame.loc[mask, subject].astype(str).tolist()
    return f"{len(ids)} subject{'s' if len(ids) > 1 else ''} ({', '.join(ids[:5])}{', ...' if len(ids) > 5 else ''})"


def _time_at_risk_problem(ctx: AnalysisContext, analysis: Analysis, adsl: pd.DataFrame, data: AEData,
                          ends: list[str]) -> str | None:
    """Why the time at risk cannot be computed (None when it can): ADSL has no TRTSDT or end of observation, one
    of them is missing or in the wrong order for a subject of the population, or an analysed event has no onset."""
    subj = ctx.plan.data.subject_variable
    if "TRTSDT" not in adsl.columns or not ends:
        absent = "adsl.TRTSDT" if "TRTSDT" not in adsl.columns else "adsl.TRTEDT (and EOSDT)"
        return f"{absent} is absent: the time at risk cannot be computed"
    pop = adsl[adsl[subj].isin(set(data.population["subject"]))]
    start, end = pd.to_datetime(pop["TRTSDT"]), pop["_OBSEND"]
    end_name = " or ".join(f"adsl.{c}" for c in ends)
    for mask, what in ((start.isna(), "adsl.TRTSDT is missing"), (end.isna(), f"{end_name} is missing"),
                       (end < start, f"the end of observation ({end_name}) is before adsl.TRTSDT")):
        if mask.any():
            return f"{what} for {_who(pop, mask, subj)} of population {analysis.population}"
    no_onset = int(data.ae["src_ASTDT"].isna().sum()) if "src_ASTDT" in data.ae.columns else len(data.ae)
    if no_onset:
        return f"adae.ASTDT is missing for {no_onset} analysed records: the time to the first event is unknown"
    return None


def ae_exposure_adjusted(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Exposure-adjusted incidence rates (AET05; :func:`analyses.safety_ae_rate.summarize_ae_incidence_rate`):
    subjects with a first event per 100 subject-years at risk from first dose to the first event or the end of
    observation (EOSDT, else TRTEDT), exact Poisson (Garwood) CI (R ``poisson.test``). Not estimable, with the
    reason, when a subject's time at risk or an event's onset is not known."""
    data = select_ae_data(ctx, analysis)
    adsl = ctx.adsl.copy()
    ends = [c for c in ("EOSDT", "TRTEDT") if c in adsl.columns]
    if ends:
        adsl["_OBSEND"] = pd.to_datetime(adsl[ends[0]])
        if len(ends) == 2:
            adsl["_OBSEND"] = adsl["_OBSEND"].fillna(pd.to_datetime(adsl[ends[1]]))
    problem = _time_at_risk_problem(ctx, analysis, adsl, data, ends)
    if problem is not None:
        return not_estimable_result(analysis, problem, group_n=ctx.column_counts(analysis),
                                    excluded=_exclusions(data.excluded, "ADAE records"))
    summaries = [summarize_ae_incidence_rate(data, adsl, by=by, start="TRTSDT", end="_OBSEND",
                                             subject=ctx.plan.data.subject_variable) for by in ("any", "soc")]
    rows = pd.concat([s.tidy(analysis_id=analysis.id, population=analysis.population) for s in summaries],
                     ignore_index=True)
    return _result(analysis, rows, ctx.column_counts(analysis), level=summaries[0].level,
                   notes=plan_notes(ctx, data.notes),
                   records_used=len(data.ae), excluded=_exclusions(data.excluded, "ADAE records"),
                   extra={"observation_end": ends[0],
                          "onset_after_end": max(s.onset_after_end for s in summaries)})


def dlt_rate(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """DLT rate per dose level among the analysis subjects (the DLT-evaluable population of the phase) with an
    exact Clopper-Pearson CI (:func:`analyses.safety_dlt.summarize_dlt_rate`; R ``binom.test``, SAS PROC FREQ
    BINOMIAL EXACT)."""
    opts = analysis.options
    if opts.ci_method != "clopper_pearson":
        raise UserInputError(f"analyses[{analysis.id}].options.ci_method: dlt_rate computes exact "
                             f"Clopper-Pearson intervals only, not {opts.ci_method}")
    if "adae" not in ctx.datasets:
        raise UserInputError(f"analysis {analysis.id}: dataset adae is required")
    adsl = _flagged_adsl(ctx, analysis, "_EVAL")
    present = set(adsl.loc[adsl["_EVAL"] == "Y", "ARMLABEL"])
    phase_arms = [a for a in ctx.plan.design.arms if analysis.phase is None or a.phase == analysis.phase]
    res = summarize_dlt_rate(adsl, ctx.datasets["adae"], dose="ARMLABEL", evaluable_flag="_EVAL",
                             subject=ctx.plan.data.subject_variable,
                             dose_levels=[a.label for a in phase_arms if a.label in present], level=opts.level)
    return _result(analysis, res.tidy(analysis_id=analysis.id, population=analysis.population),
                   ctx.column_counts(analysis), level=res.level, excluded=_exclusions(res.excluded, "DLT records"))


def _lab_records(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    """Analysed laboratory records: ADLB rows of the derived efficacy data (whose ANL01FL the derivation sets), else
    ADLB (the plan's ``data.analysis_flag`` = Y where ADLB has it)."""
    eff = ctx.derived.get("adeff")
    if eff is not None and "SRCDOM" in eff.columns:
        return eff[(eff["SRCDOM"] == "ADLB") & (eff["ANL01FL"] == "Y")]
    if "adlb" not in ctx.datasets:
        raise UserInputError(f"analysis {analysis.id}: dataset adlb is required")
    lb, flag = ctx.datasets["adlb"], ctx.plan.data.analysis_flag
    return lb[lb[flag].astype("string").str.strip().str.upper() == "Y"] if flag and flag in lb.columns else lb


def _lab_result(ctx: AnalysisContext, analysis: Analysis, summarize) -> AnalysisResult:
    """Run ``summarize`` (a lab summary function) on the plan's parameters (every parameter when none named)."""
    lb = _lab_records(ctx, analysis)
    present = sorted(lb["PARAMCD"].dropna().unique())
    named = list(analysis.options.parameters) or present
    params = [p for p in named if p in set(present)]
    missing = [p for p in named if p not in params]
    notes = (f"parameters not in the data: {', '.join(missing)}",) if missing else ()
    if not params:
        return not_estimable_result(analysis, f"no laboratory data for the parameters {', '.join(named)}"
                                    if named else "no laboratory data")
    groups = ctx.group_order(analysis.phase)
    adsl = ctx.analysis_subjects(analysis)[[ctx.plan.data.subject_variable, "ARMLABEL"]]
    summary: LabSummary = summarize(adsl, lb, params=params, group="ARMLABEL", population_flag=None,
                                    group_order=groups, total=len(groups) > 1, subject=ctx.plan.data.subject_variable)
    return _result(analysis, summary.tidy(analysis_id=analysis.id, population=analysis.population),
                   ctx.column_counts(analysis), notes=notes)


def lab_shift(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Baseline versus worst post-baseline normal-range category (LBT14;
    :func:`analyses.safety_labs.summarize_lab_shift`)."""
    lb = _lab_records(ctx, analysis)
    if not any(all(c in lb.columns for c in names) for names in NORMAL_RANGE_COLUMNS):
        return not_estimable_result(analysis, "adlb has no normal ranges (adlb.ANRIND, adlb.ANRLO/ANRHI or "
                                    "adlb.A1LO/A1HI): no shift table", group_n=ctx.column_counts(analysis))

    def summarize(adsl, lb, **kw):
        return summarize_lab_shift(adsl, lb, low="ANRLO" if "ANRLO" in lb.columns else None,
                                   high="ANRHI" if "ANRHI" in lb.columns else None, **kw)
    return _lab_result(ctx, analysis, summarize)


def lab_change(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Laboratory values and change from baseline by visit (:func:`analyses.safety_labs.summarize_lab_change`)."""
    return _lab_result(ctx, analysis, summarize_lab_change)

