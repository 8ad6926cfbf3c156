"""The ucmsc-ra plan is its registration (NCT01547091, shared/seeds/003_38b1ac5494ac9d51.txt): a checklist of every
registered design field, group, intervention and (the absence of) outcome measures, each item citing the line of the
seed file it comes from (the quoted text is committed here and checked against the seed), and a run of the plan as
a user runs it (``python -m sap.run --plan ucmsc-ra --format html``) whose written tables must show each item.

The registration names no outcome measure; it states "safety and efficacy" (line 45) over a 12-month study with an
infusion every 3 months (line 93). So the checklist asks for the safety tables over the study, every efficacy table
at the 3-monthly assessments up to month 12, and the registered regimen in the data and the exposure table. The
conditional DMARD add-on (line 117) is checked against DAS28-CRP computed here from the frozen ADQS/ADLB with the
published formula (Prevoo 1995, CRP version: 0.56 sqrt(TJC28) + 0.28 sqrt(SJC28) + 0.36 ln(CRP + 1) + 0.014 GH +
0.96), independently of the package; counts are compared exactly (no tolerance).
"""
from __future__ import annotations

import html
import math
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
PLAN = load_plan("ucmsc-ra")
SEED = REPO.parent / PLAN.source_documents[0]
FROZEN = REPO / "synthetic_data" / "frozen" / "ucmsc-ra"
GROUPS = ("UC-MSC", "DMARDs", "UC-MSC + DMARDs")
MONTHS = ["Month 3", "Month 6", "Month 9", "Month 12"]
MTX = "Methotrexate (4-weekly dispensing)"

#: (seed line, text on that line) of every registered item the checklist uses
TITLE = (1, "Safety and Efficacy Study of Umbilical Cord-Derived Mesenchymal Stem Cells for Rheumatoid Arthritis")
PHASE = (23, "PHASE1/PHASE2")
ENROLMENT = (27, "200 participants")
SUMMARY = (45, "The study is to explore the safety and efficacy of UC-MSCs transplantation in treatment of rheumatoid "
               "arthritis.")
ALLOCATION = (65, "NON_RANDOMIZED")
MODEL = (69, "SINGLE_GROUP")
MASKING = (77, "NONE")
UCMSC_GROUP = (83, "UC-MSCs Treatment")
UCMSC_TYPE = (87, "Group Type EXPERIMENTAL")
UCMSC_REGIMEN = (93, "-The UC-MSCs will be infused intravenously(single dose, 4x10\\^7 cells).The interval time is 3 "
                     "months, and the study lasts for 12 months with 4 times infusion.")
DMARD_GROUP = (95, "DMARDS")
DMARD_TYPE = (99, "Group Type ACTIVE_COMPARATOR")
DMARD_REGIMEN = (105, "-Patients will be treated by conventional drugs (DMARDS) for alleviating disease.")
COMBO_GROUP = (107, "UC-MSC+DMARDS")
COMBO_TYPE = (111, "Group Type ACTIVE_COMPARATOR")
COMBO_REGIMEN = (117, "Meanwhile,patients will be treated by conventionally drugs if the disease is still not alleviated.")
ELIGIBILITY = (147, "All patients fulfilled the classification criteria (2010) for rheumatoid arthritis, man or woman "
                    "aged from 18 to 70 years old.")
QUOTES = [TITLE, PHASE, ENROLMENT, SUMMARY, ALLOCATION, MODEL, MASKING, UCMSC_GROUP, UCMSC_TYPE, UCMSC_REGIMEN,
          DMARD_GROUP, DMARD_TYPE, DMARD_REGIMEN, COMBO_GROUP, COMBO_TYPE, COMBO_REGIMEN, ELIGIBILITY]
#: the plan's efficacy analyses (the registration names none; notes say so) at every 3-monthly assessment
EFFICACY = ("ACR20-CMP", "ACR50-CMP", "ACR70-CMP", "EULAR-CMP", "DAS28CRP-MMRM", "DAS28ESR-MMRM", "HAQDI-MMRM")


def _seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip(f"registration text not present at {SEED}")
    return SEED.read_text(encoding="utf-8").splitlines()


@pytest.mark.parametrize("line, text", QUOTES, ids=[str(q[0]) for q in QUOTES])
def test_checklist_quotes_the_seed(line, text):
    assert text in _seed_lines()[line - 1]


def test_registration_names_no_outcome_measure():
    """No outcome section in the seed (headings such as 'Primary Outcome Measures' or 'Outcome Measure
    Information', as the other seeds have; line 11 only says results are pending), so nothing registered is left
    out; the plan's notes say its endpoints are its own choice, beside each of them."""
    headings = [line for line in _seed_lines() if re.match(r"\s*(Outcomes|.*Outcome Measures?\b)", line)]
    assert headings == []
    note = [note for note in PLAN.notes if "names no outcome measure" in note_text(note)]
    assert len(note) == 1 and set(note_about(note[0])) == {e.id for e in PLAN.endpoints}


# --------------------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ucmsc-ra") / "run"
    proc = subprocess.run([sys.executable, "-W", "ignore", "-m", "sap.run", "--plan", "ucmsc-ra", "--out", str(out),
                           "--format", "html"], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


def _tables_of(run: Path, analysis_id: str) -> list[pd.DataFrame]:
    return analysis_tables(PLAN, run, analysis_id)


def test_design_fields(run):
    """Lines 23, 27, 65, 69, 77: Phase 1/2, 200 participants, non-randomized, open label; the SINGLE_GROUP model
    contradicts the three listed groups and a note beside the phase says so."""
    d = PLAN.design
    phase = d.phases[0]
    assert d.clinical_phase == "Phase 1/2" and PHASE[1] == "PHASE1/PHASE2"
    assert phase.planned_n == int(ENROLMENT[1].split()[0]) == 200
    assert phase.kind == "nonrandomized" and phase.randomization is None and phase.allocation is not None
    assert phase.blinding == "open-label"   # masking NONE
    assert len(phase.arms) == 3
    model = [note for note in PLAN.notes if MODEL[1] in note_text(note)]
    assert len(model) == 1 and "MAIN" in note_about(model[0])
    adsl = pd.read_csv(FROZEN / "adsl.csv")
    assert set(adsl["RANDFL"]) == {"N"} and adsl["RANDDT"].isna().all()   # nobody randomized
    assert set(adsl["TRT01P"]) == set(GROUPS)                               # open label: nothing masked
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    assert "Clinical phase \\(as registered\\):** Phase 1\\/2" in sap
    assert "**Allocation:** non\\-randomized" in sap and "**Blinding:** open\\-label" in sap


def test_groups_as_registered():
    """Lines 83-117: three groups; UC-MSC is EXPERIMENTAL, DMARDs the ACTIVE_COMPARATOR (the reference); the
    combination is registered ACTIVE_COMPARATOR, which a note beside it explains."""
    arms = {a.id: a for a in PLAN.design.arms}
    assert [arms[a].data_value for a in ("UCMSC", "DMARD", "COMBO")] == list(GROUPS)
    assert arms["UCMSC"].role == "experimental" and arms["DMARD"].role == "active_control"
    assert PLAN.design.phases[0].reference_arm == "DMARD"
    combo = [note for note in PLAN.notes if "ACTIVE_COMPARATOR" in note_text(note)]
    assert len(combo) == 1 and "COMBO" in note_about(combo[0])


def test_uc_msc_regimen_in_plan_data_and_exposure(run):
    """Line 93: single dose of 4x10^7 cells IV every 3 months, 4 infusions in 12 months (UC-MSC and the
    combination): the plan's infusion days, the frozen ADEX (40 x 10^6 cells per record, at most 4 per subject, at
    least 80 days apart) and the exposure table (its own unit, never added to methotrexate mg)."""
    for arm in ("UCMSC", "COMBO"):
        days = PLAN.design.arm(arm).infusion_days
        assert len(days) == 4 and {b - a for a, b in zip(days, days[1:])} == {91} and days[-1] < 365
    adex = pd.read_csv(FROZEN / "adex.csv")
    msc = adex[adex["EXTRT"] == "UC-MSC"]
    assert set(msc["EXDOSE"]) == {40.0} and set(msc["EXDOSU"]) == {"10^6 cells"}   # 4x10^7 cells = 40 x 10^6
    assert msc.groupby("USUBJID").size().max() == 4
    assert msc.groupby("USUBJID")["EXSTDY"].apply(lambda d: d.diff().dropna().min() if len(d) > 1 else 91).min() >= 80
    (expo,) = _tables_of(run, "EXPO")
    rows = expo[expo["Parameter"] == "UC-MSC"]
    assert "Administrations: 4" in set(rows["Statistic"])
    assert {"Cumulative dose (10^6 cells), mean (SD)", "Cumulative dose (mg), mean (SD)"} <= set(expo["Statistic"])
    treated = rows[rows["Statistic"] == "Subjects treated"].iloc[0]
    adsl = pd.read_csv(FROZEN / "adsl.csv")
    saf = adsl[adsl["SAFFL"] == "Y"]
    for group in GROUPS:
        col = next(c for c in expo.columns if c.startswith(f"{group} (N="))
        ids = set(saf.loc[saf["TRT01A"] == group, "USUBJID"])
        assert int(treated[col].split(" ")[0]) == msc.loc[msc["USUBJID"].isin(ids), "USUBJID"].nunique(), group


def _das28_crp() -> pd.DataFrame:
    """DAS28-CRP per subject and post-baseline visit from the frozen ADQS (TJC28, SJC28, patient global VAS) and
    ADLB (CRP), with the visit's study day."""
    qs = pd.read_csv(FROZEN / "adqs.csv")
    lb = pd.read_csv(FROZEN / "adlb.csv")
    rec = pd.concat([qs[qs["PARAMCD"].isin(["TJC28", "SJC28", "PTGAVAS"])], lb[lb["PARAMCD"] == "CRP"]])
    wide = rec.pivot_table(index=["USUBJID", "AVISITN"], columns="PARAMCD", values="AVAL").dropna()
    day = qs.groupby(["USUBJID", "AVISITN"])["ADY"].first()
    das = (0.56 * wide["TJC28"].map(math.sqrt) + 0.28 * wide["SJC28"].map(math.sqrt)
           + 0.36 * (wide["CRP"] + 1).map(math.log) + 0.014 * wide["PTGAVAS"] + 0.96)
    return pd.DataFrame({"das28": das, "ADY": day.reindex(das.index)}).reset_index()


def test_dmard_add_on_only_where_not_alleviated(run):
    """Lines 105 and 117: DMARDs from day 1 in the DMARD group; in the combination group only from the first
    3-monthly assessment (months 3, 6, 9) with DAS28-CRP > 3.2 (the plan's reading of "not alleviated", note
    beside COMBO), never before, and never in a subject whose observed assessments all show DAS28-CRP <= 3.2."""
    adsl = pd.read_csv(FROZEN / "adsl.csv")
    adex = pd.read_csv(FROZEN / "adex.csv")
    mtx = adex[adex["EXTRT"] == MTX]
    dmard = set(adsl.loc[(adsl["TRT01A"] == "DMARDs") & (adsl["SAFFL"] == "Y"), "USUBJID"])
    assert set(mtx.loc[mtx["USUBJID"].isin(dmard)].groupby("USUBJID")["EXSTDY"].min()) == {1}
    combo = adsl.loc[(adsl["TRT01A"] == "UC-MSC + DMARDs") & (adsl["SAFFL"] == "Y"), "USUBJID"]
    start = mtx[mtx["USUBJID"].isin(set(combo))].groupby("USUBJID")["EXSTDY"].min()
    das = _das28_crp()
    das = das[das["AVISITN"].isin([12, 24, 36])]
    checked = 0
    for subject in combo:
        own = das[das["USUBJID"] == subject]
        first = start.get(subject)
        before = own if first is None else own[own["ADY"] < first]
        assert (before["das28"] <= 3.2).all(), (subject, before)          # alleviated until the add-on
        if first is not None:   # started at a 3-monthly assessment, on its day
            assert any(v.window[0] <= first <= v.window[1] for v in PLAN.schedule.visits if v.avisitn in (12, 24, 36))
            on_day = own[own["ADY"] == first]
            assert (on_day["das28"] > 3.2).all(), (subject, on_day)      # not alleviated on the start day
            checked += len(on_day)
    assert checked >= 10   # subjects whose start-day assessment is in the data (the others missed that visit)
    (expo,) = _tables_of(run, "EXPO")
    col = next(c for c in expo.columns if c.startswith("UC-MSC + DMARDs (N="))
    row = expo[(expo["Parameter"] == MTX) & (expo["Statistic"] == "Subjects treated")].iloc[0]
    assert int(row[col].split(" ")[0]) == len(start)


def test_safety_over_the_study(run):
    """Line 45 (safety): adverse events and laboratory shifts over the study, by group."""
    (overview,) = _tables_of(run, "AE-OVW")
    assert overview.iloc[0, 0] == "Any TEAE"
    assert [c.split(" (N=")[0] for c in overview.columns[1:]] == [*GROUPS, "Total"]
    for analysis in ("AE-SOCPT", "AE-SER"):
        assert len(_tables_of(run, analysis)) == 1, analysis
    assert len(_tables_of(run, "LAB-SHIFT")) == len(PLAN.analysis("LAB-SHIFT").options.parameters)


@pytest.mark.parametrize("analysis_id", EFFICACY)
def test_efficacy_at_every_3_monthly_assessment_to_month_12(run, analysis_id):
    """Lines 45 and 93 (efficacy over 12 months, an infusion every 3 months): every efficacy table shows months 3,
    6, 9 and 12, each UC-MSC group against DMARDs, and says the groups were not randomized."""
    found = _tables_of(run, analysis_id)
    assert len(found) == (2 if PLAN.analysis(analysis_id).method == "response_comparison" else 1)
    for frame in found:
        assert list(dict.fromkeys(frame["Visit"])) == MONTHS
        if "Comparison" in frame.columns:
            assert set(frame["Comparison"]) == {"UC-MSC vs DMARDs", "UC-MSC + DMARDs vs DMARDs"}
        else:
            assert {"UC-MSC - DMARDs: difference (95% CI)", "UC-MSC + DMARDs - DMARDs: difference (95% CI)"} <= set(
                frame.columns)


def test_comparisons_say_the_groups_were_not_randomized(run):
    """Line 65: every table comparing the groups carries the non-randomized footnote (8 response tables, 3 MMRM,
    the multiplicity table); the SAP marks those analyses."""
    page = (run / "report.html").read_text(encoding="utf-8")
    assert page.count("Non-randomized comparison: the groups were not randomized") == 12
    sap = (run / "sap.html").read_text(encoding="utf-8")
    for analysis_id in (*EFFICACY, "MULT"):
        assert f"{html.escape(PLAN.analysis(analysis_id).title)} (non-randomized comparison)" in sap, analysis_id


def test_eligibility(run):
    """Line 147: 2010 classification criteria, aged 18 to 70."""
    assert "2010" in PLAN.indication and "18-70" in PLAN.indication
    age = pd.read_csv(FROZEN / "adsl.csv")["AGE"]
    assert age.between(18, 70).all()


def test_notes_are_printed_beside_their_items(run):
    """Every note names the items it is about, and the SAP document prints it beside them."""
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    assert all(note_about(note) for note in PLAN.notes)
    for n in range(1, len(PLAN.notes) + 1):
        assert re.search(rf"Note {n}\b", sap), n
