"""Adapters of the baseline family (sap.adapters.baseline) on a six-subject ADSL for the shipped ucmsc-ra plan.

Subjects (TRT01P; SAFFL/FASFL; EOSSTT): S1 UC-MSC Y/Y completed; S2 UC-MSC Y/Y discontinued (adverse event);
S3 DMARDs Y/"y" completed; S4 DMARDs Y/N status missing (ongoing); S5 UC-MSC + DMARDs N/N discontinued
(withdrawal); S6 no treatment (screen failure: "Not assigned" column) N/N status "SCREEN FAILURE", a status
outside the ADaM terms. Every expectation below is counted by hand from this table.
"""
from __future__ import annotations

import math

import pandas as pd
import pytest

from sap.adapters import baseline
from sap.context import AnalysisContext, assign_arms
from sap.data import DataContractError
from sap.results import AnalysisResult, Exclusion
from sap.errors import PlanError
from sap.spec import Analysis, load_plan, plan_from_mapping

U, D, C = "UC-MSC", "DMARDs", "UC-MSC + DMARDs"
TOL = 1e-12


@pytest.fixture(scope="module")
def plan():
    return load_plan("ucmsc-ra")


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
        "TRT01P": [U, U, D, D, C, None],
        "SAFFL": ["Y", "Y", "Y", "Y", "N", "N"],
        "FASFL": ["Y", "Y", "y", "N", "N", "N"],
        "AGE": [30, 40, 50, 61, 25, 45],
        "SEX": ["M", "F", "M", "M", "F", "M"],
        "EOSSTT": ["COMPLETED", "DISCONTINUED", "COMPLETED", None, "DISCONTINUED", "SCREEN FAILURE"],
        "DCSREAS": [None, "ADVERSE EVENT", None, None, "WITHDRAWAL BY SUBJECT", None],
        "TRTSDT": ["2020-01-01", "2020-01-05", "2020-01-01", None, None, None],
        "TRTEDT": ["2020-01-10", "2020-01-05", "2020-01-31", None, None, None],
    })


def _context(plan, adsl=None, adex=None, adeff=None) -> AnalysisContext:
    adsl = assign_arms(plan, _adsl() if adsl is None else adsl)
    datasets = {"adsl": adsl}
    if adex is not None:
        datasets["adex"] = adex
    derived = {"adeff": adeff} if adeff is not None else {}
    return AnalysisContext(plan=plan, datasets=datasets, adsl=adsl, derived=derived)


def _counts(result: AnalysisResult) -> dict[tuple[str, str], int]:
    rows = result.rows[result.rows["statistic"] == "count"]
    return {(r.label, r.group): int(r.estimate) for r in rows.itertuples()}


def _row(result: AnalysisResult, label: str, group: str, statistic: str) -> pd.Series:
    r = result.rows
    sel = r[(r["label"] == label) & (r["group"] == group) & (r["statistic"] == statistic)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_disposition_accounts_for_every_adsl_subject_once(plan):
    result = baseline.disposition(_context(plan), plan.analysis("DISP"))
    assert isinstance(result, AnalysisResult) and not hasattr(result, "tables")
    assert dict(result.group_n) == {U: 2, D: 2, C: 1}          # ctx.column_counts: the plan's arms only
    assert dict(result.extra["column_n"]) == {U: 2, D: 2, C: 1, "Not assigned": 1, "Total": 6}
    assert result.records_used == 6 and result.excluded == ()
    c = _counts(result)
    cols = [U, D, C, "Not assigned", "Total"]
    expected = {
        "Enrolled": [2, 2, 1, 1, 6],
        "Treated (safety population)": [2, 2, 0, 0, 4],
        "Completed the study": [1, 1, 0, 0, 2],
        "Discontinued the study": [1, 0, 1, 0, 2],
        "ADVERSE EVENT": [1, 0, 0, 0, 1],
        "WITHDRAWAL BY SUBJECT": [0, 0, 1, 0, 1],
        "Other end-of-study status: SCREEN FAILURE": [0, 0, 0, 1, 1],
        "Ongoing / status not recorded": [0, 1, 0, 0, 1],
    }
    assert list(dict.fromkeys(result.rows["label"])) == list(expected)
    for label, values in expected.items():
        assert [c[(label, g)] for g in cols] == values, label
    status_rows = ("Completed the study", "Discontinued the study", "Other end-of-study status: SCREEN FAILURE",
                   "Ongoing / status not recorded")
    for g in cols:  # each subject in exactly one status row: the status rows add up to the enrolled
        assert sum(c[(s, g)] for s in status_rows) == c[("Enrolled", g)]
    assert c[("Enrolled", "Total")] == len(_adsl())
    assert result.extra["reasons"] == ("ADVERSE EVENT", "WITHDRAWAL BY SUBJECT")
    assert result.extra["other_statuses"] == ("SCREEN FAILURE",)
    assert set(result.rows["n"][result.rows["group"] == "Total"]) == {6}  # denominators = column N


def test_populations_counts_flags_as_population_subjects_does(plan):
    pop = Analysis(id="POP", title="Analysis populations", method="populations", population="ENR")
    result = baseline.populations(_context(plan), pop)
    c = _counts(result)
    cols = [U, D, C, "Not assigned", "Total"]
    assert [c[("Enrolled", g)] for g in cols] == [2, 2, 1, 1, 6]
    assert [c[("Safety", g)] for g in cols] == [2, 2, 0, 0, 4]
    assert [c[("Full analysis set", g)] for g in cols] == [2, 1, 0, 0, 3]  # S3's "y" counts, as in the FAS analyses
    assert result.notes == ()
    no_fas = _context(plan, adsl=_adsl().drop(columns=["FASFL"]))
    result = baseline.populations(no_fas, pop)
    assert _counts(result)[("Full analysis set", "Total")] == 0
    assert result.notes == ("Full analysis set: flag FASFL is not in ADSL; no subject counted",)


def test_demographics_statistics_exclusions_and_notes(plan):
    adeff = pd.DataFrame({"USUBJID": ["S1", "S3", "S1"], "PARAMCD": ["DAS28CRP", "DAS28CRP", "DAS28CRP"],
                          "ABLFL": ["Y", "Y", ""], "AVAL": [5.0, 3.0, 9.0]})
    result = baseline.demographics(_context(plan, adeff=adeff), plan.analysis("DEMOG"))
    # FAS = S1, S2 (UC-MSC), S3 (DMARDs); UC-MSC + DMARDs has no FAS subject; no Not assigned column
    assert dict(result.extra["column_n"]) == {U: 2, D: 1, C: 0, "Total": 3}
    age = "Age (years)"
    # UC-MSC ages 30, 40: mean 35, SD sqrt(((-5)^2 + 5^2)/1) = sqrt(50), median 35; Total 30, 40, 50: SD 10
    assert _row(result, age, U, "mean")["estimate"] == 35.0
    assert _row(result, age, U, "mean")["se"] == pytest.approx(math.sqrt(50) / math.sqrt(2), abs=TOL)
    assert _row(result, age, U, "sd")["estimate"] == pytest.approx(math.sqrt(50), abs=TOL)
    assert _row(result, age, "Total", "sd")["estimate"] == pytest.approx(10.0, abs=TOL)
    assert _row(result, age, "Total", "median")["estimate"] == 40.0
    assert math.isnan(_row(result, age, D, "sd")["estimate"]) and _row(result, age, C, "mean")["n"] == 0
    # results rows keep mean/sd/median; min and max are in the descriptive frame
    assert set(result.rows.loc[result.rows["label"] == age, "statistic"]) == {"mean", "sd", "median"}
    desc = result.frames["descriptive"]
    tot = desc[(desc["label"] == age) & (desc["group"] == "Total")].set_index("statistic")["estimate"]
    assert (tot["min"], tot["max"]) == (30.0, 50.0)
    # baseline DAS28-CRP: the ABLFL = Y record only; S2 has none (excluded); Total 5, 3 -> mean 4, SD sqrt(2)
    das = "Baseline DAS28-CRP"
    assert _row(result, das, U, "mean")[["estimate", "n"]].tolist() == [5.0, 1]
    assert _row(result, das, "Total", "sd")["estimate"] == pytest.approx(math.sqrt(2), abs=TOL)
    assert result.excluded == (Exclusion("no Baseline DAS28-CRP value (left out of its statistics)", 1, "subjects"),)
    assert result.notes == ("HAQDI_BL: not available in the data",)
    c = _counts(result)
    assert [c[("Sex: F", g)] for g in (U, D, C, "Total")] == [1, 0, 0, 1]
    assert [c[("Sex: M", g)] for g in (U, D, C, "Total")] == [1, 1, 0, 2]
    assert dict(result.extra["categories"]) == {"Sex": ("F", "M")}


def _adex() -> pd.DataFrame:
    """S1 UC-MSC x4 (40 x 10^6 cells each); S2 UC-MSC x1 (40) and methotrexate x2 (15 mg, missing); S3 methotrexate
    x3 (15 mg each); S5 (not in SAF) UC-MSC x2."""
    return pd.DataFrame({"USUBJID": ["S1"] * 4 + ["S2", "S2", "S2", "S3", "S3", "S3", "S5", "S5"],
                         "EXTRT": ["UC-MSC"] * 5 + ["Methotrexate"] * 5 + ["UC-MSC"] * 2,
                         "EXDOSE": [40.0] * 5 + [15.0, None, 15.0, 15.0, 15.0, 40.0, 40.0],
                         "EXDOSU": ["10^6 cells"] * 5 + ["mg"] * 5 + ["10^6 cells"] * 2})


def _prow(result: AnalysisResult, product: str, label: str, group: str, statistic: str) -> pd.Series:
    r = result.rows
    sel = r[(r["parameter"] == product) & (r["label"] == label) & (r["group"] == group) & (r["statistic"] == statistic)]
    assert len(sel) == 1
    return sel.iloc[0]


def test_exposure_per_product_in_its_own_unit(plan):
    result = baseline.exposure(_context(plan, adex=_adex()), plan.analysis("EXPO"))
    # SAF = S1, S2 (UC-MSC), S3, S4 (DMARDs)
    assert dict(result.extra["column_n"]) == {U: 2, D: 2, C: 0, "Total": 4}
    assert result.extra["products"] == ("Methotrexate", "UC-MSC")
    assert result.extra["dose_units"] == {"Methotrexate": "mg", "UC-MSC": "10^6 cells"}
    assert result.extra["dose_not_collected"] == ()
    treated = {(g, p): int(_prow(result, p, "treated", g, "count")["estimate"])
               for g in (U, D, "Total") for p in ("UC-MSC", "Methotrexate")}
    assert treated == {(U, "UC-MSC"): 2, (D, "UC-MSC"): 0, ("Total", "UC-MSC"): 2,
                       (U, "Methotrexate"): 1, (D, "Methotrexate"): 1, ("Total", "Methotrexate"): 2}
    # UC-MSC administrations: S1 4, S2 1 -> k = 1..4 rows; mean 2.5 among the 2 treated
    assert [int(_prow(result, "UC-MSC", f"administrations={k}", U, "count")["estimate"]) for k in range(1, 5)] \
        == [1, 0, 0, 1]
    assert _prow(result, "UC-MSC", "administrations", U, "mean")[["estimate", "n"]].tolist() == [2.5, 2]
    # UC-MSC cumulative dose (10^6 cells): S1 160, S2 40 -> mean 100; never added to methotrexate mg
    assert _prow(result, "UC-MSC", "cumulative dose", U, "mean")[["estimate", "n"]].tolist() == [100.0, 2]
    assert _prow(result, "UC-MSC", "cumulative dose", "Total", "mean")[["estimate", "n"]].tolist() == [100.0, 2]
    # methotrexate (mg): S3 45; S2 has a dose missing -> unknown, left out (n 1 of 2 treated)
    assert _prow(result, "Methotrexate", "cumulative dose", "Total", "mean")[["estimate", "n"]].tolist() == [45.0, 1]
    assert _prow(result, "Methotrexate", "administrations", "Total", "mean")[["estimate", "n"]].tolist() == [2.5, 2]
    # duration (days, inclusive): S1 10, S2 1, S3 31, S4 missing -> UC-MSC median 5.5, Total median 10
    assert _row(result, "treatment duration days", U, "median")["estimate"] == 5.5
    assert _row(result, "treatment duration days", "Total", "median")[["estimate", "n"]].tolist() == [10.0, 3]
    assert result.extra["adex_supplied"] is True
    assert result.records_used == 10  # ADEX records of the safety population (S5's 2 are not)
    assert result.excluded == (
        Exclusion("subject not in the Safety population", 2, "ADEX records"),
        Exclusion("Methotrexate: EXDOSE missing on some or all of the subject's records (left out of the cumulative "
                  "dose of Methotrexate)", 1, "subjects"),
        Exclusion("TRTSDT or TRTEDT missing (left out of the treatment duration)", 1, "subjects"))


def test_exposure_dose_not_collected(plan):
    """No EXDOSE on any record of the product (wang2013): the count is shown, the dose is 'not collected'."""
    adex = _adex().assign(EXDOSE=None)
    result = baseline.exposure(_context(plan, adex=adex), plan.analysis("EXPO"))
    assert result.extra["dose_not_collected"] == ("Methotrexate", "UC-MSC")
    assert _prow(result, "UC-MSC", "cumulative dose", U, "mean")["n"] == 0
    assert _prow(result, "UC-MSC", "administrations", U, "mean")["estimate"] == 2.5
    assert not any("EXDOSE missing" in e.reason for e in result.excluded)


def test_exposure_bad_units_are_data_errors(plan):
    """A dose without its unit, and one product in two units: DataContractError naming adex, column and rows
    (1-based record numbers as in the file)."""
    adex = _adex()
    adex.loc[1, "EXDOSU"] = None          # record 2: 40 without a unit
    adex.loc[9, "EXDOSU"] = "g"           # record 10: methotrexate in g beside 4 records in mg
    with pytest.raises(DataContractError) as info:
        baseline.exposure(_context(plan, adex=adex), plan.analysis("EXPO"))
    found = {(p.where, p.rule, p.rows) for p in info.value.problems}
    assert found == {("adex.EXDOSU", "dose_without_unit", (2,)), ("adex.EXDOSU", "mixed_units", (10,))}
    assert "product 'Methotrexate' has doses in 2 units (mg on 4 rows, g on 1 row)" in str(info.value)


def _plan_with_courses(plan, courses):
    raw = plan.model_dump(mode="json")
    for a in raw["analyses"]:
        if a["id"] == "EXPO":
            a["options"] = {"courses": courses}
    return plan_from_mapping(raw, "ucmsc-ra with courses (test)")


def test_exposure_courses_count_each_window(plan):
    """S1's UC-MSC on study days 1, 92, 183, 274 (EXSTDT from TRTSDT 2020-01-01), S2's on day 1: course 1 (days
    1-91) S1 1, S2 1; course 2 (days 92-365) S1 3, S2 0 -> treated 1 of 2, mean 3."""
    adex = _adex()
    adex["EXSTDT"] = pd.to_datetime(["2020-01-01", "2020-04-01", "2020-07-01", "2020-09-30", "2020-01-05",
                                     "2020-01-05", "2020-02-02", "2020-01-01", "2020-01-29", "2020-02-26",
                                     "2020-03-01", "2020-04-01"])
    courses = [{"label": "Course 1", "product": "UC-MSC", "days": [1, 91]},
               {"label": "Course 2", "product": "UC-MSC", "days": [92, 365]}]
    p = _plan_with_courses(plan, courses)
    result = baseline.exposure(_context(p, adex=adex), p.analysis("EXPO"))
    assert result.extra["courses"] == (("course 1: ", "Course 1", "UC-MSC", (1, 91)),
                                       ("course 2: ", "Course 2", "UC-MSC", (92, 365)))
    assert int(_prow(result, "UC-MSC", "course 1: treated", U, "count")["estimate"]) == 2
    assert int(_prow(result, "UC-MSC", "course 2: treated", U, "count")["estimate"]) == 1
    assert _prow(result, "UC-MSC", "course 1: administrations", U, "mean")[["estimate", "n"]].tolist() == [1.0, 2]
    assert _prow(result, "UC-MSC", "course 2: administrations", U, "mean")[["estimate", "n"]].tolist() == [3.0, 1]
    assert not any(lab.startswith("course 2: administrations=") for lab in result.rows["label"].astype(str))


def test_exposure_course_days_must_be_ordered(plan):
    with pytest.raises(PlanError, match=r"course 'Course 2': days \(365, 92\) \(first day after last day\)"):
        _plan_with_courses(plan, [{"label": "Course 2", "product": "UC-MSC", "days": [365, 92]}])


def test_exposure_without_adex_or_dates_is_not_estimable(plan):
    ctx = _context(plan, adsl=_adsl().drop(columns=["TRTSDT", "TRTEDT"]))
    result = baseline.exposure(ctx, plan.analysis("EXPO"))
    assert result.not_estimable == "neither ADEX nor ADSL TRTSDT/TRTEDT is available"
    only_dates = baseline.exposure(_context(plan), plan.analysis("EXPO"))
    assert only_dates.produced and only_dates.extra["adex_supplied"] is False
    assert set(only_dates.rows["label"]) == {"treatment duration days"}
