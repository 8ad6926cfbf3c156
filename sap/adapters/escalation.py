"""3+3 dose escalation: decision history, MTD / recommended Phase 2 dose, and operating characteristics.

The rule is built once from the plan (:func:`derive_rule`: ``design.phases[<id>].escalation`` cohort size,
expansion size, MTD-needs-six and de-escalation) and given to :func:`analyses.escalation.run_three_plus_three`
(cohort by cohort on the DLT-evaluable subjects in order of first dose), to
:func:`analyses.escalation_oc.three_plus_three_oc` (exact operating characteristics by enumeration; R
``bcrm::threep3``) and to :func:`analyses.escalation_oc.simulate_three_plus_three` (a Monte-Carlo check).
"""
from __future__ import annotations

import pandas as pd

from analyses.escalation import ThreePlusThreeRule, cohorts_from_frame, run_three_plus_three
from analyses.escalation_oc import simulate_three_plus_three, three_plus_three_oc
from analyses.results import tidy_frame
from sap.context import AnalysisContext
from sap.errors import UserInputError
from sap.results import AnalysisResult
from sap.spec import Analysis, Phase

EXACT_METHOD = "exact enumeration"


def escalation_phase(ctx: AnalysisContext, analysis: Analysis) -> Phase:
    """The analysis' dose-escalation phase (its own phase, else the plan's first one with a rule)."""
    phases = [p for p in ctx.plan.design.phases if p.escalation is not None]
    if analysis.phase is not None:
        phases = [p for p in phases if p.id == analysis.phase]
    if not phases:
        raise UserInputError(f"analysis {analysis.id}: the plan has no dose-escalation phase")
    return phases[0]


def derive_rule(phase: Phase) -> ThreePlusThreeRule:
    """The engine's rule from the plan's ``design.phases[<id>].escalation``: every setting from the plan."""
    e = phase.escalation
    try:
        return ThreePlusThreeRule(len(e.dose_levels), cohort_size=e.cohort_size, expansion_size=e.expansion_size,
                                  mtd_needs_six=e.mtd_requires_six, allow_deescalation=e.deescalation)
    except ValueError as exc:  # the rule's documented check of its settings
        raise UserInputError(f"design.phases[{phase.id}].escalation: {exc}") from None


def subject_dlts(ctx: AnalysisContext, subjects: pd.DataFrame) -> pd.Series:
    """Per subject: True if any ADAE record has DLTFL = Y."""
    subj = ctx.plan.data.subject_variable
    adae = ctx.datasets.get("adae")
    if adae is None or "DLTFL" not in adae.columns:
        raise UserInputError("adae.DLTFL is required for the DLT analyses")
    flagged = set(adae.loc[adae["DLTFL"].astype("string").str.upper() == "Y", subj])
    return subjects[subj].isin(flagged)


def _cohort_subjects(ctx: AnalysisContext, analysis: Analysis, phase: Phase) -> pd.DataFrame:
    """DLT-evaluable subjects in order of first dose, with DLT (Y/N) and DOSELVL (the dose level's label)."""
    subj = ctx.plan.data.subject_variable
    subjects = ctx.population_subjects(analysis.population, phase.id).copy()
    if (subjects["ARMID"] == "BLINDED").any():
        raise UserInputError("dose escalation needs each subject's dose level; the escalation phase is masked")
    order_cols = [c for c in ("TRTSDT", "COHORT") if c in subjects.columns]
    subjects = subjects.sort_values(order_cols + [subj], kind="mergesort") if order_cols else subjects
    subjects["DLT"] = subject_dlts(ctx, subjects).map({True: "Y", False: "N"})
    if "COHORT" not in subjects.columns:
        raise UserInputError("adsl.COHORT is required for the dose-escalation analysis")
    labels = {a: ctx.plan.design.arm(a).label for a in phase.escalation.dose_levels}
    subjects["DOSELVL"] = subjects["ARMID"].map(labels)
    return subjects


def dose_escalation(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """The plan's rule applied to the observed cohorts: decision after each cohort, MTD and RP2D."""
    phase = escalation_phase(ctx, analysis)
    rule = derive_rule(phase)
    subjects = _cohort_subjects(ctx, analysis, phase)
    levels = [ctx.plan.design.arm(a).label for a in phase.escalation.dose_levels]
    try:
        cohorts = cohorts_from_frame(subjects, cohort="COHORT", dose="DOSELVL",
                                     subject=ctx.plan.data.subject_variable, dlt="DLT")
        res = run_three_plus_three(levels, cohorts, rule)
    except ValueError as exc:  # the engine's documented rule-violation errors
        pop = ctx.plan.population(analysis.population)
        who = f"subjects with adsl.{pop.flag} = Y" if pop.flag else f"the subjects of population {pop.id}"
        raise UserInputError(f"analysis {analysis.id}: cohort data violate the {rule.name} rule: {exc} (cohorts "
                             f"from adsl.COHORT, dose levels from adsl.{ctx.plan.design.treatment_variable}, "
                             f"{who})") from None
    hist = res.history
    figure = pd.DataFrame({"cohort": hist["cohort"], "dose": hist["dose"], "n_dlt": hist["n_dlt_cohort"],
                           "decision": hist["decision"]})
    extra = {"phase": phase.id, "recommendation": res.recommendation, "mtd_status": res.mtd_status,
             "mtd": None if res.mtd is None else str(res.mtd), "rp2d": None if res.rp2d is None else str(res.rp2d),
             "n_at_mtd": res.n_at_mtd}
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          res.tidy(analysis_id=analysis.id, endpoint=analysis.endpoint or "DLT",
                                   population=analysis.population),
                          group_n=ctx.column_counts(analysis), frames={"escalation": figure, "cohorts": hist},
                          records_used=len(subjects), extra=extra)


def _scenario_rows(i: int, probs, labels, rule: ThreePlusThreeRule, n_sim: int, seed: int) -> list[dict]:
    """Result rows of one scenario: P(each outcome) and E[N], E[DLTs], exact and simulated."""
    exact = three_plus_three_oc(probs, rule)
    mc = simulate_three_plus_three(probs, n_sim, seed, rule)
    mc_method = f"Monte-Carlo {n_sim} trials"
    outcomes = ["No dose tolerated"] + [f"MTD = {lab}" for lab in labels[:-1]] + [f"{labels[-1]} cleared"]
    rows = []
    for j, name in enumerate(outcomes):
        rows.append(dict(group=name, statistic="probability", estimate=exact["p_mtd"][j], label=f"scenario {i}",
                         method=EXACT_METHOD))
        rows.append(dict(group=name, statistic="probability", estimate=mc["p_mtd"][j], se=mc["p_mtd_se"][j],
                         label=f"scenario {i}", method=mc_method))
    for key, name in (("expected_n", "E[N]"), ("expected_dlts", "E[DLTs]")):
        rows.append(dict(statistic="expected_value", estimate=exact[key], label=f"scenario {i}: {name}",
                         method=EXACT_METHOD))
    for key, name in (("expected_n", "E[N]"), ("expected_dlts", "E[DLTs]")):
        rows.append(dict(statistic="expected_value", estimate=mc[key], se=mc[f"{key}_se"],
                         label=f"scenario {i}: {name}", method=mc_method))
    return rows


def escalation_oc(ctx: AnalysisContext, analysis: Analysis) -> AnalysisResult:
    """Exact and simulated operating characteristics of the plan's rule for the planned DLT-rate scenarios."""
    opts = analysis.options
    phase = escalation_phase(ctx, analysis)
    rule = derive_rule(phase)
    k = rule.n_doses
    labels = [ctx.plan.design.arm(a).label for a in phase.escalation.dose_levels]
    scenarios = opts.scenarios or ((0.05, 0.10, 0.20, 0.30, 0.40)[:k],)
    rows = []
    for i, probs in enumerate(scenarios, start=1):
        if len(probs) != k:
            raise UserInputError(f"analyses[{analysis.id}].options.scenarios[{i - 1}]: {len(probs)} DLT rates "
                                 f"for {k} doses")
        rows += _scenario_rows(i, probs, labels, rule, opts.n_simulations, opts.seed + i)
    extra = {"phase": phase.id, "scenarios": [list(map(float, p)) for p in scenarios],
             "exact_method": EXACT_METHOD, "simulation_method": f"Monte-Carlo {opts.n_simulations} trials",
             "n_simulations": opts.n_simulations, "seed": opts.seed}
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          tidy_frame(rows), group_n=ctx.column_counts(analysis), extra=extra)
