"""Date consistency of generated ADSL: dosed subjects have first and last dose dates, and nobody leaves the study
before the first dose (a dropout right after baseline once produced EOSDT < TRTSDT)."""
from __future__ import annotations

import pandas as pd
import pytest

from synthetic_data import generate


@pytest.mark.parametrize("plan_id,seed", [("cg-bm1", 7), ("msc-etanercept", 3), ("ucmsc-ra", 11), ("ucmsc-as", 5)])
def test_treatment_and_study_dates_are_ordered(plan_id, seed):
    adsl = generate(plan_id, seed=seed, n=300 if plan_id != "ucmsc-as" else None)["adsl"]
    dosed = adsl[adsl["SAFFL"] == "Y"]
    start, end, eos = (pd.to_datetime(dosed[c]) for c in ("TRTSDT", "TRTEDT", "EOSDT"))
    assert start.notna().all() and end.notna().all(), "dosed subjects need TRTSDT and TRTEDT"
    assert (end >= start).all()
    assert (eos.isna() | (eos >= start)).all(), dosed.loc[eos < start, ["USUBJID", "TRTSDT", "EOSDT"]]
