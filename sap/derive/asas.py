"""ASAS20, ASAS40, ASAS 5/6, partial remission and BASDAI50 on arrays: thin wrappers over the plan presets.

Each function computes the preset of :func:`sap.spec_criteria.preset_criteria` (where the rules, their references
and conventions are written) with :func:`sap.derive.criteria.compute_domain_response`; the derivations call the
generic function with the plan's own criteria. Domain order of the (n, 4) inputs: patient global, pain, function
(BASFI), inflammation (mean of BASDAI Q5 and Q6), all "lower is better"; ASAS 5/6 adds CRP (mg/L) and lateral
spinal flexion (cm, higher is better). ``scale`` 10 (0-10) or 100 (0-100): the scale of the scored domains, whose
absolute thresholds and cut-offs are multiplied by ``scale / 10``.

* ASAS20 (Anderson 2001): >= 20 % and >= 1 unit in >= 3 domains, no worsening of >= 20 % and >= 1 unit.
* ASAS40 (Brandt 2004): >= 40 % and >= 2 units in >= 3 domains, no worsening at all (post - base > 0 fails).
* ASAS 5/6 (Brandt 2004): >= 20 % in >= 5 of 6 domains; no absolute threshold, no worsening rule.
* Partial remission (ASAS handbook, Sieper 2009): all 4 domains <= 2 (``le2``) or < 2 (``lt2``, Machado 2011).
* BASDAI50: >= 50 % (``relative``) or >= 50 % or >= 2 units (``relative_or_absolute``).
"""
from __future__ import annotations

from typing import Any, Literal

import numpy as np

from sap.spec_criteria import ResponseCriterion, preset_criteria

from ._arrays import as_float, check_scale
from .criteria import compute_domain_response


def _preset(code: str, scale: float, **rules) -> ResponseCriterion:
    """The preset with its scored domains read on 0-``scale``."""
    s = check_scale(scale)
    c = preset_criteria(**rules)[code]
    return c.model_copy(update={"domains": tuple(d if d.scale is None else d.model_copy(update={"scale": s})
                                                 for d in c.domains)})


def compute_asas20(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS20 response (1.0/0.0; NaN if any domain is missing). Inputs (n, 4) or (4,)."""
    return compute_domain_response(baseline, post, _preset("ASAS20", scale))


def compute_asas40(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS40 response (1.0/0.0; NaN if any domain is missing). Inputs (n, 4) or (4,)."""
    return compute_domain_response(baseline, post, _preset("ASAS40", scale))


def compute_asas56(baseline: Any, post: Any, *, scale: float = 10):
    """ASAS 5/6 response; inputs (n, 6): the 4 ASAS domains, CRP (mg/L), lateral spinal flexion (cm)."""
    return compute_domain_response(baseline, post, _preset("ASAS56", scale))


def compute_asas_partial_remission(post: Any, *, scale: float = 10, rule: Literal["le2", "lt2"] = "le2"):
    """ASAS partial remission: all 4 domains <= 2 (``le2``, handbook) or < 2 (``lt2``) on 0-10."""
    if rule not in ("le2", "lt2"):
        raise ValueError(f"partial remission rule must be 'le2' or 'lt2', got {rule!r}")
    return compute_domain_response(None, post, _preset("ASASPR", scale, partial_remission_rule=rule))


def compute_basdai50(baseline: Any, post: Any, *, scale: float = 10,
                     rule: Literal["relative", "relative_or_absolute"] = "relative"):
    """BASDAI50: >= 50 % decrease (``relative``) or >= 50 % or >= 2 units (``relative_or_absolute``)."""
    if rule not in ("relative", "relative_or_absolute"):
        raise ValueError(f"BASDAI50 rule must be 'relative' or 'relative_or_absolute', got {rule!r}")
    b, p = np.broadcast_arrays(as_float("baseline BASDAI", baseline), as_float("post BASDAI", post))
    out = compute_domain_response(b.reshape(-1, 1), p.reshape(-1, 1), _preset("BASDAI50", scale, basdai50_rule=rule))
    out = np.asarray(out).reshape(b.shape)
    return float(out) if out.ndim == 0 else out
