"""Method options ``total`` (continuous_summary, response_rate: a column pooled over the groups) and ``relatedness``
(ae_by_max_grade, ae_by_soc_pt: only events related to the study treatment), on hand-made frames for the shipped
ucmsc-as plan (dose levels D1, D3, D5; FAS and SAF by flag). Every expectation is counted by hand from the rows
below; the one interval is checked against R ``binom.test(3, 6)$conf.int`` (0.1181172, 0.8818828; tolerance 1e-7).

Subjects: S1, S2 at 1x10^6 cells/kg; S3, S4 at 3x10^6; S5, S6 at 5x10^6; S7 at 5x10^6 but outside FAS and SAF (must
not count anywhere, the pooled column included).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from reports.shells.binary import rate_table
from reports.shells.common import ShellContext
from reports.shells.continuous import summary_table
from reports.shells.safety import RELATED_NOTE, ae_max_grade_table
from sap.adapters import safety
from sap.adapters.binary import response_rate
from sap.adapters.continuous import continuous_summary
from sap.context import AnalysisContext, assign_arms
from sap.errors import PlanError, UserInputError
from sap.registry import AEOptions, ContinuousSummaryOptions, ResponseRateOptions
from sap.results import Exclusion
from sap.spec import load_plan, plan_from_mapping
from shared_helpers import one_row

D1, D3, D5 = "UC-MSC 1x10^6 cells/kg", "UC-MSC 3x10^6 cells/kg", "UC-MSC 5x10^6 cells/kg"
ADSL = pd.DataFrame({
    "USUBJID": [f"S{i}" for i in range(1, 8)],
    "TRT01P": [D1, D1, D3, D3, D5, D5, D5],
    "SAFFL": ["Y"] * 6 + ["N"],
    "FASFL": ["Y"] * 6 + ["N"],
    "DLTEVLFL": ["Y"] * 6 + ["N"],
})
#                      S1 S2      S3 S4 S5 S6 S7
ASAS20_NRI = {2: [1, 0, 1, 1, 0, 0, 1], 4: [0, 0, 1, 0, 1, 0, 1]}
ASAS20_OC = {2: [1, np.nan, 1, 1, 0, 0, 1], 4: [0, 0, 1, 0, 1, 0, 1]}
BASDAI = pd.DataFrame({
    "USUBJID": [f"S{i}" for i in range(1, 8)] * 2, "PARAMCD": "BASDAI", "ANL01FL": "Y",
    "AVISITN": [0.0] * 7 + [2.0] * 7,
    "AVAL": [6.0, 5.0, 7.0, 4.0, 6.0, 8.0, 9.0, 3.0, 4.0, np.nan, 3.0, 5.0, 7.0, 1.0],
    "CHG": [np.nan] * 7 + [-3.0, -1.0, np.nan, -1.0, -1.0, -1.0, -8.0],
})
# related: S1 pyrexia g2 (headache g3 not related); S2 rash g1 with a missing relationship (counts as related);
# S3 nausea g1 and g3; S4 only an unrelated URTI g2 and a related headache that is not treatment-emergent;
# S5 infusion reaction g1 "POSSIBLE"; S6 none; S7 (outside SAF) pyrexia g4 related
ADAE = pd.DataFrame({
    "USUBJID": ["S1", "S1", "S2", "S3", "S3", "S4", "S4", "S5", "S7"],
    "AEBODSYS": ["GEN", "NERV", "SKIN", "GI", "GI", "INF", "NERV", "INJ", "GEN"],
    "AEDECOD": ["Pyrexia", "Headache", "Rash", "Nausea", "Nausea", "URTI", "Headache", "Infusion reaction", "Pyrexia"],
    "AETOXGR": [2, 3, 1, 1, 3, 2, 1, 1, 4],
    "AEREL": ["RELATED", "NOT RELATED", "", "RELATED", "RELATED", "NOT RELATED", "RELATED", "POSSIBLE", "RELATED"],
    "AESER": ["N"] * 9,
    "TRTEMFL": ["Y"] * 6 + ["N", "Y", "Y"],
    "DLTFL": ["N"] * 9,
})


def _adresp() -> pd.DataFrame:
    return pd.DataFrame([{"USUBJID": s, "PARAMCD": "ASAS20", "AVISITN": float(v), "AVAL_NRI": ASAS20_NRI[v][i],
                          "AVAL_OC": ASAS20_OC[v][i]} for v in (2, 4) for i, s in enumerate(ADSL["USUBJID"])])


def _context(plan=None) -> AnalysisContext:
    plan = plan or load_plan("ucmsc-as")
    adsl = assign_arms(plan, ADSL)
    return AnalysisContext(plan=plan, adsl=adsl, datasets={"adsl": adsl, "adae": ADAE.copy(), "adresp": _adresp(),
                                                          "adeff": BASDAI.copy()})


def _analysis(plan, analysis_id: str, options):
    return plan.analysis(analysis_id).model_copy(update={"options": options})


def _plan_with_options(analysis_id: str, options: dict):
    data = load_plan("ucmsc-as").model_dump(mode="json")
    for a in data["analyses"]:
        if a["id"] == analysis_id:
            a["options"].update(options)
    return plan_from_mapping(data, "ucmsc-as (test)")


# --------------------------------------------------------------------------- total: response rates
def test_response_rate_total_pools_the_dose_levels():
    ctx = _context()
    result = response_rate(ctx, _analysis(ctx.plan, "ASAS20-RATE", ResponseRateOptions(total=True)))
    assert dict(result.group_n) == {D1: 2, D3: 2, D5: 2, "Total": 6}   # S7 is not in the FAS
    rows = result.rows
    # NRI day 14 (AVISITN 2): S1, S3, S4 respond -> 1/2, 2/2, 0/2 and 3/6 pooled
    counts = {g: one_row(rows, imputation="nri", visit=2.0, group=g, statistic="count")["estimate"]
              for g in (D1, D3, D5, "Total")}
    assert counts == {D1: 1, D3: 2, D5: 0, "Total": 3}
    p = one_row(rows, imputation="nri", visit=2.0, group="Total", statistic="proportion")
    assert (p["estimate"], p["n"]) == (0.5, 6)
    assert (p["ci_lower"], p["ci_upper"]) == pytest.approx((0.1181172, 0.8818828), abs=1e-7)
    # observed cases day 14: S2 not evaluable -> pooled 3 of 5; day 28: S3, S5 -> 2 of 6
    oc = one_row(rows, imputation="observed_case", visit=2.0, group="Total", statistic="proportion")
    assert (oc["estimate"], oc["n"]) == (pytest.approx(3 / 5), 5)
    assert one_row(rows, imputation="observed_case", visit=4.0, group="Total", statistic="count")["estimate"] == 2
    # the pooled rows reuse the records: exclusions and records used are not counted twice
    assert [(e.reason.split(":")[0], e.n) for e in result.excluded] == [("Observed cases", 1)]
    assert result.records_used == 12
    assert "Total" not in set(result.frames["rates"]["group"])     # the figure is by dose level


def test_response_rate_without_total_has_no_pooled_column():
    ctx = _context()
    result = response_rate(ctx, _analysis(ctx.plan, "ASAS20-RATE", ResponseRateOptions()))
    assert "Total" not in set(result.rows["group"]) and "Total" not in result.group_n


def test_rate_shell_prints_the_pooled_column():
    ctx = _context()
    analysis = ctx.plan.analysis("ASAS20-RATE")
    assert analysis.options.total   # the shipped plan asks for it
    tables = rate_table(response_rate(ctx, analysis), ShellContext(ctx.plan))
    frame = tables[0].frame
    assert list(frame.columns)[-1] == "Total (N=6)"
    assert frame.set_index("Visit").loc["Day 14", "Total (N=6)"] == "3/6 (50.0%) (11.8, 88.2)"


# --------------------------------------------------------------------------- total: continuous summaries
def test_continuous_summary_total_hand_computed():
    ctx = _context()
    result = continuous_summary(ctx, _analysis(ctx.plan, "BASDAI-SUM", ContinuousSummaryOptions(total=True)))
    assert dict(result.group_n) == {D1: 2, D3: 2, D5: 2, "Total": 6}
    rows = result.rows
    # baseline AVAL S1-S6: 6, 5, 7, 4, 6, 8 -> n 6, mean 6, SD sqrt(10 / 5), median 6, min 4, max 8 (S7's 9 is out)
    base = {s: one_row(rows, visit=0.0, group="Total", statistic=s)["estimate"] for s in ("mean", "sd", "median",
                                                                                         "min", "max")}
    assert base == pytest.approx({"mean": 6.0, "sd": math.sqrt(2.0), "median": 6.0, "min": 4.0, "max": 8.0})
    # day 14 CHG: -3, -1, (S3 missing), -1, -1, -1 -> n 5, mean -1.4, SD sqrt(3.2 / 4), median -1
    m = one_row(rows, visit=2.0, group="Total", statistic="mean")
    assert (m["n"], m["estimate"]) == (5, pytest.approx(-1.4))
    assert one_row(rows, visit=2.0, group="Total", statistic="sd")["estimate"] == pytest.approx(math.sqrt(0.8))
    assert one_row(rows, visit=2.0, group="Total", statistic="median")["estimate"] == -1.0
    assert one_row(rows, visit=2.0, group=D1, statistic="mean")["estimate"] == pytest.approx(-2.0)
    assert [(e.reason, e.n) for e in result.excluded] == [("CHG missing", 1)]   # not counted twice
    assert "Total" not in set(result.frames["trajectories"]["group"])


def test_continuous_shell_prints_the_pooled_column():
    ctx = _context()
    analysis = _analysis(ctx.plan, "BASDAI-SUM", ContinuousSummaryOptions(total=True))
    frame = summary_table(continuous_summary(ctx, analysis), ShellContext(ctx.plan))[0].frame
    assert list(frame.columns)[-1] == "Total (N=6)"
    cell = frame[(frame["Visit"] == "Day 14") & (frame["Statistic"] == "Change from baseline: Mean (SD)")]
    assert cell["Total (N=6)"].iloc[0] == "-1.40 (0.89)"


def test_total_refuses_a_group_already_labelled_total():
    data = load_plan("ucmsc-as").model_dump(mode="json")
    data["design"]["arms"][0]["label"] = "Total"
    plan = plan_from_mapping(data, "ucmsc-as (test)")
    ctx = _context(plan)
    with pytest.raises(UserInputError, match=r"analyses\[ASAS20-RATE\]\.options\.total: .*already labelled 'Total'"):
        response_rate(ctx, plan.analysis("ASAS20-RATE"))


@pytest.mark.parametrize("analysis_id, value", [("ASAS20-RATE", "pooled"), ("BASDAI-SUM", "all dose levels")])
def test_total_must_be_true_or_false(analysis_id, value):
    with pytest.raises(PlanError, match=rf"analysis {analysis_id} .*options\.total"):
        _plan_with_options(analysis_id, {"total": value})


# --------------------------------------------------------------------------- relatedness
def _grade_counts(result, statistic: str = "count") -> dict:
    rows = result.rows[(result.rows["statistic"] == statistic) & result.rows["soc"].isna()]
    return {(r.category, r.group): int(r.estimate) for r in rows.itertuples()}


def test_related_max_grade_hand_counted():
    ctx = _context()
    result = safety.ae_by_max_grade(ctx, ctx.plan.analysis("AE-REL-GRADE"))
    assert ctx.plan.analysis("AE-REL-GRADE").options.relatedness == "related"
    n = _grade_counts(result)
    # worst related grade: S1 2 (its grade-3 headache is unrelated), S2 1 (missing AEREL), S3 3, S5 1; S4, S6 none
    assert [n[("Any grade", g)] for g in (D1, D3, D5, "Total")] == [2, 1, 1, 4]
    assert [n[(f"Grade {k}", "Total")] for k in (1, 2, 3, 4, 5)] == [2, 1, 1, 0, 0]
    assert (n[("Grade 1", D1)], n[("Grade 2", D1)], n[("Grade 3", D3)], n[("Grade 1", D5)]) == (1, 1, 1, 1)
    assert _grade_counts(result, "event_count")[("Any grade", "Total")] == 5   # S1 1, S2 1, S3 2, S5 1
    labels = set(result.rows["label"])
    assert "Any related TEAE" in labels and "Headache" not in labels and "URTI" not in labels
    assert {"Pyrexia", "Rash", "Nausea", "Infusion reaction"} <= labels
    # S7's record is outside the population; S1's headache and S4's URTI are unrelated (other reasons may follow)
    assert {Exclusion("subject not in the population (1 subject)", 1, "ADAE records"),
            Exclusion("not related to the study treatment (options.relatedness: related)", 2,
                      "ADAE records")} <= set(result.excluded)
    assert result.records_used == 5
    assert any("missing AEREL counted as related" in note for note in result.notes)


def test_any_relatedness_counts_every_teae():
    ctx = _context()
    result = safety.ae_by_max_grade(ctx, _analysis(ctx.plan, "AE-REL-GRADE", AEOptions()))
    n = _grade_counts(result)
    # all TEAEs: S1 worst 3, S2 1, S3 3, S4 2, S5 1
    assert [n[("Any grade", g)] for g in (D1, D3, D5, "Total")] == [2, 2, 1, 5]
    assert n[("Grade 3", "Total")] == 2 and "Headache" in set(result.rows["label"])


def test_related_soc_pt_hand_counted():
    ctx = _context()
    result = safety.ae_by_soc_pt(ctx, _analysis(ctx.plan, "AE-SOCPT", AEOptions(relatedness="related")))
    counts = result.rows[result.rows["statistic"] == "count"]
    total = {r.label: int(r.estimate) for r in counts[counts["group"] == "Total"].itertuples()}
    assert total == {"Any related TEAE": 4, "GEN": 1, "Pyrexia": 1, "GI": 1, "Nausea": 1, "INJ": 1,
                     "Infusion reaction": 1, "SKIN": 1, "Rash": 1}


def test_related_shell_says_so():
    ctx = _context()
    table = ae_max_grade_table(safety.ae_by_max_grade(ctx, ctx.plan.analysis("AE-REL-GRADE")), ShellContext(ctx.plan))[0]
    assert table.frame.iloc[0, 0] == "Any related TEAE" and list(table.frame.columns)[-1] == "Total (N=6)"
    assert any(RELATED_NOTE in f for f in table.footnotes)
    assert table.frame.iloc[0, -1] == "4 (66.7%) [5]"


def test_relatedness_is_refused_where_the_table_would_ignore_it():
    ctx = _context()
    with pytest.raises(UserInputError, match=r"analyses\[AE-OVW\]\.options\.relatedness"):
        safety.ae_overview(ctx, _analysis(ctx.plan, "AE-OVW", AEOptions(relatedness="related")))


def test_relatedness_bad_value_is_a_plan_error():
    with pytest.raises(PlanError, match=r"analysis AE-REL-GRADE .*options\.relatedness: Input should be 'any' or "
                                        r"'related'"):
        _plan_with_options("AE-REL-GRADE", {"relatedness": "possibly"})
