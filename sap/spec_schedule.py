"""Plan schema, visit schedule: the one visit-window model of the package (:class:`Visit`) and the schedule."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import model_validator

from sap.spec_base import PlanModel


class Visit(PlanModel):
    """One analysis visit: AVISITN (study week; 0 = baseline), label, target study day and the inclusive window
    ``[lo, hi]`` of study days. The one visit-window model: the derivations (:mod:`sap.derive.visits`) and the data
    contract (:class:`sap.data.VisitSchedule`) use the plan's visits. ``None`` = open-ended, for data-contract
    schedules read from sponsor data (CDISC AWLO/AWHI); a plan's schedule must close every window."""

    avisitn: float
    label: str
    target_day: int
    window: tuple[Optional[int], Optional[int]]
    assessments: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _window(self) -> "Visit":
        if (self.lo is not None and self.lo > self.target_day) or (self.hi is not None and self.target_day > self.hi):
            raise ValueError(f"schedule.visits[{self.label}]: target day {self.target_day} outside window {self.window}")
        return self

    @property
    def lo(self) -> Optional[int]:
        return self.window[0]

    @property
    def hi(self) -> Optional[int]:
        return self.window[1]

    def describe(self) -> str:
        lo, hi = ("-inf" if self.lo is None else f"{self.lo:g}"), ("inf" if self.hi is None else f"{self.hi:g}")
        return f"{self.label} (AVISITN {self.avisitn:g}) window [{lo}, {hi}]"


class Schedule(PlanModel):
    day_origin: str = "Study day 1 is the day of the first infusion"
    visits: tuple[Visit, ...]
    window_rule: Literal["closest_then_latest", "latest", "worst"] = "closest_then_latest"
    window_rule_text: str = ""

    @model_validator(mode="after")
    def _unique(self) -> "Schedule":
        nums = [v.avisitn for v in self.visits]
        if len(set(nums)) != len(nums):
            raise ValueError("schedule.visits: duplicate avisitn")
        for v in self.visits:
            if v.lo is None or v.hi is None:
                raise ValueError(f"schedule.visits[{v.label}].window: a plan's visit window needs both bounds")
        wins = sorted(self.visits, key=lambda v: v.lo)
        for a, b in zip(wins, wins[1:]):
            if b.lo <= a.hi:
                raise ValueError(f"schedule.visits: windows of {a.label} {list(a.window)} and {b.label} "
                                 f"{list(b.window)} overlap")
        return self

    def visit_numbers(self) -> set[float]:
        return {v.avisitn for v in self.visits}
