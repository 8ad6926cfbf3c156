"""File completeness checks: a cut or damaged data file is refused, never read as a shorter dataset.

pyreadstat (ReadStat) does not verify that a SAS file is complete: an ``adqs.xpt`` cut to 60% of
its bytes was read as 4,657 of its 7,772 records without any error, and pandas' CSV reader
silently fills a row cut mid-way with missing values. So each format gets a hand-written check
(run by :func:`sap.data.readers.read_dataset_with_info` before the file is read) and, where the
file states or implies its row count, a comparison with the rows the reader returned
(:func:`check_rows_read`, run after reading). Every failure raises
:class:`~sap.data.errors.DataReadError` with the message ``"<file name>: truncated or corrupt
(<reason>)"``.

What is hand-written here, and why:

* **SAS transport (.xpt, v5 and v8/v9)** -- the 80-byte header records are parsed here (library,
  member, descriptor, NAMESTR header with the variable count, the namestr records with each
  variable's length, optional v8 label sections, the OBS header), following SAS TS-140 and the
  SAS "Version 8 or 9 transport format" record layout. ReadStat exposes none of this. Rules: the
  file length is a whole number of 80-byte records; the data after the OBS header are whole
  observations followed by fewer than 80 bytes of ASCII blanks (TS-140 padding); a v8/v9 OBSV8
  header that carries an observation count must agree with the observations in the data.
  TS-140 ambiguity: when every variable is character, trailing all-blank observations look like
  padding. ReadStat drops *all* trailing all-blank observations, so for a v5 file any count
  between "whole observations without the trailing blank ones" and "all whole observations" is
  accepted after reading. Such observations have no values at all and cannot occur when the
  dataset has a numeric variable. A v5 file cut at a common multiple of 80 bytes and the
  observation length is indistinguishable from a complete shorter file (v5 stores no count).
* **sas7bdat** -- the header fields "header length", "page size" and "page count" are read here
  (offsets from M. Shotwell and C. Cummins, "SAS7BDAT Database Binary Format": byte 32 == 0x33
  marks a 64-bit (u64) file whose page count is 8 bytes; byte 35 == 0x33 shifts the fields from
  offset 164 on by 4 bytes; byte 37 gives the byte order) and the file length must equal
  ``header length + page size * page count``. After reading, ``meta.number_rows`` (from the
  file's row-size subheader) must equal the rows returned.
* **Parquet** -- the ``PAR1`` magic at both ends is checked here; the footer is parsed by
  ``pyarrow.parquet.ParquetFile(...).metadata`` and its ``num_rows`` compared after reading.
* **CSV** -- the decoded text is tokenised with :mod:`csv` (quote-aware) and every record must
  have the header's field count; blank (or whitespace-only) lines are skipped, exactly as
  pandas skips them, so a final newline or blank last line is fine. A quoted field still open
  at the end of the file is corrupt (a small hand-written quote scanner, because the ``csv``
  module in non-strict mode accepts it silently). Row numbers in messages are data records,
  1 = the first record after the header (the convention of :class:`sap.data.errors.Problem`).
  A CSV stores no row count or length, so a cut inside the *last field* of a row that ends the
  file (field count intact) cannot be told from a complete file.
"""
from __future__ import annotations

import csv
import io
import struct
from dataclasses import dataclass
from pathlib import Path

from .errors import MAX_EXAMPLE_ROWS, DataReadError

__all__ = [
    "ExpectedRows", "check_csv_complete", "check_parquet_complete", "check_rows_read",
    "check_sas7bdat_complete", "check_xpt_complete",
]

RECORD = 80


@dataclass(frozen=True)
class ExpectedRows:
    """How many rows a complete read of a file must return: any count in ``low..high``."""

    low: int
    high: int
    unit: str = "records"

    def __contains__(self, n: int) -> bool:
        return self.low <= n <= self.high

    def describe(self) -> str:
        if self.low == self.high:
            return f"{self.low} {self.unit}"
        return f"{self.low} to {self.high} {self.unit}"


def _corrupt(path: Path, reason: str) -> DataReadError:
    return DataReadError(f"{Path(path).name}: truncated or corrupt ({reason})")


def check_rows_read(path: str | Path, expected: ExpectedRows | None, rows: int) -> None:
    """After reading: the reader must have returned the row count the file holds."""
    if expected is not None and rows not in expected:
        raise _corrupt(Path(path), f"file holds {expected.describe()}, reader returned {rows} rows")


# --------------------------------------------------------------------------- SAS transport
_PREFIX = b"HEADER RECORD*******"
_SUFFIX = b"HEADER RECORD!!!!!!!"
_LIBRARY = {b"LIBRARY ": 5, b"LIBV8   ": 8}
_MEMBER = {5: b"MEMBER  ", 8: b"MEMBV8  "}
_DSCRPTR = {5: b"DSCRPTR ", 8: b"DSCPTV8 "}
_NAMESTR = {5: b"NAMESTR ", 8: b"NAMSTV8 "}
_OBS = {5: b"OBS     ", 8: b"OBSV8   "}


def _header_kind(record: bytes) -> bytes | None:
    """``b"MEMBER  "`` for ``HEADER RECORD*******MEMBER  HEADER RECORD!!!!!!!...``, else None."""
    if len(record) == RECORD and record.startswith(_PREFIX) and record[28:48] == _SUFFIX:
        return record[20:28]
    return None


def _digits(field: bytes) -> int | None:
    text = field.decode("ascii", "replace").strip()
    return int(text) if text.isdigit() else None


def check_xpt_complete(path: str | Path, data: bytes | None = None) -> ExpectedRows | None:
    """Check a SAS transport file (v5 or v8/v9) is whole; return the observation count it holds.

    ``data`` are the file's bytes when the caller has them already. Returns None for a dataset
    without variables (nothing to count).
    """
    path = Path(path)
    if data is None:
        data = path.read_bytes()
    if len(data) % RECORD:
        raise _corrupt(path, f"file length {len(data)} is not a whole number of 80-byte records")
    xpt = _XptRecords(path, data)
    version, namestr_len, n_vars = _xpt_member_header(xpt)
    obs_len, end = _xpt_observation_length(xpt, namestr_len, n_vars)
    obs_header, data_start = _xpt_obs_header(xpt, version, end)
    if obs_len == 0:
        return None
    return _xpt_observation_count(xpt, version, obs_header, data_start, obs_len)


class _XptRecords:
    """The 80-byte records of a transport file; reading past the end is a 'header incomplete' error."""

    def __init__(self, path: Path, data: bytes):
        self.path, self.data, self.size = path, data, len(data)
        self.n = self.size // RECORD

    def __call__(self, i: int) -> bytes:
        if i >= self.n:
            raise _corrupt(self.path, f"header incomplete: file ends after {self.n} records")
        return self.data[i * RECORD:(i + 1) * RECORD]


def _xpt_member_header(record: _XptRecords) -> tuple[int, int, int]:
    """(version, namestr length, number of variables) from the library, member and NAMESTR headers."""
    path = record.path
    version = _LIBRARY.get(_header_kind(record(0)) or b"")
    if version is None:
        raise _corrupt(path, "first record is not a SAS transport library header")
    if _header_kind(record(3)) != _MEMBER[version]:
        raise _corrupt(path, "record 4 is not a member header")
    namestr_len = _digits(record(3)[74:78])
    if namestr_len not in (136, 140):
        raise _corrupt(path, f"member header gives namestr length {record(3)[74:78]!r}, expected 140 or 136")
    if _header_kind(record(4)) != _DSCRPTR[version]:
        raise _corrupt(path, "record 5 is not a member descriptor header")
    record(6)  # the two member data records
    if _header_kind(record(7)) != _NAMESTR[version]:
        raise _corrupt(path, "record 8 is not a NAMESTR header")
    n_vars = _digits(record(7)[48:58])
    if n_vars is None:
        raise _corrupt(path, f"NAMESTR header has no variable count ({record(7)[48:58]!r})")
    return version, namestr_len, n_vars


def _xpt_observation_length(record: _XptRecords, namestr_len: int, n_vars: int) -> tuple[int, int]:
    """(observation length, end of the namestr records): lengths must tile the observation exactly."""
    path, data, size = record.path, record.data, record.size
    start = 8 * RECORD
    end = start + n_vars * namestr_len
    if end > size:
        raise _corrupt(path, f"header incomplete: {n_vars} namestr records need {end - start} bytes, "
                             f"file has {max(size - start, 0)}")
    obs_len = 0  # observation length: the sum of the variables' lengths
    extent = 0  # ... which must equal the end of the last variable's position
    for i in range(n_vars):
        ns = data[start + i * namestr_len:start + (i + 1) * namestr_len]
        ntype, _, nlng = struct.unpack(">hhh", ns[:6])
        (npos,) = struct.unpack(">i", ns[84:88])
        if ntype not in (1, 2) or nlng <= 0 or npos < 0:
            raise _corrupt(path, f"namestr record {i + 1} is invalid (type {ntype}, length {nlng})")
        obs_len += nlng
        extent = max(extent, npos + nlng)
    if extent != obs_len:
        raise _corrupt(path, f"namestr records give variable positions up to byte {extent}, "
                             f"lengths sum to {obs_len}")
    return obs_len, end


def _xpt_obs_header(record: _XptRecords, version: int, end: int) -> tuple[bytes, int]:
    """(OBS header record, byte offset of the first observation).

    The OBS header follows the namestr records (padded to 80 bytes); a v8/v9 file may first have
    LABELV8/LABELV9 sections for long labels, so look for it record by record.
    """
    i = -(-end // RECORD)
    while True:
        if i >= record.n:
            raise _corrupt(record.path, "no observation header record (OBS header) after the variable descriptions")
        if _header_kind(record(i)) == _OBS[version]:
            return record(i), (i + 1) * RECORD
        i += 1


def _xpt_observation_count(record: _XptRecords, version: int, obs_header: bytes, data_start: int,
                           obs_len: int) -> ExpectedRows:
    """How many observations the data part holds (a range when trailing blank ones may be padding)."""
    path, data, size = record.path, record.data, record.size
    n_data = size - data_start
    whole, rest = divmod(n_data, obs_len)
    tail = data[size - rest:]
    if rest >= RECORD or tail.strip(b" "):
        raise _corrupt(path, f"last observation incomplete: {rest} of {obs_len} bytes after "
                             f"{whole} whole observations")
    # Trailing all-blank observations cannot be told from padding (see module docstring).
    blank = b" " * obs_len
    n_blank = 0
    while n_blank < whole and data[data_start + (whole - n_blank - 1) * obs_len:
                                   data_start + (whole - n_blank) * obs_len] == blank:
        n_blank += 1
    # TS-140: padding is fewer than 80 blanks, so at least this many observations are real.
    spec_low = max(whole - n_blank, (n_data - RECORD) // obs_len + 1 if n_data >= RECORD else 0)
    if version == 8:
        declared_field = obs_header[48:78]
        declared = _digits(declared_field)
        # The layout document shows the field as zeros; SAS writes the count there. All
        # zeros (the template, also written by older ReadStat) is taken as "not stated".
        if declared is not None and declared_field.strip().strip(b"0"):
            if not spec_low <= declared <= whole:
                held = str(whole) if spec_low == whole else f"{spec_low} to {whole}"
                raise _corrupt(path, f"header declares {declared} observations, data hold {held}")
            return ExpectedRows(declared, declared, "observations")
    return ExpectedRows(whole - n_blank, whole, "observations")


# --------------------------------------------------------------------------- sas7bdat
SAS7BDAT_MAGIC = (b"\x00" * 12 + b"\xc2\xea\x81\x60\xb3\x14\x11\xcf"
                  b"\xbd\x92\x08\x00\x09\xc7\x31\x8c\x18\x1f\x10\x11")


def check_sas7bdat_complete(path: str | Path) -> None:
    """Check a sas7bdat file's length equals header length + page size x page count.

    A file that does not start with the sas7bdat magic number is not judged here: it is not a
    sas7bdat file at all, and pyreadstat refuses it with its own error (it checks the magic).
    """
    path = Path(path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(288)
    if len(head) < 32 or head[:32] != SAS7BDAT_MAGIC:
        return
    if len(head) < 288:
        raise _corrupt(path, f"file length {size} is shorter than the 288-byte sas7bdat header")
    u64 = head[32] == 0x33
    shift = 4 if head[35] == 0x33 else 0
    order = "<" if head[37] == 0x01 else ">"
    header_length, page_size = struct.unpack(order + "ii", head[196 + shift:204 + shift])
    count_len = 8 if u64 else 4
    (page_count,) = struct.unpack(order + ("q" if u64 else "i"), head[204 + shift:204 + shift + count_len])
    if header_length < 288 or page_size <= 0 or page_count < 0:
        raise _corrupt(path, f"header gives header length {header_length}, page size {page_size}, "
                             f"page count {page_count}")
    expected = header_length + page_size * page_count
    if size != expected:
        raise _corrupt(path, f"file length {size}, header declares {header_length} + {page_count} "
                             f"pages of {page_size} bytes = {expected}")


# --------------------------------------------------------------------------- parquet
def check_parquet_complete(path: str | Path) -> ExpectedRows:
    """Check a parquet file has its magic at both ends and a footer that parses; return num_rows."""
    import pyarrow.parquet as pq

    path = Path(path)
    size = path.stat().st_size
    if size < 12:
        raise _corrupt(path, f"file length {size} is too short for a parquet file")
    with path.open("rb") as fh:
        head = fh.read(4)
        fh.seek(size - 4)
        tail = fh.read(4)
    if head != b"PAR1":
        raise _corrupt(path, "does not begin with the parquet magic PAR1")
    if tail != b"PAR1":
        raise _corrupt(path, "does not end with the parquet magic PAR1: footer missing")
    try:
        meta = pq.ParquetFile(path).metadata
    except Exception as exc:  # pyarrow raises several unrelated types
        raise _corrupt(path, f"footer does not parse: {exc}") from exc
    in_groups = sum(meta.row_group(i).num_rows for i in range(meta.num_row_groups))
    if in_groups != meta.num_rows:
        raise _corrupt(path, f"footer declares {meta.num_rows} rows, row groups hold {in_groups}")
    return ExpectedRows(meta.num_rows, meta.num_rows, "rows")


# --------------------------------------------------------------------------- CSV
def _open_quote_at_end(text: str, delimiter: str = ",", quote: str = '"') -> bool:
    """True when a quoted field is still open at the end (csv-module rules, doubled quotes)."""
    if quote not in text:
        return False
    state = "start"  # start of field | unquoted | quoted | quote seen inside quoted
    for ch in text:
        if state == "quoted":
            if ch == quote:
                state = "quote_in_quoted"
        elif state == "quote_in_quoted":
            if ch == quote:
                state = "quoted"  # doubled quote: a literal quote
            elif ch in (delimiter, "\n", "\r"):
                state = "start"
            else:
                state = "unquoted"
        elif ch == quote and state == "start":
            state = "quoted"
        elif ch in (delimiter, "\n", "\r"):
            state = "start"
        else:
            state = "unquoted"
    return state == "quoted"


def check_csv_complete(path: str | Path, text: str | None = None) -> ExpectedRows | None:
    """Check every record of a CSV has the header's field count; return the record count.

    ``text`` is the decoded file content (read as UTF-8 when not given). Returns None for an
    empty file (the reader reports that itself).
    """
    path = Path(path)
    if text is None:
        text = path.read_bytes().decode("utf-8-sig")
    if _open_quote_at_end(text):
        raise _corrupt(path, "a quoted field is not closed at the end of the file")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = None
    bad: list[tuple[int, int]] = []
    n_bad = 0
    n = 0
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue  # blank line: pandas skips it too
        if header is None:
            header = row
            continue
        n += 1
        if len(row) != len(header):
            n_bad += 1
            if len(bad) < MAX_EXAMPLE_ROWS:
                bad.append((n, len(row)))
    if header is None:
        return None
    if bad:
        text_rows = ", ".join(f"row {r} has {k} field{'s' if k != 1 else ''}" for r, k in bad)
        more = f", and {n_bad - len(bad)} more rows" if n_bad > len(bad) else ""
        raise _corrupt(path, f"{text_rows}{more}, header has {len(header)}")
    return ExpectedRows(n, n, "records")
