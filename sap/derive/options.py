"""Derivation options: the plan's derivation choices as one plain frozen dataclass, with NO defaults.

The values come from the plan (:class:`sap.spec.DerivationSettings`, :class:`sap.spec.Schedule`, the estimands'
intercurrent-event strategies) and are mapped onto this class in ONE place,
:func:`sap.derivations.derive_options_for_plan`; the plan validates them on load, so nothing here has a default
that could drift from the plan. Visit windows are the plan's own :class:`sap.spec.Visit` objects.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Optional

from sap.spec import RESPONSE_ENDPOINTS, Visit
from sap.spec_criteria import ResponseCriterion

from .episodes import EpisodeSpec

__all__ = ["DeriveOptions", "RESPONSE_ENDPOINTS"]


@dataclass(frozen=True)
class DeriveOptions:
    """Prespecified derivation choices (plan field in brackets).

    scale: scale of BASDAI items, BASFI items, PTGA/PHGA in the data, 10 or 100 [derivations.input_scale].
    pain_scale: scale of TBPAIN/NBPAIN in the data (100 = mm VAS, the data contract of DESIGN.md).
    asdas_coefficients: "unrounded" (Lukas 2009) or "rounded" [derivations.asdas_coefficients].
    crp_floor: CRP floor (mg/L) for ASDAS-CRP; None = no floor [derivations.crp_floor_mg_l].
    basfi_max_missing: BASFI from answered items if at most this many of 10 are missing [derivations.basfi_max_missing].
    asas_pain_domain: "TBPAIN" (total back pain) or "SPPAIN" (mean of total and nocturnal) [derivations.asas_pain_domain].
    acr_acute_phase: "CRP" or "ESR" as the ACR acute-phase reactant; das28_marker likewise for EULAR.
    esr_floor: ESR floor (mm/h) for DAS28-ESR; None = no floor.
    visit_windows: analysis visits [schedule.visits]; empty = the collected AVISITN is the analysis visit.
    window_rule: record chosen when several fall in one window, see sap.derive.visits [schedule.window_rule].
    intercurrent_strategy: "composite" (rescue -> non-responder from RESCDT on; data after discontinuation
      ignored -> NRI) or "treatment_policy" (observed data used regardless; missing -> NRI) [estimands].
    responses: response endpoints to derive: presets and the plan's criteria [derivations.responses].
    criteria: the criterion of each response in ``responses`` (the plan's own, else the preset built with
      derivations.basdai50_rule and partial_remission_threshold) [DerivationSettings.response_criteria].
    episodes: the duration-of-response / time-to-response endpoints and their event and censoring rules
      [endpoints[].episode].
    rederive_tolerance: absolute tolerance for sponsor-vs-re-derived scores [derivations.score_disagreement_tolerance].
    score_source: "rederive" (scores from items) or "sponsor" (keep sponsor-supplied scores).
    """

    scale: Literal[10, 100]
    pain_scale: Literal[10, 100]
    asdas_coefficients: Literal["unrounded", "rounded"]
    crp_floor: Optional[float]
    basfi_max_missing: int
    asas_pain_domain: Literal["TBPAIN", "SPPAIN"]
    acr_acute_phase: Literal["CRP", "ESR"]
    das28_marker: Literal["CRP", "ESR"]
    esr_floor: Optional[float]
    visit_windows: tuple[Visit, ...]
    window_rule: Literal["closest_then_latest", "latest", "worst"]
    intercurrent_strategy: Literal["composite", "treatment_policy"]
    responses: tuple[str, ...]
    criteria: tuple[ResponseCriterion, ...]
    episodes: tuple[EpisodeSpec, ...]
    rederive_tolerance: float
    score_source: Literal["rederive", "sponsor"]
