"""Errors raised while reading trial data or checking it against the ADaM data contract.

Both are :class:`sap.errors.DataError` subclasses so that ``python -m sap.run`` reports them as bad
input (exit 2, one-line ``error:`` message).
"""
from __future__ import annotations

from dataclasses import dataclass

from sap.errors import DataError

#: How many example rows a problem message shows before giving the count.
MAX_EXAMPLE_ROWS = 5


class DataReadError(DataError):
    """A data file or folder could not be read (unknown format, undecodable text, ambiguity)."""


@dataclass(frozen=True)
class Problem:
    """One broken contract rule.

    ``rows`` are 1-based record numbers as in the file (record 1 is the first data row; in a
    CSV that is line 2), all of them; ``subjects`` are the USUBJID of the same rows where the
    dataset has one (same order, ``None`` when missing). ``message`` is the full sentence.
    """

    dataset: str
    column: str | None
    rule: str
    rows: tuple[int, ...]
    message: str
    subjects: tuple[str | None, ...] = ()
    summary: str | None = None

    @property
    def n_rows(self) -> int:
        return len(self.rows)

    @property
    def where(self) -> str:
        return f"{self.dataset}.{self.column}" if self.column else self.dataset

    def short(self) -> str:
        """Short form for the one-line summary, e.g. ``adsl.USUBJID duplicated (rows 4, 9)``."""
        text = f"{self.where} {self.summary or self.rule.replace('_', ' ')}"
        if self.rows:
            shown = ", ".join(str(r) for r in self.rows[:3])
            more = f", ... {self.n_rows} rows" if self.n_rows > 3 else ""
            text += f" (row{'s' if self.n_rows > 1 else ''} {shown}{more})"
        return text


class DataContractError(DataError):
    """The data break the contract; ``.problems`` lists every problem found (not only the first).

    ``str(error)``: first line a one-line summary (``"3 data problems: adsl.USUBJID duplicated
    (rows 4, 9); ..."``), then one line per problem with its full message.
    """

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]):
        self.problems: list[Problem] = list(problems)
        if not self.problems:
            raise ValueError("DataContractError needs at least one problem")
        n = len(self.problems)
        summary = f"{n} data problem{'s' if n > 1 else ''}: " + "; ".join(p.short() for p in self.problems)
        details = "\n".join(f"- {p.message}" for p in self.problems)
        super().__init__(f"{summary}\n{details}")
