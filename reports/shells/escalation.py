"""Shells of the dose-escalation family: the decision history (``dose_escalation``) and the operating
characteristics of the rule (``escalation_oc``), plus the cumulative history and the rule's outcome line of the
dose-escalation report. They read the result's rows, its ``cohorts`` frame and ``extra`` (phase id,
recommendation, MTD status, RP2D; scenarios and method names of the OC rows) and the plan's rule text."""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import fmt_int, fmt_num
from reports.shells.common import ShellContext, footnotes, result_footnotes

STATUS_TEXT = {"not_reached": "MTD not reached within the dose range",
               "none_tolerated": "no dose level tolerated (MTD below the lowest dose)"}


def _rule(result, sc: ShellContext):
    return sc.plan.design.phase(result.extra["phase"]).escalation


def _fraction(x, n) -> str:
    return f"{fmt_int(x)}/{fmt_int(n)}"


def render_status(result) -> str:
    """'MTD: <dose>', 'MTD not reached within the dose range', ... from the result's MTD status."""
    status = result.extra.get("mtd_status")
    if status == "declared":
        return f"MTD: {result.extra['mtd']}"
    return STATUS_TEXT.get(status or "", "MTD not yet determined")


def render_rule_outcome(result) -> str:
    """'<recommendation>; MTD status: <status>; RP2D: <dose>' (the report's 'Outcome of the rule')."""
    ex = result.extra
    return (f"{ex['recommendation']}; MTD status: {ex.get('mtd_status') or 'open'}; "
            f"RP2D: {ex.get('rp2d') or 'none'}")


def decision_table(result, sc: ShellContext) -> list[DisplayTable]:
    """One row per cohort: dose, subjects, DLTs in the cohort and at the dose so far, decision and rule text."""
    hist = result.frames["cohorts"]
    frame = pd.DataFrame({
        "Cohort": [fmt_int(v) for v in hist["cohort"]],
        "Dose level": [str(v) for v in hist["dose"]],
        "Subjects": list(hist["subjects"]),
        "DLTs in cohort": [_fraction(x, n) for x, n in zip(hist["n_dlt_cohort"], hist["n_cohort"])],
        "DLTs at dose so far": [_fraction(x, n) for x, n in zip(hist["n_dlt_at_dose"], hist["n_at_dose"])],
        "Decision": list(hist["decision"]),
        "Rule applied": list(hist["rule"]),
    })
    rule = _rule(result, sc)
    rp2d = result.extra.get("rp2d") or "none"
    notes = footnotes(result, sc,
                      f"Rule ({rule.rule}, DLT window {rule.dlt_window_days} days): {rule.text}",
                      f"Current recommendation: {result.extra['recommendation']}. {render_status(result)}. "
                      f"Recommended Phase 2 dose: {rp2d}.",
                      "Subjects in order of first dose within cohort; DLT = any ADAE record with DLTFL = Y.")
    return [DisplayTable(result.title, frame, footnotes=notes, stub_columns=("Cohort",))]


def cohort_history_table(result, sc: ShellContext) -> DisplayTable:
    """The decision after each cohort with the cumulative subjects and DLTs at the dose (from the result rows)."""
    rows = result.rows[result.rows["cohort"].notna()] if "cohort" in result.rows.columns else result.rows.iloc[0:0]
    frame = pd.DataFrame({
        "Cohort": [fmt_int(v) for v in rows["cohort"]],
        "Dose level": [str(v) for v in rows["group"]],
        "Subjects treated at dose (cumulative)": [fmt_int(v) for v in rows["n"]],
        "DLTs at dose (cumulative)": [fmt_int(v) for v in rows["estimate"]],
        "Decision": list(rows["label"]),
        "Rule applied": list(rows["rule"]) if "rule" in rows.columns else [""] * len(rows),
    })
    return DisplayTable("", frame, stub_columns=("Cohort",))


def _scenario_row(i: int, probs, exact: pd.DataFrame, mc: pd.DataFrame) -> dict[str, str]:
    label = f"scenario {i}"
    row = {"Scenario": f"{i}: true DLT rates {', '.join(fmt_num(p, 2) for p in probs)}"}
    e = exact[(exact["label"] == label) & (exact["statistic"] == "probability")]
    m = mc[(mc["label"] == label) & (mc["statistic"] == "probability")].set_index("group")["estimate"]
    for group, estimate in zip(e["group"], e["estimate"]):
        row[f"P({group})"] = f"{fmt_num(estimate, 4)} [{fmt_num(m[group], 4)}]"
    for name in ("E[N]", "E[DLTs]"):
        ev = exact.loc[exact["label"] == f"{label}: {name}", "estimate"].item()
        mv = mc.loc[mc["label"] == f"{label}: {name}", "estimate"].item()
        row[name] = f"{fmt_num(ev, 2)} [{fmt_num(mv, 2)}]"
    return row


def oc_table(result, sc: ShellContext) -> list[DisplayTable]:
    """One row per scenario: exact P(each outcome), E[N] and E[DLTs], the Monte-Carlo check in brackets."""
    ex = result.extra
    rows = result.rows
    exact = rows[rows["method"] == ex["exact_method"]]
    mc = rows[rows["method"] == ex["simulation_method"]]
    frame = pd.DataFrame([_scenario_row(i, probs, exact, mc) for i, probs in enumerate(ex["scenarios"], start=1)])
    notes = (f"Exact probabilities by enumeration of every cohort outcome (Lin & Shih 2001; R bcrm::threep3); "
             f"in brackets a Monte-Carlo check with {ex['n_simulations']} simulated trials "
             f"(seed {ex['seed']}+scenario).",
             f"Rule: {_rule(result, sc).text}",
             "'Cleared' = the highest dose met the escalation criterion (MTD not reached within the dose range).",
             *result_footnotes(result))
    return [DisplayTable(result.title, frame, footnotes=notes, stub_columns=("Scenario",))]
