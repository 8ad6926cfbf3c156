"""Tests for analyses.multiplicity (hand-computed; R p.adjust values are in tests/validation)."""
from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyses import multiplicity
from analyses.multiplicity import adjust_p_values, fixed_sequence_test


def test_fixed_sequence_stops_at_first_failure():
    r = fixed_sequence_test(["ASAS20", "ASAS40", "BASDAI50", "ASDAS"], [0.01, 0.04, 0.06, 0.001], 0.05)
    assert r.rejected == (True, True, False, False)
    assert r.tested == (True, True, True, False)
    assert r.adjusted == (0.01, 0.04, 0.06, 0.06)
    assert r.stopped_at == "BASDAI50"
    tidy = r.tidy()
    assert (tidy.statistic == "adjusted_p_value").all()
    assert tidy.hypothesis.tolist() == ["ASAS20", "ASAS40", "BASDAI50", "ASDAS"]
    assert tidy.p_value.tolist() == [0.01, 0.04, 0.06, 0.06]


def test_fixed_sequence_all_rejected():
    r = fixed_sequence_test(["a", "b"], [0.001, 0.05], 0.05)
    assert r.rejected == (True, True) and r.stopped_at is None


def test_holm_and_hochberg_hand_values():
    names, p = ["a", "b", "c", "d"], [0.01, 0.04, 0.03, 0.005]
    assert adjust_p_values(names, p, "holm").adjusted == pytest.approx((0.03, 0.06, 0.06, 0.02))
    assert adjust_p_values(names, p, "hochberg").adjusted == pytest.approx((0.03, 0.04, 0.04, 0.02))
    assert adjust_p_values(names, p, "bonferroni").adjusted == pytest.approx((0.04, 0.16, 0.12, 0.02))
    assert adjust_p_values(names, p, "hochberg", alpha=0.05).rejected == (True, True, True, True)
    assert adjust_p_values(names, p, "holm", alpha=0.05).rejected == (True, False, False, True)


@pytest.mark.parametrize("ours,theirs", [("holm", "holm"), ("hochberg", "simes-hochberg"),
                                         ("bonferroni", "bonferroni")])
def test_statsmodels_called_with_right_method(ours, theirs):
    real = multiplicity.multipletests
    with mock.patch.object(multiplicity, "multipletests", side_effect=real) as spy:
        adjust_p_values(["a", "b"], [0.01, 0.02], ours, alpha=0.1)
    assert spy.call_args.kwargs["method"] == theirs and spy.call_args.kwargs["alpha"] == 0.1


@pytest.mark.parametrize("names,p", [(["a"], [1.2]), (["a", "a"], [0.1, 0.2]), (["a", "b"], [0.1]), ([], [])])
def test_bad_input_raises(names, p):
    with pytest.raises(ValueError):
        adjust_p_values(names, p, "holm")


def test_unknown_method_raises():
    with pytest.raises(ValueError, match="method"):
        adjust_p_values(["a"], [0.1], "sidak_typo")


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=8))
def test_adjusted_not_below_raw_and_fixed_sequence_monotone(p):
    names = [f"H{i}" for i in range(len(p))]
    for method in ("bonferroni", "holm", "hochberg", "fixed_sequence"):
        r = adjust_p_values(names, p, method)
        assert all(a >= raw - 1e-15 for a, raw in zip(r.adjusted, r.p_values))
        assert all(a <= 1.0 for a in r.adjusted)
    fs = fixed_sequence_test(names, p)
    assert list(fs.adjusted) == sorted(fs.adjusted)
