"""MRI total inflammation extent (synthetic_data.mri) and the wang2013 frozen TIE records.

Published targets (Wang 2013 abstract, shared/seeds/004_e373980a947458b5.txt line 6): TIE 533,482.5 at baseline,
480,692.3 at week 4 (p > 0.05), 400,547.2 at week 20 (p < 0.05). Tolerance: means equal after rounding half away
from zero to the one decimal published (the construction guarantees |mean - published| <= 0.5 / n); directions as
directions. The p-values are recomputed here with the paired t-test formula by hand (t = mean / (SD / sqrt n)).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from sap.spec import load_plan, plan_from_mapping
from synthetic_data import frozen_dir, generate
from synthetic_data.calibration import round_half_away
from synthetic_data.generator import calibrate
from synthetic_data.mri import (PARAMCD, TieModel, TieTargets, calibrate_means, draw_calibrated_tie,
                                tie_targets)
from synthetic_data.params import params_for

PUBLISHED = {0.0: 533482.5, 4.0: 480692.3, 20.0: 400547.2}


def _hand_p(post, base):
    d = np.asarray(post, float) - np.asarray(base, float)
    n = len(d)
    t = d.mean() / (d.std(ddof=1) / math.sqrt(n))
    return 2 * stats.t.sf(abs(t), n - 1)


@pytest.fixture(scope="module")
def frozen_tie() -> pd.DataFrame:
    adqs = pd.read_csv(frozen_dir("wang2013") / "adqs.csv")
    return adqs


def test_targets_are_the_plans_published_values():
    t = tie_targets(load_plan("wang2013"))
    assert t.means == PUBLISHED
    assert t.directions == ((4.0, "above", 0.05), (20.0, "below", 0.05))
    assert tie_targets(load_plan("cg-bm1")) is None  # no MRITIE endpoint: nothing simulated


def test_calibrated_means_totals_by_hand():
    raw = np.array([[1.0, 2.0], [2.0, 2.5], [4.0, 1.0]])
    targets = TieTargets({0.0: 10.05, 4.0: 3.3}, ())
    out = calibrate_means(raw, targets)
    # visit 0: scaled 10.05/7*3*(1, 2, 4) = 4.3071, 8.6143, 17.2286; total round(30.15) = 30:
    # floors 4, 8, 17 = 29, one unit to the largest remainder (8.6143 -> 9)
    assert out[:, 0].tolist() == [4.0, 9.0, 17.0]
    # visit 1: scaled 3.3/5.5*3*(2, 2.5, 1) = 3.6, 4.5, 1.8; total round(9.9) = 10: floors 3, 4, 1 = 8, two units
    # to the largest remainders (1.8 and 3.6)
    assert out[:, 1].tolist() == [4.0, 4.0, 2.0]


def test_frozen_tie_records(frozen_tie):
    tie = frozen_tie[frozen_tie["PARAMCD"] == PARAMCD]
    assert len(tie) == 93 and sorted(tie["AVISITN"].unique()) == [0, 4, 20]
    assert (tie["AVAL"] >= 0).all() and (tie["AVAL"] == tie["AVAL"].round()).all()
    # the MRI is on the visit day: ADY/ADT as the subject's other ADQS records of that visit
    other = frozen_tie[frozen_tie["PARAMCD"] == "BASDAI1"].set_index(["USUBJID", "AVISITN"])
    keyed = tie.set_index(["USUBJID", "AVISITN"])
    assert (keyed["ADY"] == other.loc[keyed.index, "ADY"]).all()
    assert (keyed["ADT"] == other.loc[keyed.index, "ADT"]).all()
    wide = tie.pivot(index="USUBJID", columns="AVISITN", values="AVAL")
    for v, m in PUBLISHED.items():
        assert round_half_away(wide[v].mean()) == m and abs(wide[v].mean() - m) <= 0.5 / 31 + 1e-9
    assert _hand_p(wide[4], wide[0]) > 0.05 and _hand_p(wide[20], wide[0]) < 0.05


def test_tie_added_after_selection_leaves_every_other_record_unchanged():
    """generate() = calibrate() (the selected subjects) + MRITIE records: no other value, row or file changes."""
    plan = load_plan("wang2013")
    with_tie = generate("wang2013", seed=2013)
    without, _ = calibrate(plan, params_for("wang2013"), 2013)
    for name in ("adsl", "adlb", "adae", "adex"):
        pd.testing.assert_frame_equal(with_tie[name], without[name])
    kept = with_tie["adqs"][with_tie["adqs"]["PARAMCD"] != PARAMCD].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, without["adqs"].reset_index(drop=True))


def test_draw_is_deterministic_and_other_seeds_match_too():
    targets = tie_targets(load_plan("wang2013"))
    a, k = draw_calibrated_tie(31, targets, 2013)
    b, _ = draw_calibrated_tie(31, targets, 2013)
    assert k == 0 and np.array_equal(a, b)
    for seed in (1, 2, 3):
        values, _ = draw_calibrated_tie(31, targets, seed)
        assert [round_half_away(values[:, j].mean()) for j in range(3)] == list(PUBLISHED.values())
        assert _hand_p(values[:, 1], values[:, 0]) > 0.05 and _hand_p(values[:, 2], values[:, 0]) < 0.05


def test_impossible_direction_raises():
    targets = TieTargets(dict(PUBLISHED), ((4.0, "below", 1e-300),))
    with pytest.raises(ValueError, match="no TIE draw in 3 attempts"):
        draw_calibrated_tie(31, targets, 2013, TieModel(max_attempts=3))


def test_missing_published_mean_is_named():
    raw = load_plan("wang2013").model_dump(mode="json")
    raw["published"] = [p for p in raw["published"] if not (p["analysis"] == "TIE-SUM" and p["visit"] == 20)]
    with pytest.raises(ValueError, match=r"none is published for visit\(s\) 20"):
        tie_targets(plan_from_mapping(raw))
