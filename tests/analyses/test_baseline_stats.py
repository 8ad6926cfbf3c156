"""Hand-computed descriptive statistics, category counts and disposition (analyses.descriptive,
analyses.disposition; exposure: tests/analyses/test_exposure.py).

Reference for the continuous statistics: the textbook definitions that R (``sd``, ``median``) and SAS PROC MEANS
(STD with VARDEF=DF, MEDIAN) implement: SD with divisor n - 1, median = middle value (mean of the two middle
values for even n). Expected values are computed by hand in the comments; tolerance 1e-12 (exact arithmetic up
to floating-point rounding).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from analyses.descriptive import (category_levels, compute_descriptive, summarize_categories, summarize_continuous,
                                  summarize_indicators)
from analyses.disposition import (COMPLETED_ROW, DISCONTINUED_ROW, ENROLLED, ONGOING_ROW, TREATED,
                                  derive_disposition, summarize_disposition)
from analyses.results import RESULT_COLUMNS

TOL = 1e-12


def _five() -> pd.DataFrame:
    """Five subjects: A = 2, 4, 10; B = 4, 5."""
    return pd.DataFrame({"group": ["A", "A", "B", "B", "A"], "x": [2.0, 4.0, 4.0, 5.0, 10.0]})


def _cell(rows: pd.DataFrame, group: str, statistic: str, label: str | None = None) -> pd.Series:
    sel = rows[(rows["group"] == group) & (rows["statistic"] == statistic)]
    if label is not None:
        sel = sel[sel["label"] == label]
    assert len(sel) == 1, sel
    return sel.iloc[0]


def test_compute_descriptive_sd_n_minus_1_and_median_on_five_values():
    # 2, 4, 4, 5, 10: mean 25/5 = 5; squared deviations 9 + 1 + 1 + 0 + 25 = 36; SD = sqrt(36/4) = 3
    # (the divisor-n SD would be sqrt(36/5) = 2.683); SE = 3/sqrt(5); median = 4 (third of five sorted)
    d = compute_descriptive([2, 4, 4, 5, 10])
    assert d["n"] == 5
    assert d["mean"] == pytest.approx(5.0, abs=TOL)
    assert d["sd"] == pytest.approx(3.0, abs=TOL)
    assert d["se"] == pytest.approx(3.0 / math.sqrt(5), abs=TOL)
    assert d["median"] == 4.0 and d["min"] == 2.0 and d["max"] == 10.0


def test_compute_descriptive_even_n_median_missing_values_and_edge_sizes():
    # 1, 2, 3, 10 (+ two missing): median = (2 + 3)/2 = 2.5; missing values are not counted
    d = compute_descriptive([10, None, 1, np.nan, 3, 2])
    assert d["n"] == 4 and d["median"] == 2.5 and d["mean"] == pytest.approx(4.0, abs=TOL)
    one = compute_descriptive([7.0])
    assert one["n"] == 1 and one["mean"] == 7.0 and one["median"] == 7.0
    assert math.isnan(one["sd"]) and math.isnan(one["se"])  # SD needs n >= 2
    none = compute_descriptive([np.nan])
    assert none["n"] == 0 and all(math.isnan(none[k]) for k in ("mean", "sd", "median", "min", "max"))


def test_summarize_continuous_per_group_and_total():
    rows = summarize_continuous(_five(), "x", ["A", "B"], label="Age", total="Total")
    assert list(rows.columns[: len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    # A = 2, 4, 10: mean 16/3; deviations -10/3, -4/3, 14/3 -> squares (100 + 16 + 196)/9 = 312/9; /2 = 52/3
    a_mean = _cell(rows, "A", "mean")
    assert a_mean["estimate"] == pytest.approx(16 / 3, abs=TOL) and a_mean["n"] == 3
    assert a_mean["se"] == pytest.approx(math.sqrt(52 / 3) / math.sqrt(3), abs=TOL)
    assert _cell(rows, "A", "sd")["estimate"] == pytest.approx(math.sqrt(52 / 3), abs=TOL)
    assert _cell(rows, "A", "median")["estimate"] == 4.0
    # B = 4, 5: mean 4.5, SD sqrt(0.5), median 4.5
    assert _cell(rows, "B", "sd")["estimate"] == pytest.approx(math.sqrt(0.5), abs=TOL)
    assert _cell(rows, "B", "median")["estimate"] == 4.5
    # Total = all five (2, 4, 4, 5, 10): SD 3, median 4, min 2, max 10
    assert _cell(rows, "Total", "sd")["estimate"] == pytest.approx(3.0, abs=TOL)
    assert _cell(rows, "Total", "median")["estimate"] == 4.0
    assert (_cell(rows, "Total", "min")["estimate"], _cell(rows, "Total", "max")["estimate"]) == (2.0, 10.0)
    assert set(rows["label"]) == {"Age"}
    assert pd.isna(_cell(rows, "A", "sd")["se"])  # only the mean row carries the SE


def test_summarize_continuous_keeps_an_empty_column_and_rejects_text():
    rows = summarize_continuous(_five(), "x", ["A", "C"], label="x", statistics=("mean",))
    c = _cell(rows, "C", "mean")
    assert c["n"] == 0 and pd.isna(c["estimate"])
    with pytest.raises(ValueError, match="not numeric"):
        summarize_continuous(_five().assign(x=["a", "b", "c", "d", "e"]), "x", ["A"], label="x")
    with pytest.raises(ValueError, match="median2"):
        summarize_continuous(_five(), "x", ["A"], label="x", statistics=("median2",))


def test_summarize_categories_counts_add_up_and_missing_is_a_category():
    frame = pd.DataFrame({"group": ["A", "A", "A", "B", "B"], "sex": ["M", None, "F", "M", ""]})
    rows = summarize_categories(frame, "sex", ["A", "B"], label="Sex", total="Total")
    assert category_levels(frame["sex"]) == ["F", "M", "Missing"]
    assert list(dict.fromkeys(rows["label"])) == ["Sex: F", "Sex: M", "Sex: Missing"]
    counts = {(r.label, r.group): (r.estimate, r.n) for r in rows.itertuples()}
    assert counts[("Sex: F", "A")] == (1, 3) and counts[("Sex: F", "B")] == (0, 2)
    assert counts[("Sex: M", "Total")] == (2, 5) and counts[("Sex: Missing", "B")] == (1, 2)  # "" is missing
    for g, n in (("A", 3), ("B", 2), ("Total", 5)):
        assert sum(e for (lab, gg), (e, _) in counts.items() if gg == g) == n


def test_summarize_indicators_counts_true_and_missing_as_false():
    frame = pd.DataFrame({"group": ["A", "A", "B"], "f": [True, None, True]})
    rows = summarize_indicators(frame, {"Flagged": "f"}, ["A", "B"], total="All")
    assert rows.set_index("group")["estimate"].to_dict() == {"A": 1, "B": 1, "All": 2}
    assert rows.set_index("group")["n"].to_dict() == {"A": 2, "B": 1, "All": 3}


def _adsl_disposition() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": list("123456"),
        "group": ["A", "A", "A", "B", "B", "B"],
        "EOSSTT": ["COMPLETED", "discontinued ", "DISCONTINUED", None, "SCREEN FAILURE", "COMPLETED"],
        "DCSREAS": [None, "ADVERSE EVENT", "", None, None, None],
        "treated": [True, True, True, True, False, True],
    })


def test_every_subject_appears_in_disposition_exactly_once():
    frame = derive_disposition(_adsl_disposition())
    assert frame["status"].tolist() == ["COMPLETED", "DISCONTINUED", "DISCONTINUED", "ONGOING", "SCREEN FAILURE",
                                        "COMPLETED"]
    rows = summarize_disposition(frame, ["A", "B"], total="Total", treated="treated")
    counts = {(r.label, r.group): r.estimate for r in rows.itertuples()}
    labels = list(dict.fromkeys(rows["label"]))
    other = "Other end-of-study status: SCREEN FAILURE"
    assert labels == [ENROLLED, TREATED, COMPLETED_ROW, DISCONTINUED_ROW, "ADVERSE EVENT", "Not recorded", other,
                      ONGOING_ROW]
    # the unexpected status is a visible row of its own, not hidden among the ongoing subjects
    assert counts[(other, "B")] == 1 and counts[(ONGOING_ROW, "B")] == 1 and counts[(other, "A")] == 0
    assert counts[("ADVERSE EVENT", "A")] == 1 and counts[("Not recorded", "A")] == 1
    assert counts[(TREATED, "B")] == 2
    for g, n in (("A", 3), ("B", 3), ("Total", 6)):
        status_rows = (COMPLETED_ROW, DISCONTINUED_ROW, other, ONGOING_ROW)
        assert counts[(ENROLLED, g)] == n == sum(counts[(lab, g)] for lab in status_rows)
        assert counts[(DISCONTINUED_ROW, g)] == counts[("ADVERSE EVENT", g)] + counts[("Not recorded", g)]


def test_disposition_from_dcdecod_and_without_status_columns():
    adsl = pd.DataFrame({"group": ["A"] * 4, "DCDECOD": ["COMPLETED", "Adverse Event", None, "Death"]})
    frame = derive_disposition(adsl)
    assert frame["status"].tolist() == ["COMPLETED", "DISCONTINUED", "ONGOING", "DISCONTINUED"]
    assert frame["reason"].tolist() == ["COMPLETED", "Adverse Event", "Not recorded", "Death"]
    bare = derive_disposition(pd.DataFrame({"group": ["A", "A"]}))
    rows = summarize_disposition(bare, ["A"])
    assert rows.set_index("label")["estimate"].to_dict() == {ENROLLED: 2, COMPLETED_ROW: 0, DISCONTINUED_ROW: 0,
                                                             ONGOING_ROW: 2}
