"""Shell of the multiplicity adjustment: each hypothesis of the plan's family in the declared order with its raw
and adjusted p-value, whether it was tested and rejected; the procedure and alpha from the result rows."""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import fmt_int, fmt_p
from reports.shells.common import ShellContext, footnotes

PROCEDURE_TEXT = {"fixed_sequence": "fixed-sequence (hierarchical) testing, each at the full alpha until the first "
                                    "non-rejection; adjusted p = running maximum",
                  "holm": "Holm step-down (statsmodels multipletests)",
                  "hochberg": "Hochberg step-up (statsmodels multipletests, simes-hochberg)",
                  "bonferroni": "Bonferroni"}


def multiplicity_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Order, hypothesis, raw and adjusted p-values, tested and rejected, one row per hypothesis."""
    rows = result.rows.sort_values("order", kind="mergesort")
    frame = pd.DataFrame({
        "Order": [fmt_int(v) for v in rows["order"]],
        "Hypothesis": list(rows["hypothesis"]),
        "Raw p-value": [fmt_p(p) for p in rows["raw_p_value"]],
        "Adjusted p-value": [fmt_p(p) for p in rows["p_value"]],
        "Tested": ["yes" if t else "no (sequence stopped)" for t in rows["tested"]],
        "Rejected": ["yes" if r else "no" for r in rows["rejected"]],
    })
    method, alpha = rows["method"].iloc[0], rows["alpha"].iloc[0]
    notes = footnotes(result, sc, f"Procedure: {PROCEDURE_TEXT[method]}; two-sided alpha {alpha:g}.",
                      sc.plan.multiplicity.text)
    return [DisplayTable(result.title, frame, footnotes=notes, stub_columns=("Order", "Hypothesis"))]
