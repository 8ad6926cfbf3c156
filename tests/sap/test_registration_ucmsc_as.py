"""The ucmsc-as plan is its registration (NCT05962762, shared/seeds/000_e3d85c03939e06ad.txt): a checklist of every
registered outcome, time frame and design field, each item citing the line of the seed file it comes from (the
quoted text is committed here and checked against the seed), and a run of the plan as a user runs it
(``python -m sap.run --plan ucmsc-as --format html``) in which every registered outcome must appear in the written
tables at exactly its registered time points, by dose level and pooled (the Total column).

The visits each table must show are parsed from the quoted time-frame text, not written a second time: a response
(ASAS20, ASAS50) is defined against baseline, so its table shows the registered post-baseline visits; a continuous
outcome shows the baseline value and then every registered visit. The related-AE counts are checked against a
count made here directly from the frozen ADAE (no tolerance: counts).
"""
from __future__ import annotations

import html
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

import pandas as pd
import pytest

from reports.tables import css_id

from sap.spec import load_plan

REPO = Path(__file__).resolve().parents[2]
PLAN = load_plan("ucmsc-as")
SEED = REPO.parent / PLAN.source_documents[0]
FROZEN = REPO / "synthetic_data" / "frozen" / "ucmsc-as"
DOSES = ("UC-MSC 1x10^6 cells/kg", "UC-MSC 3x10^6 cells/kg", "UC-MSC 5x10^6 cells/kg")
COLUMNS = DOSES + ("Total",)

FROM_DAY_14 = "Baseline, Day 14, Day 28, Week 12, Week 24, Week 36, Week 48"
FROM_DAY_2 = "Baseline, Day 2, Day 3, Day 7, Day 14, Day 28, Week 12, Week 24, Week 36, Week 48"
BASELINE_WEEK_48 = "Baseline, Week 48"


class Outcome(NamedTuple):
    """A registered outcome: its title (seed line and text), its time frame (seed line and text), the plan analysis
    whose table reports it, and what the table summarises ('response', 'change' from baseline or 'value')."""

    title_line: int
    title: str
    frame_line: int
    frame: str
    analysis: str
    kind: str


#: Secondary and other prespecified outcomes (seed section "Outcome Measure Information", lines 202-395).
OUTCOMES = (
    Outcome(204, "Improvement of Assessment in ankylosingspondylitis 20 (ASAS20)", 208, FROM_DAY_14, "ASAS20-RATE",
            "response"),
    Outcome(210, "Improvement of Assessment in ankylosingspondylitis 50 (ASAS50)", 214, FROM_DAY_14, "ASAS50-RATE",
            "response"),
    Outcome(216, "Change of Bath Ankylosing Spondylitis Disease Activity Index (BASDAI)", 220, FROM_DAY_14,
            "BASDAI-SUM", "change"),
    Outcome(222, "Change of Bath Ankylosing Spondylitis Functional Index (BASFI)", 226, FROM_DAY_14, "BASFI-SUM",
            "change"),
    Outcome(228, "Change of Bath Ankylosing Spondylitis Metrology Index (BASMI)", 232, FROM_DAY_14, "BASMI-SUM",
            "change"),
    Outcome(234, "Change of Ankylosing Spondylitis Disease Activity Score (ASDAS)", 238, FROM_DAY_14, "ASDAS-SUM",
            "change"),
    Outcome(240, "Change of Patient's global assessment of disease activity (PtGADA)", 244, FROM_DAY_14, "PTGA-SUM",
            "change"),
    Outcome(246, "Physician's global assessment of disease activity (PhGADA)", 250, FROM_DAY_14, "PHGA-SUM", "change"),
    Outcome(252, "Modified stoke ankylosing spondylitis spinal score (mSASSS)", 256, BASELINE_WEEK_48, "MSASSS-SUM",
            "change"),
    Outcome(258, "Ankylosing Spondylitis spine Magnetic Resonance Imaging-activity (ASspiMRI)", 262, BASELINE_WEEK_48,
            "MRI-SUM", "change"),
    Outcome(264, "Erythrocyte sedimentation Rate (ESR)", 268, FROM_DAY_2, "ESR-SUM", "value"),
    Outcome(270, "C-reactive protein (CRP)", 274, FROM_DAY_2, "CRP-SUM", "value"),
    Outcome(277, "Interleukin-2 (IL-2)", 281, FROM_DAY_2, "IL2-SUM", "value"),
    Outcome(283, "Interleukin-6 (IL-6)", 287, FROM_DAY_2, "IL6-SUM", "value"),
    Outcome(289, "Interleukin-17 (IL-17)", 293, FROM_DAY_2, "IL17-SUM", "value"),
    Outcome(295, "Interleukin-22 (IL-22)", 299, FROM_DAY_2, "IL22-SUM", "value"),
    Outcome(301, "Interleukin-23 (IL-23)", 305, FROM_DAY_2, "IL23-SUM", "value"),
    Outcome(307, "Tumor necrosis factor-\u03b1 (TNF-\u03b1)", 311, FROM_DAY_2, "TNFA-SUM", "value"),
    Outcome(313, "Transforming growth factor-\u03b2 (TGF-\u03b2)", 317, FROM_DAY_2, "TGFB-SUM", "value"),
    Outcome(319, "Interferon-\u03b3 (IFN-\u03b3)", 323, FROM_DAY_2, "IFNG-SUM", "value"),
    Outcome(325, "Monocyte chemotactic protein [MCP]-1 (CCL-2)", 329, FROM_DAY_2, "CCL2-SUM", "value"),
    Outcome(331, "Helper T cell 1 (Th1)", 335, FROM_DAY_2, "TH1-SUM", "value"),
    Outcome(337, "Helper T cell 2 (Th2)", 341, FROM_DAY_2, "TH2-SUM", "value"),
    Outcome(343, "Regulatory T cells (Treg)", 347, FROM_DAY_2, "TREG-SUM", "value"),
    Outcome(349, "Helper T cell 17 (Th17)", 353, FROM_DAY_2, "TH17-SUM", "value"),
    Outcome(355, "Cluster of differentiation 3+ (CD3+)", 359, FROM_DAY_2, "CD3-SUM", "value"),
    Outcome(361, "Cluster of differentiation 4+ (CD4+)", 365, FROM_DAY_2, "CD4-SUM", "value"),
    Outcome(367, "Cluster of differentiation 8+ (CD8+)", 371, FROM_DAY_2, "CD8-SUM", "value"),
    Outcome(373, "Cluster of differentiation 4+ / Cluster of differentiation 8+ (CD4+/CD8+)", 377, FROM_DAY_2,
            "CD4CD8-SUM", "value"),
    Outcome(379, "Immunoglobulin A (IgA)", 383, FROM_DAY_2, "IGA-SUM", "value"),
    Outcome(385, "Immunoglobulin G (IgG)", 389, FROM_DAY_2, "IGG-SUM", "value"),
    Outcome(391, "Immunoglobulin M (IgM)", 395, FROM_DAY_2, "IGM-SUM", "value"),
)
#: Primary outcomes and design fields: (seed line, quoted text).
AE_TITLE = (191, "Adverse Event (AE)")
AE_DESCRIPTION = (193, "Incidence and severity of any adverse events related to the treatment of the trial drug that "
                       "occurred during the clinical trial")
AE_FRAME = (195, "Through study completion, an average of 1 year")
MTD_TITLE = (197, "Maximum tolerated dose (MTD)")
MTD_FRAME = (201, "Through study completion, an average of 1 year")
MASKING = (169, "None (Open Label)")
ALLOCATION = (171, "N/A")
ENROLMENT = (173, "9 (Anticipated)")
DOSE_GROUPS = (182, "The trial was divided into three dose groups: Low-dose group: 1000000 cells/kg Medium-dose group: "
                    "3000000 cells/kg High-does group: 5000000 cells/kg")
QUOTES = [(o.title_line, o.title) for o in OUTCOMES] + [(o.frame_line, o.frame) for o in OUTCOMES] + [
    AE_TITLE, AE_DESCRIPTION, AE_FRAME, MTD_TITLE, MTD_FRAME, MASKING, ALLOCATION, ENROLMENT, DOSE_GROUPS]


def registered_visits(frame: str) -> list[str]:
    return [v.strip() for v in frame.split(",")]


@pytest.mark.parametrize("line, text", QUOTES, ids=[str(q[0]) for q in QUOTES])
def test_checklist_quotes_the_seed(line, text):
    if not SEED.is_file():
        pytest.skip(f"registration text not present at {SEED}")
    assert SEED.read_text(encoding="utf-8").splitlines()[line - 1].strip() == text


def test_checklist_covers_every_registered_outcome():
    """Every 'Title' of the seed's outcome sections is in the checklist (nothing registered is left out)."""
    if not SEED.is_file():
        pytest.skip(f"registration text not present at {SEED}")
    lines = SEED.read_text(encoding="utf-8").splitlines()
    titles = {i + 2 for i in range(188, 396) if lines[i].strip() == "Title"}   # the title is on the next line
    assert titles == {o.title_line for o in OUTCOMES} | {AE_TITLE[0], MTD_TITLE[0]}


# --------------------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("ucmsc-as") / "run"
    proc = subprocess.run([sys.executable, "-W", "ignore", "-m", "sap.run", "--plan", "ucmsc-as", "--out", str(out),
                           "--format", "html"], capture_output=True, text=True, cwd=REPO, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return out


@pytest.fixture(scope="module")
def tables(run) -> dict[str, pd.DataFrame]:
    """Table title (as printed in report.html) -> the table's CSV (tables/<output>_<n>.csv)."""
    page = (run / "report.html").read_text(encoding="utf-8")
    output_ids = {css_id(o.id): o.id for o in load_plan("ucmsc-as").outputs}   # HTML ids write 14.2.1 as 14-2-1
    found = {}
    for output, n, title in re.findall(r'id="out-([^"]+?)-(\d+)-title">(.*?)</td>', page):
        found[html.unescape(title)] = pd.read_csv(run / "tables" / f"{output_ids.get(output, output)}_{n}.csv",
                                                  dtype=str).fillna("")
    return found


def _tables_of(tables: dict[str, pd.DataFrame], analysis_id: str) -> list[pd.DataFrame]:
    title = PLAN.analysis(analysis_id).title
    return [t for name, t in tables.items() if name == title or name.startswith((f"{title}: ", f"{title} ("))]


def _column(frame: pd.DataFrame, label: str) -> str:
    (col,) = [c for c in frame.columns if c.startswith(f"{label} (N=")]
    return col


@pytest.mark.parametrize("outcome", OUTCOMES, ids=[o.analysis for o in OUTCOMES])
def test_registered_outcome_at_its_registered_visits(tables, outcome):
    found = _tables_of(tables, outcome.analysis)
    visits = registered_visits(outcome.frame)
    if outcome.kind == "response":
        assert len(found) == 2, "a response table per imputation (non-responder imputation, observed cases)"
        visits = [v for v in visits if v != "Baseline"]   # a response is defined against baseline
    else:
        assert len(found) == 1
    for frame in found:
        assert list(dict.fromkeys(frame["Visit"])) == visits
        for label in COLUMNS:   # every dose level and the pooled column, with a value at every registered visit
            col = _column(frame, label)
            if outcome.kind == "response":
                assert frame[col].str.match(r"^\d+/\d+ \(").all(), (label, frame[col].tolist())
            else:
                n = frame[frame["Statistic"].str.endswith(": n")]
                assert n["Visit"].tolist() == visits
                assert (n[col].astype(int) > 0).all(), (label, n[col].tolist())
    if outcome.kind != "response":
        what = {"change": "Change from baseline", "value": "Value"}[outcome.kind]
        stats = set(found[0].loc[found[0]["Visit"] != "Baseline", "Statistic"].str.rpartition(": ")[0])
        assert stats == {what}


def _related_subjects_by_dose() -> dict[str, int]:
    """Subjects of the safety population with a treatment-emergent AE the investigator assessed as related, counted
    here from the frozen ADSL/ADAE, at any time on study (the registered time frame: through study completion)."""
    adsl = pd.read_csv(FROZEN / "adsl.csv")
    adae = pd.read_csv(FROZEN / "adae.csv")
    saf = adsl[adsl["SAFFL"] == "Y"]
    rel = adae[(adae["TRTEMFL"] == "Y") & (adae["AEREL"] == "RELATED") & adae["USUBJID"].isin(saf["USUBJID"])]
    dose = dict(zip(saf["USUBJID"], saf["TRT01A"]))
    counts = {d: rel.loc[rel["USUBJID"].map(dose) == d, "USUBJID"].nunique() for d in DOSES}
    return {**counts, "Total": rel["USUBJID"].nunique()}


def test_primary_related_ae_incidence_and_severity(tables):
    """Lines 191-195: incidence and severity of AEs related to the trial drug, through study completion."""
    (frame,) = _tables_of(tables, "AE-REL-GRADE")
    assert PLAN.endpoint(PLAN.analysis("AE-REL-GRADE").endpoint).role == "primary"
    stub = frame.columns[0]
    assert frame[stub].iloc[0] == "Any related TEAE"
    assert [s.strip() for s in frame[stub].iloc[1:6]] == [f"Grade {g}" for g in range(1, 6)]   # CTCAE v5.0
    expected = _related_subjects_by_dose()
    assert sum(expected[d] for d in DOSES) == expected["Total"] > 0
    for label in COLUMNS:
        cell = frame[_column(frame, label)].iloc[0]
        assert int(cell.split(" ")[0]) == expected[label], (label, cell)


def test_primary_mtd(tables, run):
    """Lines 197-201: the MTD by the 3+3 rule; with every dose cleared it is not reached within the dose range."""
    (frame,) = _tables_of(tables, "ESC")
    assert frame["Decision"].iloc[-1] == "stop" and "MTD" in frame["Rule applied"].iloc[-1]
    assert (run / "escalation.html").is_file()


def test_design_fields(run):
    """Lines 169-182: open label, no allocation (single arm, sequential assignment), 9 subjects, three dose groups."""
    phase = PLAN.design.phases[0]
    assert phase.blinding == "open-label" and phase.kind == "dose_escalation" and phase.randomization is None
    assert phase.planned_n == int(ENROLMENT[1].split()[0]) == len(pd.read_csv(FROZEN / "adsl.csv"))
    registered = [int(x) / 1e6 for x in re.findall(r"(\d{6,}) cells/kg", DOSE_GROUPS[1])]
    assert [a.dose for a in PLAN.design.arms] == registered == [1.0, 3.0, 5.0]
    assert {a.dose_unit for a in PLAN.design.arms} == {"10^6 cells/kg"}
    sap = (run / "sap.html").read_text(encoding="utf-8")
    assert "as randomized" not in sap   # no estimand of a single-arm study says so
    for ep in PLAN.endpoints:
        if ep.estimand is not None:
            assert "no randomization" in ep.estimand.treatment, ep.id


def test_day_numbers_follow_the_stated_origin():
    """'Day N' is N days after the infusion (Day 0), study day N + 1; 'Week W' is study day 7W + 1; the frozen
    data's visit days lie in those windows (ADLB Day 2 on study day 3)."""
    assert "Day 0" in PLAN.schedule.day_origin
    for v in PLAN.schedule.visits[1:]:
        unit, number = v.label.split()
        days = int(number) * (7 if unit == "Week" else 1)
        assert v.target_day == days + 1, v.label
        assert v.avisitn == round(days / 7, 2), v.label
    adlb = pd.read_csv(FROZEN / "adlb.csv")
    assert set(adlb.loc[adlb["AVISIT"] == "Day 2", "ADY"]) == {3}


def test_notes_are_printed_beside_their_items(run):
    """Each note about named plan items is printed beside them in the SAP document (and in the list of notes)."""
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    targeted = [n for n, note in enumerate(PLAN.notes, start=1) if getattr(note, "about", ())]
    assert len(targeted) == len(PLAN.notes) >= 7
    for n in targeted:
        assert re.search(rf"Note {n}\b", sap), n
