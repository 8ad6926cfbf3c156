"""Domain-count response criteria (ASAS type) computed from their plan parameters (vectorised over subjects).

Hand-written (no library implements them; SAS/R derive them in DATA steps / ``mutate``). The criterion is a
:class:`sap.spec_criteria.ResponseCriterion`; this module reads nothing else. Inputs are (n, k) matrices (or one
(k,) record) in the order of ``criterion.domains``, each domain on its 0-``scale`` range (or in its own unit when
it has no scale). With g the change in the better direction (base - post when lower is better) and w = -g:

* improved: ``g >= relative * base`` (and/or) ``g >= absolute``; ``>`` when the comparison is strict; the relative
  part needs ``base > 0`` (a domain with baseline 0 cannot improve relatively). An absolute threshold written on
  0-S is ``absolute * scale / S`` on a domain read on 0-``scale``.
* worsened: ``any``: w > 0; ``thresholds``: ``w >= relative * base`` (and/or) ``w >= absolute``; from baseline 0
  the relative part holds for any w > 0, so the worsening rests on the absolute rule alone.
* response: at least ``required`` domains improved and no domain worsened (an improved domain cannot be worse, so
  this is the "remaining domains" of the ASAS wording); a state criterion: every post value ``<=`` / ``<`` the
  cut-off (baseline unused).

Conventions as ``../shared/reference/as_endpoints.md`` section 1. A missing value in any domain (baseline or post)
makes the response missing (NaN): it is left unevaluable, and the non-responder imputation is applied later
(:mod:`sap.derive.response`), never here. Cut-offs use the tolerance of :mod:`sap.derive._arrays`.
"""
from __future__ import annotations

from typing import Any, Optional

import numpy as np

from sap.spec_criteria import ChangeRule, CriterionDomain, ResponseCriterion

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


def _improvement_response(b: np.ndarray, p: np.ndarray, criterion: ResponseCriterion) -> np.ndarray:
    sign = np.array([1.0 if d.better == "higher" else -1.0 for d in criterion.domains])
    g = (p - b) * sign  # change in the better direction (negation is exact in floating point)
    improved = _meets(g, b, criterion.improvement, criterion, zero_base=False)
    w = criterion.worsening
    if w.rule == "any":
        worsened = gt(-g, 0.0)
    elif w.rule == "thresholds":
        worsened = _meets(-g, b, w.threshold, criterion, zero_base=True) & gt(-g, 0.0)
    else:
        worsened = np.zeros(g.shape, dtype=bool)
    return (improved.sum(axis=1) >= criterion.n_required) & ~worsened.any(axis=1)


def _state_response(p: np.ndarray, criterion: ResponseCriterion) -> np.ndarray:
    c = criterion.cutoff
    cut = np.array([_on_domain(c.value, c.scale, d) for d in criterion.domains])
    return (le(p, cut) if c.comparison == "le" else lt(p, cut)).all(axis=1)


def compute_domain_response(baseline: Any, post: Any, criterion: ResponseCriterion):
    """Response (1.0/0.0; NaN if any domain is missing) to ``criterion``; ``baseline`` may be None for a state
    criterion (a cut-off at the visit). Inputs (n, k) or (k,), k = number of domains, columns in domain order."""
    k = len(criterion.domains)
    p = as_matrix("post", post, k)
    _check("post", p, criterion)
    if criterion.cutoff is not None:
        return squeeze_like(to_binary(_state_response(p, criterion), np.isnan(p).any(axis=1)), post)
    b = as_matrix("baseline", baseline, k)
    if b.shape != p.shape:
        raise ValueError(f"baseline and post shapes differ: {b.shape} vs {p.shape}")
    _check("baseline", b, criterion)
    miss = np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1)
    return squeeze_like(to_binary(_improvement_response(b, p, criterion), miss), post)
