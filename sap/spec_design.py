"""Plan schema, study design: arms, phases, the 3+3 escalation rule, randomization or non-randomized allocation,
blinding, strata, and the trial's clinical phase as registered (ClinicalTrials.gov: Phase, Allocation, Masking)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import Field, model_validator

from sap.spec_base import PlanModel


class Arm(PlanModel):
    id: str
    label: str
    phase: str
    role: Literal["experimental", "placebo", "active_control", "dose_level"] = "experimental"
    dose: Optional[float] = None
    dose_unit: Optional[str] = None
    regimen: str = ""
    infusion_days: tuple[int, ...] = ()
    #: value of the treatment variable (e.g. TRT01P) that identifies this arm in the data
    data_value: str


class EscalationRule(PlanModel):
    rule: Literal["3+3"] = "3+3"
    cohort_size: int = 3
    expansion_size: int = 3
    mtd_requires_six: bool = True
    deescalation: bool = False
    dlt_window_days: int
    dose_levels: tuple[str, ...]
    text: str


class Randomization(PlanModel):
    ratio: tuple[int, ...]
    method: str = "permuted blocks"
    block_size: Optional[int] = None
    strata: tuple[str, ...] = ()


class Allocation(PlanModel):
    """How the subjects of a non-randomized phase are assigned to its arms (ClinicalTrials.gov Allocation:
    NON_RANDOMIZED). ``method``: as the registration states it (or that it does not); ``ratio``: the planned
    split, one number per arm, when the plan assumes one (the synthetic data use it), None when not stated."""

    method: str
    ratio: Optional[tuple[int, ...]] = None


class Stratum(PlanModel):
    variable: str
    label: str
    levels: tuple[str, ...]


class SampleSize(PlanModel):
    """The design assumptions behind a phase's sample size. The package computes the power from them
    (:mod:`sap.sample_size`, exact for Fisher's test) and refuses a plan whose stated ``power`` differs from the
    computation by more than 1 percentage point; the SAP document prints both."""

    comparison: str
    test: Literal["fisher_exact", "mean_difference"]
    alpha: float = Field(0.05, gt=0.0, lt=1.0)
    sided: Literal["two-sided"] = "two-sided"
    #: subjects per arm: (experimental, reference)
    n_per_arm: tuple[int, int]
    #: true response rates (experimental, reference) for fisher_exact
    rates: Optional[tuple[float, float]] = None
    #: mean difference and common SD for mean_difference
    delta: Optional[float] = None
    sd: Optional[float] = None
    #: the power the plan states (checked); None = the plan only reports the computed power
    power: Optional[float] = Field(None, gt=0.0, lt=1.0)

    @model_validator(mode="after")
    def _assumptions(self) -> "SampleSize":
        if self.test == "fisher_exact" and self.rates is None:
            raise ValueError("sample_size: test fisher_exact needs rates (experimental, reference)")
        if self.test == "mean_difference" and (self.delta is None or self.sd is None):
            raise ValueError("sample_size: test mean_difference needs delta and sd")
        return self


class Phase(PlanModel):
    id: str
    label: str
    kind: Literal["dose_escalation", "randomized", "single_arm", "nonrandomized"]
    arms: tuple[str, ...]
    blinding: Literal["open-label", "single-blind", "double-blind"]
    #: value of ADSL.PHASE identifying this phase's subjects (None when the trial has one phase)
    data_value: Optional[str] = None
    escalation: Optional[EscalationRule] = None
    randomization: Optional[Randomization] = None
    allocation: Optional[Allocation] = None
    reference_arm: Optional[str] = None
    planned_n: Optional[int] = None
    sample_size_rationale: str = ""
    sample_size: Optional[SampleSize] = None

    @model_validator(mode="after")
    def _kind_fields(self) -> "Phase":
        if self.kind == "dose_escalation" and self.escalation is None:
            raise ValueError(f"phase {self.id}: a dose_escalation phase needs 'escalation'")
        if self.kind == "randomized" and self.randomization is None:
            raise ValueError(f"phase {self.id}: a randomized phase needs 'randomization'")
        if self.kind != "randomized" and self.randomization is not None:
            raise ValueError(f"phase {self.id}: 'randomization' is for a randomized phase; a {self.kind} phase "
                             f"states its 'allocation' (non-randomized) instead")
        if self.kind == "nonrandomized" and len(self.arms) > 1 and self.allocation is None:
            raise ValueError(f"phase {self.id}: a nonrandomized phase with several arms needs 'allocation' "
                             f"(how subjects are assigned)")
        if self.allocation is not None and self.kind != "nonrandomized":
            raise ValueError(f"phase {self.id}: 'allocation' is for a nonrandomized phase (kind {self.kind})")
        return self

    def compares_nonrandomized_groups(self) -> bool:
        """True when the phase compares arms that were not randomized (comparisons are then descriptive)."""
        return self.kind == "nonrandomized" and len(self.arms) > 1


#: clinical phase as registered (ClinicalTrials.gov Phase: EARLY_PHASE1, PHASE1, PHASE1/PHASE2, ..., NA)
CLINICAL_PHASES = ("Early Phase 1", "Phase 1", "Phase 1/2", "Phase 2", "Phase 2/3", "Phase 3", "Phase 4",
                   "Not applicable")


class Design(PlanModel):
    summary: str
    #: the trial's clinical phase as registered; None = the registration does not state one (say so in a note)
    clinical_phase: Optional[Literal[CLINICAL_PHASES]] = None
    treatment_variable: str = "TRT01P"
    phases: tuple[Phase, ...]
    arms: tuple[Arm, ...]
    strata: tuple[Stratum, ...] = ()
    background_therapy: str = ""

    @model_validator(mode="after")
    def _references(self) -> "Design":
        arm_ids = [a.id for a in self.arms]
        if len(set(arm_ids)) != len(arm_ids):
            raise ValueError("design.arms: duplicate arm id")
        phase_ids = {p.id for p in self.phases}
        for arm in self.arms:
            if arm.phase not in phase_ids:
                raise ValueError(f"design.arms[{arm.id}].phase: unknown phase {arm.phase!r}")
        for phase in self.phases:
            for a in phase.arms:
                if a not in arm_ids:
                    raise ValueError(f"design.phases[{phase.id}].arms: unknown arm {a!r}")
            if phase.reference_arm and phase.reference_arm not in phase.arms:
                raise ValueError(f"design.phases[{phase.id}].reference_arm: {phase.reference_arm!r} is not an arm of the phase")
            if phase.escalation:
                for a in phase.escalation.dose_levels:
                    if a not in phase.arms:
                        raise ValueError(f"design.phases[{phase.id}].escalation.dose_levels: unknown arm {a!r}")
            if phase.randomization and len(phase.randomization.ratio) != len(phase.arms):
                raise ValueError(f"design.phases[{phase.id}].randomization.ratio: one number per arm expected")
            ratio = phase.allocation.ratio if phase.allocation else None
            if ratio is not None and len(ratio) != len(phase.arms):
                raise ValueError(f"design.phases[{phase.id}].allocation.ratio: one number per arm expected")
        return self

    def arm(self, arm_id: str) -> Arm:
        return next(a for a in self.arms if a.id == arm_id)

    def phase(self, phase_id: str) -> Phase:
        return next(p for p in self.phases if p.id == phase_id)
