"""Exposure to study treatment: infusions received, cumulative dose and treatment duration per subject, and the
distribution of the number of infusions per display column.

Template EXT01 (pharmaverse chevron; R: ``tern::analyze_vars`` and ``tern::count_values`` on subject-level
exposure derived from ADEX; SAS: PROC MEANS / PROC FREQ of the per-subject totals). ADEX has one record per
infusion (DESIGN.md data contract); the summary statistics of the per-subject values are those of
:mod:`analyses.descriptive`.
"""
from __future__ import annotations

from typing import Optional, Sequence

import pandas as pd

from analyses.descriptive import column_subsets
from analyses.results import tidy_frame

INFUSIONS = "infusions"
CUMULATIVE_DOSE = "cumulative_dose"
DURATION_DAYS = "duration_days"


def derive_exposure(subjects: pd.DataFrame, adex: pd.DataFrame, *, subject: str = "USUBJID",
                    dose: Optional[str] = "EXDOSE") -> pd.DataFrame:
    """``subjects`` with ``infusions`` (ADEX records of the subject, 0 without one) and ``cumulative_dose``.

    ``cumulative_dose`` is the sum of ``dose`` over the subject's records with a dose (missing doses are left
    out); it is missing for a subject with no ADEX record, a subject whose every record lacks the dose (a dose
    that was never recorded is not a dose of 0), and when ``dose`` is None or not a column of ``adex``
    (R: ``sum(EXDOSE, na.rm = TRUE)`` with ``NA`` when every EXDOSE is ``NA``; SAS PROC MEANS SUM).
    """
    ids = subjects[subject]
    n_inf = adex.groupby(subject).size()
    out = subjects.assign(**{INFUSIONS: ids.map(n_inf).fillna(0).astype(int).to_numpy()})
    if dose is None or dose not in adex.columns:
        return out.assign(**{CUMULATIVE_DOSE: float("nan")})
    total = pd.to_numeric(adex[dose], errors="coerce").groupby(adex[subject]).sum(min_count=1)
    return out.assign(**{CUMULATIVE_DOSE: ids.map(total).astype(float).to_numpy()})


def derive_treatment_duration(subjects: pd.DataFrame, *, start: str = "TRTSDT", end: str = "TRTEDT") -> pd.DataFrame:
    """``subjects`` with ``duration_days`` = end - start + 1 (days, first to last dose inclusive); missing when
    either date is missing (ADaM TRTDURD)."""
    days = (pd.to_datetime(subjects[end]) - pd.to_datetime(subjects[start])).dt.days + 1
    return subjects.assign(**{DURATION_DAYS: days.astype(float)})


def summarize_infusion_counts(frame: pd.DataFrame, groups: Sequence[str], *, value: str = INFUSIONS,
                              group: str = "group", total: Optional[str] = None) -> pd.DataFrame:
    """Subjects who received k infusions, for k = 0 .. the largest number in any column (statistic ``count``,
    ``n`` = column N, ``label`` = "infusions=k"); every k gets a row in every column (0 where none)."""
    cols = column_subsets(frame, groups, group=group, total=total)
    max_n = int(max((sub[value].max() for _, sub in cols if len(sub)), default=0))
    rows = [dict(group=name, statistic="count", estimate=int((sub[value] == k).sum()), n=len(sub),
                 label=f"infusions={k}")
            for k in range(0, max_n + 1) for name, sub in cols]
    return tidy_frame(rows)
