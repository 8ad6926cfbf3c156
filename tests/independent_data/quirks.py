"""Ways real ADaM data sets differ from the package's own while still following DESIGN.md's contract.

Each quirk is a function ``(rng, datasets, facts) -> datasets``; :data:`QUIRKS` names them for the strategy. None
breaks the contract: a run on such data must succeed (or stop for a reason of the plan, never exit 1).
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import pandas as pd

from independent_data.design import PlanFacts

DATE_COLUMNS = ("TRTSDT", "TRTEDT", "RESCDT", "EOSDT", "DTHDT", "ADT", "ASTDT", "EXSTDT")


def _dates(fmt: str):
    """Every date column written as SAS DATE9 (03MAR2025) or as an ISO date-time (2025-03-03T09:30)."""
    def quirk(rng, ds, facts):
        out = {}
        for name, frame in ds.items():
            frame = frame.copy()
            for col in (c for c in DATE_COLUMNS if c in frame.columns):
                values = pd.to_datetime(frame[col])
                text = values.dt.strftime("%d%b%Y").str.upper() if fmt == "date9" else \
                    values.dt.strftime("%Y-%m-%dT09:30")
                frame[col] = text.where(values.notna(), None)
            out[name] = frame
        return out
    return quirk


def _sponsor_bds(rng, ds, facts):
    """ADQS and ADLB carry the sponsor's ABLFL, BASE and CHG (the package derives its own)."""
    out = dict(ds)
    for name in ("adqs", "adlb"):
        frame = ds[name].copy()
        if frame.empty or "AVISITN" not in frame.columns:
            continue
        base = frame["AVISITN"].eq(0) & ~frame.duplicated(["USUBJID", "PARAMCD", "AVISITN"])
        values = frame[base].set_index(["USUBJID", "PARAMCD"])["AVAL"]
        key = pd.MultiIndex.from_frame(frame[["USUBJID", "PARAMCD"]])
        frame["ABLFL"] = np.where(base, "Y", None)
        frame["BASE"] = values.reindex(key).to_numpy()
        frame["CHG"] = np.where(frame["AVISITN"] > 0, frame["AVAL"] - frame["BASE"], np.nan)
        out[name] = frame
    return out


def _extra_parameters(rng, ds, facts):
    """A questionnaire item and a laboratory parameter no analysis of the plan uses."""
    out = dict(ds)
    for name, code in (("adqs", "XTRA1"), ("adlb", "GLUC")):
        frame = ds[name]
        first = frame[frame["AVISITN"] == 0].drop_duplicates("USUBJID")
        out[name] = pd.concat([frame, first.assign(PARAMCD=code, AVAL=5.0)], ignore_index=True)
    return out


def _missing_aval(rng, ds, facts):
    """A few ADQS and ADLB records with AVAL missing (a blank cell)."""
    out = dict(ds)
    for name in ("adqs", "adlb"):
        frame = ds[name].copy()
        frame.loc[rng.random(len(frame)) < 0.03, "AVAL"] = np.nan
        out[name] = frame
    return out


def _numeric_ids(rng, ds, facts):
    """USUBJID made of digits only, some with leading zeros (they stay text: the column ends in ID)."""
    ids = {u: f"{i:04d}" for i, u in enumerate(ds["adsl"]["USUBJID"])}
    return {name: frame.assign(USUBJID=frame["USUBJID"].map(ids)) for name, frame in ds.items()}


def _lower_case_columns(rng, ds, facts):
    """Column names in lower case, some with blanks around them."""
    return {name: frame.rename(columns=lambda c: f" {c.lower()}" if len(c) % 2 else c.lower())
            for name, frame in ds.items()}


def _strata_missing(rng, ds, facts):
    """STRAT1 missing for about a third of the subjects."""
    adsl = ds["adsl"]
    if "STRAT1" not in adsl.columns:
        return ds
    adsl = adsl.astype({"STRAT1": object})
    adsl.loc[rng.random(len(adsl)) < 1 / 3, "STRAT1"] = None
    return {**ds, "adsl": adsl}


def _single_stratum(rng, ds, facts):
    """Every subject in the same stratum."""
    adsl = ds["adsl"]
    return {**ds, "adsl": adsl.assign(STRAT1=facts.strata[0])} if "STRAT1" in adsl.columns else ds


QUIRKS: dict[str, Callable] = {
    "date9": _dates("date9"), "datetime": _dates("datetime"), "sponsor_bds": _sponsor_bds,
    "extra_parameters": _extra_parameters, "missing_aval": _missing_aval, "numeric_ids": _numeric_ids,
    "lower_case_columns": _lower_case_columns, "strata_missing": _strata_missing, "single_stratum": _single_stratum,
}


#: applied after a breach (the breaches find their columns by the contract's upper-case names)
LAST = ("lower_case_columns",)


def apply_quirks(rng, datasets: dict[str, pd.DataFrame], names, facts: PlanFacts, *, last: bool = False
                 ) -> dict[str, pd.DataFrame]:
    """``datasets`` with the quirks ``names`` applied in the order of :data:`QUIRKS`: those of :data:`LAST`
    when ``last``, the others otherwise (DATE9 wins over date-times when both are named)."""
    for name in QUIRKS:
        if name in names and (name in LAST) == last and not (name == "datetime" and "date9" in names):
            datasets = QUIRKS[name](rng, datasets, facts)
    return datasets
