"""Paired t-test and Wilcoxon signed-rank test (analyses.paired, and the pipeline's wang2013 TIE-PAIRED rows) against
R's ``t.test(paired = TRUE)`` and ``wilcox.test(paired = TRUE)``.

Reference: tests/validation/r/paired_reference.R -> paired_reference.json (R 4.2, base stats; 15 significant digits).
Cases: Student's sleep data (R ``datasets::sleep``, drug 2 minus drug 1; ties and zero differences, so R uses the
normal approximation with continuity correction) and the frozen wang2013 MRI TIE, weeks 4 and 20 against baseline
(31 pairs without ties: exact signed-rank p). Tolerance: relative 1e-9 (R's printed digits; the same formulas).
Student's sleep result is also checked against the figures R's documentation prints (t = 4.0621, df = 9,
p = 0.002833; 95% CI 0.7001 to 2.4599), to their 4 decimals.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from analyses.paired import compute_paired_t, compute_signed_rank
from sap.pipeline import compute_run
from sap.spec import load_plan
from synthetic_data import frozen_dir

R = json.loads((Path(__file__).resolve().parent / "r" / "paired_reference.json").read_text())
REL = 1e-9


def _check(case: dict, t: dict, w: dict) -> None:
    assert t["n"] == case["n"] and t["df"] == case["df"]
    for ours, theirs in (("mean", "mean"), ("sd", "sd"), ("se", "se"), ("ci_lower", "ci_lower"),
                         ("ci_upper", "ci_upper"), ("t", "t"), ("p_value", "p_t")):
        assert t[ours] == pytest.approx(case[theirs], rel=REL), ours
    assert w["v"] == case["v"] and w["p_value"] == pytest.approx(case["p_w"], rel=REL)
    assert w["method"] == ("exact" if "exact" in case["w_method"] else "normal")


@pytest.mark.parametrize("name", ["sleep", "tie_week4", "tie_week20"])
def test_paired_functions_match_r(name):
    case = R[name]
    post, base = np.array(case["post"], dtype=float), np.array(case["base"], dtype=float)
    _check(case, compute_paired_t(post, base), compute_signed_rank(post, base))


def test_sleep_matches_the_printed_r_result():
    case = R["sleep"]
    t = compute_paired_t(np.array(case["post"]), np.array(case["base"]))
    assert (t["t"], t["df"], t["p_value"]) == pytest.approx((4.0621, 9, 0.002833), abs=5e-5)
    assert (t["ci_lower"], t["ci_upper"]) == pytest.approx((0.7001, 2.4599), abs=5e-5)


@pytest.fixture(scope="module")
def tie_rows():
    bundle = compute_run(load_plan("wang2013"), data=Path(frozen_dir("wang2013")))
    return bundle.outcomes["TIE-PAIRED"].rows


@pytest.mark.parametrize("visit,name", [(4.0, "tie_week4"), (20.0, "tie_week20")])
def test_pipeline_tie_paired_rows_match_r(tie_rows, visit, name):
    """The run (derivations, FAS selection, by-visit adapter) gives R's numbers on the frozen data."""
    case = R[name]
    at = tie_rows[tie_rows["visit"] == visit].set_index("statistic")
    assert at.loc["mean", "n"] == 31 and at.loc["mean", "df"] == 30
    assert at.loc["mean", "estimate"] == pytest.approx(case["mean"], rel=REL)
    assert (at.loc["mean", "ci_lower"], at.loc["mean", "ci_upper"]) == pytest.approx(
        (case["ci_lower"], case["ci_upper"]), rel=REL)
    assert at.loc["sd", "estimate"] == pytest.approx(case["sd"], rel=REL)
    assert at.loc["t_test", "estimate"] == pytest.approx(case["t"], rel=REL)
    assert at.loc["t_test", "p_value"] == pytest.approx(case["p_t"], rel=REL)
    assert at.loc["signed_rank_test", "estimate"] == case["v"]
    assert at.loc["signed_rank_test", "p_value"] == pytest.approx(case["p_w"], rel=REL)
