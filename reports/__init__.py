"""Report layer: Quarto sources, table and figure builders, and the renderer.

``render_run(bundle, out_dir, formats=("html", "pdf"))`` is the entry point used by :mod:`sap.run`.
"""
from reports.run_report import render_run, write_sources

__all__ = ["render_run", "write_sources"]
