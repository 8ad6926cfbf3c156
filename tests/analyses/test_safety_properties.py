"""Property tests (hypothesis) of the AE tables."""
from __future__ import annotations

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from analyses.safety import (prepare_ae_data, summarize_ae_by_max_grade, summarize_ae_by_soc_pt,
                             summarize_ae_overview)

SUBJECTS = [f"S{i}" for i in range(12)]
SOCS = {"GI": ["Nausea", "Vomiting", "Diarrhoea"], "SKIN": ["Rash", "Pruritus"], "NERV": ["Headache"]}
PAIRS = [(s, p) for s, ps in SOCS.items() for p in ps]

record = st.tuples(st.sampled_from(SUBJECTS), st.sampled_from(PAIRS), st.integers(1, 5),
                   st.sampled_from(["Y", "N"]))


@st.composite
def datasets(draw):
    arms = draw(st.lists(st.sampled_from(["A", "B", "C"]), min_size=12, max_size=12))
    pop = draw(st.lists(st.sampled_from(["Y", "Y", "N"]), min_size=12, max_size=12))
    recs = draw(st.lists(record, min_size=0, max_size=40))
    adsl = pd.DataFrame({"USUBJID": SUBJECTS, "TRT01A": arms, "SAFFL": pop})
    adae = pd.DataFrame({
        "USUBJID": [r[0] for r in recs], "AEBODSYS": [r[1][0] for r in recs],
        "AEDECOD": [r[1][1] for r in recs], "AETOXGR": [r[2] for r in recs],
        "AESER": [r[3] for r in recs], "AEREL": ["N"] * len(recs), "TRTEMFL": ["Y"] * len(recs)})
    return adsl, adae


SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(datasets())
def test_soc_pt_invariants(ds):
    adsl, adae = ds
    d = prepare_ae_data(adsl, adae, group_order=["A", "B", "C"])
    assert len(d.ae) + d.excluded_records == len(adae)  # nothing dropped
    tab = summarize_ae_by_soc_pt(d)
    pop = d.population
    for g in d.groups:
        r = tab.rows[tab.rows["group"] == g]
        subj = d.ae if g == "Total" else d.ae[d.ae["group"] == g]
        any_n = r.loc[r["indent"] == 0, "n_subjects"].item()
        assert any_n == subj["subject"].nunique()  # totals reconcile
        assert (r["n_subjects"] <= d.big_n[g]).all()  # a subject counted at most once per row
        assert (r["n_subjects"] <= r["n_events"]).all()
        for soc in r.loc[r["indent"] == 1, "soc"]:
            s = r[(r["soc"] == soc) & (r["indent"] == 1)]["n_subjects"].item()
            pts = r[(r["soc"] == soc) & (r["indent"] == 2)]["n_subjects"]
            assert s >= pts.max()
            assert any_n >= s
        # each row's count equals the distinct subjects behind it
        for row in r[r["indent"] == 2].itertuples():
            m = (subj["soc"] == row.soc) & (subj["pt"] == row.pt)
            assert row.n_subjects == subj.loc[m, "subject"].nunique()
    assert d.big_n["Total"] == len(pop)


@SETTINGS
@given(datasets(), st.randoms(use_true_random=False))
def test_row_permutation_does_not_change_tables(ds, rnd):
    adsl, adae = ds
    idx_ae = list(range(len(adae)))
    idx_sl = list(range(len(adsl)))
    rnd.shuffle(idx_ae)
    rnd.shuffle(idx_sl)
    a = prepare_ae_data(adsl, adae, group_order=["A", "B", "C"])
    b = prepare_ae_data(adsl.iloc[idx_sl].reset_index(drop=True),
                        adae.iloc[idx_ae].reset_index(drop=True), group_order=["A", "B", "C"])
    for f in (summarize_ae_by_soc_pt, summarize_ae_overview, summarize_ae_by_max_grade):
        pd.testing.assert_frame_equal(f(a).rows, f(b).rows)


@SETTINGS
@given(datasets())
def test_max_grade_partitions_any_grade(ds):
    adsl, adae = ds
    d = prepare_ae_data(adsl, adae, group_order=["A", "B", "C"])
    r = summarize_ae_by_max_grade(d).rows
    for (_, _, _g), block in r.groupby([r["soc"].fillna("-"), r["pt"].fillna("-"), "group"]):
        any_n = block.loc[block["category"] == "Any grade", "n_subjects"].item()
        assert block.loc[block["category"] != "Any grade", "n_subjects"].sum() == any_n
