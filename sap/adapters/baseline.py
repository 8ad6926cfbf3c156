"""Disposition, analysis populations, demographics/baseline characteristics and exposure (CSR section 14.1).

Descriptive tables as in the pharmaverse templates DST01, DMT01 and EXT01 (chevron): subjects counted per
treatment group with a Total column; percentages of the population N of each column. Every ADSL subject is
accounted for: subjects without a treatment assignment (screen failures) get their own column.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.spec import Analysis

from ._common import data_footnote, describe, fmt_n_pct, fmt_num, group_header, population_footnote

TOTAL = "Total"
UNASSIGNED = "Not assigned"


def _columns(ctx: AnalysisContext, subjects: pd.DataFrame, phase) -> list[tuple[str, pd.DataFrame]]:
    cols = [(g, subjects[subjects["ARMLABEL"] == g]) for g in ctx.group_order(phase)]
    unassigned = subjects[subjects["ARMLABEL"].isna()]
    if len(unassigned):
        cols.append((UNASSIGNED, unassigned))
    if len(cols) > 1:
        cols.append((TOTAL, subjects))
    return cols


def _status(adsl: pd.DataFrame) -> pd.Series:
    """COMPLETED / DISCONTINUED / ONGOING per subject from EOSSTT, or DCDECOD/DISCONFL (CDISC pilot)."""
    if "EOSSTT" in adsl.columns:
        s = adsl["EOSSTT"].astype("string").str.upper().str.strip()
        return s.fillna("ONGOING").replace({"": "ONGOING"})
    if "DCDECOD" in adsl.columns:
        d = adsl["DCDECOD"].astype("string").str.upper().str.strip()
        return pd.Series(np.where(d == "COMPLETED", "COMPLETED", np.where(d.isna() | (d == ""), "ONGOING",
                                                                            "DISCONTINUED")), index=adsl.index)
    return pd.Series("UNKNOWN", index=adsl.index)


def _reason(adsl: pd.DataFrame) -> pd.Series:
    for col in ("DCSREAS", "DCREASCD", "DCDECOD"):
        if col in adsl.columns:
            return adsl[col].astype("string").str.strip().fillna("Not recorded").replace({"": "Not recorded"})
    return pd.Series("Not recorded", index=adsl.index)


def disposition(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    subjects = ctx.analysis_subjects(analysis)
    cols = _columns(ctx, subjects, analysis.phase)
    status = _status(ctx.adsl)
    reason = _reason(ctx.adsl)
    rows, tidy = [], []

    def add(label: str, fn, indent: int = 0):
        row = {"Category": ("  " * indent) + label}
        for name, sub in cols:
            n = int(fn(sub).sum())
            row[group_header(name, len(sub))] = fmt_n_pct(n, len(sub))
            tidy.append(dict(group=name, statistic="count", estimate=n, n=len(sub), label=label))
        rows.append(row)

    add("Enrolled", lambda s: pd.Series(True, index=s.index))
    if "SAFFL" in ctx.adsl.columns:
        add("Treated (safety population)", lambda s: s["SAFFL"].astype("string").eq("Y"))
    add("Completed the study", lambda s: status.loc[s.index].eq("COMPLETED"))
    add("Discontinued the study", lambda s: status.loc[s.index].eq("DISCONTINUED"))
    disc = status.eq("DISCONTINUED")
    for r in sorted(reason[disc & ctx.adsl.index.isin(subjects.index)].unique()):
        add(str(r), lambda s, r=r: status.loc[s.index].eq("DISCONTINUED") & reason.loc[s.index].eq(r), indent=1)
    add("Ongoing / status not recorded", lambda s: ~status.loc[s.index].isin(["COMPLETED", "DISCONTINUED"]))
    table = DisplayTable(
        title=analysis.title, frame=pd.DataFrame(rows), stub_columns=("Category",),
        footnotes=(population_footnote(ctx, analysis),
                   "Completed + discontinued + ongoing = enrolled in every column (each subject counted once).",
                   data_footnote(ctx)))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table])


def populations(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    subjects = ctx.analysis_subjects(analysis)
    cols = _columns(ctx, subjects, analysis.phase)
    rows, tidy = [], []
    for pop in ctx.plan.populations:
        row = {"Population": pop.label}
        for name, sub in cols:
            if pop.flag is None:
                n = len(sub)
            else:
                flag = pop.flag if pop.flag in sub.columns else {"FASFL": "ITTFL", "ITTFL": "FASFL"}.get(pop.flag, pop.flag)
                n = int(sub[flag].astype("string").eq("Y").sum()) if flag in sub.columns else 0
            row[group_header(name, len(sub))] = fmt_n_pct(n, len(sub))
            tidy.append(dict(group=name, statistic="count", estimate=n, n=len(sub), label=pop.label))
        rows.append(row)
    defs = tuple(f"{p.label}: {p.definition}" for p in ctx.plan.populations)
    table = DisplayTable(analysis.title, pd.DataFrame(rows), footnotes=defs + (data_footnote(ctx),),
                         stub_columns=("Population",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table])


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


def demographics(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    subj = ctx.plan.data.subject_variable
    subjects = ctx.analysis_subjects(analysis)
    cols = _columns(ctx, subjects, analysis.phase)
    rows, tidy = [], []
    headers = [group_header(name, len(sub)) for name, sub in cols]
    notes = []
    for var in opts.continuous:
        values = _baseline_values(ctx, var)
        if values.empty:
            notes.append(f"{var}: not available in the data")
            continue
        label = opts.labels.get(var, var)
        stats = {name: describe(pd.to_numeric(values.reindex(sub[subj]), errors="coerce")) for name, sub in cols}
        for stat_label, key, fmt in (("n", "n", lambda d: f"{d['n']}"),
                                     ("Mean (SD)", "mean", lambda d: f"{fmt_num(d['mean'], 1)} ({fmt_num(d['sd'], 2)})"),
                                     ("Median", "median", lambda d: fmt_num(d["median"], 1)),
                                     ("Min, Max", "min", lambda d: f"{fmt_num(d['min'], 1)}, {fmt_num(d['max'], 1)}")):
            row = {"Characteristic": label, "Statistic": stat_label}
            for (name, sub), h in zip(cols, headers):
                row[h] = fmt(stats[name]) if stats[name]["n"] else ""
            rows.append(row)
        for name, _ in cols:
            d = stats[name]
            tidy.append(dict(group=name, statistic="mean", estimate=d["mean"], se=d["se"], n=d["n"], label=label))
            tidy.append(dict(group=name, statistic="sd", estimate=d["sd"], n=d["n"], label=label))
            tidy.append(dict(group=name, statistic="median", estimate=d["median"], n=d["n"], label=label))
    for var in opts.categorical:
        values = _baseline_values(ctx, var)
        if values.empty:
            notes.append(f"{var}: not available in the data")
            continue
        label = opts.labels.get(var, var)
        values = values.astype("string").fillna("Missing").replace({"": "Missing"})
        levels = sorted(values.reindex(subjects[subj]).fillna("Missing").unique())
        for level in levels:
            row = {"Characteristic": label, "Statistic": str(level)}
            for (name, sub), h in zip(cols, headers):
                n = int((values.reindex(sub[subj]).fillna("Missing") == level).sum())
                row[h] = fmt_n_pct(n, len(sub))
                tidy.append(dict(group=name, statistic="count", estimate=n, n=len(sub), label=f"{label}: {level}"))
            rows.append(row)
    footnotes = (population_footnote(ctx, analysis), "SD: standard deviation. Percentages of the column N.",
                 *notes, data_footnote(ctx))
    table = DisplayTable(analysis.title, pd.DataFrame(rows), footnotes=footnotes,
                         stub_columns=("Characteristic", "Statistic"), group_column="Characteristic")
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table], notes=notes)


def exposure(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    subj = ctx.plan.data.subject_variable
    subjects = ctx.analysis_subjects(analysis)
    cols = _columns(ctx, subjects, analysis.phase)
    rows, tidy = [], []
    headers = [group_header(name, len(sub)) for name, sub in cols]
    adex = ctx.datasets.get("adex")
    if adex is not None and len(adex):
        n_inf = adex.groupby(subj).size()
        dose = pd.to_numeric(adex["EXDOSE"], errors="coerce").groupby(adex[subj]).sum() if "EXDOSE" in adex else None
        unit = str(adex["EXDOSU"].dropna().iloc[0]) if "EXDOSU" in adex and adex["EXDOSU"].notna().any() else ""
        per_subject = {name: n_inf.reindex(sub[subj]).fillna(0).astype(int) for name, sub in cols}
        max_n = int(max((s.max() for s in per_subject.values() if len(s)), default=0))
        for k in range(0, max_n + 1):
            row = {"Parameter": "Number of infusions received", "Statistic": str(k)}
            for (name, sub), h in zip(cols, headers):
                n = int((per_subject[name] == k).sum())
                row[h] = fmt_n_pct(n, len(sub))
                tidy.append(dict(group=name, statistic="count", estimate=n, n=len(sub), label=f"infusions={k}"))
            rows.append(row)
        row = {"Parameter": "Number of infusions received", "Statistic": "Mean (SD)"}
        for (name, sub), h in zip(cols, headers):
            d = describe(per_subject[name])
            row[h] = f"{fmt_num(d['mean'], 2)} ({fmt_num(d['sd'], 2)})" if d["n"] else ""
            tidy.append(dict(group=name, statistic="mean", estimate=d["mean"], se=d["se"], n=d["n"], label="infusions"))
        rows.append(row)
        if dose is not None:
            row = {"Parameter": f"Cumulative dose ({unit})".replace(" ()", ""), "Statistic": "Mean (SD)"}
            for (name, sub), h in zip(cols, headers):
                d = describe(dose.reindex(sub[subj]).dropna())
                row[h] = f"{fmt_num(d['mean'], 2)} ({fmt_num(d['sd'], 2)})" if d["n"] else ""
                tidy.append(dict(group=name, statistic="mean", estimate=d["mean"], se=d["se"], n=d["n"],
                                 label="cumulative dose"))
            rows.append(row)
        source = "ADEX (one record per infusion)"
    else:
        source = "ADSL TRTSDT/TRTEDT (no ADEX supplied)"
    if {"TRTSDT", "TRTEDT"} <= set(ctx.adsl.columns):
        dur = (pd.to_datetime(ctx.adsl["TRTEDT"]) - pd.to_datetime(ctx.adsl["TRTSDT"])).dt.days + 1
        dur.index = ctx.adsl[subj]
        row = {"Parameter": "Treatment duration (days, first to last dose)", "Statistic": "Median (min, max)"}
        for (name, sub), h in zip(cols, headers):
            d = describe(dur.reindex(sub[subj]).dropna())
            row[h] = f"{fmt_num(d['median'], 0)} ({fmt_num(d['min'], 0)}, {fmt_num(d['max'], 0)})" if d["n"] else ""
            tidy.append(dict(group=name, statistic="median", estimate=d["median"], n=d["n"], label="treatment duration days"))
        rows.append(row)
    table = DisplayTable(analysis.title, pd.DataFrame(rows),
                         footnotes=(population_footnote(ctx, analysis), f"Source: {source}.", data_footnote(ctx)),
                         stub_columns=("Parameter", "Statistic"), group_column="Parameter")
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table])
