"""Absent endpoint data (issue 15, 'Analyses of what is there'): with no TNF-alpha records the MMRM used to say
'fewer than 3 subjects with post-baseline values'. Now a required endpoint stops the run naming it (exit 2), and
an optional one gives its analyses a 'no data' result."""
from __future__ import annotations

import pytest
import yaml

from sap.endpoint_data import find_absent_endpoints
from sap.errors import UserInputError
from sap.pipeline import build_context, frozen_data_dir, load_data, run_analyses
from sap.spec import available_plans, load_plan, plan_from_mapping, plan_path

PLAN = load_plan("cg-bm1")


def _without_tnfa(plan):
    loaded = load_data(plan, None)
    adlb = loaded.datasets["adlb"]
    loaded.datasets["adlb"] = adlb[adlb["PARAMCD"] != "TNFA"].reset_index(drop=True)
    return build_context(plan, loaded)


@pytest.mark.parametrize("plan_id", [p for p in available_plans() if frozen_data_dir(load_plan(p)).is_dir()])
def test_the_frozen_data_hold_every_endpoint(plan_id):
    plan = load_plan(plan_id)
    assert find_absent_endpoints(build_context(plan, load_data(plan, None))) == {}


def test_a_required_endpoint_without_data_stops_the_run_naming_it():
    with pytest.raises(UserInputError, match=r"endpoints\[TNFA\]: no values of parameter TNFA in ADQS/ADLB"):
        run_analyses(_without_tnfa(PLAN))


def test_an_optional_endpoint_without_data_gives_no_data_results():
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    next(e for e in data["endpoints"] if e["id"] == "TNFA")["optional"] = True
    plan = plan_from_mapping(data, "cg-bm1 (edited)")
    results = run_analyses(_without_tnfa(plan))
    tnfa = results["TNFA-MMRM"]
    assert tnfa.not_estimable.startswith("no data: no values of parameter TNFA") and tnfa.rows.empty
    assert "optional endpoint TNFA" in tnfa.not_estimable
    assert results["BMP2-MMRM"].produced and len(results["BMP2-MMRM"].rows)
