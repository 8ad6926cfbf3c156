"""Who is enrolled, in which order, at which dose: the 3+3 escalation and randomization.

Phase 1 subjects are enrolled cohort by cohort exactly as the 3+3 rule dictates given the DLTs
simulated so far: the rule engine is :func:`analyses.escalation.apply_cohort` (the same code the
analysis uses), so the synthetic enrolment and the analysis cannot disagree. A subject who leaves
before the end of the DLT window without a DLT is not DLT-evaluable and is replaced within the
cohort. Phase 2 subjects are randomized by permuted blocks within strata (hand-written; the SAS
equivalent is PROC PLAN, R ``blockrand``).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.escalation import ThreePlusThreeRule, apply_cohort, initial_state
from sap.spec import Phase, Plan

from .params import SynthParams


@dataclass(frozen=True)
class EscalationOutcome:
    """Phase 1 subjects (one row each, in enrolment order) and the recommended Phase 2 arm id."""

    subjects: pd.DataFrame  # arm_id, cohort, dlt, evaluable, day (first-infusion day from study start)
    rp2d_arm: str | None
    mtd_status: str | None
    end_day: int


def simulate_escalation(plan: Plan, phase: Phase, params: SynthParams,
                        rng: np.random.Generator, start_day: int = 0) -> EscalationOutcome:
    """Run the plan's 3+3 rule with Bernoulli DLTs at the true probabilities ``params.dlt_probs``."""
    esc = phase.escalation
    levels = list(esc.dose_levels)
    missing = [a for a in levels if a not in params.dlt_probs]
    if missing:
        raise ValueError(f"synthetic parameters for plan {plan.id}: no DLT probability for dose levels {missing}")
    rule = ThreePlusThreeRule(len(levels), mtd_needs_six=esc.mtd_requires_six,
                              allow_deescalation=esc.deescalation)
    state = initial_state(rule)
    rows, cohort, day = [], 0, start_day
    while not state.stopped:
        cohort += 1
        arm = levels[state.dose]
        p = params.dlt_probs[arm]
        n_eval = n_dlt = 0
        stagger = 0
        while n_eval < esc.cohort_size:
            dlt = bool(rng.random() < p)
            evaluable = dlt or not bool(rng.random() < params.p_not_evaluable)
            rows.append(dict(arm_id=arm, cohort=cohort, dlt=dlt, evaluable=evaluable, day=day + stagger))
            stagger += int(rng.integers(1, 4))
            if evaluable:
                n_eval += 1
                n_dlt += int(dlt)
        state, _, _ = apply_cohort(rule, state, n_dlt)
        day += stagger + esc.dlt_window_days + params.cohort_gap_days
    if state.mtd_status == "declared":
        rp2d = levels[state.mtd]
    elif state.mtd_status == "not_reached":
        rp2d = levels[-1]
    else:
        rp2d = None
    return EscalationOutcome(pd.DataFrame(rows), rp2d, state.mtd_status, day)


def block_randomize(strata: np.ndarray, arms: tuple[str, ...], ratio: tuple[int, ...], block_size: int | None,
                    rng: np.random.Generator) -> np.ndarray:
    """Permuted-block allocation within strata, subjects taken in the given (enrolment) order."""
    unit = np.repeat(np.arange(len(arms)), ratio)
    per = len(unit)
    if block_size is None:
        block_size = 2 * per
    if block_size % per:
        raise ValueError(f"block size {block_size} is not a multiple of the ratio total {per}")
    block = np.tile(unit, block_size // per)
    out = np.empty(len(strata), dtype=object)
    for s in pd.unique(strata):
        idx = np.flatnonzero(strata == s)
        n_blocks = -(-len(idx) // len(block))
        seq = np.concatenate([rng.permutation(block) for _ in range(n_blocks)])[: len(idx)]
        out[idx] = np.asarray(arms, dtype=object)[seq]
    return out


def phase_sizes(plan: Plan, n: int | None) -> dict[str, int]:
    """Subjects per non-escalation phase: ``n`` (split by planned size) or each phase's planned_n."""
    phases = [p for p in plan.design.phases if p.kind != "dose_escalation"]
    if not phases:
        if n is not None:
            raise ValueError(f"plan {plan.id}: n cannot be set, its size is dictated by the 3+3 rule")
        return {}
    planned = {p.id: p.planned_n for p in phases}
    if n is None:
        bad = [k for k, v in planned.items() if v is None]
        if bad:
            raise ValueError(f"plan {plan.id}: phases {bad} have no planned_n; pass n")
        return dict(planned)
    if n < 1:
        raise ValueError(f"n must be a positive number of subjects, got {n}")
    weights = np.array([planned[k] or 1 for k in planned], dtype=float)
    sizes = np.floor(n * weights / weights.sum()).astype(int)
    sizes[0] += n - sizes.sum()
    return dict(zip(planned, (int(s) for s in sizes)))
