"""The msc-etanercept plan is its registration (NCT02809781, shared/seeds/002_6c86e14adff8d713.txt): a checklist of
every registered item (design, groups, MSC dose and schedule, the second MSC course, the evaluation times), each
citing the line of the seed file it comes from (the quoted text is committed here and checked against the seed),
and a run of the plan as a user runs it (``python -m sap.run --plan msc-etanercept --format html``) whose written
tables must show each registered item at its registered time points.

The registration names no outcome measure: it states "safety and clinical effect" and a comparison of the efficacy
of MSCs and etanercept (line 7), evaluated 12 weeks ("Phase I") and 48 weeks ("Phase II") after the first
transplantation (line 15). So every efficacy table must show exactly weeks 12 and 48 with MSC against etanercept,
and the safety tables cover the study. Counts from the frozen ADEX are compared with the exposure table exactly.
"""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sap.spec import load_plan
from shared_helpers import analysis_tables
from sap.spec_notes import note_about, note_text

REPO = Path(__file__).resolve().parents[2]
PLAN = load_plan("msc-etanercept")
SEED = REPO.parent / PLAN.source_documents[0]
FROZEN = REPO / "synthetic_data" / "frozen" / "msc-etanercept"
#: display labels of the groups (table columns) and their values in the data (TRT01P)
MSC, ETN = PLAN.design.arm("MSC").label, PLAN.design.arm("ETN").label
MSC_VALUE, ETN_VALUE = PLAN.design.arm("MSC").data_value, PLAN.design.arm("ETN").data_value
WEEKS = ["Week 12", "Week 48"]

#: (seed line, text on that line) of every registered item the checklist uses
TITLE = (3, "A Pilot Study of MSCs Iufusion and Etanercept to Treat Ankylosing Spondylitis")
PURPOSE = (7, "evaluate the safety and clinical effect of mesenchymal stem cells (MSCs) derived from human bone marrow "
              "at a dose of 1.0E+6 MSC/kg")
COMPARE = (7, "to compare the efficacy of MSCs and Etanercept to treat this disease")
RANDOMIZED = (15, "Participants will be randomly assigned to receive either MSC transplant therapy (experimental group) "
                  "or Etanercept therapy (control group).")
FIRST_COURSE = (15, "The experimental group will receive infusion per week in the first 4 weeks and every two weeks in "
                    "the second 8 weeks, totally for 12 weeks.")
SECOND_COURSE = (15, "After 3 months, patients will receive the second MSC transplantation.")
EVALUATIONS = (15, "After 12 weeks (Phase I) and 48 weeks (Phase II) from the first transplantation, patients will be "
                   "evaluated.")
REGISTRATION = (17, "Clinical Study Identifier: NCT02809781")
QUOTES = [TITLE, PURPOSE, COMPARE, RANDOMIZED, FIRST_COURSE, SECOND_COURSE, EVALUATIONS, REGISTRATION]
EFFICACY = ("ASAS20-CMP", "ASAS40-CMP", "BASDAI50-CMP", "BASDAI-MMRM", "BASFI-MMRM", "ASDAS-MMRM", "CRP-MMRM",
            "ESR-MMRM")


def _seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip(f"registration text not present at {SEED}")
    return SEED.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("line, text", QUOTES, ids=[f"{q[0]}:{q[1][:20]}" for q in QUOTES])
def test_checklist_quotes_the_seed(line, text):
    assert text in _seed_lines()[line - 1]


def test_registration_names_no_outcome_measure_and_no_phase_masking_or_size():
    """The seed has no outcome section, no masking, no enrolment and no clinical phase; notes beside the affected
    items say what the plan assumes."""
    text = "\n".join(_seed_lines()).lower()
    for word in ("outcome", "mask", "blind", "enrol", "sample size"):
        assert word not in text, word
    assert PLAN.design.clinical_phase is None
    about = {i for note in PLAN.notes for i in note_about(note)}
    assert {e.id for e in PLAN.endpoints} <= about and {"RCT", "MSC", "ETN", "EXPO"} <= about
    assert any("Phase I" in note_text(n) and "RCT" in note_about(n) for n in PLAN.notes)


# --------------------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("msc-etanercept") / "run"
    proc = subprocess.run([sys.executable, "-W", "ignore", "-m", "sap.run", "--plan", "msc-etanercept", "--out",
                           str(out), "--format", "html"], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _tables_of(run: Path, analysis_id: str) -> list[pd.DataFrame]:
    return analysis_tables(PLAN, run, analysis_id)


def test_randomized_two_groups(run):
    """Line 15: randomly assigned to MSC (experimental) or etanercept (control, the reference)."""
    phase = PLAN.design.phases[0]
    assert phase.kind == "randomized" and phase.randomization is not None and phase.allocation is None
    assert [PLAN.design.arm(a).role for a in phase.arms] == ["experimental", "active_control"]
    assert phase.reference_arm == "ETN"
    adsl = pd.read_csv(FROZEN / "adsl.csv")
    assert set(adsl["RANDFL"]) == {"Y"} and set(adsl["TRT01P"]) == {MSC_VALUE, ETN_VALUE}
    assert "non-randomized" not in (run / "report.html").read_text(encoding="utf-8")


def test_msc_dose_and_first_course():
    """Lines 7 and 15: 1.0x10^6 cells/kg; weekly in the first 4 weeks, then every 2 weeks in the next 8 weeks (days
    0-77, all within the 12 weeks)."""
    arm = PLAN.design.arm("MSC")
    assert (arm.dose, arm.dose_unit) == (1.0, "10^6 cells/kg")   # 1.0E+6 MSC/kg
    first = [d for d in arm.infusion_days if d < 84]
    assert first[:4] == [0, 7, 14, 21] and {b - a for a, b in zip(first[3:], first[4:])} == {14}
    assert len(first) == 8
    adex = pd.read_csv(FROZEN / "adex.csv")
    msc = adex[adex["EXTRT"] == "MSC"]
    assert set(msc["EXDOSE"]) == {1.0} and set(msc["EXDOSU"]) == {"10^6 cells/kg"}


def test_second_course_after_3_months(run):
    """Line 15: the second MSC transplantation after 3 months: in the plan (the first course's schedule again from
    day 91), in the frozen ADEX (records from study day 86 on), after the week-12 evaluation of each subject, and in
    the exposure table (subjects treated in course 2, counted here from ADEX)."""
    days = PLAN.design.arm("MSC").infusion_days
    second = [d for d in days if d >= 84]
    assert second == [d + 91 for d in days if d < 84]
    assert any("second MSC transplantation" in note_text(n) and "MSC" in note_about(n) for n in PLAN.notes)
    adex = pd.read_csv(FROZEN / "adex.csv")
    course2 = adex[(adex["EXTRT"] == "MSC") & (adex["EXSTDY"] >= 86)]
    assert course2["USUBJID"].nunique() > 0
    qs = pd.read_csv(FROZEN / "adqs.csv")
    week12 = qs[qs["AVISITN"] == 12].groupby("USUBJID")["ADY"].max()
    starts = course2.groupby("USUBJID")["EXSTDY"].min()
    both = starts.index.intersection(week12.index)
    assert len(both) > 0 and (week12[both] <= starts[both]).all()
    (expo,) = _tables_of(run, "EXPO")
    col = next(c for c in expo.columns if c.startswith(f"{MSC} (N="))
    row = expo[(expo["Parameter"] == "MSC") & (expo["Statistic"] == "Course 2 (study days 86-365): subjects treated")]
    assert int(row.iloc[0][col].split(" ")[0]) == course2["USUBJID"].nunique()
    assert "Administrations: 16" in set(expo.loc[expo["Parameter"] == "MSC", "Statistic"])
    units = {"Cumulative dose (10^6 cells/kg), mean (SD)", "Cumulative dose (mg), mean (SD)"}
    assert units <= set(expo["Statistic"])   # MSC and etanercept each in its own unit, never added


def test_evaluations_at_weeks_12_and_48():
    """Line 15: evaluated 12 and 48 weeks after the first transplantation (day 0 = study day 1)."""
    visits = {v.label: v for v in PLAN.schedule.visits}
    assert visits["Week 12"].target_day == 7 * 12 + 1 and visits["Week 48"].target_day == 7 * 48 + 1
    assert all(e.visits == (12, 48) for e in PLAN.endpoints if e.type != "safety")


@pytest.mark.parametrize("analysis_id", EFFICACY)
def test_efficacy_compared_at_weeks_12_and_48(run, analysis_id):
    """Lines 7 and 15: every efficacy table compares MSC with etanercept at weeks 12 and 48 (and no other visit)."""
    found = _tables_of(run, analysis_id)
    assert len(found) == (2 if PLAN.analysis(analysis_id).method == "response_comparison" else 1)
    for frame in found:
        assert list(dict.fromkeys(frame["Visit"])) == WEEKS
        if "Comparison" in frame.columns:
            assert set(frame["Comparison"]) == {f"{MSC} vs {ETN}"}
        else:
            assert f"{MSC} - {ETN}: difference (95% CI)" in frame.columns


def test_safety_over_the_study(run):
    """Line 7 (safety): adverse events by group over the 48 weeks, with infusion and injection reactions."""
    (overview,) = _tables_of(run, "AE-OVW")
    assert overview.iloc[0, 0] == "Any TEAE"
    assert [c.split(" (N=")[0] for c in overview.columns[1:]] == [MSC, ETN, "Total"]
    for analysis in ("AE-SOCPT", "AE-SER", "AE-AESI"):
        assert len(_tables_of(run, analysis)) == 1, analysis


def test_notes_are_printed_beside_their_items(run):
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    assert all(note_about(note) for note in PLAN.notes)
    for n in range(1, len(PLAN.notes) + 1):
        assert re.search(rf"Note {n}\b", sap), n
