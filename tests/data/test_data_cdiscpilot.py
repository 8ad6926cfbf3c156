"""Real data: the CDISC/PHUSE pilot ADaM files (CDISCPILOT01) load through the readers and pass the
contract. References: ../shared/data/cdiscpilot01/README.md (row counts, published counts) and
inventory.json (SHA-256 of the bytes), both written by others from the original files; exact equality."""
from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from sap.data import (DataRequirements, UniqueKey, VisitSchedule, check_contract,
                      default_requirements_for_contract, find_contract_problems, read_data_folder,
                      read_dataset_with_info)

ROWS = {"adsl": 254, "adae": 1191, "adtte": 254, "adqsadas": 12463}


@pytest.fixture(scope="module")
def pilot(cdiscpilot_dir):
    source = {name: cdiscpilot_dir / ("adam_converted" if name == "adqsadas" else "adam") / f"{name}.xpt"
              for name in ROWS}
    return read_data_folder(source)


def _inventory(cdiscpilot_dir) -> dict[str, dict]:
    entries = json.loads((cdiscpilot_dir / "inventory.json").read_text())
    return {e["file"]: e for e in entries}


def test_row_counts_hashes_and_labels(pilot, cdiscpilot_dir):
    inventory = _inventory(cdiscpilot_dir)
    for name, rows in ROWS.items():
        info = pilot.files[name]
        folder = "adam_converted" if name == "adqsadas" else "adam"
        entry = inventory[f"{folder}/{name}.xpt"]
        assert len(pilot.datasets[name]) == rows == info.rows == entry["rows"]
        assert info.sha256 == entry["sha256"] and info.n_bytes == entry["bytes"]
        assert list(info.columns) == entry["columns"]
        assert info.encoding == "utf-8"
        assert info.column_labels["USUBJID"] == "Unique Subject Identifier"
    assert pilot.files["adqsadas"].file_label == "ADAS-Cog Analysis"
    assert "adam_converted" in pilot.source_description and "/adam/" in pilot.source_description


def test_dates_are_datetimes(pilot):
    adsl, adtte = pilot.datasets["adsl"], pilot.datasets["adtte"]
    for column in ("TRTSDT", "TRTEDT", "DISONSDT", "VISIT1DT", "RFENDT"):
        assert pd.api.types.is_datetime64_any_dtype(adsl[column]), column
    assert pilot.files["adae"].date_columns == ("TRTSDT", "TRTEDT", "ASTDT", "AENDT")
    # README: ADTTE AVAL = ADT - STARTDT + 1 (days); holds for every record only if dates are right
    days = (adtte["ADT"] - adtte["STARTDT"]).dt.days + 1
    assert (days == adtte["AVAL"]).all()
    assert adsl["AGE"].dtype == np.float64 and adsl["TRT01PN"].dtype == np.float64


def test_strings_stripped_and_blank_is_missing(pilot):
    for name, frame in pilot.datasets.items():
        for column in frame.columns:
            values = frame[column].dropna()
            if frame[column].dtype == object:
                assert not values.map(lambda v: v != v.strip() or v in ("", ".")).any(), (name, column)
    adqs = pilot.datasets["adqsadas"]
    assert set(adqs["AVISIT"]) == {"Baseline", "Week 8", "Week 16", "Week 24"}
    assert (adqs["DTYPE"] == "LOCF").sum() == 241 and adqs["DTYPE"].isna().sum() == 12463 - 241


def test_published_counts_survive_reading(pilot):
    """README counts: arms 86/84/84; SAFFL=ITTFL=Y for 254; TRTEMFL Y 1126; AESER Y 3;
    AESEV 770/378/43; ADTTE events 29/62/61."""
    adsl, adae, adtte = pilot.datasets["adsl"], pilot.datasets["adae"], pilot.datasets["adtte"]
    assert adsl["TRT01P"].value_counts().to_dict() == {
        "Placebo": 86, "Xanomeline High Dose": 84, "Xanomeline Low Dose": 84}
    assert (adsl["SAFFL"] == "Y").sum() == 254 and (adsl["ITTFL"] == "Y").sum() == 254
    assert (adae["TRTEMFL"] == "Y").sum() == 1126 and (adae["TRTEMFL"] == "N").sum() == 65
    assert (adae["AESER"] == "Y").sum() == 3
    assert adae["AESEV"].value_counts().to_dict() == {"MILD": 770, "MODERATE": 378, "SEVERE": 43}
    events = adtte[adtte["CNSR"] == 0].groupby("TRTAN").size().to_dict()
    assert events == {0.0: 29, 54.0: 62, 81.0: 61}


def test_list_of_files_and_folder(cdiscpilot_dir):
    files = [cdiscpilot_dir / "adam" / "adsl.xpt", cdiscpilot_dir / "adam_converted" / "adqsadas.xpt"]
    loaded = read_data_folder(files)
    assert {n: len(f) for n, f in loaded.datasets.items()} == {"adsl": 254, "adqsadas": 12463}
    folder = read_data_folder(cdiscpilot_dir / "adam", datasets=["adsl", "adtte"])
    assert sorted(folder.datasets) == ["adsl", "adtte"] and "define.xml" in folder.ignored


def test_adlbc_right_justified_visits(cdiscpilot_dir):
    """README trap: ADLBC AVISIT is right-justified ('        Baseline') and '               .'
    stands for no visit (1,482 records, all with AVISITN missing)."""
    adlb, info = read_dataset_with_info(cdiscpilot_dir / "adam_converted" / "adlbc.xpt")
    assert info.rows == 74264
    counts = adlb["AVISIT"].value_counts(dropna=False)
    assert counts["Baseline"] == 9054 and counts["Week 2"] == 8694 and counts["End of Treatment"] == 8856
    assert adlb["AVISIT"].isna().sum() == 1482
    assert adlb.loc[adlb["AVISIT"].isna(), "AVISITN"].isna().all()


def _pilot_requirements(schedule: VisitSchedule | None = None) -> DataRequirements:
    """The DESIGN.md defaults adapted to the pilot: ADQSADAS plays ADQS; the pilot's ADAE has no
    CTCAE grade or DLT flag."""
    base = default_requirements_for_contract(("adsl", "adqs", "adae")).with_optional("adae", "AETOXGR", "DLTFL")
    plan = DataRequirements(visit_schedules=(schedule,) if schedule else ())
    return base.merge(plan)


def test_pilot_passes_the_contract(pilot):
    data = {"adsl": pilot.datasets["adsl"], "adqs": pilot.datasets["adqsadas"], "adae": pilot.datasets["adae"]}
    # the sponsor's own analysis windows, read from the data (AWLO/AWHI, AWTARGET by AVISITN)
    adqs = pilot.datasets["adqsadas"]
    windows = (adqs.groupby("AVISITN")[["AVISIT", "AWTARGET", "AWLO", "AWHI"]].first().reset_index())
    table = [(r.AVISITN, r.AVISIT, r.AWTARGET, None if pd.isna(r.AWLO) else r.AWLO,
              None if pd.isna(r.AWHI) else r.AWHI) for r in windows.itertuples()]
    assert table == [(0.0, "Baseline", 1.0, None, 1.0), (8.0, "Week 8", 56.0, 2.0, 84.0),
                     (16.0, "Week 16", 112.0, 85.0, 140.0), (24.0, "Week 24", 168.0, 141.0, None)]
    schedule = VisitSchedule.from_table(["adqs"], table, label_column="AVISIT")
    check_contract(data, _pilot_requirements(schedule))


def test_pilot_contract_catches_locf_days_and_key_without_flag(pilot):
    """LOCF records carry their source record's ADY, so without skip_derived they fall outside
    their visit windows; and without the ANL01FL restriction the ADQSADAS key is not unique."""
    data = {"adsl": pilot.datasets["adsl"], "adqs": pilot.datasets["adqsadas"], "adae": pilot.datasets["adae"]}
    table = [(0, "Baseline", 1, None, 1), (8, "Week 8", 56, 2, 84), (16, "Week 16", 112, 85, 140),
             (24, "Week 24", 168, 141, None)]
    strict = VisitSchedule.from_table(["adqs"], table, skip_derived=False)
    req = _pilot_requirements(strict).merge(DataRequirements(
        unique_keys=(UniqueKey("adqs", ("USUBJID", "PARAMCD", "AVISITN")),)))
    problems = {p.rule: p for p in find_contract_problems(data, req)}
    assert set(problems) == {"outside_window", "duplicated"}
    locf = pilot.datasets["adqsadas"]["DTYPE"] == "LOCF"
    outside_rows = np.array(problems["outside_window"].rows) - 1
    assert locf.iloc[outside_rows].all()
    assert problems["duplicated"].n_rows == 720
