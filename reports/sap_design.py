"""What the SAP document and the tables say about how the groups were formed: the clinical phase as registered, a
non-randomized phase's allocation, and the label that marks a comparison between non-randomized groups (ICH E9
section 2.3: without randomization, differences between groups may reflect how subjects were assigned)."""
from __future__ import annotations

from reports.blocks import labelled

#: methods whose results compare the groups of a phase (differences, ratios, tests, adjusted p-values)
BETWEEN_GROUP_METHODS = frozenset({"response_comparison", "mmrm", "ancova", "response_duration", "time_to_response",
                                   "time_to_event", "multiplicity"})
NONRANDOMIZED_TEXT = ("the groups were not randomized, so between-group differences and tests are descriptive "
                      "comparisons of non-randomized groups, not randomized estimates of the treatment effect")


def clinical_phase_line(design) -> str:
    """'**Clinical phase (as registered):** Phase 1/2', or that the plan records none."""
    if design.clinical_phase:
        return labelled("Clinical phase (as registered)", design.clinical_phase)
    return labelled("Clinical phase", "not recorded in the plan (see the notes)")


def allocation_lines(phase) -> list[str]:
    """The allocation of a non-randomized phase and what it means for its comparisons (nothing for other kinds)."""
    if phase.allocation is None:
        return []
    a = phase.allocation
    split = f"; planned split {':'.join(map(str, a.ratio))} ({', '.join(phase.arms)})" if a.ratio else ""
    out = [labelled("Allocation", f"{a.method}{split}.")]
    if phase.compares_nonrandomized_groups():
        out.append(labelled("Comparisons", NONRANDOMIZED_TEXT[0].upper() + NONRANDOMIZED_TEXT[1:] + "."))
    return out


def analysis_phase(plan, analysis):
    """The phase an analysis is about: its own, or the trial's only phase (None when neither)."""
    if analysis.phase is not None:
        return plan.design.phase(analysis.phase)
    return plan.design.phases[0] if len(plan.design.phases) == 1 else None


def is_nonrandomized_comparison(plan, analysis) -> bool:
    """True for an analysis comparing the groups of a non-randomized phase (a duration analysis with
    ``compare: false`` describes each group and is not one)."""
    phase = analysis_phase(plan, analysis)
    return (phase is not None and phase.compares_nonrandomized_groups() and analysis.method in BETWEEN_GROUP_METHODS
            and getattr(analysis.options, "compare", True))


def comparison_label(plan, analysis) -> str:
    """' (non-randomized comparison)' for the title of such an analysis in the SAP document, else ''."""
    return " (non-randomized comparison)" if is_nonrandomized_comparison(plan, analysis) else ""


def nonrandomized_footnote(plan, analysis, rows) -> str:
    """Footnote of a table that compares non-randomized groups: its rows name a comparator."""
    phase = analysis_phase(plan, analysis)
    if phase is None or not phase.compares_nonrandomized_groups():
        return ""
    if "comparator" not in rows.columns or not rows["comparator"].notna().any():
        return ""
    return f"Non-randomized comparison: {NONRANDOMIZED_TEXT} (allocation: {phase.allocation.method})."
