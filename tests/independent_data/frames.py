"""Write the five datasets of DESIGN.md's data contract (ADSL, ADQS, ADLB, ADAE, ADEX) from :class:`Subject`\\ s.

Column names, kinds and units are DESIGN.md's: BASDAI1-6, BASFI1-10, PTGA, PHGA on 0-10; TBPAIN/NBPAIN 0-100 mm;
BASMI components in cm (rotation in degrees); SJC44/TJC44 whole joints; CRP mg/L, ESR mm/h; CTCAE grade 1-5.
The values are simple functions of a response pattern plus noise from a NumPy generator seeded by hypothesis, so
that an example is drawn in milliseconds; hypothesis draws the structure (who, which visits, which variation).
"""
from __future__ import annotations

import datetime as dt
from typing import Optional

import numpy as np
import pandas as pd

from independent_data.design import DOSE_UNIT, PlanFacts, Subject

STUDY_START = dt.date(2025, 3, 3)
ADSL_COLUMNS = ("STUDYID", "USUBJID", "AGE", "SEX", "TRT01P", "TRT01PN", "TRT01A", "SAFFL", "FASFL", "PHASE",
                "COHORT", "DOSE", "DLTEVLFL", "RANDFL", "PPROTFL", "STRAT1", "TRTSDT", "TRTEDT", "EOSSTT", "DCSREAS",
                "RESCDT", "HLAB27", "EOSDT", "DTHFL", "DTHDT")
AE_COLUMNS = ("USUBJID", "AEDECOD", "AEBODSYS", "ASTDT", "ASTDY", "AESER", "AETOXGR", "AEREL", "TRTEMFL", "DLTFL",
              "AETERM")
#: PARAMCD -> (baseline low, baseline high, scale low, scale high, step, direction: +1 higher is worse)
QS_ITEMS = {
    **{f"BASDAI{i}": (4.0, 9.0, 0.0, 10.0, 0.1, 1) for i in range(1, 7)},
    **{f"BASFI{i}": (3.0, 8.5, 0.0, 10.0, 0.1, 1) for i in range(1, 11)},
    "PTGA": (4.0, 9.0, 0.0, 10.0, 0.1, 1), "PHGA": (3.0, 8.0, 0.0, 10.0, 0.1, 1),
    "TBPAIN": (40.0, 95.0, 0.0, 100.0, 1.0, 1), "NBPAIN": (35.0, 90.0, 0.0, 100.0, 1.0, 1),
    "TRAGUSL": (11.0, 22.0, 0.0, None, 0.5, 1), "TRAGUSR": (11.0, 22.0, 0.0, None, 0.5, 1),
    "LATFLXL": (4.0, 14.0, 0.0, None, 0.5, -1), "LATFLXR": (4.0, 14.0, 0.0, None, 0.5, -1),
    "SCHOBER": (1.5, 5.0, 0.0, None, 0.1, -1), "IMD": (70.0, 115.0, 0.0, None, 1.0, -1),
    "CERVROTL": (35.0, 80.0, 0.0, 180.0, 1.0, -1), "CERVROTR": (35.0, 80.0, 0.0, 180.0, 1.0, -1),
    "SJC44": (0.0, 6.0, 0.0, 44.0, 1.0, 1), "TJC44": (0.0, 12.0, 0.0, 44.0, 1.0, 1),
}
QS_GROUPS = {"BASDAI": [f"BASDAI{i}" for i in range(1, 7)], "BASFI": [f"BASFI{i}" for i in range(1, 11)],
             "GLOBAL": ["PTGA", "PHGA"], "PAIN": ["TBPAIN", "NBPAIN"],
             "MOBILITY": ["TRAGUSL", "TRAGUSR", "LATFLXL", "LATFLXR", "SCHOBER", "IMD", "CERVROTL", "CERVROTR"],
             "JOINTS": ["SJC44", "TJC44"]}
#: ADLB PARAMCD -> (baseline low, high, step, follows disease activity, normal range low, high or None)
LB_ITEMS = {
    "CRP": (0.5, 45.0, 0.1, True, None), "ESR": (3.0, 70.0, 1.0, True, None),
    "TNFA": (4.0, 30.0, 0.1, True, None), "BMP2": (80.0, 600.0, 1.0, False, None),
    "CD4": (25.0, 55.0, 0.1, False, None), "CD8": (15.0, 35.0, 0.1, False, None),
    "TREG": (3.0, 9.0, 0.1, False, None), "TH17": (0.5, 3.0, 0.01, True, None),
    "NK": (5.0, 25.0, 0.1, False, None), "MAIT": (1.0, 8.0, 0.1, False, None),
    "MONO": (3.0, 10.0, 0.1, False, None), "NEUT": (40.0, 75.0, 0.1, False, None),
    "BCELL": (5.0, 18.0, 0.1, False, None),
    "ALT": (8.0, 60.0, 1.0, False, (7.0, 40.0)), "AST": (10.0, 55.0, 1.0, False, (10.0, 40.0)),
    "CREAT": (50.0, 120.0, 1.0, False, (59.0, 104.0)), "WBC": (3.0, 12.0, 0.1, False, (3.5, 9.5)),
    "HGB": (105.0, 170.0, 1.0, False, (115.0, 150.0)), "PLAT": (120.0, 420.0, 1.0, False, (125.0, 350.0)),
}
AE_TERMS = (("Pyrexia", "General disorders and administration site conditions", "fever"),
            ("Infusion related reaction", "Injury, poisoning and procedural complications", "infusion reaction"),
            ("Headache", "Nervous system disorders", "headache"),
            ("Nasopharyngitis", "Infections and infestations", "common cold"),
            ("Herpes zoster", "Infections and infestations", "shingles"),
            ("Hypersensitivity", "Immune system disorders", "allergic reaction"),
            ("Alanine aminotransferase increased", "Investigations", "ALT raised"),
            ("Nausea", "Gastrointestinal disorders", "nausea"))
AE_RELATIONSHIPS = ("RELATED", "NOT RELATED", "POSSIBLE", "PROBABLE", "UNLIKELY", None)


def date_of(start: Optional[int], day: Optional[float]) -> Optional[dt.date]:
    """Calendar date of study day ``day`` (no day 0) for a subject first infused ``start`` days after STUDY_START."""
    if start is None or day is None or (isinstance(day, float) and np.isnan(day)):
        return None
    day = int(day)
    return STUDY_START + dt.timedelta(days=start + (day - 1 if day >= 1 else day))


def improvement(pattern: str, avisitn: float) -> float:
    """Fraction of the baseline disease activity gone at a visit, by response pattern."""
    if avisitn <= 0:
        return 0.0
    return {"responder": 0.6 if avisitn > 1 else 0.35, "nonresponder": 0.0,
            "transient": 0.6 if avisitn <= 8 else 0.0, "late": 0.0 if avisitn < 12 else 0.6,
            "worsening": -0.25}[pattern]


def _value(rng, base: float, frac: float, direction: int, noise: float, lo, hi, step) -> float:
    span = hi - lo if hi is not None else max(base, 1.0)
    target = base * (1.0 - frac) if direction > 0 else base * (1.0 + 0.3 * frac)
    v = target + rng.normal(0.0, noise * 0.05 * span) if noise else target
    v = max(lo, v) if hi is None else min(max(lo, v), hi)
    return round(round(v / step) * step, 4)


def subject_days(rng, facts: PlanFacts, s: Subject, off_window: bool) -> list[tuple[float, int, bool]]:
    """(nominal AVISITN, study day, off window) of each assessment occasion of subject ``s``."""
    out = []
    if s.has_baseline:
        out.append((0.0, int(rng.integers(-14, 2)), False))
    for w in facts.post_baseline:
        if w.avisitn not in s.visits_attended:
            continue
        day = int(np.clip(w.target + rng.integers(-3, 4), w.lo, w.hi))
        if off_window and rng.random() < 0.1:
            later = next((v for v in facts.post_baseline if v.lo > w.hi), None)
            day = int(rng.integers(w.hi + 1, later.lo)) if later else w.hi + int(rng.integers(1, 20))
            out.append((w.avisitn, day, True))
            continue
        out.append((w.avisitn, day, False))
    return out


def adsl_frame(facts: PlanFacts, subjects: list[Subject], *, crp_baseline: dict[str, float]) -> pd.DataFrame:
    rows = []
    for s in subjects:
        arm = s.arm
        last_infusion = facts.infusion_days[s.infusions - 1] if s.infusions else None
        crp = crp_baseline.get(s.usubjid)
        rows.append(dict(
            STUDYID="CG-BM1-AS", USUBJID=s.usubjid, AGE=s.age, SEX=s.sex,
            TRT01P=arm.trt_value if arm else None, TRT01PN=arm.number if arm else None,
            TRT01A=(arm.trt_value if s.treated else None) if arm else None,
            SAFFL="Y" if s.treated else "N", FASFL="Y" if s.fas else "N", PHASE=s.phase_value,
            COHORT=s.cohort, DOSE=arm.dose if arm and arm.dose is not None else (0.0 if arm else None),
            DLTEVLFL=None if s.dlt_evaluable is None else ("Y" if s.dlt_evaluable else "N"),
            RANDFL="Y" if arm and arm.phase_id != "P1" else "N", PPROTFL="Y" if s.pp else "N",
            STRAT1=None if crp is None else facts.strata[0 if crp < 10 else 1],
            TRTSDT=date_of(s.start, 1) if s.treated else None,
            TRTEDT=date_of(s.start, last_infusion) if s.treated else None,
            EOSSTT="COMPLETED" if s.completed else ("DISCONTINUED" if s.discontinued_reason else "ONGOING"),
            DCSREAS=s.discontinued_reason, RESCDT=date_of(s.start, s.rescue_day),
            HLAB27=s.hlab27, EOSDT=date_of(s.start, s.discontinued_day),
            DTHFL="Y" if s.death_day is not None else None, DTHDT=date_of(s.start, s.death_day)))
    return pd.DataFrame(rows, columns=list(ADSL_COLUMNS))


def adex_frame(facts: PlanFacts, subjects: list[Subject]) -> pd.DataFrame:
    rows = [dict(USUBJID=s.usubjid, EXSTDT=date_of(s.start, day),
                 EXDOSE=s.arm.dose if s.arm.dose is not None else 0.0, EXDOSU=DOSE_UNIT)
            for s in subjects if s.treated for day in facts.infusion_days[:s.infusions]]
    return pd.DataFrame(rows, columns=["USUBJID", "EXSTDT", "EXDOSE", "EXDOSU"])


def adae_frame(rng, facts: PlanFacts, subjects: list[Subject], *, rate: float) -> pd.DataFrame:
    rows = []
    for s in subjects:
        if s.arm is None:
            continue
        n = int(rng.poisson(rate)) if s.treated else int(rng.random() < 0.2)
        events = [(int(rng.integers(1, 170)) if s.treated else -int(rng.integers(1, 20)), False) for _ in range(n)]
        if s.dlt:
            events.append((int(rng.integers(1, facts.dlt_window + 1)), True))
        if s.treated and rng.random() < 0.15:
            events.append((-int(rng.integers(1, 15)), False))   # before the first infusion: not emergent
        for day, is_dlt in events:
            term, soc, verbatim = AE_TERMS[int(rng.integers(len(AE_TERMS)))]
            grade = int(rng.integers(3, 5)) if is_dlt else int(rng.choice([1, 1, 2, 2, 3, 4]))
            rows.append(dict(USUBJID=s.usubjid, AEDECOD=term, AEBODSYS=soc, ASTDT=date_of(s.start or 0, day),
                             ASTDY=day, AESER="Y" if grade >= 4 or rng.random() < 0.05 else "N", AETOXGR=grade,
                             AEREL=AE_RELATIONSHIPS[int(rng.integers(len(AE_RELATIONSHIPS)))],
                             TRTEMFL="Y" if day >= 1 and s.treated else "N", DLTFL="Y" if is_dlt else "N",
                             AETERM=verbatim))
        if s.death_day is not None:
            rows.append(dict(USUBJID=s.usubjid, AEDECOD="Pneumonia", AEBODSYS="Infections and infestations",
                             ASTDT=date_of(s.start, s.death_day), ASTDY=s.death_day, AESER="Y", AETOXGR=5,
                             AEREL="NOT RELATED", TRTEMFL="Y", DLTFL="N", AETERM="pneumonia"))
    return pd.DataFrame(rows, columns=list(AE_COLUMNS))


def bds_frames(rng, facts: PlanFacts, subjects: list[Subject], *, qs_groups, lb_params, off_window: bool,
               zero_variance_visit: Optional[float], missing_items: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(ADQS, ADLB): one record per subject, parameter and assessment occasion (ADY; ADT from TRTSDT)."""
    labels = {w.avisitn: w.label for w in facts.visits}
    windows = {w.avisitn: (w.lo, w.hi) for w in facts.visits}
    qs_params = [p for g in qs_groups for p in QS_GROUPS[g]]
    qs, lb = [], []
    for s in subjects:
        base = {p: rng.uniform(*QS_ITEMS[p][:2]) for p in qs_params}
        lbase = {p: rng.uniform(*LB_ITEMS[p][:2]) for p in lb_params}
        for avisitn, day, off in subject_days(rng, facts, s, off_window):
            frac = improvement(s.pattern, avisitn)
            visit = "Unscheduled" if off else labels[avisitn]
            common = dict(USUBJID=s.usubjid, AVISIT=visit, AVISITN=avisitn, ADY=day, ADT=date_of(s.start, day),
                          OFFWIN=off)
            for p in qs_params:
                if rng.random() < missing_items:
                    continue
                b0, b1, lo, hi, step, direction = QS_ITEMS[p]
                v = (lo + hi) / 2 if zero_variance_visit == avisitn and hi is not None else \
                    _value(rng, base[p], frac, direction, s.noise, lo, hi, step)
                if zero_variance_visit == avisitn and hi is None:
                    v = b0
                qs.append(dict(common, PARAMCD=p, AVAL=v))
            lo, hi = windows[avisitn]
            lab_day = day if off else int(np.clip(day + rng.integers(-1, 2), lo, hi))
            for p in lb_params:
                if rng.random() < missing_items:
                    continue
                b0, b1, step, follows, normal = LB_ITEMS[p]
                v = b0 if zero_variance_visit == avisitn else \
                    _value(rng, lbase[p], frac if follows else 0.0, 1, s.noise, 0.0, None, step)
                rec = dict(common, PARAMCD=p, AVAL=v, ADY=lab_day if lab_day != 0 else 1)
                rec["ADT"] = date_of(s.start, rec["ADY"])
                if normal is not None:
                    rec.update(ANRLO=normal[0], ANRHI=normal[1])
                lb.append(rec)
    qcols = ["USUBJID", "PARAMCD", "AVAL", "AVISIT", "AVISITN", "ADY", "ADT", "OFFWIN"]
    return pd.DataFrame(qs, columns=qcols), pd.DataFrame(lb, columns=qcols + ["ANRLO", "ANRHI"])


def sponsor_scores(adqs: pd.DataFrame, rng, how: str) -> pd.DataFrame:
    """ADQS with the sponsor's BASDAI of each occasion with all six items (DESIGN.md: scores the data carry are
    re-derived and disagreements reported); ``how`` = exact, or off (a third of them 0.5 too high)."""
    if how == "none" or adqs.empty:
        return adqs
    keys = ["USUBJID", "AVISIT", "AVISITN", "ADY", "ADT", "OFFWIN"]
    items = adqs[adqs["PARAMCD"].isin([f"BASDAI{i}" for i in range(1, 7)])]
    wide = items.pivot_table(index=keys, columns="PARAMCD", values="AVAL", aggfunc="first", dropna=False)
    wide = wide.dropna(subset=[c for c in wide.columns], how="any") if wide.shape[1] == 6 else wide.iloc[0:0]
    if wide.empty:
        return adqs
    score = (wide[["BASDAI1", "BASDAI2", "BASDAI3", "BASDAI4"]].sum(axis=1)
             + (wide["BASDAI5"] + wide["BASDAI6"]) / 2) / 5
    if how == "off":
        score = np.minimum(10.0, score + np.where(rng.random(len(score)) < 1 / 3, 0.5, 0.0))
    rows = score.round(2).rename("AVAL").reset_index().assign(PARAMCD="BASDAI")
    return pd.concat([adqs, rows[adqs.columns]], ignore_index=True)


def locf_records(adqs: pd.DataFrame, facts: PlanFacts) -> pd.DataFrame:
    """ADQS with DTYPE = LOCF records for each missed post-baseline visit after an attended one: the last
    observed values carried forward with the source's study day (as ADaM derives them)."""
    out = adqs.assign(DTYPE=None)
    if adqs.empty:
        return out
    labels = {w.avisitn: w.label for w in facts.visits}
    scheduled = adqs[~adqs["OFFWIN"].astype(bool)]
    extra = []
    for subject, g in scheduled.groupby("USUBJID", sort=False):
        last = None
        for w in facts.post_baseline:
            here = g[g["AVISITN"] == w.avisitn]
            if len(here):
                last = here
            elif last is not None:
                extra.append(last.assign(AVISITN=w.avisitn, AVISIT=labels[w.avisitn], DTYPE="LOCF"))
    return pd.concat([out] + extra, ignore_index=True) if extra else out
