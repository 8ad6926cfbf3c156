"""Descriptive statistics of a continuous endpoint by group and visit (pharmaverse CFBT01 / LBT01 style).

n, mean, SD, median, min and max of the value (AVAL at baseline; AVAL, CHG or PCHG after baseline as the
plan states) over the analysed record of each subject and visit (ANL01FL = "Y"); SAS PROC MEANS / R tern
``analyze_vars``. Missing values are left out of n and recorded as exclusions. Shell:
:mod:`reports.shells.continuous`.
"""
from __future__ import annotations

import pandas as pd

from analyses.descriptive import compute_descriptive
from analyses.results import tidy_frame
from sap.context import AnalysisContext
from sap.results import AnalysisResult, Exclusion
from sap.spec import Analysis

from ._common import TOTAL, analysed_records, pooled_counts

VALUE_LABEL = {"AVAL": "Value", "CHG": "Change from baseline", "PCHG": "Percent change from baseline"}


def endpoint_records(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    """Analysed records (ANL01FL = Y) of the analysis' endpoint at baseline and the endpoint's visits."""
    return analysed_records(ctx, analysis, baseline=True)


def continuous_summary(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """n, mean (se), SD, median, min, max per visit and group (and pooled over the groups, ``Total``, with
    ``options.total``); baseline (AVAL) first when the plan includes it."""
    opts = analysis.options
    subj = ctx.plan.data.subject_variable
    recs = endpoint_records(ctx, analysis)
    counts = ctx.column_counts(analysis)
    column_n = pooled_counts(counts, analysis)
    ep = ctx.plan.endpoint(analysis.endpoint)
    unit = f" ({ep.unit})" if ep.unit else ""
    rows, missing = [], {}
    for v in sorted(recs["AVISITN"].dropna().unique()):
        if v == 0 and not opts.include_baseline:
            continue
        at = recs[recs["AVISITN"] == v]
        col = "AVAL" if (v == 0 or opts.value not in at.columns) else opts.value
        what = "Baseline value" if v == 0 else VALUE_LABEL[col]
        values = pd.to_numeric(at[col], errors="coerce")
        missing[col] = missing.get(col, 0) + int(values[at["ARMLABEL"].isin(counts)].isna().sum())
        for g in column_n:
            d = compute_descriptive(values[at["ARMLABEL"].isin(counts) if g == TOTAL else at["ARMLABEL"] == g])
            base = dict(group=g, visit=float(v), n=d["n"], label=f"{ep.label}{unit}: {what}", value=col)
            rows.append(dict(base, statistic="mean", estimate=d["mean"], se=d["se"]))
            rows += [dict(base, statistic=s, estimate=d[s]) for s in ("sd", "median", "min", "max")]
    traj = recs[[subj, "ARMLABEL", "AVISITN", "AVAL"]].rename(
        columns={subj: "subject", "ARMLABEL": "group", "AVISITN": "visit", "AVAL": "value"})
    excluded = tuple(Exclusion(f"{col} missing", n) for col, n in missing.items() if n)
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          tidy_frame(rows), group_n=column_n, records_used=len(recs), excluded=excluded,
                          frames={"trajectories": traj.reset_index(drop=True)})
