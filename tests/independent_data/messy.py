"""Two ways real data differ from the package's own: codes spelt differently, and contract breaches.

:func:`mess_codes` changes the case and white space of the codes the plan declares (TRT01P, PHASE, STRAT1, the
population flags), of PARAMCD (ADaM upper case), of EOSSTT and AEREL (read case-insensitively) and of the AVISIT
labels: the run must read them as the plan's codes. :data:`BREACHES` each break one rule of DESIGN.md's contract
and name the (dataset, column) the run's ``error:`` line must name.
"""
from __future__ import annotations

from typing import Callable, Optional

import numpy as np
import pandas as pd

from independent_data.design import PlanFacts

FLAGS = ("SAFFL", "FASFL", "ITTFL", "PPROTFL", "DLTEVLFL")


def _respell(rng, value):
    """``value`` with random case and extra blanks (inside between words, and around)."""
    if not isinstance(value, str):
        return value
    case = int(rng.integers(3))
    text = value.lower() if case == 0 else value.upper() if case == 1 else value.swapcase()
    words = text.split(" ")
    joined = "".join(w + " " * int(rng.integers(1, 3)) for w in words).rstrip()
    return " " * int(rng.integers(0, 2)) + joined + " " * int(rng.integers(0, 2))


def _respell_column(rng, frame: pd.DataFrame, column: str, share: float = 0.5) -> pd.DataFrame:
    if column not in frame.columns or frame.empty:
        return frame
    out = frame.copy()
    which = rng.random(len(out)) < share
    out[column] = out[column].astype(object)
    out.loc[which, column] = [_respell(rng, v) for v in out.loc[which, column]]
    return out


def mess_codes(rng, datasets: dict[str, pd.DataFrame], facts: PlanFacts) -> dict[str, pd.DataFrame]:
    out = dict(datasets)
    adsl = out["adsl"]
    for column in ("TRT01P", "PHASE", "STRAT1", "EOSSTT") + FLAGS:
        adsl = _respell_column(rng, adsl, column)
    out["adsl"] = adsl
    for name in ("adqs", "adlb"):
        frame = _respell_column(rng, out[name], "PARAMCD", 0.3)
        out[name] = _respell_column(rng, frame, "AVISIT", 0.3)
    out["adae"] = _respell_column(rng, out["adae"], "AEREL", 0.5)
    return out


def _drop(dataset: str, column: str):
    def breach(rng, ds):
        if dataset not in ds or column not in ds[dataset].columns:
            return None
        ds[dataset] = ds[dataset].drop(columns=[column])
        return dataset, column
    return breach


def _set_value(dataset: str, column: str, value, where: Optional[Callable[[pd.DataFrame], pd.Series]] = None):
    def breach(rng, ds):
        frame = ds.get(dataset)
        if frame is None or frame.empty or column not in frame.columns:
            return None
        rows = np.flatnonzero(where(frame).to_numpy()) if where is not None else np.arange(len(frame))
        if len(rows) == 0:
            return None
        frame = frame.copy()
        frame[column] = frame[column].astype(object)
        frame.iloc[int(rows[int(rng.integers(len(rows)))]), frame.columns.get_loc(column)] = value
        ds[dataset] = frame
        return dataset, column
    return breach


def _unknown_subject(dataset: str):
    def breach(rng, ds):
        frame = ds.get(dataset)
        if frame is None or frame.empty:
            return None
        row = frame.iloc[[int(rng.integers(len(frame)))]].assign(USUBJID="CGBM1-XX-999")
        ds[dataset] = pd.concat([frame, row], ignore_index=True)
        return dataset, "USUBJID"
    return breach


def _duplicate_subject(rng, ds):
    adsl = ds["adsl"]
    ds["adsl"] = pd.concat([adsl, adsl.iloc[[int(rng.integers(len(adsl)))]]], ignore_index=True)
    return "adsl", "USUBJID"


def _off_window_day(rng, ds):
    """A scheduled visit whose study day lies outside its window."""
    frame = ds.get("adqs")
    if frame is None or "ADY" not in frame.columns:
        return None
    rows = np.flatnonzero((frame["AVISITN"] == 4).to_numpy() & frame["ADY"].notna().to_numpy())
    if len(rows) == 0:
        return None
    frame = frame.copy()
    frame.iloc[int(rows[0]), frame.columns.get_loc("ADY")] = 45
    ds["adqs"] = frame
    return "adqs", "ADY"


def _param(code: str):
    return lambda f: f["PARAMCD"].astype(str).str.strip().str.upper() == code


#: breach name -> function(rng, datasets) changing ``datasets`` in place; returns the (dataset, column) to be
#: named, or None when these data offer nothing to break
BREACHES: dict[str, Callable] = {
    "adsl SAFFL missing": _drop("adsl", "SAFFL"),
    "adqs AVISITN missing": _drop("adqs", "AVISITN"),
    "adae AETOXGR missing": _drop("adae", "AETOXGR"),
    "adlb AVAL missing": _drop("adlb", "AVAL"),
    "adex EXDOSE missing": _drop("adex", "EXDOSE"),
    "BASDAI1 above 10": _set_value("adqs", "AVAL", 12.5, _param("BASDAI1")),
    "TBPAIN above 100 mm": _set_value("adqs", "AVAL", 140.0, _param("TBPAIN")),
    "SJC44 not whole": _set_value("adqs", "AVAL", 2.5, _param("SJC44")),
    "CTCAE grade 7": _set_value("adae", "AETOXGR", 7),
    "AESER not Y/N": _set_value("adae", "AESER", "X"),
    "AESER missing": _set_value("adae", "AESER", None),
    "unknown arm": _set_value("adsl", "TRT01P", "CG-BM1 8.0x10^6 cells/kg"),
    "unknown stratum": _set_value("adsl", "STRAT1", "CRP unknown"),
    "unknown phase": _set_value("adsl", "PHASE", "Phase 3"),
    "AGE zero": _set_value("adsl", "AGE", 0),
    "SEX code": _set_value("adsl", "SEX", "X"),
    "AVAL text": _set_value("adqs", "AVAL", "n.d."),
    "unscheduled AVISITN": _set_value("adqs", "AVISITN", 2.0),
    "adqs unknown subject": _unknown_subject("adqs"),
    "adae unknown subject": _unknown_subject("adae"),
    "adsl duplicate subject": _duplicate_subject,
    "visit day off window": _off_window_day,
}


#: breaches found when an analysis reads the data, not by the contract check (which reports every problem on the
#: one error line): another problem of the example may stop the run first, so the line need not name them
ANALYSIS_STAGE = frozenset({"AESER missing"})


def apply_breach(rng, datasets: dict[str, pd.DataFrame], name: str, facts: PlanFacts):
    """(datasets with the breach, (dataset, column) the error must name) -- or (datasets, None) if not possible."""
    ds = dict(datasets)
    named = BREACHES[name](rng, ds)
    return (ds, named) if named is not None else (datasets, None)
