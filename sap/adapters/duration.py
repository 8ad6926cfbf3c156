"""Duration of response, time to response and ADTTE time-to-event analyses (pharmaverse TTET01 / DORT01).

Kaplan-Meier via :mod:`analyses.duration` (lifelines), medians and quartiles with Brookmeyer-Crowley CIs
(log-log by default, as SAS LIFETEST), event-free rates, restricted mean, log-rank test and Cox hazard ratio
(Efron ties) versus the reference arm; for duration of response also the mean duration as Wang 2013 reports
it (:func:`analyses.duration_summary.mean_response_duration`).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.duration import compute_km_table, compute_n_at_risk
from analyses.duration_summary import mean_response_duration, summarize_time_to_event
from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.spec import Analysis

from ._common import concat_tidy, data_footnote, fmt_ci, fmt_num, fmt_p, group_header, population_footnote, selected_records


def _km_figure(frame: pd.DataFrame, groups, at_times, conf_type: str, level: float) -> dict[str, pd.DataFrame]:
    curves, risk = [], []
    for g in groups:
        sub = frame[frame["ARMLABEL"] == g]
        if sub.empty:
            continue
        t = sub["AVAL"].to_numpy(float)
        e = sub["EVENT"].to_numpy(int)
        table = compute_km_table(t, e, level, conf_type)
        curves.append(pd.DataFrame({"group": g, "time": [0.0], "survival": [1.0], "ci_lower": [1.0],
                                    "ci_upper": [1.0], "censored": [False]}))
        curves.append(pd.DataFrame({"group": g, "time": table["time"], "survival": table["surv"],
                                    "ci_lower": table["lower"], "ci_upper": table["upper"],
                                    "censored": table["n_censor"] > 0}))
        risk.append(pd.DataFrame({"group": g, "time": list(at_times), "n_at_risk": compute_n_at_risk(t, at_times)}))
    if not curves:
        return {}
    return {"km_curve": pd.concat(curves, ignore_index=True), "at_risk": pd.concat(risk, ignore_index=True)}


def _grid(max_time: float, step: float | None = None) -> list[float]:
    if not np.isfinite(max_time) or max_time <= 0:
        return [0.0]
    if step is None:
        raw = max_time / 6
        step = min((s for s in (1, 2, 4, 5, 10, 20, 25, 50, 100) if s >= raw), default=raw)
    return [float(x) for x in np.arange(0, max_time + step, step)]


def _summary_table(ctx, analysis, tidy: pd.DataFrame, counts: dict, unit: str, extra_rows=()) -> pd.DataFrame:
    rows = []
    groups = list(counts)

    def cell(g, stat, label=None, fmt=None, time=None):
        r = tidy[(tidy["group"] == g) & (tidy["statistic"] == stat)]
        if label is not None:
            r = r[r["label"] == label]
        if time is not None:
            r = r[r["time"] == time]
        return fmt(r.iloc[0]) if len(r) else ""

    def est_ci(r, digits=1):
        return f"{fmt_num(r['estimate'], digits) or 'NE'} {fmt_ci(r['ci_lower'], r['ci_upper'], digits)}"

    spec = [("Subjects", lambda g: cell(g, "count", "subjects", lambda r: f"{int(r['estimate'])}")),
            ("Events", lambda g: cell(g, "count", "events", lambda r: f"{int(r['estimate'])}")),
            (f"Median ({unit}) (95% CI)", lambda g: cell(g, "median", None, est_ci)),
            (f"25th percentile ({unit}) (95% CI)", lambda g: cell(g, "quantile", "Q1", est_ci)),
            (f"75th percentile ({unit}) (95% CI)", lambda g: cell(g, "quantile", "Q3", est_ci))]
    times = sorted(tidy.loc[tidy["statistic"] == "survival_rate", "time"].dropna().unique())
    for t in times:
        spec.append((f"Event-free rate at {t:g} {unit} (95% CI)",
                     lambda g, t=t: cell(g, "survival_rate", None, lambda r: est_ci(r, 3), time=t)))
    if (tidy["statistic"] == "rmst").any():
        spec.append((f"Restricted mean ({unit}) (SE)",
                     lambda g: cell(g, "rmst", None, lambda r: f"{fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)})")))
    spec += list(extra_rows)
    for label, fn in spec:
        row = {"Statistic": label}
        for g in groups:
            row[group_header(g, counts[g])] = fn(g)
        rows.append(row)
    for _, r in tidy[tidy["statistic"] == "hazard_ratio"].iterrows():
        lr = tidy[(tidy["statistic"] == "logrank_test") & (tidy["group"] == r["group"])]
        row = {"Statistic": f"{r['group']} vs {r['comparator']}: hazard ratio (95% CI); log-rank p"}
        row[group_header(groups[0], counts[groups[0]])] = (
            f"{fmt_num(r['estimate'], 2)} {fmt_ci(r['ci_lower'], r['ci_upper'], 2)}; "
            f"p = {fmt_p(lr['p_value'].iloc[0]) if len(lr) else ''}")
        rows.append(row)
    return pd.DataFrame(rows).fillna("")


def _time_to_event(ctx: AnalysisContext, analysis: Analysis, frame: pd.DataFrame, *, unit: str, what: str,
                   opts, denominators: str, include_mean: bool = False) -> AnalysisOutcome:
    counts = ctx.column_counts(analysis)
    groups = [g for g in counts if (frame["ARMLABEL"] == g).any()]
    reference = ctx.reference_group(analysis.phase)
    parts = []
    if not frame.empty:
        res = summarize_time_to_event(frame, time_col="AVAL", event_col="EVENT", group_col="ARMLABEL",
                                      level=opts.level, conf_type=opts.conf_type, time_points=opts.timepoints,
                                      tau=opts.tau)
        parts.append(res.tidy())
        compare = getattr(opts, "compare", False) and reference in groups and not ctx.blinded
        if compare:
            for g in groups:
                if g == reference:
                    continue
                two = frame[frame["ARMLABEL"].isin([g, reference])]
                cmp = summarize_time_to_event(two, time_col="AVAL", event_col="EVENT", group_col="ARMLABEL",
                                              group=g, comparator=reference, level=opts.level,
                                              conf_type=opts.conf_type)
                t = cmp.tidy()
                parts.append(t[t["statistic"].isin(["logrank_test", "hazard_ratio"])])
        if include_mean:
            mean_tidy = mean_response_duration(frame, time_col="AVAL", event_col="EVENT", group_col="ARMLABEL",
                                               level=opts.level).tidy()
            parts.append(mean_tidy[mean_tidy["statistic"] == "mean_duration"])
    tidy = concat_tidy(parts)
    extra = []
    if include_mean:
        extra.append((f"Mean duration ({unit}) (SD-based 95% CI), Wang 2013 definition",
                      lambda g: _cell_mean(tidy, g)))
    denom = {g: int((frame["ARMLABEL"] == g).sum()) for g in counts}
    table_frame = _summary_table(ctx, analysis, tidy, counts, unit, extra) if not frame.empty else \
        pd.DataFrame({"Statistic": [f"No subjects with {what}"]})
    footnotes = (denominators.format(**{"n": ", ".join(f"{g}: {denom[g]}" for g in counts)}),
                 f"Kaplan-Meier estimates; CIs for quantiles by Brookmeyer-Crowley with the {opts.conf_type} "
                 "transform (SAS LIFETEST default); event-free rates with Greenwood SE; restricted mean = area "
                 "under the KM curve up to tau" + (f" = {opts.tau:g} {unit}." if opts.tau else "."),
                 "Hazard ratio from Cox regression (Efron ties), Wald CI; log-rank test." if (tidy["statistic"] ==
                                                                                          "hazard_ratio").any() else "",
                 "NE: not estimable.", population_footnote(ctx, analysis), data_footnote(ctx))
    table = DisplayTable(analysis.title, table_frame, footnotes=tuple(f for f in footnotes if f),
                         stub_columns=("Statistic",))
    max_t = float(frame["AVAL"].max()) if not frame.empty else 0.0
    at_times = list(getattr(opts, "at_risk_times", ()) or ()) or _grid(max_t)
    fig = _km_figure(frame, groups, at_times, opts.conf_type, opts.level)
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy, tables=[table], figure_data=fig)


def _cell_mean(tidy: pd.DataFrame, g) -> str:
    r = tidy[(tidy["group"] == g) & (tidy["statistic"] == "mean_duration")]
    if r.empty:
        return ""
    r = r.iloc[0]
    return f"{fmt_num(r['estimate'], 2)} {fmt_ci(r['ci_lower'], r['ci_upper'], 2)}"


def _episodes(recs: pd.DataFrame, subj: str) -> pd.DataFrame:
    start = (recs["ONSETDY"].astype(float) - 1) / 7
    return pd.DataFrame({"subject": recs[subj].to_numpy(), "group": recs["ARMLABEL"].to_numpy(),
                         "start": start.to_numpy(), "end": (start + recs["AVAL"].astype(float)).to_numpy(),
                         "event": recs["EVENT"].astype(int).astype(bool).to_numpy(),
                         "ongoing": (recs["EVENT"].astype(int) == 0).to_numpy()})


def response_duration(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    recs = selected_records(ctx, analysis, "addur", f"PARAMCD == {opts.response!r}")
    outcome = _time_to_event(ctx, analysis, recs, unit="weeks", what=f"an {opts.response} response", opts=opts,
                             denominators=f"Responders ({opts.response} at any visit) per group: {{n}}. Duration "
                                          "from the first visit with response to the first later visit without it "
                                          "(or rescue/discontinuation under the composite strategy); censored at "
                                          "the last assessment.",
                             include_mean=True)
    if not recs.empty:
        outcome.figure_data["episodes"] = _episodes(recs, ctx.plan.data.subject_variable)
    return outcome


def time_to_response(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    recs = selected_records(ctx, analysis, "adonset", f"PARAMCD == {opts.response!r}")
    return _time_to_event(ctx, analysis, recs, unit="weeks", what="data", opts=opts,
                          denominators=f"Subjects per group: {{n}}. Event = first {opts.response} response; "
                                       "censored at the last assessment, rescue or discontinuation.")


def time_to_event(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    recs = selected_records(ctx, analysis, "adtte", f"PARAMCD == {opts.paramcd!r}").copy()
    recs["AVAL"] = pd.to_numeric(recs[opts.time_variable], errors="coerce")
    recs["EVENT"] = 1 - pd.to_numeric(recs[opts.censor_variable], errors="coerce").astype(int)
    return _time_to_event(ctx, analysis, recs, unit=opts.time_unit, what="data", opts=opts,
                          denominators=f"Subjects per group: {{n}}. Event = {opts.censor_variable} = 0; "
                                       f"time = {opts.time_variable} ({opts.time_unit}).")
