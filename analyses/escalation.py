"""The 3+3 dose-escalation rule: state machine and decision history on observed cohorts.

Hand-written: no Python library implements the 3+3 rule (in R, ``bcrm::threep3`` computes its operating
characteristics, :mod:`analyses.escalation_oc` here). One transition function, :func:`apply_cohort`, is the
rule; the decision engine (:func:`run_three_plus_three`), the exact enumeration and the Monte-Carlo check of
:mod:`analyses.escalation_oc` all drive it.

Rule (Storer 1989, Biometrics 45:925; Le Tourneau et al. 2009, JNCI 101:708; Lin & Shih 2001,
Biostatistics 2:203, the A+B design with C = D = E = 1): cohorts of A = ``cohort_size`` DLT-evaluable
subjects, starting at the lowest dose; an expansion adds B = ``expansion_size`` subjects (A = B = 3: 3+3).

* 0/A DLTs -> escalate; 1/A -> expand the dose to A+B; at most 1/(A+B) -> escalate.
* >= 2 DLTs (of A or of A+B) -> the dose exceeds the MTD; escalation stops and the MTD is the previous (next
  lower) dose; at the lowest dose no dose is tolerated.
* The top dose cleared -> the MTD is *not reached within the dose range* (``mtd_status`` ``"not_reached"``;
  the recommended Phase 2 dose is then the top dose).

Variants (the SAP states which applies):

* ``mtd_needs_six=True`` (the plan's ``mtd_requires_six``): the declared MTD must have A+B (six) subjects. If
  the MTD level has only A, B more are treated there (this includes the top dose when all doses are cleared);
  if that expansion sees >= 2 DLTs of A+B, the MTD moves one level down.
* ``allow_deescalation=True`` (only with ``mtd_needs_six``): when the MTD moves one level down and that level
  has only A subjects, it is expanded too, and so on downwards (Lin & Shih's A+B design *with* dose
  de-escalation). With ``False`` the trial stops when the expansion fails and the next lower dose is declared
  MTD with the subjects it has (the history and ``n_at_mtd`` show it).

The recommended Phase 2 dose returned is the MTD (the top dose when the MTD is not reached); a safety review
committee may choose a lower RP2D: that choice is outside the rule.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Sequence

import numpy as np
import pandas as pd

from analyses.results import tidy_frame

MAX_DLT_TOLERATED = 1  # <= 1/(A+B) escalates; >= 2 DLTs exceed the MTD

# ---------------------------------------------------------------------------------------------
# The rule


@dataclass(frozen=True)
class ThreePlusThreeRule:
    """Settings of the rule for ``n_doses`` ordered dose levels (index 0 = lowest).

    The defaults are those of the plan's rule (``sap.spec.EscalationRule``: cohorts of 3, expansion by 3, the MTD
    needs 6, no de-escalation; a test checks that they agree). The plan adapter passes every setting from the
    plan's ``design.phases[].escalation``; the classic Storer rule of the published operating characteristics
    is ``mtd_needs_six=False``.
    """

    n_doses: int
    cohort_size: int = 3
    expansion_size: int = 3
    mtd_needs_six: bool = True
    allow_deescalation: bool = False

    def __post_init__(self) -> None:
        for name in ("n_doses", "cohort_size", "expansion_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or int(value) != value or value < 1:
                raise ValueError(f"{name} must be a positive integer, got {value!r}")
        if self.allow_deescalation and not self.mtd_needs_six:
            raise ValueError(
                "allow_deescalation=True only has an effect with mtd_needs_six=True "
                "(without it the rule never treats a dose lower than the current one)")

    @property
    def full_size(self) -> int:
        """Subjects at a dose after its expansion (A+B; 6 for the 3+3 rule)."""
        return self.cohort_size + self.expansion_size

    @property
    def name(self) -> str:
        return f"{self.cohort_size}+{self.expansion_size}"


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
    """State before the first cohort: treat a cohort at the lowest dose."""
    k = rule.n_doses
    return EscalationState(n=(0,) * k, dlt=(0,) * k, dose=0, action="start", cleared=(False,) * k)


def next_cohort_size(rule: ThreePlusThreeRule, state: EscalationState) -> int:
    """Subjects the next cohort must have: A at a dose not yet treated, B to expand a dose that has A."""
    if state.stopped:
        raise ValueError("the rule has stopped; there is no next cohort")
    return rule.cohort_size if state.n[state.dose] == 0 else rule.expansion_size


def _stop(state: EscalationState, n, dlt, cleared, too_toxic, mtd, status) -> EscalationState:
    return replace(state, n=n, dlt=dlt, dose=None, action="stop", too_toxic=too_toxic,
                   mtd=mtd, mtd_status=status, cleared=cleared)


def apply_cohort(rule: ThreePlusThreeRule, state: EscalationState,
                 n_dlt: int) -> tuple[EscalationState, str, str]:
    """Treat one complete cohort (:func:`next_cohort_size` subjects) at ``state.dose`` with ``n_dlt`` DLTs.

    Returns ``(new_state, decision, rule_text)``; ``decision`` is one of ``escalate``, ``expand``,
    ``expand_mtd`` (de-escalate to/expand the MTD level) or ``stop``.
    """
    if state.stopped:
        raise ValueError("the 3+3 rule has already stopped; no further cohort is allowed")
    size = next_cohort_size(rule, state)
    if not 0 <= n_dlt <= size:
        raise ValueError(f"a cohort of {size} has 0-{size} DLTs, got {n_dlt}")
    d = state.dose
    n, dlt = list(state.n), list(state.dlt)
    n[d] += size
    dlt[d] += n_dlt
    new = replace(state, n=tuple(n), dlt=tuple(dlt))
    nd, xd = n[d], dlt[d]
    confirming = state.too_toxic is not None  # expanding a candidate MTD level
    if nd == rule.cohort_size and xd == 1 and not confirming:
        return (replace(new, dose=d, action="expand"), "expand",
                f"1/{rule.cohort_size} DLT: expand the dose to {rule.full_size}")
    if (nd == rule.cohort_size and xd == 0) or (nd == rule.full_size and xd <= MAX_DLT_TOLERATED):
        return _cleared(rule, new, d, confirming)
    if nd == rule.cohort_size and xd == 1:  # a confirming expansion always has A+B subjects
        raise AssertionError("internal: a confirming expansion has A+B subjects")
    return _exceeded(rule, new, d, confirming)


def _cleared(rule: ThreePlusThreeRule, new: EscalationState, d: int,
             confirming: bool) -> tuple[EscalationState, str, str]:
    """Dose ``d`` met the escalation criterion (0/A or at most 1/(A+B))."""
    text = f"{new.dlt[d]}/{new.n[d]} DLT"
    full = rule.full_size
    if confirming:
        top_cleared = new.too_toxic == rule.n_doses
        return (_stop(new, new.n, new.dlt, new.cleared, new.too_toxic,
                      None if top_cleared else d, "not_reached" if top_cleared else "declared"), "stop",
                f"{text} at the top dose: all doses cleared, MTD not reached within the dose range"
                if top_cleared else f"{text} at the MTD level: MTD confirmed with {full} subjects")
    cleared = tuple(True if i == d else c for i, c in enumerate(new.cleared))
    if d < rule.n_doses - 1:
        return (replace(new, dose=d + 1, action="escalate", cleared=cleared), "escalate",
                f"{text}: escalate to the next dose")
    if rule.mtd_needs_six and new.n[d] == rule.cohort_size:
        return (replace(new, dose=d, action="expand_mtd", too_toxic=rule.n_doses, cleared=cleared), "expand_mtd",
                f"{text} at the top dose: expand it to {full} (the MTD needs {full} subjects)")
    return (_stop(new, new.n, new.dlt, cleared, None, None, "not_reached"), "stop",
            f"{text} at the top dose: all doses cleared, MTD not reached within the dose range")


def _exceeded(rule: ThreePlusThreeRule, new: EscalationState, d: int,
              confirming: bool) -> tuple[EscalationState, str, str]:
    """Dose ``d`` has >= 2 DLTs: it exceeds the MTD."""
    frac = f"{new.dlt[d]}/{new.n[d]} DLT"
    full = rule.full_size
    cand = d - 1
    if cand < 0:
        return (_stop(new, new.n, new.dlt, new.cleared, d, None, "none_tolerated"), "stop",
                f"{frac} at the lowest dose: stop, no dose is tolerated")
    if not rule.mtd_needs_six or new.n[cand] >= full:
        return (_stop(new, new.n, new.dlt, new.cleared, d, cand, "declared"), "stop",
                f"{frac}: stop; the MTD is the next lower dose")
    if confirming and not rule.allow_deescalation:
        return (_stop(new, new.n, new.dlt, new.cleared, d, cand, "declared"), "stop",
                f"{frac} in the MTD-level expansion: the MTD moves one level down "
                f"(de-escalation not allowed; that level keeps its {new.n[cand]} subjects)")
    if confirming:
        text = (f"{frac} in the MTD-level expansion: de-escalate and expand the next lower "
                f"dose to {full} (the MTD needs {full} subjects)")
    else:
        text = f"{frac}: stop escalating; expand the next lower dose to {full} (the MTD needs {full} subjects)"
    return replace(new, dose=cand, action="expand_mtd", too_toxic=d), "expand_mtd", text


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


HISTORY_COLUMNS = ["cohort", "dose", "subjects", "n_cohort", "n_dlt_cohort", "n_at_dose", "n_dlt_at_dose",
                   "decision", "next_dose", "rule"]


@dataclass(frozen=True)
class EscalationResult:
    """Decision history and recommendation of the rule on observed cohorts."""

    dose_levels: tuple[Any, ...]
    rule: ThreePlusThreeRule
    #: one row per complete cohort: :data:`HISTORY_COLUMNS`
    history: pd.DataFrame
    state: EscalationState
    recommendation: str  # e.g. "escalate to dose 2", "expand dose 1", "stop", "complete the cohort at dose 1 ..."
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


def _check_cohort(rule: ThreePlusThreeRule, state: EscalationState, levels: tuple, i: int, c: Cohort,
                  last: bool, previous_rule: str | None) -> bool:
    """Raise ValueError when cohort ``i`` breaks the rule; True when it is complete (False: the last, in progress)."""
    if c.dose not in levels:
        raise ValueError(f"cohort {i}: dose {c.dose!r} is not one of the dose levels {levels}")
    if state.stopped:
        raise ValueError(f"cohort {i} at dose {c.dose!r} (subjects {', '.join(c.subjects)}) "
                         f"comes after the rule stopped (cohort {i - 1}: {previous_rule})")
    expected = levels[state.dose]
    if c.dose != expected:
        raise ValueError(f"cohort {i} (subjects {', '.join(c.subjects)}) was treated at dose "
                         f"{c.dose!r} but the {rule.name} rule required dose {expected!r} "
                         f"(after cohort {i - 1}: {state.action})")
    size = next_cohort_size(rule, state)
    if len(c.subjects) > size or len(c.subjects) == 0:
        raise ValueError(f"cohort {i} at dose {c.dose!r} has {len(c.subjects)} DLT-evaluable subjects; the "
                         f"{rule.name} rule treats {size} here (cohorts of {rule.cohort_size}, expansions of "
                         f"{rule.expansion_size})")
    if len(c.subjects) < size and not last:
        raise ValueError(f"cohort {i} at dose {c.dose!r} has {len(c.subjects)} subjects; "
                         f"only the last cohort may be incomplete")
    return len(c.subjects) == size


def run_three_plus_three(dose_levels: Sequence[Any], cohorts: Sequence[Cohort],
                         rule: ThreePlusThreeRule) -> EscalationResult:
    """Apply ``rule`` to observed cohorts in order; raise ValueError if a cohort breaks the rule.

    ``dose_levels`` are ordered from lowest to highest (``rule.n_doses`` of them). Every cohort but the last must
    have the size the rule requires at that step; a last cohort with fewer is "in progress" (decision pending).
    """
    levels = tuple(dose_levels)
    if len(set(levels)) != len(levels):
        raise ValueError(f"dose_levels contain duplicates: {levels}")
    if len(levels) != rule.n_doses:
        raise ValueError(f"{len(levels)} dose levels for a rule of {rule.n_doses} doses")
    state = initial_state(rule)
    hist: list[dict] = []
    pending = None
    for i, c in enumerate(cohorts, start=1):
        if not _check_cohort(rule, state, levels, i, c, i == len(cohorts), hist[-1]["rule"] if hist else None):
            pending = c
            break
        state, decision, text = apply_cohort(rule, state, sum(c.dlts))
        d = levels.index(c.dose)
        hist.append(dict(cohort=i, dose=c.dose, subjects=", ".join(c.subjects),
                         n_cohort=len(c.subjects), n_dlt_cohort=sum(c.dlts),
                         n_at_dose=state.n[d], n_dlt_at_dose=state.dlt[d],
                         decision=decision, next_dose=None if state.stopped else levels[state.dose],
                         rule=text))
    rec, next_dose = _recommendation(rule, state, levels, pending)
    mtd = levels[state.mtd] if state.mtd is not None else None
    rp2d = mtd if state.mtd_status == "declared" else (
        levels[-1] if state.mtd_status == "not_reached" else None)
    n_at_mtd = (state.n[state.mtd] if state.mtd is not None
                else state.n[-1] if state.mtd_status == "not_reached" else None)
    return EscalationResult(levels, rule, pd.DataFrame(hist, columns=HISTORY_COLUMNS), state, rec, next_dose,
                            mtd, state.mtd_status, rp2d, n_at_mtd)


def _recommendation(rule: ThreePlusThreeRule, state: EscalationState, levels: tuple,
                    pending: Cohort | None) -> tuple[str, Any]:
    """(recommendation text, next dose) after the complete cohorts."""
    if pending is not None:
        missing = next_cohort_size(rule, state) - len(pending.subjects)
        return (f"complete the cohort at dose {pending.dose!r} ({missing} more subject"
                f"{'s' if missing > 1 else ''}; {sum(pending.dlts)} DLT so far)", pending.dose)
    if state.stopped:
        return "stop", None
    verb = {"start": "start at", "escalate": "escalate to", "expand": "expand",
            "expand_mtd": "expand (MTD level)"}[state.action]
    return f"{verb} dose {levels[state.dose]!r}", levels[state.dose]


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
