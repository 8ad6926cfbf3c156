"""The power of each phase's planned comparison, computed from the plan's design assumptions and checked
against the power the plan states (more than 1 percentage point apart: the plan is refused, exit 2).

Statistics: :mod:`analyses.sample_size` (exact Fisher power; normal-approximation power of a mean difference).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from analyses.sample_size import compute_fisher_power, compute_fisher_sample_size, compute_mean_difference_power
from sap.errors import PlanError

TOLERANCE = 0.01  # percentage-point agreement required between the stated and the computed power


@dataclass(frozen=True)
class PowerCheck:
    phase: str
    comparison: str
    method: str
    computed_power: float
    stated_power: Optional[float]
    #: per-arm n needed for 80% power (Fisher: exact search), None for mean differences
    n_for_80: Optional[int]

    def text(self) -> str:
        stated = "" if self.stated_power is None else f" (the plan states {100 * self.stated_power:.1f}%)"
        need = f"; {self.n_for_80} per arm give at least 80%" if self.n_for_80 else ""
        return f"{self.comparison}: {self.method} power {100 * self.computed_power:.1f}%{stated}{need}."


def compute_phase_power(phase) -> Optional[PowerCheck]:
    """The computed power of one phase's sample-size assumptions (None when the phase states none)."""
    ss = phase.sample_size
    if ss is None:
        return None
    n1, n2 = ss.n_per_arm
    if ss.test == "fisher_exact":
        p1, p2 = ss.rates
        power = compute_fisher_power(n1, n2, p1, p2, ss.alpha)
        n80 = compute_fisher_sample_size(p1, p2, power=0.8, alpha=ss.alpha, ratio=n1 / n2)
        method = (f"exact two-sided Fisher test at alpha {ss.alpha:g}, {100 * p1:g}% vs {100 * p2:g}%, "
                  f"{n1} vs {n2} subjects:")
    else:
        power = compute_mean_difference_power(n1, n2, ss.delta, ss.sd, ss.alpha)
        n80 = None
        method = (f"two-sided comparison of means (normal approximation) at alpha {ss.alpha:g}, difference "
                  f"{ss.delta:g}, SD {ss.sd:g}, {n1} vs {n2} subjects:")
    return PowerCheck(phase.id, ss.comparison, method, power, ss.power, n80)


def check_plan_power(plan) -> list[PowerCheck]:
    """Every phase's power; raise PlanError when a stated power disagrees with the computation by > 1 point."""
    checks = [c for c in (compute_phase_power(p) for p in plan.design.phases) if c is not None]
    bad = [c for c in checks if c.stated_power is not None and abs(c.stated_power - c.computed_power) > TOLERANCE]
    if bad:
        raise PlanError("; ".join(
            f"design.phases[{c.phase}].sample_size.power: the plan states {100 * c.stated_power:.1f}%, the "
            f"computation gives {100 * c.computed_power:.1f}% ({c.method.rstrip(':')})" for c in bad))
    return checks
