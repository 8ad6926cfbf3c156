"""wang2013 frozen data against the published summary (Wang 2013 abstract, Cell Transplant)."""
from __future__ import annotations

import pandas as pd
import pytest

from synthetic_data import frozen_dir
from synthetic_data.calibration import TARGET, summarize_wang2013


def _frozen():
    folder = frozen_dir("wang2013")
    out = {}
    for name in ("adsl", "adqs", "adlb", "adae"):
        out[name] = pd.read_csv(folder / f"{name}.csv")
    return out


def test_no_serious_adverse_events_and_31_subjects():
    d = _frozen()
    assert d["adsl"]["USUBJID"].nunique() == 31
    assert (d["adae"].get("AESER", pd.Series(dtype=object)) == "Y").sum() == 0


@pytest.mark.xfail(strict=True, reason="wang2013 calibration not achieved yet (see synthetic_data/CALIBRATION.md)")
def test_reproduces_published_summary():
    """Counts exactly; means/SDs/duration to the one decimal the abstract reports."""
    s = summarize_wang2013(_frozen())
    assert s["asas20_w4"] == 24
    for k in ("duration", "asdas_mean_0", "asdas_sd_0", "asdas_mean_4", "asdas_sd_4", "asdas_mean_20", "asdas_sd_20"):
        assert round(s[k] + 1e-12, 1) == TARGET[k], k
