"""Descriptive statistics of a continuous endpoint by group and visit (pharmaverse CFBT01 / LBT01 style).

n, mean, SD, median, min and max of the value (AVAL at baseline; AVAL, CHG or PCHG after baseline as the
plan states) over the analysed record of each subject and visit (ANL01FL = "Y").
"""
from __future__ import annotations

import pandas as pd

from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.spec import Analysis

from ._common import (data_footnote, describe, endpoint_parameter, endpoint_visits, fmt_num, group_header,
                      population_footnote, selected_records, visit_label)

VALUE_LABEL = {"AVAL": "Value", "CHG": "Change from baseline", "PCHG": "Percent change from baseline"}


def endpoint_records(ctx: AnalysisContext, analysis: Analysis) -> pd.DataFrame:
    """Analysed records (ANL01FL = Y) of the analysis' endpoint at baseline and the endpoint's visits."""
    code = endpoint_parameter(ctx, analysis)
    recs = selected_records(ctx, analysis, "adeff", f"PARAMCD == {code!r}")
    if "ANL01FL" in recs.columns:
        recs = recs[recs["ANL01FL"].astype("string") == "Y"]
    visits = endpoint_visits(ctx, analysis)
    if visits and analysis.data is None:
        recs = recs[recs["AVISITN"].isin((0.0,) + tuple(visits))]
    return recs


def continuous_summary(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    subj = ctx.plan.data.subject_variable
    recs = endpoint_records(ctx, analysis)
    counts = ctx.column_counts(analysis)
    groups = list(counts)
    ep = ctx.plan.endpoint(analysis.endpoint)
    unit = f" ({ep.unit})" if ep.unit else ""
    rows, tidy = [], []
    visits = sorted(recs["AVISITN"].dropna().unique())
    for v in visits:
        at = recs[recs["AVISITN"] == v]
        col = "AVAL" if (v == 0 or opts.value not in at.columns) else opts.value
        if v == 0 and not opts.include_baseline:
            continue
        what = "Baseline value" if v == 0 else VALUE_LABEL[col]
        stats = {g: describe(pd.to_numeric(at.loc[at["ARMLABEL"] == g, col], errors="coerce")) for g in groups}
        for stat_label, fmt in (("n", lambda d: f"{d['n']}"),
                                ("Mean (SD)", lambda d: f"{fmt_num(d['mean'], 2)} ({fmt_num(d['sd'], 2)})"),
                                ("Median", lambda d: fmt_num(d["median"], 2)),
                                ("Min, Max", lambda d: f"{fmt_num(d['min'], 2)}, {fmt_num(d['max'], 2)}")):
            row = {"Visit": visit_label(ctx, v), "Statistic": f"{what}: {stat_label}"}
            for g in groups:
                row[group_header(g, counts[g])] = fmt(stats[g]) if stats[g]["n"] else ""
            rows.append(row)
        for g in groups:
            d = stats[g]
            base = dict(group=g, visit=float(v), n=d["n"], label=f"{ep.label}{unit}: {what}", value=col)
            tidy.append(dict(base, statistic="mean", estimate=d["mean"], se=d["se"]))
            tidy.append(dict(base, statistic="sd", estimate=d["sd"]))
            tidy.append(dict(base, statistic="median", estimate=d["median"]))
            tidy.append(dict(base, statistic="min", estimate=d["min"]))
            tidy.append(dict(base, statistic="max", estimate=d["max"]))
    table = DisplayTable(f"{analysis.title}: {ep.label}{unit}", pd.DataFrame(rows),
                         footnotes=(population_footnote(ctx, analysis),
                                    "Observed values of the analysed record per subject and visit; no imputation. "
                                    "SD: standard deviation.", data_footnote(ctx)),
                         stub_columns=("Visit", "Statistic"), group_column="Visit")
    traj_col = "AVAL"
    traj = recs[[subj, "ARMLABEL", "AVISITN", traj_col]].rename(
        columns={subj: "subject", "ARMLABEL": "group", "AVISITN": "visit", traj_col: "value"})
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table], figure_data={"trajectories": traj.reset_index(drop=True)})
