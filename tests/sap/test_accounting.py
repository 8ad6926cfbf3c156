"""Every subject and record is accounted for (issue 15, 'Accounting'): sap.accounting on the frozen cg-bm1 data with
hand-made additions whose categories are known: 7 ADQS records of a parameter no plan item uses, 3 second week-24
records that the visit-window rule does not choose, and the frozen ADAE's records that are not
treatment-emergent (counted from the file). Totals must equal the input sizes, or the run fails."""
from __future__ import annotations

import pandas as pd
import pytest

from sap.accounting import check_accounting, derive_accounting, derive_used_parameters
from sap.pipeline import build_context, load_data, run_analyses
from sap.spec import load_plan

PLAN = load_plan("cg-bm1")


def test_used_parameters_include_the_components_of_derived_scores():
    used = derive_used_parameters(PLAN)
    assert {f"BASDAI{i}" for i in range(1, 7)} <= used          # BASDAI, ASDAS
    assert {f"BASFI{i}" for i in range(1, 11)} <= used          # BASFI
    assert {"TBPAIN", "NBPAIN", "PTGA", "CRP", "ESR", "LATFLXL", "SCHOBER", "ALT", "PLAT"} <= used
    assert "MSASSS" not in used and "HAQDI" not in used


@pytest.fixture(scope="module")
def accounting():
    loaded = load_data(PLAN, None)
    adqs = loaded.datasets["adqs"]
    first = adqs[(adqs["AVISITN"] == 0) & (adqs["PARAMCD"] == "PTGA")].drop_duplicates("USUBJID").head(7)
    unused = first.assign(PARAMCD="XTRA1", AVAL=1.0)                     # a parameter the plan does not use
    wk24 = adqs[(adqs["AVISITN"] == 24) & (adqs["PARAMCD"] == "PTGA")].drop_duplicates("USUBJID").head(3)
    # a second week-24 PTGA record of 3 subjects, further from the target day (169) than the first: the sponsor
    # flags it as not analysed (ANL01FL blank) and the window rule (closest, then latest) does not choose it
    late = wk24.assign(ADY=wk24["ADY"] + 12, ANL01FL=None)
    adqs = adqs.assign(ANL01FL="Y")
    loaded.datasets["adqs"] = pd.concat([adqs, unused, late], ignore_index=True)
    ctx = build_context(PLAN, loaded)
    table = derive_accounting(ctx, run_analyses(ctx))
    return table, {k: len(v) for k, v in ctx.datasets.items()}, loaded.datasets


def _n(table, dataset, category, reason_start=""):
    t = table[(table["dataset"] == dataset) & (table["category"] == category)
              & table["reason"].str.startswith(reason_start)]
    return int(t["n"].sum())


def test_every_subject_and_record_is_counted_once(accounting):
    table, sizes, _ = accounting
    assert table.groupby("dataset")["n"].sum().to_dict() == sizes
    assert _n(table, "adsl", "analysed") == sizes["adsl"] == 54


def test_known_records_land_in_their_category(accounting):
    table, sizes, data = accounting
    assert _n(table, "adqs", "outside", "parameter the plan does not use") == 7
    assert _n(table, "adqs", "excluded", "not the analysed record of its visit") == 3
    ae = data["adae"]
    n_not_te = int((ae["TRTEMFL"].astype("string").str.upper() != "Y").sum())
    assert _n(table, "adae", "excluded", "not treatment-emergent") == n_not_te
    assert _n(table, "adae", "analysed") == len(ae) - n_not_te


def test_accounting_that_does_not_add_up_fails_the_run():
    table = pd.DataFrame({"dataset": ["adsl", "adae"], "unit": ["subjects", "records"],
                          "category": ["analysed", "analysed"], "reason": ["x", "y"], "n": [54, 90]})
    with pytest.raises(RuntimeError, match="adae: 90 accounted of 101"):
        check_accounting(table, {"adsl": 54, "adae": 101})
