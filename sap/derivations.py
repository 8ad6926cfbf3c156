"""Map a plan's derivation settings and schedule onto :mod:`sap.derive` and derive the analysis datasets."""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from sap.spec import Plan


def derive_options_for_plan(plan: Plan):
    """The :class:`sap.derive.options.DeriveOptions` prespecified by the plan."""
    from sap.derive.options import RESPONSE_ENDPOINTS, DeriveOptions, VisitWindow

    d = plan.derivations
    strategies = {ice.strategy for ep in plan.endpoints if ep.estimand for ice in ep.estimand.intercurrent_events}
    strategy = "composite" if ("composite" in strategies or not strategies) else "treatment_policy"
    return DeriveOptions(
        scale=10 if d.input_scale == "0-10" else 100,
        pain_scale=100,
        asdas_coefficients=d.asdas_coefficients,
        crp_floor=d.crp_floor_mg_l,
        basfi_max_missing=d.basfi_max_missing,
        asas_pain_domain=d.asas_pain_domain,
        basdai50_rule=d.basdai50_rule,
        partial_remission_rule=d.partial_remission_threshold,
        visit_windows=tuple(VisitWindow(avisitn=v.avisitn, label=v.label, target_day=v.target_day,
                                        lo=v.window[0], hi=v.window[1]) for v in plan.schedule.visits),
        window_rule=plan.schedule.window_rule,
        intercurrent_strategy=strategy,
        responses=tuple(r for r in d.responses if r in RESPONSE_ENDPOINTS),
        rederive_tolerance=d.score_disagreement_tolerance,
    )


def derive_for_plan(plan: Plan, datasets: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Derived analysis datasets (ADEFF, ADRESP, ADDUR, ADONSET, derivation_log) for plans on the contract's
    AS/RA datasets; plans on other ADaM datasets (e.g. the CDISC pilot) analyse their datasets as they are."""
    if "adqs" not in datasets:
        return {}
    from sap.derive import derive_analysis_datasets

    return dict(derive_analysis_datasets(dict(datasets), derive_options_for_plan(plan)))
