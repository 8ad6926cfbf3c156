"""The text of a CSV file: one encoding for the whole file, a comma as the delimiter, each column named once.

Encoding rule (one way per file, never a mixture):

* a file that decodes as UTF-8 (with or without a byte-order mark) is UTF-8;
* a file with no UTF-8 multi-byte character at all is a single-byte file: every byte is decoded as
  windows-1252 (latin1 where windows-1252 leaves a byte undefined) and the run says so in its data notes;
* a file that holds UTF-8 characters *and* bytes that are not UTF-8 (one latin-1 ``e`` typed into a UTF-8
  file), or a UTF-8 byte-order mark and bytes that are not UTF-8, is refused: the message names the rows
  (row 1 = the first data row, as in every data message), the column and the first offending byte, and a row
  that is UTF-8, so the file can be saved again in one encoding. Decoding it one way would garble part of it;
* a file with NUL bytes (a workbook renamed ``.csv``) or a UTF-16 mark is refused as not UTF-8 text.

Header rules (the header line is the judge): more semicolons, tabs or pipes than commas is refused as "looks
semicolon-delimited" (a spreadsheet exported in a European locale, whose numbers often carry decimal commas
too) instead of being read as one column; a column named twice is refused (the CSV reader would rename the
second ``AVAL.1``). Written by hand: counts on one line; :class:`csv.Sniffer` guesses from a sample of
values and can pick a letter as the delimiter.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .errors import MAX_EXAMPLE_ROWS, DataReadError

BOM = b"\xef\xbb\xbf"
UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")  # also the start of the UTF-32 marks
#: Single-byte encodings tried, in order, for a file without UTF-8 characters.
SINGLE_BYTE_ENCODINGS = ("windows-1252", "latin1")
#: Delimiters a CSV header may show instead of commas, with the name the message uses.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, after errors="surrogateescape"


def decode_csv(path: Path, raw: bytes) -> tuple[str, str]:
    """The file's text and the encoding that decoded it (see the module docstring)."""
    _check_text(path, raw)
    has_bom = raw.startswith(BOM)
    body = raw[len(BOM):] if has_bom else raw
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    escaped = body.decode("utf-8", errors="surrogateescape")
    if has_bom or any(ord(ch) > 0x7F and not _ESCAPED.match(ch) for ch in escaped):
        raise DataReadError(_mixed_message(path, escaped, has_bom))
    for encoding in SINGLE_BYTE_ENCODINGS:
        try:
            return body.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise AssertionError("latin1 decodes every byte")  # pragma: no cover


def _check_text(path: Path, raw: bytes) -> None:
    """Refuse a file that is not 8-bit text: UTF-16/32 (Excel's "Unicode text"), a workbook renamed .csv."""
    if raw.startswith(UTF16_BOMS):
        raise DataReadError(f"{path.name}: is UTF-16 or UTF-32 text; save it as a UTF-8 CSV")
    if b"\x00" in raw:
        what = "an Excel workbook (.xlsx) named .csv" if raw.startswith(b"PK\x03\x04") else "not a text file"
        raise DataReadError(f"{path.name}: is {what} (it holds NUL bytes); save the data as a UTF-8 CSV")


def _mixed_message(path: Path, escaped: str, has_bom: bool) -> str:
    """One line naming the records, column and byte that are not UTF-8 in an otherwise UTF-8 file."""
    rows = [r for r in csv.reader(io.StringIO(escaped, newline="")) if r and (len(r) > 1 or r[0].strip())]
    header = rows[0] if rows else []  # blank lines are skipped, as the reader skips them
    bad: list[int] = []
    first = None
    utf8_record = None
    for number, row in enumerate(rows):
        for k, field in enumerate(row):
            hit = _ESCAPED.search(field)
            if hit and number not in bad:
                bad.append(number)
                if first is None:
                    column = header[k] if number and k < len(header) else f"field {k + 1}"
                    first = (number, column, ord(hit.group()) - 0xDC00, _shown(field))
            elif number and utf8_record is None and any(ord(ch) > 0x7F for ch in field) and not hit:
                utf8_record = number
    number, column, byte, field = first
    where = "the header" if number == 0 else f"row {number}, column {column}"
    records = [r for r in bad if r]
    listed = ", ".join(str(r) for r in records[:MAX_EXAMPLE_ROWS])
    more = f" and {len(records) - MAX_EXAMPLE_ROWS} more" if len(records) > MAX_EXAMPLE_ROWS else ""
    rows_text = f"; not UTF-8 in rows {listed}{more}" if len(records) > 1 else ""
    why = ("it starts with a UTF-8 byte-order mark" if has_bom else
           f"it is UTF-8 elsewhere (e.g. row {utf8_record})" if utf8_record else "it is UTF-8 elsewhere")
    return (f"{path.name}: mixed text encodings: byte 0x{byte:02x} in {where} ('{field}') is not UTF-8, but "
            f"{why}{rows_text}; save the whole file in one encoding (UTF-8)")


def _shown(field: str) -> str:
    """A field with its non-UTF-8 bytes written as \\xNN, for the message."""
    text = _ESCAPED.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", field)
    return text if len(text) <= 40 else text[:37] + "..."


def check_header(path: Path, text: str) -> None:
    """Refuse a header separated by semicolons, tabs or pipes rather than commas, or naming a column twice (the
    CSV reader would rename the second ``AVAL.1``)."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    _check_delimiter(path, header)
    names = [n.strip() for n in next(csv.reader([header]), [])]  # 'AGE' beside 'age': clean_frame names both
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        where = "; ".join(f"{n} (fields {', '.join(str(i) for i, m in enumerate(names, 1) if m == n)})" for n in twice)
        raise DataReadError(f"{path.name}: the header names a column more than once: {where}")


def _check_delimiter(path: Path, header: str) -> None:
    commas = header.count(",")
    for delimiter, name in OTHER_DELIMITERS.items():
        count = header.count(delimiter)
        if count > commas:
            raise DataReadError(
                f"{path.name}: the header has {count} {name}s and {commas} comma{'s' if commas != 1 else ''}: "
                f"this file looks {name}-delimited; save it as comma-separated CSV (decimal point '.')")
