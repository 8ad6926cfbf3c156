"""Safety analyses: one import point for the AE tables, DLT rates and laboratory summaries.

Modules: :mod:`analyses.safety_ae_data` (input contract, population join, record accounting),
:mod:`analyses.safety_ae_tables` (overview, SOC/PT, serious, AESI),
:mod:`analyses.safety_ae_grade` (maximum grade), :mod:`analyses.safety_ae_rate`
(exposure-adjusted incidence), :mod:`analyses.safety_dlt` (DLT rate per dose) and
:mod:`analyses.safety_labs` (shift tables, change from baseline).
"""
from analyses.safety_ae_data import AEColumns, AEData, prepare_ae_data
from analyses.safety_ae_grade import summarize_ae_by_max_grade
from analyses.safety_ae_rate import (AERateTable, compute_poisson_rate_ci,
                                     summarize_ae_incidence_rate)
from analyses.safety_ae_tables import (AETable, summarize_ae_by_soc_pt,
                                       summarize_ae_overview, summarize_ae_special_interest,
                                       summarize_serious_ae)
from analyses.safety_dlt import DLTRateResult, summarize_dlt_rate
from analyses.safety_labs import (LabSummary, derive_range_category,
                                  summarize_lab_change, summarize_lab_shift)

__all__ = [
    "AEColumns", "AEData", "prepare_ae_data", "summarize_ae_overview", "summarize_ae_by_soc_pt",
    "summarize_serious_ae", "summarize_ae_special_interest", "summarize_ae_by_max_grade",
    "summarize_ae_incidence_rate", "compute_poisson_rate_ci", "summarize_dlt_rate",
    "summarize_lab_shift", "summarize_lab_change", "derive_range_category", "AETable",
    "AERateTable", "DLTRateResult", "LabSummary",
]
