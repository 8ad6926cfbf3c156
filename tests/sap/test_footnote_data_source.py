"""Table footnotes name the data files, never local paths (issue 16: 'Footnotes repeat absolute local paths');
the paths and checksums stay in manifest.json and the report's provenance table."""
from __future__ import annotations

import shutil

from sap.pipeline import build_context, frozen_data_dir, load_data
from sap.spec import load_plan


def test_data_source_names_files_without_their_folder(tmp_path):
    plan = load_plan("cg-bm1")
    folder = tmp_path / "sponsor transfer 2026-12"
    shutil.copytree(frozen_data_dir(plan), folder)
    ctx = build_context(plan, load_data(plan, folder))
    assert ctx.data_source == ("adae.csv, adex.csv, adlb.csv, adqs.csv, adsl.csv (paths and SHA-256 in "
                               "manifest.json)")
    assert str(tmp_path) not in ctx.data_source
