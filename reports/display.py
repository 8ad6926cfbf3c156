"""The display table: what a table shell produces and the document builders print (string cells only)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pandas as pd


@dataclass(frozen=True)
class DisplayTable:
    """A formatted table ready to print: string cells, column headers carrying 'N=' where relevant."""

    title: str
    frame: pd.DataFrame
    footnotes: tuple[str, ...] = ()
    #: row-label columns (stub) at the left of ``frame``; the rest are data columns
    stub_columns: tuple[str, ...] = ()
    #: optional grouping column in ``frame`` used as row-group headings (e.g. SOC)
    group_column: Optional[str] = None
