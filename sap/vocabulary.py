"""Controlled vocabularies of the plan and their display labels: one place for each.

The names a plan may write (covariance structures, df methods, CI methods, imputation, analysed values) and the
words every document prints for them. The statistics define the same names (``analyses/mmrm/covariance.py``
``STRUCTURES``, ``analyses/mmrm/fit.py`` ``DF_METHODS``, ``analyses/binary.py`` method maps); the plan layer may not
import them (dependency rule, ARCHITECTURE.md), so ``tests/sap/test_vocabulary.py`` checks that both agree.
The vocabulary of the ``statistic`` column of results is :data:`analyses.results.STATISTICS`.
"""
from __future__ import annotations

from typing import Literal

Value = Literal["CHG", "AVAL", "PCHG"]
CIMethod = Literal["clopper_pearson", "wilson", "jeffreys", "wald"]
DiffCIMethod = Literal["newcombe", "miettinen_nurminen", "mee", "wald"]
ConfType = Literal["log-log", "log", "plain"]
Covariance = Literal["us", "toep", "toeph", "ar1", "ar1h", "cs", "csh", "adh"]
DfMethod = Literal["kenward_roger", "kenward_roger_linear", "satterthwaite", "residual", "between_within"]

VALUE_LABELS = {"CHG": "change from baseline", "AVAL": "the analysis value", "PCHG": "percent change from baseline"}

CI_LABELS = {"clopper_pearson": "Clopper-Pearson exact", "wilson": "Wilson score", "jeffreys": "Jeffreys",
             "wald": "Wald", "newcombe": "Newcombe hybrid score", "miettinen_nurminen": "Miettinen-Nurminen",
             "mee": "Mee", "cmh": "Cochran-Mantel-Haenszel weighted"}

IMPUTATION_LABELS = {"nri": "Non-responder imputation", "observed_case": "Observed cases"}

#: covariance structure -> (label, number of parameters for t visits as text)
COVARIANCE_TYPES = {
    "us": ("unstructured", "t(t+1)/2"),
    "toep": ("Toeplitz", "t"),
    "toeph": ("heterogeneous Toeplitz", "2t-1"),
    "ar1": ("AR(1)", "2"),
    "ar1h": ("heterogeneous AR(1)", "t+1"),
    "cs": ("compound symmetry", "2"),
    "csh": ("heterogeneous compound symmetry", "t+1"),
    "adh": ("heterogeneous ante-dependence", "2t-1"),
}
COVARIANCE_LABELS = {k: v[0] for k, v in COVARIANCE_TYPES.items()}

DF_LABELS = {"kenward_roger": "Kenward-Roger", "kenward_roger_linear": "Kenward-Roger (linear)",
             "satterthwaite": "Satterthwaite", "residual": "residual", "between_within": "between-within"}

#: fit used for a Cox hazard ratio whose likelihood is monotone or whose fit does not converge
#: (``analyses/cox.py`` ``COX_FALLBACKS``); without one such a hazard ratio is not estimable
CoxFallback = Literal["firth"]
COX_FALLBACK_LABELS = {"firth": "Firth's penalised partial likelihood (Breslow ties, profile penalised-likelihood "
                                "confidence interval)"}


def cox_comparison(compare: bool, fallback: tuple[str, ...]) -> str:
    """The SAP words of the between-group comparison of a Kaplan-Meier method, fallback written out."""
    if not compare:
        return "no between-group test"
    used = " or ".join(COX_FALLBACK_LABELS[f] for f in fallback) or "none, the hazard ratio is not estimable"
    return ("log-rank test and Cox hazard ratio between groups (Efron ties, Wald confidence interval; Newton-Raphson "
            "with step halving, at most 20 iterations; if the partial likelihood is monotone, e.g. an arm without "
            f"events, or the fit does not converge: {used})")
