"""CG-BM1 as registered (issue 14: the plan is the specification).

The checklist below is read off the registration, ``shared/seeds/001_a0939c7146ab3bf7.txt``: each registered
outcome measure with the seed line of its title and of its time frame, and the plan analyses that report it. The
test runs the plan on its frozen data (once per module) and checks that every outcome is in the results and in
its output table at every registered time point, for every arm of the analysis' phase; that the 24-week AE, SAE
and DLT incidences equal a count made here from the frozen ADaM data; and that the notes on the DLT window and
the placebo exist and are printed beside their items in the SAP document. When the seed is present, every
checklist quote is checked against its line and every time frame of the seed must be cited by the checklist.
"""
from __future__ import annotations

import html
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from sap.pipeline import frozen_data_dir, run_plan
from sap.spec import load_plan

REPO = Path(__file__).resolve().parents[2]
SEED = REPO.parent / "shared" / "seeds" / "001_a0939c7146ab3bf7.txt"
TIME_FRAME = "大体时间:"  # the seed's "time frame" field
PLAN = load_plan("cg-bm1")


@dataclass(frozen=True)
class Outcome:
    line: int  # seed line of the outcome measure's title
    quote: str  # text on that line
    time_line: int  # seed line of its time frame
    time_frame: str  # the time frame as registered
    analyses: tuple[str, ...]  # plan analyses reporting it
    weeks: tuple[int, ...] = ()  # registered time points (weeks); () for an incidence over the period


VISITS = "Weeks 1, 4, 8, 12, and 24"
WEEKS = (1, 4, 8, 12, 24)
IMMUNE = ("CD4", "CD8", "TREG", "TH17", "NK", "MAIT", "MONO", "NEUT", "BCELL")
CHECKLIST = (
    Outcome(113, "Incidence of Adverse Events (AEs) and Serious Adverse Events (SAEs)", 114, "24 weeks",
            ("AE-OVW", "AE-OVW-P1", "AE-SER")),
    Outcome(119, "Incidence of Dose-Limiting Toxicities (DLTs)", 120, "24 weeks", ("AE-OVW-P1", "DLT-RATE", "ESC")),
    Outcome(130, "Percentage of Participants Achieving ASAS20 Response", 131, VISITS,
            ("P1-ASAS20", "P1-ASAS20ST", "ASAS20-RATE", "ASAS20-CMP", "ASAS20ST-CMP"), WEEKS),
    Outcome(139, "Global Assessment of Disease Activity", 140, VISITS, ("P1-PTGA", "PTGA-MMRM"), WEEKS),
    Outcome(149, "Total Spinal Pain Intensity Score", 150, VISITS, ("P1-SPPAIN", "SPPAIN-MMRM"), WEEKS),
    Outcome(158, "Bath Ankylosing Spondylitis Functional Index (BASFI)", 159, VISITS, ("P1-BASFI", "BASFI-MMRM"),
            WEEKS),
    Outcome(168, "Bath Ankylosing Spondylitis Disease Activity Index (BASDAI)", 169, VISITS,
            ("P1-BASDAI", "BASDAI-MMRM"), WEEKS),
    Outcome(177, "Bath Ankylosing Spondylitis Metrology Index (BASMI)", 178, VISITS,
            ("P1-BASMI2", "P1-BASMILIN", "BASMI2-MMRM", "BASMILIN-MMRM"), WEEKS),
    Outcome(186, "Swollen Joint Count(SJC) and Tender Joint Count(TJC) Based on 44-Joint Assessment", 187, VISITS,
            ("P1-SJC44", "P1-TJC44", "SJC44-MMRM", "TJC44-MMRM"), WEEKS),
    Outcome(195, "Serum C-reactive Protein (CRP) Concentration (mg/L)", 196, VISITS, ("P1-CRP", "CRP-MMRM"), WEEKS),
    Outcome(203, "Erythrocyte Sedimentation Rate (ESR) (mm/h)", 204, VISITS, ("P1-ESR", "ESR-MMRM"), WEEKS),
    Outcome(211, "Serum Concentrations of Cytokines (TNF-α and BMP2) (pg/mL)", 212, VISITS,
            ("P1-TNFA", "P1-BMP2", "TNFA-MMRM", "BMP2-MMRM"), WEEKS),
    Outcome(219, "Peripheral Blood Immune Cell Subset Percentages", 220, VISITS,
            tuple(f"IMMUNE-{c}" for c in ("CD4", "CD8", "TREG", "TH17", "NK", "MAIT", "MONO", "NEUT", "BCELL")),
            WEEKS),
)
#: seed line 222 names the immune-cell subsets; each is an endpoint of the plan
IMMUNE_LINE = (222, {"CD4+ T cells": "CD4", "CD8+ T cells": "CD8", "Treg cells": "TREG", "Th17 cells": "TH17",
                     "NK cells": "NK", "MAIT cells": "MAIT", "monocytes": "MONO", "neutrophils": "NEUT",
                     "B cells": "BCELL"})
#: the two descriptions of the placebo (seed lines 95 and 98)
PLACEBO = ((95, "Compound Electrolyte Injection"), (98, "Sodium Chloride Solution, 5 ml"))
DLT_FRAME = (120, "24 weeks")
#: design as registered: (seed line, text on it)
DESIGN = {"phase1": (9, "Phase 1 (dose-escalation): Open-label, single-arm."),
          "phase2": (10, "Phase 2 (dose-expansion): Randomized, double-blind, placebo-controlled."),
          "visits": (13, "Week 1, 4, 8, 12, and 24 after the first infusion"),
          "enrolment": (17, "注册 (估计的)"),
          "phase_field": (19, "- 阶段1"),
          "masking": (80, "- 屏蔽:双倍的"),
          "doses": (87, "low-dose (1*10^6 cells/kg), medium-dose (2.0*10^6 cells/kg), or high-dose 4.0*10^6 cells/kg)"),
          "days": (88, "4 doses on Days 0, 7, 14, and 21"),
          "celecoxib": (89, "celecoxib 0.2g orally once daily")}


# --------------------------------------------------------------------------- the seed
@pytest.fixture(scope="module")
def seed_lines() -> list[str]:
    if not SEED.is_file():
        pytest.skip(f"registration seed not present at {SEED}")
    return SEED.read_text(encoding="utf-8").splitlines()


def _weeks(text: str) -> tuple[int, ...]:
    return tuple(int(w) for w in re.findall(r"\d+", text))


def test_checklist_quotes_the_seed(seed_lines):
    for item in CHECKLIST:
        assert item.quote in seed_lines[item.line - 1], (item.line, item.quote)
        frame = seed_lines[item.time_line - 1]
        assert frame == TIME_FRAME + item.time_frame, (item.time_line, frame)
        if item.weeks:
            assert _weeks(frame) == item.weeks
    line, names = IMMUNE_LINE
    assert all(name in seed_lines[line - 1] for name in names)
    for line, quote in PLACEBO:
        assert quote in seed_lines[line - 1], (line, quote)
    assert seed_lines[DLT_FRAME[0] - 1].endswith(DLT_FRAME[1])


def test_design_quotes_the_seed(seed_lines):
    for key, (line, quote) in DESIGN.items():
        assert quote in seed_lines[line - 1], (key, line)
    assert seed_lines[DESIGN["enrolment"][0] - 1] == DESIGN["enrolment"][1]  # no number: no enrolment registered


def test_design_as_registered():
    """Arms, doses, infusion days, background therapy, visits, blinding; silent fields are noted."""
    doses = {a.id: a.dose for a in PLAN.design.arms if a.phase == "P1"}
    assert doses == {"DL1": 1.0, "DL2": 2.0, "DL3": 4.0}  # seed line 87
    assert all(a.infusion_days == (0, 7, 14, 21) for a in PLAN.design.arms)  # seed line 88
    assert PLAN.design.background_therapy == "celecoxib 0.2 g orally once daily"  # seed line 89
    assert [v.avisitn for v in PLAN.schedule.visits if v.avisitn > 0] == list(WEEKS)  # seed line 13
    assert PLAN.design.phase("P1").blinding == "open-label" and PLAN.design.phase("P2").blinding == "double-blind"
    _, fields = _note("P1", "P2", text='masking "Double"')  # seed lines 19, 78-80 against lines 9-10
    assert 'study phase "Phase 1"' in " ".join(fields.text.split())
    _note("P1", "P2", text="gives no sample size")  # seed line 17: no enrolment number
    assert PLAN.design.phase("P2").planned_n == 40


def test_every_registered_time_frame_is_in_the_checklist(seed_lines):
    """No registered outcome is left out: each time-frame line of the seed is cited by one checklist item."""
    frames = [i for i, line in enumerate(seed_lines, start=1) if line.startswith(TIME_FRAME)]
    assert sorted(item.time_line for item in CHECKLIST) == frames


# --------------------------------------------------------------------------- the run
@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    if not frozen_data_dir(PLAN).is_dir():
        pytest.skip(f"no frozen data at {frozen_data_dir(PLAN)}")
    out = tmp_path_factory.mktemp("cg-bm1")
    run_plan(PLAN, out_dir=out, formats=())
    return out


@pytest.fixture(scope="module")
def results(run) -> pd.DataFrame:
    return pd.DataFrame(json.loads((run / "results.json").read_text(encoding="utf-8"))["results"])


def _arm_labels(analysis) -> list[str]:
    return [a.label for a in PLAN.design.arms if analysis.phase is None or a.phase == analysis.phase]


def _output_parts(run: Path, output_id: str) -> list[str]:
    """Titles of the display tables of an output, in the order of its tables/<id>_<n>.csv files."""
    qmd = (run / "report.qmd").read_text(encoding="utf-8")
    start = qmd.index(f'<div class="tlg" id="out-{output_id}">')
    block = qmd[start:qmd.index("\n```", start)]
    return [html.unescape(t) for t in re.findall(r'class="gt_heading gt_title[^"]*"[^>]*>(.*?)<', block)]


def _owner(title: str, analyses) -> str | None:
    """The analysis a part title belongs to: the one whose title is the longest prefix of it."""
    titles = {a: PLAN.analysis(a).title for a in analyses}
    matching = [a for a, t in titles.items() if title.startswith(t)]
    return max(matching, key=lambda a: len(titles[a])) if matching else None


def _tables_of(run: Path, analysis) -> list[pd.DataFrame]:
    """The CSV tables the run wrote for an analysis (the parts of its outputs titled by it)."""
    found = []
    for out in (o for o in PLAN.outputs if o.kind == "table" and analysis.id in o.analyses):
        titles = _output_parts(run, out.id)
        parts = [n for n, t in enumerate(titles, start=1) if _owner(t, out.analyses) == analysis.id]
        if len(out.analyses) == 1 and not titles:  # a one-part output shows no part title
            parts = [1]
        found += [pd.read_csv(run / "tables" / f"{out.id}_{n}.csv", dtype=str) for n in parts]
    return found


@pytest.mark.parametrize("item", [i for i in CHECKLIST if i.weeks], ids=lambda i: f"seed-line-{i.line}")
def test_outcome_reported_at_every_registered_week(item, run, results):
    for analysis_id in item.analyses:
        analysis = PLAN.analysis(analysis_id)
        rows = results[results["analysis_id"] == analysis_id]
        assert len(rows), f"seed line {item.line}: {analysis_id} has no result rows"
        arms = _arm_labels(analysis)
        tables = _tables_of(run, analysis)
        assert tables, f"seed line {item.line}: {analysis_id} is in no table of the run"
        for week in item.weeks:
            at = rows[rows["visit"] == week]
            shown = set(at["group"].dropna()) | set(at["comparator"].dropna())
            assert set(arms) <= shown, (item.line, analysis_id, week, sorted(shown))
            assert at["estimate"].notna().any(), (item.line, analysis_id, week)
            for table in tables:
                assert PLAN.visit_label(week) in set(table.iloc[:, 0]), (item.line, analysis_id, week)
                header = " ".join(table.columns)
                assert all(arm in header for arm in arms), (item.line, analysis_id, list(table.columns))


def test_immune_subsets_named_in_the_registration_are_analysed():
    line, names = IMMUNE_LINE
    item = next(i for i in CHECKLIST if i.line == 219)
    for code in names.values():
        assert PLAN.endpoint(code).visits == WEEKS, (line, code)
        assert f"IMMUNE-{code}" in item.analyses and PLAN.analysis(f"IMMUNE-{code}").endpoint == code


def _frozen(name: str) -> pd.DataFrame:
    return pd.read_csv(frozen_data_dir(PLAN) / f"{name}.csv")


def _count(results: pd.DataFrame, analysis_id: str, label: str, group: str,
           statistic: str = "count") -> tuple[float, float]:
    """(estimate, n) of the one result row of a subject count (or ``event_count``)."""
    row = results[(results["analysis_id"] == analysis_id) & (results["label"] == label)
                  & (results["group"] == group) & (results["statistic"] == statistic)]
    assert len(row) == 1, (analysis_id, label, group, statistic, len(row))
    return float(row["estimate"].iloc[0]), float(row["n"].iloc[0])


def test_phase1_incidence_over_24_weeks_is_counted_from_the_data(results):
    """Seed lines 113-122: AEs, SAEs and DLTs over 24 weeks, every treated Phase 1 subject, by dose and in total."""
    adsl, adae = _frozen("adsl"), _frozen("adae")
    saf = adsl[(adsl["SAFFL"] == "Y") & (adsl["PHASE"] == "Phase 1")][["USUBJID", "TRT01A"]]
    teae = adae[adae["TRTEMFL"] == "Y"].merge(saf, on="USUBJID")
    assert teae["ASTDY"].max() <= PLAN.schedule.visits[-1].window[1]  # all within the 24-week follow-up
    assert (teae["ASTDY"] > 28).any()  # the table is not limited to the 28-day DLT window
    groups = {a.label: saf[saf["TRT01A"] == a.data_value] for a in PLAN.design.arms if a.phase == "P1"}
    groups["Total"] = saf
    for label, mask in (("Any TEAE", teae["TRTEMFL"] == "Y"), ("Serious TEAE", teae["AESER"] == "Y"),
                        ("Dose-limiting toxicity", teae["DLTFL"] == "Y")):
        for group, subjects in groups.items():
            events = teae[mask & teae["USUBJID"].isin(subjects["USUBJID"])]
            assert _count(results, "AE-OVW-P1", label, group) == (events["USUBJID"].nunique(), len(subjects))
            assert _count(results, "AE-OVW-P1", label, group, "event_count")[0] == len(events), (label, group)
    assert _count(results, "AE-OVW-P1", "Dose-limiting toxicity", "Total")[0] > 0  # the check can see a DLT


def test_ae_and_sae_incidence_for_every_arm(results):
    for arm in [a.label for a in PLAN.design.arms] + ["Total"]:
        for label in ("Any TEAE", "Serious TEAE"):
            _count(results, "AE-OVW", label, arm)


def test_dlt_rate_for_escalation_uses_the_dlt_evaluable_subjects(results):
    adsl = _frozen("adsl")
    for arm in (a for a in PLAN.design.arms if a.phase == "P1"):
        rows = results[(results["analysis_id"] == "DLT-RATE") & (results["group"] == arm.label)]
        evaluable = ((adsl["DLTEVLFL"] == "Y") & (adsl["TRT01A"] == arm.data_value)).sum()
        assert set(rows["n"].dropna().astype(int)) == {evaluable}, arm.id
    assert PLAN.design.phase("P1").escalation.dlt_window_days == 28


# --------------------------------------------------------------------------- the notes
def _note(*about: str, text: str = ""):
    """(number, note) of the one targeted note about all of ``about`` (and containing ``text``)."""
    found = [(n, note) for n, note in enumerate(PLAN.notes, start=1)
             if not isinstance(note, str) and set(about) <= set(note.about) and text in " ".join(note.text.split())]
    assert len(found) == 1, (about, text, len(found))
    return found[0]


def _plain(markdown: str) -> str:
    return " ".join(re.sub(r"\\(.)", r"\1", markdown).split())


def _sap_block(sap: str, block_id: str) -> str:
    start = sap.index(f'<div class="tlg" id="{block_id}">')
    return " ".join(html.unescape(sap[start:sap.index("\n```", start)]).split())


def test_dlt_window_note(run):
    n, note = _note("DLT", "P1", "DLTEVAL", "DLT-RATE", "ESC", "AE-OVW-P1")
    text = " ".join(note.text.split())
    assert "time frame 24 weeks" in text and "28-day DLT window" in text and "AE-OVW-P1" in text
    assert "28-day DLT window" in PLAN.design.summary and "24 weeks" in PLAN.design.summary
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    start = sap.index("## Phase 1 dose escalation")
    phase1 = sap[start:sap.index("\n## ", start + 1)]
    assert f"**Note {n}:** {text}" in _plain(phase1)
    assert f"Note {n} (about DLT): {text}" in _sap_block(sap, "sap-endpoints")
    assert f"Note {n} (about DLTEVAL): {text}" in _sap_block(sap, "sap-populations")
    analyses = _sap_block(sap, "sap-analyses")
    assert f"Note {n} (about DLT-RATE, ESC, AE-OVW-P1): {text}" in analyses
    assert all(f"{a} [note {n}]" in analyses for a in ("DLT-RATE", "ESC", "AE-OVW-P1"))


def test_placebo_note(run):
    n, note = _note("PBO")
    text = " ".join(note.text.split())
    for _, quote in PLACEBO:
        assert quote in text
    assert "conflicts" in text
    for described in (PLAN.design.arm("PBO").regimen, PLAN.design.summary):
        assert "compound electrolyte injection" in described and "sodium chloride solution 5 ml" in described
    sap = (run / "sap.qmd").read_text(encoding="utf-8")
    arms = _sap_block(sap, "sap-arms")
    assert f"PBO [note {n}]" in arms and f"Note {n} (about PBO): {text}" in arms
    assert f"{n}. {text} (About: PBO, P2.)" in _plain(sap[sap.index("# Choices where the registration"):])
