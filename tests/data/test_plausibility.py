"""Plausible values and dates in order (issue 15: AGE 250 and CRP 1e300 were analysed as real; an exposure end
before its start gave -29 days). Each problem names dataset, column and the record (1-based, as in the file).
Ranges: sap.data.defaults (AGE 0-120, CRP 0-1000 mg/L, ESR 0-200 mm/h), replaced by a plan's data.ranges."""
from __future__ import annotations

import pandas as pd
import pytest

from sap.data import DataContractError
from sap.pipeline import build_context, load_data
from sap.requirements import requirements_for_plan
from sap.data.contract import find_contract_problems
from sap.spec import load_plan, plan_from_mapping, plan_path

import yaml

PLAN = load_plan("cg-bm1")


def _frozen(edit) -> dict[str, pd.DataFrame]:
    """The frozen cg-bm1 datasets as the readers type them, edited."""
    frames = {k: v.copy() for k, v in load_data(PLAN, None).datasets.items()}
    edit(frames)
    return frames


def _args(frames, plan=PLAN):
    return frames, requirements_for_plan(plan, frames)


def _problems(plan, frames):
    return {(p.dataset, p.column, p.rule): p for p in find_contract_problems(frames, requirements_for_plan(plan, frames))}


def test_the_frozen_data_are_plausible():
    assert _problems(PLAN, _frozen(lambda f: None)) == {}


def test_implausible_age_and_lab_values_are_named():
    def edit(f):
        f["adsl"].loc[4, "AGE"] = 250
        lb = f["adlb"]
        lb.loc[lb.index[lb["PARAMCD"] == "CRP"][2], "AVAL"] = 1e300
        lb.loc[lb.index[lb["PARAMCD"] == "ESR"][0], "AVAL"] = 250
    got = _problems(PLAN, _frozen(edit))
    age = got[("adsl", "AGE", "out_of_range")]
    assert age.rows == (5,)
    lab = [p for p in find_contract_problems(*_args(_frozen(edit))) if p.dataset == "adlb"]
    assert sorted(p.summary for p in lab) == ["out of range CRP [0, 1000]", "out of range ESR [0, 200]"]
    assert all(len(p.rows) == 1 for p in lab)


def test_a_plan_range_replaces_the_contracts():
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["data"]["ranges"] = [{"dataset": "adsl", "column": "AGE", "lo": 0, "hi": 300}]
    wide = plan_from_mapping(data, "cg-bm1 (edited)")
    def edit(f):
        f["adsl"].loc[4, "AGE"] = 250
    frames = _frozen(edit)
    assert ("adsl", "AGE", "out_of_range") in _problems(PLAN, frames)
    assert ("adsl", "AGE", "out_of_range") not in _problems(wide, frames)


def test_a_plan_range_is_validated():
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["data"]["ranges"] = [{"dataset": "adsl", "column": "AGE", "lo": 10, "hi": 5}]
    with pytest.raises(Exception, match="lo 10 is above hi 5"):
        plan_from_mapping(data, "cg-bm1 (edited)")


def test_an_end_before_its_start_is_named_with_its_record():
    def edit(f):
        adsl = f["adsl"]
        adsl.loc[2, "TRTEDT"] = adsl.loc[2, "TRTSDT"] - pd.Timedelta(days=29)
    frames = _frozen(edit)
    p = _problems(PLAN, frames)[("adsl", "TRTEDT", "date_order")]
    assert p.rows == (3,) and "TRTEDT is before TRTSDT" in p.message
    folder_frames = frames

    class Loaded:  # the shape build_context reads
        datasets = folder_frames
        source_description = "edited frozen cg-bm1"
    with pytest.raises(DataContractError, match=r"adsl\.TRTEDT before TRTSDT \(row 3\)"):
        build_context(PLAN, Loaded())
