"""The response criteria of the SAP document, written from the :class:`sap.spec_criteria.ResponseCriterion` objects
the derivations compute (issue 14: the text and the computation read the same parameters): domains (placeholders
resolved to what the derivations use, mandatory domains marked), change rules, counts, worsening rules, state
cut-offs and alternatives."""
from __future__ import annotations

import pandas as pd

from sap.spec_criteria import ACR_ACUTE_PHASE, ACUTE_PHASE, DAS28, DAS28_MARKER, PAIN

from reports.blocks import TablePart, frame_table, table_block

NO_WORSENING_RULE = "none (no worsening rule)"
NOT_APPLICABLE = "not applicable"


def _threshold_text(rule) -> str:
    """A :class:`sap.spec_criteria.ChangeRule` in words: '>= 20% of baseline and >= 1 unit on 0-10'."""
    op = ">" if rule.comparison == "strict" else ">="
    parts = [f"{op} {rule.relative * 100:.10g}% of baseline"] if rule.relative is not None else []
    if rule.absolute is not None:
        where = f" on 0-{rule.absolute_scale:g}" if rule.absolute_scale is not None else ""
        parts.append(f"{op} {rule.absolute:g} unit{'' if rule.absolute == 1 else 's'}{where}")
    return f" {rule.combine} ".join(parts)


def _parameter_text(parameter: str, plan) -> str:
    """A domain's PARAMCD; a placeholder as the PARAMCD the derivations put in its place."""
    return {PAIN: f"{plan.derivations.asas_pain_domain}, the plan's derivations.asas_pain_domain",
            ACUTE_PHASE: f"{ACR_ACUTE_PHASE}, the derivations' ACR acute-phase reactant",
            DAS28: f"DAS28{DAS28_MARKER}, the derivations' DAS28 for the EULAR response"}.get(parameter, parameter)


def _domain_text(domain, plan) -> str:
    scale = f"read on 0-{domain.scale:g}" if domain.scale is not None else "in its own unit"
    return (f"{domain.label or domain.parameter} ({_parameter_text(domain.parameter, plan)}; {domain.better} is "
            f"better; {scale}{'; mandatory' if domain.mandatory else ''})")


def _where(c, rule) -> str:
    """Which domains must meet the change rule: the mandatory ones and at least ``required`` of the others."""
    n = len(c.domains)
    if n == 1:
        return "in the domain"
    mandatory = [d.label or d.parameter for d in c.domains if d.mandatory]
    others = f"at least {c.n_required_of(rule)} of the {n - len(mandatory)}"
    if not mandatory:
        return f"in {others} domains"
    return f"in {' and '.join(mandatory)}" + (f", and in {others} other domains" if len(mandatory) < n else "")


def _rule_text(rule, c) -> str:
    """One rule of a criterion: its change rule and count, and/or its state cut-off."""
    parts = []
    if rule.change is not None:
        head = ("improvement (change from baseline in the better direction)" if rule.improvement is not None
                else "deterioration (change from baseline in the worse direction)")
        parts.append(f"{head} {_threshold_text(rule.change)} {_where(c, rule)}")
    if rule.cutoff is not None:
        op = {"le": "<=", "lt": "<"}[rule.cutoff.comparison]
        on = f" on 0-{rule.cutoff.scale:g}" if rule.cutoff.scale is not None else ""
        n = len(c.domains)
        parts.append(f"value at the visit {op} {rule.cutoff.value:g}{on} "
                     f"{'in the domain' if n == 1 else f'in every one of the {n} domains'}")
    return " and ".join(parts) + ("" if rule.change is not None else " (baseline not used)")


def _worsening_text(rule) -> str:
    if rule.improvement is None:
        return NOT_APPLICABLE
    return {"none": NO_WORSENING_RULE,
            "any": "no worsening at all in the remaining domain(s): post worse than baseline fails"}.get(
        rule.worsening.rule) or f"no worsening {_threshold_text(rule.worsening.threshold)} in the remaining domain(s)"


def criterion_rule_text(c) -> tuple[str, str]:
    """(rule, worsening rule) of a :class:`sap.spec_criteria.ResponseCriterion`, written from its parameters; a
    criterion with alternatives: 'any one of: (1) ...; (2) ...'."""
    rules = c.rules
    if len(rules) == 1:
        return _rule_text(rules[0], c), _worsening_text(rules[0])
    worse = [_worsening_text(r) for r in rules]
    quiet = (NOT_APPLICABLE, NO_WORSENING_RULE)
    per_rule = len(set(worse)) > 1 and any(w not in quiet for w in worse)
    alternatives = [f"({i}) {_rule_text(r, c)}" + (f", {w}" if per_rule and w not in quiet else "")
                    for i, (r, w) in enumerate(zip(rules, worse), start=1)]
    if per_rule:
        summary = "as stated in each alternative"
    else:
        summary = worse[0] if len(set(worse)) == 1 else NO_WORSENING_RULE
    return "any one of: " + "; ".join(alternatives), summary


def _notes(criteria) -> list[str]:
    notes = ["Relative change is (post - baseline) / baseline. A domain with baseline 0 cannot meet a relative "
             "improvement, and its worsening rests on the absolute rule alone. A missing domain at baseline or at "
             "the visit makes the response missing (then imputed as the plan's missing-data rule states).",
             "Each domain is read on the scale shown: the data are converted from the plan's input scale (pain "
             "from the 0-100 mm VAS); an absolute threshold written on 0-S is scaled to the domain's range."]
    rules = [r for c in criteria for r in c.rules]
    if any(d.scale is None for c in criteria for d in c.domains) and any(
            (r.change is not None and r.change.absolute is not None and r.change.absolute_scale is None)
            or (r.cutoff is not None and r.cutoff.scale is None) for r in rules):
        notes.append("A threshold or cut-off without a scale is in the domain's own unit (e.g. ASDAS or DAS28 "
                     "units).")
    if any(d.mandatory for c in criteria for d in c.domains):
        notes.append("A mandatory domain must meet the change rule itself; 'at least k of the m other domains' "
                     "counts the remaining domains.")
    if any(c.any_of for c in criteria):
        notes.append("A response with alternatives holds when any one of them holds.")
    if any(r.deterioration is not None for r in rules):
        notes.append("A deterioration rule defines a worsening response: the change from baseline in the worse "
                     "direction.")
    return notes


def criteria_table(plan) -> str:
    """One row per response criterion the plan derives, written from the criterion itself."""
    criteria = plan.derivations.response_criteria()
    rows = []
    for c in criteria:
        rule, worse = criterion_rule_text(c)
        rows.append({"Response": f"{c.label} ({c.id})", "Domains": "; ".join(_domain_text(d, plan) for d in c.domains),
                     "Response rule": rule, "Worsening rule": worse,
                     "Reference": c.reference + (f". {c.text}" if c.text else "")})
    if not rows:
        return ""
    return table_block([TablePart(frame_table(pd.DataFrame(rows), stub=("Response",)))], block_id="sap-criteria",
                       caption="Response criteria", notes=_notes(criteria))
