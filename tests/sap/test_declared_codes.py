"""Plan-declared codes are matched by meaning (issue 15 finding 1 and 4): ADSL PHASE "PHASE 1" where the plan
says "Phase 1" once crashed the DLT analysis (KeyError 'n'); a misspelt phase silently dropped its subject from
the denominators; STRAT1 "CRP<10" was accepted beside the declared "CRP < 10". Now case and white space do not
matter, and a value that still matches nothing is a data error naming dataset, column, value and record.

Expected values come from the shipped frozen cg-bm1 data run as it is (the same subjects, arms, phases, strata
and results must come out of the re-spelt copy), and from the hand-made frames below.
"""
from __future__ import annotations

import pandas as pd
import pytest

from sap.data import DataContractError
from sap.declared_codes import canonicalize_declared_codes, normal_form
from sap.pipeline import build_context, frozen_data_dir, load_data
from sap.registry import method_entry
from sap.spec import load_plan

PLAN = load_plan("cg-bm1")


def test_normal_form_ignores_case_and_white_space():
    assert normal_form("  PHASE   1 ") == normal_form("Phase 1") == "phase1"
    assert normal_form("CRP<10") == normal_form("crp < 10")
    assert normal_form("CRP >= 10") != normal_form("CRP < 10")


def test_canonicalize_rewrites_to_the_plans_spelling_and_logs_it():
    adsl = pd.DataFrame({"USUBJID": ["A", "B", "C", "D"], "PHASE": ["PHASE 1", " phase  2", "Phase 2", None],
                         "STRAT1": ["CRP<10", "crp >= 10", "CRP < 10", "CRP 10+"],
                         "FASFL": ["y", "Y", " N", None], "TRT01P": ["Placebo"] * 4})
    adqs = pd.DataFrame({"USUBJID": ["A"], "PARAMCD": [" basdai1"]})
    out, log = canonicalize_declared_codes(PLAN, {"adsl": adsl, "adqs": adqs})
    got = out["adsl"]
    assert got["PHASE"].tolist()[:3] == ["Phase 1", "Phase 2", "Phase 2"] and pd.isna(got["PHASE"].iloc[3])
    assert got["STRAT1"].tolist() == ["CRP < 10", "CRP >= 10", "CRP < 10", "CRP 10+"]  # no match: left for the check
    assert got["FASFL"].tolist()[:3] == ["Y", "Y", "N"]
    assert out["adqs"]["PARAMCD"].tolist() == ["BASDAI1"]
    counts = {(r["DATASET"], r["DETAIL"].split(":")[0]): r["N_FLAGGED"] for r in log}
    assert counts == {("ADSL", "PHASE"): 2, ("ADSL", "STRAT1"): 2, ("ADSL", "FASFL"): 2, ("ADQS", "PARAMCD"): 1}
    assert adsl["PHASE"].iloc[0] == "PHASE 1"  # the input frame is not changed


def _copy_frozen(tmp_path, edit) -> object:
    for f in frozen_data_dir(PLAN).glob("*.csv"):
        frame = pd.read_csv(f)
        if f.stem == "adsl":
            frame = edit(frame)
        frame.to_csv(tmp_path / f.name, index=False)
    return load_data(PLAN, tmp_path)


def _respelt(adsl: pd.DataFrame) -> pd.DataFrame:
    adsl = adsl.copy()
    adsl["PHASE"] = adsl["PHASE"].str.upper()                       # "PHASE 1", "PHASE 2"
    adsl["STRAT1"] = adsl["STRAT1"].str.replace(" ", "", regex=False)  # "CRP<10", "CRP>=10"
    adsl["TRT01P"] = "  " + adsl["TRT01P"].str.lower()
    adsl["FASFL"] = adsl["FASFL"].str.lower()
    return adsl


@pytest.fixture(scope="module")
def contexts(tmp_path_factory):
    shipped = build_context(PLAN, load_data(PLAN, None))
    respelt = build_context(PLAN, _copy_frozen(tmp_path_factory.mktemp("respelt"), _respelt))
    return shipped, respelt


def test_respelt_codes_give_the_same_subjects_and_groups(contexts):
    shipped, respelt = contexts
    cols = ["USUBJID", "ARMID", "PHASEID", "STRAT1", "FASFL"]
    pd.testing.assert_frame_equal(shipped.adsl[cols].reset_index(drop=True), respelt.adsl[cols].reset_index(drop=True))
    log = respelt.derived["derivation_log"]
    assert (log["STEP"] == "code matching").sum() == 4  # PHASE, STRAT1, TRT01P, FASFL


@pytest.mark.parametrize("analysis_id", ["DLT-RATE", "ASAS20-CMP", "POP"])
def test_respelt_codes_give_the_same_results(contexts, analysis_id):
    shipped, respelt = contexts
    analysis = PLAN.analysis(analysis_id)
    run = method_entry(analysis.method).run_function()
    a, b = run(shipped, analysis), run(respelt, analysis)
    assert dict(a.group_n) == dict(b.group_n)
    pd.testing.assert_frame_equal(a.rows.reset_index(drop=True), b.rows.reset_index(drop=True))


def test_a_value_matching_no_declared_code_is_named_with_its_record(tmp_path):
    def misspell(adsl):
        adsl = adsl.copy()
        adsl.loc[3, "PHASE"] = "Phse 2"
        adsl.loc[7, "STRAT1"] = "CRP 10+"
        return adsl
    with pytest.raises(DataContractError) as info:
        build_context(PLAN, _copy_frozen(tmp_path, misspell))
    text = str(info.value)
    # record 4 = data row 4 = CSV line 5 (index 3); record 8 likewise
    assert "adsl.PHASE value 'Phse 2' not allowed (row 4)" in text
    assert "adsl.STRAT1 value 'CRP 10+' not allowed (row 8)" in text
    assert "values not in {'CRP < 10', 'CRP >= 10' or missing}" in text
