"""wang2013: every number of the Wang 2013 abstract is in the plan's reproduction table (output 14.9.1), compared
the way it is published, and the report and the SAP document say how the frozen data were made.

Source: Wang P et al. Cell Transplant 2014;23:1293 (epub 2013), abstract = ../shared/seeds/004_e373980a947458b5.txt
line 6 (quoted below; when the seed file is present the quote is checked against it). Each number of the abstract
is listed in CHECKLIST with the sentence it comes from and where the plan carries it: a published value of the
reproduction table (by label) or, for the protocol's design numbers, the plan's design. Tolerance: as each entry
states (counts exact, means/SDs to the published decimal, p-values as directions).
"""
from __future__ import annotations

import dataclasses
import re
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest

from reports.reproduction import summarize_reproduction
from reports.results_document import build_results_body, reproduction_markdown
from reports.sap_document import build_sap_body
from sap.errors import PlanError
from sap.pipeline import compute_run
from sap.spec import load_plan, plan_from_mapping

SEED = Path(__file__).resolve().parents[3] / "shared" / "seeds" / "004_e373980a947458b5.txt"
ABSTRACT_LINE = 6
ABSTRACT = (
    "Abstract:Our objective was to evaluate the feasibility, safety, and efficacy of intravenous (IV) infusion of "
    "allogenic mesenchymal stem cells (MSCs) in ankylosing spondylitis (AS) patients who are refractory to or cannot "
    "tolerate the side effects of nonsteroidal anti-inflammatory drugs (NSAIDs). AS patients enrolled in this study "
    "received four IV infusions of MSCs on days 0, 7, 14, and 21. The percentage of ASAS20 responders (the primary "
    "endpoint) at the fourth week and the mean ASAS20 response duration (the secondary endpoint) were used to assess "
    "treatment response to MSC infusion and duration of the therapeutic effects. Ankylosing Spondylitis Disease "
    "Activity Score Containing C-reactive Protein (ASDAS-CRP) and other preestablished evaluation indices were also "
    "adopted to evaluate the clinical effects. Magnetic resonance imaging (MRI) was performed to detect changes of "
    "bone marrow edema in the spine. The safety of this treatment was also evaluated. Thirty-one patients were "
    "included, and the percentage of ASAS20 responders reached 77.4% at the fourth week, and the mean ASAS20 "
    "response duration was 7.1 weeks. The mean ASDAS-CRP score decreased from 3.6 \u00b1 0.6 to 2.4 \u00b1 0.5 at the "
    "fourth week and then increased to 3.2 \u00b1 0.8 at the 20th week. The average total inflammation extent (TIE) "
    "detected by MRI decreased from 533,482.5 at baseline to 480,692.3 at the fourth week (p > 0.05) and 400,547.2 "
    "at the 20th week (p < 0.05). No adverse effects were noted. IV infusion of MSCs is a feasible, safe, and "
    "promising treatment for patients with AS.")

#: (number as written in the abstract, sentence it is in, where the plan has it). "published:<label>" = a published
#: value of table 14.9.1; "design:<what>" = the plan's design (checked in test_design_numbers).
CHECKLIST = [
    ("four", "received four IV infusions of MSCs on days 0, 7, 14, and 21", "design:infusion_days"),
    ("0", "on days 0, 7, 14, and 21", "design:infusion_days"),
    ("7", "on days 0, 7, 14, and 21", "design:infusion_days"),
    ("14", "on days 0, 7, 14, and 21", "design:infusion_days"),
    ("21", "on days 0, 7, 14, and 21", "design:infusion_days"),
    ("fourth", "ASAS20 responders (the primary endpoint) at the fourth week", "design:primary_week_4"),
    ("Thirty-one", "Thirty-one patients were included", "published:Patients included (n)"),
    ("77.4", "ASAS20 responders reached 77.4% at the fourth week", "published:ASAS20 response rate at week 4"),
    ("fourth", "reached 77.4% at the fourth week", "published:ASAS20 responders at week 4 (n)"),
    ("7.1", "the mean ASAS20 response duration was 7.1 weeks", "published:Mean ASAS20 response duration (weeks)"),
    ("3.6", "ASDAS-CRP score decreased from 3.6 \u00b1 0.6", "published:ASDAS-CRP mean at baseline"),
    ("0.6", "ASDAS-CRP score decreased from 3.6 \u00b1 0.6", "published:ASDAS-CRP SD at baseline"),
    ("2.4", "to 2.4 \u00b1 0.5 at the fourth week", "published:ASDAS-CRP mean at week 4"),
    ("0.5", "to 2.4 \u00b1 0.5 at the fourth week", "published:ASDAS-CRP SD at week 4"),
    ("fourth", "to 2.4 \u00b1 0.5 at the fourth week", "published:ASDAS-CRP mean at week 4"),
    ("3.2", "increased to 3.2 \u00b1 0.8 at the 20th week", "published:ASDAS-CRP mean at week 20"),
    ("0.8", "increased to 3.2 \u00b1 0.8 at the 20th week", "published:ASDAS-CRP SD at week 20"),
    ("20", "at the 20th week", "published:ASDAS-CRP mean at week 20"),
    ("533,482.5", "(TIE) detected by MRI decreased from 533,482.5 at baseline", "published:MRI TIE mean at baseline"),
    ("480,692.3", "to 480,692.3 at the fourth week (p > 0.05)", "published:MRI TIE mean at week 4"),
    ("fourth", "to 480,692.3 at the fourth week (p > 0.05)", "published:MRI TIE mean at week 4"),
    ("0.05", "at the fourth week (p > 0.05)",
     "published:MRI TIE change from baseline at week 4: p-value (paired t-test)"),
    ("400,547.2", "and 400,547.2 at the 20th week (p < 0.05)", "published:MRI TIE mean at week 20"),
    ("20", "and 400,547.2 at the 20th week (p < 0.05)", "published:MRI TIE mean at week 20"),
    ("0.05", "at the 20th week (p < 0.05)",
     "published:MRI TIE change from baseline at week 20: p-value (paired t-test)"),
    ("No", "No adverse effects were noted", "published:Patients with an adverse event (n)"),
]
#: the numbers of the abstract: digits not glued to letters (ASAS20 is a name), ordinals, number words, 'No'
NUMBER = re.compile(r"(?<![A-Za-z\d.,])(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?=th\b|[^A-Za-z\d]|$)"
                    r"|\b(?:four|fourth|Thirty-one)\b|\bNo(?= adverse)")
PUBLISHED_VALUE = {"Thirty-one": 31, "77.4": 0.774, "fourth": None, "No": 0, "20": None}


@pytest.fixture(scope="module")
def plan():
    return load_plan("wang2013")


@pytest.fixture(scope="module")
def bundle(plan):
    return compute_run(plan)  # the frozen synthetic data, as `python -m sap.run --plan wang2013` runs it


def _label(where: str) -> str:
    return where.split(":", 1)[1]


def test_quote_is_the_seed_abstract():
    if not SEED.is_file():
        pytest.skip(f"seed file not present: {SEED}")
    assert SEED.read_text(encoding="utf-8").splitlines()[ABSTRACT_LINE - 1] == ABSTRACT


def test_every_number_of_the_abstract_is_in_the_checklist():
    found = Counter(m.group(0) for m in NUMBER.finditer(ABSTRACT))
    listed = Counter(number for number, _, _ in CHECKLIST)
    assert found == listed
    for number, sentence, _ in CHECKLIST:
        assert sentence in ABSTRACT and number in sentence, (number, sentence)


def test_published_entries_carry_the_abstract_numbers(plan):
    by_label = {p.label: p for p in plan.published}
    for number, sentence, where in CHECKLIST:
        if not where.startswith("published:"):
            continue
        pv = by_label[_label(where)]
        assert f"line {ABSTRACT_LINE}" in pv.source and "Wang 2013 abstract" in pv.source
        expected = PUBLISHED_VALUE.get(number, float(number.replace(",", "")) if number[0].isdigit() else None)
        if expected is not None and pv.comparison == "rounded":
            assert pv.value == pytest.approx(expected), (number, pv.label)
        if "(p > 0.05)" in sentence and "p-value" in pv.label:
            assert (pv.comparison, pv.value, pv.column) == ("above", 0.05, "p_value")
        if "(p < 0.05)" in sentence and "p-value" in pv.label:
            assert (pv.comparison, pv.value, pv.column) == ("below", 0.05, "p_value")
    listed = {_label(w) for _, _, w in CHECKLIST if w.startswith("published:")}
    assert listed == set(by_label), "a published value without an abstract number, or the reverse"


def test_design_numbers(plan, bundle):
    """The protocol's numbers: four infusions on days 0, 7, 14, 21 (and every frozen subject received four), the
    primary endpoint at week 4, follow-up to week 20."""
    assert plan.design.arms[0].infusion_days == (0, 7, 14, 21)
    expo = bundle.outcomes["EXPO"].rows
    assert expo.loc[expo["statistic"] == "mean", "estimate"].dropna().tolist() == [4.0]
    asas20 = plan.endpoint("ASAS20")
    assert asas20.role == "primary" and asas20.estimand.variable == "ASAS20 response at week 4"
    assert max(v.avisitn for v in plan.schedule.visits) == 20


def test_reproduction_table_lists_every_published_value_and_all_agree(plan, bundle):
    frame = summarize_reproduction(plan, bundle.outcomes)
    assert frame["Published quantity"].tolist() == [p.label for p in plan.published] and len(frame) == 16
    assert (frame["Agrees"] == "yes").all(), frame[frame["Agrees"] != "yes"].to_string()
    p_rows = frame[frame["Compared as"] == "direction"]
    assert p_rows["Published"].tolist() == ["p > 0.05", "p < 0.05"]
    assert p_rows["Visit"].tolist() == ["Week 4", "Week 20"]


def test_a_direction_on_the_wrong_side_does_not_agree(plan, bundle):
    """The direction comparison can fail: a week-4 p of 0.01 is not 'p > 0.05'."""
    outcome = bundle.outcomes["TIE-PAIRED"]
    rows = outcome.rows.copy()
    rows.loc[(rows["statistic"] == "t_test") & (rows["visit"] == 4.0), "p_value"] = 0.01
    outcomes = dict(bundle.outcomes, **{"TIE-PAIRED": dataclasses.replace(outcome, rows=rows)})
    frame = summarize_reproduction(plan, outcomes).set_index("Published quantity")
    assert frame.loc["MRI TIE change from baseline at week 4: p-value (paired t-test)", "Agrees"] == "no"
    assert frame.loc["MRI TIE change from baseline at week 20: p-value (paired t-test)", "Agrees"] == "yes"


def _plain(markdown: str) -> str:
    return re.sub(r"\s+", " ", markdown.replace("\\", ""))


def test_report_states_how_the_frozen_data_were_made(plan, bundle, tmp_path):
    body, paths = build_results_body(bundle, tmp_path)
    text = _plain(body)
    statement = _plain(plan.data.synthetic.notes)
    section = text[text.index("Reproduction of the published results"):]
    assert section.index(statement) < section.index("Table 14.9.1: Published results and this run side by side")
    assert "selected from a simulated pool" in statement and "not an independent confirmation" in statement
    assert "16 of 16 published results agree with this run" in section
    assert "reproduced" not in section.split("Table 14.9.1")[0]
    csv = pd.read_csv(tmp_path / "tables" / "14.9.1_1.csv")
    assert csv["Published quantity"].tolist() == [p.label for p in plan.published]
    assert (tmp_path / "tables" / "14.9.1_1.csv") in paths


def test_statement_only_on_the_frozen_data(plan):
    on_user_data = _plain(reproduction_markdown(plan, {}))
    assert _plain(plan.data.synthetic.notes) not in on_user_data
    assert _plain(plan.data.synthetic.notes) in _plain(reproduction_markdown(plan, {}, calibrated_data=True))


def test_sap_states_how_the_frozen_data_were_made(plan):
    text = _plain(build_sap_body(plan, "0" * 64))
    published = text[text.index("Published values set beside the run"):]
    assert published.index(_plain(plan.data.synthetic.notes)) < published.index("<strong>Published values</strong>")
    assert "paired t-test" in text and "no hypothesis tests are prespecified" not in text


# --------------------------------------------------------------------------- the published-value model
def _raw():
    return load_plan("wang2013").model_dump(mode="json")


@pytest.mark.parametrize("change,message", [
    (lambda p: p.update(precision=0.01), r"a direction \(above 0\.05\) has no precision"),
    (lambda p: p.update(comparison="rounded"), r"precision: needed to compare a value rounded"),
    (lambda p: p.update(visit=5), r"visit: 5 not in the visit schedule"),
    (lambda p: p.update(analysis="BASDAI-SUM"), r"BASDAI-SUM is not among the analyses of the reproduction output"),
    (lambda p: p.update(column="se"), r"column"),
])
def test_bad_published_value_is_a_plan_error(change, message):
    raw = _raw()
    entry = next(p for p in raw["published"] if p["comparison"] == "above")
    change(entry)
    with pytest.raises(PlanError, match=message):
        plan_from_mapping(raw)


def test_published_values_need_the_data_statement():
    raw = _raw()
    raw["data"]["synthetic"]["notes"] = " "
    with pytest.raises(PlanError, match=r"data\.synthetic\.notes: a plan with published values must say how"):
        plan_from_mapping(raw)
