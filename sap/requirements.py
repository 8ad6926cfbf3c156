"""Build the data requirements of a plan: the DESIGN.md contract plus what the plan itself needs.

On top of :func:`sap.data.default_requirements_for_contract`: the plan's required datasets, the ADSL flag of
every population, the treatment variable, the strata variables, ``PHASE`` when the design has several
phases, the values the plan declares for them (:mod:`sap.declared_codes`), and the visit schedule for the BDS datasets of the contract (ADQS, ADLB), whose windows are the plan's
own visits (:class:`sap.spec.Visit`).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import pandas as pd

from sap.data import (AllowedValues, ColumnSpec, DataRequirements, UniqueKey, ValueRange, VisitSchedule,
                      default_requirements_for_contract)
from sap.data.defaults import YES_NO_FLAGS
from sap.declared_codes import declared_value_rules
from sap.spec import Plan

#: datasets whose records are events: zero rows is valid data (no event occurred), not a missing dataset
EVENT_DATASETS = ("adae",)


def requirements_for_plan(plan: Plan, datasets: Mapping[str, pd.DataFrame]) -> DataRequirements:
    """Return the :class:`sap.data.DataRequirements` the plan's data must meet."""
    if plan.data.contract == "adam":
        base = _generic_adam_requirements(plan)
    else:
        base = default_requirements_for_contract(plan.data.required_datasets)
    columns: list = [ColumnSpec(ds, col, "any", True) for ds, cols in plan.data.required_columns.items()
                     for col in cols]
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
    bds = tuple(d for d in ("adqs", "adlb") if d in datasets) if plan.data.contract == "msc-adam" else ()
    schedules: list = []
    if bds:
        schedules.append(VisitSchedule(datasets=bds, windows=plan.schedule.visits))
    ranges = tuple(ValueRange(r.dataset.lower(), r.column.upper(), r.paramcd, r.lo, r.hi) for r in plan.data.ranges)
    extra = DataRequirements(columns=tuple(columns), visit_schedules=tuple(schedules), ranges=ranges,
                             allowed=declared_value_rules(plan), subject_key=plan.data.subject_variable)
    merged = base.merge(extra)
    # an event dataset with its columns but no rows means "no events occurred" (e.g. no adverse events)
    empty_events = {d for d in EVENT_DATASETS if d in datasets and len(datasets[d]) == 0}
    if empty_events:
        merged = replace(merged, required_datasets=tuple(d for d in merged.required_datasets
                                                         if d not in empty_events))
    return merged


def _generic_adam_requirements(plan: Plan) -> DataRequirements:
    """ADaM core for real data of other studies: ADSL keys, subject integrity and Y/N flags."""
    subj = plan.data.subject_variable
    columns = [ColumnSpec("adsl", "STUDYID", "character", True), ColumnSpec("adsl", subj, "character", True)]
    return DataRequirements(required_datasets=plan.data.required_datasets, columns=tuple(columns),
                            allowed=tuple(AllowedValues(f, ("Y", "N")) for f in YES_NO_FLAGS),
                            unique_keys=(UniqueKey("adsl", (subj,)),), subject_key=subj)
