"""Large-sample checks: the generated data recover the generator's parameters."""
from __future__ import annotations

import numpy as np

from synthetic_data import generate
from synthetic_data.params import params_for


def test_dropout_fraction_and_arm_effects():
    """msc-etanercept, n=2000: dropout fraction among dosed subjects is the prespecified 0.15
    (binomial SE 0.008; tolerance 0.03), dropout is higher in subjects with more active disease
    (MAR on observed activity), and the mean fractional BASDAI improvement at week 12 orders
    the arms by their effect parameters (ETN 0.55 > MSC 0.42*1/(0.5+1) = 0.28)."""
    p = params_for("msc-etanercept")
    d = generate("msc-etanercept", seed=99, n=2000)
    adsl = d["adsl"]
    dosed = adsl[adsl["SAFFL"] == "Y"]
    frac = (dosed["EOSSTT"] == "DISCONTINUED").mean()
    assert abs(frac - p.dropout_fraction) < 0.03
    q = d["adqs"][d["adqs"]["PARAMCD"].str.startswith("BASDAI")]
    w = q.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="AVAL")
    basdai = (w["BASDAI1"] + w["BASDAI2"] + w["BASDAI3"] + w["BASDAI4"] + (w["BASDAI5"] + w["BASDAI6"]) / 2) / 5
    b0 = basdai.xs(0.0, level="AVISITN")
    b12 = basdai.xs(12.0, level="AVISITN")
    rel = ((b0.reindex(b12.index) - b12) / b0.reindex(b12.index)).rename("rel").to_frame()
    rel = rel.join(adsl.set_index("USUBJID")["TRT01P"])
    m = rel.groupby("TRT01P")["rel"].mean()
    assert m["Etanercept"] > m["MSC"] > 0.1
    # effect sizes within tolerance of the model (items move by sens*f; BASDAI items sens ~0.93)
    assert abs(m["Etanercept"] - 0.55 * 0.93) < 0.1
    # MAR: the hazard after a visit rises with the BASDAI change observed at that visit, so
    # subjects who leave between week 12 and week 48 had less improvement at week 12
    chg = (b12 - b0.reindex(b12.index)).rename("chg").to_frame().join(adsl.set_index("USUBJID")["EOSSTT"])
    g = chg.groupby("EOSSTT")["chg"].mean()
    assert g["DISCONTINUED"] > g["COMPLETED"]


def test_missed_visits_and_rescue_present():
    d = generate("cg-bm1", seed=4, n=600)
    adsl = d["adsl"]
    assert 0 < adsl["RESCDT"].notna().mean() < 0.3
    resc = adsl.dropna(subset=["RESCDT"])
    assert (resc["RESCDT"] > resc["TRTSDT"]).all() and (resc["RESCDT"] <= resc["EOSDT"]).all()
    # subjects keep contributing data after rescue
    q = d["adqs"].merge(resc[["USUBJID", "RESCDT"]], on="USUBJID")
    assert (q["ADT"] > q["RESCDT"]).any()
