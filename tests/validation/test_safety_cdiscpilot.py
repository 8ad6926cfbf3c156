"""AE tables on the CDISC pilot ADaM (cdiscpilot01 adae.xpt / adsl.xpt).

Reference numbers: the brief's published pilot summary (CDISC pilot 01 CSR AE table,
reproduced by the pharmaverse examples): subjects with any TEAE 65 (75.6%) / 77 (91.7%) /
76 (90.5%), events 281 / 412 / 433; serious TEAEs 0 / 1 (1.2%) / 2 (2.4%);
N = 86 / 84 / 84 (Placebo / Xanomeline Low Dose / Xanomeline High Dose). Exact integers;
percentages to the printed 1 decimal.
"""
from __future__ import annotations

import pandas as pd
import pytest

from analyses.safety import (prepare_ae_data, summarize_ae_by_max_grade, summarize_ae_by_soc_pt,
                             summarize_ae_incidence_rate, summarize_ae_overview,
                             summarize_serious_ae)
from reports.shells.common import ShellContext
from reports.shells.safety import ae_overview_table
from sap.results import AnalysisResult
from sap.spec import load_plan

ARMS = ["Placebo", "Xanomeline Low Dose", "Xanomeline High Dose"]


@pytest.fixture(scope="module")
def pilot(cdiscpilot_dir):
    pyreadstat = pytest.importorskip("pyreadstat")
    adam = cdiscpilot_dir / "adam"
    ae, _ = pyreadstat.read_xport(str(adam / "adae.xpt"), encoding="windows-1252")
    sl, _ = pyreadstat.read_xport(str(adam / "adsl.xpt"), encoding="windows-1252")
    strip = lambda f: f.apply(lambda c: c.str.strip() if c.dtype == object and  # noqa: E731
                              c.map(lambda v: isinstance(v, str)).all() else c)
    return strip(sl), strip(ae)


@pytest.fixture(scope="module")
def data(pilot):
    sl, ae = pilot
    return prepare_ae_data(sl, ae, group="TRT01A", ae_group="TRTA", population_flag="SAFFL",
                           group_order=ARMS)


def _cell(table, label, group, stat):
    r = table.tidy()
    sel = r[(r["label"] == label) & (r["group"] == group) & (r["statistic"] == stat)]
    assert len(sel) == 1, (label, group, stat)
    return sel["estimate"].item()


def test_population_n_and_accounting(data, pilot):
    assert data.big_n == {"Placebo": 86, "Xanomeline Low Dose": 84, "Xanomeline High Dose": 84,
                          "Total": 254}
    assert data.excluded_records == 0
    assert len(data.ae) + data.n_not_treatment_emergent == len(pilot[1]) == 1191


@pytest.mark.parametrize("arm, n, pct, events", [
    ("Placebo", 65, 75.6, 281), ("Xanomeline Low Dose", 77, 91.7, 412),
    ("Xanomeline High Dose", 76, 90.5, 433)])
def test_any_teae(data, arm, n, pct, events):
    ov = summarize_ae_overview(data)
    assert _cell(ov, "Any TEAE", arm, "count") == n
    assert round(_cell(ov, "Any TEAE", arm, "percent"), 1) == pct
    assert _cell(ov, "Any TEAE", arm, "event_count") == events
    soc = summarize_ae_by_soc_pt(data)
    assert _cell(soc, "Any TEAE", arm, "count") == n  # SOC/PT table reconciles
    assert _cell(soc, "Any TEAE", arm, "event_count") == events


@pytest.mark.parametrize("arm, n, pct", [("Placebo", 0, 0.0), ("Xanomeline Low Dose", 1, 1.2),
                                         ("Xanomeline High Dose", 2, 2.4)])
def test_serious(data, arm, n, pct):
    assert _cell(summarize_ae_overview(data), "Serious TEAE", arm, "count") == n
    sae = summarize_serious_ae(data)
    assert _cell(sae, "Any serious TEAE", arm, "count") == n
    assert round(_cell(sae, "Any serious TEAE", arm, "percent"), 1) == pct


def test_display_table_strings(data):
    """The printed overview (table shell reports.shells.safety) carries the published n (%) and events."""
    table = summarize_ae_overview(data)
    layout = table.rows.drop_duplicates("order")
    result = AnalysisResult("AE-OVW", "ae_overview", "Overview", "SAF", "TEAE", table.tidy(analysis_id="AE-OVW"),
                            group_n={arm: data.big_n[arm] for arm in ARMS},
                            extra={"grade_scale": data.grade_scale,
                                   "indent": dict(zip(layout["order"], layout["indent"]))})
    t = ae_overview_table(result, ShellContext(load_plan("cdiscpilot01")))[0].frame.set_index("Category / term")
    assert list(t.columns) == ["Placebo (N=86)", "Xanomeline Low Dose (N=84)",
                               "Xanomeline High Dose (N=84)", "Total (N=254)"]
    assert t.loc["Any TEAE"].tolist() == ["65 (75.6%) [281]", "77 (91.7%) [412]",
                                          "76 (90.5%) [433]", "218 (85.8%) [1126]"]
    assert t.loc["Serious TEAE"].tolist() == ["0 [0]", "1 (1.2%) [1]", "2 (2.4%) [2]", "3 (1.2%) [3]"]


def test_soc_pt_top_rows_and_reconciliation(data, pilot):
    """Top SOC and PT are the pilot's known dermal application-site findings (recomputed here
    independently from the raw ADAE with plain pandas)."""
    sl, ae = pilot
    te = ae[ae["TRTEMFL"] == "Y"]
    tab = summarize_ae_by_soc_pt(data)
    rows = tab.rows[tab.rows["group"] == "Total"].sort_values("order")
    socs = rows[rows["indent"] == 1]
    expected_soc = te.groupby("AEBODSYS")["USUBJID"].nunique().reset_index()
    expected_soc = expected_soc.sort_values(["USUBJID", "AEBODSYS"], ascending=[False, True])
    assert socs["label"].tolist() == expected_soc["AEBODSYS"].tolist()
    assert socs["n_subjects"].tolist() == expected_soc["USUBJID"].tolist()
    assert socs["label"].iloc[0] == "GENERAL DISORDERS AND ADMINISTRATION SITE CONDITIONS"
    assert socs["n_subjects"].iloc[0] == 108
    first_pt = rows[rows["indent"] == 2].iloc[0]
    assert (first_pt["label"], first_pt["n_subjects"]) == ("APPLICATION SITE PRURITUS", 50)
    # every SOC count is >= each of its PTs and <= the sum of its PTs; any-TEAE <= sum of SOCs
    allrows = tab.rows
    for g in data.groups:
        r = allrows[allrows["group"] == g]
        anyn = r.loc[r["indent"] == 0, "n_subjects"].item()
        assert anyn <= r.loc[r["indent"] == 1, "n_subjects"].sum()
        for soc in r.loc[r["indent"] == 1, "soc"]:
            s = r[(r["soc"] == soc) & (r["indent"] == 1)]["n_subjects"].item()
            pts = r[(r["soc"] == soc) & (r["indent"] == 2)]["n_subjects"]
            assert s >= pts.max() and s <= pts.sum()
    # event counts of PTs add up to the SOC and to the total (each record in exactly one PT)
    tot = allrows[allrows["group"] == "Total"]
    assert tot.loc[tot["indent"] == 2, "n_events"].sum() == 1126


def test_max_severity_reconciles(data, pilot):
    """Worst severity per subject recomputed with plain pandas on the raw ADAE."""
    _, ae = pilot
    te = ae[ae["TRTEMFL"] == "Y"]
    sev = te["AESEV"].map({"MILD": 1, "MODERATE": 2, "SEVERE": 3})
    worst = te.assign(s=sev).groupby(["TRTA", "USUBJID"])["s"].max().reset_index()
    tab = summarize_ae_by_max_grade(data)
    r = tab.rows[(tab.rows["soc"].isna())]
    for arm in ARMS:
        for k, lab in ((1, "Mild"), (2, "Moderate"), (3, "Severe")):
            exp = int(((worst["TRTA"] == arm) & (worst["s"] == k)).sum())
            got = r[(r["group"] == arm) & (r["category"] == lab)]["n_subjects"].item()
            assert got == exp
        any_n = r[(r["group"] == arm) & (r["category"] == "Any grade")]["n_subjects"].item()
        parts = r[(r["group"] == arm) & (r["category"] != "Any grade")]["n_subjects"].sum()
        assert any_n == parts
    assert r[(r["group"] == "Placebo") & (r["category"] == "Severe")]["n_subjects"].item() == 5


def test_exposure_adjusted_rate_any_teae(data, pilot):
    """Independent recomputation: first TEAE onset (ASTDT) or TRTEDT, days + 1, / 365.25."""
    sl, ae = pilot
    tab = summarize_ae_incidence_rate(data, sl, start="TRTSDT", end="TRTEDT", onset="ASTDT")
    te = ae[ae["TRTEMFL"] == "Y"].copy()
    te["on"] = pd.to_datetime(te["ASTDT"])
    first = te.groupby("USUBJID")["on"].min()
    s = sl[sl["SAFFL"] == "Y"].copy()
    s["st"], s["en"] = pd.to_datetime(s["TRTSDT"]), pd.to_datetime(s["TRTEDT"])
    s["first"] = s["USUBJID"].map(first)
    stop = s[["first", "en"]].min(axis=1)
    s["yrs"] = ((stop - s["st"]).dt.days + 1) / 365.25
    pl = s[s["TRT01A"] == "Placebo"]
    row = tab.rows[tab.rows["group"] == "Placebo"].iloc[0]
    assert row["n_subjects"] == 65
    assert row["subject_years"] == pytest.approx(pl["yrs"].sum(), rel=1e-12)
    assert row["rate"] == pytest.approx(100 * 65 / pl["yrs"].sum(), rel=1e-12)
    assert row["lower"] < row["rate"] < row["upper"]
