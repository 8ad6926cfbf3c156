"""The subject-level skeleton of an independent cg-bm1 data set, written from DESIGN.md's data contract.

Nothing here reads ``synthetic_data``: the codes come from the plan (arm and phase ``data_value``, strata levels,
visit windows, population flags: the values the plan declares for the data) and the column names, kinds and
units from DESIGN.md ("Data contract"). A :class:`Subject` is what the data of one subject say (arm, dates as study
days, flags, intercurrent events, response pattern); :mod:`independent_data.frames` writes the datasets from it.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable, Optional, Sequence


from sap.spec import load_plan

PLAN_ID = "cg-bm1"
#: DESIGN.md: ADSL columns "as the design needs" (optional), plus the ADSL dates the pipeline reads if present
OPTIONAL_ADSL = ("COHORT", "DOSE", "RANDFL", "TRTSDT", "TRTEDT", "EOSSTT", "DCSREAS", "RESCDT", "HLAB27",
                 "EOSDT", "DTHFL", "DTHDT")
PATTERNS = ("responder", "nonresponder", "transient", "late", "worsening")
DISCONTINUATION_REASONS = ("ADVERSE EVENT", "WITHDRAWAL BY SUBJECT", "LACK OF EFFICACY", "LOST TO FOLLOW-UP")
#: DESIGN.md: DOSE in 10^6 cells/kg; the placebo arm has no cells
DOSE_UNIT = "10^6 cells/kg"


@dataclass(frozen=True)
class Arm:
    id: str
    phase_id: str
    phase_value: str
    trt_value: str
    number: int
    dose: Optional[float]


@dataclass(frozen=True)
class Window:
    avisitn: float
    label: str
    target: int
    lo: int
    hi: int


@dataclass(frozen=True)
class PlanFacts:
    """What the data must say for the plan: arm and phase codes, strata levels, the visit windows, infusion days."""

    arms: tuple[Arm, ...]
    dose_levels: tuple[str, ...]
    strata: tuple[str, ...]
    visits: tuple[Window, ...]
    infusion_days: tuple[int, ...]
    dlt_window: int
    lab_parameters: tuple[str, ...]
    aesi_terms: tuple[str, ...]

    def arm(self, arm_id: str) -> Arm:
        return next(a for a in self.arms if a.id == arm_id)

    @property
    def post_baseline(self) -> tuple[Window, ...]:
        return tuple(v for v in self.visits if v.avisitn > 0)


@lru_cache(maxsize=1)
def plan_facts() -> PlanFacts:
    plan = load_plan(PLAN_ID)
    phases = {p.id: p for p in plan.design.phases}
    arms = tuple(Arm(a.id, a.phase, phases[a.phase].data_value, a.data_value, i + 1, a.dose)
                 for i, a in enumerate(plan.design.arms))
    escalation = next(p.escalation for p in plan.design.phases if p.escalation is not None)
    visits = tuple(Window(v.avisitn, v.label, v.target_day, v.window[0], v.window[1]) for v in plan.schedule.visits)
    lab = next(a.options.parameters for a in plan.analyses if a.method == "lab_shift")
    aesi = next(a.options.terms for a in plan.analyses if a.method == "ae_special_interest")
    return PlanFacts(arms=arms, dose_levels=tuple(escalation.dose_levels),
                     strata=tuple(plan.design.strata[0].levels), visits=visits,
                     infusion_days=tuple(d + 1 for d in plan.design.arms[0].infusion_days),
                     dlt_window=escalation.dlt_window_days, lab_parameters=tuple(lab), aesi_terms=tuple(aesi))


@dataclass
class Subject:
    """One subject of the data set; days are study days (day 1 = first infusion, no day 0)."""

    usubjid: str
    arm: Optional[Arm]            # None: a screen failure (no treatment)
    phase_value: Optional[str]
    start: Optional[int]          # days after the study's first enrolment date of the first infusion
    age: int
    sex: str
    infusions: int                # 0..4
    fas: bool
    pp: bool
    dlt_evaluable: Optional[bool]  # None outside Phase 1
    cohort: Optional[int]
    dlt: bool
    pattern: str
    noise: float
    visits_attended: tuple[float, ...]   # AVISITN of the post-baseline visits with data
    has_baseline: bool
    rescue_day: Optional[int] = None
    discontinued_day: Optional[int] = None
    discontinued_reason: Optional[str] = None
    death_day: Optional[int] = None
    completed: bool = True
    hlab27: Optional[str] = None
    extra: dict = field(default_factory=dict)

    @property
    def treated(self) -> bool:
        return self.arm is not None and self.infusions > 0


def three_plus_three(dlts: Callable[[int], Sequence[bool]], n_levels: int, max_cohorts: int
                     ) -> list[tuple[int, tuple[bool, ...]]]:
    """Cohorts (dose level index, DLT of each of its 3 subjects) of the plan's 3+3 rule (plan text: cohorts of 3,
    expansion by 3, the MTD needs 6, no de-escalation below level 1); ``dlts(level)`` draws a cohort's DLTs.
    Written from the plan's rule text, not from the package's engine."""
    n, x = [0] * n_levels, [0] * n_levels
    cohorts: list[tuple[int, tuple[bool, ...]]] = []
    d, confirming = 0, False
    while len(cohorts) < max_cohorts:
        flags = tuple(bool(f) for f in dlts(d))
        cohorts.append((d, flags))
        n[d] += 3
        x[d] += sum(flags)
        if n[d] == 3 and x[d] == 1 and not confirming:
            continue                                   # 1/3: expand the level
        if (n[d] == 3 and x[d] == 0) or (n[d] == 6 and x[d] <= 1):
            if confirming:
                break                                  # MTD confirmed with 6
            if d < n_levels - 1:
                d += 1
                continue
            if n[d] == 3:
                confirming = True                      # top level cleared with 3: treat 3 more
                continue
            break
        if d == 0 or n[d - 1] >= 6 or confirming:
            break                                      # too toxic: stop
        d, confirming = d - 1, True                    # the next lower level needs 6
    return cohorts
