"""The text of a CSV file: one encoding for the whole file, and a comma as the delimiter.

Encoding rule (one way per file, never a mixture):

* a file that decodes as UTF-8 (with or without a byte-order mark) is UTF-8;
* a file with no UTF-8 multi-byte character at all is a single-byte file: every byte is decoded as
  windows-1252 (latin1 where windows-1252 leaves a byte undefined) and the run says so in its data notes;
* a file that holds UTF-8 characters *and* bytes that are not UTF-8 (one latin-1 ``e`` typed into a UTF-8
  file), or a file with a UTF-8 byte-order mark and bytes that are not UTF-8, is refused: the message names
  the records (1 = the first data row), the column and the first offending byte, and a UTF-8 record, so the
  file can be saved again in one encoding. Decoding such a file one way would turn part of it into mojibake.

Delimiter rule: the header line is the judge. A header with more semicolons, tabs or pipes than commas is
refused as "looks semicolon-delimited" (the export of a spreadsheet set to a European locale, whose numbers
often carry decimal commas as well), instead of being read as one column. Written by hand: the check is a
count on one line; :class:`csv.Sniffer` guesses from a sample of values and can pick a letter.
"""
from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from .errors import MAX_EXAMPLE_ROWS, DataReadError

BOM = b"\xef\xbb\xbf"
#: Single-byte encodings tried, in order, for a file without UTF-8 characters.
SINGLE_BYTE_ENCODINGS = ("windows-1252", "latin1")
#: Delimiters a CSV header may show instead of commas, with the name the message uses.
OTHER_DELIMITERS = {";": "semicolon", "\t": "tab", "|": "pipe"}
_ESCAPED = re.compile("[\udc80-\udcff]")  # bytes that are not UTF-8, after errors="surrogateescape"


def decode_csv(path: Path, raw: bytes) -> tuple[str, str]:
    """The file's text and the encoding that decoded it (see the module docstring)."""
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
    where = "the header" if number == 0 else f"record {number}, column {column}"
    records = [r for r in bad if r]
    listed = ", ".join(str(r) for r in records[:MAX_EXAMPLE_ROWS])
    more = f" and {len(records) - MAX_EXAMPLE_ROWS} more" if len(records) > MAX_EXAMPLE_ROWS else ""
    rows_text = f"; not UTF-8 in records {listed}{more}" if len(records) > 1 else ""
    why = ("it starts with a UTF-8 byte-order mark" if has_bom else
           f"it is UTF-8 elsewhere (e.g. record {utf8_record})" if utf8_record else "it is UTF-8 elsewhere")
    return (f"{path.name}: mixed text encodings: byte 0x{byte:02x} in {where} ('{field}') is not UTF-8, but "
            f"{why}{rows_text}; save the whole file in one encoding (UTF-8)")


def _shown(field: str) -> str:
    """A field with its non-UTF-8 bytes written as \\xNN, for the message."""
    text = _ESCAPED.sub(lambda m: f"\\x{ord(m.group()) - 0xDC00:02x}", field)
    return text if len(text) <= 40 else text[:37] + "..."


def check_delimiter(path: Path, text: str) -> None:
    """Refuse a file whose header line is separated by semicolons, tabs or pipes rather than commas."""
    header = next((line for line in text.splitlines() if line.strip()), "")
    commas = header.count(",")
    for delimiter, name in OTHER_DELIMITERS.items():
        count = header.count(delimiter)
        if count > commas:
            raise DataReadError(
                f"{path.name}: the header has {count} {name}s and {commas} comma{'s' if commas != 1 else ''}: "
                f"this file looks {name}-delimited; save it as comma-separated CSV (decimal point '.')")
