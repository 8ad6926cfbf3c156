"""Contract checks: every rule rejects a crafted bad dataset, naming dataset, column and rows."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from sap.data import (AllowedValues, ColumnSpec, DataContractError, DataRequirements, UniqueKey,
                      ValueRange, VisitSchedule, check_contract, default_requirements_for_contract,
                      find_contract_problems)
from sap.spec import Visit

SCHEDULE = [(0, "Baseline", 1, -28, 1), (4, "Week 4", 29, 22, 36), (12, "Week 12", 85, 71, 99)]


def _adsl(n=10) -> pd.DataFrame:
    return pd.DataFrame({
        "STUDYID": "CG-BM1", "USUBJID": [f"S-{i:03d}" for i in range(1, n + 1)],
        "AGE": np.linspace(25, 60, n), "SEX": ["M", "F"] * (n // 2), "TRT01P": "MSC", "TRT01PN": 1.0,
        "TRT01A": "MSC", "SAFFL": "Y", "FASFL": ["Y"] * (n - 1) + [np.nan],
        "TRTSDT": pd.Timestamp("2024-01-01"),
    })


def _adqs(adsl: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for subject in adsl["USUBJID"]:
        for avisitn, label, day, _, _ in SCHEDULE:
            for item in ("BASDAI1", "BASDAI2"):
                rows.append({"USUBJID": subject, "PARAMCD": item, "AVAL": 5.0, "AVISIT": label,
                             "AVISITN": float(avisitn), "ADY": float(day)})
    return pd.DataFrame(rows)


def _adae() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S-001", "S-002"], "AEDECOD": ["Headache", "Fever"], "AEBODSYS": ["Nervous", "General"],
        "ASTDT": pd.to_datetime(["2024-01-03", "2024-02-01"]), "ASTDY": [3.0, 32.0], "AESER": ["N", "N"],
        "AETOXGR": [1.0, 2.0], "AEREL": ["RELATED", "NOT RELATED"], "TRTEMFL": ["Y", "Y"],
        "DLTFL": ["N", "N"], "AETERM": ["headache", "fever"],
    })


def _data() -> dict[str, pd.DataFrame]:
    adsl = _adsl()
    return {"adsl": adsl, "adqs": _adqs(adsl), "adae": _adae()}


def _requirements() -> DataRequirements:
    plan = DataRequirements(required_datasets=("adqs", "adae"),
                            visit_schedules=(VisitSchedule.from_table(["adqs"], SCHEDULE),))
    return default_requirements_for_contract().merge(plan)


def _problems(data, req=None):
    with pytest.raises(DataContractError) as info:
        check_contract(data, req or _requirements())
    return info.value


def _only(error: DataContractError, rule: str):
    found = [p for p in error.problems if p.rule == rule]
    assert len(error.problems) == 1 and len(found) == 1, str(error)
    return found[0]


def test_clean_data_pass():
    check_contract(_data(), _requirements())  # must not raise
    assert find_contract_problems(_data(), _requirements()) == []


def test_duplicate_usubjid_in_adsl():
    data = _data()
    data["adsl"].loc[8, "USUBJID"] = "S-004"  # rows 4 and 9 (1-based) now share S-004
    data["adqs"] = data["adqs"][data["adqs"]["USUBJID"] != "S-009"].reset_index(drop=True)
    error = _problems(data)
    problem = _only(error, "duplicated")
    assert (problem.dataset, problem.column, problem.rows) == ("adsl", "USUBJID", (4, 9))
    assert problem.subjects == ("S-004", "S-004")
    assert str(error).splitlines()[0] == "1 data problem: adsl.USUBJID duplicated (rows 4, 9)"


def test_missing_usubjid_in_adsl_is_a_key_problem():
    data = _data()
    data["adsl"].loc[2, "USUBJID"] = np.nan
    error = _problems(data)
    missing = [p for p in error.problems if p.rule == "missing_key"]
    assert missing and missing[0].rows == (3,) and missing[0].dataset == "adsl"


def test_missing_column_and_missing_dataset():
    data = _data()
    data["adsl"] = data["adsl"].drop(columns=["AGE"])
    del data["adae"]
    error = _problems(data)
    rules = {(p.dataset, p.column, p.rule) for p in error.problems}
    assert rules == {("adsl", "AGE", "missing_column"), ("adae", None, "missing_dataset")}
    assert "adsl.AGE: required column is missing" in str(error)
    assert "adae: required dataset is missing (loaded: adqs, adsl)" in str(error)


def test_alternative_column_satisfies_presence():
    data = _data()
    data["adsl"] = data["adsl"].rename(columns={"FASFL": "ITTFL"})
    check_contract(data, _requirements())
    data["adsl"] = data["adsl"].drop(columns=["ITTFL"])
    problem = _only(_problems(data), "missing_column")
    assert problem.column == "FASFL" and "(or ITTFL)" in problem.message


def test_wrong_type_names_rows():
    data = _data()
    adqs = data["adqs"].astype({"AVAL": object})
    adqs.loc[6, "AVAL"] = "n/a"
    data["adqs"] = adqs
    problem = _only(_problems(data), "wrong_type")
    assert (problem.dataset, problem.column, problem.rows) == ("adqs", "AVAL", (7,))
    assert "row 7 (USUBJID S-002, AVAL='n/a')" in problem.message


def test_wrong_type_whole_column():
    data = _data()
    data["adsl"]["TRTSDT"] = 23376.0  # SAS date number without format
    data["adsl"]["SEX"] = 1.0
    error = _problems(data)
    kinds = {p.column: p for p in error.problems if p.rule == "wrong_type"}
    assert set(kinds) == {"TRTSDT", "SEX"}
    assert "should be a date but is numeric" in kinds["TRTSDT"].message
    # SEX=1 is also outside the SEX codelist; both are reported
    assert {p.rule for p in error.problems} == {"wrong_type", "not_allowed"}


def test_out_of_range_basdai_item():
    data = _data()
    data["adqs"].loc[12, "AVAL"] = 11.0
    data["adqs"].loc[13, "AVAL"] = -0.5
    error = _problems(data)
    assert len(error.problems) == 2
    by_param = {p.message.split("PARAMCD=")[1][:7]: p for p in error.problems}
    assert by_param["BASDAI1"].rows == (13,) and by_param["BASDAI2"].rows == (14,)
    assert all(p.rule == "out_of_range" and (p.dataset, p.column) == ("adqs", "AVAL") for p in error.problems)
    assert "outside [0, 10]" in by_param["BASDAI1"].message and "AVAL=11" in by_param["BASDAI1"].message


def test_boundaries_of_range_are_allowed():
    data = _data()
    data["adqs"].loc[0, "AVAL"] = 0.0
    data["adqs"].loc[1, "AVAL"] = 10.0
    check_contract(data, _requirements())


@pytest.mark.parametrize("grade", [6.0, "6", 0.0, 2.5, "grade 3"])
def test_aetoxgr_outside_ctcae(grade):
    data = _data()
    adae = data["adae"].astype({"AETOXGR": object}) if isinstance(grade, str) else data["adae"]
    if isinstance(grade, str):
        adae["AETOXGR"] = ["1", grade]
    else:
        adae.loc[1, "AETOXGR"] = grade
    data["adae"] = adae
    problem = _only(_problems(data), "out_of_range")
    assert (problem.dataset, problem.column, problem.rows, problem.subjects) == ("adae", "AETOXGR", (2,), ("S-002",))
    assert "integer in [1, 5]" in problem.message


def test_age_must_be_positive():
    data = _data()
    data["adsl"].loc[0, "AGE"] = 0.0
    problem = _only(_problems(data), "out_of_range")
    assert problem.rows == (1,) and "(0, 120]" in problem.message  # AGE: 0 < AGE <= 120 (sap.data.defaults)


def test_allowed_values_flag_and_sex():
    data = _data()
    data["adsl"].loc[1, "SAFFL"] = "X"
    data["adsl"].loc[2, "SEX"] = np.nan  # SEX may not be missing
    error = _problems(data)
    assert {(p.column, p.rows) for p in error.problems} == {("SAFFL", (2,)), ("SEX", (3,))}
    assert all(p.rule == "not_allowed" for p in error.problems)


def test_unknown_usubjid_in_adqs():
    data = _data()
    data["adqs"].loc[[3, 4], "USUBJID"] = "S-999"
    data["adqs"].loc[5, "USUBJID"] = np.nan
    error = _problems(data)
    unknown = [p for p in error.problems if p.rule == "unknown_subject"][0]
    assert (unknown.dataset, unknown.column, unknown.rows) == ("adqs", "USUBJID", (4, 5))
    assert unknown.subjects == ("S-999", "S-999") and "not in adsl" in unknown.message
    missing = [p for p in error.problems if p.rule == "missing_subject"][0]
    assert missing.rows == (6,)


def test_duplicate_subject_param_visit():
    data = _data()
    extra = data["adqs"].iloc[[2]].copy()
    data["adqs"] = pd.concat([data["adqs"], extra], ignore_index=True)  # row 61 repeats row 3
    problem = _only(_problems(data), "duplicated")
    assert (problem.dataset, problem.column, problem.rows) == ("adqs", "USUBJID/PARAMCD/AVISITN", (3, 61))
    assert "PARAMCD='BASDAI1'" in problem.message and "AVISITN=4" in problem.message


def test_dtype_or_anl01fl_distinguish_records():
    data = _data()
    extra = data["adqs"].iloc[[2]].copy()
    adqs = pd.concat([data["adqs"], extra], ignore_index=True)
    adqs["DTYPE"] = [np.nan] * 60 + ["LOCF"]
    check_contract({**data, "adqs": adqs}, _requirements())
    adqs = adqs.drop(columns="DTYPE")
    adqs["ANL01FL"] = ["Y"] * 60 + [np.nan]
    check_contract({**data, "adqs": adqs}, _requirements())
    adqs.loc[60, "ANL01FL"] = "Y"
    assert _only(_problems({**data, "adqs": adqs}), "duplicated").rows == (3, 61)


def test_visit_outside_window_and_unknown_visit():
    data = _data()
    data["adqs"].loc[2, "ADY"] = 40.0      # Week 4 window is [22, 36]
    data["adqs"].loc[4, ["AVISITN", "AVISIT"]] = [8.0, "Week 8"]  # no week 8 in the schedule
    error = _problems(data)
    outside = [p for p in error.problems if p.rule == "outside_window"][0]
    unknown = [p for p in error.problems if p.rule == "unknown_visit"][0]
    assert (outside.dataset, outside.column, outside.rows) == ("adqs", "ADY", (3,))
    assert "Week 4 (AVISITN 4) window [22, 36]" in outside.message and "ADY=40" in outside.message
    assert (unknown.dataset, unknown.column, unknown.rows) == ("adqs", "AVISITN", (5,))
    assert "AVISITN=8" in unknown.message
    assert len(error.problems) == 2


def test_visit_window_edges_derived_records_and_labels():
    data = _data()
    data["adqs"].loc[2, "ADY"] = 22.0
    data["adqs"].loc[3, "ADY"] = 36.0
    check_contract(data, _requirements())
    data["adqs"]["DTYPE"] = pd.Series(np.nan, index=data["adqs"].index, dtype=object)
    data["adqs"].loc[2, "DTYPE"] = "LOCF"
    data["adqs"].loc[2, "ADY"] = 1.0  # carries the source record's day
    check_contract(data, _requirements())
    schedule = VisitSchedule.from_table(["adqs"], SCHEDULE, skip_derived=False, label_column="AVISIT")
    data["adqs"].loc[1, "AVISIT"] = "Week 12"  # a baseline record labelled Week 12
    data["adqs"].loc[5, "AVISIT"] = "  WEEK   12 "  # case and blanks are not mismatches
    req = DataRequirements(visit_schedules=(schedule,), subject_dataset=None)
    error = _problems(data, req)
    assert {(p.rule, p.rows) for p in error.problems} == {("outside_window", (3,)), ("visit_label_mismatch", (2,))}


def test_missing_visit_when_not_allowed():
    data = _data()
    data["adqs"].loc[0, "AVISITN"] = np.nan
    req = DataRequirements(visit_schedules=(VisitSchedule.from_table(["adqs"], SCHEDULE, missing_visit_allowed=False),))
    error = _problems(data, req)
    assert [(p.rule, p.rows) for p in error.problems] == [("missing_visit", (1,))]


def test_several_problems_reported_together():
    data = _data()
    data["adsl"].loc[8, "USUBJID"] = "S-004"
    data["adsl"] = data["adsl"].drop(columns=["TRT01A"])
    data["adqs"].loc[12, "AVAL"] = 11.0
    data["adqs"].loc[2, "ADY"] = 40.0
    data["adae"].loc[1, "AETOXGR"] = 6.0
    error = _problems(data)
    rules = sorted((p.dataset, p.column, p.rule) for p in error.problems)
    assert rules == [("adae", "AETOXGR", "out_of_range"), ("adqs", "ADY", "outside_window"),
                     ("adqs", "AVAL", "out_of_range"), ("adqs", "USUBJID", "unknown_subject"),
                     ("adsl", "TRT01A", "missing_column"), ("adsl", "USUBJID", "duplicated")]
    first = str(error).splitlines()[0]
    assert first.startswith("6 data problems: ") and "adsl.USUBJID duplicated (rows 4, 9)" in first
    assert len(str(error).splitlines()) == 7
    assert isinstance(error, ValueError)


def test_examples_capped_with_count_and_row_numbers_follow_the_file():
    data = _data()
    data["adqs"]["AVAL"] = 20.0
    data["adqs"] = data["adqs"][data["adqs"]["PARAMCD"] == "BASDAI1"]  # caller filtered: index kept
    error = _problems(data)
    problem = error.problems[0]
    assert problem.rows == tuple(range(1, 61, 2)) and problem.n_rows == 30
    assert problem.message.count("row ") == 5 and "(25 more)" in problem.message
    assert "(rows 1, 3, 5, ... 30 rows)" in str(error).splitlines()[0]


def test_requirements_objects():
    req = DataRequirements(required_datasets=["ADSL"], columns=[ColumnSpec("ADSL", "age", "numeric")])
    assert req.required_datasets == ("adsl",) and req.columns[0].name == "AGE"
    with pytest.raises(ValueError, match="kind"):
        ColumnSpec("adsl", "AGE", "integer")
    with pytest.raises(ValueError, match="lo 5 > hi 1"):
        ValueRange("adqs", lo=5, hi=1)
    with pytest.raises(ValueError, match="more than once"):
        VisitSchedule(("adqs",), (Visit(avisitn=0, label="Baseline", target_day=1, window=(None, 1)),
                                  Visit(avisitn=0, label="Day 1", target_day=1, window=(None, 1))))
    schedule = VisitSchedule.from_table(["adqs"], [(0, "Baseline", 1, None, 1)])  # rows become the plan's Visit
    assert schedule.windows == (Visit(avisitn=0, label="Baseline", target_day=1, window=(None, 1)),)
    base = default_requirements_for_contract()
    relaxed = base.with_optional("adae", "AETOXGR", "DLTFL")
    assert {c.name for c in relaxed.specs_for("adae") if not c.required} == {"AETOXGR", "DLTFL"}
    with pytest.raises(ValueError, match="no column spec"):
        base.with_optional("adae", "NOPE")
    wider = base.merge(DataRequirements(ranges=(ValueRange("adqs", "AVAL", "BASDAI1", 0, 100),),
                                        allowed=(AllowedValues("SAFFL", ("Y",)),),
                                        unique_keys=(UniqueKey("adsl", ("USUBJID",), missing_allowed=True),)))
    assert [r.hi for r in wider.ranges if r.paramcd == "BASDAI1"] == [100]
    assert [a.values for a in wider.allowed if a.column == "SAFFL"] == [("Y",)]
    assert len(wider.ranges) == len(base.ranges) and len(wider.unique_keys) == len(base.unique_keys)


def test_dataset_and_column_names_case_insensitive():
    data = {k.upper(): v.rename(columns=str.lower) for k, v in _data().items()}
    check_contract(data, _requirements())
    data["ADQS"].loc[12, "aval"] = 11.0
    assert _only(_problems(data), "out_of_range").rows == (13,)
