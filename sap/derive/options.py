"""Derivation options (one frozen pydantic model the lead fills from a plan's ``derivations``).

Every field is a prespecified SAP choice; defaults follow the cg-bm1 plan and as_endpoints.md.
"""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, model_validator

#: Response endpoints that :func:`sap.derive.response.derive_responses` can produce.
RESPONSE_ENDPOINTS = ("ASAS20", "ASAS40", "ASAS56", "ASASPR", "BASDAI50",
                      "ASDASCII", "ASDASMI", "ASDASCIW", "ACR20", "ACR50", "ACR70", "EULAR")


class VisitWindow(BaseModel):
    """One analysis visit: AVISITN (study week; 0 = baseline), label, target study day, window [lo, hi]."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    avisitn: float
    label: str
    target_day: int
    lo: int
    hi: int

    @model_validator(mode="after")
    def _check(self) -> "VisitWindow":
        if not self.lo <= self.target_day <= self.hi:
            raise ValueError(f"visit {self.label}: target day {self.target_day} outside window [{self.lo}, {self.hi}]")
        return self


class DeriveOptions(BaseModel):
    """Prespecified derivation choices.

    scale: scale of BASDAI items, BASFI items, PTGA/PHGA in the data (10 or 100).
    pain_scale: scale of TBPAIN/NBPAIN in the data (100 = mm VAS, as in the data contract).
    asdas_coefficients: "unrounded" (Lukas 2009) or "rounded".
    crp_floor: CRP floor (mg/L) for ASDAS-CRP; None = no floor.
    basfi_max_missing: BASFI computed from answered items if at most this many of 10 are missing.
    asas_pain_domain: "TBPAIN" (total back pain) or "SPPAIN" (mean of total and nocturnal).
    basdai50_rule: "relative" or "relative_or_absolute" (>= 50 % or >= 2 units).
    partial_remission_rule: "le2" (ASAS handbook, default) or "lt2" (Machado 2011 footnote).
    acr_acute_phase: "CRP" or "ESR" as the ACR acute-phase reactant; das28_marker likewise for EULAR.
    visit_windows: analysis visits; empty = use the collected AVISITN as the analysis visit.
    window_rule: record chosen when several fall in one window (see sap.derive.visits).
    intercurrent_strategy: "composite" (rescue -> non-responder from RESCDT on; data after
      discontinuation ignored -> NRI) or "treatment_policy" (observed data used regardless; missing -> NRI).
    responses: response endpoints to derive (subset of RESPONSE_ENDPOINTS).
    rederive_tolerance: absolute tolerance for sponsor-vs-re-derived score disagreements.
    score_source: "rederive" (scores from items) or "sponsor" (keep sponsor-supplied scores).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)
    scale: Literal[10, 100] = 10
    pain_scale: Literal[10, 100] = 100
    asdas_coefficients: Literal["unrounded", "rounded"] = "unrounded"
    crp_floor: Optional[float] = Field(2.0, ge=0)
    basfi_max_missing: int = Field(2, ge=0, le=9)
    asas_pain_domain: Literal["TBPAIN", "SPPAIN"] = "TBPAIN"
    basdai50_rule: Literal["relative", "relative_or_absolute"] = "relative"
    partial_remission_rule: Literal["le2", "lt2"] = "le2"
    acr_acute_phase: Literal["CRP", "ESR"] = "CRP"
    das28_marker: Literal["CRP", "ESR"] = "CRP"
    esr_floor: Optional[float] = Field(None, gt=0)
    visit_windows: tuple[VisitWindow, ...] = ()
    window_rule: Literal["closest_then_latest", "latest", "worst"] = "closest_then_latest"
    intercurrent_strategy: Literal["composite", "treatment_policy"] = "composite"
    responses: tuple[str, ...] = ("ASAS20", "ASAS40", "ASAS56", "ASASPR", "BASDAI50", "ASDASCII", "ASDASMI")
    rederive_tolerance: float = Field(0.005, ge=0)
    score_source: Literal["rederive", "sponsor"] = "rederive"

    @model_validator(mode="after")
    def _check(self) -> "DeriveOptions":
        unknown = [r for r in self.responses if r not in RESPONSE_ENDPOINTS]
        if unknown:
            raise ValueError(f"responses: unknown endpoints {unknown}; known: {list(RESPONSE_ENDPOINTS)}")
        wins = sorted(self.visit_windows, key=lambda w: w.lo)
        nums = [w.avisitn for w in wins]
        if len(set(nums)) != len(nums):
            raise ValueError("visit_windows: duplicate avisitn")
        for a, b in zip(wins, wins[1:]):
            if b.lo <= a.hi:
                raise ValueError(f"visit_windows: windows of {a.label} [{a.lo}, {a.hi}] and "
                                 f"{b.label} [{b.lo}, {b.hi}] overlap")
        return self
