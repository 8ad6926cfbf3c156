"""The dose-escalation report (escalation.qmd) for the Safety Review Committee: the 3+3 rule quoted from the
plan, dose levels, each cohort's subjects and DLTs with the decision taken, the MTD / recommended Phase 2
dose, DLT rates and the rule's operating characteristics, from the results whose method is
``dose_escalation``, ``dlt_rate`` or ``escalation_oc``. Nothing is recomputed: the tables are the results' shells
(:mod:`reports.shells.escalation` for the cumulative history and the rule's outcome, from the result rows and
the result's recorded recommendation)."""
from __future__ import annotations

import pandas as pd

from reports.blocks import (BLINDED_LABEL, TablePart, blockquote, frame_table, heading, labelled, paragraph,
                            table_block)
from reports.shells import display_tables
from reports.shells.common import ShellContext, not_estimable_reason
from reports.shells.escalation import cohort_history_table, render_rule_outcome

ESCALATION_METHODS = ("dose_escalation", "dlt_rate", "escalation_oc")


def escalation_outcomes(bundle) -> list:
    """The run's escalation-related outcomes in plan order."""
    return [o for o in bundle.outcomes.values() if o.method in ESCALATION_METHODS]


def _rule_section(plan, phase) -> list[str]:
    """The phase's rule as written in the plan and its dose levels."""
    e = phase.escalation
    levels = pd.DataFrame([{"Dose level": a, "Label": plan.design.arm(a).label,
                            "Dose": "" if plan.design.arm(a).dose is None else f"{plan.design.arm(a).dose:g}",
                            "Unit": plan.design.arm(a).dose_unit or "", "Regimen": plan.design.arm(a).regimen}
                           for a in e.dose_levels])
    return [heading(1, f"Escalation rule: {phase.label}", anchor=f"esc-rule-{phase.id}"),
            paragraph(f"{e.rule} design; DLT observation window {e.dlt_window_days} days; blinding: "
                      f"{phase.blinding}. The rule as prespecified in the plan:"),
            blockquote(e.text),
            table_block([TablePart(frame_table(levels, stub=("Dose level",)))],
                        block_id=f"esc-levels-{phase.id}", caption="Dose levels")]


def _result_section(plan, o, sc: ShellContext) -> list[str]:
    """One escalation-related result: the rule's outcome and cumulative history (dose escalation), its shells."""
    out = [heading(2, f"{o.title} ({o.analysis_id})", anchor=f"esc-{o.analysis_id}")]
    pop = o.population
    try:
        pop = f"{plan.population(o.population).label} ({o.population})"
    except StopIteration:
        pass
    if o.not_estimable:
        return out + [paragraph(f"Not estimable: {not_estimable_reason(o)}")]
    if o.method == "dose_escalation":
        out.append(labelled("Outcome of the rule", render_rule_outcome(o)))
        history = cohort_history_table(o, sc)
        if not history.frame.empty:
            out.append(table_block([TablePart(history)], block_id=f"esc-history-{o.analysis_id}",
                                   caption="Decision after each cohort", lines=[f"Population: {pop}."]))
    parts = [TablePart(dt, dt.title or None) for dt in display_tables(o, sc)]
    # a result's notes are in its shells' footnotes; an outcome of the old type (not yet moved) carries them
    notes = list(o.notes) if getattr(o, "tables", None) is not None else []
    if parts:
        out.append(table_block(parts, block_id=f"esc-tables-{o.analysis_id}", caption=o.title,
                               lines=[f"Population: {pop}."], notes=notes))
    elif notes:
        out.append(paragraph("; ".join(notes)))
    return out


def build_escalation_body(bundle) -> str:
    """Markdown body of escalation.qmd."""
    plan = bundle.plan
    out = [heading(1, "Purpose", anchor="esc-purpose"),
           paragraph(f"Dose-escalation summary of plan {plan.id} version {plan.version} for the Safety Review "
                     "Committee: cohorts, dose-limiting toxicities (DLTs), the decision of the escalation rule "
                     "after each cohort, and the maximum tolerated dose (MTD) / recommended Phase 2 dose (RP2D).")]
    if bundle.blinded:
        out.append(labelled(BLINDED_LABEL, "results are not shown by arm."))
    for phase in (p for p in plan.design.phases if p.kind == "dose_escalation"):
        out += _rule_section(plan, phase)
    outcomes = escalation_outcomes(bundle)
    sc = ShellContext(plan, data_source=bundle.data_source, blinded=bundle.blinded)
    out.append(heading(1, "Cohorts, decisions and recommended dose", anchor="esc-results"))
    if not outcomes:
        out.append(paragraph("This run has no dose-escalation, DLT-rate or operating-characteristics outcome."))
    for o in outcomes:
        out += _result_section(plan, o, sc)
    return "\n".join(out)
