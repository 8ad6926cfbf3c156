"""Decision-history tests of the 3+3 engine: hand-built cohort sequences, one per rule branch."""
from __future__ import annotations

import pandas as pd
import pytest

from analyses.escalation import (Cohort, ThreePlusThreeRule, apply_cohort, cohorts_from_frame,
                                 initial_state, run_three_plus_three)

LEVELS = (0.5, 1.0, 2.0, 4.0)  # 10^6 cells/kg
_counter = iter(range(1, 10_000))


def coh(dose, *dlts):
    """Cohort at `dose` with DLT flags given as 0/1."""
    return Cohort(dose, tuple(f"S{next(_counter):03d}" for _ in dlts), tuple(bool(x) for x in dlts))


def decisions(res):
    return list(zip(res.history["dose"], res.history["n_at_dose"], res.history["n_dlt_at_dose"],
                    res.history["decision"]))


def test_zero_of_three_escalates_and_open_recommendation():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0)])
    assert decisions(res) == [(0.5, 3, 0, "escalate")]
    assert res.recommendation == "escalate to dose 1.0"
    assert res.next_dose == 1.0 and res.mtd is None and res.mtd_status is None
    assert "0/3" in res.history["rule"].iloc[0]


def test_one_of_three_expands_then_one_of_six_escalates():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 1, 0), coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0)])
    assert decisions(res) == [(0.5, 3, 1, "expand"), (0.5, 6, 1, "escalate"),
                              (1.0, 3, 0, "escalate")]
    assert res.next_dose == 2.0


def test_two_of_six_stops_mtd_previous_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 0, 0), coh(1.0, 0, 1, 0)])
    assert decisions(res)[-1] == (1.0, 6, 2, "stop")
    assert res.mtd == 0.5 and res.mtd_status == "declared" and res.rp2d == 0.5
    assert res.n_at_mtd == 3 and res.recommendation == "stop"


def test_two_of_three_stops_mtd_previous_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0)])
    assert decisions(res)[-1] == (2.0, 3, 2, "stop")
    assert res.mtd == 1.0 and res.rp2d == 1.0


def test_three_of_three_at_lowest_dose_none_tolerated():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 1, 1)])
    assert res.mtd is None and res.mtd_status == "none_tolerated" and res.rp2d is None
    assert "no dose is tolerated" in res.history["rule"].iloc[0]


def test_two_of_six_at_lowest_dose_none_tolerated():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 0, 0), coh(0.5, 0, 0, 1)])
    assert res.mtd_status == "none_tolerated"


def test_top_dose_cleared_mtd_not_reached():
    res = run_three_plus_three(LEVELS, [coh(d, 0, 0, 0) for d in LEVELS])
    assert res.mtd is None and res.mtd_status == "not_reached"
    assert res.rp2d == 4.0 and res.n_at_mtd == 3
    assert "not reached within the dose range" in res.history["rule"].iloc[-1]


def test_top_dose_cleared_with_one_of_six():
    cs = [coh(d, 0, 0, 0) for d in LEVELS[:-1]] + [coh(4.0, 1, 0, 0), coh(4.0, 0, 0, 0)]
    res = run_three_plus_three(LEVELS, cs)
    assert res.mtd_status == "not_reached" and res.n_at_mtd == 6


# --- variant: the MTD needs 6 subjects -----------------------------------------------------

def test_needs_six_expands_mtd_level_and_confirms():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 0, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True)
    assert decisions(res) == [(0.5, 3, 0, "escalate"), (1.0, 3, 0, "escalate"),
                              (2.0, 3, 2, "expand_mtd"), (1.0, 6, 1, "stop")]
    assert res.mtd == 1.0 and res.n_at_mtd == 6 and res.mtd_status == "declared"
    # before the confirming cohort the recommendation is to treat 3 more at the MTD level
    res2 = run_three_plus_three(LEVELS, cs[:3], mtd_needs_six=True)
    assert res2.recommendation == "expand (MTD level) dose 1.0" and res2.next_dose == 1.0


def test_needs_six_failed_expansion_moves_one_level_down_without_deescalation():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True)
    assert decisions(res)[-1] == (1.0, 6, 2, "stop")
    assert res.mtd == 0.5 and res.n_at_mtd == 3
    assert "moves one level down" in res.history["rule"].iloc[-1]
    with pytest.raises(ValueError, match="after the rule stopped"):
        run_three_plus_three(LEVELS, cs + [coh(0.5, 0, 0, 0)], mtd_needs_six=True)


def test_needs_six_with_deescalation_expands_each_lower_level():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 1, 1, 0),
          coh(0.5, 0, 0, 1)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True, allow_deescalation=True)
    assert [d[3] for d in decisions(res)] == ["escalate", "escalate", "expand_mtd", "expand_mtd",
                                              "stop"]
    assert res.history["next_dose"].iloc[3] == 0.5
    assert res.mtd == 0.5 and res.n_at_mtd == 6


def test_needs_six_with_deescalation_down_to_no_tolerated_dose():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 0), coh(0.5, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True, allow_deescalation=True)
    assert res.mtd_status == "none_tolerated" and res.mtd is None


def test_needs_six_mtd_level_already_has_six():
    cs = [coh(0.5, 1, 0, 0), coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 1)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True)
    assert decisions(res)[-1] == (1.0, 3, 3, "stop") and res.mtd == 0.5 and res.n_at_mtd == 6


def test_needs_six_top_dose_is_expanded_before_not_reached():
    cs = [coh(d, 0, 0, 0) for d in LEVELS] + [coh(4.0, 0, 0, 1)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True)
    assert decisions(res)[-2][3] == "expand_mtd" and decisions(res)[-1] == (4.0, 6, 1, "stop")
    assert res.mtd_status == "not_reached" and res.rp2d == 4.0 and res.n_at_mtd == 6


def test_needs_six_top_dose_expansion_fails():
    cs = [coh(d, 0, 0, 0) for d in LEVELS] + [coh(4.0, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, mtd_needs_six=True)
    assert res.mtd == 2.0 and res.mtd_status == "declared"


def test_needs_six_stop_at_lowest_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 1, 0)], mtd_needs_six=True)
    assert res.mtd_status == "none_tolerated"


# --- rule violations -------------------------------------------------------------------------

def test_skipping_a_dose_is_an_error():
    with pytest.raises(ValueError, match=r"cohort 2 .* treated at dose 2.0 but the 3\+3 rule "
                                         r"required dose 1.0"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(2.0, 0, 0, 0)])


def test_escalating_after_one_of_three_is_an_error():
    with pytest.raises(ValueError, match="required dose 0.5"):
        run_three_plus_three(LEVELS, [coh(0.5, 1, 0, 0), coh(1.0, 0, 0, 0)])


def test_deescalating_without_the_variant_is_an_error():
    with pytest.raises(ValueError, match="after the rule stopped"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 0), coh(0.5, 0, 0, 0)])


def test_cohort_size_errors_and_incomplete_last_cohort():
    with pytest.raises(ValueError, match="cohorts of 3"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0, 0)])
    with pytest.raises(ValueError, match="only the last cohort may be incomplete"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0), coh(0.5, 0, 0, 0)])
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 0)])
    assert res.recommendation.startswith("complete the cohort at dose 1.0 (1 more subject")
    assert len(res.history) == 1


def test_unknown_dose_and_bad_options():
    with pytest.raises(ValueError, match="not one of the dose levels"):
        run_three_plus_three(LEVELS, [coh(3.0, 0, 0, 0)])
    with pytest.raises(ValueError, match="allow_deescalation"):
        ThreePlusThreeRule(3, mtd_needs_six=False, allow_deescalation=True)
    with pytest.raises(ValueError, match="duplicates"):
        run_three_plus_three((1, 1), [])
    with pytest.raises(ValueError, match="DLT flag"):
        Cohort(1, ("a",), ("maybe",))


def test_apply_cohort_rejects_after_stop_and_bad_counts():
    rule = ThreePlusThreeRule(2)
    st = initial_state(rule)
    with pytest.raises(ValueError, match="0-3 DLTs"):
        apply_cohort(rule, st, 4)
    st, dec, _ = apply_cohort(rule, st, 3)
    assert dec == "stop"
    with pytest.raises(ValueError, match="already stopped"):
        apply_cohort(rule, st, 0)


def test_cohorts_from_frame_and_tidy():
    df = pd.DataFrame({
        "COHORT": [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "DOSE": [0.5] * 3 + [1.0] * 6,
        "USUBJID": [f"P{i}" for i in range(9)],
        "DLTFL": ["N", "N", "N", "Y", "N", "N", "N", "N", "N"],
    })
    cs = cohorts_from_frame(df)
    assert [c.dose for c in cs] == [0.5, 1.0, 1.0] and cs[1].dlts == (True, False, False)
    res = run_three_plus_three(LEVELS, cs)
    assert decisions(res)[-1] == (1.0, 6, 1, "escalate")
    tidy = res.tidy()
    assert list(tidy["statistic"].unique()) == ["decision"]
    assert len(tidy) == 4 and tidy["label"].iloc[-1].startswith("recommendation: escalate to dose 2.0")
    bad = df.assign(DOSE=[0.5, 0.5, 1.0] + [1.0] * 6)
    with pytest.raises(ValueError, match="cohort 1 has subjects at several doses"):
        cohorts_from_frame(bad)
    with pytest.raises(ValueError, match="appear more than once"):
        cohorts_from_frame(df.assign(USUBJID="P0"))
