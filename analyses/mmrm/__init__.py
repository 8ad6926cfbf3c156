"""MMRM engine (hand-written: no Python library fits an MMRM with unstructured covariance and
Kenward-Roger df). Public entry point: :func:`fit_mmrm` (SAS PROC MIXED REPEATED / R mmrm)."""
from .fit import MmrmConvergenceWarning, check_mmrm_data, fit_mmrm
from .model import MmrmFit

__all__ = ["fit_mmrm", "MmrmFit", "MmrmConvergenceWarning", "check_mmrm_data"]
