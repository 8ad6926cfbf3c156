"""ADEX dose units in the data contract (sap.data.exposure_units via check_contract): a dose without its unit, a
record without its product, and one product in two units are refused before any computation, naming dataset,
column and rows (1-based record numbers as in the file: record 1 is line 2 of a CSV). Expectations counted by hand
from the frames below."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from sap.data import DataContractError, check_contract, default_requirements_for_contract
from sap.run import main

FROZEN = Path(__file__).resolve().parents[2] / "synthetic_data" / "frozen" / "ucmsc-ra"


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({"STUDYID": "T", "USUBJID": ["S1", "S2"], "AGE": [40, 50], "SEX": ["F", "M"],
                         "TRT01P": "A", "TRT01PN": 1.0, "TRT01A": "A", "SAFFL": "Y", "FASFL": "Y"})


def _adex() -> pd.DataFrame:
    return pd.DataFrame({"USUBJID": ["S1", "S1", "S1", "S2", "S2", "S2"],
                         "EXSTDT": pd.to_datetime(["2024-01-01", "2024-02-01", "2024-01-01", "2024-01-02",
                                                   "2024-02-02", "2024-01-02"]),
                         "EXTRT": ["MSC", "MSC", "Etanercept", "MSC", "MSC", "Etanercept"],
                         "EXDOSE": [1.0, 1.0, 50.0, 1.0, 1.0, 50.0],
                         "EXDOSU": ["10^6 cells/kg", "10^6 cells/kg", "mg", "10^6 cells/kg", "10^6 cells/kg", "mg"]})


def _problems(adex: pd.DataFrame) -> tuple[set, str]:
    with pytest.raises(DataContractError) as info:
        check_contract({"adsl": _adsl(), "adex": adex}, default_requirements_for_contract())
    return {(p.where, p.rule, p.rows) for p in info.value.problems}, str(info.value)


def test_good_adex_passes_two_products_two_units():
    check_contract({"adsl": _adsl(), "adex": _adex()}, default_requirements_for_contract())  # no exception


def test_dose_without_unit():
    adex = _adex()
    adex.loc[[1, 4], "EXDOSU"] = [None, "  "]  # records 2 and 5; a blank is no unit
    found, text = _problems(adex)
    assert found == {("adex.EXDOSU", "dose_without_unit", (2, 5))}
    assert "adex.EXDOSU: EXDOSE is given but EXDOSU is missing" in text and "row 2 (USUBJID S1" in text


def test_missing_unit_without_a_dose_is_fine():
    adex = _adex()
    adex.loc[1, ["EXDOSE", "EXDOSU"]] = [None, None]
    check_contract({"adsl": _adsl(), "adex": adex}, default_requirements_for_contract())


def test_mixed_units_in_one_product_names_the_odd_rows():
    adex = _adex()
    adex.loc[3, "EXDOSU"] = "cells/kg"  # record 4: MSC in cells/kg beside 3 records in 10^6 cells/kg
    found, text = _problems(adex)
    assert found == {("adex.EXDOSU", "mixed_units", (4,))}
    assert "product 'MSC' has doses in 2 units (10^6 cells/kg on 3 rows, cells/kg on 1 row)" in text
    assert "rows not in 10^6 cells/kg" in text


def test_mixed_units_without_extrt_is_one_product():
    adex = _adex().drop(columns="EXTRT")  # MSC cells/kg and etanercept mg in one unnamed product
    found, text = _problems(adex)
    assert found == {("adex.EXDOSU", "mixed_units", (3, 6))}
    assert "the study treatment (no EXTRT) has doses in 2 units" in text


def test_missing_product_name():
    adex = _adex()
    adex.loc[5, "EXTRT"] = None
    found, _ = _problems(adex)
    assert found == {("adex.EXTRT", "product_missing", (6,))}


def test_run_refuses_bad_adex_with_exit_2(tmp_path, capsys):
    """As a user: the frozen ucmsc-ra data with one UC-MSC record in another unit stop the run (exit 2)."""
    data = tmp_path / "data"
    shutil.copytree(FROZEN, data)
    (data / "SHA256SUMS").unlink(missing_ok=True)
    adex = pd.read_csv(data / "adex.csv")
    first = int(adex.index[adex["EXDOSU"] == "10^6 cells"][0])
    adex.loc[first, "EXDOSU"] = "cells"
    adex.to_csv(data / "adex.csv", index=False)
    assert main(["--plan", "ucmsc-ra", "--data", str(data), "--out", str(tmp_path / "out"), "--format", "html"]) == 2
    err = capsys.readouterr().err
    assert f"adex.EXDOSU mixed units (row {first + 1})" in err
