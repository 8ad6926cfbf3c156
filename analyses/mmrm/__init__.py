"""MMRM engine, hand-written: no Python library fits an MMRM with unstructured (or other) residual
covariance and Kenward-Roger / Satterthwaite df. SAS equivalent: PROC MIXED with REPEATED /
TYPE=...; R equivalent: mmrm::mmrm.

Modules: covariance (structures in SAS parameterisation + unconstrained optimiser maps), design
(treatment-coded design, explicit reference levels), likelihood (REML/ML, analytic gradient and
Hessian grouped by missingness pattern), optimize (L-BFGS-B/BFGS/Powell + Newton polish),
inference (Satterthwaite, Kenward-Roger, KR-linear, empirical; the df-method dispatch), lsmeans,
model (MmrmFit, compute_mmrm_fit), settings (MmrmSettings), errors (documented fit failures), fit
(fit_mmrm, input checks, fallback chain).
"""
from .errors import MmrmConvergenceError, MmrmConvergenceWarning, MmrmEstimationError, MmrmRankDeficientError
from .fit import check_mmrm_data, fit_mmrm
from .model import MmrmFit, compute_mmrm_fit
from .settings import MmrmSettings

__all__ = ["fit_mmrm", "MmrmFit", "compute_mmrm_fit", "MmrmSettings", "MmrmConvergenceWarning",
           "MmrmConvergenceError", "MmrmEstimationError", "MmrmRankDeficientError", "check_mmrm_data"]
