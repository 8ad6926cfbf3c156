"""Table shells of the baseline family (disposition, populations, demographics, exposure) on hand-built results.

Expected cells are written by hand from the inline numbers: n (x.x%) with the percentage of the column N to 1
decimal ("0" alone for none), demographic means and medians 1 decimal and SDs 2, exposure per product in its own
unit (means and doses 2 decimals, median administrations 1), durations whole days. Plan: ucmsc-ra (DISP, DEMOG,
EXPO; populations Enrolled, Safety, Full analysis set).
"""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from analyses.results import tidy_frame
from reports.shells import display_tables
from reports.shells.baseline import demographics_table, disposition_table, exposure_table, populations_table
from reports.shells.common import ShellContext
from sap.results import AnalysisResult, Exclusion, not_estimable_result
from sap.spec import load_plan

U, D = "UC-MSC", "DMARDs"
COLUMNS = {U: 4, D: 3, "Not assigned": 1, "Total": 8}
HEADERS = [f"{U} (N=4)", f"{D} (N=3)", "Not assigned (N=1)", "Total (N=8)"]


@pytest.fixture(scope="module")
def plan():
    return load_plan("ucmsc-ra")


@pytest.fixture(scope="module")
def sc(plan):
    return ShellContext(plan, data_source="test data")


def _result(plan, analysis_id: str, rows: list[dict], *, column_n=COLUMNS, extra=None, **kw) -> AnalysisResult:
    """A result of the plan's analysis ``analysis_id`` (POP: a populations analysis, not in the plan)."""
    a = ("POP", "populations", "Analysis populations", "ENR") if analysis_id == "POP" else (
        analysis_id, plan.analysis(analysis_id).method, plan.analysis(analysis_id).title,
        plan.analysis(analysis_id).population)
    return AnalysisResult(*a, None, tidy_frame(rows), group_n={U: 4, D: 3},
                          extra={"column_n": column_n, **(extra or {})}, **kw)


def _counts(label: str, values) -> list[dict]:
    return [dict(group=g, statistic="count", estimate=v, n=COLUMNS[g], label=label) for g, v in zip(COLUMNS, values)]


def _render(tables) -> list[dict]:
    return [{"title": t.title, "columns": list(t.frame.columns), "cells": t.frame.fillna("").values.tolist(),
             "footnotes": list(t.footnotes), "stub": list(t.stub_columns), "group_column": t.group_column}
            for t in tables]


# --------------------------------------------------------------------------- disposition
def _disposition(plan, other: bool = False) -> AnalysisResult:
    rows = (_counts("Enrolled", [4, 3, 1, 8]) + _counts("Completed the study", [3, 2, 0, 5])
            + _counts("Discontinued the study", [1, 1, 0, 2]) + _counts("ADVERSE EVENT", [1, 0, 0, 1])
            + _counts("WITHDRAWAL BY SUBJECT", [0, 1, 0, 1]))
    if other:
        rows += _counts("Other end-of-study status: SCREEN FAILURE", [0, 0, 1, 1])
    rows += _counts("Ongoing / status not recorded", [0, 0, 0 if other else 1, 0 if other else 1])
    return _result(plan, "DISP", rows, extra={"reasons": ("ADVERSE EVENT", "WITHDRAWAL BY SUBJECT"),
                                              "other_statuses": ("SCREEN FAILURE",) if other else ()})


def test_disposition_cells_headers_and_indented_reasons(plan, sc):
    (t,) = disposition_table(_disposition(plan, other=True), sc)
    assert list(t.frame.columns) == ["Category", *HEADERS]
    assert t.frame.values.tolist() == [
        ["Enrolled", "4 (100.0%)", "3 (100.0%)", "1 (100.0%)", "8 (100.0%)"],
        ["Completed the study", "3 (75.0%)", "2 (66.7%)", "0", "5 (62.5%)"],
        ["Discontinued the study", "1 (25.0%)", "1 (33.3%)", "0", "2 (25.0%)"],
        ["  ADVERSE EVENT", "1 (25.0%)", "0", "0", "1 (12.5%)"],
        ["  WITHDRAWAL BY SUBJECT", "0", "1 (33.3%)", "0", "1 (12.5%)"],
        ["Other end-of-study status: SCREEN FAILURE", "0", "0", "1 (100.0%)", "1 (12.5%)"],
        ["Ongoing / status not recorded", "0", "0", "0", "0"],
    ]
    assert t.footnotes[0].startswith("Completed + discontinued + other end-of-study status + ongoing = enrolled")
    assert t.footnotes[1].startswith("Population: Enrolled (All enrolled subjects).")
    assert t.footnotes[-1] == "Data source: test data."
    assert t.stub_columns == ("Category",)


def test_disposition_without_column_n_falls_back_to_group_n(plan, sc):
    result = _result(plan, "DISP", [dict(group=U, statistic="count", estimate=2, n=4, label="Enrolled")],
                     column_n=None)
    (t,) = disposition_table(result, sc)
    assert list(t.frame.columns) == ["Category", f"{U} (N=4)", f"{D} (N=3)"]
    assert t.frame.values.tolist() == [["Enrolled", "2 (50.0%)", ""]]


def test_disposition_snapshot(plan, sc, snapshot):
    assert _render(disposition_table(_disposition(plan), sc)) == snapshot


# --------------------------------------------------------------------------- populations
def _populations(plan) -> AnalysisResult:
    rows = _counts("Enrolled", [4, 3, 1, 8]) + _counts("Safety", [4, 2, 0, 6]) + _counts("Full analysis set",
                                                                                         [3, 2, 0, 5])
    return _result(plan, "POP", rows, notes=("Full analysis set: flag FASFL is not in ADSL; no subject counted",))


def test_populations_cells_and_definitions(plan, sc):
    (t,) = populations_table(_populations(plan), sc)
    assert list(t.frame.columns) == ["Population", *HEADERS]
    assert t.frame.values.tolist() == [
        ["Enrolled", "4 (100.0%)", "3 (100.0%)", "1 (100.0%)", "8 (100.0%)"],
        ["Safety", "4 (100.0%)", "2 (66.7%)", "0", "6 (75.0%)"],
        ["Full analysis set", "3 (75.0%)", "2 (66.7%)", "0", "5 (62.5%)"],
    ]
    assert t.footnotes == ("Enrolled: All enrolled subjects.", "Safety: All subjects who received study treatment.",
                           "Full analysis set: All subjects with study treatment and a baseline assessment.",
                           "Full analysis set: flag FASFL is not in ADSL; no subject counted",
                           "Data source: test data.")


def test_populations_snapshot(plan, sc, snapshot):
    assert _render(populations_table(_populations(plan), sc)) == snapshot


# --------------------------------------------------------------------------- demographics
def _desc(label: str, stats: dict[str, tuple]) -> list[dict]:
    """stats: group -> (n, mean, sd, median, min, max)."""
    rows = []
    for g, (n, *values) in stats.items():
        for s, v in zip(("mean", "sd", "median", "min", "max"), values):
            rows.append(dict(group=g, statistic=s, estimate=v, n=n, label=label))
    return rows


def _demographics(plan) -> AnalysisResult:
    age = _desc("Age (years)", {U: (4, 41.25, 10.4682, 40.5, 30.0, 54.0), D: (3, 50.0, np.nan, 50.0, 50.0, 50.0),
                                "Not assigned": (0, np.nan, np.nan, np.nan, np.nan, np.nan),
                                "Total": (7, 45.0, 9.12345, 47.0, 30.0, 61.0)})
    rows = [r for r in age if r["statistic"] in ("mean", "sd", "median")]
    rows += _counts("Sex: F", [1, 0, 0, 1]) + _counts("Sex: M", [3, 3, 1, 7])
    return _result(plan, "DEMOG", rows, frames={"descriptive": tidy_frame(age)},
                   excluded=(Exclusion("no Age (years) value (left out of its statistics)", 1, "subjects"),),
                   notes=("HAQDI_BL: not available in the data",), extra={"categories": {"Sex": ("F", "M")}})


def test_demographics_cells(plan, sc):
    (t,) = demographics_table(_demographics(plan), sc)
    assert list(t.frame.columns) == ["Characteristic", "Statistic", *HEADERS]
    assert t.frame.values.tolist() == [
        ["Age (years)", "n", "4", "3", "", "7"],
        ["Age (years)", "Mean (SD)", "41.2 (10.47)", "50.0 (NE)", "", "45.0 (9.12)"],  # 41.25 -> 41.2 (half-even)
        ["Age (years)", "Median", "40.5", "50.0", "", "47.0"],
        ["Age (years)", "Min, Max", "30.0, 54.0", "50.0, 50.0", "", "30.0, 61.0"],
        ["Sex", "F", "1 (25.0%)", "0", "0", "1 (12.5%)"],
        ["Sex", "M", "3 (75.0%)", "3 (100.0%)", "1 (100.0%)", "7 (87.5%)"],
    ]
    assert t.footnotes[:3] == ("SD: standard deviation. Percentages of the column N.",
                               "1 subject excluded: no Age (years) value (left out of its statistics).",
                               "HAQDI_BL: not available in the data")
    assert t.stub_columns == ("Characteristic", "Statistic") and t.group_column == "Characteristic"


def test_demographics_snapshot(plan, sc, snapshot):
    assert _render(demographics_table(_demographics(plan), sc)) == snapshot


# --------------------------------------------------------------------------- exposure
def _exposure(plan, adex: bool = True, collected: bool = True) -> AnalysisResult:
    """Two products: UC-MSC (10^6 cells) given to UC-MSC subjects, methotrexate (mg) to DMARDs subjects."""
    desc = _desc("treatment duration days", {U: (4, 20.0, 3.0, 21.5, 10.0, 23.0), D: (3, 22.0, 1.0, 22.0, 21.0, 23.0),
                                             "Not assigned": (0,) + (np.nan,) * 5,
                                             "Total": (7, 20.857, 2.5, 22.0, 10.0, 23.0)})
    rows, extra = [], {"adex_supplied": adex}
    if adex:
        none = (0,) + (np.nan,) * 5
        msc = [dict(r, parameter="UC-MSC") for r in
               _counts("treated", [4, 0, 0, 4]) + _counts("administrations=1", [1, 0, 0, 1])
               + _counts("administrations=2", [3, 0, 0, 3])]
        mtx = [dict(r, parameter="Methotrexate") for r in _counts("treated", [0, 3, 0, 3])]
        rows = mtx + msc
        desc = ([dict(r, parameter="Methotrexate") for r in
                 _desc("administrations", {U: none, D: (3, 12.0, 1.0, 12.0, 11.0, 13.0), "Not assigned": none,
                                           "Total": (3, 12.0, 1.0, 12.0, 11.0, 13.0)})
                 + _desc("cumulative dose", {U: none, D: (3, 180.0, 15.0, 180.0, 165.0, 195.0), "Not assigned": none,
                                             "Total": (3, 180.0, 15.0, 180.0, 165.0, 195.0)})]
                + [dict(r, parameter="UC-MSC") for r in
                   _desc("administrations", {U: (4, 1.75, 0.5, 2.0, 1.0, 2.0), D: none, "Not assigned": none,
                                             "Total": (4, 1.75, 0.5, 2.0, 1.0, 2.0)})
                   + _desc("cumulative dose", {U: (4, 70.0, 20.0, 80.0, 40.0, 80.0) if collected else none, D: none,
                                               "Not assigned": none,
                                               "Total": (4, 70.0, 20.0, 80.0, 40.0, 80.0) if collected else none})]
                + desc)
        extra.update(products=("Methotrexate", "UC-MSC"), dose_units={"Methotrexate": "mg", "UC-MSC": "10^6 cells"},
                     dose_not_collected=() if collected else ("UC-MSC",))
    kept = {"administrations": "mean", "cumulative dose": "mean", "treatment duration days": "median"}
    rows += [r for r in desc if kept[r["label"]] == r["statistic"]]
    return _result(plan, "EXPO", rows, frames={"descriptive": tidy_frame(desc)}, extra=extra)


def test_exposure_cells_per_product_in_its_own_unit(plan, sc):
    (t,) = exposure_table(_exposure(plan), sc)
    assert list(t.frame.columns) == ["Parameter", "Statistic", *HEADERS]
    m, u = "Methotrexate", "UC-MSC"
    assert t.frame.values.tolist() == [
        [m, "Subjects treated", "0", "3 (100.0%)", "0", "3 (37.5%)"],
        [m, "Administrations, mean (SD)", "", "12.00 (1.00)", "", "12.00 (1.00)"],
        [m, "Administrations, median (min, max)", "", "12.0 (11, 13)", "", "12.0 (11, 13)"],
        [m, "Cumulative dose (mg), mean (SD)", "", "180.00 (15.00)", "", "180.00 (15.00)"],
        [m, "Cumulative dose (mg), median (min, max)", "", "180.00 (165.00, 195.00)", "", "180.00 (165.00, 195.00)"],
        [u, "Subjects treated", "4 (100.0%)", "0", "0", "4 (50.0%)"],
        [u, "Administrations: 1", "1 (25.0%)", "0", "0", "1 (12.5%)"],
        [u, "Administrations: 2", "3 (75.0%)", "0", "0", "3 (37.5%)"],
        [u, "Administrations, mean (SD)", "1.75 (0.50)", "", "", "1.75 (0.50)"],
        [u, "Administrations, median (min, max)", "2.0 (1, 2)", "", "", "2.0 (1, 2)"],
        [u, "Cumulative dose (10^6 cells), mean (SD)", "70.00 (20.00)", "", "", "70.00 (20.00)"],
        [u, "Cumulative dose (10^6 cells), median (min, max)", "80.00 (40.00, 80.00)", "", "", "80.00 (40.00, 80.00)"],
        ["Treatment duration (days, first to last dose)", "Median (min, max)", "22 (10, 23)", "22 (21, 23)", "",
         "22 (10, 23)"],  # 21.5 -> 22 (0 decimals)
    ]
    assert t.footnotes[0].startswith("Each product (ADEX EXTRT) is summarised in its own unit (EXDOSU); doses of "
                                     "different products are never added.")
    assert t.footnotes[1] == "Source: ADEX (one record per administration)."
    assert t.group_column == "Parameter"


def test_exposure_dose_not_collected(plan, sc):
    """wang2013: no EXDOSE recorded -> 'not collected' where the product was given, never a dose of 0.00."""
    (t,) = exposure_table(_exposure(plan, collected=False), sc)
    cells = t.frame.values.tolist()
    assert ["UC-MSC", "Cumulative dose", "not collected", "", "", "not collected"] in cells
    assert not any("0.00" in c for row in cells for c in row[2:] if row[0] == "UC-MSC" and "dose" in row[1])
    assert t.footnotes[1] == ("UC-MSC: dose not collected (EXDOSE missing on every ADEX record of the product); the "
                              "number of administrations is shown.")


def test_exposure_course_rows_under_their_product(plan, sc):
    """A course of UC-MSC: subjects treated in it and their administrations in it, after the product's dose rows."""
    base = _exposure(plan)
    course = [dict(r, parameter="UC-MSC") for r in _counts("course 2: treated", [3, 0, 0, 3])]
    desc = [dict(r, parameter="UC-MSC") for r in _desc("course 2: administrations", {
        U: (3, 1.6667, 0.57735, 2.0, 1.0, 2.0), D: (0,) + (np.nan,) * 5, "Not assigned": (0,) + (np.nan,) * 5,
        "Total": (3, 1.6667, 0.57735, 2.0, 1.0, 2.0)})]
    result = replace(base, rows=tidy_frame(base.rows.to_dict("records") + course),
                     frames={"descriptive": tidy_frame(base.frames["descriptive"].to_dict("records") + desc)},
                     extra={**base.extra, "courses": (("course 2: ", "Course 2", "UC-MSC", (92, 365)),)})
    (t,) = exposure_table(result, sc)
    cells = t.frame.values.tolist()
    at = [r[1] for r in cells].index("Cumulative dose (10^6 cells), median (min, max)")
    assert cells[at + 1:at + 4] == [
        ["UC-MSC", "Course 2 (study days 92-365): subjects treated", "3 (75.0%)", "0", "0", "3 (37.5%)"],
        ["UC-MSC", "Course 2 (study days 92-365): administrations, mean (SD)", "1.67 (0.58)", "", "", "1.67 (0.58)"],
        ["UC-MSC", "Course 2 (study days 92-365): administrations, median (min, max)", "2.0 (1, 2)", "", "",
         "2.0 (1, 2)"]]


def test_exposure_without_adex(plan, sc):
    (t,) = exposure_table(_exposure(plan, adex=False), sc)
    assert t.frame["Parameter"].tolist() == ["Treatment duration (days, first to last dose)"]
    assert t.footnotes[0] == "Source: ADSL TRTSDT/TRTEDT (no ADEX supplied)."


def test_exposure_snapshot(plan, sc, snapshot):
    assert _render(exposure_table(_exposure(plan), sc)) == snapshot


# --------------------------------------------------------------------------- level, registry, not estimable
@pytest.mark.parametrize("build", [_disposition, _populations, _demographics, _exposure])
def test_level_090_prints_no_hard_coded_95_ci(plan, sc, build):
    """These tables have no interval: a result at level 0.90 prints no 'CI' header or footnote (none hard-coded)."""
    tables = display_tables(replace(build(plan), level=0.90), sc)
    text = " ".join(list(tables[0].frame.columns) + list(tables[0].footnotes))
    assert "CI" not in text and "95%" not in text


def test_display_tables_uses_the_registered_shells_and_not_estimable_note(plan, sc):
    (t,) = display_tables(_disposition(plan), sc)  # the registry names reports.shells.baseline:disposition_table
    assert t.frame.iloc[3].tolist() == ["  ADVERSE EVENT", "1 (25.0%)", "0", "0", "1 (12.5%)"]
    ne = not_estimable_result(plan.analysis("EXPO"), "neither ADEX nor ADSL TRTSDT/TRTEDT is available")
    (t,) = display_tables(ne, sc)
    assert t.frame.values.tolist() == [["Not estimable: neither ADEX nor ADSL TRTSDT/TRTEDT is available"]]
