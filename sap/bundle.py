"""What a run hands to the report layer: the plan, every analysis result (:class:`sap.results.AnalysisResult`)
and the run's provenance.

The pipeline (:mod:`sap.pipeline`) computes every analysis of a plan and collects the results in a
:class:`RunBundle`; the report layer (``reports/``) only formats what is here (table shells, figures), so no
statistics are computed while rendering.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import pandas as pd

from sap.results import AnalysisResult


@dataclass
class RunBundle:
    """All results of one run plus provenance, in plan order."""

    plan: Any  # sap.spec.Plan
    plan_sha256: str
    outcomes: dict[str, AnalysisResult]
    manifest: dict[str, Any]
    blinded: bool = False
    derivation_log: Optional[pd.DataFrame] = None
    data_notes: list[str] = field(default_factory=list)
    #: the data source as footnotes print it (e.g. the frozen data folder and generator seed)
    data_source: str = ""
    #: the computed power of each phase's sample-size assumptions (sap.sample_size.PowerCheck)
    power_checks: tuple = ()
    #: every subject and record analysed, excluded or outside, with the reason (sap.accounting.COLUMNS)
    accounting: Optional[pd.DataFrame] = None
