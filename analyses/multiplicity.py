"""Multiplicity control for a declared family of hypotheses.

* Fixed-sequence (hierarchical gatekeeping) testing: hypotheses are tested in their pre-specified
  order, each at the full alpha, and testing stops at the first non-rejection (Maurer, Hothorn &
  Lehmacher 1995; Westfall & Krishen 2001). The adjusted p-value of the i-th hypothesis is
  max(p_1, ..., p_i), so H_i is rejected iff its adjusted p-value <= alpha. Hand-written because
  statsmodels has no fixed-sequence procedure (R: ``gMCP``/``graphicalMCP`` with a chain graph;
  SAS: PROC MULTTEST has none, done in a DATA step).
* Bonferroni, Holm (step-down) and Hochberg (step-up) via
  ``statsmodels.stats.multitest.multipletests`` with methods "bonferroni", "holm",
  "simes-hochberg" (R ``p.adjust`` "bonferroni", "holm", "hochberg"; SAS PROC MULTTEST BON, HOLM
  (STEPBON), HOCHBERG).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from analyses.results import tidy_frame

#: Our method names -> statsmodels ``multipletests`` method names.
STATSMODELS_METHOD = {"bonferroni": "bonferroni", "holm": "holm", "hochberg": "simes-hochberg"}
METHODS = ("fixed_sequence",) + tuple(STATSMODELS_METHOD)


@dataclass(frozen=True)
class MultiplicityResult:
    """Per-hypothesis raw and adjusted p-values and decisions, in the declared order."""

    method: str
    alpha: float
    hypotheses: tuple[str, ...]
    p_values: tuple[float, ...]
    adjusted: tuple[float, ...]
    rejected: tuple[bool, ...]
    tested: tuple[bool, ...]
    analysis_id: str | None = None

    @property
    def stopped_at(self) -> str | None:
        """Fixed sequence: first hypothesis not rejected (where testing stops); else None."""
        for h, r in zip(self.hypotheses, self.rejected):
            if not r:
                return h
        return None

    def tidy(self) -> pd.DataFrame:
        rows = [{"analysis_id": self.analysis_id, "statistic": "adjusted_p_value", "estimate": adj,
                 "p_value": adj, "hypothesis": h, "raw_p_value": p, "rejected": rej,
                 "tested": tst, "order": i + 1, "method": self.method, "alpha": self.alpha}
                for i, (h, p, adj, rej, tst) in enumerate(zip(self.hypotheses, self.p_values,
                                                               self.adjusted, self.rejected,
                                                               self.tested))]
        return tidy_frame(rows)


def check_p_values(hypotheses: Sequence[str], p_values: Sequence[float], alpha: float) -> np.ndarray:
    """Raise ValueError for mismatched lengths, duplicate names, p outside [0, 1], bad alpha."""
    p = np.asarray(p_values, dtype=float)
    if len(hypotheses) != p.size or p.size == 0:
        raise ValueError("give one p-value per hypothesis (and at least one hypothesis)")
    if len(set(hypotheses)) != len(hypotheses):
        raise ValueError(f"hypothesis names must be unique: {list(hypotheses)}")
    bad = [h for h, v in zip(hypotheses, p) if not (0.0 <= v <= 1.0)]
    if bad:
        raise ValueError(f"p-values must lie in [0, 1]; bad for {bad}")
    if not 0.0 < alpha < 1.0:
        raise ValueError(f"alpha={alpha!r} must lie strictly between 0 and 1")
    return p


def fixed_sequence_test(hypotheses: Sequence[str], p_values: Sequence[float], alpha: float = 0.05,
                        analysis_id: str | None = None) -> MultiplicityResult:
    """Test ordered hypotheses each at ``alpha`` until the first non-rejection.

    Hypotheses after the stopping point are reported with ``tested=False`` and not rejected.
    """
    p = check_p_values(hypotheses, p_values, alpha)
    adjusted = np.maximum.accumulate(p)
    rejected = adjusted <= alpha
    # tested: every hypothesis up to and including the first non-rejection
    first_fail = int(np.argmax(~rejected)) if (~rejected).any() else p.size - 1
    tested = np.arange(p.size) <= first_fail
    return MultiplicityResult("fixed_sequence", alpha, tuple(hypotheses), tuple(map(float, p)),
                              tuple(map(float, adjusted)), tuple(map(bool, rejected)),
                              tuple(map(bool, tested)), analysis_id)


def adjust_p_values(hypotheses: Sequence[str], p_values: Sequence[float], method: str = "holm",
                    alpha: float = 0.05, analysis_id: str | None = None) -> MultiplicityResult:
    """Bonferroni / Holm / Hochberg adjusted p-values and decisions for a declared family,
    or the fixed-sequence procedure when ``method="fixed_sequence"``."""
    if method == "fixed_sequence":
        return fixed_sequence_test(hypotheses, p_values, alpha, analysis_id)
    if method not in STATSMODELS_METHOD:
        raise ValueError(f"method={method!r}; expected one of {METHODS}")
    p = check_p_values(hypotheses, p_values, alpha)
    rejected, adjusted, _, _ = multipletests(p, alpha=alpha, method=STATSMODELS_METHOD[method])
    return MultiplicityResult(method, alpha, tuple(hypotheses), tuple(map(float, p)),
                              tuple(map(float, adjusted)), tuple(map(bool, rejected)),
                              tuple(True for _ in hypotheses), analysis_id)
