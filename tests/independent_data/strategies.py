"""Hypothesis strategies for contract-conformant cg-bm1 data sets, written from DESIGN.md (not from synthetic_data).

:func:`trial_data` draws a :class:`Variation` (each switch independent: case and white space of codes, missing
optional datasets and columns, single-arm data, tiny arms, all-censored episodes, separated responses, a
zero-variance visit, visits off window, subjects without post-baseline data, several intercurrent events per
subject, repeated assessments, ITTFL for FASFL) and, optionally, one deliberate contract breach whose dataset
and column the run's ``error:`` line must name. The datasets are small (1 to about 40 subjects), so that one
example runs in about a second in-process.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
from hypothesis import strategies as st

from independent_data.design import (DISCONTINUATION_REASONS, OPTIONAL_ADSL, PATTERNS, PlanFacts, Subject,
                                     plan_facts, three_plus_three)
from independent_data.frames import (LB_ITEMS, QS_GROUPS, adae_frame, adex_frame, adsl_frame, bds_frames,
                                     locf_records, sponsor_scores)
from independent_data.messy import BREACHES, apply_breach, mess_codes
from independent_data.quirks import QUIRKS, apply_quirks

MAX_SUBJECTS = 40


@dataclass(frozen=True)
class Variation:
    """Every switch of one example (hypothesis shrinks towards the plain data set)."""

    phase1: str = "rule"                 # none | rule (the 3+3 rule followed) | free (any dose levels and sizes)
    phase1_arms: tuple[str, ...] = ()    # free mode: dose levels present
    phase1_sizes: tuple[int, ...] = ()
    max_cohorts: int = 3
    partial_cohort: bool = False
    dlt_prob: tuple[float, ...] = (0.1, 0.2, 0.3)
    phase2_arms: tuple[str, ...] = ("CGBM1", "PBO")
    phase2_sizes: tuple[int, ...] = (4, 4)
    responses: str = "mixed"             # mixed | separated | none | sustained
    zero_variance_visit: Optional[float] = None
    off_window: bool = False
    day_source: str = "ady"              # ady | adt | both | partial
    lab_ranges: bool = True
    qs_groups: tuple[str, ...] = tuple(QS_GROUPS)
    lb_params: tuple[str, ...] = tuple(LB_ITEMS)
    drop_adsl: tuple[str, ...] = ()
    drop_adex: bool = False
    empty_adae: bool = False
    messy_codes: bool = False
    use_ittfl: bool = False
    ice_rate: float = 0.0
    no_post_rate: float = 0.0
    attend_prob: float = 1.0
    missing_items: float = 0.0
    screen_failures: int = 0
    untreated: int = 0
    repeat_records: str = "none"         # none | other_day | same_day
    sponsor_scores: str = "none"         # none | exact | off: the sponsor's BASDAI beside the items
    locf: bool = False                   # DTYPE = LOCF records for missed visits
    quirks: tuple[str, ...] = ()         # names of quirks.QUIRKS (DATE9 dates, sponsor BASE/CHG, ...)
    ae_missing: str = "none"             # none | fields (some AETOXGR, AEREL, AEBODSYS) | dates (and ASTDT/ASTDY)
    breach: Optional[str] = None

    def switches(self) -> list[str]:
        """Names of the variations that are on (hypothesis ``event`` labels)."""
        on = [f"phase1={self.phase1}", f"responses={self.responses}", f"days={self.day_source}"]
        flags = dict(zero_variance=self.zero_variance_visit is not None, off_window=self.off_window,
                     no_lab_ranges=not self.lab_ranges, dropped_adsl_columns=bool(self.drop_adsl),
                     no_adex=self.drop_adex, empty_adae=self.empty_adae, messy_codes=self.messy_codes,
                     ittfl=self.use_ittfl, intercurrent_events=self.ice_rate > 0,
                     no_post_baseline=self.no_post_rate > 0, missed_visits=self.attend_prob < 1,
                     missing_items=self.missing_items > 0, screen_failures=self.screen_failures > 0,
                     untreated=self.untreated > 0)
        on += [k for k, v in flags.items() if v]
        on += [f"repeat={self.repeat_records}"] * (self.repeat_records != "none")
        on += [f"ae_missing={self.ae_missing}"] * (self.ae_missing != "none")
        on += [f"sponsor_scores={self.sponsor_scores}"] * (self.sponsor_scores != "none")
        on += ["locf"] * self.locf
        on += [f"quirk={q}" for q in self.quirks]
        on += [f"breach={self.breach}"] * (self.breach is not None)
        return on


@dataclass
class TrialData:
    datasets: dict[str, pd.DataFrame]
    variation: Variation
    subjects: list[Subject]
    #: (dataset, column) the error line must name (a deliberate breach), else None
    expected_error: Optional[tuple[str, str]] = None
    #: the NumPy seed of the values (with ``variation``, :func:`rebuild` makes the same data again)
    seed: int = 0

    def labels(self) -> list[str]:
        """The variation's switches and what the subjects turned out to be (hypothesis ``event`` labels)."""
        arms = Counter(s.arm.id for s in self.subjects if s.arm is not None)
        on = self.variation.switches()
        on += ["single arm"] * (len(arms) == 1) + ["tiny arm (1-2 subjects)"] * any(n <= 2 for n in arms.values())
        on += ["all-censored duration (every responder sustained)"] * (self.variation.responses == "sustained")
        on += ["no responder"] * (self.variation.responses == "none")
        on += ["several intercurrent events in one subject"] * any(
            sum(d is not None for d in (s.rescue_day, s.discontinued_day, s.death_day)) > 1 for s in self.subjects)
        return on

    def __repr__(self) -> str:   # what hypothesis prints for a failing example: enough to rebuild it
        sizes = ", ".join(f"{k} {len(v)}" for k, v in self.datasets.items())
        return f"rebuild({self.variation!r}, seed={self.seed})  # {sizes}; expected error {self.expected_error}"

    def write(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        for name, frame in self.datasets.items():
            frame.to_csv(folder / f"{name}.csv", index=False)
        return folder


def rebuild(variation: Variation, seed: int) -> TrialData:
    """The data set of ``variation`` and ``seed`` (what a failing example printed), without hypothesis."""
    facts = plan_facts()
    rng = np.random.default_rng(seed)
    subjects = build_subjects(rng, facts, variation)
    datasets = assemble(rng, facts, variation, subjects)
    expected = None
    if variation.breach is not None:
        datasets, expected = apply_breach(rng, datasets, variation.breach, facts)
    datasets = apply_quirks(rng, datasets, variation.quirks, facts, last=True)
    return TrialData(datasets=datasets, variation=variation, subjects=subjects, expected_error=expected, seed=seed)


def _subset(elements, min_size=0):
    return st.lists(st.sampled_from(elements), unique=True, min_size=min_size, max_size=len(elements)).map(
        lambda xs: tuple(e for e in elements if e in xs))


#: ADSL columns this plan's analyses can do without (tame examples drop only these)
TAME_DROPS = ("HLAB27", "DCSREAS", "RANDFL", "DOSE", "EOSDT", "DTHFL", "DTHDT", "RESCDT", "EOSSTT")


@st.composite
def variations(draw, *, breaches: bool = True) -> Variation:
    """Half the examples are tame: they vary what a complete run must absorb (code spellings, ITTFL, the source of
    the study day, off-window days, lab ranges, no ADEX, a zero-variance visit, response patterns, a few
    intercurrent events, screen failures and untreated subjects, missing AE fields, a repeat on another day, a 3+3
    cohort in progress, optional ADSL columns the plan can do without), so most of them run to the end with
    complete accounting. Wild examples also draw what stops this plan by design (a single or no Phase 2 arm, tiny
    arms, Phase 1 off the 3+3 rule, instruments or labs not collected, no post-baseline data, heavy drop-out, an
    item recorded twice on one day, ADSL columns the design needs) and, in some, one contract breach."""
    facts = plan_facts()
    wild = draw(st.booleans())

    def pick(tame, strategy):
        return draw(strategy) if wild else tame

    def pick_tame(strategy_tame, strategy_wild):
        return draw(strategy_wild if wild else strategy_tame)
    p2 = tuple(a.id for a in facts.arms if a.phase_id != "P1")
    phase1 = pick("rule", st.sampled_from(("rule", "free", "none")))
    p1_arms = draw(_subset(facts.dose_levels, 1)) if phase1 == "free" else ()
    p2_arms = pick(p2, _subset(p2, 0 if phase1 != "none" else 1))
    size = st.sampled_from((6, 4, 8, 5)) if not wild else st.sampled_from((6, 4, 8, 5, 3, 2, 1))
    return Variation(
        phase1=phase1, phase1_arms=p1_arms,
        phase1_sizes=tuple(draw(st.sampled_from((3, 1, 2, 4, 6))) for _ in p1_arms),
        max_cohorts=draw(st.integers(1, 6)), partial_cohort=draw(st.booleans()),
        dlt_prob=tuple(draw(st.sampled_from((0.0, 0.1, 0.34, 0.6))) for _ in facts.dose_levels),
        phase2_arms=p2_arms, phase2_sizes=tuple(draw(size) for _ in p2_arms),
        responses=draw(st.sampled_from(("mixed", "separated", "none", "sustained"))),
        zero_variance_visit=draw(st.none() | st.sampled_from([w.avisitn for w in facts.visits
                                                              if wild or w.avisitn > 0])),
        off_window=draw(st.booleans()), day_source=draw(st.sampled_from(("ady", "adt", "both", "partial"))),
        lab_ranges=draw(st.booleans()),
        qs_groups=pick(tuple(QS_GROUPS), _subset(tuple(QS_GROUPS), 1)),
        lb_params=pick(tuple(LB_ITEMS), _subset(tuple(LB_ITEMS), 1)),
        drop_adsl=pick_tame(st.lists(st.sampled_from(TAME_DROPS), max_size=3, unique=True).map(tuple),
                            st.lists(st.sampled_from(OPTIONAL_ADSL), max_size=3, unique=True).map(tuple)),
        drop_adex=draw(st.booleans()), empty_adae=draw(st.booleans()), messy_codes=draw(st.booleans()),
        use_ittfl=draw(st.booleans()),
        ice_rate=pick_tame(st.sampled_from((0.0, 0.2)), st.sampled_from((0.0, 0.2, 0.5, 1.0))),
        no_post_rate=pick_tame(st.sampled_from((0.0, 0.1)), st.sampled_from((0.0, 0.2, 1.0))),
        attend_prob=pick_tame(st.sampled_from((1.0, 0.9)), st.sampled_from((1.0, 0.8, 0.5))),
        missing_items=pick_tame(st.sampled_from((0.0, 0.02)), st.sampled_from((0.0, 0.05, 0.2))),
        screen_failures=draw(st.integers(0, 2)), untreated=draw(st.integers(0, 2)),
        repeat_records=pick_tame(st.sampled_from(("none", "other_day")),
                                 st.sampled_from(("none", "other_day", "same_day"))),
        ae_missing=pick_tame(st.sampled_from(("none", "fields")), st.sampled_from(("none", "fields", "dates"))),
        sponsor_scores=draw(st.sampled_from(("none", "exact", "off"))), locf=draw(st.booleans()),
        quirks=draw(st.lists(st.sampled_from(sorted(QUIRKS)), unique=True, max_size=4).map(tuple)),
        breach=pick(None, st.none() | st.sampled_from(sorted(BREACHES))) if breaches else None)


def _ice(rng, s: Subject, rate: float, last_day: int, sustained: bool) -> None:
    """Rescue, discontinuation and death (alone or together, possibly on one day) for subject ``s``."""
    if rng.random() >= rate or (sustained and s.pattern == "responder") or not s.treated:
        return
    kinds = [("rescue",), ("disc",), ("death",), ("rescue", "disc"), ("rescue", "disc", "death"), ("disc", "death")]
    chosen = kinds[int(rng.integers(len(kinds)))]
    first = int(rng.integers(max(2, s.extra.get("min_day", 2)), last_day))
    same_day = rng.random() < 0.3
    if "rescue" in chosen:
        s.rescue_day = first
    if "disc" in chosen:
        s.discontinued_day = first if same_day or "rescue" not in chosen else int(rng.integers(first, last_day + 1))
        s.discontinued_reason = DISCONTINUATION_REASONS[int(rng.integers(len(DISCONTINUATION_REASONS)))]
        s.completed = False
    if "death" in chosen:
        s.death_day = s.discontinued_day or first
        s.discontinued_day, s.discontinued_reason, s.completed = s.death_day, "DEATH", False


def _subject(rng, facts: PlanFacts, v: Variation, i: int, arm_id: Optional[str], *, start: int,
             cohort=None, dlt=False, treated=True) -> Subject:
    arm = facts.arm(arm_id) if arm_id else None
    if v.responses == "separated":
        pattern = "nonresponder" if arm_id == "PBO" else "responder"
    elif v.responses == "none":
        pattern = "nonresponder" if rng.random() < 0.7 else "worsening"
    elif v.responses == "sustained":
        pattern = "responder" if rng.random() < 0.7 else "nonresponder"
    else:
        pattern = PATTERNS[int(rng.integers(len(PATTERNS)))]
    s = Subject(usubjid=f"CGBM1-{(arm.phase_id if arm else 'SF')}-{i + 1:03d}", arm=arm,
                phase_value=arm.phase_value if arm else None, start=start, age=int(rng.integers(18, 66)),
                sex="M" if rng.random() < 0.75 else "F", infusions=4 if treated and arm else 0, fas=False, pp=False,
                dlt_evaluable=(arm.phase_id == "P1") if arm else None, cohort=cohort, dlt=dlt, pattern=pattern,
                noise=0.0 if v.responses == "separated" else float(rng.uniform(0.2, 1.0)), visits_attended=(),
                has_baseline=True, hlab27=(None, "POSITIVE", "NEGATIVE")[int(rng.integers(3))])
    s.extra["min_day"] = facts.dlt_window + 1 if cohort is not None and v.phase1 == "rule" else 2
    last = max(w.target for w in facts.visits)
    if arm is not None:
        _ice(rng, s, v.ice_rate, last, v.responses == "sustained")
    end = min(d for d in (s.discontinued_day, s.death_day, 10 ** 6) if d is not None)
    if s.infusions:
        s.infusions = max(1, sum(d < end for d in facts.infusion_days))
    no_post = rng.random() < v.no_post_rate and not (v.responses == "sustained" and pattern == "responder")
    attend = 1.0 if v.responses == "sustained" and pattern == "responder" else v.attend_prob
    s.visits_attended = () if no_post else tuple(
        w.avisitn for w in facts.post_baseline if w.target < end and rng.random() < attend)
    s.fas = s.treated and s.has_baseline
    s.pp = s.fas and s.infusions == len(facts.infusion_days) and rng.random() < 0.8
    if s.dlt_evaluable is not None and v.phase1 == "free":
        s.dlt_evaluable = bool(rng.random() < 0.8)
    return s


def _phase1(rng, facts: PlanFacts, v: Variation) -> list[tuple[str, int, bool]]:
    """(dose level arm id, cohort number, DLT) of each Phase 1 subject, in order of first infusion."""
    if v.phase1 == "none":
        return []
    if v.phase1 == "free":
        out, cohort = [], 1
        for arm, n in zip(v.phase1_arms, v.phase1_sizes):
            for j in range(n):
                out.append((arm, cohort + j // 3, bool(rng.random() < v.dlt_prob[facts.dose_levels.index(arm)])))
            cohort += (n + 2) // 3
        return out
    probs = (0.0,) * len(v.dlt_prob) if v.empty_adae else v.dlt_prob   # no ADAE: no DLT either
    cohorts = three_plus_three(lambda level: rng.random(3) < probs[level], len(facts.dose_levels), v.max_cohorts)
    out = []
    for c, (level, flags) in enumerate(cohorts):
        k = 3 - int(rng.integers(1, 3)) if v.partial_cohort and c == len(cohorts) - 1 else 3
        out += [(facts.dose_levels[level], c + 1, flags[j]) for j in range(k)]
    return out


def build_subjects(rng, facts: PlanFacts, v: Variation) -> list[Subject]:
    subjects: list[Subject] = []
    for k, (arm, cohort, dlt) in enumerate(_phase1(rng, facts, v)):
        subjects.append(_subject(rng, facts, v, len(subjects), arm, start=40 * (cohort - 1) + k % 3,
                                 cohort=cohort, dlt=dlt))
    for arm, n in zip(v.phase2_arms, v.phase2_sizes):
        for _ in range(n):
            subjects.append(_subject(rng, facts, v, len(subjects), arm, start=300 + int(rng.integers(0, 120))))
    p2 = list(v.phase2_arms) or [a.id for a in facts.arms if a.phase_id != "P1"]
    for _ in range(v.untreated):
        subjects.append(_subject(rng, facts, v, len(subjects), p2[int(rng.integers(len(p2)))],
                                 start=300 + int(rng.integers(0, 120)), treated=False))
    for _ in range(v.screen_failures):
        subjects.append(_subject(rng, facts, v, len(subjects), None, start=290, treated=False))
    return subjects[:MAX_SUBJECTS]


def _day_columns(frame: pd.DataFrame, rng, source: str) -> pd.DataFrame:
    """ADY and ADT as the variation says; an off-window record with a study day is an unscheduled visit
    (AVISITN missing: the contract refuses a scheduled visit outside its window)."""
    out = frame.copy()
    if source == "partial":
        out.loc[rng.random(len(out)) < 0.3, "ADY"] = np.nan
    if source == "adt":
        out = out.drop(columns=["ADY"])
    else:
        unscheduled = out["OFFWIN"].astype(bool) & out["ADY"].notna()
        if unscheduled.any():   # not an analysis record: ANL01FL blank (ADaM), so its key may be incomplete
            out["ANL01FL"] = np.where(unscheduled, None, "Y") if "ANL01FL" not in out.columns else \
                out["ANL01FL"].where(~unscheduled, None)
        out.loc[unscheduled, "AVISITN"] = np.nan
        out.loc[unscheduled, "AVISIT"] = "Unscheduled"
        if source == "ady":
            out = out.drop(columns=["ADT"])
    return out.drop(columns=["OFFWIN"])


def _repeat(frame: pd.DataFrame, rng, how: str, facts: PlanFacts) -> pd.DataFrame:
    """Repeated assessments in one visit window (ANL01FL = Y on the first, missing on the repeat)."""
    if how == "none" or frame.empty:
        return frame
    pick = frame[(frame["AVISITN"] > 0) & ~frame["OFFWIN"].astype(bool)]
    pick = pick[pick["USUBJID"] == pick["USUBJID"].iloc[0]] if len(pick) else pick
    if pick.empty:
        return frame
    windows = {w.avisitn: w for w in facts.visits}
    rep = pick[pick["AVISITN"] == pick["AVISITN"].iloc[0]].copy()
    w = windows[rep["AVISITN"].iloc[0]]
    if how == "other_day":
        new_day = [w.lo if d != w.lo else w.hi for d in rep["ADY"]]
        rep["ADT"] = [None if a is None else a + dt.timedelta(days=int(n - d))
                      for a, n, d in zip(rep["ADT"], new_day, rep["ADY"])]
        rep["ADY"] = new_day
    flag = frame["ANL01FL"] if "ANL01FL" in frame.columns else pd.Series("Y", index=frame.index)
    return pd.concat([frame.assign(ANL01FL=flag), rep.assign(ANL01FL=None)], ignore_index=True)


def assemble(rng, facts: PlanFacts, v: Variation, subjects: list[Subject]) -> dict[str, pd.DataFrame]:
    adqs, adlb = bds_frames(rng, facts, subjects, qs_groups=v.qs_groups, lb_params=v.lb_params,
                            off_window=v.off_window, zero_variance_visit=v.zero_variance_visit,
                            missing_items=v.missing_items)
    base_crp = adlb[(adlb["PARAMCD"] == "CRP") & (adlb["AVISITN"] == 0)].set_index("USUBJID")["AVAL"].to_dict()
    for s in subjects:
        base_crp.setdefault(s.usubjid, float(rng.uniform(1, 30)))
    adqs = _repeat(sponsor_scores(adqs, rng, v.sponsor_scores), rng, v.repeat_records, facts)
    if v.locf:
        adqs = locf_records(adqs, facts)
    datasets = {"adsl": adsl_frame(facts, subjects, crp_baseline=base_crp),
                "adqs": _day_columns(adqs, rng, v.day_source), "adlb": _day_columns(adlb, rng, v.day_source),
                "adae": adae_frame(rng, facts, subjects, rate=1.0), "adex": adex_frame(facts, subjects)}
    if not v.lab_ranges:
        datasets["adlb"] = datasets["adlb"].drop(columns=["ANRLO", "ANRHI"])
    if v.ae_missing != "none" and len(datasets["adae"]):
        adae = datasets["adae"].astype({c: object for c in ("AETOXGR", "AEREL", "AEBODSYS", "ASTDT")})
        for column in ("AETOXGR", "AEREL", "AEBODSYS"):
            adae.loc[rng.random(len(adae)) < 0.3, column] = None
        no_date = rng.random(len(adae)) < (0.1 if v.ae_missing == "dates" else 0.0)
        adae.loc[no_date, "ASTDT"], adae.loc[no_date, "ASTDY"] = None, np.nan
        datasets["adae"] = adae
    if v.empty_adae:
        datasets["adae"] = datasets["adae"].iloc[0:0]
    if v.drop_adex:
        del datasets["adex"]
    datasets["adsl"] = datasets["adsl"].drop(columns=list(v.drop_adsl))
    if v.use_ittfl:
        datasets["adsl"] = datasets["adsl"].rename(columns={"FASFL": "ITTFL"})
    if v.messy_codes:
        datasets = mess_codes(rng, datasets, facts)
    return apply_quirks(rng, datasets, v.quirks, facts)


@st.composite
def trial_data(draw, variation: Optional[st.SearchStrategy] = None) -> TrialData:
    """A cg-bm1 data set (see the module docstring); ``variation`` overrides the variation strategy."""
    v = draw(variation if variation is not None else variations())
    data = rebuild(v, draw(st.integers(0, 2 ** 32 - 1)))
    if v.breach is not None and data.expected_error is None:
        data.variation = replace(v, breach=None)   # nothing to break in these data (e.g. an empty ADAE)
    return data
