"""Synthetic trial data for a plan: ADSL, ADQS, ADLB, ADAE, ADEX in the DESIGN.md contract.

:func:`generate` is driven by the plan (arms, doses, phases, visit schedule with windows,
populations, endpoints -> PARAMCDs) and by the generator parameters of the plan id
(:mod:`synthetic_data.params`). Order of simulation:

1. enrolment: Phase 1 by the 3+3 rule with simulated DLTs; other phases by their size;
2. a candidate pool of subjects (latent activity z, structural latent w, sex, age) with every
   parameter at every visit drawn once; subjects are kept if their observed baseline meets the
   plan's eligibility (e.g. BASDAI >= 4);
3. strata from baseline values, permuted-block randomization within strata;
4. administrations (missed infusions, DLT withdrawals), visit days within windows;
5. treatment effect and values; rescue therapy for active disease after ``rescue_from_day``
   (values after it include the rescue effect); MAR dropout; missed visits;
6. datasets. Everything is vectorised over subjects.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sap.spec import Plan, load_plan

from . import adverse_events
from .addon import apply_conditional_regimens
from .blinding import blind
from .calibration import compute_subject_statistics, select_calibrated
from .catalog import required_parameters
from .datasets import build_adex, build_adsl, build_bds
from .enrollment import block_randomize, phase_sizes, simulate_escalation
from .params import DLT_TERMS, SynthParams, params_for
from .mri import add_tie_records
from .pool import activity_index, pool_values, select_subjects
from .subsetting import subset_subjects
from .trajectories import compute_effect_profile, draw_dropout, draw_visit_days

KNOWN_FLAGS = ("RANDFL", "SAFFL", "FASFL", "ITTFL", "PPROTFL", "DLTEVLFL")
STREAMS = ("enrol", "pool", "alloc", "admin", "visits", "events", "ae", "misc")


@dataclass
class Trial:
    """Subject-level arrays shared by the dataset builders (index = subject)."""

    plan: Plan
    params: SynthParams
    studyid: str
    start: np.datetime64
    n: int
    arm: np.ndarray            # arm id
    phase: np.ndarray          # phase id
    cohort: np.ndarray         # float, NaN outside Phase 1
    dlt: np.ndarray            # bool
    evaluable: np.ndarray      # bool (Phase 1 DLT-evaluable)
    entry_day: np.ndarray      # calendar offset (days from start) of first infusion / planned day 1
    dosed: np.ndarray          # bool
    randomized: np.ndarray     # bool
    dose: np.ndarray           # 10^6 cells/kg or NaN
    female: np.ndarray
    admin: list = field(default_factory=list)  # per subject: list of (day0, treatment, dose, unit)
    eos_ady: np.ndarray | None = None
    completed: np.ndarray | None = None
    dcsreas: np.ndarray | None = None
    dlt_ady: np.ndarray | None = None
    dlt_term: np.ndarray | None = None
    resc_ady: np.ndarray | None = None
    last_admin_ady: np.ndarray | None = None

    usubjid: np.ndarray | None = None
    subjid: np.ndarray | None = None
    siteid: np.ndarray | None = None
    rand_seed: int = 0

    def to_date_for(self, idx: np.ndarray, ady: np.ndarray) -> np.ndarray:
        """Calendar dates of study days ``ady`` of subjects ``idx`` (day 1 = first infusion; no day 0)."""
        ady = np.asarray(ady, dtype=float)
        idx = np.broadcast_to(np.asarray(idx), ady.shape)
        off = np.where(ady > 0, ady - 1, ady)
        out = np.full(ady.shape, np.datetime64("NaT"), dtype="datetime64[D]")
        ok = ~np.isnan(ady)
        out[ok] = self.start + (self.entry_day[idx[ok]] + off[ok]).astype(np.int64).astype("timedelta64[D]")
        return out

    def to_date(self, ady: np.ndarray) -> np.ndarray:
        """Dates of per-subject study days: ``ady`` is (N,) or (N, V)."""
        ady = np.asarray(ady, dtype=float)
        idx = np.arange(self.n) if ady.ndim == 1 else np.arange(self.n)[:, None] * np.ones(ady.shape, dtype=int)
        return self.to_date_for(idx, ady)


# --------------------------------------------------------------------------- enrolment
def _enrol(plan: Plan, p: SynthParams, n: int | None, rng: np.random.Generator) -> tuple[pd.DataFrame, str | None]:
    if n is None and plan.data.synthetic is not None:
        n = plan.data.synthetic.n
    if n is None:
        n = p.default_n
    sizes = phase_sizes(plan, n)
    rows = []
    day = 0
    rp2d = None
    for ph in plan.design.phases:
        if ph.kind == "dose_escalation":
            out = simulate_escalation(plan, ph, p, rng, start_day=day)
            rp2d = out.rp2d_arm
            for r in out.subjects.to_dict("records"):
                rows.append(dict(phase=ph.id, arm=r["arm_id"], cohort=float(r["cohort"]), dlt=r["dlt"],
                                 evaluable=r["evaluable"], entry=r["day"]))
            day = out.end_day + 21
            continue
        size = sizes[ph.id]
        needs_rp2d = any(plan.design.arm(a).dose is None and plan.design.arm(a).role == "experimental"
                         and any(q.kind == "dose_escalation" for q in plan.design.phases) for a in ph.arms)
        if needs_rp2d and rp2d is None:
            size = 0  # no tolerated dose: the randomized phase is not conducted
        gaps = np.ceil(rng.exponential(p.accrual_days_mean, size)).astype(int)
        entry = day + np.cumsum(gaps)
        for k in range(size):
            rows.append(dict(phase=ph.id, arm=None, cohort=np.nan, dlt=False, evaluable=False, entry=int(entry[k])))
        if size:
            day = int(entry[-1]) + 1
    return pd.DataFrame(rows, columns=["phase", "arm", "cohort", "dlt", "evaluable", "entry"]), rp2d


# --------------------------------------------------------------------------- arms and doses
def _arm_dose(plan: Plan, arm_id: str, rp2d: str | None) -> float:
    arm = plan.design.arm(arm_id)
    if arm.dose is not None:
        return float(arm.dose)
    if arm.role == "placebo":
        return 0.0
    if arm.role == "experimental" and rp2d is not None:
        return float(plan.design.arm(rp2d).dose)
    return np.nan


def _arm_effect(plan: Plan, p: SynthParams, arm_id: str, dose: float) -> float:
    if arm_id in p.arm_effects:
        return float(p.arm_effects[arm_id])
    arm = plan.design.arm(arm_id)
    if arm.role in ("placebo", "active_control"):
        return p.placebo_effect
    d = p.default_cell_dose if np.isnan(dose) else dose
    return p.placebo_effect + p.emax * d / (p.ed50 + d)


def _schedule_admin(plan: Plan, p: SynthParams, arm_id: str, dose: float, rng: np.random.Generator,
                    stop_day: float) -> list[tuple[int, str, float, str]]:
    """Administrations (day since first, treatment, dose, unit) given up to ``stop_day`` (exclusive)."""
    arm = plan.design.arm(arm_id)
    out = []
    if arm.infusion_days:
        if arm_id in p.fixed_cell_dose:
            amount, unit = p.fixed_cell_dose[arm_id]
        else:
            amount, unit = (0.0 if arm.role == "placebo" else dose), (arm.dose_unit or "10^6 cells/kg")
        trt = "Placebo" if arm.role == "placebo" else p.product_names.get(arm_id, arm.label)
        prev = -1
        for j, d in enumerate(sorted(arm.infusion_days)):
            day = d - arm.infusion_days[0]
            if j > 0:
                day = max(prev + 1, day + int(rng.integers(-1, 2)))
                if rng.random() < p.p_missed_infusion:
                    prev = day
                    continue
            if day >= stop_day:
                break
            out.append((int(day), trt, float(amount), unit))
            prev = day
    if arm_id in p.other_regimens:
        name, amount, unit, first, every, count = p.other_regimens[arm_id]
        for j in range(count):
            day = first + j * every
            if day >= stop_day:
                break
            out.append((int(day), name, float(amount), unit))
    if not out and not arm.infusion_days and arm_id not in p.other_regimens:
        raise ValueError(f"arm {arm_id}: no infusion days in the plan and no regimen in the synthetic parameters")
    return sorted(out)


# --------------------------------------------------------------------------- main
def generate(plan_id: str, seed: int, n: int | None = None, blinded: bool = False) -> dict[str, pd.DataFrame]:
    """Simulate the plan's trial; returns ``{"adsl", "adqs", "adlb", "adae", "adex"}`` (+
    ``"randomization"`` when ``blinded``: then Phase 2 TRT01P/TRT01A are ``"BLINDED"``).

    A plan with a calibration target (``SynthParams.calibration_target``, e.g. wang2013) is simulated
    as a pool of ``calibration_pool_factor * n`` candidates from which :func:`calibrate` keeps ``n``."""
    plan = load_plan(plan_id)
    p = params_for(plan.id)
    if p.calibration_target is None:
        out, _ = _simulate(plan, p, seed, n)
    else:
        out, _ = calibrate(plan, p, seed, n)
    out = add_tie_records(plan, out, seed)  # MRI TIE of the chosen subjects (own stream; nothing else changes)
    if blinded:
        out = blind(plan, out)
    return out


def calibrate(plan: Plan, p: SynthParams, seed: int, n: int | None = None):
    """``(datasets, selection)``: ``n`` subjects chosen from a simulated pool so that the package's summary
    matches ``p.calibration_target`` (:mod:`synthetic_data.calibration`; single-arm plans only)."""

    if len(plan.design.phases) != 1 or plan.design.phases[0].kind != "single_arm":
        raise ValueError(f"plan {plan.id}: calibration by subject selection needs a single-arm, single-phase design")
    if n is None:
        n = plan.data.synthetic.n if plan.data.synthetic is not None and plan.data.synthetic.n else p.default_n
    if n is None:
        raise ValueError(f"plan {plan.id}: no number of subjects (pass n or set data.synthetic.n)")
    pool, entry = _simulate(plan, p, seed, int(n) * p.calibration_pool_factor)
    selection = select_calibrated(compute_subject_statistics(plan, pool), int(n), p.calibration_target)
    return subset_subjects(pool, selection.index, entry), selection


def _simulate(plan: Plan, p: SynthParams, seed: int, n: int | None) -> tuple[dict[str, pd.DataFrame], np.ndarray]:
    """Datasets of one simulated trial and each subject's enrolment date (ADSL order)."""
    streams = dict(zip(STREAMS, (np.random.default_rng(s) for s in np.random.SeedSequence(int(seed)).spawn(len(STREAMS)))))
    need = required_parameters(plan)
    params = list(need)
    visits = list(plan.schedule.visits)
    v = len(visits)
    if visits[0].avisitn != 0:
        raise ValueError(f"plan {plan.id}: the first visit of the schedule must be the baseline (AVISITN 0)")

    enr, rp2d = _enrol(plan, p, n, streams["enrol"])
    nsub = len(enr)
    pool = select_subjects(p, params, nsub, v, streams["pool"])
    base = {k: x[:, 0] for k, x in pool_values(pool, params, np.zeros((nsub, v)), p).items()}

    # strata and randomization
    rng = streams["alloc"]
    strata_values = {}
    for st in plan.design.strata:
        if st.variable in p.strata_rules:
            code, cut = p.strata_rules[st.variable]
            strata_values[st.variable] = np.where(base[code] < cut, st.levels[0], st.levels[1])
        else:
            strata_values[st.variable] = np.asarray(st.levels, dtype=object)[rng.integers(0, len(st.levels), nsub)]
    arm = enr["arm"].to_numpy(dtype=object).copy()
    randomized = np.zeros(nsub, dtype=bool)
    for ph in plan.design.phases:
        if ph.kind == "dose_escalation":
            continue
        idx = np.flatnonzero(enr["phase"].to_numpy() == ph.id)
        if not len(idx):
            continue
        if len(ph.arms) == 1:
            arm[idx] = ph.arms[0]
            continue
        ratio = getattr(ph.randomization or ph.allocation, "ratio", None) or (1,) * len(ph.arms)
        block = ph.randomization.block_size if ph.randomization else None
        svars = ph.randomization.strata if ph.randomization else ()
        key = np.array(["|".join(str(strata_values[s][i]) for s in svars) for i in idx], dtype=object)
        arm[idx] = block_randomize(key, ph.arms, ratio, block, rng)
        randomized[idx] = ph.kind == "randomized"

    dose = np.array([_arm_dose(plan, a, rp2d) for a in arm])
    effect = np.array([_arm_effect(plan, p, a, d) for a, d in zip(arm, dose)])
    phase = enr["phase"].to_numpy(dtype=object)
    is_p1 = np.array([plan.design.phase(ph).kind == "dose_escalation" for ph in phase])
    dlt = enr["dlt"].to_numpy(dtype=bool)
    evaluable = enr["evaluable"].to_numpy(dtype=bool)
    dosed = is_p1 | ~(streams["misc"].random(nsub) < p.p_not_dosed)

    trial = Trial(plan, p, p.studyid, np.datetime64(p.start_date), nsub, arm, phase,
                  enr["cohort"].to_numpy(dtype=float), dlt, evaluable, enr["entry"].to_numpy(dtype=np.int64),
                  dosed, randomized, dose, pool.female)

    # ---- Phase 1 DLT timing and early withdrawals, administrations
    rng = streams["admin"]
    window = next((ph.escalation.dlt_window_days for ph in plan.design.phases if ph.escalation), 28)
    dlt_term = np.full(nsub, -1)
    dlt_ady = np.full(nsub, np.nan)
    stop_day = np.full(nsub, np.inf)  # day (0-based) from which no administration is given
    early_ady = np.full(nsub, np.nan)  # Phase 1 withdrawal before the end of the DLT window
    for i in np.flatnonzero(dlt):
        k = int(rng.integers(len(DLT_TERMS)))
        dlt_term[i] = k
        arm_days = [d - plan.design.arm(arm[i]).infusion_days[0] for d in plan.design.arm(arm[i]).infusion_days
                    if d - plan.design.arm(arm[i]).infusion_days[0] < window - 1]
        if DLT_TERMS[k].timing == "infusion" and arm_days:
            d0 = int(rng.choice(arm_days))
        else:
            d0 = int(rng.integers(6, window - 1))
        dlt_ady[i] = d0 + 1 + (1 if DLT_TERMS[k].timing != "infusion" else 0)
        stop_day[i] = dlt_ady[i]  # later administrations are withheld
    for i in np.flatnonzero(is_p1 & ~evaluable):
        early_ady[i] = int(rng.integers(3, window - 1))
    admin = []
    for i in range(nsub):
        if not dosed[i]:
            admin.append([])
            continue
        stop = min(stop_day[i], early_ady[i] - 1 if not np.isnan(early_ady[i]) else np.inf)
        admin.append(_schedule_admin(plan, p, arm[i], dose[i], rng, stop))
    kmax = max((len(a) for a in admin), default=0)
    admin_days = np.full((nsub, max(kmax, 1)), np.nan)
    for i, a in enumerate(admin):
        if a:
            admin_days[i, :len(a)] = sorted({x[0] for x in a}) + [np.nan] * (len(a) - len({x[0] for x in a}))
    trial.admin = admin

    # ---- visit days, effect, values
    rng = streams["visits"]
    ady = draw_visit_days(rng, [(vv.target_day, vv.window[0], vv.window[1]) for vv in visits], nsub,
                          p.day_sd_fraction)
    t = np.where(ady >= 1, ady - 1, -1).astype(float)
    g = compute_effect_profile(t, admin_days, p.tau_on_days, p.plateau_days, pool.tau)
    rise = np.where(t >= 0, 1 - np.exp(-(t + 1) / p.tau_on_days), 0.0)
    f = np.minimum(p.f_max, effect[:, None] * pool.u[:, None] * g + pool.pers[:, None] * rise)
    f[~dosed] = 0.0
    f[:, 0] = 0.0  # the baseline assessment is taken before the first infusion
    values = pool_values(pool, params, f, p)
    f = apply_conditional_regimens(p, visits, values, ady, f, arm, dosed, admin)  # e.g. DMARDs if not alleviated
    values = pool_values(pool, params, f, p) if p.conditional_regimens else values
    act = activity_index(values)

    # rescue: first visit on/after rescue_from_day with activity >= 5, with probability p_rescue
    rng = streams["events"]
    late = np.array([vv.target_day >= p.rescue_from_day for vv in visits])
    cand = (act >= 5.0) & late[None, :] & dosed[:, None]
    first = np.where(cand.any(axis=1), cand.argmax(axis=1), -1)
    take = (first >= 0) & (rng.random(nsub) < p.p_rescue)
    resc_ady = np.full(nsub, np.nan)
    rows = np.flatnonzero(take)
    resc_ady[rows] = ady[rows, first[rows]] + rng.integers(1, 8, len(rows))
    after = ady > resc_ady[:, None]
    if after.any():
        f = np.where(after, 1 - (1 - f) * (1 - p.rescue_effect), f)
        values = pool_values(pool, params, f, p)
        act = activity_index(values)

    # dropout (MAR), Phase 1 early withdrawals, never-dosed subjects
    at_risk = dosed & ~(is_p1 & ~evaluable)
    x = act[:, :-1] - act[:, :1]
    # Phase 1 DLT-evaluable subjects complete the DLT window (else they would not be evaluable)
    allowed = ~(is_p1 & evaluable)[:, None] | (ady[:, :-1] >= window)
    drop_after = draw_dropout(rng, x, p.dropout_activity_beta, p.dropout_fraction, at_risk, allowed)
    last_idx = np.full(nsub, v - 1)
    eos_ady = ady[:, -1].astype(float).copy()
    reason = np.full(nsub, "", dtype=object)
    dropped = drop_after >= 0
    for i in np.flatnonzero(dropped):
        k = drop_after[i]
        # a dosed subject leaves after the first infusion (study day 1) at the earliest
        lo, hi = max(ady[i, k] + 1, 2), ady[i, k + 1] - 1
        eos_ady[i] = int(rng.integers(lo, hi + 1)) if hi >= lo else lo
        last_idx[i] = k
        r = rng.random()
        if act[i, k] >= 5.0 and r < 0.5:
            reason[i] = "LACK OF EFFICACY"
        else:
            reason[i] = ("WITHDRAWAL BY SUBJECT", "LOST TO FOLLOW-UP", "ADVERSE EVENT")[int(rng.integers(3))]
    for i in np.flatnonzero(~np.isnan(early_ady)):
        eos_ady[i] = early_ady[i]
        last_idx[i] = int(np.searchsorted(ady[i], early_ady[i], side="right") - 1)
        reason[i] = "WITHDRAWAL BY SUBJECT"
        dropped[i] = True
    for i in np.flatnonzero(~dosed):
        eos_ady[i] = np.nan
        last_idx[i] = 0
        reason[i] = "WITHDRAWAL BY SUBJECT"
        dropped[i] = True
    # administrations after the end of study are not given
    for i in np.flatnonzero(dropped & dosed):
        admin[i] = [a for a in admin[i] if a[0] + 1 < eos_ady[i]]
    resc_ady = np.where(resc_ady < eos_ady, resc_ady, np.nan)
    missed = rng.random((nsub, v)) < p.p_missed_visit
    missed[:, 0] = False
    missed[~dropped, -1] = False  # completers attend the end-of-study visit
    observed = (np.arange(v)[None, :] <= last_idx[:, None]) & ~missed
    observed[~dosed, 1:] = False

    site_rng = streams["misc"]
    trial.siteid = np.asarray(p.sites, dtype=object)[site_rng.integers(0, len(p.sites), nsub)]
    trial.subjid = np.array([f"{k + 1:04d}" for k in range(nsub)], dtype=object)
    trial.usubjid = np.array([f"{p.studyid}-{s}-{q}" for s, q in zip(trial.siteid, trial.subjid)], dtype=object)
    trial.rand_seed = int(site_rng.integers(0, 2**31 - 1))
    trial.eos_ady = eos_ady
    trial.completed = ~dropped
    trial.dcsreas = reason
    trial.dlt_ady = dlt_ady
    trial.dlt_term = dlt_term
    trial.resc_ady = resc_ady
    trial.last_admin_ady = np.array([a[-1][0] + 1 if a else np.nan for a in admin], dtype=float)

    # ---- datasets
    undosed_day = np.where(dosed, ady[:, 0], np.nan)  # never-dosed: baseline has a date but no ADY
    adqs, adlb = build_bds(trial, visits, need, values, ady, undosed_day, observed)
    adex = build_adex(trial)
    adae = adverse_events.build_adae(trial, streams["ae"], window)
    deviation = streams["misc"].random(nsub) < p.p_major_deviation
    adsl = build_adsl(trial, pool, strata_values, rp2d, deviation, ady)
    out = {"adsl": adsl, "adqs": adqs, "adlb": adlb, "adae": adae, "adex": adex}
    return out, trial.start + trial.entry_day.astype("timedelta64[D]")
