"""The SAP document (sap.qmd) rendered from the plan itself: identification with the plan's SHA-256,
objectives, design (phases, arms, doses, the 3+3 rule quoted, randomization, blinding, strata), visit
windows, populations, estimands (ICH E9(R1) attributes), endpoint definitions, analysis methods with options,
missing data, multiplicity, derivation settings, the plan's notes and the output catalogue (table shells)."""
from __future__ import annotations

import json

import pandas as pd

from sap.registry import method_entry, method_sentence

from reports.reproduction import how_data_were_made, published_texts
from reports.results_document import display_number, population_text
from reports.sap_design import allocation_lines, clinical_phase_line, comparison_label
from reports.sap_criteria import criteria_table, criterion_rule_text
from reports.blocks import (TablePart, blockquote, bullets, frame_table, heading, labelled, paragraph,
                            table_block)
from reports.sap_notes import render_item_notes, render_mark, render_notes_list, render_phase_notes

STRATEGY_LABELS = {"treatment_policy": "Treatment policy", "composite": "Composite", "hypothetical": "Hypothetical",
                   "while_on_treatment": "While on treatment", "principal_stratum": "Principal stratum"}


def _table(frame: pd.DataFrame, block_id: str, caption: str, *, stub=(), lines=(), notes=()) -> str:
    return table_block([TablePart(frame_table(frame, stub=stub))], block_id=f"sap-{block_id}", caption=caption,
                       lines=lines, notes=notes)


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple, dict)):
        return json.dumps(value, default=str)
    return str(value)


def _analysis_data(analysis) -> str:
    """The analysis' data: the plan's ``data`` block when it gives one, else the method table's selection."""
    if analysis.data is not None:
        where = f" where {analysis.data.where}" if analysis.data.where else ""
        return f"{analysis.data.dataset}{where}"
    return method_entry(analysis.method).selection.text()


def _analysis_flag_sentence(plan) -> str:
    flag = plan.data.analysis_flag
    if flag is None:
        return "Every record an analysis selects is analysed (data.analysis_flag: none)."
    return (f"Of the records an analysis selects, those with {flag} = Y are analysed where the dataset has {flag} "
            f"(data.analysis_flag); the derived AS/RA datasets set ANL01FL by the visit-window rule of the schedule.")


def _method_description(method: str) -> str:
    return method_entry(method).description


def identification(plan, sha256: str) -> str:
    out = [heading(1, "Identification", anchor="sap-id")]
    for label, value in (("Plan id", plan.id), ("Version", plan.version), ("Plan SHA-256", sha256),
                         ("Title", plan.title), ("Indication", plan.indication), ("Sponsor", plan.sponsor),
                         ("Registration", plan.registration)):
        if value:
            out.append(labelled(label, value) + "\n")
    out.append(paragraph("The SHA-256 is computed over the validated plan as canonical JSON (sorted keys, no "
                         "whitespace); it identifies this exact version of the plan in every results report."))
    if plan.source_documents:
        out.append(labelled("Source documents", ", ".join(plan.source_documents)))
    return "\n".join(out)


def design_section(plan, power_checks=()) -> str:
    d = plan.design
    out = [heading(1, "Study design", anchor="sap-design"), paragraph(d.summary), clinical_phase_line(d)]
    if d.background_therapy:
        out.append(labelled("Background therapy", d.background_therapy))
    phases = pd.DataFrame([{"Phase": p.id, "Label": p.label, "Kind": p.kind.replace("_", " "),
                            "Blinding": p.blinding, "Arms": ", ".join(p.arms),
                            "Planned N": "" if p.planned_n is None else str(p.planned_n),
                            "Reference arm": p.reference_arm or ""} for p in d.phases])
    out.append(_table(phases, "phases", "Study phases", stub=("Phase",)))
    arms = pd.DataFrame([{"Arm": render_mark(plan, a.id, a.id), "Label": a.label, "Phase": a.phase,
                          "Role": a.role.replace("_", " "),
                          "Dose": "" if a.dose is None else f"{a.dose:g}", "Unit": a.dose_unit or "",
                          "Regimen": a.regimen, "Infusion days": ", ".join(map(str, a.infusion_days)),
                          "Data value": a.data_value} for a in d.arms])
    out.append(_table(arms, "arms", "Treatment arms and doses", stub=("Arm",),
                      lines=[f"Treatment variable in the data: {d.treatment_variable}."],
                      notes=render_item_notes(plan, [a.id for a in d.arms])))
    for p in d.phases:
        out.append(heading(2, p.label, anchor=f"sap-phase-{p.id}"))
        if p.sample_size_rationale:
            out.append(labelled("Sample size", p.sample_size_rationale))
        for check in (c for c in power_checks if c.phase == p.id):
            out.append(labelled("Power (computed from the plan's assumptions)", check.text()))
        out.append(labelled("Blinding", p.blinding))
        if p.escalation:
            e = p.escalation
            out.append(labelled("Dose escalation", f"{e.rule} rule; cohorts of {e.cohort_size}, expansion by "
                                f"{e.expansion_size}; DLT window {e.dlt_window_days} days; dose levels "
                                f"{', '.join(e.dose_levels)}; MTD requires six subjects: "
                                f"{'yes' if e.mtd_requires_six else 'no'}; de-escalation: "
                                f"{'yes' if e.deescalation else 'no'}."))
            out.append(paragraph("The rule as written in the plan:"))
            out.append(blockquote(e.text))
        if p.randomization:
            r = p.randomization
            out.append(labelled("Randomization", f"ratio {':'.join(map(str, r.ratio))} "
                                f"({', '.join(p.arms)}); {r.method}"
                                + (f"; block size {r.block_size}" if r.block_size else "")
                                + (f"; strata {', '.join(r.strata)}" if r.strata else "") + "."))
        out += allocation_lines(p)
        out += render_phase_notes(plan, p.id)
    if d.strata:
        strata = pd.DataFrame([{"Variable": s.variable, "Label": s.label, "Levels": "; ".join(s.levels)}
                               for s in d.strata])
        out.append(_table(strata, "strata", "Stratification factors", stub=("Variable",)))
    return "\n".join(out)


def schedule_section(plan) -> str:
    s = plan.schedule
    out = [heading(1, "Visit schedule and analysis windows", anchor="sap-schedule"), paragraph(s.day_origin)]
    frame = pd.DataFrame([{"Visit": v.label, "AVISITN": f"{v.avisitn:g}", "Target day": str(v.target_day),
                           "Window (days)": f"{v.window[0]} to {v.window[1]}",
                           "Assessments": ", ".join(v.assessments)} for v in s.visits])
    if not frame["Assessments"].str.len().any():
        frame = frame.drop(columns="Assessments")
    out.append(_table(frame, "windows", "Visits and analysis windows", stub=("Visit",),
                      notes=[f"Window rule ({s.window_rule.replace('_', ' ')}): {s.window_rule_text}"]
                      if s.window_rule_text else [f"Window rule: {s.window_rule.replace('_', ' ')}."]))
    return "\n".join(out)


def populations_section(plan) -> str:
    frame = pd.DataFrame([{"Population": render_mark(plan, p.id, f"{p.label} ({p.id})"),
                           "Selection": f"{p.dataset.upper()}.{p.flag} = 'Y'"
                           if p.flag else f"every subject in {p.dataset.upper()}", "Definition": p.definition}
                          for p in plan.populations])
    return heading(1, "Analysis populations", anchor="sap-pop") + "\n" + _table(
        frame, "populations", "Analysis populations", stub=("Population",),
        notes=render_item_notes(plan, [p.id for p in plan.populations]))


def estimands_section(plan) -> str:
    out = [heading(1, "Estimands", anchor="sap-estimands"),
           paragraph("Each estimand is described by the attributes of ICH E9(R1): population, treatment "
                     "condition, variable (endpoint), handling of intercurrent events, and population-level "
                     "summary.")]
    with_estimand = [e for e in plan.endpoints if e.estimand is not None]
    if not with_estimand:
        out.append(paragraph("The plan defines no estimand."))
    for ep in with_estimand:
        est = ep.estimand
        rows = [("Population", f"{plan.population(est.population).label} ({est.population})"),
                ("Treatment", est.treatment or "as randomized"), ("Variable", est.variable)]
        rows += [(f"Intercurrent event: {ie.event}", f"{STRATEGY_LABELS[ie.strategy]} strategy: {ie.handling}")
                 for ie in est.intercurrent_events]
        rows.append(("Population-level summary", est.summary))
        out.append(_table(pd.DataFrame(rows, columns=["Attribute", "Specification"]), f"estimand-{ep.id}",
                          f"Estimand: {ep.label} ({ep.role})", stub=("Attribute",),
                          notes=render_item_notes(plan, [ep.id])))
    return "\n".join(out)


def _definition(endpoint, criteria) -> str:
    """A response criterion's rule in words (as computed), else the plan's formula or the derivation's name."""
    if endpoint.episode is not None:
        return " ".join(endpoint.episode.sentences())
    crit = criteria.get(endpoint.parameter)
    if crit is not None:
        rule, worse = criterion_rule_text(crit)
        return rule + ("" if worse in ("not applicable", "none (no worsening rule)") else f"; {worse}")
    return endpoint.formula or endpoint.derivation.replace("_", " ")


def endpoints_section(plan) -> str:
    criteria = {c.id: c for c in plan.derivations.response_criteria()}
    frame = pd.DataFrame([{"Endpoint": render_mark(plan, e.id, f"{e.label} ({e.id})"),
                           "Type / role": f"{e.type.replace('_', ' ')} / {e.role}",
                           "Definition": _definition(e, criteria),
                           "Unit": e.unit, "Visits (week)": ", ".join(f"{v:g}" for v in e.visits),
                           "Reference": e.reference} for e in plan.endpoints])
    return heading(1, "Endpoints", anchor="sap-endpoints") + "\n" + _table(
        frame, "endpoints", "Endpoint definitions", stub=("Endpoint",),
        notes=["Definition: for a response criterion, its rule as the derivations compute it (domains and reference "
               "in the derivation settings); for a duration or time to response, its event and censoring rules as the "
               "derivations apply them; otherwise the formula of the plan, or the name of the derivation when "
               "the plan gives none."] + render_item_notes(plan, [e.id for e in plan.endpoints]))


def derivations_section(plan) -> str:
    d = plan.derivations
    rows = [(k.replace("_", " "), _fmt(v)) for k, v in d.model_dump().items() if k not in ("text", "criteria")]
    out = [heading(1, "Derivation settings", anchor="sap-derivations")]
    if d.text:
        out.append(paragraph(d.text))
    out.append(_table(pd.DataFrame(rows, columns=["Setting", "Value"]), "derivations", "Derivation settings",
                      stub=("Setting",)))
    criteria = criteria_table(plan)
    if criteria:
        out.append(paragraph("The response criteria below are the parameters the derivations compute; the text is "
                             "written from the same plan objects."))
        out.append(criteria)
    return "\n".join(out)


def analyses_section(plan) -> str:
    rows = []
    for a in plan.analyses:
        rows.append({"Analysis": render_mark(plan, a.id, a.id),
                     "Title": a.title + (" (sensitivity)" if a.sensitivity else "") + comparison_label(plan, a),
                     "Method": f"{a.method}: {_method_description(a.method)}".rstrip(": "),
                     "Endpoint": a.endpoint or "", "Population": a.population, "Phase": a.phase or "",
                     "Analysis data": _analysis_data(a),
                     "Model and options": method_sentence(a.method, a.options)})
    out = [heading(1, "Statistical analysis methods", anchor="sap-analyses"),
           paragraph("Every analysis names a registered method; its options are parsed when the plan is "
                     "loaded, and the sentence below each method is written from the parsed options, defaults "
                     "included. The implementations cite their references (and the SAS/R equivalents) in the "
                     "package documentation. " + _analysis_flag_sentence(plan))]
    out.append(_table(pd.DataFrame(rows), "analyses", "Analyses and methods", stub=("Analysis",),
                      notes=render_item_notes(plan, [a.id for a in plan.analyses])))
    texts = [(a.id, a.text) for a in plan.analyses if a.text]
    if texts:
        out.append(bullets(f"{i}: {t}" for i, t in texts))
    return "\n".join(out)


def missing_multiplicity_section(plan) -> str:
    m, mu = plan.missing_data, plan.multiplicity
    out = [heading(1, "Missing data", anchor="sap-missing"),
           labelled("Binary endpoints", {"nri": "non-responder imputation (NRI)",
                                         "observed_case": "observed cases"}[m.binary]),
           labelled("Continuous endpoints", m.continuous)]
    if m.text:
        out.append(paragraph(m.text))
    if m.sensitivity:
        out.append(paragraph("Sensitivity analyses:"))
        out.append(bullets(m.sensitivity))
    out.append(heading(1, "Multiplicity", anchor="sap-multiplicity"))
    out.append(labelled("Strategy", f"{mu.strategy.replace('_', ' ')}, two-sided alpha = {mu.alpha:g}"))
    out.append(paragraph(mu.text))
    if mu.family:
        frame = pd.DataFrame([{"Order": str(i), "Hypothesis": h.label, "Analysis": h.analysis,
                               "Visit": "" if h.visit is None else plan.visit_label(h.visit)}
                              for i, h in enumerate(mu.family, start=1)])
        out.append(_table(frame, "family", "Hypotheses of the multiplicity family", stub=("Order",)))
    return "\n".join(out)


def notes_section(plan) -> str:
    out = [heading(1, "Choices where the registration was silent", anchor="sap-notes")]
    out.append(render_notes_list(plan) if plan.notes else paragraph("None."))
    if plan.published:
        frame = pd.DataFrame([{"Published quantity": p.label, "Value": published_texts(p)[0],
                               "Compared as": published_texts(p)[1], "Analysis": p.analysis,
                               "Statistic": p.statistic if p.column == "estimate" else f"{p.statistic} ({p.column})",
                               "Visit": "" if p.visit is None else plan.visit_label(p.visit), "Source": p.source}
                              for p in plan.published])
        out.append(heading(2, "Published values set beside the run", anchor="sap-published"))
        made = how_data_were_made(plan)
        if made:
            out.append(paragraph(f"How the plan's frozen synthetic data were made: {made}"))
        out.append(_table(frame, "published", "Published values", stub=("Published quantity",)))
    return "\n".join(out)


def catalogue_section(plan) -> str:
    frame = pd.DataFrame([{"Number": render_mark(plan, o.id, f"{o.kind.capitalize()} {display_number(o)}"),
                           "Title": o.title,
                           "Population": population_text(plan, o.population) if o.population else "",
                           "Section": o.section, "Analyses": ", ".join(o.analyses),
                           "Figure": (o.figure or "").replace("_", " ")} for o in plan.outputs])
    return heading(1, "Table shells: the output catalogue", anchor="sap-outputs") + "\n" + _table(
        frame, "catalogue", "Output catalogue", stub=("Number",),
        notes=render_item_notes(plan, [o.id for o in plan.outputs]))


def build_sap_body(plan, sha256: str, *, power_checks=()) -> str:
    """Markdown body of sap.qmd."""
    objectives = pd.DataFrame([{"Objective": o.id, "Level": o.level, "Text": o.text} for o in plan.objectives])
    parts = [identification(plan, sha256),
             heading(1, "Objectives", anchor="sap-objectives") + "\n"
             + _table(objectives, "objectives", "Objectives", stub=("Objective",)),
             design_section(plan, power_checks), schedule_section(plan), populations_section(plan),
             endpoints_section(plan),
             estimands_section(plan), derivations_section(plan), analyses_section(plan),
             missing_multiplicity_section(plan), notes_section(plan), catalogue_section(plan)]
    return "\n".join(parts)
