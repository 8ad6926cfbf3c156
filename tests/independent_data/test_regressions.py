"""Regressions found by the independent-data property (issue 15): each test is one distinct failure, on a small
data set made by hand from the plain independent example (``rebuild(Variation(), SEED)``: a 3+3 Phase 1 and
4 + 4 subjects in Phase 2, every instrument and laboratory parameter) with the one change that triggered it.

Before the fixes each of these data sets made ``python -m sap.run`` exit 1 (a traceback), or exit 2 with a line
that named no dataset and column, or refused a code the plan declares.
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analyses.safety_ae_data import prepare_ae_data
from independent_data.outcomes import fast_plan
from independent_data.strategies import TrialData, Variation, rebuild
from sap.errors import DataError, UserInputError
from sap.pipeline import build_context, is_primary, load_data
from sap.registry import method_entry

SEED = 20261204
PLAN = fast_plan()


def base(**changes) -> TrialData:
    return rebuild(replace(Variation(), **changes), SEED)


def context(data: TrialData, tmp_path: Path):
    folder = data.write(tmp_path / "data")
    return build_context(PLAN, load_data(PLAN, folder))


def run(ctx, analysis_id: str):
    analysis = PLAN.analysis(analysis_id)
    return method_entry(analysis.method).run_function()(ctx, analysis)


def test_lab_shift_without_normal_ranges_is_not_estimable(tmp_path):
    """DESIGN.md's ADLB has no normal-range columns: the shift table was a ValueError (exit 1)."""
    ctx = context(base(lab_ranges=False), tmp_path)
    shift = run(ctx, "LAB-SHIFT")
    assert shift.not_estimable.startswith("adlb has no normal ranges (adlb.ANRIND, adlb.ANRLO/ANRHI")
    assert run(ctx, "LAB-CHG").produced


@pytest.mark.parametrize("dropped, named", [(("TRTEDT", "EOSDT"), "adsl.TRTEDT (and EOSDT) is absent"),
                                            (("TRTSDT", "RESCDT"), "adsl.TRTSDT is absent"),
                                            (("TRTEDT",), "adsl.EOSDT is missing for")])
def test_exposure_adjusted_rates_without_treatment_dates(tmp_path, dropped, named):
    """TRTSDT and TRTEDT are optional ADSL columns: AE-EAIR raised KeyError 'TRTEDT' (exit 1), and a ValueError
    when only EOSDT was there (it is missing for the subjects who completed)."""
    data = base(ice_rate=0.5)
    data.datasets["adsl"] = data.datasets["adsl"].drop(columns=list(dropped))
    ctx = context(data, tmp_path)
    rate = run(ctx, "AE-EAIR")
    assert rate.not_estimable is not None and named in rate.not_estimable
    assert is_primary(PLAN, PLAN.analysis("AE-EAIR"))   # so the run stops: exit 2 with this reason


def test_exposure_adjusted_rates_with_an_onset_date_missing(tmp_path):
    """ASTDT is required as a column, not in every row: a TEAE without onset date was a ValueError (exit 1)."""
    data = base()
    adae = data.datasets["adae"].astype({"ASTDT": object})
    first_te = int(np.flatnonzero((adae["TRTEMFL"] == "Y").to_numpy())[0])
    adae.loc[first_te, ["ASTDT", "ASTDY"]] = [None, np.nan]
    data.datasets["adae"] = adae
    rate = run(context(data, tmp_path), "AE-EAIR")
    assert rate.not_estimable == "adae.ASTDT is missing for 1 analysed records: the time to the first event is unknown"


def test_an_item_recorded_twice_on_one_occasion_is_a_data_error(tmp_path):
    """ANL01FL = Y on one of two BASDAI1 records of the same day passes the contract; the occasion scores then
    raised ValueError 'two records of the same PARAMCD on one occasion' (exit 1)."""
    data = base()
    adqs = data.datasets["adqs"].assign(ANL01FL="Y")
    k = int(np.flatnonzero(((adqs["PARAMCD"] == "BASDAI1") & (adqs["AVISITN"] == 4)).to_numpy())[0])
    repeat = adqs.iloc[[k]].assign(ANL01FL=None, AVAL=adqs["AVAL"].iloc[k] + 1)
    data.datasets["adqs"] = pd.concat([adqs, repeat], ignore_index=True)
    with pytest.raises(DataError, match=rf"^adqs\.PARAMCD: an item recorded more than once on one occasion .*: 2 rows: "
                                        rf"row {k + 1} \(.*PARAMCD BASDAI1.*\); row {len(adqs) + 1} "):
        context(data, tmp_path)


def test_the_same_item_on_another_day_of_the_window_is_fine(tmp_path):
    data = base(repeat_records="other_day")
    assert "ANL01FL" in data.datasets["adqs"].columns
    ctx = context(data, tmp_path)
    assert run(ctx, "BASDAI-MMRM").produced


def test_rescue_of_a_subject_never_treated_names_the_column_and_row(tmp_path):
    """A rescue date without TRTSDT raised ValueError 'ADSL: RESCDT without TRTSDT' (exit 1)."""
    data = base(untreated=1)
    adsl = data.datasets["adsl"].astype({"RESCDT": object})
    row = int(np.flatnonzero(adsl["TRTSDT"].isna().to_numpy())[0])
    adsl.loc[row, "RESCDT"] = "2025-06-01"
    data.datasets["adsl"] = adsl
    with pytest.raises(DataError, match=rf"^adsl\.RESCDT: a rescue date but adsl\.TRTSDT is missing.*\(rows {row + 1}\)"):
        context(data, tmp_path)


def test_a_relationship_spelt_with_extra_blanks_is_read(tmp_path):
    """'not  related' (two blanks) was an unrecognised AEREL value: ValueError (exit 1)."""
    data = base()
    data.datasets["adae"] = data.datasets["adae"].assign(AEREL="not  related")
    ctx = context(data, tmp_path)
    table = run(ctx, "AE-OVW")
    assert table.produced
    related = prepare_ae_data(ctx.adsl.assign(SAFFL="Y"), ctx.datasets["adae"], group="ARMLABEL")
    assert not related.ae["related"].any()


@pytest.mark.parametrize("column, value, message", [
    ("AEREL", "NOT ASSESSED", r"^adae\.AEREL: relationship \['NOT ASSESSED'\] is neither related .* \(rows 1\)"),
    ("AESER", None, r"^adae\.AESER: seriousness is missing \(rows 1; 1 records\)"),
])
def test_ae_values_the_tables_cannot_read_are_data_errors(tmp_path, column, value, message):
    """The contract lets AESER be missing and AEREL be any text; the AE tables raised ValueError (exit 1)."""
    data = base()
    adae = data.datasets["adae"].astype({column: object})
    adae.loc[0, column] = value
    data.datasets["adae"] = adae
    with pytest.raises(DataError, match=message):
        run(context(data, tmp_path), "AE-OVW")


def test_cohorts_off_the_rule_name_the_adsl_columns(tmp_path):
    """A Phase 1 off the 3+3 rule stopped with 'analysis ESC: cohort data violate the 3+3 rule: ...', naming no
    dataset and column."""
    data = base(phase1="free", phase1_arms=("DL1", "DL2"), phase1_sizes=(3, 3), dlt_prob=(0.0, 0.0, 0.0))
    data.datasets["adsl"] = data.datasets["adsl"].assign(
        COHORT=lambda f: np.where(f["USUBJID"].str.contains("-P1-"), 1, f["COHORT"]))   # one cohort at two doses
    ctx = context(data, tmp_path)
    with pytest.raises(UserInputError, match=r"cohort data violate the 3\+3 rule: .* \(cohorts from adsl\.COHORT, "
                                             r"dose levels from adsl\.TRT01P, subjects with adsl\.DLTEVLFL = Y\)"):
        run(ctx, "ESC")


def test_ittfl_in_lower_case_is_read_like_fasfl(tmp_path):
    """FASFL = 'y' was matched to the plan's 'Y', but ITTFL (accepted for FASFL) = 'y' was refused (exit 2)."""
    data = base(use_ittfl=True)
    data.datasets["adsl"] = data.datasets["adsl"].assign(ITTFL=lambda f: f["ITTFL"].str.lower())
    ctx = context(data, tmp_path)
    expected = sum(1 for s in data.subjects if s.fas and s.arm.phase_id == "P2")
    assert sum(ctx.column_counts(PLAN.analysis("ASAS20-CMP")).values()) == expected


def test_a_stratified_comparison_with_a_stratum_missing_names_the_column_and_rows(tmp_path):
    """STRAT1 is an optional ADSL column whose values may be missing; ASAS20-CMP (stratified by STRAT1, CMH) raised
    ValueError "column 'STRAT1' (strata) has missing values" (exit 1)."""
    data = base()
    adsl = data.datasets["adsl"].astype({"STRAT1": object})
    row = int(np.flatnonzero(adsl["USUBJID"].str.contains("-P2-").to_numpy())[0])
    adsl.loc[row, "STRAT1"] = None
    data.datasets["adsl"] = adsl
    ctx = context(data, tmp_path)
    with pytest.raises(DataError, match=rf"^adsl\.STRAT1: analysis ASAS20-CMP is stratified by STRAT1 .* missing for "
                                        rf"1 subject of population FAS in phase P2 \(rows {row + 1}\)"):
        run(ctx, "ASAS20-CMP")
    assert run(ctx, "ASAS40-CMP").produced   # not stratified: runs


def test_locf_records_are_not_analysed_as_observed_values(tmp_path):
    """ADaM DTYPE = LOCF records were windowed like observed ones: without a study day they were the analysed
    record of the visit they fill, and their items made an occasion score (the plan analyses observed values;
    MMRM under MAR, no imputation). With the days they collided with their source as 'an item recorded twice'."""
    data = base(locf=True, attend_prob=0.6, day_source="adt")
    adqs = data.datasets["adqs"].drop(columns=["ADT"])   # no study day: records go by their collected visit
    data.datasets["adqs"] = adqs
    n_locf = int((adqs["DTYPE"] == "LOCF").sum())
    assert n_locf > 0
    eff = context(data, tmp_path).derived["adeff"]
    locf = eff[eff["DTYPE"].eq("LOCF")]
    assert len(locf) == n_locf
    assert locf["ANL01FL"].eq("N").all() and locf["ANLREAS"].str.startswith("derived record (DTYPE").all()
    observed = adqs[adqs["DTYPE"].isna()]
    basdai = eff[eff["PARAMCD"].eq("BASDAI") & eff["ANL01FL"].eq("Y")]
    assert set(zip(basdai["USUBJID"], basdai["AVISITN"])) <= set(zip(observed["USUBJID"], observed["AVISITN"]))
