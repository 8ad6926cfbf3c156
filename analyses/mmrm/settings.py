"""Advanced settings of :func:`analyses.mmrm.fit_mmrm`, in one frozen object (:class:`MmrmSettings`).

The model itself (response, subject, visit, group, covariates, visit covariates, covariance structure,
REML/ML, df method) is given to ``fit_mmrm`` directly, as DESIGN.md states; everything else lives here.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .optimize import OPTIMIZERS

VCOV_METHODS = ("model", "kenward_roger", "kenward_roger_linear", "empirical")
KENWARD_ROGER = ("kenward_roger", "kenward_roger_linear")


@dataclass(frozen=True)
class MmrmSettings:
    """Settings of an MMRM fit beyond the model statement.

    - ``vcov``: covariance of beta used for inference: "model", "kenward_roger", "kenward_roger_linear",
      "empirical" (SAS ``EMPIRICAL``); None follows ``df`` (KR df -> KR covariance, otherwise model-based).
    - ``covariance_by_group``: a separate Sigma per group (SAS ``REPEATED / GROUP=``).
    - ``reference`` (group reference level); ``references`` ({column: level}) and ``reference_level``
      ("first" as R, "last" as SAS) for the treatment coding; ``visit_levels`` / ``group_levels`` (level order).
    - ``fallback``: covariance structures tried in order if the requested one does not converge (None: the
      default chain of the structure, () to disable).
    - ``accept_nonconverged``: when no structure converges, return the best non-converged fit flagged
      ``converged=False`` (with an :class:`MmrmConvergenceWarning`) instead of raising
      :class:`~analyses.mmrm.errors.MmrmConvergenceError`.
    - optimizer controls: ``optimizers`` (tried in turn), ``tol`` (Newton criterion g'H^-1g), ``maxiter``.
    - ``level`` (confidence level of intervals); ``visit_effect`` / ``group_by_visit`` (drop the visit main
      effect / group x visit interaction, e.g. to reproduce ``MODEL y = group``); ``weights`` (column of
      positive observation weights, SAS ``WEIGHT``).
    """

    vcov: Optional[str] = None
    covariance_by_group: bool = False
    reference: Any = None
    references: Optional[Mapping[str, Any]] = None
    reference_level: str = "first"
    visit_levels: Optional[tuple] = None
    group_levels: Optional[tuple] = None
    fallback: Optional[tuple[str, ...]] = None
    accept_nonconverged: bool = False
    optimizers: tuple[str, ...] = OPTIMIZERS
    tol: float = 1e-9
    maxiter: int = 2000
    level: float = 0.95
    visit_effect: bool = True
    group_by_visit: bool = True
    weights: Optional[str] = None

    def vcov_for(self, df: str) -> str:
        """The vcov method in effect for df method ``df`` (checked against :data:`VCOV_METHODS`)."""
        vcov = self.vcov if self.vcov is not None else (df if df in KENWARD_ROGER else "model")
        if vcov not in VCOV_METHODS:
            raise ValueError(f"vcov must be one of {VCOV_METHODS}, got {vcov!r}")
        return vcov
