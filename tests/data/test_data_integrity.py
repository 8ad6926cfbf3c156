"""Completeness checks: a cut or damaged data file is refused, never read as a shorter dataset.

Each format: a valid file passes; cut versions (60% of the bytes, a non-80 boundary, an 80-byte
boundary inside the data, a CSV cut mid-row) raise DataReadError "<name>: truncated or corrupt
(<reason>)". Includes the original defect (a SAS transport file cut to 60% read as fewer
records, exit 0) on the real CDISC pilot ADQSADAS and an end-to-end ``sap.run`` on a cut file.
"""
from __future__ import annotations

import json
import re
import shutil
import struct
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from sap.data import DataReadError, read_dataset, read_dataset_with_info
from sap.data.integrity import (SAS7BDAT_MAGIC, ExpectedRows, check_csv_complete,
                                check_parquet_complete, check_sas7bdat_complete, check_xpt_complete)

REPO = Path(__file__).resolve().parents[2]
SHARED = Path("/work/shared/data/cdiscpilot01")
FROZEN = REPO / "synthetic_data" / "frozen"


def _refused(name: str, reason: str | None = None) -> str:
    """Regex for the refusal message of file ``name``, optionally with a reason fragment."""
    return rf"^{re.escape(name)}: truncated or corrupt \(" + (f".*{reason}" if reason else "")


def _cut(src: Path, dst: Path, n_bytes: int) -> Path:
    dst.write_bytes(src.read_bytes()[:n_bytes])
    return dst


def _frame(n: int = 50) -> pd.DataFrame:
    rng = np.random.default_rng(1)
    return pd.DataFrame({
        "USUBJID": [f"S-{i:04d}" for i in range(n)],
        "PARAMCD": ["ACTOT"] * n,
        "AVAL": rng.normal(20, 5, n).round(1),
        "AVISITN": np.arange(n, dtype=float),
    })


def _xpt(path: Path, frame: pd.DataFrame, version: int) -> Path:
    pyreadstat.write_xport(frame, str(path), table_name="ADQS", file_format_version=version)
    return path


def _obs_start(data: bytes) -> int:
    """Offset of the first observation byte (after the OBS/OBSV8 header record)."""
    for i in range(0, len(data), 80):
        if data[i:i + 80].startswith((b"HEADER RECORD*******OBS     ", b"HEADER RECORD*******OBSV8   ")):
            return i + 80
    raise AssertionError("no OBS header")


# ----------------------------------------------------------------------------- SAS transport
@pytest.mark.parametrize("version", [5, 8])
def test_xpt_valid_passes_and_count_matches(tmp_path, version):
    path = _xpt(tmp_path / "adqs.xpt", _frame(), version)
    assert check_xpt_complete(path) == ExpectedRows(50, 50, "observations")
    frame, info = read_dataset_with_info(path)
    assert len(frame) == info.rows == 50


@pytest.mark.parametrize("version", [5, 8])
def test_xpt_cuts_are_refused(tmp_path, version):
    src = _xpt(tmp_path / "full.xpt", _frame(), version)
    data = src.read_bytes()
    start = _obs_start(data)
    expected = check_xpt_complete(src)
    assert expected.low == 50
    cases = {
        "60pct": (int(len(data) * 0.6), "not a whole number of 80-byte records"),
        "non80": (len(data) - 37, "file length .* is not a whole number of 80-byte records"),
        "header": (8 * 80 + 80, "header incomplete"),
    }
    # An 80-byte boundary inside the data that does not fall on an observation boundary.
    for k in range(1, (len(data) - start) // 80):
        cut = start + 80 * k
        try:
            check_xpt_complete(src, data[:cut])
        except DataReadError:
            cases["80-boundary"] = (cut, "last observation incomplete")
            break
    assert "80-boundary" in cases
    for label, (n_bytes, reason) in cases.items():
        if n_bytes % 80 == 0 and label == "60pct":
            n_bytes += 1
        path = _cut(src, tmp_path / "adqs.xpt", n_bytes)
        with pytest.raises(DataReadError, match=_refused("adqs.xpt", reason)):
            read_dataset(path)


def test_xpt_v5_cut_on_an_observation_and_record_boundary_is_undetectable(tmp_path):
    """Documented limit: v5 stores no observation count, so a cut that ends on a common multiple
    of 80 bytes and the observation length leaves a valid, shorter file (v8/v9 is caught below)."""
    frame = pd.DataFrame({"USUBJID": [f"S{i:07d}" for i in range(40)], "AVAL": np.arange(40.0)})
    src = _xpt(tmp_path / "full.xpt", frame, 5)  # 8 + 8 = 16-byte observations: 5 per record
    data = src.read_bytes()
    cut = _obs_start(data) + 80 * 3
    assert check_xpt_complete(src, data[:cut]) == ExpectedRows(15, 15, "observations")


def test_xpt_v8_declared_count_catches_the_cut_v5_cannot(tmp_path):
    frame = pd.DataFrame({"USUBJID": [f"S{i:07d}" for i in range(40)], "AVAL": np.arange(40.0)})
    src = _xpt(tmp_path / "full.xpt", frame, 8)
    data = src.read_bytes()
    assert b"OBSV8   HEADER RECORD!!!!!!!" in data and check_xpt_complete(src).low == 40
    path = _cut(src, tmp_path / "adqs.xpt", _obs_start(data) + 80 * 3)
    with pytest.raises(DataReadError,
                       match=_refused("adqs.xpt", r"header declares 40 observations, data hold 15\)$")):
        read_dataset(path)


def test_xpt_v8_count_field_of_zeros_means_not_stated(tmp_path):
    src = _xpt(tmp_path / "adqs.xpt", _frame(), 8)
    data = bytearray(src.read_bytes())
    i = _obs_start(bytes(data)) - 80
    data[i + 48:i + 78] = b"0" * 30  # the layout document's template value
    src.write_bytes(bytes(data))
    assert check_xpt_complete(src).low == 50 and len(read_dataset(src)) == 50


def test_xpt_padding_must_be_blanks(tmp_path):
    src = _xpt(tmp_path / "adqs.xpt", _frame(3), 5)
    data = bytearray(src.read_bytes())
    assert data[-1:] == b" "
    data[-1:] = b"X"
    src.write_bytes(bytes(data))
    with pytest.raises(DataReadError, match=_refused("adqs.xpt", "last observation incomplete")):
        read_dataset(src)


def test_xpt_trailing_blank_observations_are_the_spec_ambiguity(tmp_path):
    """All-character data: trailing all-blank observations look like padding (TS-140); pyreadstat
    drops them, so the check accepts any count from 'without them' to 'with them'."""
    frame = pd.DataFrame({"A": ["abcdefghij"] * 3 + [""] * 9})
    src = _xpt(tmp_path / "adqs.xpt", frame, 5)
    expected = check_xpt_complete(src)
    assert expected.low == 3 and expected.high >= 12
    assert len(read_dataset(src)) == 3


def test_xpt_not_a_transport_file(tmp_path):
    path = tmp_path / "adsl.xpt"
    path.write_bytes(b" " * 800)
    with pytest.raises(DataReadError, match=_refused("adsl.xpt", "library header")):
        read_dataset(path)


def _shared_xpts() -> list[Path]:
    return sorted(SHARED.glob("*/*.xpt")) if SHARED.is_dir() else []


@pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared/data/cdiscpilot01 is not present")
@pytest.mark.parametrize("path", _shared_xpts(), ids=lambda p: p.name)
def test_xpt_real_cdiscpilot_files_pass_unchanged(path):
    inventory = {e["file"]: e for e in json.loads((SHARED / "inventory.json").read_text())}
    rows = inventory[str(path.relative_to(SHARED))]["rows"]
    assert check_xpt_complete(path) == ExpectedRows(rows, rows, "observations")


@pytest.mark.skipif(not SHARED.is_dir(), reason="/work/shared/data/cdiscpilot01 is not present")
def test_the_defect_real_adqsadas_cut_to_60_percent_is_refused(tmp_path):
    src = SHARED / "adam_converted" / "adqsadas.xpt"
    data = src.read_bytes()
    path = tmp_path / "adqsadas.xpt"
    path.write_bytes(data[:int(len(data) * 0.6)])
    with pytest.raises(DataReadError) as err:
        read_dataset(path)
    assert str(err.value).startswith("adqsadas.xpt: truncated or corrupt (")
    # ... and cut on an 80-byte record boundary in the middle of the data
    path.write_bytes(data[:len(data) // 2 // 80 * 80])
    with pytest.raises(DataReadError, match=_refused("adqsadas.xpt", "last observation incomplete")):
        read_dataset(path)


@pytest.mark.skipif(not FROZEN.is_dir(), reason="no frozen synthetic data")
def test_frozen_synthetic_xpt_files_pass():
    files = sorted(FROZEN.rglob("*.xpt"))
    if not files:
        pytest.skip("the frozen synthetic data hold no .xpt files (all csv)")
    for path in files:
        assert check_xpt_complete(path) is not None


# ----------------------------------------------------------------------------- parquet
def test_parquet_valid_passes(tmp_path):
    path = tmp_path / "adqs.parquet"
    _frame().to_parquet(path, index=False)
    assert check_parquet_complete(path) == ExpectedRows(50, 50, "rows")
    assert len(read_dataset(path)) == 50


@pytest.mark.parametrize("how", ["60pct", "last_byte", "head", "footer"])
def test_parquet_damage_is_refused(tmp_path, how):
    src = tmp_path / "full.parquet"
    _frame().to_parquet(src, index=False)
    data = bytearray(src.read_bytes())
    reason = {"60pct": "does not end with the parquet magic", "last_byte": "does not end with",
              "head": "does not begin with", "footer": "footer does not parse"}[how]
    if how == "60pct":
        data = data[:int(len(data) * 0.6)]
    elif how == "last_byte":
        data = data[:-1]
    elif how == "head":
        data[:4] = b"XXXX"
    else:  # footer bytes garbled, magic kept
        footer_len = struct.unpack("<i", bytes(data[-8:-4]))[0]
        data[-8 - footer_len:-8] = b"\xff" * footer_len
    path = tmp_path / "adqs.parquet"
    path.write_bytes(bytes(data))
    with pytest.raises(DataReadError, match=_refused("adqs.parquet", reason)):
        read_dataset(path)


def test_parquet_rows_read_are_compared_with_the_footer(tmp_path, monkeypatch):
    path = tmp_path / "adqs.parquet"
    _frame().to_parquet(path, index=False)
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda p, *a, **k: real(p, *a, **k).iloc[:30])
    with pytest.raises(DataReadError, match=_refused("adqs.parquet", "file holds 50 rows, reader returned 30 rows")):
        read_dataset(path)


# ----------------------------------------------------------------------------- CSV
def _csv_text(n_rows: int = 60, n_cols: int = 12) -> str:
    head = ",".join(f"C{j}" for j in range(n_cols))
    rows = [",".join(f"v{i}_{j}" for j in range(n_cols)) for i in range(1, n_rows + 1)]
    return head + "\n" + "\n".join(rows) + "\n"


def test_csv_valid_passes_with_quotes_blank_lines_and_final_newline(tmp_path):
    path = tmp_path / "adsl.csv"
    path.write_text('USUBJID,AETERM,AVAL\nS1,"Headache, severe",1\n\nS2,"two\nlines ""quoted""",2\n\n\n',
                    encoding="utf-8")
    assert check_csv_complete(path) == ExpectedRows(2, 2, "records")
    frame = read_dataset(path)
    assert len(frame) == 2 and frame["AETERM"][1] == 'two\nlines "quoted"'


def test_csv_windows_1252_text_is_checked_after_decoding(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_bytes("USUBJID,AETERM\nS1,Patient\u2019s rash\n".encode("windows-1252"))
    assert len(read_dataset(path)) == 1


def test_csv_row_57_short(tmp_path):
    lines = _csv_text().splitlines(keepends=True)
    lines[57] = "v57_0,v57_1,v57_2\n"  # data row 57 (line 58) keeps 3 of its 12 fields
    path = tmp_path / "adsl.csv"
    path.write_text("".join(lines))
    with pytest.raises(DataReadError) as err:
        read_dataset(path)
    assert str(err.value) == "adsl.csv: truncated or corrupt (row 57 has 3 fields, header has 12)"


@pytest.mark.parametrize("where", ["60pct", "last_row_third_field"])
def test_csv_missing_its_tail_mid_row_is_refused(tmp_path, where):
    text = _csv_text()
    cut = int(len(text) * 0.6) if where == "60pct" else text.index("v60_2") + 2
    while text[cut - 1] in ",\n" or text[cut] in ",\n":  # make sure the cut is inside a field
        cut += 1
    path = tmp_path / "adsl.csv"
    path.write_text(text[:cut])
    with pytest.raises(DataReadError, match=_refused("adsl.csv", r"row \d+ has \d+ fields, header has 12\)$")):
        read_dataset(path)


def test_csv_lists_up_to_five_rows(tmp_path):
    lines = _csv_text().splitlines(keepends=True)
    for i in (3, 5, 7, 9, 11, 13, 15):
        lines[i] = "a,b\n"
    lines[20] = ",".join(["x"] * 13) + "\n"
    path = tmp_path / "adsl.csv"
    path.write_text("".join(lines))
    with pytest.raises(DataReadError) as err:
        read_dataset(path)
    assert str(err.value) == ("adsl.csv: truncated or corrupt (row 3 has 2 fields, row 5 has 2 fields, "
                              "row 7 has 2 fields, row 9 has 2 fields, row 11 has 2 fields, and 3 more rows, "
                              "header has 12)")


def test_csv_unterminated_quote_at_end_is_refused(tmp_path):
    path = tmp_path / "adae.csv"
    path.write_text('USUBJID,AETERM,AVAL\nS1,"Headache",1\nS2,"Nause')
    with pytest.raises(DataReadError, match=_refused("adae.csv", "quoted field is not closed")):
        read_dataset(path)


def test_csv_cut_inside_a_quoted_field_is_refused(tmp_path):
    text = 'USUBJID,AETERM,AVAL\n' + "".join(f'S{i},"term, {i}\nmore",{i}\n' for i in range(30))
    path = tmp_path / "adae.csv"
    path.write_text(text[:text.index("term, 20") + 4])
    with pytest.raises(DataReadError, match=_refused("adae.csv", "quoted field is not closed")):
        read_dataset(path)


# ----------------------------------------------------------------------------- sas7bdat
def _sas7bdat_bytes(*, u64: bool, shifted: bool, little: bool, header_length: int = 1024,
                    page_size: int = 4096, page_count: int = 3) -> bytes:
    """A byte string with a sas7bdat header laid out per the Shotwell/Cummins format document
    (no real sas7bdat file exists on this machine and no Python library writes one)."""
    head = bytearray(header_length)
    head[:32] = SAS7BDAT_MAGIC
    head[32] = 0x33 if u64 else 0x22
    head[35] = 0x33 if shifted else 0x22
    head[37] = 0x01 if little else 0x00
    head[84:92] = b"SAS FILE"
    order = "<" if little else ">"
    shift = 4 if shifted else 0
    head[196 + shift:204 + shift] = struct.pack(order + "ii", header_length, page_size)
    count = struct.pack(order + ("q" if u64 else "i"), page_count)  # 8 bytes in a u64 file
    head[204 + shift:204 + shift + len(count)] = count
    assert len(head) == header_length
    return bytes(head) + b"\x00" * (page_size * page_count)


LAYOUTS = [dict(u64=True, shifted=True, little=True), dict(u64=False, shifted=False, little=True),
           dict(u64=True, shifted=False, little=False), dict(u64=False, shifted=True, little=False)]


@pytest.mark.parametrize("layout", LAYOUTS, ids=lambda d: "-".join(k for k, v in d.items() if v) or "plain")
def test_sas7bdat_header_arithmetic(tmp_path, layout):
    path = tmp_path / "adsl.sas7bdat"
    data = _sas7bdat_bytes(**layout, page_count=5)
    path.write_bytes(data)
    check_sas7bdat_complete(path)
    for n_bytes, reason in [(int(len(data) * 0.6), f"file length {int(len(data) * 0.6)}, header declares "
                                                    f"1024 \\+ 5 pages of 4096 bytes = {len(data)}"),
                            (len(data) - 4096, "header declares"), (len(data) - 1, "header declares"),
                            (200, "shorter than the 288-byte sas7bdat header")]:
        path.write_bytes(data[:n_bytes])
        with pytest.raises(DataReadError, match=_refused("adsl.sas7bdat", reason)):
            check_sas7bdat_complete(path)
    path.write_bytes(data + b"\x00" * 4096)
    with pytest.raises(DataReadError, match=_refused("adsl.sas7bdat", "header declares")):
        check_sas7bdat_complete(path)


def test_sas7bdat_cut_file_is_refused_before_pyreadstat(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise AssertionError("pyreadstat must not be reached")

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", fail)
    path = tmp_path / "adsl.sas7bdat"
    path.write_bytes(_sas7bdat_bytes(u64=True, shifted=True, little=True)[:6000])
    with pytest.raises(DataReadError, match=_refused("adsl.sas7bdat")):
        read_dataset(path)


@pytest.mark.parametrize("number_rows, ok", [(3, True), (None, True), (7, False)])
def test_sas7bdat_meta_number_rows_is_compared(tmp_path, monkeypatch, number_rows, ok):
    class Meta:
        column_names_to_labels = {}
        file_label = None
        file_encoding = "UTF-8"

    Meta.number_rows = number_rows

    def fake(filename, dates_as_pandas_datetime, encoding):
        return pd.DataFrame({"USUBJID": ["S1", "S2", "S3"]}), Meta()

    monkeypatch.setattr(pyreadstat, "read_sas7bdat", fake)
    path = tmp_path / "adsl.sas7bdat"
    path.write_bytes(_sas7bdat_bytes(u64=False, shifted=False, little=True))
    if ok:
        assert len(read_dataset(path)) == 3
    else:
        with pytest.raises(DataReadError, match=_refused("adsl.sas7bdat", "file holds 7 rows, reader returned 3 rows")):
            read_dataset(path)


def _real_sas7bdat_files() -> list[Path]:
    roots = {Path(p) for p in sys.path if p and "site-packages" in p}
    return sorted(f for r in roots if r.is_dir() for f in r.rglob("*.sas7bdat"))[:5]


def test_sas7bdat_real_files_on_disk_pass_and_cut_is_refused(tmp_path):
    files = _real_sas7bdat_files()
    if not files:
        pytest.skip("no .sas7bdat file exists in site-packages; the header arithmetic is tested on "
                    "synthetic bytes built to the format document instead")
    for src in files:
        check_sas7bdat_complete(src)
        path = _cut(src, tmp_path / src.name, int(src.stat().st_size * 0.6))
        with pytest.raises(DataReadError, match=_refused(src.name)):
            check_sas7bdat_complete(path)


# ----------------------------------------------------------------------------- end to end
@pytest.mark.skipif(not (FROZEN / "wang2013").is_dir(), reason="frozen wang2013 data absent")
def test_cli_refuses_a_cut_file_with_exit_2_and_writes_nothing(tmp_path, capsys):
    from sap.run import main

    copy = tmp_path / "wang2013"
    shutil.copytree(FROZEN / "wang2013", copy)
    adqs = copy / "adqs.csv"
    text = adqs.read_text()
    cut = int(len(text) * 0.6)
    while text[cut - 1] in ",\n" or text[cut] in ",\n":
        cut += 1
    adqs.write_text(text[:cut])
    out = tmp_path / "out"
    code = main(["--plan", "wang2013", "--data", str(copy), "--out", str(out), "--format", "html"])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and "truncated or corrupt" in err[0]
    assert "adqs.csv: truncated or corrupt (row " in err[0]
    assert not out.exists()
    assert not list(tmp_path.glob(".out.tmp-*"))
