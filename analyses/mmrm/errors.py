"""The documented ways an MMRM fit fails on valid input (the data do not support the model).

Malformed input (a missing column, a duplicated subject x visit record, an unknown option) is a
``ValueError`` raised by :func:`analyses.mmrm.fit.check_mmrm_data` and the option checks; callers fix
their input. The classes below are the failures of the *model* on well-formed data, which a caller may
catch and record (SAS PROC MIXED prints "Did not converge" / "Estimated G matrix is not positive
definite"; R ``mmrm`` stops with "Model convergence problem").
"""
from __future__ import annotations


class MmrmConvergenceWarning(UserWarning):
    """The requested covariance structure did not converge and a fallback structure was used (or, with
    ``MmrmSettings(accept_nonconverged=True)``, no structure converged)."""


class MmrmEstimationError(Exception):
    """The MMRM cannot be estimated from these (well-formed) data."""


class MmrmConvergenceError(MmrmEstimationError):
    """No covariance structure of the fallback chain converged. ``history`` lists every attempt
    (covariance, optimizer, converged, -2 log L, message)."""

    def __init__(self, message: str, history: list | None = None):
        super().__init__(message)
        self.history = list(history or [])


class MmrmRankDeficientError(MmrmEstimationError, ValueError):
    """The fixed-effects design is rank deficient (an empty group x visit cell, collinear covariates)."""
