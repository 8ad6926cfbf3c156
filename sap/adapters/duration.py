"""Duration of response, time to response and ADTTE time-to-event analyses (pharmaverse TTET01 / DORT01).

Kaplan-Meier via :mod:`analyses.duration` (lifelines), medians and quartiles with Brookmeyer-Crowley CIs
(log-log by default, as SAS LIFETEST), event-free rates, restricted mean, log-rank test and Cox hazard ratio
(Efron ties; SAS PHREG TIES=EFRON, R ``coxph``) versus the reference arm; for duration of response also the mean
duration as Wang 2013 reports it (:func:`analyses.duration_summary.mean_response_duration`).

Each adapter returns an :class:`~sap.results.AnalysisResult`: the tidy rows, the Cox fits' convergence and
warnings (:mod:`analyses.cox`; recorded, never silenced; a monotone likelihood or a fit that did not converge
leaves a hazard-ratio row marked ``not_estimable`` with its reason while the log-rank and Kaplan-Meier rows stand,
or, with the plan option ``cox_fallback: [firth]``, a Firth hazard ratio with a note), the analysed subjects per
group (``extra["analysed"]``) and the figure frames ``km_curve``, ``at_risk`` and (duration of response)
``episodes``. The derived ADDUR/ADONSET times are in weeks; ``time_unit: days`` converts them (x 7).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pandas as pd

from analyses.duration import compute_km_table, compute_n_at_risk
from analyses.duration_summary import mean_response_duration, summarize_time_to_event
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.results import AnalysisResult
from sap.spec import Analysis

from ._common import concat_tidy, select_frame

#: length of one time unit in weeks (the unit of the derived ADDUR / ADONSET times)
UNIT_PER_WEEK = {"weeks": 1.0, "days": 7.0}
_COLUMNS = dict(time_col="AVAL", event_col="EVENT", group_col="ARMLABEL")


def derive_km_frames(frame: pd.DataFrame, groups, at_times, conf_type: str, level: float) -> dict[str, pd.DataFrame]:
    """Figure frames ``km_curve`` (a start row at time 0, then each KM step) and ``at_risk`` per group."""
    curves, risk = [], []
    for g in groups:
        sub = frame[frame["ARMLABEL"] == g]
        if sub.empty:
            continue
        t = sub["AVAL"].to_numpy(float)
        table = compute_km_table(t, sub["EVENT"].to_numpy(int), level, conf_type)
        curves.append(pd.DataFrame({"group": g, "time": [0.0], "survival": [1.0], "ci_lower": [1.0],
                                    "ci_upper": [1.0], "censored": [False]}))
        curves.append(pd.DataFrame({"group": g, "time": table["time"], "survival": table["surv"],
                                    "ci_lower": table["lower"], "ci_upper": table["upper"],
                                    "censored": table["n_censor"] > 0}))
        risk.append(pd.DataFrame({"group": g, "time": list(at_times), "n_at_risk": compute_n_at_risk(t, at_times)}))
    if not curves:
        return {}
    return {"km_curve": pd.concat(curves, ignore_index=True), "at_risk": pd.concat(risk, ignore_index=True)}


def derive_at_risk_grid(max_time: float, step: float | None = None) -> list[float]:
    """Times of the numbers-at-risk row: 0 to past ``max_time`` in about six round steps."""
    if not np.isfinite(max_time) or max_time <= 0:
        return [0.0]
    if step is None:
        raw = max_time / 6
        step = min((s for s in (1, 2, 4, 5, 10, 20, 25, 50, 100) if s >= raw), default=raw)
    return [float(x) for x in np.arange(0, max_time + step, step)]


def summarize_groups(frame: pd.DataFrame, opts, groups: list, reference, include_mean: bool):
    """(tidy parts, Cox convergence per comparison, Cox warnings, Cox notes): per-group KM summaries, then each
    group versus ``reference`` (log-rank and hazard ratio) when ``reference`` is given, then the Wang 2013 mean."""
    parts = [summarize_time_to_event(frame, **_COLUMNS, level=opts.level, conf_type=opts.conf_type,
                                     time_points=opts.timepoints, tau=opts.tau).tidy()]
    converged, warnings, notes = [], [], []
    for g in groups if reference is not None else ():
        if g == reference:
            continue
        cmp = summarize_time_to_event(frame[frame["ARMLABEL"].isin([g, reference])], **_COLUMNS, group=g,
                                      comparator=reference, level=opts.level, conf_type=opts.conf_type,
                                      cox_fallback=opts.cox_fallback)
        t = cmp.tidy()
        parts.append(t[t["statistic"].isin(["logrank_test", "hazard_ratio"])])
        if cmp.converged is not None:
            converged.append(cmp.converged)
        warnings += [f"Cox fit {g} vs {reference}: {w}" for w in cmp.warnings]
        notes += [f"Cox fit {g} vs {reference}: {n}" for n in cmp.notes]
    if include_mean:
        mean = mean_response_duration(frame, **_COLUMNS, level=opts.level).tidy()
        parts.append(mean[mean["statistic"] == "mean_duration"])
    return parts, converged, warnings, notes


def compute_duration_result(ctx: AnalysisContext, analysis: Analysis, frame: pd.DataFrame, *,
                            at_risk_times=(), include_mean: bool = False) -> AnalysisResult:
    """The result of one Kaplan-Meier analysis of ``frame`` (AVAL = time, EVENT = 1 event / 0 censored)."""
    opts = analysis.options
    counts = ctx.column_counts(analysis)
    groups = [g for g in counts if (frame["ARMLABEL"] == g).any()]
    reference = ctx.reference_group(analysis.phase)
    compared = reference if (opts.compare and reference in groups and not ctx.blinded) else None
    parts, converged, warnings, notes = (summarize_groups(frame, opts, groups, compared, include_mean)
                                         if not frame.empty else ([], [], [], []))
    max_t = float(frame["AVAL"].max()) if not frame.empty else 0.0
    frames = derive_km_frames(frame, groups, list(at_risk_times) or derive_at_risk_grid(max_t), opts.conf_type,
                              opts.level)
    return AnalysisResult(
        analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint, concat_tidy(parts),
        level=opts.level, group_n=counts, reference=compared, frames=frames,
        converged=all(converged) if converged else None, warnings=tuple(warnings), notes=tuple(notes),
        records_used=len(frame),
        extra={"analysed": {g: int((frame["ARMLABEL"] == g).sum()) for g in counts}})


def derive_episodes(recs: pd.DataFrame, subj: str, unit_per_week: float) -> pd.DataFrame:
    """Swimmer frame ``episodes``: one response episode per subject, start = study time of onset."""
    start = (recs["ONSETDY"].astype(float) - 1) / 7 * unit_per_week
    return pd.DataFrame({"subject": recs[subj].to_numpy(), "group": recs["ARMLABEL"].to_numpy(),
                         "start": start.to_numpy(), "end": (start + recs["AVAL"].astype(float)).to_numpy(),
                         "event": recs["EVENT"].astype(int).astype(bool).to_numpy(),
                         "ongoing": (recs["EVENT"].astype(int) == 0).to_numpy()})


def _in_unit(recs: pd.DataFrame, unit_per_week: float) -> pd.DataFrame:
    recs = recs.copy()
    recs["AVAL"] = recs["AVAL"].astype(float) * unit_per_week
    return recs


def response_duration(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Duration of response among responders (ADDUR); also the Wang 2013 mean duration and the swimmer frame."""
    opts = analysis.options
    scale = UNIT_PER_WEEK[opts.time_unit]
    recs = _in_unit(select_frame(ctx, analysis), scale)
    result = compute_duration_result(ctx, analysis, recs, include_mean=True)
    if recs.empty:
        return result
    episodes = derive_episodes(recs, ctx.plan.data.subject_variable, scale)
    return replace(result, frames={**result.frames, "episodes": episodes})


def time_to_response(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Time from the first infusion to the first response (ADONSET), all subjects."""
    opts = analysis.options
    recs = select_frame(ctx, analysis)
    return compute_duration_result(ctx, analysis, _in_unit(recs, UNIT_PER_WEEK[opts.time_unit]))


def check_tte_records(recs: pd.DataFrame, analysis: Analysis, dataset: str, time_col: str, cnsr_col: str,
                      subject: str) -> None:
    """Raise UserInputError naming the dataset, column and subjects when times or censoring flags are unusable."""
    for col in (time_col, cnsr_col):
        if col not in recs.columns:
            raise UserInputError(f"analysis {analysis.id}: dataset {dataset} has no column {col!r} "
                                 f"(options.{'time_variable' if col == time_col else 'censor_variable'})")
    time = pd.to_numeric(recs[time_col], errors="coerce")
    cnsr = pd.to_numeric(recs[cnsr_col], errors="coerce")
    for col, bad, what in ((time_col, ~np.isfinite(time) | (time < 0), "a finite time >= 0"),
                           (cnsr_col, ~cnsr.isin([0, 1]), "0 (event) or 1 (censored)")):
        if bad.any():
            who = ", ".join(map(str, recs.loc[bad, subject].head(10)))
            raise UserInputError(f"analysis {analysis.id}: dataset {dataset} column {col!r} must be {what}; "
                                 f"{int(bad.sum())} record(s) are not (subjects {who})")


def time_to_event(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Kaplan-Meier analysis of one ADTTE parameter (time ``time_variable``, event = ``censor_variable`` = 0)."""
    opts = analysis.options
    recs = select_frame(ctx, analysis).copy()
    dataset = (analysis.data.dataset if analysis.data else "adtte").lower()
    check_tte_records(recs, analysis, dataset, opts.time_variable, opts.censor_variable,
                      ctx.plan.data.subject_variable)
    recs["AVAL"] = pd.to_numeric(recs[opts.time_variable])
    recs["EVENT"] = 1 - pd.to_numeric(recs[opts.censor_variable]).astype(int)
    return compute_duration_result(ctx, analysis, recs, at_risk_times=opts.at_risk_times)
