"""ASAS response criteria, partial remission and BASDAI50 (vectorised over subjects).

Hand-written (no library implements them; SAS/R derive them in DATA steps / ``mutate``).
Domain order of the (n, 4) inputs: patient global, pain, function (BASFI), inflammation
(mean of BASDAI Q5 and Q6); all "lower is better".  ``scale`` 10 (0-10) or 100 (0-100):
absolute thresholds are multiplied by ``scale / 10``.

* ASAS20 (Anderson 2001, Arthritis Rheum 44:1876): >= 20 % and >= 1 unit improvement in >= 3
  domains and no worsening of >= 20 % and >= 1 unit in the remaining domain.
* ASAS40 (Brandt 2004, ARD 63:1438): >= 40 % and >= 2 units in >= 3 domains and no worsening
  at all (post - base > 0 fails) in the remaining domain.
* ASAS 5/6 (Brandt 2004): >= 20 % improvement in >= 5 of 6 domains (the 4 above, CRP, and
  spinal mobility = lateral spinal flexion, where *higher* is better); no absolute threshold,
  no worsening rule.
* Partial remission (ASAS handbook, Sieper 2009): value "not above 2" (``rule="le2"``, default)
  in all 4 domains; ``rule="lt2"`` gives Machado 2011's "below 2".  Uses post values only.
* BASDAI50: relative improvement >= 50 % (``rule="relative"``) or, as the ASAS anti-TNF
  continuation rule, >= 50 % or >= 2 units (``rule="relative_or_absolute"``).

Conventions (as_endpoints.md): relative change is (post - base) / base; a domain with baseline 0
cannot count as improved and its worsening rests on the absolute rule alone.  A missing value in
any domain (baseline or post) makes the response missing (NaN): it is left unevaluable, and
the non-responder imputation is applied later (``sap.derive.response``), never here.
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from ._arrays import as_float, as_matrix, check_range, check_scale, ge, gt, le, lt, squeeze_like, to_binary

ASAS_DOMAINS = ("patient_global", "pain", "function", "inflammation")
ASAS56_DOMAINS = ASAS_DOMAINS + ("crp", "lateral_flexion")


def _domains(baseline: Any, post: Any, scale: float, ncol: int = 4):
    s = check_scale(scale)
    b = as_matrix("baseline", baseline, ncol)
    p = as_matrix("post", post, ncol)
    if b.shape != p.shape:
        raise ValueError(f"baseline and post shapes differ: {b.shape} vs {p.shape}")
    check_range("baseline ASAS domains", b[:, :4], 0, s)
    check_range("post ASAS domains", p[:, :4], 0, s)
    return b, p, s / 10.0


def _improved(b, p, rel: float, unit: float):
    """Lower-is-better improvement by >= rel (fraction) and >= unit (absolute)."""
    d = p - b
    return (b > 0) & le(d, -rel * b) & le(d, -unit)


def compute_asas_improvement_domains(baseline: Any, post: Any, *, rel: float, units: float,
                                     scale: float = 10) -> np.ndarray:
    """Boolean (n, 4) matrix: domain improved by >= ``rel`` (fraction) and >= ``units`` (0-10 units)."""
    b, p, k = _domains(baseline, post, scale)
    return _improved(b, p, rel, units * k)


def compute_asas20(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS20 response (1.0/0.0; NaN if any domain is missing). Inputs (n, 4) or (4,)."""
    b, p, k = _domains(baseline, post, scale)
    d = p - b
    improved = _improved(b, p, 0.2, 1.0 * k)
    worsened = ge(d, 0.2 * b) & ge(d, 1.0 * k)
    ok = (improved.sum(axis=1) >= 3) & ~worsened.any(axis=1)
    miss = np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1)
    return squeeze_like(to_binary(ok, miss), baseline)


def compute_asas40(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS40 response (1.0/0.0; NaN if any domain is missing). Inputs (n, 4) or (4,)."""
    b, p, k = _domains(baseline, post, scale)
    d = p - b
    improved = _improved(b, p, 0.4, 2.0 * k)
    any_worse = gt(d, 0.0)
    ok = (improved.sum(axis=1) >= 3) & ~any_worse.any(axis=1)
    miss = np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1)
    return squeeze_like(to_binary(ok, miss), baseline)


def compute_asas56(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS 5/6 response; inputs (n, 6): the 4 ASAS domains, CRP (mg/L), lateral spinal flexion (cm).

    Improvement = >= 20 % decrease (>= 20 % increase for lateral flexion); baseline 0 cannot improve.
    """
    b, p, _ = _domains(baseline, post, scale, ncol=6)
    check_range("CRP", np.concatenate([b[:, 4], p[:, 4]]), 0, None)
    check_range("lateral flexion", np.concatenate([b[:, 5], p[:, 5]]), 0, None)
    d = p - b
    lower_better = (b[:, :5] > 0) & le(d[:, :5], -0.2 * b[:, :5])
    higher_better = (b[:, 5] > 0) & ge(d[:, 5], 0.2 * b[:, 5])
    n_imp = lower_better.sum(axis=1) + higher_better.astype(int)
    miss = np.isnan(b).any(axis=1) | np.isnan(p).any(axis=1)
    return squeeze_like(to_binary(n_imp >= 5, miss), baseline)


def compute_asas_partial_remission(post: Any, *, scale: float = 10,
                                   rule: Literal["le2", "lt2"] = "le2"):
    """ASAS partial remission: all 4 domains <= 2 (``le2``, handbook) or < 2 (``lt2``) on 0-10."""
    s = check_scale(scale)
    p = as_matrix("post", post, 4)
    check_range("post ASAS domains", p, 0, s)
    cut = 2.0 * s / 10.0
    if rule == "le2":
        ok = le(p, cut).all(axis=1)
    elif rule == "lt2":
        ok = lt(p, cut).all(axis=1)
    else:
        raise ValueError(f"partial remission rule must be 'le2' or 'lt2', got {rule!r}")
    return squeeze_like(to_binary(ok, np.isnan(p).any(axis=1)), post)


def compute_basdai50(baseline: Any, post: Any, *, scale: float = 10,
                     rule: Literal["relative", "relative_or_absolute"] = "relative"):
    """BASDAI50: >= 50 % decrease (``relative``) or >= 50 % or >= 2 units (``relative_or_absolute``)."""
    s = check_scale(scale)
    b, p = np.broadcast_arrays(as_float("baseline BASDAI", baseline), as_float("post BASDAI", post))
    check_range("baseline BASDAI", b, 0, s)
    check_range("post BASDAI", p, 0, s)
    d = p - b
    ok = (b > 0) & le(d, -0.5 * b)
    if rule == "relative_or_absolute":
        ok = ok | le(d, -2.0 * s / 10.0)
    elif rule != "relative":
        raise ValueError(f"BASDAI50 rule must be 'relative' or 'relative_or_absolute', got {rule!r}")
    out = to_binary(ok, np.isnan(d))
    return float(out) if np.ndim(out) == 0 else out
