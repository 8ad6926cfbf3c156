"""Writing datasets as CSV with byte-stable formatting, and the frozen datasets.

CSV conventions: UTF-8, ``\\n`` line ends, no index, dates ISO ``yyyy-mm-dd``, missing values
empty, floats written with Python's shortest round-trip repr after the generator rounded them
to the instrument precision, float columns holding only whole numbers written as integers.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import pandas as pd

FROZEN_DIR = Path(__file__).resolve().parent / "frozen"
ORDER = ("adsl", "adqs", "adlb", "adae", "adex", "randomization")


def frozen_dir(name: str) -> Path:
    """Folder of the frozen datasets of a plan id (or ``<plan>-blinded``)."""
    return FROZEN_DIR / name


def format_frame(df: pd.DataFrame) -> pd.DataFrame:
    """Copy of ``df`` ready for byte-stable CSV output."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if pd.api.types.is_datetime64_any_dtype(col.dtype):
            out[c] = col.dt.strftime("%Y-%m-%d")
        elif pd.api.types.is_float_dtype(col.dtype):
            vals = col.dropna()
            if len(vals) and (vals == vals.round()).all() and vals.abs().max() < 2**53:
                out[c] = col.astype("Int64")
            else:
                out[c] = col + 0.0
    return out


def write_datasets(data: dict[str, pd.DataFrame], out_dir: str | Path, *, checksums: bool = True) -> list[Path]:
    """Write each frame to ``out_dir/<name>.csv`` (and SHA256SUMS); returns the written paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in sorted(data, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER)):
        path = out / f"{name}.csv"
        format_frame(data[name]).to_csv(path, index=False, lineterminator="\n", encoding="utf-8")
        paths.append(path)
    if checksums:
        lines = [f"{hashlib.sha256(p.read_bytes()).hexdigest()}  {p.name}\n" for p in sorted(paths)]
        (out / "SHA256SUMS").write_text("".join(lines), encoding="utf-8")
    return paths


def read_checksums(folder: str | Path) -> dict[str, str]:
    """File name -> SHA-256 from a SHA256SUMS file."""
    text = (Path(folder) / "SHA256SUMS").read_text(encoding="utf-8")
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in text.splitlines() if line.strip()}
