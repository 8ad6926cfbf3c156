"""The one result type every plan analysis returns: :class:`AnalysisResult`.

A result is data, never display text. It holds the tidy rows (the ``results.json`` contract of DESIGN.md:
:data:`analyses.results.RESULT_COLUMNS` first, then named extra columns), the confidence level, convergence and
warnings, the records used and the records excluded with their reasons, and named supporting frames (figure
data, listing rows). Table shells (``reports/shells/``) turn a result into display tables; headers and footnotes
are written from the result's level, method and population.

A result that could not be estimated carries ``not_estimable`` (the reason, e.g. "fewer than 2 subjects in arm X
at week 4"); the report shows the reason in the table footnote. ``withheld`` marks a result deliberately not
produced (e.g. between-arm comparisons on blinded data), which is not a failure.

Documented ``frames`` keys (figure data, one frame per key):

- ``lsmeans``: group, visit (AVISITN), visit_label, estimate, ci_lower, ci_upper
- ``rates``: group, visit, visit_label, estimate, ci_lower, ci_upper, n
- ``km_curve``: group, time, survival, ci_lower, ci_upper, censored (bool: a censoring at this time)
- ``at_risk``: group, time, n_at_risk
- ``subgroups``: subgroup, level, estimate, ci_lower, ci_upper, n
- ``episodes``: subject, group, start, end, event (bool: response lost), ongoing (bool)
- ``trajectories``: subject, group, visit, value
- ``escalation``: cohort, dose, n_dlt (DLTs in the cohort), decision (one row per cohort)
- ``cohorts``: the 3+3 engine's decision history (one row per cohort, with cumulative counts per dose)
- ``descriptive``: tidy rows of every descriptive statistic a baseline table prints (incl. min, max)
"""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping, Optional

import pandas as pd

from analyses.results import tidy_frame


@dataclass(frozen=True)
class Exclusion:
    """Records left out of an analysis and why (e.g. 'missing baseline', 12 records)."""

    reason: str
    n: int
    unit: str = "records"

    def text(self) -> str:
        unit = self.unit[:-1] if self.n == 1 and self.unit.endswith("s") else self.unit
        return f"{self.n} {unit} excluded: {self.reason}"


@dataclass(frozen=True)
class AnalysisResult:
    """Everything one plan analysis produced, as data (frozen)."""

    analysis_id: str
    method: str
    title: str
    population: str
    endpoint: Optional[str]
    #: tidy result rows (RESULT_COLUMNS first, then named extra columns)
    rows: pd.DataFrame
    #: confidence level of the intervals in ``rows`` (None when the method reports no interval)
    level: Optional[float] = None
    #: population N per treatment group, in display order (the denominators and the column headers)
    group_n: Mapping[str, int] = field(default_factory=dict)
    #: display label of the comparator group (None without one)
    reference: Optional[str] = None
    #: named supporting frames (figure data, listings); keys documented in the module docstring
    frames: Mapping[str, pd.DataFrame] = field(default_factory=dict)
    #: None = not applicable (no iterative fit); True/False = the fit converged or not
    converged: Optional[bool] = None
    #: warnings raised while computing (fit warnings, fallback covariance used, ...), as text
    warnings: tuple[str, ...] = ()
    #: method notes that depend on the data (e.g. 'covariance: heterogeneous Toeplitz (fallback)')
    notes: tuple[str, ...] = ()
    records_used: Optional[int] = None
    excluded: tuple[Exclusion, ...] = ()
    #: reason the analysis could not be estimated (None when it was)
    not_estimable: Optional[str] = None
    #: reason the analysis was deliberately not produced (e.g. blinded data); not a failure
    withheld: Optional[str] = None
    #: method-specific values a shell needs that are not result rows (small, JSON-safe)
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "group_n", MappingProxyType(dict(self.group_n)))
        object.__setattr__(self, "frames", MappingProxyType(dict(self.frames)))
        object.__setattr__(self, "extra", MappingProxyType(dict(self.extra)))

    @property
    def produced(self) -> bool:
        """True when the result has estimates to show (neither not estimable nor withheld)."""
        return self.not_estimable is None and self.withheld is None



def not_estimable_result(analysis, reason: str, *, group_n: Mapping[str, int] | None = None,
                         excluded: tuple[Exclusion, ...] = (), warnings: tuple[str, ...] = ()) -> AnalysisResult:
    """A result recording that ``analysis`` could not be estimated, and why."""
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          tidy_frame([]), group_n=group_n or {}, excluded=excluded, warnings=warnings,
                          not_estimable=reason)


def withheld_result(analysis, reason: str, *, group_n: Mapping[str, int] | None = None) -> AnalysisResult:
    """A result deliberately not produced (e.g. between-arm comparisons on blinded data)."""
    return AnalysisResult(analysis.id, analysis.method, analysis.title, analysis.population, analysis.endpoint,
                          tidy_frame([]), group_n=group_n or {}, withheld=reason)
