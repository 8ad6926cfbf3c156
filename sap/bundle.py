"""What a run hands to the report layer: display tables, tidy rows and figure data per analysis.

The pipeline (:mod:`sap.pipeline`) computes every analysis of a plan and collects the outcomes in a
:class:`RunBundle`; the report layer (``reports/``) only formats what is here, so no statistics are computed
while rendering. Column conventions of ``figure_data`` frames (one frame per key):

- ``lsmeans``: group, visit (AVISITN), visit_label, estimate, ci_lower, ci_upper (mean change with 95% CI)
- ``rates``: group, visit, visit_label, estimate, ci_lower, ci_upper, n (response proportion with CI)
- ``km_curve``: group, time, survival, ci_lower, ci_upper, censored (bool: a censoring at this time)
- ``at_risk``: group, time, n_at_risk
- ``subgroups``: subgroup, level, estimate, ci_lower, ci_upper, n (difference with CI per subgroup level,
  one row with subgroup "Overall")
- ``episodes``: subject, group, start, end, event (bool: response lost), ongoing (bool)
- ``trajectories``: subject, group, visit, value
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pandas as pd

from reports.display import DisplayTable  # noqa: F401 - transitional: adapters not yet moved to shells


@dataclass
class AnalysisOutcome:
    """Everything one plan analysis produced."""

    analysis_id: str
    title: str
    method: str
    population: str
    endpoint: Optional[str]
    tidy: pd.DataFrame
    tables: list[DisplayTable] = field(default_factory=list)
    figure_data: dict[str, pd.DataFrame] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    #: True when the analysis could not be computed (e.g. too few subjects); ``notes`` says why
    not_estimable: bool = False


@dataclass
class RunBundle:
    """All outcomes of one run plus provenance, in plan order."""

    plan: Any  # sap.spec.Plan
    plan_sha256: str
    outcomes: dict[str, AnalysisOutcome]
    manifest: dict[str, Any]
    blinded: bool = False
    derivation_log: Optional[pd.DataFrame] = None
    data_notes: list[str] = field(default_factory=list)
    #: the data source as footnotes print it (e.g. the frozen data folder and generator seed)
    data_source: str = ""
