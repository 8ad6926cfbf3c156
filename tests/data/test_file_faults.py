"""Faults of data files (issue 15): each is read correctly or refused with one problem naming file, column and rows.

Reader level: text encodings (pure latin-1, UTF-8 with a BOM, UTF-8 with one stray byte), delimiters, file names,
datasets the plan does not use, infinite numbers, bad dates. Command level (``sap.run`` on damaged copies of the
frozen cg-bm1 data): exit 2, one ``error:`` line naming the file, column and record, and no ``--out``. Records are
numbered as :class:`sap.data.errors.Problem` documents: row 1 is the first data row (line 2 of a CSV).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from sap.data import DataContractError, DataReadError, read_data_folder, read_dataset, read_dataset_with_info

REPO = Path(__file__).resolve().parents[2]
FROZEN = REPO / "synthetic_data" / "frozen" / "cg-bm1"

HEADER = "STUDYID,USUBJID,AETERM,AETOXGR\n"
ROWS = ["S,S-1,C\u00e9phal\u00e9e,1\n", "S,S-2,Nausea,2\n", "S,S-3,Fi\u00e8vre,1\n", "S,S-4,Rash,1\n"]


# --------------------------------------------------------------------------------------------- encodings

def test_pure_latin1_file_is_read_as_latin1_throughout(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes((HEADER + "".join(ROWS)).encode("latin-1"))
    frame, info = read_dataset_with_info(path)
    assert frame["AETERM"].tolist() == ["C\u00e9phal\u00e9e", "Nausea", "Fi\u00e8vre", "Rash"]
    assert info.encoding == "windows-1252"


def test_utf8_file_with_one_stray_latin1_byte_names_its_record_and_column(tmp_path):
    """The finding: one latin-1 byte turned the whole UTF-8 file into mojibake ('CÃ©phalÃ©e'), exit 0."""
    path = tmp_path / "adae.csv"
    data = (HEADER + "".join(ROWS[:2])).encode("utf-8") + ROWS[2].encode("latin-1") + ROWS[3].encode("utf-8")
    path.write_bytes(data)
    with pytest.raises(DataReadError) as caught:
        read_dataset(path)
    message = str(caught.value)
    assert message.startswith("adae.csv: ")
    assert "row 3, column AETERM" in message and "0xe8" in message
    assert "UTF-8" in message and "\n" not in message
    assert "row 1" in message  # where the file is UTF-8, so the user sees both encodings


def test_stray_byte_rows_are_all_counted(tmp_path):
    path = tmp_path / "adae.csv"
    rows = [f"S,S-{i},Fi\u00e8vre,1\n".encode("latin-1" if i % 2 else "utf-8") for i in range(1, 15)]
    path.write_bytes(HEADER.encode() + b"".join(rows))
    with pytest.raises(DataReadError, match=r"rows 1, 3, 5, 7, 9 and 2 more"):
        read_dataset(path)


def test_stray_byte_in_the_header_is_named(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes("USUBJID,T\u00c9RM\n".encode("latin-1") + "S-1,C\u00e9phal\u00e9e\n".encode("utf-8"))
    with pytest.raises(DataReadError, match=r"adae\.csv: .*header"):
        read_dataset(path)


def test_utf8_with_bom_is_read_as_utf8(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes(b"\xef\xbb\xbf" + (HEADER + "".join(ROWS)).encode("utf-8"))
    frame, info = read_dataset_with_info(path)
    assert list(frame.columns) == ["STUDYID", "USUBJID", "AETERM", "AETOXGR"]  # no '\ufeffSTUDYID'
    assert frame["AETERM"][0] == "C\u00e9phal\u00e9e" and info.encoding == "utf-8"


def test_bom_file_with_a_stray_byte_is_refused(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes(b"\xef\xbb\xbf" + HEADER.encode() + ROWS[2].encode("latin-1"))
    with pytest.raises(DataReadError, match=r"adae\.csv: .*row 1, column AETERM"):
        read_dataset(path)


def test_a_single_byte_encoding_is_a_note_of_the_run(tmp_path):
    (tmp_path / "adae.csv").write_bytes((HEADER + "".join(ROWS)).encode("latin-1"))
    (tmp_path / "adsl.csv").write_text("STUDYID,USUBJID\nS,S-1\n", encoding="utf-8")
    notes = read_data_folder(tmp_path).notes()
    assert any("adae.csv" in n and "windows-1252" in n for n in notes), notes
    assert not any("adsl.csv" in n for n in notes)


# -------------------------------------------------------------------------------------------- delimiters

@pytest.mark.parametrize("sep, name", [(";", "semicolon"), ("\t", "tab"), ("|", "pipe")])
def test_other_delimiters_are_named(tmp_path, sep, name):
    """The finding: a semicolon file reported 13 missing columns with no hint about the delimiter."""
    path = tmp_path / "adsl.csv"
    path.write_text(f"STUDYID{sep}USUBJID{sep}AGE\nS{sep}S-1{sep}40,5\n", encoding="utf-8")
    with pytest.raises(DataReadError, match=rf"^adsl\.csv: .*looks {name}-delimited"):
        read_dataset(path)


def test_a_comma_file_with_semicolons_in_values_is_read(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_text('USUBJID,AETERM\nS-1,"headache; nausea"\n', encoding="utf-8")
    assert read_dataset(path)["AETERM"].tolist() == ["headache; nausea"]


def test_a_column_named_twice_is_refused(tmp_path):
    """pandas renamed the second AVAL to 'AVAL.1' and the run went on."""
    path = tmp_path / "adqs.csv"
    path.write_text("USUBJID,AVAL,PARAMCD, AVAL\nS-1,1,X,2\n", encoding="utf-8")
    with pytest.raises(DataReadError, match=r"^adqs\.csv: .*more than once: AVAL \(fields 2, 4\)"):
        read_dataset(path)


def test_windows_line_endings_are_read(tmp_path):
    path = tmp_path / "adqs.csv"
    path.write_bytes(b"USUBJID,AVAL\r\nS-1,1\r\nS-2,2\r\n")
    assert read_dataset(path)["AVAL"].tolist() == [1.0, 2.0]


@pytest.mark.parametrize("raw, what", [
    ("USUBJID,AVAL\nS-1,1\n".encode("utf-16"), "UTF-16"),
    (b"PK\x03\x04\x14\x00\x06\x00[Content_Types].xml\x00\x00", "Excel workbook"),
    (b"USUBJID,AVAL\nS-1,\x00\x00\n", "not a text file"),
], ids=["utf-16", "xlsx", "nul"])
def test_files_that_are_not_8_bit_text_are_named(tmp_path, raw, what):
    """A workbook renamed .csv was read as one column named 'PK\\x03\\x04' with no rows."""
    path = tmp_path / "adsl.csv"
    path.write_bytes(raw)
    with pytest.raises(DataReadError, match=rf"^adsl\.csv: is .*{what}"):
        read_dataset(path)


# ----------------------------------------------------------------------------------------- file names

def test_upper_case_file_names_read_as_the_lower_case_ones(tmp_path):
    lower, upper = tmp_path / "lower", tmp_path / "upper"
    lower.mkdir(), upper.mkdir()
    for src in FROZEN.glob("*.csv"):
        shutil.copy(src, lower / src.name)
        shutil.copy(src, upper / src.name.upper())
    a, b = read_data_folder(lower), read_data_folder(upper)
    assert sorted(a.datasets) == sorted(b.datasets) == ["adae", "adex", "adlb", "adqs", "adsl"]
    for name in a.datasets:
        pd.testing.assert_frame_equal(a.datasets[name], b.datasets[name])


def test_two_files_for_one_dataset_name_both(tmp_path):
    frame = pd.DataFrame({"USUBJID": ["S-1"], "AGE": [40.0]})
    frame.to_csv(tmp_path / "adsl.csv", index=False)
    pyreadstat.write_xport(frame, str(tmp_path / "ADSL.XPT"))
    with pytest.raises(DataReadError, match=r"adsl: ADSL\.XPT, adsl\.csv"):
        read_data_folder(tmp_path)


def test_datasets_not_asked_for_are_listed_not_read(tmp_path):
    (tmp_path / "adsl.csv").write_text("USUBJID\nS-1\n", encoding="utf-8")
    (tmp_path / "adxyz.csv").write_text("not,a\nreadable\ncsv,file,at,all\n", encoding="utf-8")  # never opened
    (tmp_path / "define.xml").write_text("<x/>", encoding="utf-8")
    loaded = read_data_folder(tmp_path, datasets=["adsl", "adae"])
    assert sorted(loaded.datasets) == ["adsl"] and "adxyz" not in loaded.files
    assert loaded.not_read == ("adxyz.csv",) and loaded.ignored == ("define.xml",)
    assert any("adxyz.csv" in n and "not read" in n for n in loaded.notes())


def test_the_pipeline_reads_only_the_plans_datasets(tmp_path):
    from sap.pipeline import load_data
    from sap.spec import load_plan

    for src in FROZEN.glob("*.csv"):
        shutil.copy(src, tmp_path / src.name)
    (tmp_path / "adxyz.csv").write_text("not,a\nreadable\ncsv,file,at,all\n", encoding="utf-8")
    loaded = load_data(load_plan("cg-bm1"), tmp_path)
    assert sorted(loaded.datasets) == ["adae", "adex", "adlb", "adqs", "adsl"]
    assert loaded.not_read == ("adxyz.csv",)


# ------------------------------------------------------------------------------------- values in rows

def test_infinite_numbers_are_a_problem_naming_their_records(tmp_path):
    from sap.data.contract import find_non_finite_problems

    path = tmp_path / "adlb.csv"
    path.write_text("USUBJID,PARAMCD,AVAL\nS-1,CRP,3\nS-1,ESR,inf\nS-2,CRP,-Infinity\nS-2,ESR,4\n", encoding="utf-8")
    frame = read_dataset(path)
    problems = find_non_finite_problems({"adlb": frame})
    assert [(p.dataset, p.column, p.rows) for p in problems] == [("adlb", "AVAL", (2, 3))]
    assert "row 2 (USUBJID S-1, PARAMCD='ESR', AVAL=inf)" in problems[0].message


def test_finite_numbers_and_missing_values_are_no_problem():
    from sap.data.contract import find_non_finite_problems

    frame = pd.DataFrame({"USUBJID": ["a", "b"], "AVAL": [1.0, np.nan], "N": [1, 2]})
    assert find_non_finite_problems({"adlb": frame}) == []


def test_a_bad_date_names_its_own_record_only(tmp_path):
    """The finding: one bad TRTSDT listed rows 1, 2, 3, ... (every row) instead of the bad row."""
    from sap.data import check_contract, default_requirements_for_contract

    rows = "".join(f"S,S-{i},40,M,A,1,A,Y,{'2022-13-45' if i == 3 else f'2022-01-0{i}'}\n" for i in range(1, 6))
    path = tmp_path / "adsl.csv"
    path.write_text("STUDYID,USUBJID,AGE,SEX,TRT01P,TRT01PN,TRT01A,SAFFL,TRTSDT\n" + rows, encoding="utf-8")
    frame = read_dataset(path)
    with pytest.raises(DataContractError) as caught:
        check_contract({"adsl": frame}, default_requirements_for_contract())
    (problem,) = [p for p in caught.value.problems if p.column == "TRTSDT"]
    assert (problem.column, problem.rows) == ("TRTSDT", (3,))
    assert "TRTSDT='2022-13-45'" in problem.message


def test_dates_in_two_formats_name_the_minority(tmp_path):
    from sap.data import check_contract, default_requirements_for_contract

    dates = ["2022-01-01", "2022-01-02", "03JAN2022", "2022-01-04"]
    rows = "".join(f"S,S-{i},40,M,A,1,A,Y,{d}\n" for i, d in enumerate(dates, 1))
    path = tmp_path / "adsl.csv"
    path.write_text("STUDYID,USUBJID,AGE,SEX,TRT01P,TRT01PN,TRT01A,SAFFL,TRTSDT\n" + rows, encoding="utf-8")
    with pytest.raises(DataContractError) as caught:
        check_contract({"adsl": read_dataset(path)}, default_requirements_for_contract())
    (problem,) = [p for p in caught.value.problems if p.column == "TRTSDT"]
    assert problem.rows == (3,)


# ---------------------------------------------------------------------------------------- command line

def _damaged_copy(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    data.mkdir()
    for src in FROZEN.glob("*.csv"):
        shutil.copy(src, data / src.name)
    return data


def _run(tmp_path: Path, data: Path, capsys) -> tuple[int, str]:
    from sap.run import main

    out = tmp_path / "out"
    code = main(["--plan", "cg-bm1", "--format", "html", "--data", str(data), "--out", str(out)])
    err = capsys.readouterr().err.strip().splitlines()
    assert not out.exists() and not list(tmp_path.glob(".out.*")), "a refused run wrote something"
    assert len(err) == 1 and err[0].startswith("error: ") and "Traceback" not in err[0], err
    return code, err[0]


def _edit(path: Path, column: str, record: int, value: str) -> None:
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[record - 1, column] = value
    frame.to_csv(path, index=False)


def test_cli_crp_inf_is_exit_2_naming_the_record(tmp_path, capsys):
    """The finding: CRP = inf was exit 1, 'values outside [0, None] at positions [63]'."""
    data = _damaged_copy(tmp_path)
    lab = pd.read_csv(data / "adlb.csv", dtype=str, keep_default_na=False)
    record = int(lab.index[lab["PARAMCD"] == "CRP"][3]) + 1
    _edit(data / "adlb.csv", "AVAL", record, "inf")
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adlb.AVAL" in line and f"row {record}" in line and "positions" not in line


def test_cli_negative_crp_is_exit_2_naming_the_record(tmp_path, capsys):
    data = _damaged_copy(tmp_path)
    lab = pd.read_csv(data / "adlb.csv", dtype=str, keep_default_na=False)
    record = int(lab.index[lab["PARAMCD"] == "CRP"][5]) + 1
    _edit(data / "adlb.csv", "AVAL", record, "-2")
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adlb.AVAL" in line and "CRP" in line and f"row {record}" in line


def test_cli_bad_date_is_exit_2_naming_the_record(tmp_path, capsys):
    data = _damaged_copy(tmp_path)
    _edit(data / "adsl.csv", "TRTSDT", 8, "2022-13-45")
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adsl.TRTSDT" in line and "(row 8)" in line


def test_cli_semicolon_file_is_exit_2_naming_the_delimiter(tmp_path, capsys):
    data = _damaged_copy(tmp_path)
    frame = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    frame.to_csv(data / "adsl.csv", sep=";", index=False)
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adsl.csv" in line and "semicolon" in line


def test_cli_stray_byte_is_exit_2_naming_the_record(tmp_path, capsys):
    data = _damaged_copy(tmp_path)
    _edit(data / "adae.csv", "AETERM", 1, "C\u00e9phal\u00e9e")  # UTF-8 text in record 1 ...
    lines = (data / "adae.csv").read_bytes().split(b"\n")
    lines[5] = lines[5].replace(b",", "\u00e8,".encode("latin-1"), 1)  # ... and a latin-1 byte in record 5
    (data / "adae.csv").write_bytes(b"\n".join(lines))
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adae.csv" in line and "row 5, column STUDYID" in line and "row 1" in line


def test_cli_pure_latin1_file_is_read_and_noted(tmp_path):
    """A consistent latin-1 file is read; the run says so (here: the data-loading step the run uses)."""
    from sap.pipeline import load_data
    from sap.spec import load_plan

    data = _damaged_copy(tmp_path)
    _edit(data / "adae.csv", "AETERM", 1, "C\u00e9phal\u00e9e")
    (data / "adae.csv").write_bytes((data / "adae.csv").read_text(encoding="utf-8").encode("latin-1"))
    loaded = load_data(load_plan("cg-bm1"), data)
    assert loaded.datasets["adae"]["AETERM"][0] == "C\u00e9phal\u00e9e"
    assert loaded.files["adae"].encoding == "windows-1252"
    assert loaded.notes() == ["adae.csv is not UTF-8 text: every byte of it was read as windows-1252."]


def test_cli_two_files_for_one_dataset_is_exit_2_naming_both(tmp_path, capsys):
    data = _damaged_copy(tmp_path)
    frame = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    pyreadstat.write_xport(frame, str(data / "adsl.xpt"))
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and "adsl.csv" in line and "adsl.xpt" in line


def _xpt_cut(data: Path) -> None:
    frame = pd.read_csv(data / "adsl.csv", dtype=str, keep_default_na=False)
    (data / "adsl.csv").unlink()
    pyreadstat.write_xport(frame, str(data / "adsl.xpt"))
    raw = (data / "adsl.xpt").read_bytes()
    (data / "adsl.xpt").write_bytes(raw[: int(len(raw) * 0.6)])


def _xpt_garbage(data: Path) -> None:
    (data / "adsl.csv").unlink()
    (data / "adsl.xpt").write_bytes(b"not a transport file " * 80)


def _parquet(data: Path, damage) -> None:
    frame = pd.read_csv(data / "adlb.csv", dtype=str, keep_default_na=False)
    (data / "adlb.csv").unlink()
    frame.to_parquet(data / "adlb.parquet")
    raw = bytearray((data / "adlb.parquet").read_bytes())
    (data / "adlb.parquet").write_bytes(damage(raw))


def _flip(raw: bytearray) -> bytes:
    for k in range(100, 400):
        raw[k] ^= 0xFF
    return bytes(raw)


@pytest.mark.parametrize("damage, file", [
    (_xpt_cut, "adsl.xpt"), (_xpt_garbage, "adsl.xpt"),
    (lambda d: _parquet(d, lambda raw: bytes(raw[: len(raw) // 2])), "adlb.parquet"),
    (lambda d: _parquet(d, _flip), "adlb.parquet"),
], ids=["xpt-cut", "xpt-garbage", "parquet-cut", "parquet-damaged"])
def test_cli_truncated_or_corrupt_binary_files_are_exit_2(tmp_path, capsys, damage, file):
    data = _damaged_copy(tmp_path)
    damage(data)
    code, line = _run(tmp_path, data, capsys)
    assert code == 2 and file in line
