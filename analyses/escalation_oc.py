"""Operating characteristics of the 3+3 rule: exact enumeration and a Monte-Carlo check.

Both drive the one transition function of the rule, :func:`analyses.escalation.apply_cohort`, with the rule's
settings (:class:`analyses.escalation.ThreePlusThreeRule`: cohort and expansion sizes, MTD-needs-six,
de-escalation). The exact enumeration follows every cohort outcome (binomial DLT counts) to the end of the
trial (Lin & Shih 2001, Biostatistics 2:203, whose closed forms it reproduces; R ``bcrm::threep3``); the
simulation runs the rule on simulated trials (``numpy.random.default_rng(seed)``).
"""
from __future__ import annotations

import math
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analyses.escalation import EscalationState, ThreePlusThreeRule, apply_cohort, initial_state, next_cohort_size
from analyses.results import tidy_frame


def compute_escalation_probability(p: float, cohort_size: int, expansion_size: int) -> float:
    """P(escalate from a dose | true DLT rate p) = q^A + A p q^(A-1) q^B (Storer 1989; A = B = 3:
    q^3 + 3 p q^2 q^3)."""
    q = 1.0 - p
    a, b = cohort_size, expansion_size
    return q ** a + a * p * q ** (a - 1) * q ** b


def _check_probs(dlt_probs: Sequence[float], rule: ThreePlusThreeRule) -> np.ndarray:
    p = np.asarray(dlt_probs, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"dlt_probs must be a non-empty sequence of probabilities, got {dlt_probs!r}")
    if p.size != rule.n_doses:
        raise ValueError(f"{p.size} DLT probabilities for a rule of {rule.n_doses} doses")
    return p


def _outcome_index(state: EscalationState, k: int) -> int:
    """Index of the terminal category: 0 = no dose tolerated, i = dose i (1-based) is the MTD,
    K = top dose cleared (MTD not reached)."""
    if state.mtd_status == "none_tolerated":
        return 0
    if state.mtd_status == "not_reached":
        return k
    return state.mtd + 1


def _binomial_pmf(size: int, p: float) -> list[float]:
    return [math.comb(size, x) * p ** x * (1 - p) ** (size - x) for x in range(size + 1)]


def three_plus_three_oc(dlt_probs: Sequence[float], rule: ThreePlusThreeRule) -> dict[str, Any]:
    """Exact operating characteristics of ``rule`` by enumerating every cohort outcome.

    Returns ``p_mtd`` (index 0 = no dose tolerated, index i = dose i is the MTD, last = all doses
    cleared / MTD not reached), ``expected_n``, ``expected_dlts``, ``p_escalate`` (per dose,
    P(escalation criterion met at the dose | dose treated)), ``p_treated``,
    ``expected_n_per_dose`` and ``expected_dlts_per_dose``. Reference: Lin & Shih 2001 (exact
    formulas; this enumeration reproduces them); R ``bcrm::threep3``.
    """
    p = _check_probs(dlt_probs, rule)
    k = p.size
    pmf = {size: [_binomial_pmf(size, pi) for pi in p] for size in {rule.cohort_size, rule.expansion_size}}
    p_mtd = np.zeros(k + 1)
    en, edlt, treated, cleared = np.zeros(k), np.zeros(k), np.zeros(k), np.zeros(k)
    frontier = {initial_state(rule): 1.0}
    while frontier:
        nxt: dict[EscalationState, float] = {}
        for st, pr in frontier.items():
            size = next_cohort_size(rule, st)
            for x in range(size + 1):
                w = pr * pmf[size][st.dose][x]
                if w == 0.0:
                    continue
                new, _, _ = apply_cohort(rule, st, x)
                if new.stopped:
                    p_mtd[_outcome_index(new, k)] += w
                    n = np.array(new.n)
                    en += w * n
                    edlt += w * np.array(new.dlt)
                    treated += w * (n > 0)
                    cleared += w * np.array(new.cleared)
                else:
                    nxt[new] = nxt.get(new, 0.0) + w
        frontier = nxt
    with np.errstate(invalid="ignore", divide="ignore"):
        p_esc = np.where(treated > 0, cleared / np.where(treated > 0, treated, 1), np.nan)
    return dict(p_mtd=p_mtd.tolist(), expected_n=float(en.sum()),
                expected_dlts=float(edlt.sum()), p_escalate=p_esc.tolist(),
                p_treated=treated.tolist(), expected_n_per_dose=en.tolist(),
                expected_dlts_per_dose=edlt.tolist(), dlt_probs=p.tolist(),
                mtd_needs_six=rule.mtd_needs_six, allow_deescalation=rule.allow_deescalation)


def _simulate_trials(rule: ThreePlusThreeRule, p: np.ndarray, n_sim: int, seed: int):
    """Outcome index, subjects, DLTs and cleared flags per simulated trial and dose."""
    k = p.size
    rng = np.random.default_rng(seed)
    # a dose receives at most two cohorts (A, then an expansion of B): two binomial draws per dose per trial
    sizes = np.broadcast_to(np.array([rule.cohort_size, rule.expansion_size])[None, None, :], (n_sim, k, 2))
    draws = rng.binomial(sizes, np.broadcast_to(p[None, :, None], (n_sim, k, 2)))
    outcome = np.zeros(n_sim, dtype=int)
    n_all, dlt_all = np.zeros((n_sim, k)), np.zeros((n_sim, k))
    clr = np.zeros((n_sim, k), dtype=bool)
    start = initial_state(rule)
    for s in range(n_sim):
        st = start
        dr = draws[s]
        while not st.stopped:
            st, _, _ = apply_cohort(rule, st, int(dr[st.dose, 0 if st.n[st.dose] == 0 else 1]))
        outcome[s] = _outcome_index(st, k)
        n_all[s], dlt_all[s], clr[s] = st.n, st.dlt, st.cleared
    return outcome, n_all, dlt_all, clr


def simulate_three_plus_three(dlt_probs: Sequence[float], n_sim: int, seed: int,
                              rule: ThreePlusThreeRule) -> dict[str, Any]:
    """Monte-Carlo operating characteristics by running :func:`apply_cohort` on simulated trials.

    Returns the quantities of :func:`three_plus_three_oc` plus their Monte-Carlo standard
    errors (``*_se``): binomial SE for probabilities (conditional on the dose being treated for
    ``p_escalate``), SD/sqrt(n_sim) for expectations. ``numpy.random.default_rng(seed)``.
    """
    p = _check_probs(dlt_probs, rule)
    if int(n_sim) != n_sim or n_sim < 2:
        raise ValueError(f"n_sim must be an integer >= 2, got {n_sim!r}")
    k = p.size
    outcome, n_all, dlt_all, clr = _simulate_trials(rule, p, int(n_sim), seed)
    p_mtd = np.bincount(outcome, minlength=k + 1) / n_sim
    tot_n = n_all.sum(axis=1)
    tot_dlt = dlt_all.sum(axis=1)
    m = (n_all > 0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        p_esc = np.where(m > 0, clr.sum(axis=0) / np.maximum(m, 1), np.nan)
        p_esc_se = np.where(m > 0, np.sqrt(p_esc * (1 - p_esc) / np.maximum(m, 1)), np.nan)
    sqn = math.sqrt(n_sim)
    return dict(p_mtd=p_mtd.tolist(), p_mtd_se=np.sqrt(p_mtd * (1 - p_mtd) / n_sim).tolist(),
                expected_n=float(tot_n.mean()), expected_n_se=float(tot_n.std(ddof=1) / sqn),
                expected_dlts=float(tot_dlt.mean()),
                expected_dlts_se=float(tot_dlt.std(ddof=1) / sqn),
                p_escalate=p_esc.tolist(), p_escalate_se=p_esc_se.tolist(),
                p_treated=(m / n_sim).tolist(),
                p_treated_se=np.sqrt(m / n_sim * (1 - m / n_sim) / n_sim).tolist(),
                expected_n_per_dose=n_all.mean(axis=0).tolist(),
                expected_n_per_dose_se=(n_all.std(axis=0, ddof=1) / sqn).tolist(),
                expected_dlts_per_dose=dlt_all.mean(axis=0).tolist(),
                expected_dlts_per_dose_se=(dlt_all.std(axis=0, ddof=1) / sqn).tolist(),
                n_sim=int(n_sim), seed=seed, dlt_probs=p.tolist(),
                mtd_needs_six=rule.mtd_needs_six, allow_deescalation=rule.allow_deescalation)


def summarize_three_plus_three_oc(oc: dict[str, Any], dose_levels: Sequence[Any] | None = None,
                                  analysis_id: str = "escalation_oc") -> pd.DataFrame:
    """Tidy rows (statistic probability / expected_value) of an OC dict from either function."""
    k = len(oc["dlt_probs"])
    levels = list(dose_levels) if dose_levels is not None else list(range(1, k + 1))
    if len(levels) != k:
        raise ValueError(f"{len(levels)} dose levels for {k} DLT probabilities")

    def se(key, i=None):
        if key + "_se" not in oc:
            return None
        return oc[key + "_se"] if i is None else oc[key + "_se"][i]

    def row(statistic, label, estimate, s, group=None):
        return dict(analysis_id=analysis_id, endpoint="DLT", statistic=statistic, group=group, label=label,
                    estimate=estimate, se=s)

    rows = [row("probability", "P(MTD = no dose)", oc["p_mtd"][0], se("p_mtd", 0), "none tolerated")]
    for i, lev in enumerate(levels):
        lab = "P(all doses cleared: MTD not reached)" if i == k - 1 else f"P(MTD = {lev})"
        rows.append(row("probability", lab, oc["p_mtd"][i + 1], se("p_mtd", i + 1), str(lev)))
        rows.append(row("probability", "P(escalation criterion met | dose treated)", oc["p_escalate"][i],
                        se("p_escalate", i), str(lev)))
        rows.append(row("expected_value", "E[subjects at dose]", oc["expected_n_per_dose"][i],
                        se("expected_n_per_dose", i), str(lev)))
    rows.append(row("expected_value", "E[total subjects]", oc["expected_n"], se("expected_n")))
    rows.append(row("expected_value", "E[total DLTs]", oc["expected_dlts"], se("expected_dlts")))
    return tidy_frame(rows)
