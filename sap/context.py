"""The analysis context: one run's plan, data, derived datasets, populations and treatment groups.

Adapters (:mod:`sap.adapters`) receive an :class:`AnalysisContext` and one plan analysis; they select the
population, phase and groups from here so that every analysis uses the same subject sets. ADSL gains four
columns when the context is built: ``ARMID`` (plan arm id), ``ARMLABEL`` (display label), ``ARMORD``
(order in the plan) and ``PHASEID`` (plan phase id). Subjects whose treatment is masked (TRT01P = "BLINDED",
a blinded data review) form one pooled group, so nothing by randomized arm can be produced; open-label subjects
(e.g. Phase 1 dose levels) keep their groups.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

import numpy as np
import pandas as pd

from sap.errors import UserInputError
from sap.spec import Analysis, Plan

BLINDED_VALUE = "BLINDED"
BLINDED_GROUP = "Blinded treatment (pooled)"


def is_masked(values: pd.Series) -> pd.Series:
    """Boolean mask of masked treatment values (``"BLINDED"``, blanks and case ignored; missing is False)."""
    return (values.astype("string").str.strip().str.upper() == BLINDED_VALUE).fillna(False).astype(bool)


@dataclass
class AnalysisContext:
    plan: Plan
    datasets: dict[str, pd.DataFrame]
    adsl: pd.DataFrame
    derived: dict[str, pd.DataFrame] = field(default_factory=dict)
    blinded: bool = False
    data_source: str = ""

    # ------------------------------------------------------------------ groups
    def group_order(self, phase: Optional[str] = None) -> list[str]:
        """Display labels of the treatment groups (plan order), restricted to a phase if given."""
        arms = [a for a in self.plan.design.arms if phase is None or a.phase == phase]
        frame = self.adsl if phase is None else self.adsl[self.adsl["PHASEID"] == phase]
        present = set(frame["ARMLABEL"].dropna())
        order = [a.label for a in arms if a.label in present]
        if BLINDED_GROUP in present:
            order.append(BLINDED_GROUP)
        return order

    def reference_group(self, phase: Optional[str] = None) -> Optional[str]:
        """Display label of the comparator arm of the phase (None in blinded mode or without one)."""
        if self.blinded:
            return None
        phases = [self.plan.design.phase(phase)] if phase else list(self.plan.design.phases)
        for ph in phases:
            if ph.reference_arm:
                return self.plan.design.arm(ph.reference_arm).label
        return None

    # ------------------------------------------------------------------ populations
    def population_subjects(self, population: str, phase: Optional[str] = None) -> pd.DataFrame:
        """ADSL rows of the population (flag == "Y"), restricted to the analysis' phase."""
        pop = self.plan.population(population)
        frame = self.adsl
        if pop.flag is not None:
            flag = _flag_column(frame, pop.flag, population)
            frame = frame[frame[flag].astype("string").str.upper() == "Y"]
        if phase is not None:
            frame = frame[frame["PHASEID"] == phase]
        return frame

    def analysis_subjects(self, analysis: Analysis) -> pd.DataFrame:
        return self.population_subjects(analysis.population, analysis.phase)

    def column_counts(self, analysis: Analysis) -> dict[str, int]:
        """Population N per group (the denominators of every percentage), in group order."""
        subj = self.analysis_subjects(analysis)
        counts = subj["ARMLABEL"].value_counts()
        return {g: int(counts.get(g, 0)) for g in self.group_order(analysis.phase)}

    def attach_groups(self, frame: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
        """Inner-join a subject-level or record-level frame to the analysis subjects' groups."""
        subj_var = self.plan.data.subject_variable
        cols = [subj_var, "ARMID", "ARMLABEL", "ARMORD", "PHASEID"]
        keep = [c for c in frame.columns if c not in cols[1:]]
        return frame[keep].merge(subjects[cols], on=subj_var, how="inner")


def _flag_column(frame: pd.DataFrame, flag: str, population: str) -> str:
    if flag in frame.columns:
        return flag
    alternatives = {"FASFL": "ITTFL", "ITTFL": "FASFL"}
    alt = alternatives.get(flag)
    if alt and alt in frame.columns:
        return alt
    raise UserInputError(f"adsl: population {population} needs flag column {flag}, which is absent")


def assign_arms(plan: Plan, adsl: pd.DataFrame, *, blinded: bool = False) -> pd.DataFrame:
    """Add ARMID/ARMLABEL/ARMORD/PHASEID to ADSL from the plan's arms (matched on the treatment variable).

    Every ADSL subject must match an arm of the plan, or be a screen failure with an empty treatment;
    unmatched values are reported with their rows (never silently dropped).
    """
    trt = plan.design.treatment_variable
    if trt not in adsl.columns:
        raise UserInputError(f"adsl: treatment variable {trt} (design.treatment_variable) is absent")
    out = adsl.copy()
    values = out[trt].astype("string").str.strip()
    masked = is_masked(values)
    by_value = {a.data_value: (a.id, a.label, i + 1) for i, a in enumerate(plan.design.arms)}
    by_value[BLINDED_VALUE] = ("BLINDED", BLINDED_GROUP, len(plan.design.arms) + 1)
    values = values.mask(masked, BLINDED_VALUE)
    unknown = ~values.isin(list(by_value)) & values.notna() & (values != "")
    if unknown.any():
        rows = (np.flatnonzero(unknown.to_numpy()) + 1)[:5]
        bad = sorted(set(values[unknown].dropna()))[:5]
        raise UserInputError(
            f"adsl.{trt}: values {bad} match no arm of plan {plan.id} (rows {', '.join(map(str, rows))}); "
            f"expected one of {sorted(by_value)}")
    out["ARMID"] = values.map(lambda v: by_value.get(v, (None,) * 3)[0])
    out["ARMLABEL"] = values.map(lambda v: by_value.get(v, (None,) * 3)[1])
    out["ARMORD"] = values.map(lambda v: by_value.get(v, (None,) * 3)[2])
    phase_of_arm = {a.id: a.phase for a in plan.design.arms}
    phases = plan.design.phases
    if len(phases) == 1:
        out["PHASEID"] = phases[0].id
    elif "PHASE" in out.columns and all(p.data_value for p in phases):
        by_phase_value = {p.data_value: p.id for p in phases}
        arm_phase = out["ARMID"].map(phase_of_arm)
        # the contract has checked PHASE against the declared values; a missing PHASE is the arm's phase
        out["PHASEID"] = out["PHASE"].astype("string").str.strip().map(by_phase_value).fillna(arm_phase)
        clash = arm_phase.notna() & out["PHASEID"].notna() & (arm_phase != out["PHASEID"])
        if clash.any():
            rows = (np.flatnonzero(clash.to_numpy()) + 1)[:5]
            raise UserInputError(f"adsl.PHASE: phase disagrees with the arm in {trt} (rows {', '.join(map(str, rows))})")
    else:
        out["PHASEID"] = out["ARMID"].map(phase_of_arm)
    return out
