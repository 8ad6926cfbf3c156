"""Build the data requirements of a plan: the DESIGN.md contract plus what the plan itself needs.

On top of :func:`sap.data.default_requirements_for_contract`: the plan's required datasets, the ADSL flag of
every population, the treatment variable, the strata variables, ``PHASE`` when the design has several
phases, and the visit schedule's windows for the BDS datasets of the contract (ADQS, ADLB).
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from sap.spec import Plan


def requirements_for_plan(plan: Plan, datasets: Mapping[str, pd.DataFrame]):
    """Return the :class:`sap.data.DataRequirements` the plan's data must meet."""
    from sap.data import (ColumnSpec, DataRequirements, VisitSchedule, VisitWindow,
                          default_requirements_for_contract)

    base = default_requirements_for_contract(plan.data.required_datasets)
    columns: list = []
    trt = plan.design.treatment_variable
    columns.append(ColumnSpec("adsl", trt, "character", True))
    alternatives = {"FASFL": ("ITTFL",), "ITTFL": ("FASFL",)}
    for pop in plan.populations:
        if pop.flag:
            columns.append(ColumnSpec(pop.dataset, pop.flag, "character", True, alternatives.get(pop.flag, ())))
    for stratum in plan.design.strata:
        columns.append(ColumnSpec("adsl", stratum.variable, "any", True))
    if len(plan.design.phases) > 1:
        columns.append(ColumnSpec("adsl", "PHASE", "any", True))
    bds = tuple(d for d in ("adqs", "adlb") if d in datasets)
    schedules: list = []
    if bds:
        windows = tuple(VisitWindow(v.avisitn, v.label, v.target_day, v.window[0], v.window[1])
                        for v in plan.schedule.visits)
        schedules.append(VisitSchedule(datasets=bds, windows=windows))
    extra = DataRequirements(columns=tuple(columns), visit_schedules=tuple(schedules),
                             subject_key=plan.data.subject_variable)
    return base.merge(extra)
