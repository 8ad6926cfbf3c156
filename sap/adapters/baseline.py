"""Disposition, analysis populations, demographics/baseline characteristics and exposure (CSR section 14.1).

Descriptive tables as in the pharmaverse templates DST01, DMT01 and EXT01 (chevron): subjects counted per display
column; percentages (printed by the shells) of the column N. The adapters select the subjects and variables, call
:mod:`analyses.disposition`, :mod:`analyses.descriptive` and :mod:`analyses.exposure`, and return an
:class:`~sap.results.AnalysisResult`; the tables are drawn by :mod:`reports.shells.baseline`.

Display columns: the treatment groups of the analysis' phase (``group_n`` = ``ctx.column_counts``), then
"Not assigned" (subjects without a treatment assignment, e.g. screen failures) when there are any, then "Total"
when there is more than one column; ``extra["column_n"]`` holds the N of every display column, in order, so
every subject is accounted for. ``frames["descriptive"]`` (demographics, exposure): tidy rows of every
descriptive statistic the table prints (mean, sd, median, min, max, each with its n); ``rows`` keeps the subset
written to results.json (mean with SE, SD and median of each demographic variable; per exposure product, its
subjects treated, the mean number of administrations and the mean cumulative dose in the product's unit; the
median treatment duration).
"""
from __future__ import annotations

from typing import Optional

import numpy as np
import pandas as pd

from analyses.descriptive import (category_levels, category_values, summarize_categories, summarize_continuous,
                                  summarize_indicators)
from analyses.disposition import derive_disposition, discontinuation_reasons, other_statuses, summarize_disposition
from analyses.exposure import (ADMINISTRATIONS, CUMULATIVE_DOSE, DOSE_RECORDS, DURATION_DAYS, PRODUCT,
                               count_course_administrations, derive_product_exposure, derive_study_day,
                               derive_treatment_duration, product_units, summarize_administration_counts)
from analyses.results import tidy_frame
from sap.context import AnalysisContext
from sap.data import DataContractError
from sap.data.contract import find_exposure_problems
from sap.results import AnalysisResult, Exclusion, not_estimable_result
from sap.spec import Analysis

TOTAL = "Total"
UNASSIGNED = "Not assigned"
#: column of the subject frames naming each subject's display column
COLUMN = "_column"
#: statistics of each demographic variable kept in the results rows (the rest are in frames["descriptive"])
DEMOGRAPHIC_ROW_STATISTICS = ("mean", "sd", "median")


def _subject_frame(ctx: AnalysisContext, analysis: Analysis) -> tuple[pd.DataFrame, list[str], Optional[str]]:
    """(analysis subjects with their display column in COLUMN, column order without Total, Total label or None)."""
    subjects = ctx.analysis_subjects(analysis)
    arm = subjects["ARMLABEL"]
    columns = list(ctx.group_order(analysis.phase))
    if arm.isna().any():
        columns.append(UNASSIGNED)
    frame = subjects.assign(**{COLUMN: arm.astype(object).where(arm.notna(), UNASSIGNED)})
    return frame, columns, (TOTAL if len(columns) > 1 else None)


def _column_n(frame: pd.DataFrame, columns: list[str], total: Optional[str]) -> dict[str, int]:
    counts = frame[COLUMN].value_counts()
    out = {c: int(counts.get(c, 0)) for c in columns}
    if total is not None:
        out[total] = len(frame)
    return out


def _concat(parts) -> pd.DataFrame:
    """One tidy frame of the parts' rows, in order (column types inferred over all rows, as one frame)."""
    return tidy_frame([r for p in parts for r in p.to_dict("records")])


def _result(ctx: AnalysisContext, analysis: Analysis, rows: pd.DataFrame, column_n: dict[str, int], *,
            records_used: int, excluded=(), notes=(), frames=None, extra=None) -> AnalysisResult:
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          rows, group_n=ctx.column_counts(analysis), records_used=records_used,
                          excluded=tuple(excluded), notes=tuple(notes), frames=frames or {},
                          extra={"column_n": column_n, **(extra or {})})


def disposition(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Every subject of the population counted once among completed / discontinued (by reason) / other status /
    ongoing, per column (template DST01)."""
    frame, columns, total = _subject_frame(ctx, analysis)
    frame = derive_disposition(frame)
    treated = None
    if "SAFFL" in frame.columns:
        frame = frame.assign(_treated=frame["SAFFL"].astype("string").eq("Y").fillna(False).astype(bool))
        treated = "_treated"
    rows = summarize_disposition(frame, columns, group=COLUMN, total=total, treated=treated)
    return _result(ctx, analysis, rows, _column_n(frame, columns, total), records_used=len(frame),
                   extra={"reasons": tuple(discontinuation_reasons(frame)),
                          "other_statuses": tuple(other_statuses(frame))})


def _flag_indicator(subjects: pd.DataFrame, flag: Optional[str]) -> Optional[pd.Series]:
    """Membership of a population (flag == "Y", case as in ``population_subjects``); None if the flag is absent."""
    if flag is None:
        return pd.Series(True, index=subjects.index)
    col = flag if flag in subjects.columns else {"FASFL": "ITTFL", "ITTFL": "FASFL"}.get(flag, flag)
    if col not in subjects.columns:
        return None
    return subjects[col].astype("string").str.upper().eq("Y").fillna(False).astype(bool)


def populations(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Subjects in each analysis population of the plan, per column; a flag absent from ADSL counts 0 (noted)."""
    frame, columns, total = _subject_frame(ctx, analysis)
    indicators, notes = {}, []
    for i, pop in enumerate(ctx.plan.populations):
        member = _flag_indicator(frame, pop.flag)
        if member is None:
            notes.append(f"{pop.label}: flag {pop.flag} is not in ADSL; no subject counted")
            member = pd.Series(False, index=frame.index)
        frame = frame.assign(**{f"_pop{i}": member})
        indicators[pop.label] = f"_pop{i}"
    rows = summarize_indicators(frame, indicators, columns, group=COLUMN, total=total)
    return _result(ctx, analysis, rows, _column_n(frame, columns, total), records_used=len(frame), notes=notes)


def _baseline_values(ctx: AnalysisContext, name: str) -> pd.Series:
    """Subject-level variable: ADSL column, or ``<PARAMCD>_BL`` = baseline of a derived parameter."""
    subj = ctx.plan.data.subject_variable
    if name in ctx.adsl.columns:
        return ctx.adsl.set_index(subj)[name]
    if name.endswith("_BL") and "adeff" in ctx.derived:
        eff = ctx.derived["adeff"]
        code = name[:-3]
        base = eff[(eff["PARAMCD"] == code) & (eff["ABLFL"] == "Y")]
        return base.drop_duplicates(subj).set_index(subj)["AVAL"]
    return pd.Series(dtype=float)


def demographics(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """n, mean, SD, median, min, max of each continuous variable and counts of each category (template DMT01)."""
    opts = analysis.options
    subj = ctx.plan.data.subject_variable
    frame, columns, total = _subject_frame(ctx, analysis)
    kw = dict(group=COLUMN, total=total)
    rows, descriptive, notes, excluded, categories = [], [], [], [], {}
    for var in opts.continuous:
        values = _baseline_values(ctx, var)
        if values.empty:
            notes.append(f"{var}: not available in the data")
            continue
        label = opts.labels.get(var, var)
        numeric = pd.to_numeric(values.reindex(frame[subj]), errors="coerce").to_numpy(dtype=float)
        part = summarize_continuous(frame.assign(_value=numeric), "_value", columns, label=label, **kw)
        descriptive.append(part)
        rows.append(part[part["statistic"].isin(DEMOGRAPHIC_ROW_STATISTICS)])
        if np.isnan(numeric).any():
            excluded.append(Exclusion(f"no {label} value (left out of its statistics)", int(np.isnan(numeric).sum()),
                                      "subjects"))
    for var in opts.categorical:
        values = _baseline_values(ctx, var)
        if values.empty:
            notes.append(f"{var}: not available in the data")
            continue
        label = opts.labels.get(var, var)
        levels = category_values(values).reindex(frame[subj]).to_numpy()
        part = summarize_categories(frame.assign(_value=levels), "_value", columns, label=label, **kw)
        rows.append(part)
        categories[label] = tuple(category_levels(pd.Series(levels)))
    return _result(ctx, analysis, _concat(rows), _column_n(frame, columns, total), records_used=len(frame),
                   excluded=excluded, notes=notes, frames={"descriptive": _concat(descriptive)},
                   extra={"categories": categories})


def _product_summaries(frame: pd.DataFrame, name: str, columns: list[str], kw: dict) -> tuple[list, list]:
    """(count rows, descriptive rows) of one product: subjects treated and administrations k (count rows);
    administrations and cumulative dose of the subjects treated with it (descriptive rows)."""
    treated = frame[frame[ADMINISTRATIONS] > 0]
    counts = summarize_administration_counts(frame, columns, product=name, **kw)
    desc = [summarize_continuous(treated, ADMINISTRATIONS, columns, label="administrations", **kw),
            summarize_continuous(treated, CUMULATIVE_DOSE, columns, label="cumulative dose", **kw)]
    return [counts], [d.assign(parameter=name) for d in desc]


def _exposure_by_product(frame: pd.DataFrame, adex: pd.DataFrame, subj: str, columns: list[str], kw: dict):
    """Per product in its own unit: (count rows, descriptive rows, exclusions, extra)."""
    problems = find_exposure_problems({"adex": adex})
    if problems:
        raise DataContractError(problems)
    units = product_units(adex)
    per = derive_product_exposure(frame, adex, subject=subj)
    rows, descriptive, excluded, not_collected = [], [], [], []
    for name, part in per.groupby(PRODUCT, sort=False):
        counts, desc = _product_summaries(part, name, columns, kw)
        rows += counts
        descriptive += desc
        treated = part[ADMINISTRATIONS] > 0
        if treated.any() and not (part[DOSE_RECORDS] > 0).any():
            not_collected.append(name)
        missing = int((treated & part[CUMULATIVE_DOSE].isna()).sum())
        if missing and name not in not_collected:
            excluded.append(Exclusion(f"{name}: EXDOSE missing on some or all of the subject's records (left out of "
                                      f"the cumulative dose of {name})", missing, "subjects"))
    extra = {"products": tuple(per[PRODUCT].drop_duplicates()), "dose_units": {p: units[p] for p in units},
             "dose_not_collected": tuple(not_collected)}
    return rows, descriptive, excluded, extra


def _course_summaries(frame: pd.DataFrame, adex: pd.DataFrame, subj: str, courses, columns: list[str], kw: dict):
    """(count rows, descriptive rows, notes, extra) of the plan's courses: subjects treated in the course and their
    administrations in it (records of the course's product within its study days)."""
    study_day = derive_study_day(frame, adex, subject=subj)
    if study_day is None:
        return [], [], ["courses not counted: ADEX has no EXSTDY and ADSL no TRTSDT to compute the study day"], {}
    rows, desc, info = [], [], []
    for i, course in enumerate(courses, start=1):
        prefix = f"course {i}: "
        part = count_course_administrations(frame, adex, study_day, product=course.product, days=course.days,
                                            subject=subj)
        rows.append(summarize_administration_counts(part, columns, product=course.product, max_rows=0,
                                                    prefix=prefix, **kw))
        desc.append(summarize_continuous(part[part[ADMINISTRATIONS] > 0], ADMINISTRATIONS, columns,
                                         label=f"{prefix}administrations", **kw).assign(parameter=course.product))
        info.append((prefix, course.label, course.product, tuple(course.days)))
    return rows, desc, [], {"courses": tuple(info)}


def exposure(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Per product (ADEX EXTRT) in its own unit: subjects treated, administrations received (distribution, mean,
    median) and cumulative dose; then the treatment duration (template EXT01, one block per EXTRT). Doses of
    different products are never added; a product whose dose was never recorded is shown without a dose."""
    subj = ctx.plan.data.subject_variable
    frame, columns, total = _subject_frame(ctx, analysis)
    kw = dict(group=COLUMN, total=total)
    adex = ctx.datasets.get("adex")
    has_adex = adex is not None and len(adex) > 0
    has_dates = {"TRTSDT", "TRTEDT"} <= set(frame.columns)
    if not has_adex and not has_dates:
        return not_estimable_result(analysis, "neither ADEX nor ADSL TRTSDT/TRTEDT is available",
                                    group_n=ctx.column_counts(analysis))
    rows, descriptive, excluded, notes, extra = [], [], [], [], {"adex_supplied": has_adex}
    if has_adex:
        rows, descriptive, excluded, more = _exposure_by_product(frame, adex, subj, columns, kw)
        extra.update(more)
        c_rows, c_desc, notes, more = _course_summaries(frame, adex, subj, analysis.options.courses, columns, kw)
        rows, descriptive = rows + c_rows, descriptive + c_desc
        extra.update(more)
        outside = int((~adex[subj].isin(frame[subj])).sum())
        if outside:
            excluded.insert(0, Exclusion(f"subject not in the {ctx.plan.population(analysis.population).label} "
                                         "population", outside, "ADEX records"))
    if has_dates:
        frame = derive_treatment_duration(frame)
        descriptive.append(summarize_continuous(frame, DURATION_DAYS, columns, label="treatment duration days", **kw))
        no_dates = int(frame[DURATION_DAYS].isna().sum())
        if no_dates:
            excluded.append(Exclusion("TRTSDT or TRTEDT missing (left out of the treatment duration)", no_dates,
                                      "subjects"))
    descriptive = _concat(descriptive)
    kept = {"administrations": "mean", "cumulative dose": "mean", "treatment duration days": "median"}
    kept.update({f"{c[0]}administrations": "mean" for c in extra.get("courses", ())})
    rows.append(descriptive[descriptive["statistic"] == descriptive["label"].map(kept)])
    used = int(adex[subj].isin(frame[subj]).sum()) if has_adex else len(frame)
    return _result(ctx, analysis, _concat(rows), _column_n(frame, columns, total), records_used=used,
                   excluded=excluded, notes=notes, frames={"descriptive": descriptive}, extra=extra)
