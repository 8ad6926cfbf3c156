"""Match the codes the plan declares with the data by meaning: case and white space do not matter.

The plan declares the values of some ADSL columns: the treatment variable (each arm's ``data_value``; "BLINDED"
for masked data), ``PHASE`` (each phase's ``data_value``, when the design has several), every stratum variable
(its ``levels``) and every population flag ("Y"/"N"; ITTFL for FASFL and back).
:func:`canonicalize_declared_codes` rewrites a data value whose normal form (white space removed, case folded)
equals a declared value's normal form to the declared spelling, and counts what it rewrote; ADaM ``PARAMCD``
values (upper case by the ADaM IG) are stripped and upper-cased. :func:`declared_value_rules` gives the contract
rules that report every value still not declared, naming dataset, column, value and rows (:mod:`sap.data.contract`):
nothing is mapped to empty and nothing is dropped. Hand-written: no library knows the plan's declarations.
"""
from __future__ import annotations

from typing import Mapping

import pandas as pd

from sap.data import AllowedValues
from sap.spec import Plan

BLINDED_VALUE = "BLINDED"
#: population flags the data may carry under another name (sap.requirements accepts ITTFL for FASFL and back)
FLAG_ALTERNATIVES = {"FASFL": ("ITTFL",), "ITTFL": ("FASFL",)}
#: BDS datasets whose PARAMCD is stripped and upper-cased
PARAMCD_DATASETS = ("adqs", "adlb", "adtte", "adqsadas", "adqscibc", "adlbc")


def normal_form(value) -> str:
    """White space removed, case folded ("  Phase  1 " -> "phase1", "CRP<10" and "CRP < 10" -> "crp<10")."""
    return "".join(str(value).split()).casefold()


def declared_codes(plan: Plan) -> dict[tuple[str, str], tuple[str, ...]]:
    """(dataset, column) -> the values the plan declares for it."""
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    arms = tuple(a.data_value for a in plan.design.arms if a.data_value)
    if arms:
        out[("adsl", plan.design.treatment_variable)] = arms + (BLINDED_VALUE,)
    phases = tuple(p.data_value for p in plan.design.phases if p.data_value)
    if len(plan.design.phases) > 1 and len(phases) == len(plan.design.phases):
        out[("adsl", "PHASE")] = phases
    for stratum in plan.design.strata:
        if stratum.levels:
            out[("adsl", stratum.variable)] = tuple(stratum.levels)
    for pop in plan.populations:
        if pop.flag:
            out[(pop.dataset, pop.flag)] = ("Y", "N")
            for alternative in FLAG_ALTERNATIVES.get(pop.flag, ()):   # the column the data may carry instead
                out.setdefault((pop.dataset, alternative), ("Y", "N"))
    return out


def _canonical_column(series: pd.Series, values: tuple[str, ...]) -> tuple[pd.Series, int]:
    """(series with declared spellings, number of values rewritten); unmatched values stay as they are."""
    keys = [normal_form(v) for v in values]
    spelled = {k: v for k, v in zip(keys, values) if keys.count(k) == 1}  # values alike but for spaces: exact only
    text = series.astype("string")
    mapped = text.map(lambda v: spelled.get(normal_form(v), v) if isinstance(v, str) else v, na_action="ignore")
    changed = (mapped != text).fillna(False)
    if not changed.any():
        return series, 0
    return series.where(~changed.to_numpy(), mapped.astype(object)), int(changed.sum())


def canonicalize_declared_codes(plan: Plan, datasets: Mapping[str, pd.DataFrame]
                                ) -> tuple[dict[str, pd.DataFrame], list[dict]]:
    """(datasets with declared spellings, log rows STEP/DATASET/N_IN/N_OUT/N_FLAGGED/DETAIL of what changed)."""
    out = dict(datasets)
    log = []
    for (name, column), values in declared_codes(plan).items():
        frame = out.get(name)
        if frame is None or column not in frame.columns:
            continue
        series, n = _canonical_column(frame[column], values)
        if n:
            out[name] = frame.assign(**{column: series})
            log.append(dict(STEP="code matching", DATASET=name.upper(), N_IN=len(frame), N_OUT=len(frame),
                            N_FLAGGED=n, DETAIL=f"{column}: {n} value(s) matched to the plan's spelling "
                                                f"({', '.join(values)}) after ignoring case and white space"))
    for name in PARAMCD_DATASETS:
        frame = out.get(name)
        if frame is None or "PARAMCD" not in frame.columns:
            continue
        text = frame["PARAMCD"].astype("string")
        upper = text.str.strip().str.upper()
        changed = (upper != text).fillna(False)
        if changed.any():
            out[name] = frame.assign(PARAMCD=frame["PARAMCD"].where(~changed.to_numpy(), upper.astype(object)))
            log.append(dict(STEP="code matching", DATASET=name.upper(), N_IN=len(frame), N_OUT=len(frame),
                            N_FLAGGED=int(changed.sum()), DETAIL="PARAMCD: value(s) stripped and upper-cased"))
    return out, log


def declared_value_rules(plan: Plan) -> tuple[AllowedValues, ...]:
    """Contract rules: every declared column takes only its declared values (or is missing)."""
    return tuple(AllowedValues(column, values, dataset) for (dataset, column), values in declared_codes(plan).items())
