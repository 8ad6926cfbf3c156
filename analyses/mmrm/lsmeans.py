"""LS-mean coefficient vectors (SAS LSMEANS / R emmeans) for the MMRM design.

Categorical covariates are averaged with equal weights (SAS default, emmeans ``weights="equal"``)
or with the observed margins of the analysis data (SAS ``OM``, emmeans ``"proportional"``);
continuous covariates (including visit-interacting ones such as baseline) are set to their mean
over the analysis rows, as both SAS and emmeans do.
"""
from __future__ import annotations

import pandas as pd

from .design import Design, design_row

WEIGHTS = ("equal", "proportional")


def covariate_settings(design: Design, data: pd.DataFrame, weights: str) -> dict:
    """Values at which LS means are computed: means of continuous covariates, level weights of
    categorical ones."""
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {WEIGHTS}, got {weights!r}")
    values = {}
    for col in list(design.covariates) + list(design.visit_covariates):
        if col in design.factors:
            fac = design.factors[col]
            if weights == "equal":
                values[col] = {lv: 1.0 / len(fac.levels) for lv in fac.levels}
            else:
                share = data[col].value_counts(normalize=True)
                values[col] = {lv: float(share.get(lv, 0.0)) for lv in fac.levels}
        else:
            values[col] = float(data[col].astype(float).mean())
    return values


def lsmean_vectors(design: Design, data: pd.DataFrame, weights: str = "equal") -> list[dict]:
    """One dict per (group, visit): group, visit, L (coefficient vector)."""
    settings = covariate_settings(design, data, weights)
    groups = design.group.levels if design.group is not None else [None]
    out = []
    for g in groups:
        for v in design.visit.levels:
            out.append({"group": g, "visit": v,
                        "L": design_row(design, group_level=g, visit_level=v, covariate_values=settings)})
    return out
