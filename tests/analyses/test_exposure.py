"""Exposure per product in its own unit (analyses.exposure) on hand-made ADEX frames; every expectation is
counted by hand from the frames below (exact integers and sums; tolerance 0 except where noted).

Reference for the conventions: pharmaverse EXT01 (one block per EXTRT), SAS PROC MEANS SUM with NMISS = 0 for a
cumulative dose (a subject with any dose not recorded has an unknown cumulative dose), ADaM TRTDURD = TRTEDT -
TRTSDT + 1."""
from __future__ import annotations

import math

import pandas as pd
import pytest

from analyses.exposure import (ADMINISTRATIONS, COUNT_ROWS_MAX, CUMULATIVE_DOSE, DOSE_RECORDS, PRODUCT,
                               STUDY_TREATMENT, count_course_administrations, derive_product_exposure, derive_study_day,
                               derive_treatment_duration, product_units, summarize_administration_counts)

#: s1: MSC x3 (1.0, 1.0, 1.0 10^6 cells/kg) and etanercept x2 (50, 50 mg); s2: MSC x2 (1.0, missing);
#: s3: etanercept x1 (50 mg); s4: nothing; s9: MSC x1 but not a subject of the analysis
ADEX = pd.DataFrame({
    "USUBJID": ["s1", "s1", "s1", "s1", "s1", "s2", "s2", "s3", "s9"],
    "EXTRT": ["MSC", "MSC", "MSC", "Etanercept", "Etanercept", "MSC", "MSC", "Etanercept", "MSC"],
    "EXDOSE": [1.0, 1.0, 1.0, 50.0, 50.0, 1.0, None, 50.0, 1.0],
    "EXDOSU": ["10^6 cells/kg"] * 3 + ["mg", "mg"] + ["10^6 cells/kg"] * 2 + ["mg", "10^6 cells/kg"],
})
SUBJECTS = pd.DataFrame({"USUBJID": ["s1", "s2", "s3", "s4"], "group": ["A", "A", "B", "B"],
                         "TRTSDT": ["2020-01-01", "2020-01-10", "2020-02-01", None],
                         "TRTEDT": ["2020-01-22", "2020-01-10", "2020-02-29", None]})


def _by(frame: pd.DataFrame) -> dict:
    return {(r.USUBJID, r.product): (r.administrations, r.dose_records, r.cumulative_dose)
            for r in frame.itertuples()}


def test_per_product_counts_and_doses_never_mixed():
    out = derive_product_exposure(SUBJECTS, ADEX)
    assert list(dict.fromkeys(out[PRODUCT])) == ["Etanercept", "MSC"]  # name order, every subject in each
    got = _by(out)
    assert got[("s1", "MSC")] == (3, 3, 3.0)
    assert got[("s1", "Etanercept")] == (2, 2, 100.0)          # mg of etanercept, never added to cells/kg
    assert got[("s2", "MSC")][:2] == (2, 1) and math.isnan(got[("s2", "MSC")][2])  # one dose not recorded
    assert got[("s3", "Etanercept")] == (1, 1, 50.0)
    for key in (("s2", "Etanercept"), ("s3", "MSC"), ("s4", "MSC"), ("s4", "Etanercept")):
        assert got[key][:2] == (0, 0) and math.isnan(got[key][2])
    assert len(out) == 8 and "s9" not in set(out["USUBJID"])  # 4 subjects x 2 products; s9 not analysed
    assert product_units(ADEX) == {"Etanercept": "mg", "MSC": "10^6 cells/kg"}


def test_no_dose_recorded_is_missing_not_zero():
    """wang2013's ADEX has no EXDOSE at all: the cumulative dose is unknown (not 0) and the count is kept."""
    adex = pd.DataFrame({"USUBJID": ["s1", "s1", "s2"], "EXTRT": ["MSC"] * 3, "EXDOSE": [None] * 3,
                         "EXDOSU": ["10^6 cells/kg"] * 3})
    out = derive_product_exposure(SUBJECTS.iloc[:2], adex)
    assert out[ADMINISTRATIONS].tolist() == [2, 1] and out[DOSE_RECORDS].tolist() == [0, 0]
    assert out[CUMULATIVE_DOSE].isna().all()
    no_column = derive_product_exposure(SUBJECTS.iloc[:2], adex.drop(columns="EXDOSE"), dose=None)
    assert no_column[ADMINISTRATIONS].tolist() == [2, 1] and no_column[CUMULATIVE_DOSE].isna().all()


def test_without_extrt_one_study_treatment():
    adex = ADEX[ADEX["EXTRT"] == "MSC"].drop(columns="EXTRT")
    out = derive_product_exposure(SUBJECTS, adex)
    assert set(out[PRODUCT]) == {STUDY_TREATMENT}
    assert out[ADMINISTRATIONS].tolist() == [3, 2, 0, 0]
    assert product_units(adex) == {STUDY_TREATMENT: "10^6 cells/kg"}


def test_mixed_units_within_a_product_refused():
    adex = ADEX.assign(EXDOSU=ADEX["EXDOSU"].where(ADEX.index != 1, "cells/kg"))
    with pytest.raises(ValueError, match=r"product 'MSC' has doses in more than one unit \(10\^6 cells/kg, cells/kg\)"):
        product_units(adex)


def test_administration_count_rows():
    out = derive_product_exposure(SUBJECTS, ADEX)
    msc = out[out[PRODUCT] == "MSC"]
    rows = summarize_administration_counts(msc, ["A", "B"], product="MSC", total="Total")
    c = {(r.label, r.group): (r.estimate, r.n) for r in rows.itertuples()}
    assert set(rows["parameter"]) == {"MSC"}
    # A: s1 3, s2 2 -> treated 2/2; B: s3 0, s4 0 -> treated 0/2; Total 2/4
    assert [c[("treated", g)] for g in ("A", "B", "Total")] == [(2, 2), (0, 2), (2, 4)]
    assert sorted({lab for lab, _ in c}) == ["administrations=1", "administrations=2", "administrations=3", "treated"]
    assert c[("administrations=2", "A")] == (1, 2) and c[("administrations=3", "Total")] == (1, 4)
    assert c[("administrations=1", "A")] == (0, 2) and c[("administrations=1", "B")] == (0, 2)


def test_long_regimens_are_not_tabulated_value_by_value():
    n = COUNT_ROWS_MAX + 1
    adex = pd.DataFrame({"USUBJID": ["s1"] * n, "EXTRT": ["Etanercept"] * n, "EXDOSE": [50.0] * n,
                         "EXDOSU": ["mg"] * n})
    out = derive_product_exposure(SUBJECTS, adex)
    rows = summarize_administration_counts(out, ["A", "B"], product="Etanercept")
    assert set(rows["label"]) == {"treated"}
    assert out.loc[out["USUBJID"] == "s1", CUMULATIVE_DOSE].item() == 50.0 * n


def test_treatment_duration_inclusive():
    dur = derive_treatment_duration(SUBJECTS)["duration_days"].tolist()
    assert dur[:3] == [22.0, 1.0, 29.0] and math.isnan(dur[3])  # Jan 1-22 = 22 days; Feb 2020 has 29


def test_study_day_from_exstdy_or_dates():
    """EXSTDY when present; else EXSTDT - TRTSDT + 1 on or after the first dose and EXSTDT - TRTSDT before it (no
    day 0: the day before day 1 is -1, ADaM ASTDY)."""
    adex = pd.DataFrame({"USUBJID": ["s1", "s1", "s1", "s3"],
                         "EXSTDT": ["2020-01-01", "2020-01-31", "2019-12-31", "2020-02-29"]})
    assert derive_study_day(SUBJECTS, adex).tolist() == [1.0, 31.0, -1.0, 29.0]
    assert derive_study_day(SUBJECTS, adex.assign(EXSTDY=[5, 6, 7, 8])).tolist() == [5, 6, 7, 8]
    assert derive_study_day(SUBJECTS.drop(columns="TRTSDT"), adex) is None


def test_course_counts_within_study_days():
    """MSC records of s1 on days 1, 8, 92 and of s2 on days 85, 86: course 1 (days 1-85) = s1 2, s2 1;
    course 2 (86-365) = s1 1, s2 1; etanercept on day 2 never counts for an MSC course."""
    adex = pd.DataFrame({"USUBJID": ["s1", "s1", "s1", "s1", "s2", "s2"],
                         "EXTRT": ["MSC", "MSC", "Etanercept", "MSC", "MSC", "MSC"], "EXSTDY": [1, 8, 2, 92, 85, 86]})
    day = derive_study_day(SUBJECTS, adex)
    c1 = count_course_administrations(SUBJECTS, adex, day, product="MSC", days=(1, 85))
    c2 = count_course_administrations(SUBJECTS, adex, day, product="MSC", days=(86, 365))
    assert c1[ADMINISTRATIONS].tolist() == [2, 1, 0, 0] and c2[ADMINISTRATIONS].tolist() == [1, 1, 0, 0]
    rows = summarize_administration_counts(c2, ["A", "B"], product="MSC", max_rows=0, prefix="course 2: ")
    assert {(r.label, r.group): r.estimate for r in rows.itertuples()} == {("course 2: treated", "A"): 2,
                                                                            ("course 2: treated", "B"): 0}
