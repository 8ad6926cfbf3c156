"""The cdiscpilot01 plan run end to end on the real CDISC pilot ADaM files reproduces the published CSR numbers.

Sources: CDISCPILOT01 clinical study report (CDISC SDTM/ADaM pilot submission package), Table 14-3.01
(ADAS-Cog(11) ANCOVA at week 24, LOCF), Table 14-5.01 (TEAE incidence), Figure 14-1 (time to first
dermatologic event: numbers at risk, medians), as quoted in the project's issues. Tolerances: the printed
precision of the CSR (half a unit in the last printed digit).
"""
from __future__ import annotations

import pandas as pd
import pytest

from sap.pipeline import compute_run
from sap.spec import load_plan

PBO, LOW, HIGH = "Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"


@pytest.fixture(scope="module")
def bundle(cdiscpilot_dir):
    d = cdiscpilot_dir
    data = {"adsl": d / "adam" / "adsl.xpt", "adae": d / "adam" / "adae.xpt", "adtte": d / "adam" / "adtte.xpt",
            "adqscibc": d / "adam" / "adqscibc.xpt", "adqsadas": d / "adam_converted" / "adqsadas.xpt"}
    return compute_run(load_plan("cdiscpilot01"), data=data)


def _rows(bundle, analysis_id: str, statistic: str) -> pd.DataFrame:
    t = bundle.outcomes[analysis_id].rows
    return t[t["statistic"] == statistic]


def test_table_14_3_01_ancova(bundle):
    lsm = _rows(bundle, "ADAS-ANCOVA", "lsmean").set_index("group")
    assert lsm.loc[[PBO, LOW, HIGH], "n"].tolist() == [79, 81, 74]
    diff = _rows(bundle, "ADAS-ANCOVA", "lsmean_difference").set_index("group")
    for grp, est, se, lo, hi, p in ((LOW, -0.5, 0.82, -2.1, 1.1, 0.569), (HIGH, -1.0, 0.84, -2.7, 0.7, 0.233)):
        r = diff.loc[grp]
        assert r["comparator"] == PBO
        assert r["estimate"] == pytest.approx(est, abs=0.05)
        assert r["se"] == pytest.approx(se, abs=0.005)
        assert r["ci_lower"] == pytest.approx(lo, abs=0.05)
        assert r["ci_upper"] == pytest.approx(hi, abs=0.05)
        assert r["p_value"] == pytest.approx(p, abs=0.0005)
    dose = _rows(bundle, "ADAS-ANCOVA", "f_test")
    assert dose["p_value"].iloc[0] == pytest.approx(0.245, abs=0.0005)


def test_figure_14_1_numbers_at_risk_and_medians(bundle):
    at_risk = bundle.outcomes["TTDE-KM"].frames["at_risk"]
    expected = {PBO: [86, 75, 65, 59, 50, 47, 45, 42, 40, 35, 0],
                LOW: [84, 58, 31, 20, 14, 12, 8, 6, 6, 5, 0],
                HIGH: [84, 48, 31, 14, 7, 4, 4, 4, 4, 3, 0]}
    for grp, values in expected.items():
        got = at_risk[at_risk["group"] == grp].sort_values("time")
        assert got["time"].tolist() == list(range(0, 201, 20))
        assert got["n_at_risk"].tolist() == values
    med = _rows(bundle, "TTDE-KM", "median").set_index("group")
    assert pd.isna(med.loc[PBO, "estimate"])            # not reached
    assert med.loc[LOW, "estimate"] == 33 and med.loc[HIGH, "estimate"] == 36


def test_table_14_5_01_teae_incidence(bundle):
    t = bundle.outcomes["AE-OVW"].rows
    any_teae = t[(t["statistic"] == "count") & t["label"].astype(str).str.contains("any", case=False)
                 & t["group"].isin([PBO, LOW, HIGH])]
    by_group = any_teae.drop_duplicates("group").set_index("group")["estimate"]
    assert by_group.loc[[PBO, LOW, HIGH]].astype(int).tolist() == [65, 77, 76]


def test_every_subject_is_accounted_for_in_disposition(bundle):
    t = bundle.outcomes["DISP"].rows
    enrolled = t[(t["label"] == "Enrolled") & (t["group"] == "Total")]["estimate"].iloc[0]
    assert enrolled == 254


def test_ae_overview_discontinuation_row_from_adsl_dsraefl(bundle):
    """Issue 15: ADAE AEACN is blank in all 1,191 pilot records, so the 'leading to discontinuation' row counted
    0/0/0. The plan names no source, so the row comes from ADSL DSRAEFL = Y: 8 / 44 / 40 subjects (ADSL of the
    pilot: 92 subjects discontinued for an adverse event), subject level (no event count), and the footnote says
    which variable was used. A transdermal study gets no infusion-reaction row and, without a DLT endpoint, no
    DLT row."""
    result = bundle.outcomes["AE-OVW"]
    rows = result.rows[result.rows["label"] == "TEAE leading to discontinuation"]
    counts = rows[rows["statistic"] == "count"].set_index("group")["estimate"]
    assert [int(counts[g]) for g in (PBO, LOW, HIGH)] == [8, 44, 40]
    assert rows[rows["statistic"] == "event_count"].empty
    assert any("ADSL DSRAEFL = Y" in n and "AEACN is absent or blank" in n for n in result.notes)
    labels = set(result.rows["label"])
    assert "Infusion reaction" not in labels and "Dose-limiting toxicity" not in labels


def test_no_dlt_footnote_in_a_study_without_dlts(bundle):
    """Issue 15: 'ADAE has no DLTFL: DLTs not summarised' was printed under the transdermal pilot's AE tables."""
    for analysis_id, result in bundle.outcomes.items():
        if result.method.startswith("ae_"):
            assert not any("DLT" in n for n in result.notes), analysis_id
