"""3+3 dose escalation: decision history, MTD / recommended Phase 2 dose, and operating characteristics.

:func:`analyses.escalation.run_three_plus_three` applies the plan's rule (seeds' variant; MTD-needs-six and
de-escalation options from the plan) cohort by cohort to the DLT-evaluable subjects in order of first dose;
:func:`analyses.escalation.three_plus_three_oc` gives exact operating characteristics by enumeration and
:func:`analyses.escalation.simulate_three_plus_three` a Monte-Carlo check of them.
"""
from __future__ import annotations

import pandas as pd

from analyses.escalation import cohorts_from_frame, run_three_plus_three, simulate_three_plus_three, three_plus_three_oc
from analyses.results import tidy_frame
from sap.bundle import AnalysisOutcome, DisplayTable
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.spec import Analysis

from ._common import population_footnote


def _escalation_phase(ctx: AnalysisContext, analysis: Analysis):
    phases = [p for p in ctx.plan.design.phases if p.escalation is not None]
    if analysis.phase is not None:
        phases = [p for p in phases if p.id == analysis.phase]
    if not phases:
        raise UserInputError(f"analysis {analysis.id}: the plan has no dose-escalation phase")
    return phases[0]


def subject_dlts(ctx: AnalysisContext, subjects: pd.DataFrame) -> pd.Series:
    """Per subject: True if any ADAE record has DLTFL = Y."""
    subj = ctx.plan.data.subject_variable
    adae = ctx.datasets.get("adae")
    if adae is None or "DLTFL" not in adae.columns:
        raise UserInputError("adae.DLTFL is required for the DLT analyses")
    flagged = set(adae.loc[adae["DLTFL"].astype("string").str.upper() == "Y", subj])
    return subjects[subj].isin(flagged)


def dose_escalation(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    phase = _escalation_phase(ctx, analysis)
    rule = phase.escalation
    subj = ctx.plan.data.subject_variable
    subjects = ctx.population_subjects(analysis.population, phase.id).copy()
    if (subjects["ARMID"] == "BLINDED").any():
        raise UserInputError("dose escalation needs each subject's dose level; the escalation phase is masked")
    order_cols = [c for c in ("TRTSDT", "COHORT") if c in subjects.columns]
    subjects = subjects.sort_values(order_cols + [subj], kind="mergesort") if order_cols else subjects
    subjects["DLT"] = subject_dlts(ctx, subjects).map({True: "Y", False: "N"})
    if "COHORT" not in subjects.columns:
        raise UserInputError("adsl.COHORT is required for the dose-escalation analysis")
    labels = {a: ctx.plan.design.arm(a).label for a in rule.dose_levels}
    subjects["DOSELVL"] = subjects["ARMID"].map(labels)
    cohorts = cohorts_from_frame(subjects, cohort="COHORT", dose="DOSELVL", subject=subj, dlt="DLT")
    try:
        res = run_three_plus_three([labels[a] for a in rule.dose_levels], cohorts,
                                   mtd_needs_six=rule.mtd_requires_six, allow_deescalation=rule.deescalation)
    except ValueError as exc:
        raise UserInputError(f"analysis {analysis.id}: cohort data violate the 3+3 rule: {exc}") from None
    hist = res.history
    frame = pd.DataFrame({
        "Cohort": hist["cohort"].astype(int).astype(str),
        "Dose level": hist["dose"].astype(str),
        "Subjects": hist["subjects"],
        "DLTs in cohort": hist["n_dlt_cohort"].astype(int).astype(str) + "/" + hist["n_cohort"].astype(int).astype(str),
        "DLTs at dose so far": hist["n_dlt_at_dose"].astype(int).astype(str) + "/" + hist["n_at_dose"].astype(int).astype(str),
        "Decision": hist["decision"],
        "Rule applied": hist["rule"],
    })
    status = {"declared": f"MTD: {res.mtd}", "not_reached": "MTD not reached within the dose range",
              "none_tolerated": "no dose level tolerated (MTD below the lowest dose)"}.get(res.mtd_status or "",
                                                                                       "MTD not yet determined")
    rp2d = f"Recommended Phase 2 dose: {res.rp2d}" if res.rp2d is not None else "Recommended Phase 2 dose: none"
    footnotes = (f"Rule ({rule.rule}, DLT window {rule.dlt_window_days} days): {rule.text}",
                 f"Current recommendation: {res.recommendation}. {status}. {rp2d}.",
                 "Subjects in order of first dose within cohort; DLT = any ADAE record with DLTFL = Y.",
                 population_footnote(ctx, analysis))
    table = DisplayTable(analysis.title, frame, footnotes=footnotes, stub_columns=("Cohort",))
    tidy = res.tidy(analysis_id=analysis.id, endpoint=analysis.endpoint or "DLT", population=analysis.population)
    outcome = AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                              tidy, tables=[table], notes=[status, rp2d, f"Recommendation: {res.recommendation}"])
    outcome.figure_data["escalation"] = pd.DataFrame(
        {"cohort": hist["cohort"], "dose": hist["dose"], "n_dlt": hist["n_dlt_cohort"], "decision": hist["decision"]})
    return outcome


def escalation_oc(ctx: AnalysisContext, analysis: Analysis) -> AnalysisOutcome:
    opts = analysis.parsed_options()
    phase = _escalation_phase(ctx, analysis)
    rule = phase.escalation
    k = len(rule.dose_levels)
    labels = [ctx.plan.design.arm(a).label for a in rule.dose_levels]
    scenarios = opts.scenarios or ((0.05, 0.10, 0.20, 0.30, 0.40)[:k],)
    rows, tidy = [], []
    for i, probs in enumerate(scenarios, start=1):
        if len(probs) != k:
            raise UserInputError(f"analysis {analysis.id}: scenario {i} has {len(probs)} DLT rates for {k} doses")
        exact = three_plus_three_oc(probs, mtd_needs_six=rule.mtd_requires_six, allow_deescalation=rule.deescalation)
        mc = simulate_three_plus_three(probs, opts.n_simulations, opts.seed + i, mtd_needs_six=rule.mtd_requires_six,
                                       allow_deescalation=rule.deescalation)
        outcomes = ["No dose tolerated"] + [f"MTD = {lab}" for lab in labels[:-1]] + [f"{labels[-1]} cleared"]
        row = {"Scenario": f"{i}: true DLT rates {', '.join(f'{p:.2f}' for p in probs)}"}
        for j, name in enumerate(outcomes):
            row[f"P({name})"] = f"{exact['p_mtd'][j]:.4f} [{mc['p_mtd'][j]:.4f}]"
            tidy.append(dict(group=name, statistic="probability", estimate=exact["p_mtd"][j], label=f"scenario {i}",
                             method="exact enumeration"))
            tidy.append(dict(group=name, statistic="probability", estimate=mc["p_mtd"][j], se=mc["p_mtd_se"][j],
                             label=f"scenario {i}", method=f"Monte-Carlo {opts.n_simulations} trials"))
        row["E[N]"] = f"{exact['expected_n']:.2f} [{mc['expected_n']:.2f}]"
        row["E[DLTs]"] = f"{exact['expected_dlts']:.2f} [{mc['expected_dlts']:.2f}]"
        tidy.append(dict(statistic="expected_value", estimate=exact["expected_n"], label=f"scenario {i}: E[N]",
                         method="exact enumeration"))
        tidy.append(dict(statistic="expected_value", estimate=exact["expected_dlts"],
                         label=f"scenario {i}: E[DLTs]", method="exact enumeration"))
        rows.append(row)
    footnotes = (f"Exact probabilities by enumeration of every cohort outcome (Lin & Shih 2001; R bcrm::threep3); "
                 f"in brackets a Monte-Carlo check with {opts.n_simulations} simulated trials (seed {opts.seed}+scenario).",
                 f"Rule: {rule.text}",
                 "'Cleared' = the highest dose met the escalation criterion (MTD not reached within the dose range).")
    table = DisplayTable(analysis.title, pd.DataFrame(rows), footnotes=footnotes, stub_columns=("Scenario",))
    return AnalysisOutcome(analysis.id, analysis.title, analysis.method, analysis.population, analysis.endpoint,
                           tidy_frame(tidy), tables=[table])
