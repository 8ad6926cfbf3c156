"""Binary responses per subject and analysis visit (ADRESP), observed case and NRI.

Hand-written glue around :mod:`sap.derive.criteria`: every response is a criterion of the plan
(``options.criteria``: the presets of :mod:`sap.spec_criteria` or the plan's own), and this module reads nothing
else about it (SAS: DATA step on a subject x visit grid; R: ``admiral`` ``derive_param_*`` plus
``tidyr::complete``).

* A criterion's domains are its PARAMCDs; the placeholders are the derivation options: ``@pain`` is
  ``options.asas_pain_domain``, ``@acute_phase`` is ``options.acr_acute_phase`` (CRP or ESR), ``@das28`` is
  DAS28CRP or DAS28ESR (``options.das28_marker``). A domain with a scale is read from the data's scale (pain:
  ``pain_scale``; other scores: ``scale``) on its 0-``scale``.

Grid: every ADSL subject x every post-baseline analysis visit (the prespecified windows, or the
observed post-baseline AVISITN when no windows are given), so that subjects with no data are
counted as non-responders under NRI and never silently dropped.

* ``AVAL_OC``/``AVALC_OC``: response computed from the analysed values (1/0, 'Y'/'N'); missing
  (NaN, '') when any component at baseline or at the visit is missing.  Purely observed: it ignores
  intercurrent events.
* ``AVAL_NRI``/``AVALC_NRI`` (= ``AVAL``/``AVALC``): the value for the estimand.  Strategy
  ``composite``: visits on/after the start of rescue (``ADY >= RESCDY``) are non-responses, data
  after discontinuation (``ADY > DISCDY``) are ignored, and anything missing is a non-response
  (NRI).  Strategy ``treatment_policy``: observed values are used whatever happened; missing -> NRI.
  ``IMPFL``/``IMPREAS`` say when and why AVAL_NRI was set by a rule rather than observed.
* Visit day ``ADY``: the latest study day of the components at that visit, else the window
  target day (``ADYSRC = 'TARGET'``), else the nominal day 7 * week + 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from sap.spec_criteria import ACUTE_PHASE, DAS28, PAIN, CriterionDomain, ResponseCriterion

from .criteria import compute_domain_response
from .options import DeriveOptions
from .visits import nominal_day

#: parameters on the pain scale of the data (0-100 mm VAS in the data contract)
PAIN_PARAMS = ("TBPAIN", "NBPAIN", "SPPAIN")


def criterion_of(code: str, opt: DeriveOptions) -> ResponseCriterion:
    """The plan's criterion of response ``code`` (a preset or the plan's own)."""
    crit = next((c for c in opt.criteria if c.id == code), None)
    if crit is None:
        raise ValueError(f"unknown response endpoint {code}: no criterion in the derivation options")
    return crit


def domain_parameter(domain: CriterionDomain, opt: DeriveOptions) -> str:
    """The PARAMCD of a criterion domain (a placeholder: the derivation option it stands for)."""
    placeholders = {PAIN: opt.asas_pain_domain, ACUTE_PHASE: opt.acr_acute_phase, DAS28: "DAS28" + opt.das28_marker}
    return placeholders.get(domain.parameter, domain.parameter)


def response_components(code: str, opt: DeriveOptions) -> tuple[str, ...]:
    """PARAMCDs a response endpoint is computed from."""
    return tuple(domain_parameter(d, opt) for d in criterion_of(code, opt).domains)


def _on_domain_scale(code: str, arr: np.ndarray, domain: CriterionDomain, opt: DeriveOptions) -> np.ndarray:
    """Values of parameter ``code`` on the domain's 0-``scale`` (unchanged without a scale or on it already)."""
    data_scale = opt.pain_scale if code in PAIN_PARAMS else opt.scale
    if domain.scale is None or domain.scale == data_scale:
        return arr
    return arr * float(domain.scale) / data_scale


def compute_response_oc(code: str, base: dict, post: dict, opt: DeriveOptions) -> np.ndarray:
    """Observed response (float 1/0/NaN) of one endpoint from its components' baseline and visit values."""
    comps = response_components(code, opt)
    crit = criterion_of(code, opt)
    b = np.column_stack([_on_domain_scale(c, base[c], d, opt) for c, d in zip(comps, crit.domains)])
    p = np.column_stack([_on_domain_scale(c, post[c], d, opt) for c, d in zip(comps, crit.domains)])
    return np.atleast_1d(compute_domain_response(b if crit.needs_baseline else None, p, crit))


def analysis_visit_grid(adeff: pd.DataFrame, opt: DeriveOptions) -> pd.DataFrame:
    """Post-baseline analysis visits: AVISITN, AVISIT, target day."""
    if opt.visit_windows:
        rows = [(w.avisitn, w.label, float(w.target_day)) for w in opt.visit_windows if w.avisitn > 0]
    else:
        anl = adeff[adeff["ANL01FL"].eq("Y") & adeff["AVISITN"].gt(0)]
        labels = anl.groupby("AVISITN")["AVISIT"].first()
        rows = [(v, labels[v], float(nominal_day(v))) for v in sorted(labels.index)]
    return pd.DataFrame(rows, columns=["AVISITN", "AVISIT", "TARGETDY"]).sort_values("AVISITN")


def derive_responses(adeff: pd.DataFrame, adsl: pd.DataFrame, ice: pd.DataFrame,
                     options: DeriveOptions) -> pd.DataFrame:
    """ADRESP: one row per ADSL subject x post-baseline analysis visit x response endpoint."""
    grid_v = analysis_visit_grid(adeff, options)
    subj = adsl[["USUBJID"]].drop_duplicates()
    grid = subj.merge(grid_v, how="cross").merge(ice[["USUBJID", "RESCDY", "DISCDY"]], on="USUBJID", how="left")
    anl = adeff[adeff["ANL01FL"].eq("Y") & adeff["AVISITN"].gt(0)]
    if "PARAMTYP" in anl.columns:
        anl = anl[~anl["PARAMTYP"].eq("SPONSOR")]
    key = pd.MultiIndex.from_frame(grid[["USUBJID", "AVISITN"]])
    parts = []
    for code in options.responses:
        comps = response_components(code, options)
        sub = anl[anl["PARAMCD"].isin(comps)].set_index(["USUBJID", "AVISITN", "PARAMCD"])
        base, post = {}, {}
        for c in comps:
            s = sub.xs(c, level="PARAMCD") if c in sub.index.get_level_values("PARAMCD") else None
            base[c] = s["BASE"].reindex(key).to_numpy(dtype=float) if s is not None else np.full(len(grid), np.nan)
            post[c] = s["AVAL"].reindex(key).to_numpy(dtype=float) if s is not None else np.full(len(grid), np.nan)
        day = sub.groupby(level=["USUBJID", "AVISITN"])["ADY"].max().reindex(key).to_numpy(dtype=float) \
            if len(sub) else np.full(len(grid), np.nan)
        oc = compute_response_oc(code, base, post, options)
        part = grid.copy()
        part["PARAMCD"], part["PARAM"] = code, criterion_of(code, options).label
        part["ADYSRC"] = np.where(np.isnan(day), "TARGET", "OBSERVED")
        part["ADY"] = np.where(np.isnan(day), part["TARGETDY"].to_numpy(), day)
        part["AVAL_OC"] = np.asarray(oc, dtype=float)
        parts.append(part)
    if not parts:
        return pd.DataFrame()
    out = pd.concat(parts, ignore_index=True)
    return apply_intercurrent_strategy(out, options.intercurrent_strategy)


def apply_intercurrent_strategy(resp: pd.DataFrame, strategy: str) -> pd.DataFrame:
    """Add RESCFL, DISCAFL, AVAL_NRI/AVALC_NRI, IMPFL, IMPREAS, AVAL/AVALC per the strategy."""
    out = resp.copy()
    oc = out["AVAL_OC"].to_numpy(dtype=float)
    day = out["ADY"].to_numpy(dtype=float)
    resc = out["RESCDY"].to_numpy(dtype=float)
    disc = out["DISCDY"].to_numpy(dtype=float)
    with np.errstate(invalid="ignore"):
        after_resc = ~np.isnan(resc) & (day >= resc)
        after_disc = ~np.isnan(disc) & (day > disc)
    nri = oc.copy()
    reason = np.full(len(out), "", dtype=object)
    if strategy == "composite":
        nri[after_disc] = 0.0
        reason[after_disc] = "after discontinuation (NRI)"
        nri[after_resc] = 0.0
        reason[after_resc] = "on/after rescue therapy (composite: non-responder)"
    elif strategy != "treatment_policy":
        raise ValueError(f"intercurrent strategy must be composite or treatment_policy, got {strategy!r}")
    miss = np.isnan(nri)
    nri[miss] = 0.0
    reason[miss] = "missing response (NRI)"
    out["RESCFL"] = np.where(after_resc, "Y", "N")
    out["DISCAFL"] = np.where(after_disc, "Y", "N")
    out["EVALFL"] = np.where(np.isnan(oc), "N", "Y")
    yn = lambda a: np.where(np.isnan(a), "", np.where(a == 1, "Y", "N"))  # noqa: E731
    out["AVALC_OC"] = yn(oc)
    out["AVAL_NRI"], out["AVALC_NRI"] = nri, yn(nri)
    out["IMPFL"] = np.where(reason != "", "Y", "N")
    out["IMPREAS"] = reason
    out["AVAL"], out["AVALC"] = nri, yn(nri)
    out["STRATEGY"] = strategy
    return out
