"""A plan's confidence level is printed as the level the intervals were computed at, never an assumed 95%.

Before the middle-layer rebuild, "95% CI" was hard-coded in the table headers of response comparisons (odds
ratio), durations, safety rates and in figure labels, so a plan with ``level: 0.90`` printed 90% limits under a
95% header. Expected values here are the plan's own numbers (0.90 -> "90% CI").
"""
from __future__ import annotations

import pandas as pd
import pytest

from reports import figures as figs
from reports.results_document import figure_labels
from reports.shells import display_tables
from reports.shells.common import ShellContext
from sap.pipeline import compute_run, frozen_data_dir
from sap.spec import available_plans, load_plan, plan_from_mapping


def _with_level(plan_id: str, level: float):
    data = load_plan(plan_id).model_dump(mode="json")
    changed = []
    for analysis in data["analyses"]:
        if "level" in analysis["options"]:
            analysis["options"]["level"] = level
            changed.append(analysis["id"])
    return plan_from_mapping(data, f"{plan_id} with level {level}"), changed


def _texts(table) -> list[str]:
    return [str(c) for c in table.frame.columns] + [str(f) for f in table.footnotes] + [table.title]


@pytest.mark.slow
@pytest.mark.parametrize("plan_id", [p for p in available_plans() if frozen_data_dir(load_plan(p)).is_dir()])
def test_tables_print_the_plan_level(plan_id):
    plan, changed = _with_level(plan_id, 0.90)
    bundle = compute_run(plan)
    sc = ShellContext(plan, data_source=bundle.data_source, blinded=bundle.blinded)
    seen_90 = False
    for analysis_id in changed:
        result = bundle.outcomes[analysis_id]
        assert result.level == pytest.approx(0.90), analysis_id
        for table in display_tables(result, sc):
            texts = _texts(table)
            assert not [t for t in texts if "95%" in t], (analysis_id, [t for t in texts if "95%" in t])
            seen_90 = seen_90 or any("90% CI" in t for t in texts)
    if any(bundle.outcomes[a].produced for a in changed):
        assert seen_90, "no table printed a 90% CI header"


def test_figure_labels_print_the_plan_level():
    plan, changed = _with_level("cg-bm1", 0.90)
    kinds = {"mmrm": "mean_change", "response_rate": "response_rates", "response_comparison": "forest"}
    checked = 0
    for analysis_id in changed:
        kind = kinds.get(plan.analysis(analysis_id).method)
        if kind:
            value_label, _ = figure_labels(plan, kind, analysis_id)
            assert "90% CI" in value_label and "95%" not in value_label, value_label
            checked += 1
    assert checked >= 3


def test_forest_annotation_prints_the_level():
    frame = pd.DataFrame({"subgroup": ["Overall", "Sex"], "level": ["All subjects", "F"],
                          "estimate": [0.1, 0.2], "ci_lower": [-0.1, 0.0], "ci_upper": [0.3, 0.4], "n": [20, 10]})
    fig = figs.build_figure("forest", {"subgroups": frame}, value_label="Difference", time_label="", pooled=False,
                            level=0.90)
    texts = [t.get_text() for t in fig.axes[0].texts]
    assert "Estimate (90% CI)" in texts
