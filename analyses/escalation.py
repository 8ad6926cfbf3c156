"""The 3+3 dose-escalation rule: state machine, decision history and operating characteristics.

Hand-written: no Python library implements the 3+3 rule (in R, ``bcrm::threep3`` computes its
operating characteristics). One transition function, :func:`apply_cohort`, is the rule; the
decision engine (:func:`run_three_plus_three`), the exact enumeration
(:func:`three_plus_three_oc`) and the Monte-Carlo check (:func:`simulate_three_plus_three`)
all drive it, so they verify each other.

Rule (Storer 1989, Biometrics 45:925; Lin & Shih 2001, Biostatistics 2:203, A=B=3, C=D=E=1):
cohorts of 3 DLT-evaluable subjects, starting at the lowest dose.

* 0/3 DLTs -> escalate; 1/3 -> expand the dose to 6; <=1/6 -> escalate.
* >=2 DLTs (of 3 or of 6) -> the dose exceeds the MTD; escalation stops and the MTD is the
  previous (next lower) dose; at the lowest dose no dose is tolerated.
* The top dose cleared -> the MTD is *not reached within the dose range* (``mtd_status``
  ``"not_reached"``; the recommended Phase 2 dose is then the top dose).

Variants (the SAP must state which applies):

* ``mtd_needs_six=True``: the declared MTD must have 6 subjects. If the MTD level has only 3,
  3 more are treated there (this includes the top dose when all doses are cleared); if that
  expansion sees >=2/6, the MTD moves one level down.
* ``allow_deescalation=True`` (only with ``mtd_needs_six``): when the MTD moves one level down
  and that level has only 3 subjects, it is expanded too, and so on downwards (Lin & Shih's
  A+B design *with* dose de-escalation). With ``False`` the trial stops when the expansion
  fails and the next lower dose is declared MTD with the subjects it has (the history and
  ``n_at_mtd`` show it has only 3).

The recommended Phase 2 dose returned is the MTD (the top dose when the MTD is not reached);
a safety review committee may choose a lower RP2D — that choice is outside the rule.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analyses.results import tidy_frame

COHORT_SIZE = 3
FULL_SIZE = 6
MAX_DLT_TOLERATED = 1  # <= 1/6 escalates; >= 2 DLTs exceed the MTD

# ---------------------------------------------------------------------------------------------
# The rule


@dataclass(frozen=True)
class ThreePlusThreeRule:
    """Settings of the 3+3 rule for ``n_doses`` ordered dose levels (index 0 = lowest)."""

    n_doses: int
    mtd_needs_six: bool = False
    allow_deescalation: bool = False

    def __post_init__(self) -> None:
        if int(self.n_doses) != self.n_doses or self.n_doses < 1:
            raise ValueError(f"n_doses must be a positive integer, got {self.n_doses!r}")
        if self.allow_deescalation and not self.mtd_needs_six:
            raise ValueError(
                "allow_deescalation=True only has an effect with mtd_needs_six=True "
                "(the seed 3+3 rule never treats a dose lower than the current one)")


@dataclass(frozen=True)
class EscalationState:
    """Where the trial stands: subjects and DLTs per dose, and the next action."""

    n: tuple[int, ...]
    dlt: tuple[int, ...]
    dose: int | None  # dose index for the next cohort; None once stopped
    action: str  # start | escalate | expand | expand_mtd | stop
    too_toxic: int | None = None  # lowest dose index seen with >= 2 DLTs
    mtd: int | None = None  # set at stop; None with mtd_status none_tolerated/not_reached
    mtd_status: str | None = None  # declared | none_tolerated | not_reached
    cleared: tuple[bool, ...] = ()  # escalation criterion met at the dose (escalation phase)

    @property
    def stopped(self) -> bool:
        return self.action == "stop"


def initial_state(rule: ThreePlusThreeRule) -> EscalationState:
    """State before the first cohort: treat 3 at the lowest dose."""
    k = rule.n_doses
    return EscalationState(n=(0,) * k, dlt=(0,) * k, dose=0, action="start",
                           cleared=(False,) * k)


def _stop(state: EscalationState, n, dlt, cleared, too_toxic, mtd, status) -> EscalationState:
    return replace(state, n=n, dlt=dlt, dose=None, action="stop", too_toxic=too_toxic,
                   mtd=mtd, mtd_status=status, cleared=cleared)


def apply_cohort(rule: ThreePlusThreeRule, state: EscalationState,
                 n_dlt: int) -> tuple[EscalationState, str, str]:
    """Treat one complete cohort of 3 at ``state.dose`` with ``n_dlt`` DLTs.

    Returns ``(new_state, decision, rule_text)``; ``decision`` is one of ``escalate``,
    ``expand``, ``expand_mtd`` (de-escalate to/expand the MTD level) or ``stop``.
    """
    if state.stopped:
        raise ValueError("the 3+3 rule has already stopped; no further cohort is allowed")
    if not 0 <= n_dlt <= COHORT_SIZE:
        raise ValueError(f"a cohort of {COHORT_SIZE} has 0-{COHORT_SIZE} DLTs, got {n_dlt}")
    d = state.dose
    n = list(state.n)
    dlt = list(state.dlt)
    n[d] += COHORT_SIZE
    dlt[d] += n_dlt
    n_t, dlt_t = tuple(n), tuple(dlt)
    nd, xd = n[d], dlt[d]
    confirming = state.too_toxic is not None  # expanding a candidate MTD level
    cleared = state.cleared

    if nd == COHORT_SIZE and xd == 1 and not confirming:
        return (replace(state, n=n_t, dlt=dlt_t, dose=d, action="expand"), "expand",
                "1/3 DLT: expand the dose to 6")

    if xd <= (0 if nd == COHORT_SIZE else MAX_DLT_TOLERATED) and nd in (COHORT_SIZE, FULL_SIZE):
        text = "0/3 DLT" if nd == COHORT_SIZE else f"{xd}/6 DLT"
        if confirming:
            return (_stop(state, n_t, dlt_t, cleared, state.too_toxic,
                          None if d == rule.n_doses - 1 and state.too_toxic == rule.n_doses else d,
                          "not_reached" if state.too_toxic == rule.n_doses else "declared"),
                    "stop", f"{text} at the MTD level: MTD confirmed with 6 subjects"
                    if state.too_toxic < rule.n_doses else
                    f"{text} at the top dose: all doses cleared, MTD not reached within the dose range")
        cl = list(cleared)
        cl[d] = True
        cleared = tuple(cl)
        if d < rule.n_doses - 1:
            return (replace(state, n=n_t, dlt=dlt_t, dose=d + 1, action="escalate",
                            cleared=cleared), "escalate", f"{text}: escalate to the next dose")
        if rule.mtd_needs_six and nd == COHORT_SIZE:
            return (replace(state, n=n_t, dlt=dlt_t, dose=d, action="expand_mtd",
                            too_toxic=rule.n_doses, cleared=cleared), "expand_mtd",
                    f"{text} at the top dose: expand it to 6 (the MTD needs 6 subjects)")
        return (_stop(state, n_t, dlt_t, cleared, None, None, "not_reached"), "stop",
                f"{text} at the top dose: all doses cleared, MTD not reached within the dose range")

    if nd == COHORT_SIZE and xd == 1 and confirming:  # 1/3 at a dose never happens in confirm
        raise AssertionError("internal: a confirming expansion has 6 subjects")
    # >= 2 DLTs: dose d exceeds the MTD
    frac = f"{xd}/{nd} DLT"
    cand = d - 1
    if cand < 0:
        return (_stop(state, n_t, dlt_t, cleared, d, None, "none_tolerated"), "stop",
                f"{frac} at the lowest dose: stop, no dose is tolerated")
    if not rule.mtd_needs_six or n[cand] >= FULL_SIZE:
        return (_stop(state, n_t, dlt_t, cleared, d, cand, "declared"), "stop",
                f"{frac}: stop; the MTD is the next lower dose")
    if confirming and not rule.allow_deescalation:
        return (_stop(state, n_t, dlt_t, cleared, d, cand, "declared"), "stop",
                f"{frac} in the MTD-level expansion: the MTD moves one level down "
                "(de-escalation not allowed; that level keeps its 3 subjects)")
    if confirming:
        text = (f"{frac} in the MTD-level expansion: de-escalate and expand the next lower "
                "dose to 6 (the MTD needs 6 subjects)")
    else:
        text = (f"{frac}: stop escalating; expand the next lower dose to 6 "
                "(the MTD needs 6 subjects)")
    return (replace(state, n=n_t, dlt=dlt_t, dose=cand, action="expand_mtd", too_toxic=d),
            "expand_mtd", text)


# ---------------------------------------------------------------------------------------------
# Decision engine on observed cohorts


@dataclass(frozen=True)
class Cohort:
    """One cohort: its dose level (a value of ``dose_levels``), subjects and DLT flags in
    order of enrolment (DLT-evaluable subjects only)."""

    dose: Any
    subjects: tuple[str, ...]
    dlts: tuple[bool, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "subjects", tuple(str(s) for s in self.subjects))
        object.__setattr__(self, "dlts", tuple(_as_bool(v) for v in self.dlts))
        if len(self.subjects) != len(self.dlts):
            raise ValueError(f"cohort at dose {self.dose!r}: {len(self.subjects)} subjects but "
                             f"{len(self.dlts)} DLT flags")


def _as_bool(v: Any) -> bool:
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)) and v in (0, 1):
        return bool(v)
    if isinstance(v, str) and v.strip().upper() in ("Y", "N"):
        return v.strip().upper() == "Y"
    raise ValueError(f"DLT flag must be True/False, 1/0 or 'Y'/'N', got {v!r}")


@dataclass(frozen=True)
class EscalationResult:
    """Decision history and recommendation of the 3+3 rule on observed cohorts."""

    dose_levels: tuple[Any, ...]
    rule: ThreePlusThreeRule
    history: pd.DataFrame
    state: EscalationState
    recommendation: str  # e.g. "escalate to 2", "expand 1", "stop", "complete cohort at 1"
    next_dose: Any | None
    mtd: Any | None
    mtd_status: str | None
    rp2d: Any | None
    n_at_mtd: int | None

    def tidy(self, analysis_id: str = "escalation", endpoint: str = "DLT",
             population: str = "DLT-evaluable") -> pd.DataFrame:
        rows = []
        for rec in self.history.to_dict("records"):
            rows.append(dict(analysis_id=analysis_id, endpoint=endpoint, population=population,
                             group=str(rec["dose"]), statistic="decision", estimate=rec["n_dlt_at_dose"],
                             n=rec["n_at_dose"], label=rec["decision"], cohort=rec["cohort"],
                             rule=rec["rule"]))
        rows.append(dict(analysis_id=analysis_id, endpoint=endpoint, population=population,
                         group=None if self.mtd is None else str(self.mtd), statistic="decision",
                         n=self.n_at_mtd,
                         label=f"recommendation: {self.recommendation}; MTD status: "
                               f"{self.mtd_status or 'open'}; RP2D: {self.rp2d}"))
        return tidy_frame(rows)


def run_three_plus_three(dose_levels: Sequence[Any], cohorts: Sequence[Cohort], *,
                         mtd_needs_six: bool = False,
                         allow_deescalation: bool = False) -> EscalationResult:
    """Apply the 3+3 rule to observed cohorts in order; raise if a cohort breaks the rule.

    ``dose_levels`` are ordered from lowest to highest. Every cohort but the last must have
    exactly 3 subjects; a last cohort with fewer is "in progress" (decision pending).
    """
    levels = tuple(dose_levels)
    if len(set(levels)) != len(levels):
        raise ValueError(f"dose_levels contain duplicates: {levels}")
    rule = ThreePlusThreeRule(len(levels), mtd_needs_six, allow_deescalation)
    state = initial_state(rule)
    hist = []
    pending = None
    for i, c in enumerate(cohorts, start=1):
        if c.dose not in levels:
            raise ValueError(f"cohort {i}: dose {c.dose!r} is not one of the dose levels {levels}")
        if state.stopped:
            raise ValueError(f"cohort {i} at dose {c.dose!r} (subjects {', '.join(c.subjects)}) "
                             f"comes after the rule stopped (cohort {i - 1}: {hist[-1]['rule']})")
        expected = levels[state.dose]
        if c.dose != expected:
            raise ValueError(f"cohort {i} (subjects {', '.join(c.subjects)}) was treated at dose "
                             f"{c.dose!r} but the 3+3 rule required dose {expected!r} "
                             f"(after cohort {i - 1}: {state.action})")
        if len(c.subjects) > COHORT_SIZE or len(c.subjects) == 0:
            raise ValueError(f"cohort {i} at dose {c.dose!r} has {len(c.subjects)} DLT-evaluable "
                             f"subjects; the 3+3 rule treats cohorts of {COHORT_SIZE}")
        if len(c.subjects) < COHORT_SIZE:
            if i != len(cohorts):
                raise ValueError(f"cohort {i} at dose {c.dose!r} has {len(c.subjects)} subjects; "
                                 f"only the last cohort may be incomplete")
            pending = c
            break
        state, decision, text = apply_cohort(rule, state, sum(c.dlts))
        d = levels.index(c.dose)
        hist.append(dict(cohort=i, dose=c.dose, subjects=", ".join(c.subjects),
                         n_cohort=len(c.subjects), n_dlt_cohort=sum(c.dlts),
                         n_at_dose=state.n[d], n_dlt_at_dose=state.dlt[d],
                         decision=decision, next_dose=None if state.stopped else levels[state.dose],
                         rule=text))
    history = pd.DataFrame(hist, columns=["cohort", "dose", "subjects", "n_cohort", "n_dlt_cohort",
                                          "n_at_dose", "n_dlt_at_dose", "decision", "next_dose",
                                          "rule"])
    if pending is not None:
        missing = COHORT_SIZE - len(pending.subjects)
        rec = (f"complete the cohort at dose {pending.dose!r} ({missing} more subject"
               f"{'s' if missing > 1 else ''}; {sum(pending.dlts)} DLT so far)")
        next_dose = pending.dose
    elif state.stopped:
        rec, next_dose = "stop", None
    else:
        verb = {"start": "start at", "escalate": "escalate to", "expand": "expand",
                "expand_mtd": "expand (MTD level)"}[state.action]
        rec, next_dose = f"{verb} dose {levels[state.dose]!r}", levels[state.dose]
    mtd = levels[state.mtd] if state.mtd is not None else None
    rp2d = mtd if state.mtd_status == "declared" else (
        levels[-1] if state.mtd_status == "not_reached" else None)
    n_at_mtd = (state.n[state.mtd] if state.mtd is not None
                else state.n[-1] if state.mtd_status == "not_reached" else None)
    return EscalationResult(levels, rule, history, state, rec, next_dose, mtd, state.mtd_status,
                            rp2d, n_at_mtd)


def cohorts_from_frame(data: pd.DataFrame, *, cohort: str = "COHORT", dose: str = "DOSE",
                       subject: str = "USUBJID", dlt: str = "DLTFL") -> list[Cohort]:
    """Build cohorts (in order of first appearance, subjects in row order) from one row per
    DLT-evaluable subject."""
    for col in (cohort, dose, subject, dlt):
        if col not in data.columns:
            raise ValueError(f"column {col!r} is missing from the cohort data")
    bad = data.index[data[[cohort, dose, subject, dlt]].isna().any(axis=1)].tolist()
    if bad:
        raise ValueError(f"missing cohort/dose/subject/DLT values in rows {bad}")
    dup = data.index[data[subject].duplicated(keep=False)].tolist()
    if dup:
        raise ValueError(f"column {subject!r}: subjects appear more than once (rows {dup})")
    out = []
    for key, g in data.groupby(cohort, sort=False):
        doses = g[dose].unique()
        if len(doses) != 1:
            raise ValueError(f"cohort {key!r} has subjects at several doses {list(doses)} "
                             f"(rows {g.index.tolist()})")
        out.append(Cohort(doses[0], tuple(g[subject]), tuple(g[dlt])))
    return out


# ---------------------------------------------------------------------------------------------
# Operating characteristics


def compute_escalation_probability(p: float) -> float:
    """P(escalate from a dose | true DLT rate p) = q^3 + 3 p q^2 q^3 (Storer 1989)."""
    q = 1.0 - p
    return q ** 3 + 3 * p * q ** 2 * q ** 3


def _check_probs(dlt_probs: Sequence[float]) -> np.ndarray:
    p = np.asarray(dlt_probs, dtype=float)
    if p.ndim != 1 or p.size == 0 or np.any(~np.isfinite(p)) or np.any((p < 0) | (p > 1)):
        raise ValueError(f"dlt_probs must be a non-empty sequence of probabilities, got {dlt_probs!r}")
    return p


def _outcome_index(state: EscalationState, k: int) -> int:
    """Index of the terminal category: 0 = no dose tolerated, i = dose i (1-based) is the MTD,
    K = top dose cleared (MTD not reached)."""
    if state.mtd_status == "none_tolerated":
        return 0
    if state.mtd_status == "not_reached":
        return k
    return state.mtd + 1


def three_plus_three_oc(dlt_probs: Sequence[float], *, mtd_needs_six: bool = False,
                        allow_deescalation: bool = False) -> dict[str, Any]:
    """Exact operating characteristics of the 3+3 rule by enumerating every cohort outcome.

    Returns ``p_mtd`` (index 0 = no dose tolerated, index i = dose i is the MTD, last = all doses
    cleared / MTD not reached), ``expected_n``, ``expected_dlts``, ``p_escalate`` (per dose,
    P(escalation criterion met at the dose | dose treated)), ``p_treated``,
    ``expected_n_per_dose`` and ``expected_dlts_per_dose``. Reference: Lin & Shih 2001 (exact
    formulas; this enumeration reproduces them); R ``bcrm::threep3``.
    """
    p = _check_probs(dlt_probs)
    k = p.size
    rule = ThreePlusThreeRule(k, mtd_needs_six, allow_deescalation)
    pmf = [[math.comb(3, x) * pi ** x * (1 - pi) ** (3 - x) for x in range(4)] for pi in p]
    p_mtd = np.zeros(k + 1)
    en = np.zeros(k)
    edlt = np.zeros(k)
    treated = np.zeros(k)
    cleared = np.zeros(k)
    frontier = {initial_state(rule): 1.0}
    while frontier:
        nxt: dict[EscalationState, float] = {}
        for st, pr in frontier.items():
            for x in range(4):
                w = pr * pmf[st.dose][x]
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
                mtd_needs_six=mtd_needs_six, allow_deescalation=allow_deescalation)


def simulate_three_plus_three(dlt_probs: Sequence[float], n_sim: int, seed: int, *,
                              mtd_needs_six: bool = False,
                              allow_deescalation: bool = False) -> dict[str, Any]:
    """Monte-Carlo operating characteristics by running :func:`apply_cohort` on simulated trials.

    Returns the quantities of :func:`three_plus_three_oc` plus their Monte-Carlo standard
    errors (``*_se``): binomial SE for probabilities (conditional on the dose being treated for
    ``p_escalate``), SD/sqrt(n_sim) for expectations. ``numpy.random.default_rng(seed)``.
    """
    p = _check_probs(dlt_probs)
    if int(n_sim) != n_sim or n_sim < 2:
        raise ValueError(f"n_sim must be an integer >= 2, got {n_sim!r}")
    k = p.size
    rule = ThreePlusThreeRule(k, mtd_needs_six, allow_deescalation)
    rng = np.random.default_rng(seed)
    # a dose receives at most two cohorts, so two binomial draws per dose per trial suffice
    draws = rng.binomial(COHORT_SIZE, np.broadcast_to(p[None, :, None], (n_sim, k, 2)))
    outcome = np.zeros(n_sim, dtype=int)
    n_all = np.zeros((n_sim, k))
    dlt_all = np.zeros((n_sim, k))
    clr = np.zeros((n_sim, k), dtype=bool)
    start = initial_state(rule)
    for s in range(n_sim):
        st = start
        dr = draws[s]
        while not st.stopped:
            st, _, _ = apply_cohort(rule, st, int(dr[st.dose, st.n[st.dose] // COHORT_SIZE]))
        outcome[s] = _outcome_index(st, k)
        n_all[s] = st.n
        dlt_all[s] = st.dlt
        clr[s] = st.cleared
    p_mtd = np.bincount(outcome, minlength=k + 1) / n_sim
    tot_n = n_all.sum(axis=1)
    tot_dlt = dlt_all.sum(axis=1)
    treated = (n_all > 0)
    m = treated.sum(axis=0)
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
                mtd_needs_six=mtd_needs_six, allow_deescalation=allow_deescalation)


def summarize_three_plus_three_oc(oc: dict[str, Any], dose_levels: Sequence[Any] | None = None,
                                  analysis_id: str = "escalation_oc") -> pd.DataFrame:
    """Tidy rows (statistic probability / expected_value) of an OC dict from either function."""
    k = len(oc["dlt_probs"])
    levels = list(dose_levels) if dose_levels is not None else list(range(1, k + 1))
    if len(levels) != k:
        raise ValueError(f"{len(levels)} dose levels for {k} DLT probabilities")
    se = lambda key, i=None: (None if key + "_se" not in oc else  # noqa: E731
                              oc[key + "_se"] if i is None else oc[key + "_se"][i])
    rows = [dict(analysis_id=analysis_id, endpoint="DLT", statistic="probability",
                 group="none tolerated", label="P(MTD = no dose)", estimate=oc["p_mtd"][0],
                 se=se("p_mtd", 0))]
    for i, lev in enumerate(levels):
        lab = ("P(all doses cleared: MTD not reached)" if i == k - 1 else f"P(MTD = {lev})")
        rows.append(dict(analysis_id=analysis_id, endpoint="DLT", statistic="probability",
                         group=str(lev), label=lab, estimate=oc["p_mtd"][i + 1],
                         se=se("p_mtd", i + 1)))
        rows.append(dict(analysis_id=analysis_id, endpoint="DLT", statistic="probability",
                         group=str(lev), label="P(escalation criterion met | dose treated)",
                         estimate=oc["p_escalate"][i], se=se("p_escalate", i)))
        rows.append(dict(analysis_id=analysis_id, endpoint="DLT", statistic="expected_value",
                         group=str(lev), label="E[subjects at dose]",
                         estimate=oc["expected_n_per_dose"][i], se=se("expected_n_per_dose", i)))
    rows.append(dict(analysis_id=analysis_id, endpoint="DLT", statistic="expected_value",
                     label="E[total subjects]", estimate=oc["expected_n"], se=se("expected_n")))
    rows.append(dict(analysis_id=analysis_id, endpoint="DLT", statistic="expected_value",
                     label="E[total DLTs]", estimate=oc["expected_dlts"], se=se("expected_dlts")))
    return tidy_frame(rows)
