"""ANCOVA vs the CDISC pilot CSR, Table 14-3.01 (ADAS-Cog(11) change from baseline to week 24, LOCF).

Source: CDISCPILOT01 CSR Table 14-3.01 (published to 1-2 decimals; tolerances = half a unit of the
last printed digit): n 79/81/74; Xanomeline Low - Placebo -0.5 (SE 0.82), 95% CI -2.1 to 1.1,
p 0.569; High - Placebo -1.0 (SE 0.84), -2.7 to 0.7, p 0.233; linear dose-response p 0.245
(TRTPN 0/54/81 as a continuous covariate). Data: ../shared/data/cdiscpilot01 adqsadas.xpt.
"""
from __future__ import annotations

import pandas as pd
import pyreadstat
import pytest

from analyses.ancova import fit_ancova


@pytest.fixture(scope="module")
def week24(cdiscpilot_dir):
    df, _ = pyreadstat.read_xport(str(cdiscpilot_dir / "adam_converted" / "adqsadas.xpt"), encoding="windows-1252")
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda x: x.strip() if isinstance(x, str) else x)
    sel = (df.PARAMCD == "ACTOT") & (df.AVISIT == "Week 24") & (df.ANL01FL == "Y") & (df.EFFFL == "Y")
    return df.loc[sel].reset_index(drop=True)


def test_table_14_3_01(week24):
    assert (week24.DTYPE == "LOCF").sum() > 0   # the LOCF-imputed rows are part of the analysis
    res = fit_ancova(week24, response="CHG", group="TRTP", covariates=("SITEGR1", "BASE"),
                     reference="Placebo", dose="TRTPN")
    n = res.lsmeans.set_index("group").n
    assert (n["Placebo"], n["Xanomeline Low Dose"], n["Xanomeline High Dose"]) == (79, 81, 74)
    d = res.contrasts.set_index("group")
    low, high = d.loc["Xanomeline Low Dose"], d.loc["Xanomeline High Dose"]
    assert low.estimate == pytest.approx(-0.5, abs=0.05) and low.se == pytest.approx(0.82, abs=0.005)
    assert low.ci_lower == pytest.approx(-2.1, abs=0.05) and low.ci_upper == pytest.approx(1.1, abs=0.05)
    assert low.p_value == pytest.approx(0.569, abs=0.0005)
    assert high.estimate == pytest.approx(-1.0, abs=0.05) and high.se == pytest.approx(0.84, abs=0.005)
    assert high.ci_lower == pytest.approx(-2.7, abs=0.05) and high.ci_upper == pytest.approx(0.7, abs=0.05)
    assert high.p_value == pytest.approx(0.233, abs=0.0005)
    assert res.dose_response["p_value"] == pytest.approx(0.245, abs=0.0005)
    tidy = res.tidy(analysis_id="T14-3.01", endpoint="ACTOT", population="EFF", visit="Week 24")
    assert list(tidy.statistic) == ["lsmean"] * 3 + ["lsmean_difference"] * 2 + ["f_test"]


@pytest.mark.parametrize("weights", ["equal", "proportional"])
def test_lsmeans_match_emmeans(week24, weights):
    # tests/validation/r/ancova_cdisc_emmeans.json (R lm + emmeans 1.8.4, weights = "equal"/"proportional"),
    # made by tests/validation/r/ancova_cdisc_emmeans.R; same least-squares fit, so tolerance 1e-9 relative
    import json
    from pathlib import Path
    ref = json.loads((Path(__file__).resolve().parent / "r" / "ancova_cdisc_emmeans.json").read_text())
    res = fit_ancova(week24, response="CHG", group="TRTP", covariates=("SITEGR1", "BASE"), reference="Placebo",
                     dose="TRTPN", weights=weights)
    ls = res.lsmeans.set_index("group")
    for item in ref["weights"][weights]["lsmeans"]:
        row = ls.loc[item["group"]]
        assert row.estimate == pytest.approx(item["estimate"], rel=1e-9)
        assert row.se == pytest.approx(item["se"], rel=1e-9)
        assert row.ci_lower == pytest.approx(item["lower"], rel=1e-9)
    d = res.contrasts.set_index("group")
    for item in ref["weights"][weights]["differences"]:
        row = d.loc[item["contrast"].split(" - ")[0]]
        assert row.estimate == pytest.approx(item["estimate"], rel=1e-9)
        assert row.se == pytest.approx(item["se"], rel=1e-9)
        assert row.p_value == pytest.approx(item["p_value"], rel=1e-7)
    assert res.dose_response["p_value"] == pytest.approx(ref["dose_slope"]["p_value"], rel=1e-7)
    assert res.dose_response["estimate"] == pytest.approx(ref["dose_slope"]["estimate"], rel=1e-9)
