"""Table shells of the safety family (reports.shells.safety) on hand-built results of the cg-bm1 plan.

Expected cells are written by hand from the inline numbers: AE cells "n (x.x%) [events]" with the percentage of
the column N to 1 decimal ("0" alone for none); incidence rates "n/subject-years (1 decimal): rate (lower, upper)"
to 2 decimals; DLT rates in % to 1 decimal; lab shift cells n (x.x%); lab change "n; mean (SD); median; min, max"
to 2 decimals. Groups: CG-BM1 (RP2D) N=4, Placebo N=3, Total N=7.
"""
from __future__ import annotations

import math

import pytest

from analyses.results import tidy_frame
from reports.shells import display_tables
from reports.shells.common import ShellContext
from reports.shells.safety import (AE_CELL_NOTE, ae_max_grade_table, ae_overview_table, ae_rate_table,
                                   ae_serious_table, ae_soc_pt_table, ae_special_interest_table, dlt_table,
                                   lab_change_table, lab_shift_table)
from sap.registry import AEOptions
from sap.results import AnalysisResult, Exclusion, not_estimable_result
from sap.spec import load_plan

G, P, T = "CG-BM1 (RP2D)", "Placebo", "Total"
N = {G: 4, P: 3, T: 7}
HEADERS = ["CG-BM1 (RP2D) (N=4)", "Placebo (N=3)", "Total (N=7)"]
NAN = math.nan
CATEGORIES = ("LOW", "NORMAL", "HIGH", "MISSING")   # normal-range categories, analysis order


@pytest.fixture(scope="module")
def plan():
    return load_plan("cg-bm1")


@pytest.fixture(scope="module")
def sc(plan):
    return ShellContext(plan, data_source="test data")


def _result(plan, analysis_id: str, rows: list[dict], **kw) -> AnalysisResult:
    a = plan.analysis(analysis_id)
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows),
                          group_n={G: 4, P: 3}, **kw)


def _render(tables) -> list[dict]:
    return [{"title": t.title, "columns": list(t.frame.columns), "cells": t.frame.fillna("").values.tolist(),
             "footnotes": list(t.footnotes), "stub": list(t.stub_columns)} for t in tables]


def _cells(table) -> dict[str, list[str]]:
    return {row[0]: list(row[1:]) for row in table.frame.values.tolist()}


# --------------------------------------------------------------------------- AE tables
def _ae_rows(spec) -> list[dict]:
    """spec: (row_order, label, soc, pt, category, {group: (subjects, events)})."""
    rows = []
    for order, label, soc, pt, cat, cells in spec:
        for g, (n, ev) in cells.items():
            common = dict(group=g, n=N[g], label=label, soc=soc, pt=pt, category=cat, row_order=order)
            rows += [dict(common, statistic="count", estimate=n),
                     dict(common, statistic="percent", estimate=100 * n / N[g]),
                     dict(common, statistic="event_count", estimate=ev)]
    return rows


OVERVIEW = [(0, "Any TEAE", None, None, None, {G: (3, 5), P: (1, 1), T: (4, 6)}),
            (1, "Serious TEAE", None, None, None, {G: (0, 0), P: (1, 2), T: (1, 2)})]
SOC_PT = [(0, "Any TEAE", None, None, None, {G: (3, 5), P: (1, 1), T: (4, 6)}),
          (1, "Gastrointestinal disorders", "Gastrointestinal disorders", None, None, {G: (2, 3), P: (0, 0), T: (2, 3)}),
          (2, "Nausea", "Gastrointestinal disorders", "Nausea", None, {G: (2, 2), P: (0, 0), T: (2, 2)})]
GRADES = [(0, "Any TEAE", None, None, "Any grade", {G: (3, 5), P: (1, 1), T: (4, 6)}),
          (1, "Mild", None, None, "Mild", {G: (1, 3), P: (1, 1), T: (2, 4)}),
          (2, "Moderate", None, None, "Moderate", {G: (2, 2), P: (0, 0), T: (2, 2)})]


def _overview(plan, **kw) -> AnalysisResult:
    return _result(plan, "AE-OVW", _ae_rows(OVERVIEW), extra={"grade_scale": "ctcae", "indent": {0: 0, 1: 0}}, **kw)


def test_ae_overview_cells_headers_and_footnotes(plan, sc):
    result = _overview(plan, excluded=(Exclusion("subject not in the population (1 subject)", 2, "ADAE records"),),
                       notes=("1 record(s) with missing grade/severity",))
    (table,) = ae_overview_table(result, sc)
    assert list(table.frame.columns) == ["Category / term", *HEADERS]
    assert table.stub_columns == ("Category / term",) and table.title == "Overview of treatment-emergent adverse events"
    assert _cells(table) == {"Any TEAE": ["3 (75.0%) [5]", "1 (33.3%) [1]", "4 (57.1%) [6]"],
                             "Serious TEAE": ["0 [0]", "1 (33.3%) [2]", "1 (14.3%) [2]"]}
    assert list(table.footnotes[:3]) == [AE_CELL_NOTE, "Treatment-emergent AEs only (TRTEMFL = Y).",
                                         "Grades: CTCAE v5.0 (AETOXGR)."]
    assert "2 ADAE records excluded: subject not in the population (1 subject)." in table.footnotes
    assert "1 record(s) with missing grade/severity" in table.footnotes
    assert table.footnotes[-1] == "Data source: test data."


def test_ae_all_events_note_from_the_parsed_options(plan):
    analyses = [a.model_copy(update={"options": AEOptions(treatment_emergent_only=False)}) if a.id == "AE-OVW"
                else a for a in plan.analyses]
    sc_all = ShellContext(plan.model_copy(update={"analyses": analyses}))
    (table,) = ae_overview_table(_overview(plan), sc_all)
    assert table.footnotes[1] == "All adverse events."


def test_ae_overview_snapshot(plan, sc, snapshot):
    assert _render(ae_overview_table(_overview(plan), sc)) == snapshot


def _soc_pt(plan, analysis_id="AE-SOCPT") -> AnalysisResult:
    return _result(plan, analysis_id, _ae_rows(SOC_PT), extra={"grade_scale": "ctcae", "indent": {0: 0, 1: 1, 2: 2}})


def test_ae_soc_pt_indents_and_sort_note(plan, sc):
    (table,) = ae_soc_pt_table(_soc_pt(plan), sc)
    assert list(_cells(table)) == ["Any TEAE", "  Gastrointestinal disorders", "    Nausea"]
    assert _cells(table)["    Nausea"] == ["2 (50.0%) [2]", "0 [0]", "2 (28.6%) [2]"]
    assert table.footnotes[3] == ("System organ classes and preferred terms (MedDRA) sorted by descending total "
                                  "frequency.")


def test_ae_soc_pt_snapshot(plan, sc, snapshot):
    assert _render(ae_soc_pt_table(_soc_pt(plan), sc)) == snapshot


def test_ae_serious_through_the_method_table(plan, sc, snapshot):
    result = _soc_pt(plan, "AE-SER")
    tables = display_tables(result, sc)       # registry: ae_serious -> reports.shells.safety:ae_serious_table
    assert _render(tables) == _render(ae_serious_table(result, sc))
    assert not any("MedDRA" in f for f in tables[0].footnotes)
    assert _render(tables) == snapshot


def _grades(plan) -> AnalysisResult:
    return _result(plan, "AE-GRADE", _ae_rows(GRADES), extra={"grade_scale": "severity",
                                                              "indent": {0: 0, 1: 1, 2: 1}})


def test_ae_max_grade_rows_and_severity_note(plan, sc):
    (table,) = ae_max_grade_table(_grades(plan), sc)
    assert _cells(table) == {"Any TEAE": ["3 (75.0%) [5]", "1 (33.3%) [1]", "4 (57.1%) [6]"],
                             "  Mild": ["1 (25.0%) [3]", "1 (33.3%) [1]", "2 (28.6%) [4]"],
                             "  Moderate": ["2 (50.0%) [2]", "0 [0]", "2 (28.6%) [2]"]}
    assert table.footnotes[2] == "Severity: AESEV (mild/moderate/severe)."
    assert table.footnotes[3] == "Each subject counted once per block at the worst grade."


def test_ae_max_grade_snapshot(plan, sc, snapshot):
    assert _render(ae_max_grade_table(_grades(plan), sc)) == snapshot


def _aesi(plan) -> AnalysisResult:
    spec = [(0, "Any AESI", None, None, None, {G: (1, 1), P: (0, 0), T: (1, 1)}),
            (1, "Pyrexia", None, None, "Pyrexia", {G: (1, 1), P: (0, 0), T: (1, 1)})]
    return _result(plan, "AE-AESI", _ae_rows(spec), extra={"grade_scale": "ctcae", "indent": {0: 0, 1: 1}})


def test_ae_special_interest_terms_note(plan, sc, snapshot):
    tables = display_tables(_aesi(plan), sc)  # registry: ae_special_interest -> ae_special_interest_table
    assert _render(tables) == _render(ae_special_interest_table(_aesi(plan), sc))
    assert _cells(tables[0])["  Pyrexia"] == ["1 (25.0%) [1]", "0 [0]", "1 (14.3%) [1]"]
    assert tables[0].footnotes[3] == ("AEs of special interest (preferred terms): Infusion related reaction, "
                                      "Pyrexia, Hypersensitivity, Thrombophlebitis, Pneumonia, Herpes zoster.")
    assert _render(tables) == snapshot


# --------------------------------------------------------------------------- incidence rates
def _rate_rows(level: float) -> list[dict]:
    spec = [("Any TEAE", None, {G: (3, 1.5, 200.0, 41.2456, 584.4811), P: (1, 2.04, 49.0196, 1.2411, 273.1195),
                                T: (4, 3.54, 112.9944, 30.7862, 289.3025)}),
            ("Gastrointestinal disorders", "Gastrointestinal disorders",
             {G: (0, 0.0, NAN, NAN, NAN), P: (0, 2.25, 0.0, 0.0, 163.9502), T: (0, 2.25, 0.0, 0.0, 163.9502)})]
    rows = []
    for label, soc, cells in spec:
        for g, (n, sy, rate, lo, hi) in cells.items():
            common = dict(group=g, n=N[g], label=label, soc=soc, pt=None, subject_years=sy, per=100.0, level=level,
                          method="exact Poisson (Garwood)")
            rows += [dict(common, statistic="count", estimate=n),
                     dict(common, statistic="incidence_rate", estimate=rate, ci_lower=lo, ci_upper=hi)]
    return rows


def _rates(plan, level: float = 0.95, onset_after_end: int = 0) -> AnalysisResult:
    return _result(plan, "AE-EAIR", _rate_rows(level), level=level,
                   extra={"observation_end": "EOSDT", "onset_after_end": onset_after_end})


def test_ae_rate_cells_and_notes(plan, sc):
    (table,) = ae_rate_table(_rates(plan), sc)
    assert list(table.frame.columns) == ["Category", *HEADERS]
    assert _cells(table) == {
        "Any TEAE": ["3/1.5: 200.00 (41.25, 584.48)", "1/2.0: 49.02 (1.24, 273.12)", "4/3.5: 112.99 (30.79, 289.30)"],
        "  Gastrointestinal disorders": ["0/0.0: NE (NE, NE)", "0/2.2: 0.00 (0.00, 163.95)",
                                         "0/2.2: 0.00 (0.00, 163.95)"]}
    assert table.footnotes[0] == ("Cell: subjects with the event / subject-years at risk: rate per 100 "
                                  "subject-years (95% exact Poisson CI).")
    assert table.footnotes[1] == ("Time at risk from first dose (TRTSDT) to the first event, or to the end of study "
                                  "(EOSDT; TRTEDT where EOSDT is missing) for subjects without it.")


def test_ae_rate_level_090_and_late_onsets(plan, sc):
    (table,) = ae_rate_table(_rates(plan, level=0.90, onset_after_end=2), sc)
    assert "(90% exact Poisson CI)" in table.footnotes[0]
    assert table.footnotes[2].startswith("2 subject(s) with a first onset after the end of observation")


def test_ae_rate_snapshot(plan, sc, snapshot):
    assert _render(ae_rate_table(_rates(plan), sc)) == snapshot


# --------------------------------------------------------------------------- DLT rate
DL1, DL2, DL3 = "CG-BM1 1.0x10^6 cells/kg", "CG-BM1 2.0x10^6 cells/kg", "CG-BM1 4.0x10^6 cells/kg"


def _dlt(plan, level: float = 0.95, **kw) -> AnalysisResult:
    # 0/3: R binom.test(0, 3) upper 0.7075982; 2/6: 0.04327187, 0.77722190; DL3 no evaluable subject
    spec = [(DL1, 3, 0, 0.0, 0.0, 0.7075982), (DL2, 6, 2, 2 / 6, 0.04327187, 0.77722190), (DL3, 0, 0, NAN, NAN, NAN)]
    rows = [dict(group=g, statistic="proportion", estimate=p, ci_lower=lo, ci_upper=hi, n=n, n_events=x,
                 method="clopper_pearson", level=level) for g, n, x, p, lo, hi in spec]
    a = plan.analysis("DLT-RATE")
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows), level=level,
                          group_n={DL1: 3, DL2: 6, DL3: 0}, **kw)


def test_dlt_cells_and_header(plan, sc):
    (table,) = dlt_table(_dlt(plan), sc)
    head = "DLT rate % (95% CI, Clopper-Pearson)"
    assert list(table.frame.columns) == ["Dose level", "DLT-evaluable N", "Subjects with DLT", head]
    assert table.frame.values.tolist() == [[DL1, "3", "0", "0.0 (0.0, 70.8)"], [DL2, "6", "2", "33.3 (4.3, 77.7)"],
                                           [DL3, "0", "0", "NE (NE, NE)"]]
    assert table.footnotes[0].startswith("DLT rate = subjects with at least one DLT")


def test_dlt_level_090_prints_90_ci(plan, sc):
    result = _dlt(plan, level=0.90, excluded=(Exclusion("subject not DLT-evaluable (1 subject)", 1, "DLT records"),))
    (table,) = dlt_table(result, sc)
    assert table.frame.columns[-1] == "DLT rate % (90% CI, Clopper-Pearson)"
    assert "1 DLT record excluded: subject not DLT-evaluable (1 subject)." in table.footnotes


def test_dlt_snapshot(plan, sc, snapshot):
    assert _render(dlt_table(_dlt(plan), sc)) == snapshot


# --------------------------------------------------------------------------- laboratory
def _shift(plan) -> AnalysisResult:
    nonzero = {("ALT", G, "NORMAL", "HIGH"): 1, ("ALT", G, "NORMAL", "NORMAL"): 3, ("ALT", P, "NORMAL", "NORMAL"): 2,
               ("ALT", P, "MISSING", "MISSING"): 1, ("ALT", T, "NORMAL", "HIGH"): 1, ("ALT", T, "NORMAL", "NORMAL"): 5,
               ("ALT", T, "MISSING", "MISSING"): 1, ("AST", G, "HIGH", "HIGH"): 4, ("AST", P, "LOW", "NORMAL"): 3,
               ("AST", T, "HIGH", "HIGH"): 4, ("AST", T, "LOW", "NORMAL"): 3}
    rows = []
    for p in ("ALT", "AST"):
        for g in (G, P, T):
            for b in CATEGORIES:
                for w in CATEGORIES:
                    n = nonzero.get((p, g, b, w), 0)
                    common = dict(endpoint=p, parameter=p, group=g, n=N[g], baseline=b, worst=w,
                                  label=f"baseline {b} -> worst post-baseline {w}")
                    rows += [dict(common, statistic="count", estimate=n),
                             dict(common, statistic="percent", estimate=100 * n / N[g])]
    return _result(plan, "LAB-SHIFT", rows, notes=("parameters not in the data: CREAT",))


def test_lab_shift_one_table_per_parameter(plan, sc):
    tables = lab_shift_table(_shift(plan), sc)
    assert [t.title for t in tables] == ["Laboratory shift from baseline to worst post-baseline category: ALT",
                                         "Laboratory shift from baseline to worst post-baseline category: AST"]
    alt = tables[0]
    assert list(alt.frame.columns) == ["baseline"] + [f"{h}: {w}" for h in HEADERS for w in CATEGORIES]
    assert alt.frame["baseline"].tolist() == list(CATEGORIES) and alt.stub_columns == ("baseline",)
    row = alt.frame.set_index("baseline")
    assert row.loc["NORMAL", "CG-BM1 (RP2D) (N=4): HIGH"] == "1 (25.0%)"
    assert row.loc["NORMAL", "Total (N=7): NORMAL"] == "5 (71.4%)"
    assert row.loc["MISSING", "Placebo (N=3): MISSING"] == "1 (33.3%)"
    assert row.loc["LOW", "Placebo (N=3): LOW"] == "0"
    assert "parameters not in the data: CREAT" in alt.footnotes
    assert alt.footnotes[0].startswith("Rows: baseline category; columns: worst post-baseline category")


def test_lab_shift_snapshot(plan, sc, snapshot):
    assert _render(lab_shift_table(_shift(plan), sc)) == snapshot


def _change(plan) -> AnalysisResult:
    spec = [(0.0, "AVAL", G, 4, 25.0, 5.5, 24.0, 19.0, 33.0), (0.0, "AVAL", P, 3, 20.0, 2.0, 20.0, 18.0, 22.0),
            (0.0, "AVAL", T, 7, 22.857, 4.9809, 22.0, 18.0, 33.0),
            (1.0, "AVAL", G, 3, 30.0, 10.0, 28.0, 22.0, 40.0), (1.0, "CHG", G, 3, 4.6667, 8.0829, 5.0, -3.0, 12.0),
            (1.0, "AVAL", P, 1, 21.0, NAN, 21.0, 21.0, 21.0), (1.0, "CHG", P, 0, NAN, NAN, NAN, NAN, NAN),
            (1.0, "AVAL", T, 4, 27.75, 9.5699, 25.0, 21.0, 40.0), (1.0, "CHG", T, 3, 4.6667, 8.0829, 5.0, -3.0, 12.0)]
    rows = []
    for visit, var, g, n, *stats in spec:
        for name, value in zip(("mean", "sd", "median", "min", "max"), stats):
            rows.append(dict(endpoint="ALT", parameter="ALT", group=g, visit=visit, statistic=name, estimate=value,
                             n=n, label=var))
    return _result(plan, "LAB-CHG", rows)


def test_lab_change_cells(plan, sc):
    (table,) = lab_change_table(_change(plan), sc)
    assert table.title == "Laboratory values and change from baseline: ALT"
    n = dict(_change(plan).group_n)
    # plan visit labels, value labels, and column N (Total = all groups) as in every other table
    assert list(table.frame.columns) == ["Visit", "Statistic", f"{G} (N={n[G]})", f"{P} (N={n[P]})",
                                         f"{T} (N={sum(n.values())})"]
    cells = {(r[0], r[1]): r[2:] for r in table.frame.values.tolist()}
    assert list(cells) == [("Baseline", "Value"), ("Week 1", "Value"), ("Week 1", "Change from baseline")]
    assert cells[("Baseline", "Value")][0] == "4; 25.00 (5.50); 24.00; 19.00, 33.00"
    assert cells[("Week 1", "Value")][1] == "1; 21.00 (NE); 21.00; 21.00, 21.00"   # SD of one value: NE
    assert cells[("Week 1", "Change from baseline")] == ["3; 4.67 (8.08); 5.00; -3.00, 12.00", "0",
                                                         "3; 4.67 (8.08); 5.00; -3.00, 12.00"]
    assert table.footnotes[0].startswith("n, mean (SD), median, min-max")


def test_lab_change_snapshot(plan, sc, snapshot):
    assert _render(lab_change_table(_change(plan), sc)) == snapshot


def test_not_estimable_lab_result_prints_the_reason(plan, sc):
    result = not_estimable_result(plan.analysis("LAB-CHG"), "no laboratory data for the parameters CRP")
    (table,) = display_tables(result, sc)
    assert table.frame["Note"].tolist() == ["Not estimable: no laboratory data for the parameters CRP"]
