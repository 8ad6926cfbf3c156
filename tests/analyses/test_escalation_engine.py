"""Decision-history tests of the 3+3 engine: hand-built cohort sequences, one per rule branch."""
from __future__ import annotations

import pandas as pd
import pytest

from analyses.escalation import (Cohort, ThreePlusThreeRule, apply_cohort, cohorts_from_frame,
                                 initial_state, next_cohort_size, run_three_plus_three)

LEVELS = (0.5, 1.0, 2.0, 4.0)  # 10^6 cells/kg


def rule(k=len(LEVELS), *, cohort=3, expansion=3, six=False, deesc=False):
    """Every setting given explicitly (no reliance on the rule's defaults)."""
    return ThreePlusThreeRule(k, cohort_size=cohort, expansion_size=expansion, mtd_needs_six=six,
                              allow_deescalation=deesc)


CLASSIC = rule()  # Storer's 3+3: the MTD does not need 6
SIX = rule(six=True)
SIX_DEESC = rule(six=True, deesc=True)
_counter = iter(range(1, 10_000))


def coh(dose, *dlts):
    """Cohort at `dose` with DLT flags given as 0/1."""
    return Cohort(dose, tuple(f"S{next(_counter):03d}" for _ in dlts), tuple(bool(x) for x in dlts))


def decisions(res):
    return list(zip(res.history["dose"], res.history["n_at_dose"], res.history["n_dlt_at_dose"],
                    res.history["decision"]))


def test_zero_of_three_escalates_and_open_recommendation():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0)], CLASSIC)
    assert decisions(res) == [(0.5, 3, 0, "escalate")]
    assert res.recommendation == "escalate to dose 1.0"
    assert res.next_dose == 1.0 and res.mtd is None and res.mtd_status is None
    assert "0/3" in res.history["rule"].iloc[0]


def test_one_of_three_expands_then_one_of_six_escalates():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 1, 0), coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0)], CLASSIC)
    assert decisions(res) == [(0.5, 3, 1, "expand"), (0.5, 6, 1, "escalate"),
                              (1.0, 3, 0, "escalate")]
    assert res.next_dose == 2.0


def test_two_of_six_stops_mtd_previous_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 0, 0), coh(1.0, 0, 1, 0)], CLASSIC)
    assert decisions(res)[-1] == (1.0, 6, 2, "stop")
    assert res.mtd == 0.5 and res.mtd_status == "declared" and res.rp2d == 0.5
    assert res.n_at_mtd == 3 and res.recommendation == "stop"


def test_two_of_three_stops_mtd_previous_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0)], CLASSIC)
    assert decisions(res)[-1] == (2.0, 3, 2, "stop")
    assert res.mtd == 1.0 and res.rp2d == 1.0


def test_three_of_three_at_lowest_dose_none_tolerated():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 1, 1)], CLASSIC)
    assert res.mtd is None and res.mtd_status == "none_tolerated" and res.rp2d is None
    assert "no dose is tolerated" in res.history["rule"].iloc[0]


def test_two_of_six_at_lowest_dose_none_tolerated():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 0, 0), coh(0.5, 0, 0, 1)], CLASSIC)
    assert res.mtd_status == "none_tolerated"


def test_top_dose_cleared_mtd_not_reached():
    res = run_three_plus_three(LEVELS, [coh(d, 0, 0, 0) for d in LEVELS], CLASSIC)
    assert res.mtd is None and res.mtd_status == "not_reached"
    assert res.rp2d == 4.0 and res.n_at_mtd == 3
    assert "not reached within the dose range" in res.history["rule"].iloc[-1]


def test_top_dose_cleared_with_one_of_six():
    cs = [coh(d, 0, 0, 0) for d in LEVELS[:-1]] + [coh(4.0, 1, 0, 0), coh(4.0, 0, 0, 0)]
    res = run_three_plus_three(LEVELS, cs, CLASSIC)
    assert res.mtd_status == "not_reached" and res.n_at_mtd == 6


# --- variant: the MTD needs 6 subjects -----------------------------------------------------

def test_needs_six_expands_mtd_level_and_confirms():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 0, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert decisions(res) == [(0.5, 3, 0, "escalate"), (1.0, 3, 0, "escalate"),
                              (2.0, 3, 2, "expand_mtd"), (1.0, 6, 1, "stop")]
    assert res.mtd == 1.0 and res.n_at_mtd == 6 and res.mtd_status == "declared"
    # before the confirming cohort the recommendation is to treat 3 more at the MTD level
    res2 = run_three_plus_three(LEVELS, cs[:3], SIX)
    assert res2.recommendation == "expand (MTD level) dose 1.0" and res2.next_dose == 1.0


def test_needs_six_failed_expansion_moves_one_level_down_without_deescalation():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert decisions(res)[-1] == (1.0, 6, 2, "stop")
    assert res.mtd == 0.5 and res.n_at_mtd == 3
    assert "moves one level down" in res.history["rule"].iloc[-1]
    with pytest.raises(ValueError, match="after the rule stopped"):
        run_three_plus_three(LEVELS, cs + [coh(0.5, 0, 0, 0)], SIX)


def test_needs_six_with_deescalation_expands_each_lower_level():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 0), coh(2.0, 1, 1, 0), coh(1.0, 1, 1, 0),
          coh(0.5, 0, 0, 1)]
    res = run_three_plus_three(LEVELS, cs, SIX_DEESC)
    assert [d[3] for d in decisions(res)] == ["escalate", "escalate", "expand_mtd", "expand_mtd",
                                              "stop"]
    assert res.history["next_dose"].iloc[3] == 0.5
    assert res.mtd == 0.5 and res.n_at_mtd == 6


def test_needs_six_with_deescalation_down_to_no_tolerated_dose():
    cs = [coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 0), coh(0.5, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, SIX_DEESC)
    assert res.mtd_status == "none_tolerated" and res.mtd is None


def test_needs_six_mtd_level_already_has_six():
    cs = [coh(0.5, 1, 0, 0), coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 1)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert decisions(res)[-1] == (1.0, 3, 3, "stop") and res.mtd == 0.5 and res.n_at_mtd == 6


def test_needs_six_top_dose_is_expanded_before_not_reached():
    cs = [coh(d, 0, 0, 0) for d in LEVELS] + [coh(4.0, 0, 0, 1)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert decisions(res)[-2][3] == "expand_mtd" and decisions(res)[-1] == (4.0, 6, 1, "stop")
    assert res.mtd_status == "not_reached" and res.rp2d == 4.0 and res.n_at_mtd == 6


def test_needs_six_top_dose_expansion_fails():
    cs = [coh(d, 0, 0, 0) for d in LEVELS] + [coh(4.0, 1, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert res.mtd == 2.0 and res.mtd_status == "declared"


def test_needs_six_stop_at_lowest_dose():
    res = run_three_plus_three(LEVELS, [coh(0.5, 1, 1, 0)], SIX)
    assert res.mtd_status == "none_tolerated"


# --- rule violations -------------------------------------------------------------------------

def test_skipping_a_dose_is_an_error():
    with pytest.raises(ValueError, match=r"cohort 2 .* treated at dose 2.0 but the 3\+3 rule "
                                         r"required dose 1.0"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(2.0, 0, 0, 0)], CLASSIC)


def test_escalating_after_one_of_three_is_an_error():
    with pytest.raises(ValueError, match="required dose 0.5"):
        run_three_plus_three(LEVELS, [coh(0.5, 1, 0, 0), coh(1.0, 0, 0, 0)], CLASSIC)


def test_deescalating_without_the_variant_is_an_error():
    with pytest.raises(ValueError, match="after the rule stopped"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 1, 0), coh(0.5, 0, 0, 0)], CLASSIC)


def test_cohort_size_errors_and_incomplete_last_cohort():
    with pytest.raises(ValueError, match="cohorts of 3"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0, 0)], CLASSIC)
    with pytest.raises(ValueError, match="only the last cohort may be incomplete"):
        run_three_plus_three(LEVELS, [coh(0.5, 0, 0), coh(0.5, 0, 0, 0)], CLASSIC)
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 1, 0)], CLASSIC)
    assert res.recommendation.startswith("complete the cohort at dose 1.0 (1 more subject")
    assert len(res.history) == 1


def test_unknown_dose_and_bad_options():
    with pytest.raises(ValueError, match="not one of the dose levels"):
        run_three_plus_three(LEVELS, [coh(3.0, 0, 0, 0)], CLASSIC)
    with pytest.raises(ValueError, match="allow_deescalation"):
        rule(3, six=False, deesc=True)
    with pytest.raises(ValueError, match="cohort_size must be a positive integer"):
        rule(3, cohort=0)
    with pytest.raises(ValueError, match="3 dose levels for a rule of 4 doses"):
        run_three_plus_three(LEVELS[:3], [], CLASSIC)
    with pytest.raises(ValueError, match="duplicates"):
        run_three_plus_three((1, 1), [], rule(2))
    with pytest.raises(ValueError, match="DLT flag"):
        Cohort(1, ("a",), ("maybe",))


def test_apply_cohort_rejects_after_stop_and_bad_counts():
    r = rule(2)
    st = initial_state(r)
    with pytest.raises(ValueError, match="0-3 DLTs"):
        apply_cohort(r, st, 4)
    st, dec, _ = apply_cohort(r, st, 3)
    assert dec == "stop"
    with pytest.raises(ValueError, match="already stopped"):
        apply_cohort(r, st, 0)


def test_cohorts_from_frame_and_tidy():
    df = pd.DataFrame({
        "COHORT": [1, 1, 1, 2, 2, 2, 3, 3, 3],
        "DOSE": [0.5] * 3 + [1.0] * 6,
        "USUBJID": [f"P{i}" for i in range(9)],
        "DLTFL": ["N", "N", "N", "Y", "N", "N", "N", "N", "N"],
    })
    cs = cohorts_from_frame(df)
    assert [c.dose for c in cs] == [0.5, 1.0, 1.0] and cs[1].dlts == (True, False, False)
    res = run_three_plus_three(LEVELS, cs, CLASSIC)
    assert decisions(res)[-1] == (1.0, 6, 1, "escalate")
    tidy = res.tidy()
    assert list(tidy["statistic"].unique()) == ["decision"]
    assert len(tidy) == 4 and tidy["label"].iloc[-1].startswith("recommendation: escalate to dose 2.0")
    bad = df.assign(DOSE=[0.5, 0.5, 1.0] + [1.0] * 6)
    with pytest.raises(ValueError, match="cohort 1 has subjects at several doses"):
        cohorts_from_frame(bad)
    with pytest.raises(ValueError, match="appear more than once"):
        cohorts_from_frame(df.assign(USUBJID="P0"))


# --- hand-worked trials: the rule as written (Storer 1989, Biometrics 45:925, design "A"; Le Tourneau, Lee &
# Siu 2009, JNCI 101:708, Figure 1: 3 at a dose; 0/3 escalate; 1/3 treat 3 more, escalate if 1/6; >= 2 DLTs:
# the MTD is exceeded and the next lower dose is the MTD) -----------------------------------------------

TRIAL = [(0.5, (0, 0, 0)), (1.0, (1, 0, 0)), (1.0, (0, 0, 0)), (2.0, (0, 0, 0)), (4.0, (0, 1, 0)),
         (4.0, (0, 0, 1))]


def test_hand_worked_trial_classic():
    """0/3 -> up; 1/3 -> +3; 1/6 -> up; 0/3 -> up; 1/3 -> +3; 2/6 -> stop, MTD = 2.0 (3 treated there)."""
    res = run_three_plus_three(LEVELS, [coh(d, *x) for d, x in TRIAL], CLASSIC)
    assert decisions(res) == [(0.5, 3, 0, "escalate"), (1.0, 3, 1, "expand"), (1.0, 6, 1, "escalate"),
                              (2.0, 3, 0, "escalate"), (4.0, 3, 1, "expand"), (4.0, 6, 2, "stop")]
    assert list(res.history["next_dose"])[:-1] == [1.0, 1.0, 2.0, 4.0, 4.0]
    assert res.mtd == 2.0 and res.rp2d == 2.0 and res.n_at_mtd == 3 and res.mtd_status == "declared"
    assert res.history["rule"].iloc[-1] == "2/6 DLT: stop; the MTD is the next lower dose"


def test_hand_worked_trial_mtd_needs_six():
    """Same trial when the MTD needs 6: after 2/6 at 4.0, 3 more at 2.0; 1/6 there confirms it."""
    cs = [coh(d, *x) for d, x in TRIAL] + [coh(2.0, 0, 1, 0)]
    res = run_three_plus_three(LEVELS, cs, SIX)
    assert decisions(res)[-2:] == [(4.0, 6, 2, "expand_mtd"), (2.0, 6, 1, "stop")]
    assert res.history["next_dose"].iloc[-2] == 2.0
    assert res.mtd == 2.0 and res.n_at_mtd == 6
    assert res.history["rule"].iloc[-1] == "1/6 DLT at the MTD level: MTD confirmed with 6 subjects"


def test_three_of_six_after_expansion_stops():
    """1/3 then 2 of the next 3 (3/6) exceeds the MTD like 2/6 (>= 2 DLTs among 6)."""
    res = run_three_plus_three(LEVELS, [coh(0.5, 0, 0, 0), coh(1.0, 0, 0, 1), coh(1.0, 1, 1, 0)], CLASSIC)
    assert decisions(res)[-1] == (1.0, 6, 3, "stop") and res.mtd == 0.5


# --- the plan's cohort and expansion sizes (Lin & Shih 2001 A+B, here A = 4, B = 2) -------------------------

FOUR_TWO = rule(3, cohort=4, expansion=2)
FOUR_TWO_SIX = rule(3, cohort=4, expansion=2, six=True)


def test_cohort_of_four_expansion_of_two():
    """0/4 -> up; 1/4 -> +2; 1/6 -> up; 2/4 -> stop; MTD = 1.0 with 6 subjects."""
    cs = [coh(0.5, 0, 0, 0, 0), coh(1.0, 0, 1, 0, 0), coh(1.0, 0, 0), coh(2.0, 1, 0, 1, 0)]
    res = run_three_plus_three(LEVELS[:3], cs, FOUR_TWO)
    assert decisions(res) == [(0.5, 4, 0, "escalate"), (1.0, 4, 1, "expand"), (1.0, 6, 1, "escalate"),
                              (2.0, 4, 2, "stop")]
    assert list(res.history["rule"])[:3] == ["0/4 DLT: escalate to the next dose", "1/4 DLT: expand the dose to 6",
                                             "1/6 DLT: escalate to the next dose"]
    assert res.mtd == 1.0 and res.n_at_mtd == 6


def test_cohort_of_four_mtd_needs_six_expands_by_two():
    """0/4, 0/4, 1/4 -> +2 -> 2/6 at the top: the MTD level (4 subjects) gets 2 more; 0/6 confirms it."""
    cs = [coh(0.5, 0, 0, 0, 0), coh(1.0, 0, 0, 0, 0), coh(2.0, 1, 0, 0, 0), coh(2.0, 0, 1), coh(1.0, 0, 0)]
    res = run_three_plus_three(LEVELS[:3], cs, FOUR_TWO_SIX)
    assert decisions(res) == [(0.5, 4, 0, "escalate"), (1.0, 4, 0, "escalate"), (2.0, 4, 1, "expand"),
                              (2.0, 6, 2, "expand_mtd"), (1.0, 6, 0, "stop")]
    assert res.history["rule"].iloc[3] == ("2/6 DLT: stop escalating; expand the next lower dose to 6 "
                                           "(the MTD needs 6 subjects)")
    assert res.mtd == 1.0 and res.n_at_mtd == 6


def test_cohort_sizes_are_checked_against_the_rule():
    with pytest.raises(ValueError, match="treats 4 here"):
        run_three_plus_three(LEVELS[:3], [coh(0.5, 0, 0, 0, 0, 0)], FOUR_TWO)
    with pytest.raises(ValueError, match="treats 2 here"):  # an expansion of 3 under a 4+2 rule
        run_three_plus_three(LEVELS[:3], [coh(0.5, 1, 0, 0, 0), coh(0.5, 0, 0, 0)], FOUR_TWO)
    res = run_three_plus_three(LEVELS[:3], [coh(0.5, 0, 0, 0)], FOUR_TWO)  # 3 of 4: in progress
    assert res.recommendation == "complete the cohort at dose 0.5 (1 more subject; 0 DLT so far)"
    st = initial_state(FOUR_TWO)
    assert next_cohort_size(FOUR_TWO, st) == 4
    st, _, _ = apply_cohort(FOUR_TWO, st, 1)
    assert st.action == "expand" and next_cohort_size(FOUR_TWO, st) == 2
    with pytest.raises(ValueError, match="0-2 DLTs"):
        apply_cohort(FOUR_TWO, st, 3)
