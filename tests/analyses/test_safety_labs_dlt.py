"""Hand-computed lab shift / change-from-baseline tables and DLT rates."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.safety import (derive_range_category, summarize_dlt_rate, summarize_lab_change,
                             summarize_lab_shift)

ADSL = pd.DataFrame({"USUBJID": list("ABCDE"), "TRT01A": ["P", "P", "T", "T", "T"],
                     "SAFFL": ["Y", "Y", "Y", "Y", "N"]})
# ALT normal range 7-40. A: base 10 (N), post 60 (H, dev 20/33) and 5 (L, dev 2/33) -> HIGH
# B: 30 -> 31, 32 (N -> N). C: 55 (H) -> 1 (L). D: baseline only -> MISSING. E: not in SAF.
ADLB = pd.DataFrame({
    "USUBJID": list("AAABBBCCDE"), "PARAMCD": ["ALT"] * 10,
    "AVAL": [10, 60, 5, 30, 31, 32, 55, 1, 20, 99], "AVISITN": [0, 2, 4, 0, 2, 4, 0, 2, 0, 2],
    "ANRLO": [7] * 10, "ANRHI": [40] * 10})


def shift_cells(res, group):
    r = res.rows[(res.rows["group"] == group) & (res.rows["n"] > 0)]
    return {(b, w): n for b, w, n in zip(r["baseline"], r["worst"], r["n"])}


def test_shift_table_hand_computed():
    res = summarize_lab_shift(ADSL, ADLB)
    assert shift_cells(res, "P") == {("NORMAL", "HIGH"): 1, ("NORMAL", "NORMAL"): 1}
    assert shift_cells(res, "T") == {("HIGH", "LOW"): 1, ("NORMAL", "MISSING"): 1}
    for g, n in res.big_n.items():  # every column sums to the population N
        assert res.rows.loc[res.rows["group"] == g, "n"].sum() == n
    cell = res.rows[(res.rows["group"] == "P") & (res.rows["baseline"] == "NORMAL") & (res.rows["worst"] == "HIGH")]
    assert (cell["n"].item(), cell["big_n"].item()) == (1, 2)
    assert len(res.rows) == 3 * 4 * 4  # every baseline x worst cell of P, T and Total, zeros included
    tidy = res.tidy()
    assert set(tidy["statistic"]) == {"count", "percent"}


def test_shift_tie_rule_and_indicator_input():
    lb = ADLB.assign(AVAL=[10, 73, -26, 30, 31, 32, 55, 1, 20, 99])  # A: equal deviations 1.0
    assert shift_cells(summarize_lab_shift(ADSL, lb), "P")[("NORMAL", "HIGH")] == 1
    assert shift_cells(summarize_lab_shift(ADSL, lb, tie="low"), "P")[("NORMAL", "LOW")] == 1
    ind = ADLB.drop(columns=["ANRLO", "ANRHI"]).assign(
        ANRIND=["NORMAL", "HIGH", "LOW", "N", "N", "N", "H", "L", "NORMAL", "HIGH"],
        BNRIND=["LOW"] * 3 + ["NORMAL"] * 7)
    res = summarize_lab_shift(ADSL, ind)  # no limits: LOW+HIGH tie -> HIGH; BNRIND used
    assert shift_cells(res, "P") == {("LOW", "HIGH"): 1, ("NORMAL", "NORMAL"): 1}
    with pytest.raises(ValueError, match="ANRIND"):
        summarize_lab_shift(ADSL, ind.assign(ANRIND="ABNORMAL"))


def test_range_category_limits():
    cat = derive_range_category(pd.DataFrame({"AVAL": [6.9, 7, 40, 40.1, np.nan],
                                              "A1LO": [7] * 5, "A1HI": [40] * 5}))
    assert cat.tolist() == ["LOW", "NORMAL", "NORMAL", "HIGH", None]


def test_change_from_baseline_hand_computed():
    res = summarize_lab_change(ADSL, ADLB, params=["ALT"])
    r = res.rows.set_index(["visit", "variable", "group"])
    assert r.loc[(2.0, "CHG", "P"), "mean"] == pytest.approx((50 + 1) / 2)
    assert r.loc[(2.0, "CHG", "P"), "sd"] == pytest.approx(np.std([50, 1], ddof=1))
    assert r.loc[(2.0, "CHG", "T"), "n"] == 1 and r.loc[(2.0, "CHG", "T"), "mean"] == -54
    assert r.loc[(0.0, "AVAL", "T"), "n"] == 2 and r.loc[(0.0, "AVAL", "T"), "median"] == 37.5
    assert r.loc[(4.0, "CHG", "T"), "n"] == 0
    assert r.loc[(2.0, "AVAL", "Total"), "max"] == 60 and r.loc[(2.0, "AVAL", "Total"), "min"] == 1
    tidy = res.tidy()
    m = tidy[(tidy["statistic"] == "mean") & (tidy["visit"] == 2.0) & (tidy["group"] == "P")
             & (tidy["label"] == "CHG")]
    assert m["se"].item() == pytest.approx(np.std([50, 1], ddof=1) / np.sqrt(2))
    with pytest.raises(ValueError, match="several records"):
        summarize_lab_change(ADSL, pd.concat([ADLB, ADLB.iloc[[1]]]))
    with pytest.raises(ValueError, match="no records for"):
        summarize_lab_change(ADSL, ADLB, params=["CRP"])


def test_dlt_rate_clopper_pearson():
    adsl = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(10)],
                         "DOSE": [1] * 3 + [2] * 6 + [2],
                         "DLTEVLFL": ["Y"] * 9 + ["N"]})
    adae = pd.DataFrame({"USUBJID": ["S0", "S3", "S4", "S4", "S9", "S5"],
                         "DLTFL": ["Y", "Y", "Y", "Y", "Y", "N"]})
    res = summarize_dlt_rate(adsl, adae, dose_levels=[1, 2, 3])
    r = res.rows.set_index("dose")
    # R binom.test(1, 3)$conf.int = 0.008403759 0.905700676; binom.test(2, 6) = 0.04327187 0.77722190
    assert (r.loc[1, "n"], r.loc[1, "n_dlt"]) == (3, 1)
    assert (r.loc[1, "lower"], r.loc[1, "upper"]) == pytest.approx((0.008403759, 0.905700676), abs=1e-8)
    assert (r.loc[2, "n"], r.loc[2, "n_dlt"]) == (6, 2)
    assert (r.loc[2, "lower"], r.loc[2, "upper"]) == pytest.approx((0.04327187, 0.77722190), abs=1e-8)
    assert r.loc[3, "n"] == 0 and np.isnan(r.loc[3, "rate"])
    assert res.excluded["records"].tolist() == [0, 1]  # S9 not evaluable
    assert r.loc[2, "rate"] == pytest.approx(2 / 6)
    tidy = res.tidy().set_index("group")
    assert (tidy.loc["2", "n"], tidy.loc["2", "n_events"], tidy.loc["2", "method"]) == (6, 2, "clopper_pearson")
    with pytest.raises(ValueError, match="not in dose_levels"):
        summarize_dlt_rate(adsl, adae, dose_levels=[1])
