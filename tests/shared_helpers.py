"""Small helpers the unit tests of adapters and shells share (importable: tests/conftest.py puts tests/ on sys.path)."""
from __future__ import annotations

import pandas as pd

from analyses.results import tidy_frame
from sap.results import AnalysisResult


def result_of(plan, analysis_id: str, rows: list[dict], **kw) -> AnalysisResult:
    """A hand-built result of the plan's analysis ``analysis_id`` with tidy ``rows``."""
    a = plan.analysis(analysis_id)
    return AnalysisResult(a.id, a.method, a.title, a.population, a.endpoint, tidy_frame(rows), **kw)


def render_tables(tables, *, fill_missing: bool = True) -> list[dict]:
    """Display tables as plain data (title, headers, cells, footnotes) for assertions and snapshots."""
    return [{"title": t.title, "columns": list(t.frame.columns),
             "cells": (t.frame.fillna("") if fill_missing else t.frame).values.tolist(),
             "footnotes": list(t.footnotes)} for t in tables]


def one_row(rows: pd.DataFrame, **match) -> pd.Series:
    """The single row of ``rows`` whose columns equal ``match`` (fails when there are none or several)."""
    mask = pd.Series(True, index=rows.index)
    for k, v in match.items():
        mask &= rows[k] == v
    found = rows[mask]
    assert len(found) == 1, (match, len(found))
    return found.iloc[0]
