"""Small helpers the unit tests of adapters and shells share (importable: tests/conftest.py puts tests/ on sys.path)."""
from __future__ import annotations

import html
import re
from pathlib import Path

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


def analysis_tables(plan, run: Path, analysis_id: str) -> list[pd.DataFrame]:
    """The CSV tables of an analysis in a run folder: those titled by it in report.html, or the only table of its
    output (tables/<output id>_<n>.csv; HTML ids write '14.2.2' as 14-2-2)."""
    out = next(o for o in plan.outputs if analysis_id in o.analyses)
    page = (run / "report.html").read_text(encoding="utf-8")
    anchor = "[.-]".join(re.escape(part) for part in out.id.split("."))
    titled = {int(n): html.unescape(t) for n, t in re.findall(rf'id="out-{anchor}-(\d+)-title">(.*?)</td>', page)}
    title = plan.analysis(analysis_id).title
    numbers = [n for n, t in titled.items() if t == title or t.startswith((f"{title} (", f"{title}: "))]
    if not titled and len(out.analyses) == 1:
        numbers = [1]
    return [pd.read_csv(run / "tables" / f"{out.id}_{n}.csv", dtype=str).fillna("") for n in sorted(numbers)]
