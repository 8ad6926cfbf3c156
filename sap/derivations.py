"""Map a plan's derivation settings and schedule onto :mod:`sap.derive` and derive the analysis datasets.

The ONE place where :class:`sap.derive.options.DeriveOptions` is built: every value comes from the plan
(``derivations``, ``schedule``, the estimands' intercurrent-event strategies) except the choices a plan cannot
state today, which are the named constants below.
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from sap.derive import DeriveOptions, derive_analysis_datasets
from sap.derive.episodes import EpisodeSpec
from sap.spec import Plan
from sap.spec_criteria import ACR_ACUTE_PHASE, DAS28_MARKER

#: TBPAIN/NBPAIN are a 0-100 mm VAS in the data contract (DESIGN.md; sap.data.defaults.AS_RANGES).
PAIN_SCALE = 100
#: Not (yet) plan fields: the acute-phase reactant of ACR and the DAS28 of EULAR (ACR_ACUTE_PHASE, DAS28_MARKER:
#: CRP, defined beside the criteria placeholders they fill in sap.spec_criteria, where the SAP document reads them),
#: no ESR floor, and scores re-derived from items rather than taken from the sponsor.
ESR_FLOOR = None
SCORE_SOURCE = "rederive"


def derive_options_for_plan(plan: Plan) -> DeriveOptions:
    """The :class:`sap.derive.options.DeriveOptions` prespecified by the plan."""
    d = plan.derivations
    strategies = {ice.strategy for ep in plan.endpoints if ep.estimand for ice in ep.estimand.intercurrent_events}
    strategy = "composite" if ("composite" in strategies or not strategies) else "treatment_policy"
    return DeriveOptions(
        scale=10 if d.input_scale == "0-10" else 100,
        pain_scale=PAIN_SCALE,
        asdas_coefficients=d.asdas_coefficients,
        crp_floor=d.crp_floor_mg_l,
        basfi_max_missing=d.basfi_max_missing,
        asas_pain_domain=d.asas_pain_domain,
        acr_acute_phase=ACR_ACUTE_PHASE,
        das28_marker=DAS28_MARKER,
        esr_floor=ESR_FLOOR,
        visit_windows=plan.schedule.visits,
        window_rule=plan.schedule.window_rule,
        intercurrent_strategy=strategy,
        responses=d.responses,
        criteria=d.response_criteria(),
        episodes=tuple(EpisodeSpec(ep.parameter or ep.id, ep.episode) for ep in plan.endpoints
                       if ep.episode is not None),
        rederive_tolerance=d.score_disagreement_tolerance,
        score_source=SCORE_SOURCE,
    )


def derive_for_plan(plan: Plan, datasets: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Derived analysis datasets (ADEFF, ADRESP, ADDUR, ADONSET, derivation_log) for plans on the contract's
    AS/RA datasets; plans on other ADaM datasets (e.g. the CDISC pilot) analyse their datasets as they are."""
    if "adqs" not in datasets:
        return {}
    return dict(derive_analysis_datasets(dict(datasets), derive_options_for_plan(plan)))
