"""Table shell of descriptive statistics by visit and group (pharmaverse CFBT01 / LBT01 layout).

Rows: visit x statistic (n; mean (SD); median; min, max), columns: treatment groups with their population N.
The statistic label names what is summarised at the visit (baseline value, change from baseline, ...), taken
from the result rows' ``label`` (endpoint label: what). Results come from :mod:`sap.adapters.continuous`.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import fmt_int, fmt_num
from reports.shells.common import ShellContext, footnotes, group_headers

METHOD_NOTE = "Observed values of the analysed record per subject and visit; no imputation. SD: standard deviation."
DIGITS = 2


def _sd(value) -> str:
    """SD text; NE when not estimable (a single subject)."""
    return fmt_num(value, DIGITS) or "NE"


#: statistic label -> cell text from {statistic: estimate} of one group at one visit
STATISTIC_CELLS = (
    ("n", lambda d, n: fmt_int(n)),
    ("Mean (SD)", lambda d, n: f"{fmt_num(d.get('mean'), DIGITS)} ({_sd(d.get('sd'))})"),
    ("Median", lambda d, n: fmt_num(d.get("median"), DIGITS)),
    ("Min, Max", lambda d, n: f"{fmt_num(d.get('min'), DIGITS)}, {fmt_num(d.get('max'), DIGITS)}"),
)


def _what(at: pd.DataFrame) -> str:
    """What is summarised at a visit: the part of the row label after the endpoint ('Baseline value')."""
    labels = at["label"].dropna() if "label" in at.columns else pd.Series(dtype=object)
    return str(labels.iloc[0]).rpartition(": ")[2] if len(labels) else ""


def _group_statistics(at: pd.DataFrame, group) -> tuple[dict, int]:
    mine = at[at["group"] == group]
    n = mine["n"].dropna()
    return dict(zip(mine["statistic"], mine["estimate"])), int(n.iloc[0]) if len(n) else 0


def render_summary_frame(result, sc: ShellContext) -> pd.DataFrame:
    """Visit x statistic rows, one column per group."""
    rows, heads = result.rows, group_headers(result)
    out = []
    for v in sorted(rows["visit"].dropna().unique()):
        at = rows[rows["visit"] == v]
        what = _what(at)
        stats = {g: _group_statistics(at, g) for g in heads}
        for label, cell in STATISTIC_CELLS:
            row = {"Visit": sc.visit_label(v), "Statistic": f"{what}: {label}"}
            row.update({heads[g]: cell(*stats[g]) if stats[g][1] else "" for g in heads})
            out.append(row)
    return pd.DataFrame(out)


def summary_table(result, sc: ShellContext) -> list[DisplayTable]:
    """The descriptive-statistics table of one endpoint."""
    ep = sc.endpoint(result)
    unit = f" ({ep.unit})" if ep.unit else ""
    return [DisplayTable(f"{result.title}: {ep.label}{unit}", render_summary_frame(result, sc),
                         footnotes=footnotes(result, sc, METHOD_NOTE),
                         stub_columns=("Visit", "Statistic"), group_column="Visit")]
