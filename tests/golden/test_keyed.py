"""Unit tests of tests/golden/keyed.py on small inline result documents (no plan run)."""
from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))
import keyed  # noqa: E402


def row(**kw):
    base = {"analysis_id": "EFF", "endpoint": "ASAS20", "population": "FAS", "visit": 12.0, "group": "A",
            "comparator": None, "statistic": "proportion", "estimate": 0.5, "se": 0.1, "ci_lower": 0.3,
            "ci_upper": 0.7, "df": None, "p_value": None, "n": 20}
    base.update(kw)
    return base


def doc(*rows):
    return {"plan": {"id": "t", "title": "t", "version": "1", "sha256": "x"}, "data": {}, "results": list(rows)}


ROWS = [row(group="A"), row(group="B", estimate=0.25, n=19), row(group="A", visit=4.0, estimate=0.4),
        row(statistic="difference", group="A", comparator="B", estimate=0.25, p_value=0.04)]


def test_reordered_rows_compare_equal():
    assert keyed.compare_keyed(doc(*ROWS), doc(*reversed(ROWS))) == []


def test_identical_frames_compare_equal_at_zero_tolerance():
    assert keyed.compare_keyed(doc(*ROWS), doc(*ROWS), rel=0.0, abs_=0.0) == []


def test_inserted_row_is_one_only_in_new_and_nothing_else():
    extra = row(group="C", estimate=0.9, n=21)
    diffs = keyed.compare_keyed(doc(*ROWS), doc(ROWS[0], extra, *ROWS[1:]))
    assert len(diffs) == 1
    assert diffs[0].startswith("only in new: ") and "group=C" in diffs[0]


def test_removed_row_is_one_only_in_old():
    diffs = keyed.compare_keyed(doc(*ROWS), doc(*ROWS[1:]))
    assert len(diffs) == 1 and diffs[0].startswith("only in old: ") and "visit=12 group=A" in diffs[0]


def test_relative_change_above_1e6_is_reported():
    changed = [dict(r) for r in ROWS]
    changed[1]["estimate"] = 0.25 * (1 + 2e-6)
    diffs = keyed.compare_keyed(doc(*ROWS), doc(*changed))
    assert len(diffs) == 1
    assert "group=B" in diffs[0] and "estimate: old 0.25, new 0.2500005" in diffs[0]


def test_relative_change_below_1e6_is_not_reported():
    changed = [dict(r) for r in ROWS]
    changed[1]["estimate"] = 0.25 * (1 + 5e-7)
    assert keyed.compare_keyed(doc(*ROWS), doc(*changed)) == []
    # ... but it is a difference at tolerance 0, so the comparison really looked at it
    assert len(keyed.compare_keyed(doc(*ROWS), doc(*changed), rel=0.0, abs_=0.0)) == 1


def test_absolute_tolerance_near_zero():
    a, b, c = row(estimate=0.0), row(estimate=5e-10), row(estimate=2e-9)
    assert keyed.compare_keyed(doc(a), doc(b)) == []
    assert len(keyed.compare_keyed(doc(a), doc(c))) == 1


def test_nan_equals_nan_and_none():
    assert keyed.compare_keyed(doc(row(se=math.nan)), doc(row(se=math.nan))) == []
    assert keyed.compare_keyed(doc(row(se=None)), doc(row(se=math.nan))) == []


def test_values_equal_cell_rules():
    assert keyed.values_equal(math.nan, math.nan) and keyed.values_equal(None, math.nan) and keyed.values_equal("", None)
    assert not keyed.values_equal(math.nan, 0.0) and not keyed.values_equal(0.0, None)
    assert keyed.values_equal(3, 3.0) and keyed.values_equal("0.1", 0.1)  # text from a CSV vs number
    assert keyed.values_equal(1.0, 1.0 + 5e-7) and not keyed.values_equal(1.0, 1.0 + 2e-6)
    assert keyed.values_equal(True, "True") and not keyed.values_equal(True, False)
    assert not keyed.values_equal("Grade 1", "grade 1")


def test_nan_versus_number_is_reported():
    diffs = keyed.compare_keyed(doc(row(se=math.nan)), doc(row(se=0.1)))
    assert diffs == ["[analysis_id=EFF endpoint=ASAS20 population=FAS visit=12 group=A statistic=proportion] "
                     "se: old missing, new 0.1"]
    assert len(keyed.compare_keyed(doc(row(se=0.1)), doc(row(se=None)))) == 1


def test_strings_compare_exactly_and_new_columns_are_reported():
    a = row(rule="escalate")
    assert len(keyed.compare_keyed(doc(a), doc(row(rule="escalate ")))) == 1
    assert len(keyed.compare_keyed(doc(row()), doc(a))) == 1  # a value column that appears


def test_key_columns_first_missing_as_empty_text_and_sorted():
    frame = keyed.keyed_frame(doc(*ROWS))
    assert list(frame.columns[: len(keyed.KEY_COLUMNS)]) == list(keyed.KEY_COLUMNS)
    assert (frame["soc"] == "").all() and (frame.loc[frame["comparator"] == "", "statistic"] == "proportion").all()
    assert frame["visit"].tolist() == ["4", "12", "12", "12"]  # numeric key sorted as a number, no ".0"
    assert frame["n"].dtype.name == "Int64"


def test_duplicate_key_is_refused():
    with pytest.raises(ValueError, match="share a key"):
        keyed.keyed_frame(doc(ROWS[0], dict(ROWS[0], estimate=0.6)))


def test_descriptive_columns_tell_rows_apart():
    a, b = row(method="wilson", estimate=0.5), row(method="clopper_pearson", estimate=0.49)
    frame = keyed.keyed_frame(doc(a, b))
    assert len(frame) == 2
    assert keyed.compare_keyed(doc(a, b), doc(b, a)) == []


def test_csv_round_trip_is_exact(tmp_path):
    rows = [row(estimate=1 / 3, label="NA", x_group=7.0, converged=True, table='quote " and, comma'),
            row(group="B", estimate=0.1 + 0.2, se=None, label="None", converged=False),
            row(group="C", estimate=6.150016617299786e-17, p_value=1.32723126472339e-05)]
    frame = keyed.keyed_frame(doc(*rows))
    back = keyed.read_csv(keyed.write_csv(frame, tmp_path / "t.csv"))
    assert keyed.compare_keyed(frame, back, rel=0.0, abs_=0.0) == []
    assert back.equals(frame)
    assert back.loc[back["group"] == "A", "label"].item() == "NA"  # text "NA" is not read as missing
