"""The dose-escalation report (escalation.qmd) for the Safety Review Committee: the 3+3 rule quoted from the
plan, dose levels, each cohort's subjects and DLTs with the decision taken, the MTD / recommended Phase 2
dose, DLT rates and the rule's operating characteristics, from the outcomes whose method is
``dose_escalation``, ``dlt_rate`` or ``escalation_oc``. Nothing is recomputed."""
from __future__ import annotations

import pandas as pd

from reports.blocks import (BLINDED_LABEL, TablePart, blockquote, frame_table, heading, labelled, paragraph,
                            table_block)
from reports.shells import display_tables
from reports.shells.common import ShellContext, not_estimable_reason
from reports.text import plain

ESCALATION_METHODS = ("dose_escalation", "dlt_rate", "escalation_oc")


def escalation_outcomes(bundle) -> list:
    """The run's escalation-related outcomes in plan order."""
    return [o for o in bundle.outcomes.values() if o.method in ESCALATION_METHODS]


def cohort_frame(tidy: pd.DataFrame) -> pd.DataFrame:
    """Decision history from dose_escalation tidy rows (rows carrying a cohort number)."""
    if tidy is None or tidy.empty or "cohort" not in tidy.columns:
        return pd.DataFrame()
    rows = tidy[tidy["cohort"].notna()]
    out = pd.DataFrame({
        "Cohort": rows["cohort"].map(lambda v: f"{int(v)}" if isinstance(v, (int, float)) else plain(v)),
        "Dose level": rows["group"].map(plain),
        "Subjects treated at dose (cumulative)": rows["n"].map(lambda v: plain(v if pd.isna(v) else int(v))),
        "DLTs at dose (cumulative)": rows["estimate"].map(lambda v: plain(v if pd.isna(v) else int(v))),
        "Decision": rows["label"].map(plain) if "label" in rows.columns else "",
    })
    if "rule" in rows.columns:
        out["Rule applied"] = rows["rule"].map(plain)
    return out.reset_index(drop=True)


def recommendation_text(tidy: pd.DataFrame) -> str | None:
    """The final recommendation row's label ('recommendation: ...; MTD status: ...; RP2D: ...')."""
    if tidy is None or tidy.empty or "label" not in tidy.columns:
        return None
    rec = tidy[tidy["label"].astype(str).str.startswith("recommendation:")]
    return None if rec.empty else str(rec["label"].iloc[-1])


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
        e = phase.escalation
        out.append(heading(1, f"Escalation rule: {phase.label}", anchor=f"esc-rule-{phase.id}"))
        out.append(paragraph(f"{e.rule} design; DLT observation window {e.dlt_window_days} days; blinding: "
                             f"{phase.blinding}. The rule as prespecified in the plan:"))
        out.append(blockquote(e.text))
        levels = pd.DataFrame([{"Dose level": a, "Label": plan.design.arm(a).label,
                                "Dose": "" if plan.design.arm(a).dose is None else f"{plan.design.arm(a).dose:g}",
                                "Unit": plan.design.arm(a).dose_unit or "", "Regimen": plan.design.arm(a).regimen}
                               for a in e.dose_levels])
        out.append(table_block([TablePart(frame_table(levels, stub=("Dose level",)))],
                               block_id=f"esc-levels-{phase.id}", caption="Dose levels"))
    outcomes = escalation_outcomes(bundle)
    sc = ShellContext(plan, data_source=bundle.data_source, blinded=bundle.blinded)
    out.append(heading(1, "Cohorts, decisions and recommended dose", anchor="esc-results"))
    if not outcomes:
        out.append(paragraph("This run has no dose-escalation, DLT-rate or operating-characteristics outcome."))
    for o in outcomes:
        out.append(heading(2, f"{o.title} ({o.analysis_id})", anchor=f"esc-{o.analysis_id}"))
        pop = o.population
        try:
            pop = f"{plan.population(o.population).label} ({o.population})"
        except StopIteration:
            pass
        if o.not_estimable:
            out.append(paragraph(f"Not estimable: {not_estimable_reason(o)}"))
            continue
        if o.method == "dose_escalation":
            rec = recommendation_text(o.tidy)
            if rec:
                out.append(labelled("Outcome of the rule", rec.removeprefix("recommendation:").strip()))
            history = cohort_frame(o.tidy)
            if not history.empty:
                out.append(table_block([TablePart(frame_table(history, stub=("Cohort",)))],
                                       block_id=f"esc-history-{o.analysis_id}",
                                       caption="Decision after each cohort", lines=[f"Population: {pop}."]))
        parts = [TablePart(dt, dt.title or None) for dt in display_tables(o, sc)]
        if parts:
            out.append(table_block(parts, block_id=f"esc-tables-{o.analysis_id}", caption=o.title,
                                   lines=[f"Population: {pop}."], notes=list(o.notes)))
        elif o.notes:
            out.append(paragraph("; ".join(o.notes)))
    return "\n".join(out)
