"""Provenance of input files: SHA-256 of the bytes and a per-file record for ``manifest.json``."""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_CHUNK = 1 << 20


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of the file's bytes (as ``sha256sum`` prints it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


@dataclass(frozen=True)
class FileInfo:
    """What was read from one data file.

    ``encoding`` is the text encoding that decoded the file (``"utf-8"``, ``"windows-1252"``,
    ``"latin1"``, or for sas7bdat the encoding the file declares); ``column_labels`` are the SAS
    variable labels (upper-cased names; empty for csv/parquet); ``date_columns`` the columns
    returned as ``datetime64``.
    """

    dataset: str
    path: str
    format: str
    sha256: str
    n_bytes: int
    rows: int
    columns: tuple[str, ...]
    encoding: str
    file_label: str | None = None
    column_labels: dict[str, str] = field(default_factory=dict)
    date_columns: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset": self.dataset, "path": self.path, "format": self.format,
            "sha256": self.sha256, "bytes": self.n_bytes, "rows": self.rows,
            "columns": list(self.columns), "encoding": self.encoding,
            "file_label": self.file_label, "column_labels": dict(self.column_labels),
            "date_columns": list(self.date_columns),
        }
