"""Hand-computed AE tables on a tiny data set."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.safety import (prepare_ae_data, summarize_ae_by_max_grade, summarize_ae_by_soc_pt,
                             summarize_ae_incidence_rate, summarize_ae_overview,
                             summarize_ae_special_interest, summarize_serious_ae)

ADSL = pd.DataFrame({
    "USUBJID": ["S1", "S2", "S3", "S4", "S5", "S6"],
    "TRT01A": ["A", "A", "A", "B", "B", "B"],
    "SAFFL": ["Y", "Y", "Y", "Y", "Y", "N"],
    "TRTSDT": pd.to_datetime(["2024-01-01"] * 6),
    "TRTEDT": pd.to_datetime(["2024-12-30", "2024-06-28", "2024-12-30", "2024-12-30",
                              "2024-12-30", "2024-12-30"]),
})
ADAE = pd.DataFrame({
    "USUBJID": ["S1", "S1", "S1", "S2", "S4", "S4", "S6", "S3"],
    "AEBODSYS": ["GI", "GI", "SKIN", "GI", "SKIN", "SKIN", "GI", "GI"],
    "AEDECOD": ["Nausea", "Diarrhoea", "Rash", "Nausea", "Rash", "Rash", "Nausea", "Nausea"],
    "AETOXGR": [1, 3, 2, 2, 1, 5, 1, 1],
    "AESER": ["N", "Y", "N", "N", "N", "Y", "N", "N"],
    "AEREL": ["RELATED", "NOT RELATED", "POSSIBLE", "NONE", "Y", "N", "Y", "N"],
    "TRTEMFL": ["Y", "Y", "Y", "Y", "Y", "Y", "Y", "N"],
    "DLTFL": ["N", "Y", "N", "N", "N", "N", "N", "N"],
    "AEACN": ["DOSE NOT CHANGED", "DRUG WITHDRAWN", "", "", "", "", "", ""],
    "AEOUT": ["RECOVERED/RESOLVED"] * 5 + ["FATAL", "", ""],
    "ASTDT": pd.to_datetime(["2024-01-11", "2024-01-05", "2024-03-01", "2024-02-01",
                             "2024-01-31", "2024-06-01", "2024-01-02", "2023-12-01"]),
})


@pytest.fixture
def data():
    return prepare_ae_data(ADSL, ADAE)


def cell(tab, label, group, stat="count", **kw):
    t = tab.tidy()
    m = (t["label"] == label) & (t["group"] == group) & (t["statistic"] == stat)
    for k, v in kw.items():
        m &= t[k] == v
    assert m.sum() == 1
    return t.loc[m, "estimate"].item()


def layout(tab):
    """(indent, label) of each table row in display order."""
    rows = tab.rows.drop_duplicates("order").sort_values("order")
    return list(zip(rows["indent"].astype(int), rows["label"]))


def labels(tab):
    return [label for _, label in layout(tab)]


def test_accounting(data):
    assert data.big_n == {"A": 3, "B": 2, "Total": 5}
    assert data.excluded_records == 1  # S6 not in the safety population
    assert data.excluded.loc[1, "subjects"] == ("S6",)
    assert data.n_not_treatment_emergent == 1  # S3's record
    assert len(data.ae) == 6


def test_overview(data):
    ov = summarize_ae_overview(data)
    assert cell(ov, "Any TEAE", "A") == 2 and cell(ov, "Any TEAE", "A", "event_count") == 4
    assert cell(ov, "Any TEAE", "A", "percent") == pytest.approx(200 / 3)
    assert cell(ov, "Any TEAE", "Total") == 3
    assert cell(ov, "Related TEAE", "A") == 1 and cell(ov, "Related TEAE", "B") == 1
    assert cell(ov, "Serious TEAE", "A") == 1 and cell(ov, "Serious TEAE", "B") == 1
    assert cell(ov, "Grade >= 3 TEAE", "Total") == 2
    assert cell(ov, "TEAE leading to discontinuation", "A") == 1
    assert cell(ov, "Fatal TEAE (death)", "B") == 1 and cell(ov, "Fatal TEAE (death)", "A") == 0
    assert cell(ov, "Dose-limiting toxicity", "A") == 1
    assert cell(ov, "Infusion reaction", "Total") == 0
    assert cell(ov, "Infusion reaction", "B") == 0 and cell(ov, "Infusion reaction", "B", "percent") == 0
    assert cell(ov, "Any TEAE", "A", "percent") == pytest.approx(100 * 2 / 3)


def test_soc_pt_sorting_and_counts(data):
    tab = summarize_ae_by_soc_pt(data)
    # SKIN: S1, S4 (2 subjects) ties GI: S1, S2 (2) -> alphabetical; PTs likewise
    assert layout(tab) == [(0, "Any TEAE"), (1, "GI"), (2, "Nausea"), (2, "Diarrhoea"), (1, "SKIN"), (2, "Rash")]
    assert cell(tab, "Rash", "B") == 1 and cell(tab, "Rash", "B", "event_count") == 2
    assert cell(tab, "GI", "A") == 2 and cell(tab, "GI", "A", "event_count") == 3


def test_serious_and_grade(data):
    sae = summarize_serious_ae(data)
    assert cell(sae, "Any serious TEAE", "Total") == 2
    assert layout(sae)[0] == (0, "Any serious TEAE")
    g = summarize_ae_by_max_grade(data)
    # S1 worst 3, S2 worst 2, S4 worst 5
    r = g.rows
    top = r[r["soc"].isna() & (r["group"] == "Total")].set_index("category")["n_subjects"]
    assert top.to_dict() == {"Any grade": 3, "Grade 1": 0, "Grade 2": 1, "Grade 3": 1,
                             "Grade 4": 0, "Grade 5": 1}
    skin = r[(r["soc"] == "SKIN") & r["pt"].isna() & (r["group"] == "A")].set_index("category")
    assert skin.loc["Grade 2", "n_subjects"] == 1 and skin.loc["Any grade", "n_subjects"] == 1


def test_aesi(data):
    t = summarize_ae_special_interest(data, ["rash", "Pruritus"])
    assert cell(t, "Any AESI", "Total") == 2
    assert cell(t, "rash", "B") == 1 and cell(t, "Pruritus", "Total") == 0
    t2 = summarize_ae_special_interest(data, {"GI events": ["NAUSEA", "Vomiting"]})
    assert cell(t2, "GI events", "A") == 2 and cell(t2, "Vomiting", "A") == 0


def test_incidence_rate_hand_computed(data):
    tab = summarize_ae_incidence_rate(data, ADSL)
    r = tab.rows.set_index("group")
    # A: S1 first onset Jan 5 -> 5 days; S2 Feb 1 -> 32 days; S3 no TEAE -> to Dec 30 = 365 days
    assert r.loc["A", "subject_years"] == pytest.approx((5 + 32 + 365) / 365.25)
    assert r.loc["A", "n_subjects"] == 2
    assert r.loc["A", "rate"] == pytest.approx(100 * 2 / ((5 + 32 + 365) / 365.25))
    # B: S4 Jan 31 -> 31 days; S5 -> 365
    assert r.loc["B", "subject_years"] == pytest.approx((31 + 365) / 365.25)
    pt = summarize_ae_incidence_rate(data, ADSL, by="pt").rows
    rash_a = pt[(pt["pt"] == "Rash") & (pt["group"] == "A")].iloc[0]
    # S1 rash Mar 1 -> 61 days; S2, S3 full follow-up (S2 ends Jun 28 -> 180 days)
    assert rash_a["subject_years"] == pytest.approx((61 + 180 + 365) / 365.25)


def test_missing_relationship_and_bad_values():
    ae = ADAE.assign(AEREL=["", "N", "N", "N", "N", "N", "N", "N"])
    d = prepare_ae_data(ADSL, ae)
    assert cell(summarize_ae_overview(d), "Related TEAE", "A") == 1
    assert any("missing AEREL" in n for n in d.notes)
    assert cell(summarize_ae_overview(prepare_ae_data(ADSL, ae, missing_related="not_related")),
                "Related TEAE", "A") == 0
    with pytest.raises(ValueError, match="AEREL"):
        prepare_ae_data(ADSL, ae, missing_related="error")
    with pytest.raises(ValueError, match="unrecognised relationship"):
        prepare_ae_data(ADSL, ADAE.assign(AEREL="MAYBE"))
    with pytest.raises(ValueError, match="AETOXGR.*grade 1-5"):
        prepare_ae_data(ADSL, ADAE.assign(AETOXGR=[1, 2, 3, 6, 1, 1, 1, 1]))
    with pytest.raises(ValueError, match="AESER.*Y/N"):
        prepare_ae_data(ADSL, ADAE.assign(AESER=["N", "", "N", "N", "N", "N", "N", "N"]))
    with pytest.raises(ValueError, match="not unique"):
        prepare_ae_data(pd.concat([ADSL, ADSL.iloc[:1]]), ADAE)
    with pytest.raises(ValueError, match="required column"):
        prepare_ae_data(ADSL, ADAE.drop(columns="AEDECOD"))


def test_severity_scale_and_subject_not_in_adsl():
    ae = ADAE.drop(columns="AETOXGR").assign(
        AESEV=["MILD", "SEVERE", "MODERATE", "MILD", "MILD", "MILD", "MILD", "MILD"],
        USUBJID=["S1", "S1", "S1", "S2", "S4", "S4", "S6", "S9"])
    d = prepare_ae_data(ADSL, ae, treatment_emergent_only=False)
    assert d.grade_scale == "severity"
    assert d.excluded["records"].tolist() == [1, 1]
    ov = summarize_ae_overview(d)
    assert "Severe TEAE" in labels(ov)
    # fatal only from AEOUT under the severity scale
    assert cell(ov, "Fatal TEAE (death)", "B") == 1
    g = summarize_ae_by_max_grade(d).rows
    top = g[g["soc"].isna() & (g["group"] == "A")].set_index("category")["n_subjects"]
    assert top.to_dict() == {"Any grade": 2, "Mild": 1, "Moderate": 0, "Severe": 1}


def test_missing_grade_category_and_optional_columns():
    ae = ADAE.assign(AETOXGR=[np.nan, np.nan, 2, np.nan, 1, 5, 1, 1]).drop(columns=["DLTFL", "AEACN"])
    d = prepare_ae_data(ADSL, ae)
    g = summarize_ae_by_max_grade(d).rows
    a = g[g["soc"].isna() & (g["group"] == "A")].set_index("category")["n_subjects"]
    assert a["Missing"] == 1 and a["Grade 2"] == 1 and a["Any grade"] == 2
    shown = labels(summarize_ae_overview(d))
    assert "Dose-limiting toxicity" not in shown and "TEAE leading to discontinuation" not in shown
    assert any("DLTFL" in n for n in d.notes)


def test_group_order_and_ae_group():
    d = prepare_ae_data(ADSL, ADAE.assign(TRTA=["A", "A", "A", "A", "B", "B", "B", "A"]),
                        ae_group="TRTA", group_order=["B", "A"], total=False)
    assert d.groups == ("B", "A")
    with pytest.raises(ValueError, match="not in group_order"):
        prepare_ae_data(ADSL, ADAE, group_order=["A"])
    with pytest.raises(ValueError, match="TRTA"):
        prepare_ae_data(ADSL, ADAE.assign(TRTA="C"), ae_group="TRTA")


def test_empty_ae_table():
    d = prepare_ae_data(ADSL, ADAE.iloc[:0])
    t = summarize_ae_by_soc_pt(d)
    assert layout(t) == [(0, "Any TEAE")]
    assert t.rows["n_subjects"].tolist() == [0, 0, 0] and t.rows["big_n"].tolist() == [3, 2, 5]
