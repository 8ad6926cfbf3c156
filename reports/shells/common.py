"""What every table shell shares: the shell context, column headers, visit labels and the standard footnotes."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

import pandas as pd

from reports.display import DisplayTable
from reports.sap_design import nonrandomized_footnote


@dataclass(frozen=True)
class ShellContext:
    """The run-level facts a shell may print: the frozen plan, the data source and whether data are blinded."""

    plan: Any  # sap.spec.Plan
    data_source: str = ""
    blinded: bool = False

    def analysis(self, result):
        return self.plan.analysis(result.analysis_id)

    def options(self, result):
        """The analysis' options as parsed on plan load."""
        return self.analysis(result).options

    def endpoint(self, result):
        return self.plan.endpoint(result.endpoint) if result.endpoint else None

    def visit_label(self, avisitn) -> str:
        return self.plan.visit_label(float(avisitn))


def group_header(label: str, n: Optional[int]) -> str:
    """Column header of a treatment group: 'Placebo (N=12)'."""
    return label if n is None else f"{label} (N={int(n)})"


def group_headers(result) -> dict[str, str]:
    """Group label -> column header with the population N, in display order."""
    return {g: group_header(g, n) for g, n in result.group_n.items()}


def population_footnote(result, sc: ShellContext) -> str:
    analysis = sc.analysis(result)
    pop = sc.plan.population(result.population)
    phase = f"; {sc.plan.design.phase(analysis.phase).label}" if analysis.phase else ""
    return f"Population: {pop.label} ({pop.definition.rstrip('.')}){phase}. N = number of subjects in the population."


def data_footnote(sc: ShellContext) -> str:
    return f"Data source: {sc.data_source}." if sc.data_source else ""


def result_footnotes(result, *, convergence_note: bool = True) -> list[str]:
    """Footnotes written from the result itself: exclusions with reasons, data notes, convergence, warnings.

    ``convergence_note=False`` for a shell whose table already says which estimate a non-converged fit left out
    (e.g. the NE hazard-ratio row of a duration table).
    """
    notes = [e.text() + "." for e in result.excluded]
    notes += list(result.notes)
    if result.converged is False and convergence_note:
        notes.append("A model fit did not converge: estimates it could not give are shown as NE; the warnings "
                     "below say which fit and why.")
    notes += [f"Warning: {w}" for w in result.warnings]
    return notes


def footnotes(result, sc: ShellContext, *method_notes: str, convergence_note: bool = True) -> tuple[str, ...]:
    """Method notes, then the result's own notes, a comparison of non-randomized groups saying so, the population
    and the data source (empty ones dropped)."""
    parts = (list(method_notes) + result_footnotes(result, convergence_note=convergence_note)
             + [nonrandomized_footnote(sc.plan, sc.analysis(result), result.rows), population_footnote(result, sc),
                data_footnote(sc)])
    return tuple(p for p in parts if p)


def not_produced_table(result, sc: ShellContext) -> DisplayTable:
    """A one-cell table saying why a result is not shown (not estimable, with its reason; or withheld)."""
    reason = result.not_estimable or result.withheld or ""
    text = f"Not estimable: {reason}" if result.not_estimable else reason
    return DisplayTable(result.title, pd.DataFrame({"Note": [text]}), footnotes=footnotes(result, sc))


def not_estimable_reason(result) -> str:
    """Why a result is not shown: its recorded reason."""
    return result.not_estimable or "no reason recorded"
