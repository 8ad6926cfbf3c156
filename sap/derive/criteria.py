"""Response criteria computed from their plan parameters (vectorised over subjects).

Hand-written (no library implements them; SAS/R derive them in DATA steps / ``mutate``). The criterion is a
:class:`sap.spec_criteria.ResponseCriterion`; this module reads nothing else. Inputs are (n, k) matrices (or one
(k,) record) in the order of ``criterion.domains``, each domain on its 0-``scale`` range (or in its own unit when
it has no scale). With g the change in the better direction (base - post when lower is better) and w = -g:

* improved: ``g >= relative * base`` (and/or) ``g >= absolute``; ``>`` when the comparison is strict; the relative
  part needs ``base > 0`` (a domain with baseline 0 cannot improve relatively). An absolute threshold written on
  0-S is ``absolute * scale / S`` on a domain read on 0-``scale``.
* worsened (the worsening rule ``thresholds``, and a deterioration rule): ``w >= relative * base`` (and/or)
  ``w >= absolute``, and w > 0; from baseline 0 the relative part holds for any w > 0, so the worsening rests on
  the absolute rule alone. Worsening rule ``any``: w > 0.
* a rule holds when every mandatory domain and at least ``required`` of the other domains meet its change rule
  (improved, or worsened for a deterioration rule), no domain is worsened under its worsening rule (an improved
  domain cannot be worse, so this is the "remaining domains" of the ASAS wording), and every post value is
  ``<=`` / ``<`` its state cut-off (a rule with a cut-off alone does not use the baseline);
* response: any one of the criterion's rules holds (``criterion.rules``: its ``any_of``, else its one rule).

Conventions as ``../shared/reference/as_endpoints.md`` section 1. A missing value in any domain (baseline, when a
rule reads it, or post) makes the response missing (NaN): it is left unevaluable, and the non-responder imputation
is applied later (:mod:`sap.derive.response`), never here. Cut-offs use the tolerance of :mod:`sap.derive._arrays`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from sap.spec_criteria import ChangeRule, CriterionDomain, ResponseCriterion, ResponseRule, StateCutoff, WorseningRule

from ._arrays import as_matrix, check_range, ge, gt, le, lt, squeeze_like, to_binary


def _on_domain(value: float, scale: Optional[float], domain: CriterionDomain) -> float:
    """A threshold written on 0-``scale`` (None: the domain's own unit) on the domain's 0-``domain.scale``."""
    return value if scale is None else value * domain.scale / scale


def _check(name: str, arr: np.ndarray, criterion: ResponseCriterion) -> None:
    for j, d in enumerate(criterion.domains):
        check_range(f"{name} {d.parameter} ({criterion.id})", arr[:, j], 0, d.scale)


def _meets(change: np.ndarray, base: np.ndarray, rule: ChangeRule, criterion: ResponseCriterion, *,
           zero_base: bool) -> np.ndarray:
    """(n, k) change meets ``rule``; ``zero_base`` is what the relative part gives where base is 0."""
    cmp = gt if rule.comparison == "strict" else ge
    parts = []
    if rule.relative is not None:
        parts.append(np.where(base > 0, cmp(change, rule.relative * base), zero_base))
    if rule.absolute is not None:
        thr = np.array([_on_domain(rule.absolute, rule.absolute_scale, d) for d in criterion.domains])
        parts.append(cmp(change, thr))
    if len(parts) == 1:
        return parts[0]
    return (parts[0] | parts[1]) if rule.combine == "or" else (parts[0] & parts[1])


def _worse_by(w: np.ndarray, base: np.ndarray, rule: ChangeRule, criterion: ResponseCriterion) -> np.ndarray:
    """(n, k) worsening ``w`` (change in the worse direction) meets ``rule``."""
    return _meets(w, base, rule, criterion, zero_base=True) & gt(w, 0.0)


def _worsened(g: np.ndarray, b: np.ndarray, rule: WorseningRule, criterion: ResponseCriterion) -> np.ndarray:
    """(n,) some domain is worsened under the worsening ``rule`` (g: change in the better direction)."""
    if rule.rule == "any":
        return gt(-g, 0.0).any(axis=1)
    if rule.rule == "thresholds":
        return _worse_by(-g, b, rule.threshold, criterion).any(axis=1)
    return np.zeros(g.shape[0], dtype=bool)


def _counted(met: np.ndarray, rule: ResponseRule, criterion: ResponseCriterion) -> np.ndarray:
    """(n,) every mandatory domain and at least ``required`` of the others meet the change rule."""
    mandatory = np.array([d.mandatory for d in criterion.domains])
    return met[:, mandatory].all(axis=1) & (met[:, ~mandatory].sum(axis=1) >= criterion.n_required_of(rule))


def _state(p: np.ndarray, c: StateCutoff, criterion: ResponseCriterion) -> np.ndarray:
    cut = np.array([_on_domain(c.value, c.scale, d) for d in criterion.domains])
    return (le(p, cut) if c.comparison == "le" else lt(p, cut)).all(axis=1)


def _rule_holds(b: Optional[np.ndarray], p: np.ndarray, rule: ResponseRule, criterion: ResponseCriterion):
    """(n,) ``rule`` holds (b may be None when the rule has no change rule)."""
    ok = np.ones(p.shape[0], dtype=bool)
    if rule.change is not None:
        sign = np.array([1.0 if d.better == "higher" else -1.0 for d in criterion.domains])
        g = (p - b) * sign  # change in the better direction (negation is exact in floating point)
        if rule.improvement is not None:
            ok &= _counted(_meets(g, b, rule.improvement, criterion, zero_base=False), rule, criterion)
            ok &= ~_worsened(g, b, rule.worsening, criterion)
        else:
            ok &= _counted(_worse_by(-g, b, rule.deterioration, criterion), rule, criterion)
    if rule.cutoff is not None:
        ok &= _state(p, rule.cutoff, criterion)
    return ok


def compute_domain_response(baseline: Any, post: Any, criterion: ResponseCriterion):
    """Response (1.0/0.0; NaN if any domain is missing) to ``criterion``; ``baseline`` may be None (and is not
    used) when every rule is a state cut-off at the visit. Inputs (n, k) or (k,), k = number of domains, columns
    in domain order."""
    k = len(criterion.domains)
    p = as_matrix("post", post, k)
    _check("post", p, criterion)
    miss = np.isnan(p).any(axis=1)
    b = None
    if criterion.needs_baseline:
        b = as_matrix("baseline", baseline, k)
        if b.shape != p.shape:
            raise ValueError(f"baseline and post shapes differ: {b.shape} vs {p.shape}")
        _check("baseline", b, criterion)
        miss = miss | np.isnan(b).any(axis=1)
    holds = np.zeros(p.shape[0], dtype=bool)
    for rule in criterion.rules:
        holds |= _rule_holds(b, p, rule, criterion)
    return squeeze_like(to_binary(holds, miss), post)
