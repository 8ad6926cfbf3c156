"""Table shells of the dose-escalation family (reports.shells.escalation) on hand-built results (inline rows).

The cohorts and operating characteristics are those of the cg-bm1 tables 14.4.1 and 14.4.2 before the rebuild
(/tmp/old_out/cg-bm1/tables), whose printed cells are the expectations: counts as integers, DLT fractions
'x/n', probabilities to 4 decimals and expectations to 2, the Monte-Carlo check in brackets.
"""
from __future__ import annotations

import pandas as pd
import pytest

from analyses.results import tidy_frame
from reports.shells import display_tables
from reports.shells.common import ShellContext
from reports.shells.escalation import cohort_history_table, decision_table, oc_table, render_rule_outcome
from sap.results import AnalysisResult
from sap.spec import load_plan
from shared_helpers import render_tables  # noqa: E402

PLAN = load_plan("cg-bm1")
L1, L2, L3 = (PLAN.design.arm(a).label for a in ("DL1", "DL2", "DL3"))
SUBJ = ["0001, 0002, 0003", "0004, 0005, 0006", "0007, 0008, 0009", "0010, 0011, 0014"]
RULES = ["0/3 DLT: escalate to the next dose", "0/3 DLT: escalate to the next dose",
         "2/3 DLT: stop escalating; expand the next lower dose to 6 (the MTD needs 6 subjects)",
         "0/6 DLT at the MTD level: MTD confirmed with 6 subjects"]
DECISIONS = ["escalate", "escalate", "expand_mtd", "stop"]


@pytest.fixture
def sc():
    return ShellContext(PLAN, data_source="test data")


def _render(tables) -> list[dict]:
    return render_tables(tables, fill_missing=False)


def esc_result(level=None, **extra) -> AnalysisResult:
    doses, n_at, x_at = [L1, L2, L3, L2], [3, 3, 3, 6], [0, 0, 2, 0]
    rows = [dict(group=d, statistic="decision", estimate=x, n=n, label=dec, cohort=c, rule=r)
            for c, (d, n, x, dec, r) in enumerate(zip(doses, n_at, x_at, DECISIONS, RULES), start=1)]
    rows.append(dict(group=L2, statistic="decision", n=6, label=f"recommendation: stop; MTD status: declared; "
                                                                 f"RP2D: {L2}"))
    cohorts = pd.DataFrame({"cohort": [1, 2, 3, 4], "dose": doses, "subjects": SUBJ, "n_cohort": [3] * 4,
                            "n_dlt_cohort": [0, 0, 2, 0], "n_at_dose": n_at, "n_dlt_at_dose": x_at,
                            "decision": DECISIONS, "next_dose": [L2, L3, L2, None], "rule": RULES})
    a = PLAN.analysis("ESC")
    ex = {"phase": "P1", "recommendation": "stop", "mtd_status": "declared", "mtd": L2, "rp2d": L2, "n_at_mtd": 6}
    ex.update(extra)
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows), level=level,
                          group_n={L1: 3, L2: 6, L3: 3}, frames={"cohorts": cohorts}, extra=ex)


def test_decision_table_cells_and_footnotes(sc):
    (t,) = decision_table(esc_result(), sc)
    assert list(t.frame.columns) == ["Cohort", "Dose level", "Subjects", "DLTs in cohort", "DLTs at dose so far",
                                     "Decision", "Rule applied"]
    assert t.frame.values.tolist() == [
        ["1", L1, SUBJ[0], "0/3", "0/3", "escalate", RULES[0]],
        ["2", L2, SUBJ[1], "0/3", "0/3", "escalate", RULES[1]],
        ["3", L3, SUBJ[2], "2/3", "2/3", "expand_mtd", RULES[2]],
        ["4", L2, SUBJ[3], "0/3", "0/6", "stop", RULES[3]]]
    rule = PLAN.design.phase("P1").escalation
    assert t.footnotes[0] == f"Rule (3+3, DLT window 28 days): {rule.text}"
    assert t.footnotes[1] == f"Current recommendation: stop. MTD: {L2}. Recommended Phase 2 dose: {L2}."
    assert t.footnotes[-1] == "Data source: test data."
    assert t.stub_columns == ("Cohort",)


@pytest.mark.parametrize("status, rec, rp2d, text", [
    ("not_reached", "stop", L3, "MTD not reached within the dose range"),
    ("none_tolerated", "stop", None, "no dose level tolerated (MTD below the lowest dose)"),
    (None, f"escalate to dose {L2!r}", None, "MTD not yet determined")])
def test_recommendation_footnote_and_outcome_line(sc, status, rec, rp2d, text):
    res = esc_result(mtd_status=status, recommendation=rec, rp2d=rp2d, mtd=None)
    (t,) = decision_table(res, sc)
    assert t.footnotes[1] == f"Current recommendation: {rec}. {text}. Recommended Phase 2 dose: {rp2d or 'none'}."
    assert render_rule_outcome(res) == f"{rec}; MTD status: {status or 'open'}; RP2D: {rp2d or 'none'}"


def test_cohort_history_from_result_rows(sc):
    t = cohort_history_table(esc_result(), sc)
    assert list(t.frame.columns) == ["Cohort", "Dose level", "Subjects treated at dose (cumulative)",
                                     "DLTs at dose (cumulative)", "Decision", "Rule applied"]
    assert t.frame.values.tolist() == [["1", L1, "3", "0", "escalate", RULES[0]], ["2", L2, "3", "0", "escalate", RULES[1]],
                                       ["3", L3, "3", "2", "expand_mtd", RULES[2]], ["4", L2, "6", "0", "stop", RULES[3]]]
    assert render_rule_outcome(esc_result()) == f"stop; MTD status: declared; RP2D: {L2}"


# results.json of cg-bm1 before the rebuild (ESC-OC scenario 1): exact and Monte-Carlo P(outcome)
EXACT1 = [0.027141246690093757, 0.09656700809372772, 0.2982106984254307, 0.5780810467907487]
MC1 = [0.02665, 0.09365, 0.3001, 0.5796]


def oc_result() -> AnalysisResult:
    groups = ["No dose tolerated", f"MTD = {L1}", f"MTD = {L2}", f"{L3} cleared"]
    rows = []
    for g, e, m in zip(groups, EXACT1, MC1):
        rows += [dict(group=g, statistic="probability", estimate=e, label="scenario 1", method="exact enumeration"),
                 dict(group=g, statistic="probability", estimate=m, se=0.001, label="scenario 1",
                      method="Monte-Carlo 20000 trials")]
    for name, e, m in (("E[N]", 12.915122622347145, 12.924), ("E[DLTs]", 1.6108639868215096, 1.60875)):
        rows += [dict(statistic="expected_value", estimate=e, label=f"scenario 1: {name}", method="exact enumeration"),
                 dict(statistic="expected_value", estimate=m, se=0.01, label=f"scenario 1: {name}",
                      method="Monte-Carlo 20000 trials")]
    a = PLAN.analysis("ESC-OC")
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows),
                          extra={"phase": "P1", "scenarios": [[0.05, 0.1, 0.2]], "exact_method": "exact enumeration",
                                 "simulation_method": "Monte-Carlo 20000 trials", "n_simulations": 20000,
                                 "seed": 20261123})


def test_oc_table_cells_and_footnotes(sc):
    (t,) = oc_table(oc_result(), sc)
    assert list(t.frame.columns) == ["Scenario", "P(No dose tolerated)", f"P(MTD = {L1})", f"P(MTD = {L2})",
                                     f"P({L3} cleared)", "E[N]", "E[DLTs]"]
    # as printed in 14.4.2 before the rebuild (row 1)
    assert t.frame.values.tolist() == [["1: true DLT rates 0.05, 0.10, 0.20", "0.0271 [0.0267]", "0.0966 [0.0936]",
                                        "0.2982 [0.3001]", "0.5781 [0.5796]", "12.92 [12.92]", "1.61 [1.61]"]]
    assert t.footnotes[0] == ("Exact probabilities by enumeration of every cohort outcome (Lin & Shih 2001; R "
                              "bcrm::threep3); in brackets a Monte-Carlo check with 20000 simulated trials (seed "
                              "20261123+scenario).")
    assert t.footnotes[1] == f"Rule: {PLAN.design.phase('P1').escalation.text}"
    assert len(t.footnotes) == 3  # simulation: no population or data footnote


def test_no_interval_header_whatever_the_level(sc):
    """These tables print no confidence interval; a result level of 0.90 adds no CI header."""
    for t in decision_table(esc_result(level=0.90), sc) + oc_table(oc_result(), sc):
        assert not any("CI" in c for c in t.frame.columns)


def test_display_tables_uses_the_registered_shells(sc):
    assert _render(display_tables(esc_result(), sc)) == _render(decision_table(esc_result(), sc))
    assert _render(display_tables(oc_result(), sc)) == _render(oc_table(oc_result(), sc))


def test_decision_table_snapshot(sc, snapshot):
    assert _render(decision_table(esc_result(), sc)) == snapshot


def test_oc_table_snapshot(sc, snapshot):
    assert _render(oc_table(oc_result(), sc)) == snapshot


def test_cohort_history_snapshot(sc, snapshot):
    assert _render([cohort_history_table(esc_result(), sc)]) == snapshot
