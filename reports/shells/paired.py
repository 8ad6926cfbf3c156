"""Table shell of the paired comparison with baseline (change from baseline, paired tests) by visit and group.

Rows: visit x statistic (n with both values; mean change (SD); CI of the mean change; each test the plan names,
the primary test first, then the sensitivity tests), columns: treatment groups with their population N. Results
come from :func:`analyses.paired.summarize_paired_change` through the generic by-visit adapter.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import ci_header, fmt_ci, fmt_int, fmt_num, fmt_p
from reports.shells.common import ShellContext, footnotes, group_headers

DIGITS = 2
TEST_STATISTIC = {"paired_t": "t_test", "signed_rank": "signed_rank_test"}
TEST_NAME = {"paired_t": "Paired t-test", "signed_rank": "Wilcoxon signed-rank test"}


def _row_of(at: pd.DataFrame, group, statistic: str):
    rows = at[(at["group"] == group) & (at["statistic"] == statistic)]
    return rows.iloc[0] if len(rows) else None


def _p_text(p) -> str:
    """'p = 0.024' or 'p < 0.001'."""
    text = fmt_p(p)
    return f"p {text[0]} {text[1:]}" if text.startswith("<") else f"p = {text}"


def _test_cell(row, test: str) -> str:
    if row is None:
        return ""
    if pd.isna(row["p_value"]):
        return "NE"
    if test == "paired_t":
        return f"t = {fmt_num(row['estimate'], 2)} (df {fmt_int(row['df'])}), {_p_text(row['p_value'])}"
    return f"V = {fmt_num(row['estimate'], 1)}, {_p_text(row['p_value'])}"


def _cells(at: pd.DataFrame, group, tests: list[tuple[str, str]], level: float) -> dict[str, str]:
    mean, sd = _row_of(at, group, "mean"), _row_of(at, group, "sd")
    if mean is None:
        return {}
    out = {"n": fmt_int(mean["n"]),
           "Mean change (SD)": f"{fmt_num(mean['estimate'], DIGITS)} ({fmt_num(sd['estimate'], DIGITS) or 'NE'})",
           f"{ci_header(level)} of the mean change": fmt_ci(mean["ci_lower"], mean["ci_upper"], DIGITS)}
    for test, role in tests:
        out[f"{TEST_NAME[test]} ({role})"] = _test_cell(_row_of(at, group, TEST_STATISTIC[test]), test)
    return out


def render_paired_frame(result, sc: ShellContext) -> pd.DataFrame:
    """Visit x statistic rows, one column per group."""
    opts = sc.options(result)
    tests = [(opts.test, "primary")] + [(t, "sensitivity") for t in opts.sensitivity]
    rows, heads = result.rows, group_headers(result)
    out = []
    for v in sorted(rows["visit"].dropna().unique()):
        at = rows[rows["visit"] == v]
        cells = {g: _cells(at, g, tests, opts.level) for g in heads}
        labels = next((list(c) for c in cells.values() if c), [])
        for label in labels:
            row = {"Visit": sc.visit_label(v), "Statistic": label}
            row.update({heads[g]: cells[g].get(label, "") for g in heads})
            out.append(row)
    return pd.DataFrame(out, columns=["Visit", "Statistic", *heads.values()])


def paired_table(result, sc: ShellContext) -> list[DisplayTable]:
    """The paired-comparison table of one endpoint."""
    ep = sc.endpoint(result)
    opts = sc.options(result)
    unit = f" ({ep.unit})" if ep.unit else ""
    note = ("n: subjects with a value at baseline and at the visit; change = visit value minus baseline. "
            f"{ci_header(opts.level)}: t distribution with n - 1 df. Tests of no change, two-sided: "
            f"{TEST_NAME[opts.test]} (the plan's test)"
            + "".join(f"; {TEST_NAME[t]} (sensitivity)" for t in opts.sensitivity)
            + ". Wilcoxon: zero differences dropped, V = sum of the ranks of the positive changes; p exact with "
            "fewer than 50 non-zero differences and no ties, else normal approximation with continuity correction.")
    return [DisplayTable(f"{result.title}: {ep.label}{unit}", render_paired_frame(result, sc),
                         footnotes=footnotes(result, sc, note), stub_columns=("Visit", "Statistic"),
                         group_column="Visit")]
