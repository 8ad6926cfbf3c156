"""MMRM engine, hand-written: no Python library fits an MMRM with unstructured (or other) residual
covariance and Kenward-Roger / Satterthwaite df. SAS equivalent: PROC MIXED with REPEATED /
TYPE=...; R equivalent: mmrm::mmrm.

Modules: covariance (structures in SAS parameterisation + unconstrained optimiser maps), design
(treatment-coded design, explicit reference levels), likelihood (REML/ML, analytic gradient and
Hessian grouped by missingness pattern), optimize (L-BFGS-B/BFGS/Powell + Newton polish),
inference (Satterthwaite, Kenward-Roger, KR-linear, empirical), lsmeans, model (MmrmFit), fit
(fit_mmrm, input checks, fallback chain).
"""
from .fit import MmrmConvergenceWarning, check_mmrm_data, fit_mmrm
from .model import MmrmFit

__all__ = ["fit_mmrm", "MmrmFit", "MmrmConvergenceWarning", "check_mmrm_data"]
