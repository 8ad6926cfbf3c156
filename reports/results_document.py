"""The results report (report.qmd): the plan's output catalogue in clinical-study-report order.

Sections follow the CSR (disposition, baseline, exposure, efficacy, safety, dose escalation, reproduction);
inside a section, outputs keep the catalogue order. Every table carries its catalogue number and title as
caption, the analysis population, the display tables' column headers (with N per column), their footnotes,
the catalogue footnote and the analysis notes; each display table is also written to
``tables/<output id>_<n>.csv``. Figures are drawn from the results' ``frames`` and written to
``figures/<output id>.png`` (+ .svg). Nothing is computed here.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from reports import figures as figs
from reports.blocks import (BLINDED_LABEL, TablePart, bullets, figure_block, frame_table, heading, labelled,
                            note_block, paragraph, table_block)
from reports.format import ci_header
from reports.reproduction import count_agreement, how_data_were_made, summarize_reproduction
from reports.shells import display_tables
from reports.shells.common import ShellContext, not_estimable_reason
from reports.tables import write_table_csv
from reports.text import safe_filename

SECTIONS: tuple[tuple[str, str], ...] = (
    ("disposition", "Subject disposition and analysis populations"),
    ("baseline", "Demographics and baseline characteristics"),
    ("exposure", "Exposure to study treatment"),
    ("efficacy", "Efficacy"),
    ("safety", "Safety"),
    ("escalation", "Dose escalation"),
    ("reproduction", "Reproduction of the published results"),
)


@dataclass
class Assets:
    """Files written while composing a document (tables/*.csv, figures/*)."""

    paths: list[Path] = field(default_factory=list)


def display_number(output) -> str:
    """The printed number of an output: its id without a leading kind letter ('F14.2.1' -> '14.2.1')."""
    oid = output.id
    if len(oid) > 1 and oid[0] in "FTLftl" and oid[1].isdigit():
        return oid[1:]
    return oid


def output_caption(output, blinded: bool) -> str:
    """'Table 14.1.1: Subject disposition' (+ the blinded label)."""
    kind = {"table": "Table", "figure": "Figure", "listing": "Listing"}[output.kind]
    caption = f"{kind} {display_number(output)}: {output.title}"
    return f"{caption} [{BLINDED_LABEL}]" if blinded else caption


def population_text(plan, population_id: str | None) -> str:
    """'Full analysis set (FAS)' for a population id."""
    if not population_id:
        return "not specified"
    try:
        return f"{plan.population(population_id).label} ({population_id})"
    except StopIteration:
        return population_id


def _output_population(plan, output, outcomes) -> str:
    pops = [output.population] if output.population else []
    if not pops:
        pops = list(dict.fromkeys(o.population for a in output.analyses if (o := outcomes.get(a))))
    return "; ".join(population_text(plan, p) for p in pops) or "not specified"


def _analysis_population(plan, analysis_id, outcomes, default: str | None) -> str | None:
    outcome = outcomes.get(analysis_id)
    pop = outcome.population if outcome is not None else None
    return pop if pop and pop != default else None


def _multiplicity_note(plan, output) -> list[str]:
    family = {h.analysis for h in plan.multiplicity.family}
    if family and set(output.analyses) == family:
        order = "; ".join(f"{i}. {h.label}" for i, h in enumerate(plan.multiplicity.family, start=1))
        return [f"Multiplicity ({plan.multiplicity.strategy.replace('_', ' ')}, alpha = "
                f"{plan.multiplicity.alpha:g}): {order}. {plan.multiplicity.text}"]
    return []


def table_output_markdown(plan, output, outcomes, out_dir: Path, assets: Assets, *, blinded: bool,
                          sc: ShellContext | None = None) -> str:
    """A catalogue table: caption, population, each analysis' display tables, footnotes and notes."""
    sc = sc or ShellContext(plan, blinded=blinded)
    caption = output_caption(output, blinded)
    parts, notes, missing = [], [], []
    for analysis_id in output.analyses:
        outcome = outcomes.get(analysis_id)
        if outcome is None:
            missing.append(f"Analysis {analysis_id} was not part of this run; no result is shown for it.")
            continue
        other_pop = _analysis_population(plan, analysis_id, outcomes, output.population)
        if outcome.not_estimable:
            missing.append(f"{outcome.title} ({analysis_id}): not estimable. {not_estimable_reason(outcome)}")
            continue
        tables = display_tables(outcome, sc)
        for i, dt in enumerate(tables):
            title = dt.title or outcome.title
            if other_pop:
                title = f"{title} \u2014 population: {population_text(plan, other_pop)}"
            show_title = title if (len(output.analyses) > 1 or len(tables) > 1
                                   or title != output.title) else None
            if blinded and show_title:
                show_title = f"{show_title} [{BLINDED_LABEL}]"
            parts.append(TablePart(dt, show_title))
        if not tables:
            missing.append(f"{outcome.title} ({analysis_id}): the analysis produced no display table.")
    lines = [f"Population: {_output_population(plan, output, outcomes)}. N = number of subjects in the "
             f"population per column."]
    if blinded:
        lines.append(f"{BLINDED_LABEL}: results are not shown by treatment arm.")
    for n, part in enumerate(parts, start=1):
        assets.paths.append(write_table_csv(part.table, out_dir / "tables" / f"{safe_filename(output.id)}_{n}.csv"))
    footer = ([output.footnote] if output.footnote else []) + _multiplicity_note(plan, output) + notes + missing
    if not parts:
        return note_block(caption, lines + footer, block_id=f"out-{output.id}")
    return table_block(parts, block_id=f"out-{output.id}", caption=caption, lines=lines, notes=footer)


def _endpoint(plan, analysis):
    try:
        return plan.endpoint(analysis.endpoint) if analysis.endpoint else None
    except StopIteration:
        return None


def figure_labels(plan, kind: str, analysis_id: str) -> tuple[str, str]:
    """(value axis label, time axis label) for a figure from the analysis' endpoint and options."""
    try:
        analysis = plan.analysis(analysis_id)
    except StopIteration:
        return "Value", "Time"
    ep = _endpoint(plan, analysis)
    name = ep.label if ep else analysis.title
    unit = f" ({ep.unit})" if ep is not None and ep.unit else ""
    opts = analysis.options  # parsed on plan load: the options model's defaults, never the report's own
    value = str(getattr(opts, "value", "AVAL"))
    time_unit = str(getattr(opts, "time_unit", None) or (ep.unit if ep and ep.unit else "weeks"))
    ci = ci_header(getattr(opts, "level", 0.95))
    if kind == "mean_change":
        prefix = "LS mean" if analysis.method in ("mmrm", "ancova") else "Mean"
        what = {"CHG": "change from baseline in", "PCHG": "percent change from baseline in",
                "AVAL": ""}.get(value, "")
        return f"{prefix} {what} {name}{unit if value != 'PCHG' else ' (%)'}, {ci}".replace("  ", " "), "Visit"
    if kind == "response_rates":
        return f"{name}: responders (%), {ci}", "Visit"
    if kind == "km":
        if analysis.method == "response_duration":
            return "Probability of remaining in response", f"Time since onset of response ({time_unit})"
        if analysis.method == "time_to_response":
            return "Probability of not yet having responded", f"Time since first infusion ({time_unit})"
        return "Event-free probability", f"Time ({time_unit})"
    if kind == "forest":
        phase = plan.design.phase(analysis.phase) if analysis.phase else None
        if phase is not None and phase.reference_arm:
            ref = plan.design.arm(phase.reference_arm).label
            exp = [plan.design.arm(a).label for a in phase.arms if a != phase.reference_arm]
            return f"Difference in {name} proportion, {' / '.join(exp)} minus {ref} ({ci})", ""
        return f"Difference in {name} proportion ({ci})", ""
    if kind == "swimmer":
        return "", f"Study week ({time_unit})" if time_unit != "weeks" else "Study week"
    return f"{name}{unit}", "Visit"


def figure_output_markdown(plan, output, outcomes, out_dir: Path, assets: Assets, *, blinded: bool) -> str:
    """A catalogue figure: one image per analysis with figure data, numbered caption, notes."""
    caption = output_caption(output, blinded)
    notes = [output.footnote] if output.footnote else []
    notes.insert(0, f"Population: {_output_population(plan, output, outcomes)}.")
    kind = output.figure
    if kind is None:
        return note_block(caption, notes + ["The catalogue entry names no figure type."], block_id=f"out-{output.id}")
    produced, problems = [], []
    for analysis_id in output.analyses:
        outcome = outcomes.get(analysis_id)
        if outcome is None:
            problems.append(f"Analysis {analysis_id} was not part of this run.")
            continue
        if outcome.not_estimable:
            problems.append(f"{analysis_id}: not estimable. {not_estimable_reason(outcome)}")
            continue
        if outcome.withheld:
            problems.append(f"{analysis_id}: {outcome.withheld}")
            continue
        value_label, time_label = figure_labels(plan, kind, analysis_id)
        try:
            fig = figs.build_figure(kind, outcome.frames, value_label=value_label, time_label=time_label,
                                    pooled=blinded, level=outcome.level or 0.95)
        except KeyError as exc:
            problems.append(f"{analysis_id}: no figure data {exc} for a {kind.replace('_', ' ')} figure.")
            continue
        produced.append((analysis_id, outcome, fig))
    if not produced:
        return note_block(caption, notes + problems, block_id=f"out-{output.id}")
    out = []
    for k, (analysis_id, outcome, fig) in enumerate(produced, start=1):
        suffix = "" if len(produced) == 1 else f"_{k}"
        stem = out_dir / "figures" / f"{safe_filename(output.id)}{suffix}"
        paths = figs.save_figure(fig, stem)
        assets.paths += paths
        cap = caption if len(produced) == 1 else f"{caption} ({outcome.title})"
        extra = notes + [f"{analysis_id}: {n}" for n in outcome.notes] + (problems if k == len(produced) else [])
        out.append(figure_block(f"figures/{paths[0].name}", cap, notes=extra))
    return "\n".join(out)


def catalogue_frame(plan, outcomes, *, blinded: bool) -> pd.DataFrame:
    """The list of tables and figures with the population and whether each was produced."""
    rows = []
    for o in plan.outputs:
        found = [outcomes.get(a) for a in o.analyses]
        n_shown = sum(f is not None and not f.not_estimable for f in found)
        n_ne = sum(f is not None and bool(f.not_estimable) for f in found)
        if n_shown == len(found):
            status = "shown"
        elif n_shown == 0:
            status = "not estimable" if n_ne else "not run"
        else:
            status = f"{n_shown} of {len(found)} analyses shown"
        kind = {"table": "Table", "figure": "Figure", "listing": "Listing"}[o.kind]
        rows.append({"Number": f"{kind} {display_number(o)}", "Title": o.title,
                     "Population": population_text(plan, o.population) if o.population else "",
                     "Status": status})
    return pd.DataFrame(rows, columns=["Number", "Title", "Population", "Status"])


def reproduction_intro(plan, frame: pd.DataFrame, *, calibrated_data: bool) -> str:
    """What the reproduction table shows: on the frozen synthetic data, first how those data were made (the plan's
    statement); then how many published results agree with this run, values and directions counted apart."""
    c = count_agreement(frame)
    counts = (f"{c['agree']} of {c['total']} published results agree with this run: {c['values_agree']} of "
              f"{c['values']} published values to the published precision (the run's value rounds to the published "
              f"value) and {c['directions_agree']} of {c['directions']} published directions (such as p < 0.05) "
              "as directions. Values are read from this run's result rows by analysis, statistic and visit.")
    made = how_data_were_made(plan) if calibrated_data else ""
    return (paragraph(f"How the data of this run were made: {made}") + "\n" if made else "") + paragraph(counts)


def reproduction_markdown(plan, outcomes, *, calibrated_data: bool = False, output=None, out_dir: Path | None = None,
                          assets: Assets | None = None) -> str:
    """The reproduction table (published value beside this run's value) as the plan's reproduction output (caption
    and CSV ``tables/<id>_1.csv`` when ``output`` and ``out_dir`` are given); on the frozen synthetic data it first
    says how those data were made (:func:`how_data_were_made`)."""
    frame = summarize_reproduction(plan, outcomes)
    table = frame_table(frame, stub=("Published quantity",))
    caption = output_caption(output, False) if output is not None else "Table R.1: Published results and this run"
    if output is not None and out_dir is not None:
        path = write_table_csv(table, out_dir / "tables" / f"{safe_filename(output.id)}_1.csv")
        if assets is not None:
            assets.paths.append(path)
    notes = ["Agrees: a published value when |this run - published| <= precision / 2 (exact for counts); a "
             "published direction when this run's value lies on the published side."]
    notes += [output.footnote] if output is not None and output.footnote else []
    block = table_block([TablePart(table)], block_id=f"out-{output.id}" if output is not None else "reproduction",
                        caption=caption, notes=notes)
    return reproduction_intro(plan, frame, calibrated_data=calibrated_data) + "\n" + block


def data_notes_markdown(bundle) -> str:
    """Data-handling notes and the derivation log (e.g. sponsor scores re-derived from items)."""
    out = []
    if bundle.data_notes:
        out.append(bullets(bundle.data_notes))
    acct = bundle.accounting
    if acct is not None and not acct.empty:
        out.append(table_block([TablePart(frame_table(acct.reset_index(drop=True)))], block_id="accounting",
                               caption="Reconciliation of subjects and records",
                               lines=["Every ADSL subject and every record of each dataset: analysed, excluded by a "
                                      "named rule, or outside every analysis with the reason (accounting.csv). "
                                      "Records an analysis drops for its own reasons are in its footnotes."]))
    log = bundle.derivation_log
    if log is not None and not log.empty:
        out.append(table_block([TablePart(frame_table(log.reset_index(drop=True)))], block_id="derivation-log",
                               caption="Derivation log",
                               lines=[f"{len(log)} record(s) from the endpoint derivations."]))
    if not out:
        out.append(paragraph("No data-handling notes were recorded for this run."))
    return "\n".join(out)


def _section_blocks(bundle, section: str, items, out_dir: Path, assets: Assets, sc: ShellContext) -> list[str]:
    """The blocks of one report section. In the reproduction section of a plan with published values the first
    table of the section is the published-values comparison; its other outputs follow as usual."""
    plan, outcomes, blinded = bundle.plan, bundle.outcomes, bundle.blinded
    out, comparison = [], None
    if section == "reproduction" and plan.published:
        comparison = next((o for o in items if o.kind == "table"), None)
        out.append(reproduction_markdown(plan, outcomes, output=comparison, out_dir=out_dir, assets=assets,
                                         calibrated_data=bundle.manifest.get("data_source") == "frozen synthetic data"))
    for o in items:
        if o is comparison:
            continue
        if o.kind == "figure":
            out.append(figure_output_markdown(plan, o, outcomes, out_dir, assets, blinded=blinded))
        else:
            out.append(table_output_markdown(plan, o, outcomes, out_dir, assets, blinded=blinded, sc=sc))
    return out


def build_results_body(bundle, out_dir: Path) -> tuple[str, list[Path]]:
    """Markdown body of report.qmd and the table/figure files written."""
    plan, outcomes, blinded = bundle.plan, bundle.outcomes, bundle.blinded
    sc = ShellContext(plan, data_source=bundle.data_source, blinded=blinded)
    assets = Assets()
    out = [heading(1, "About this report", anchor="about")]
    out.append(paragraph(f"Results of the statistical analysis plan {plan.id} version {plan.version} "
                         f"({plan.title})."))
    out.append(labelled("Plan SHA-256", bundle.plan_sha256))
    out.append(labelled("Data source", str(bundle.manifest.get("data_source", "not recorded"))))
    if blinded:
        out.append(labelled(BLINDED_LABEL, "the data were pooled over treatment arms before analysis; no result "
                            "in this report is shown by arm."))
    out.append(paragraph("Tables and figures are numbered as in the plan's output catalogue. Column headers "
                         "give the number of subjects in the analysis population per column (N)."))
    out.append(table_block([TablePart(frame_table(catalogue_frame(plan, outcomes, blinded=blinded),
                                                  stub=("Number",)))],
                           block_id="catalogue", caption="List of tables and figures"))
    for section, title in SECTIONS:
        items = [o for o in plan.outputs if o.section == section]
        if not items and not (section == "reproduction" and plan.published):
            continue
        out.append(heading(1, title, anchor=f"sec-{section}"))
        out += _section_blocks(bundle, section, items, out_dir, assets, sc)
    out.append(heading(1, "Data handling notes", anchor="data-notes"))
    out.append(data_notes_markdown(bundle))
    return "\n".join(out), assets.paths
