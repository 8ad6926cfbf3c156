"""Read trial datasets (csv, parquet, SAS transport .xpt, .sas7bdat) into pandas.

SAS files go through pyreadstat (R equivalent: ``haven::read_xpt`` / ``haven::read_sas``);
their text encodings are tried in order (utf-8, then windows-1252, then latin1; a sas7bdat first
uses the encoding it declares) and the one that worked is recorded. A CSV is decoded one way for the
whole file (:mod:`sap.data.csv_text`): UTF-8 with or without a byte-order mark; else, when it holds no
UTF-8 character at all, windows-1252 (latin1) throughout, said in the run's data notes
(:meth:`LoadedData.notes`); a file mixing UTF-8 and other bytes is refused naming the record, column and
byte. A CSV whose header is separated by semicolons, tabs or pipes is refused as such. Every frame is then
normalised by :func:`sap.data.cleaning.clean_frame`. Readers know nothing about plans.
Before and after reading, :mod:`sap.data.integrity` checks that the file is whole (a cut or
damaged file raises ``DataReadError("<name>: truncated or corrupt (...)")``, never a shorter frame).
"""
from __future__ import annotations

import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Mapping

import pandas as pd
import pyreadstat

from .cleaning import clean_frame, infer_csv_types
from .csv_text import check_header, decode_csv
from .errors import DataReadError
from .integrity import (ExpectedRows, check_csv_complete, check_parquet_complete, check_rows_read,
                        check_sas7bdat_complete, check_xpt_complete)
from .provenance import FileInfo, sha256_file

#: Supported file extensions (compared case-insensitively) and their format names.
FORMATS: dict[str, str] = {".csv": "csv", ".parquet": "parquet", ".xpt": "xpt", ".sas7bdat": "sas7bdat"}
XPT_ENCODINGS: tuple[str, ...] = ("utf-8", "windows-1252", "latin1")
SAS7BDAT_ENCODINGS: tuple[str | None, ...] = (None, "utf-8", "windows-1252", "latin1")
#: File stems that are never read as datasets: a randomization list lying in the data folder would unblind a
#: blinded review (unblinding takes only the explicit ``--randomization`` file).
NOT_DATASETS: frozenset[str] = frozenset({"randomization", "randomisation"})


def dataset_name(path: str | Path) -> str:
    """Dataset name of a file: its stem lower-cased (``ADSL.XPT`` -> ``adsl``)."""
    return Path(path).stem.lower()


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataReadError(
            f"{path}: unsupported file type {path.suffix!r} (expected one of {', '.join(FORMATS)})")
    return fmt


def _read_sas(path: Path, reader, encodings) -> tuple[pd.DataFrame, object, str]:
    errors = []
    for encoding in encodings:
        try:
            frame, meta = reader(str(path), dates_as_pandas_datetime=True, encoding=encoding)
        except (UnicodeDecodeError, pyreadstat.ReadstatError, pyreadstat.PyreadstatError) as exc:
            errors.append(f"{encoding or 'declared'}: {exc}")
            continue
        used = encoding or (getattr(meta, "file_encoding", None) or "declared by file")
        return frame, meta, used
    raise DataReadError(f"{path}: could not be read with any encoding ({'; '.join(errors)})")


_XPT_MEMBER_HEADERS = (b"HEADER RECORD*******MEMBER  HEADER RECORD", b"HEADER RECORD*******MEMBV8  HEADER RECORD")


def _check_single_member(path: Path) -> bytes:
    """A transport file may hold several datasets; pyreadstat reads only the first, so refuse.

    Returns the file's bytes (for the completeness check)."""
    data = path.read_bytes()
    members = sum(data.count(h) for h in _XPT_MEMBER_HEADERS)
    if members > 1:
        raise DataReadError(f"{path}: holds {members} datasets; write one dataset per .xpt file")
    return data


def _read_csv(path: Path) -> tuple[pd.DataFrame, str]:
    text, encoding = decode_csv(path, path.read_bytes())
    check_header(path, text)
    expected = check_csv_complete(path, text)
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_values=[])
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as exc:
        raise DataReadError(f"{path}: not a readable CSV file ({exc})") from exc
    check_rows_read(path, expected, len(frame))
    return frame, encoding


def read_dataset_with_info(path: str | Path, *, dataset: str | None = None) -> tuple[pd.DataFrame, FileInfo]:
    """Read one file (format by extension) and describe it (path, SHA-256, rows, encoding, labels)."""
    path = Path(path)
    fmt = _format_of(path)
    if not path.is_file():
        raise DataReadError(f"{path}: no such file")
    labels: dict[str, str] = {}
    file_label = None
    if fmt == "csv":
        raw, encoding = _read_csv(path)
    elif fmt == "parquet":
        expected = check_parquet_complete(path)
        try:
            raw = pd.read_parquet(path)
        except Exception as exc:  # pyarrow raises several unrelated types
            raise DataReadError(f"{path}: not a readable parquet file ({exc})") from exc
        check_rows_read(path, expected, len(raw))
        encoding = "utf-8"
    else:
        if fmt == "xpt":
            expected = check_xpt_complete(path, _check_single_member(path))
        else:
            check_sas7bdat_complete(path)
        reader = pyreadstat.read_xport if fmt == "xpt" else pyreadstat.read_sas7bdat
        encodings = XPT_ENCODINGS if fmt == "xpt" else SAS7BDAT_ENCODINGS
        raw, meta, encoding = _read_sas(path, reader, encodings)
        if fmt == "sas7bdat":
            n_rows = getattr(meta, "number_rows", None)
            expected = ExpectedRows(n_rows, n_rows, "rows") if n_rows is not None and n_rows >= 0 else None
        check_rows_read(path, expected, len(raw))
        labels = {str(k).strip().upper(): v for k, v in (meta.column_names_to_labels or {}).items() if v}
        file_label = meta.file_label or None
    frame, dates = clean_frame(raw, str(path))
    if fmt == "csv":
        frame = infer_csv_types(frame)
        dates = tuple(c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c].dtype))
    info = FileInfo(
        dataset=dataset or dataset_name(path), path=str(path.resolve()), format=fmt,
        sha256=sha256_file(path), n_bytes=path.stat().st_size, rows=len(frame),
        columns=tuple(frame.columns), encoding=encoding, file_label=file_label,
        column_labels=labels, date_columns=dates)
    return frame, info


def read_dataset(path: str | Path) -> pd.DataFrame:
    """Read one dataset file (.csv, .parquet, .xpt, .sas7bdat; extension case-insensitive)."""
    return read_dataset_with_info(path)[0]


@dataclass(frozen=True)
class LoadedData:
    """Datasets read for one run: frames by dataset name, what was read, and from where."""

    datasets: dict[str, pd.DataFrame]
    files: dict[str, FileInfo]
    source_description: str
    ignored: tuple[str, ...] = field(default=())
    not_read: tuple[str, ...] = field(default=())

    def manifest(self) -> dict[str, dict]:
        """Per-dataset provenance records for ``manifest.json``."""
        return {name: info.to_dict() for name, info in sorted(self.files.items())}

    def notes(self) -> list[str]:
        """Sentences for the run's data notes: files read in a single-byte encoding, datasets not read."""
        out = [f"{Path(info.path).name} is not UTF-8 text: every byte of it was read as {info.encoding}."
               for _, info in sorted(self.files.items())
               if info.format in ("csv", "xpt") and info.encoding != "utf-8"]
        out += [f"{name} was not read: it is not one of the datasets this run uses." for name in self.not_read]
        return out


def _folder_files(folder: Path) -> tuple[dict[str, Path], tuple[str, ...]]:
    by_name: dict[str, list[Path]] = {}
    ignored = []
    for entry in sorted(folder.iterdir()):
        if entry.is_file() and entry.suffix.lower() in FORMATS and dataset_name(entry) not in NOT_DATASETS:
            by_name.setdefault(dataset_name(entry), []).append(entry)
        elif entry.is_file():
            ignored.append(entry.name)
    clashes = {n: p for n, p in by_name.items() if len(p) > 1}
    if clashes:
        text = "; ".join(f"{n}: {', '.join(p.name for p in ps)}" for n, ps in sorted(clashes.items()))
        raise DataReadError(f"{folder}: the same dataset is present in more than one file ({text})")
    return {n: ps[0] for n, ps in by_name.items()}, tuple(ignored)


def _refuse_not_dataset(name: str, path: Path) -> None:
    if name in NOT_DATASETS:
        raise DataReadError(f"{path}: a randomization file is not a dataset; unblind with --randomization {path}")


def _list_files(paths: Iterable[str | Path]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for p in map(Path, paths):
        _format_of(p)
        name = dataset_name(p)
        _refuse_not_dataset(name, p)
        if name in out:
            raise DataReadError(f"dataset {name!r} is given twice: {out[name]} and {p}")
        out[name] = p
    return out


def _mapping_files(mapping: Mapping[str, str | Path]) -> dict[str, Path]:
    out: dict[str, Path] = {}
    for key, p in mapping.items():
        name = str(key).strip().lower()
        _refuse_not_dataset(name, Path(p))
        if name in out:
            raise DataReadError(f"dataset {name!r} is given twice: {out[name]} and {p}")
        _format_of(Path(p))
        out[name] = Path(p)
    return out


def read_data_folder(source: str | Path | Iterable[str | Path] | Mapping[str, str | Path], *,
                     datasets: Iterable[str] | None = None) -> LoadedData:
    """Read the datasets of one run.

    ``source``: a folder (every .csv/.parquet/.xpt/.sas7bdat directly inside it; other files
    such as define.xml, and a randomization list (:data:`NOT_DATASETS`), are ignored and listed in
    ``.ignored``; the same dataset in two formats
    is an error naming both files), a list of file paths, or a mapping ``{dataset: path}``
    (which may mix folders, e.g. ``adam/`` and ``adam_converted/``). Dataset names are file
    stems (or mapping keys) lower-cased. ``datasets`` restricts reading to those names: the files of
    other datasets are not opened and are listed in ``.not_read``; a requested name that is absent is
    simply not loaded (the contract check reports required datasets that are missing).
    """
    ignored: tuple[str, ...] = ()
    if isinstance(source, (str, Path)):
        folder = Path(source)
        if not folder.is_dir():
            raise DataReadError(f"{folder}: not a folder")
        files, ignored = _folder_files(folder)
        description = f"folder {folder.resolve()}"
    elif isinstance(source, Mapping):
        files = _mapping_files(source)
        description = "files " + ", ".join(f"{n}={p}" for n, p in files.items())
    else:
        files = _list_files(source)
        description = "files " + ", ".join(str(p) for p in files.values())
    not_read: tuple[str, ...] = ()
    if datasets is not None:
        wanted = {d.strip().lower() for d in datasets}
        not_read = tuple(sorted(p.name for n, p in files.items() if n not in wanted))
        files = {n: p for n, p in files.items() if n in wanted}
    frames: dict[str, pd.DataFrame] = {}
    infos: dict[str, FileInfo] = {}
    for name, path in sorted(files.items()):
        frames[name], infos[name] = read_dataset_with_info(path, dataset=name)
    return LoadedData(datasets=frames, files=infos, source_description=description, ignored=ignored,
                      not_read=not_read)
