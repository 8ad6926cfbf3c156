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
from sap.results import AnalysisResult, Exclusion
from sap.spec import Analysis, load_plan

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


def test_exposure_infusions_dose_duration_and_exclusions(plan):
    adex = pd.DataFrame({"USUBJID": ["S1"] * 4 + ["S2", "S5", "S5"], "EXDOSE": [40.0] * 7,
                         "EXDOSU": ["10^6 cells"] * 7})
    result = baseline.exposure(_context(plan, adex=adex), plan.analysis("EXPO"))
    # SAF = S1, S2 (UC-MSC), S3, S4 (DMARDs); infusions 4, 1, 0, 0
    assert dict(result.extra["column_n"]) == {U: 2, D: 2, C: 0, "Total": 4}
    c = _counts(result)
    assert sorted({lab for lab, _ in c}) == [f"infusions={k}" for k in range(5)]
    assert [c[(f"infusions={k}", U)] for k in range(5)] == [0, 1, 0, 0, 1]
    assert [c[(f"infusions={k}", "Total")] for k in range(5)] == [2, 1, 0, 0, 1]
    assert _row(result, "infusions", U, "mean")["estimate"] == 2.5
    assert _row(result, "infusions", "Total", "mean")[["estimate", "n"]].tolist() == [1.25, 4]
    # cumulative dose: S1 160, S2 40 -> UC-MSC mean 100 (n 2); DMARDs have no ADEX record (n 0)
    assert _row(result, "cumulative dose", U, "mean")[["estimate", "n"]].tolist() == [100.0, 2]
    assert _row(result, "cumulative dose", D, "mean")["n"] == 0
    # duration (days, inclusive): S1 10, S2 1, S3 31, S4 missing -> UC-MSC median 5.5, Total median 10
    assert _row(result, "treatment duration days", U, "median")["estimate"] == 5.5
    assert _row(result, "treatment duration days", "Total", "median")[["estimate", "n"]].tolist() == [10.0, 3]
    assert result.extra["dose_unit"] == "10^6 cells" and result.extra["adex_supplied"] is True
    assert result.records_used == 5  # ADEX records of the safety population
    assert set(result.excluded) == {
        Exclusion("subject not in the Safety population", 2, "ADEX records"),
        Exclusion("no ADEX record (left out of the cumulative dose)", 2, "subjects"),
        Exclusion("TRTSDT or TRTEDT missing (left out of the treatment duration)", 1, "subjects")}


def test_exposure_without_adex_or_dates_is_not_estimable(plan):
    ctx = _context(plan, adsl=_adsl().drop(columns=["TRTSDT", "TRTEDT"]))
    result = baseline.exposure(ctx, plan.analysis("EXPO"))
    assert result.not_estimable == "neither ADEX nor ADSL TRTSDT/TRTEDT is available"
    only_dates = baseline.exposure(_context(plan), plan.analysis("EXPO"))
    assert only_dates.produced and only_dates.extra["adex_supplied"] is False
    assert set(only_dates.rows["label"]) == {"treatment duration days"}
