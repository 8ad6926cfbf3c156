"""Golden regression: each plan on its frozen synthetic data gives the committed results.json rows.

Floats are compared with relative tolerance 1e-9 (absolute 1e-12 near zero); everything else exactly.
The golden copies change only through ``pytest tests/golden --update-golden`` (review the diff).
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from sap.pipeline import compute_run, frozen_data_dir, results_document
from sap.spec import load_plan

GOLDEN = Path(__file__).resolve().parent
PLANS = ["cg-bm1", "ucmsc-as", "msc-etanercept", "ucmsc-ra", "wang2013"]


def _close(a, b) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    return a == b


@pytest.mark.parametrize("plan_id", PLANS)
def test_results_match_golden(plan_id, update_golden):
    plan = load_plan(plan_id)
    if not frozen_data_dir(plan).is_dir():
        pytest.fail(f"frozen data for {plan_id} missing at {frozen_data_dir(plan)}")
    doc = json.loads(json.dumps(results_document(compute_run(plan)), allow_nan=False))
    path = GOLDEN / f"{plan_id}.json"
    if update_golden or not path.exists():
        if not update_golden:
            pytest.fail(f"no golden copy {path.name}; create it with --update-golden")
        path.write_text(json.dumps(doc, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        return
    golden = json.loads(path.read_text(encoding="utf-8"))
    assert doc["plan"] == golden["plan"]
    assert doc["data"] == golden["data"]
    rows, ref = doc["results"], golden["results"]
    assert len(rows) == len(ref), f"{len(rows)} result rows, golden has {len(ref)}"
    for i, (got, want) in enumerate(zip(rows, ref)):
        assert set(got) == set(want), f"row {i} ({want.get('analysis_id')}): columns differ"
        bad = {k: (got[k], want[k]) for k in want if not _close(got[k], want[k])}
        assert not bad, f"row {i} ({want.get('analysis_id')} {want.get('statistic')}): {bad}"
