"""Readers: format dispatch, cleaning conventions, encodings, provenance, folder/list/mapping sources."""
from __future__ import annotations

import datetime as dt
import hashlib

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sap.data import (DataReadError, read_data_folder, read_dataset, read_dataset_with_info,
                      sha256_file)


def _raw_frame() -> pd.DataFrame:
    """A small ADaM-like frame with the traps: padded text, '.' and '' as missing, dates, NaN."""
    return pd.DataFrame({
        "USUBJID": ["S-001", "S-002", "S-003", "S-004"],
        "AVISIT": ["  Baseline", "    Week 2", "          .", "Week 12  "],
        "AVISITN": [0.0, 2.0, np.nan, 12.0],
        "AVAL": [1.5, np.nan, 3.0, 10.0],
        "SAFFL": ["Y", "", "N", "Y"],
        "TRTSDT": [dt.date(2020, 1, 2), None, dt.date(2021, 3, 4), dt.date(2021, 12, 31)],
    })


def _expected() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S-001", "S-002", "S-003", "S-004"],
        "AVISIT": ["Baseline", "Week 2", np.nan, "Week 12"],
        "AVISITN": [0.0, 2.0, np.nan, 12.0],
        "AVAL": [1.5, np.nan, 3.0, 10.0],
        "SAFFL": ["Y", np.nan, "N", "Y"],
        "TRTSDT": pd.to_datetime(["2020-01-02", None, "2021-03-04", "2021-12-31"]).astype("datetime64[ns]"),
    })


def _write(frame: pd.DataFrame, path, fmt: str) -> None:
    if fmt == "xpt5":  # SAS transport version 5, the FDA submission format
        pyreadstat.write_xport(frame, str(path), table_name="ADQS", file_format_version=5,
                               column_labels={"USUBJID": "Unique Subject Identifier"})
    elif fmt == "csv":
        frame.to_csv(path, index=False)
    elif fmt == "parquet":
        frame.to_parquet(path, index=False)
    else:
        pyreadstat.write_xport(frame, str(path), table_name="ADQS",
                               column_labels={"USUBJID": "Unique Subject Identifier"})


@pytest.mark.parametrize("fmt", ["csv", "parquet", "xpt", "xpt5"])
def test_round_trip(tmp_path, fmt):
    path = tmp_path / f"adqs.{fmt[:3] if fmt.startswith('xpt') else fmt}"
    _write(_raw_frame(), path, fmt)
    frame, info = read_dataset_with_info(path)
    pd.testing.assert_frame_equal(frame, _expected(), check_dtype=True)
    assert info.rows == 4 and info.columns == tuple(_expected().columns)
    assert info.date_columns == ("TRTSDT",)
    assert info.encoding == "utf-8" and info.format == path.suffix[1:] and info.dataset == "adqs"
    assert info.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    if fmt.startswith("xpt"):
        assert info.column_labels["USUBJID"] == "Unique Subject Identifier"


def test_extension_is_case_insensitive_and_names_upper_cased(tmp_path):
    path = tmp_path / "ADSL.CSV"
    pd.DataFrame({"usubjid": ["A"], "Age": [40]}).to_csv(path, index=False)
    frame, info = read_dataset_with_info(path)
    assert list(frame.columns) == ["USUBJID", "AGE"] and info.dataset == "adsl"
    assert frame["AGE"].dtype == np.float64


def test_csv_types_identifiers_leading_zeros_na_tokens_and_dates(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_text("USUBJID,SITEID,SUBJNO,AGE,BMI,NOTE,TRTSDT,RESCDT,ADTM\n"
                    "101,701,007,54,NA,NA,2020-01-02,02JAN2020,2020-01-02T10:30:00\n"
                    "102,702,008,.,21.5,ok,,,\n", encoding="utf-8")
    frame = read_dataset(path)
    assert frame["USUBJID"].tolist() == ["101", "102"]            # *ID stays character
    assert frame["SITEID"].tolist() == ["701", "702"]
    assert frame["SUBJNO"].tolist() == ["007", "008"]             # leading zeros kept
    assert frame["AGE"].dtype == np.float64 and np.isnan(frame["AGE"][1])
    assert frame["BMI"].dtype == np.float64 and np.isnan(frame["BMI"][0])  # R's NA in a numeric column
    assert frame["NOTE"].tolist() == ["NA", "ok"]                 # but text "NA" stays text
    assert frame["TRTSDT"].tolist()[0] == pd.Timestamp("2020-01-02") and pd.isna(frame["TRTSDT"][1])
    assert frame["RESCDT"].tolist()[0] == pd.Timestamp("2020-01-02")  # SAS DATE9 text
    assert frame["ADTM"].tolist()[0] == pd.Timestamp("2020-01-02 10:30")


def test_csv_windows_1252_and_latin1_fallback(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes("USUBJID,AETERM\nS1,Don\u2019t know\n".encode("windows-1252"))
    frame, info = read_dataset_with_info(path)
    assert info.encoding == "windows-1252" and frame["AETERM"][0] == "Don\u2019t know"
    path.write_bytes(b"USUBJID,AETERM\nS1,a\x81b\n")  # 0x81 is undefined in windows-1252
    frame, info = read_dataset_with_info(path)
    assert info.encoding == "latin1" and frame["AETERM"][0] == "a\x81b"


def _patched_xpt(tmp_path, byte: bytes):
    """An xpt whose text holds one non-UTF-8 byte (patched into a file pyreadstat wrote)."""
    clean = tmp_path / "clean.xpt"
    pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S1"], "AETERM": ["DonXt"]}), str(clean))
    data = clean.read_bytes()
    at = data.index(b"DonXt") + 3
    path = tmp_path / "adae.xpt"
    path.write_bytes(data[:at] + byte + data[at + 1:])
    return path


def test_xpt_windows_1252_fallback(tmp_path):
    path = _patched_xpt(tmp_path, b"\x92")
    with pytest.raises(Exception):
        pyreadstat.read_xport(str(path), encoding="utf-8")  # the trap the fallback handles
    frame, info = read_dataset_with_info(path)
    assert info.encoding == "windows-1252" and frame["AETERM"][0] == "Don\u2019t"


def test_xpt_latin1_fallback(tmp_path):
    frame, info = read_dataset_with_info(_patched_xpt(tmp_path, b"\x81"))
    assert info.encoding == "latin1" and frame["AETERM"][0] == "Don\x81t"


def test_sas7bdat_dispatch_uses_declared_encoding_then_falls_back(tmp_path, monkeypatch):
    """No sas7bdat writer exists in Python; the dispatch and fallback are checked with a stand-in
    for pyreadstat.read_sas7bdat (the real reader is pyreadstat's, tested upstream)."""
    path = tmp_path / "ADSL.sas7bdat"
    path.write_bytes(b"not really sas")
    calls = []

    class Meta:
        column_names_to_labels = {"usubjid": "Unique Subject Identifier"}
        file_label = "Subject-Level Analysis Dataset"
        file_encoding = "WINDOWS-1252"

    def fake(filename, dates_as_pandas_datetime, encoding):
        calls.append(encoding)
        if encoding is None:
            raise pyreadstat.ReadstatError("Unable to convert string to the requested encoding")
        return pd.DataFrame({"usubjid": [" S1 "], "trtsdt": [pd.Timestamp("2020-01-02")]}), Meta()

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", fake)
    frame, info = read_dataset_with_info(path)
    assert calls == [None, "utf-8"] and info.encoding == "utf-8" and info.format == "sas7bdat"
    assert frame["USUBJID"][0] == "S1" and info.column_labels == {"USUBJID": "Unique Subject Identifier"}
    assert info.file_label == "Subject-Level Analysis Dataset" and info.date_columns == ("TRTSDT",)


def test_sha256_file_known_value(tmp_path):
    path = tmp_path / "x.bin"
    path.write_bytes(b"abc")
    # FIPS 180-2 appendix B.1 test vector for "abc"
    assert sha256_file(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_unsupported_missing_and_colliding(tmp_path):
    with pytest.raises(DataReadError, match="unsupported file type '.sav'"):
        read_dataset(tmp_path / "adsl.sav")
    with pytest.raises(DataReadError, match="no such file"):
        read_dataset(tmp_path / "adsl.csv")
    path = tmp_path / "adsl.csv"
    path.write_text("AGE,age\n1,2\n")
    with pytest.raises(DataReadError, match="'AGE' and 'age'"):
        read_dataset(path)


def _folder(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    pd.DataFrame({"USUBJID": ["S1", "S2"]}).to_csv(folder / "adsl.csv", index=False)
    pd.DataFrame({"USUBJID": ["S1"], "PARAMCD": ["BASDAI1"], "AVAL": [3.0]}).to_parquet(folder / "ADQS.parquet")
    (folder / "define.xml").write_text("<xml/>")
    return folder


def test_read_data_folder(tmp_path):
    loaded = read_data_folder(_folder(tmp_path))
    assert sorted(loaded.datasets) == ["adqs", "adsl"] and loaded.ignored == ("define.xml",)
    assert loaded.files["adsl"].rows == 2 and loaded.files["adqs"].format == "parquet"
    assert "folder" in loaded.source_description
    assert loaded.manifest()["adsl"]["sha256"] == sha256_file(tmp_path / "data" / "adsl.csv")
    only = read_data_folder(tmp_path / "data", datasets=["ADSL", "adlb"])
    assert list(only.datasets) == ["adsl"]


def test_same_dataset_in_two_formats_is_an_error(tmp_path):
    folder = _folder(tmp_path)
    pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S1"]}), str(folder / "adsl.xpt"))
    with pytest.raises(DataReadError, match=r"adsl: adsl\.csv, adsl\.xpt"):
        read_data_folder(folder)


def test_read_list_and_mapping(tmp_path):
    folder = _folder(tmp_path)
    loaded = read_data_folder([folder / "adsl.csv", folder / "ADQS.parquet"])
    assert sorted(loaded.datasets) == ["adqs", "adsl"]
    loaded = read_data_folder({"ADSL": folder / "adsl.csv", "adqs": folder / "ADQS.parquet"})
    assert sorted(loaded.datasets) == ["adqs", "adsl"]
    with pytest.raises(DataReadError, match="given twice"):
        read_data_folder([folder / "adsl.csv", tmp_path / "other" / "ADSL.xpt"])
    with pytest.raises(DataReadError, match="given twice"):
        read_data_folder({"adsl": folder / "adsl.csv", "ADSL": folder / "adsl.csv"})
    with pytest.raises(DataReadError, match="not a folder"):
        read_data_folder(tmp_path / "nowhere")


def test_xpt_with_two_datasets_is_refused(tmp_path):
    """pyreadstat silently misreads a multi-dataset transport file (v5: header records come back
    as rows; v8: first member only); refusing keeps data from being dropped or invented."""
    for version, member in ((5, b"HEADER RECORD*******MEMBER "), (8, b"HEADER RECORD*******MEMBV8 ")):
        first, second = tmp_path / "a.xpt", tmp_path / "b.xpt"
        pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S1"]}), str(first), table_name="ADSL",
                               file_format_version=version)
        pyreadstat.write_xport(pd.DataFrame({"USUBJID": ["S2"]}), str(second), table_name="ADAE",
                               file_format_version=version)
        tail = second.read_bytes()
        both = tmp_path / "adsl.xpt"
        both.write_bytes(first.read_bytes() + tail[tail.index(member):])
        misread = pyreadstat.read_xport(str(both))[0]  # no error: the silent loss guarded against
        assert misread["USUBJID"].tolist() != ["S1", "S2"]
        with pytest.raises(DataReadError, match="holds 2 datasets"):
            read_dataset(both)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.text(alphabet=" .abcXYZ-\u00e9", max_size=8), min_size=1, max_size=6))
def test_text_cleaning_property(tmp_path_factory, values):
    """Any text value comes back stripped; blanks-only and a lone '.' come back missing (csv and xpt)."""
    folder = tmp_path_factory.mktemp("prop")
    frame = pd.DataFrame({"USUBJID": [f"S{i}" for i in range(len(values))], "TXT": values})
    expected = [np.nan if v.strip() in ("", ".") else v.strip() for v in values]
    for fmt in ("csv", "xpt"):
        path = folder / f"x.{fmt}"
        _write(frame, path, fmt)
        got = read_dataset(path)["TXT"].tolist()
        assert len(got) == len(values)
        for g, e in zip(got, expected):
            assert (pd.isna(g) and pd.isna(e)) or g == e, (fmt, values, got)
