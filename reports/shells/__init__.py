"""Table shells: a result (:class:`sap.results.AnalysisResult`) -> display tables, one module per method family.

A shell is a function ``(result, sc: ShellContext) -> list[DisplayTable]``. It reads only the result (rows, level,
group N, exclusions, warnings, not-estimable reason) and the frozen plan (labels, visit names, the analysis'
parsed options); it computes no statistics. Every number goes through :mod:`reports.format`. The method table
(:mod:`sap.registry`) names the shells of each method; :func:`display_tables` calls them.
"""
from __future__ import annotations

from sap.registry import method_entry

from reports.display import DisplayTable
from reports.shells.common import ShellContext, not_produced_table


def display_tables(result, sc: ShellContext) -> list[DisplayTable]:
    """The display tables of one result: its method's shells, or one note table when nothing was produced."""
    if not result.produced:
        return [not_produced_table(result, sc)]
    tables: list[DisplayTable] = []
    for shell in method_entry(result.method).shell_functions():
        tables.extend(shell(result, sc))
    return tables
