"""wang2013 frozen data reproduce the published summary *as the package computes it*.

Source: Wang P et al. Cell Transplant 2014;23:1293 (abstract, shared/seeds/004_*.txt): 31 patients,
ASAS20 responders at week 4 77.4% (24/31), mean ASAS20 response duration 7.1 weeks, ASDAS-CRP
3.6 (0.6) at baseline, 2.4 (0.5) at week 4, 3.2 (0.8) at week 20, no adverse effects.
Tolerance: counts exact; means/SDs/duration equal after rounding half away from zero to the one
decimal the abstract reports. The numbers come from :func:`sap.pipeline.compute_run` on the frozen
folder (derivations + analyses of the plan), not from the generator.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sap.pipeline import compute_run
from sap.spec import load_plan
from synthetic_data import frozen_dir
from synthetic_data.calibration import (TARGET, compute_subject_statistics, round_half_away, select_calibrated,
                                        summarize_statistics)
from synthetic_data.subsetting import subset_subjects


@pytest.fixture(scope="module")
def bundle():
    return compute_run(load_plan("wang2013"), data=Path(frozen_dir("wang2013")))


def _row(tidy: pd.DataFrame, statistic: str, visit=None, imputation=None) -> pd.Series:
    m = tidy["statistic"] == statistic
    if visit is not None:
        m &= tidy["visit"].astype(float) == float(visit)
    if imputation is not None:
        m &= tidy["imputation"] == imputation
    rows = tidy[m]
    assert len(rows) == 1, (statistic, visit, imputation, len(rows))
    return rows.iloc[0]


def test_asas20_week4_24_of_31(bundle):
    tidy = bundle.outcomes["ASAS20-RATE"].rows
    for imp in ("nri", "observed_case"):  # no dropout: both coincide, as the plan notes
        count = _row(tidy, "count", 4, imp)
        assert count["estimate"] == 24 and count["n"] == 31
        assert _row(tidy, "proportion", 4, imp)["estimate"] == pytest.approx(24 / 31, abs=1e-12)
    assert round_half_away(100 * 24 / 31) == 77.4  # the abstract's 77.4%


def test_mean_response_duration_7_1_weeks(bundle):
    est = _row(bundle.outcomes["DUR-ASAS20"].rows, "mean_duration")["estimate"]
    assert round_half_away(est) == 7.1, est


@pytest.mark.parametrize("visit,mean,sd", [(0, 3.6, 0.6), (4, 2.4, 0.5), (20, 3.2, 0.8)])
def test_asdas_crp_mean_sd(bundle, visit, mean, sd):
    tidy = bundle.outcomes["ASDAS-SUM"].rows
    m, s = _row(tidy, "mean", visit), _row(tidy, "sd", visit)
    assert m["n"] == 31 and s["n"] == 31
    assert round_half_away(m["estimate"]) == mean, m["estimate"]
    assert round_half_away(s["estimate"]) == sd, s["estimate"]


def test_no_adverse_events_and_31_subjects():
    folder = frozen_dir("wang2013")
    adsl = pd.read_csv(folder / "adsl.csv")
    adae = pd.read_csv(folder / "adae.csv")
    assert adsl["USUBJID"].nunique() == 31 and (adsl["FASFL"] == "Y").all()
    assert len(adae) == 0  # "No adverse effects were noted"
    assert list(adsl["SUBJID"].astype(int)) == list(range(1, 32))


def test_round_half_away_from_zero():
    assert round_half_away(7.05) == 7.1 and round_half_away(0.25) == 0.3 and round_half_away(-0.25) == -0.3
    assert round_half_away(7.0499) == 7.0 and round_half_away(3.649999) == 3.6


def _toy_stats(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    r4 = (rng.random(n) < 0.7).astype(float)
    ever = (r4 == 1) | (rng.random(n) < 0.3)
    return pd.DataFrame({"USUBJID": [f"S{i}" for i in range(n)], "R4": r4, "EVER": ever,
                         "DUR": np.where(ever, rng.gamma(4.0, 1.8, n), 0.0), "SAE": 0,
                         "ASDAS_0": 3.6 + 0.6 * rng.standard_normal(n), "ASDAS_4": 2.4 + 0.55 * rng.standard_normal(n),
                         "ASDAS_20": 3.2 + 0.75 * rng.standard_normal(n)})


def test_selection_meets_targets_and_quotas():
    """The swap search on an independent toy pool: quotas exact, summary (recomputed by pandas) matches."""
    stats = _toy_stats(186, 3)
    sel = select_calibrated(stats, 31)
    assert sel.matched and len(sel.index) == 31 and np.all(np.diff(sel.index) > 0)
    s = summarize_statistics(stats.iloc[sel.index])
    assert s == sel.summary and s["asas20_w4"] == TARGET["asas20_w4"]
    assert select_calibrated(stats, 31).index.tolist() == sel.index.tolist()  # deterministic


def test_selection_pool_too_small_raises():
    stats = _toy_stats(30, 4)
    with pytest.raises(ValueError, match="candidate pool too small"):
        select_calibrated(stats, 31)


def test_subset_renumbers_and_shifts_dates_only():
    adsl = pd.DataFrame({"STUDYID": "S", "USUBJID": ["S-01-0001", "S-01-0002", "S-01-0003"],
                         "SUBJID": ["0001", "0002", "0003"], "SITEID": "01",
                         "TRTSDT": pd.to_datetime(["2020-01-01", "2020-01-05", "2020-01-20"])})
    adqs = pd.DataFrame({"USUBJID": ["S-01-0001", "S-01-0003", "S-01-0003"], "AVAL": [1.0, 2.0, 3.0],
                         "ADY": [1.0, 1.0, 29.0], "ADT": pd.to_datetime(["2020-01-01", "2020-01-20", "2020-02-17"])})
    entry = adsl["TRTSDT"].to_numpy().astype("datetime64[D]")
    out = subset_subjects({"adsl": adsl, "adqs": adqs}, np.array([2]), entry)
    assert out["adsl"]["USUBJID"].tolist() == ["S-01-0001"] and out["adsl"]["SUBJID"].tolist() == ["0001"]
    assert out["adsl"]["TRTSDT"].tolist() == [pd.Timestamp("2020-01-01")]
    assert out["adqs"]["AVAL"].tolist() == [2.0, 3.0] and out["adqs"]["ADY"].tolist() == [1.0, 29.0]
    assert out["adqs"]["ADT"].tolist() == [pd.Timestamp("2020-01-01"), pd.Timestamp("2020-01-29")]
    with pytest.raises(ValueError, match="ascending"):
        subset_subjects({"adsl": adsl}, np.array([2, 1]), entry)


def test_frozen_selection_statistics_agree_with_pipeline(bundle):
    """The generator's per-subject statistics of the frozen data give the same summary as compute_run."""
    folder = frozen_dir("wang2013")
    data = {k: pd.read_csv(folder / f"{k}.csv") for k in ("adsl", "adqs", "adlb", "adae")}
    for k in ("adqs", "adlb"):
        data[k]["ADT"] = pd.to_datetime(data[k]["ADT"])
    s = summarize_statistics(compute_subject_statistics(load_plan("wang2013"), data))
    tidy = bundle.outcomes["ASDAS-SUM"].rows
    assert s["asdas_sd_20"] == pytest.approx(_row(tidy, "sd", 20)["estimate"], abs=1e-9)
    assert s["duration"] == pytest.approx(_row(bundle.outcomes["DUR-ASAS20"].rows, "mean_duration")["estimate"],
                                          abs=1e-9)
    assert s["asas20_w4"] == 24
