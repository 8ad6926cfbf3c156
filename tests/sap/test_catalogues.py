"""One source of truth per catalogue: one visit-window model and one derivation-settings model (the plan's).

The plan (``sap.spec``) is what a statistician signs. ``sap.spec.Visit`` is the only visit-window class (the
derivations and the data contract use the plan's visits); ``sap.spec.DerivationSettings`` holds the derivation
choices and ``sap.derive.options.DeriveOptions`` is a plain frozen dataclass WITHOUT defaults, built only in
``sap/derivations.py``. Expectations below are hand-computed (ASAS20: Anderson 2001 / ASAS handbook, Sieper 2009).
"""
from __future__ import annotations

import ast
import dataclasses
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sap.data import VisitSchedule
from sap.derivations import derive_for_plan, derive_options_for_plan
from sap.derive.options import DeriveOptions
from sap.requirements import requirements_for_plan
from sap.spec import DerivationSettings, PlanError, Visit, load_plan, plan_from_mapping, plan_path

ROOT = Path(__file__).resolve().parents[2]
SAP = ROOT / "sap"
#: a class with ``avisitn`` and any of these fields is a visit window
WINDOW_FIELDS = {"target_day", "window", "lo", "hi", "lo_day", "hi_day"}
#: a class with two or more of these fields is a derivation-settings model
DERIVATION_FIELDS = {"input_scale", "scale", "asdas_coefficients", "crp_floor", "crp_floor_mg_l", "basfi_max_missing",
                     "asas_pain_domain", "basdai50_rule", "partial_remission_threshold", "partial_remission_rule",
                     "score_disagreement_tolerance", "rederive_tolerance", "score_source"}


def _classes_with_fields(root: Path) -> dict[str, set[str]]:
    """``"<path>:<class>"`` -> names of the class's annotated fields, for every class under ``root``."""
    out = {}
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                names = {s.target.id for s in node.body if isinstance(s, ast.AnnAssign) and isinstance(s.target, ast.Name)}
                out[f"{path.relative_to(ROOT).as_posix()}:{node.name}"] = names
    return out


def test_one_visit_window_class():
    found = {k for k, f in _classes_with_fields(SAP).items() if "avisitn" in f and f & WINDOW_FIELDS}
    assert found == {"sap/spec_schedule.py:Visit"}


def test_derivation_settings_only_in_the_plan_and_its_one_mapping():
    found = {k for k, f in _classes_with_fields(SAP).items() if len(f & DERIVATION_FIELDS) >= 2}
    assert found == {"sap/spec_parts.py:DerivationSettings", "sap/derive/options.py:DeriveOptions"}


def test_derive_options_have_no_defaults():
    assert dataclasses.is_dataclass(DeriveOptions) and DeriveOptions.__dataclass_params__.frozen
    with_default = [f.name for f in dataclasses.fields(DeriveOptions)
                    if f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING]
    assert with_default == []
    with pytest.raises(TypeError):
        DeriveOptions()  # type: ignore[call-arg]


def test_derive_options_built_only_in_sap_derivations():
    where = set()
    for package in ("sap", "analyses", "reports", "synthetic_data"):
        for path in (ROOT / package).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Call):
                    name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
                    if name == "DeriveOptions":
                        where.add(path.relative_to(ROOT).as_posix())
    assert where == {"sap/derivations.py"}


def test_derive_and_data_import_neither_analyses_nor_reports():
    code = ("import sys, sap.derive, sap.data, sap.derivations, sap.requirements; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'analyses', 'reports', 'synthetic_data'}))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)
    assert done.stdout.strip() == "[]"


# --------------------------------------------------------------------------- the plan's values reach the layers
def _plan(**derivations):
    """cg-bm1 with some ``derivations`` keys replaced (through the plan loader, as a statistician would edit it)."""
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["derivations"] = {**data["derivations"], **derivations}
    return plan_from_mapping(data, "cg-bm1 (edited)")


def _criterion(code: str):
    """DeriveOptions -> the criterion of response ``code`` it carries."""
    return lambda opt: next(c for c in opt.criteria if c.id == code)


#: a plan's own criterion: ASAS20 as the UC-MSC AS registration writes it (>= 20 % and >= 10 units on 0-100 in
#: >= 3 domains, no worsening clause; ../shared/seeds/000_e3d85c03939e06ad.txt line 68)
OWN_ASAS20 = {"id": "ASAS20", "label": "ASAS20 response (as registered)", "reference": "registration",
              "domains": [{"parameter": p, "scale": 10} for p in ("PTGA", "@pain", "BASFI", "INFLAM")],
              "improvement": {"relative": 0.2, "absolute": 10, "absolute_scale": 100}, "required": 3}

#: plan field, value written in the plan, DeriveOptions field (or a function of DeriveOptions), value expected there
CASES = [
    ("input_scale", "0-100", "scale", 100),
    ("asdas_coefficients", "rounded", "asdas_coefficients", "rounded"),
    ("crp_floor_mg_l", None, "crp_floor", None),
    ("basfi_max_missing", 1, "basfi_max_missing", 1),
    ("asas_pain_domain", "TBPAIN", "asas_pain_domain", "TBPAIN"),
    ("basdai50_rule", "relative_or_absolute", lambda o: _criterion("BASDAI50")(o).improvement.combine, "or"),
    ("partial_remission_threshold", "lt2", lambda o: _criterion("ASASPR")(o).cutoff.comparison, "lt"),
    ("criteria", [OWN_ASAS20], lambda o: _criterion("ASAS20")(o).worsening.rule, "none"),
    ("responses", ["ASAS20", "ACR20", "EULAR"], "responses", ("ASAS20", "ACR20", "EULAR")),  # ASAS20: episodes
    ("score_disagreement_tolerance", 0.005, "rederive_tolerance", 0.005),
]


def test_every_plan_derivation_field_is_mapped():
    assert {c[0] for c in CASES} == set(DerivationSettings.model_fields) - {"text"}


@pytest.mark.parametrize("plan_field, value, option, expected", CASES, ids=[c[0] for c in CASES])
def test_plan_value_reaches_derive_options(plan_field, value, option, expected):
    get = option if callable(option) else (lambda opt: getattr(opt, option))
    shipped = get(derive_options_for_plan(load_plan("cg-bm1")))
    assert shipped != expected  # the edit is a change, so the test can fail
    assert get(derive_options_for_plan(_plan(**{plan_field: value}))) == expected


def test_visit_windows_are_the_plans_visits():
    plan = load_plan("ucmsc-as")
    assert derive_options_for_plan(plan).visit_windows is plan.schedule.visits
    assert derive_options_for_plan(plan).window_rule == plan.schedule.window_rule == "closest_then_latest"
    frames = {"adsl": pd.DataFrame(), "adqs": pd.DataFrame(), "adlb": pd.DataFrame()}
    (schedule,) = requirements_for_plan(plan, frames).visit_schedules
    assert schedule.datasets == ("adqs", "adlb") and len(schedule.windows) == 10
    assert all(w is v for w, v in zip(schedule.windows, plan.schedule.visits))  # the plan's own objects
    day2 = schedule.windows[1]
    assert (day2.avisitn, day2.label, day2.target_day, day2.lo, day2.hi, day2.assessments) == \
        (0.29, "Day 2", 3, 3, 3, ("ESR", "CRP", "biomarkers"))  # Day N = N days after the infusion, study day N + 1


def test_data_contract_rows_become_visits():
    schedule = VisitSchedule.from_table(["adqs"], [(0, "Baseline", 1, None, 1), (24, "Week 24", 168, 141, None)])
    assert schedule.windows == (Visit(avisitn=0, label="Baseline", target_day=1, window=(None, 1)),
                                Visit(avisitn=24, label="Week 24", target_day=168, window=(141, None)))
    assert schedule.windows[1].describe() == "Week 24 (AVISITN 24) window [141, inf]"


@pytest.mark.parametrize("edit, message", [
    (dict(derivations={"responses": ["ASAS70"]}), r"derivations\.responses: item 0: unknown response 'ASAS70'"),
    (dict(derivations={"criteria": [{**OWN_ASAS20, "required": 5}]}), r"required 5 is more than its 4 domains"),
    (dict(visit={"avisitn": 5, "label": "Week 5", "target_day": 36, "window": [30, 40]}),
     r"windows of Week 4 \[25, 33\] and Week 5 \[30, 40\] overlap"),
    (dict(visit={"avisitn": 30, "label": "Week 30", "target_day": 211, "window": [200, None]}),
     r"schedule\.visits\[Week 30\]\.window: a plan's visit window needs both bounds"),
    (dict(derivations={"score_disagreement_tolerance": -0.01}), r"derivations\.score_disagreement_tolerance"),
])
def test_plan_refuses_what_the_derivations_cannot_use(edit, message):
    data = yaml.safe_load(plan_path("cg-bm1").read_text(encoding="utf-8"))
    data["derivations"].update(edit.get("derivations", {}))
    if "visit" in edit:
        data["schedule"]["visits"].append(edit["visit"])
    with pytest.raises(PlanError, match=message):
        plan_from_mapping(data, "cg-bm1 (edited)")


# --------------------------------------------------------------------------- derivations follow the plan
def _asas_data(sponsor_basdai: float | None = None) -> dict[str, pd.DataFrame]:
    """One subject, baseline (day -1) and week 4 (day 29), 0-10 items and 0-100 mm pain.

    Baseline: PTGA 6, TBPAIN 60, NBPAIN 60, BASFI items 6, BASDAI items 6.
    Week 4:   PTGA 4, TBPAIN 40, NBPAIN 80, BASFI items 4, BASDAI items 6.
    """
    def visit(avisitn, ady, ptga, tbpain, nbpain, basfi):
        vals = {"PTGA": ptga, "TBPAIN": tbpain, "NBPAIN": nbpain, **{f"BASFI{i}": basfi for i in range(1, 11)},
                **{f"BASDAI{i}": 6.0 for i in range(1, 7)}}
        return [dict(USUBJID="S1", PARAMCD=p, AVAL=float(v), AVISIT=f"Week {avisitn}", AVISITN=float(avisitn),
                     ADY=float(ady)) for p, v in vals.items()]

    rows = visit(0, -1, 6, 60, 60, 6) + visit(4, 29, 4, 40, 80, 4)
    if sponsor_basdai is not None:  # a sponsor-supplied BASDAI at the week-4 occasion
        rows.append(dict(USUBJID="S1", PARAMCD="BASDAI", AVAL=sponsor_basdai, AVISIT="Week 4", AVISITN=4.0, ADY=29.0))
    adsl = pd.DataFrame({"USUBJID": ["S1"], "TRT01P": ["A"], "TRTSDT": pd.to_datetime(["2024-01-01"]),
                         "EOSSTT": ["COMPLETED"], "FASFL": ["Y"]})
    return {"adsl": adsl, "adqs": pd.DataFrame(rows)}


def _asas20_week4(plan) -> float:
    resp = derive_for_plan(plan, _asas_data())["adresp"]
    return resp.loc[(resp.PARAMCD == "ASAS20") & (resp.AVISITN == 4), "AVAL_OC"].item()


def test_asas_pain_domain_of_the_plan_decides_asas20():
    """Domains on 0-10, baseline -> week 4: PTGA 6 -> 4 (-2, -33 %: improved), BASFI 6 -> 4 (improved),
    inflammation (BASDAI5+6)/2 6 -> 6 (neither). Pain: TBPAIN 6 -> 4 (improved); SPPAIN = (TBPAIN+NBPAIN)/2
    6 -> 6 (unchanged). ASAS20 needs >= 20 % and >= 1 unit in >= 3 of 4 domains, no such worsening in the
    fourth: 3 domains with TBPAIN -> responder; 2 with SPPAIN -> non-responder."""
    assert load_plan("cg-bm1").derivations.asas_pain_domain == "SPPAIN"
    assert _asas20_week4(load_plan("cg-bm1")) == 0.0
    assert _asas20_week4(_plan(asas_pain_domain="TBPAIN")) == 1.0


def test_score_tolerance_of_the_plan_decides_what_is_a_disagreement():
    """Week-4 items all 6 -> re-derived BASDAI = (6+6+6+6+(6+6)/2)/5 = 6; the sponsor says 6.007 (|diff| 0.007)."""
    data = _asas_data(sponsor_basdai=6.007)
    assert load_plan("cg-bm1").derivations.score_disagreement_tolerance == 0.01
    assert derive_for_plan(load_plan("cg-bm1"), data)["score_disagreements"].empty
    dis = derive_for_plan(_plan(score_disagreement_tolerance=0.005), data)["score_disagreements"]
    assert len(dis) == 1 and dis.iloc[0]["PARAMCD"] == "BASDAI" and dis.iloc[0]["AVISITN"] == 4
    assert dis.iloc[0]["SPONSOR"] == 6.007 and dis.iloc[0]["REDERIVED"] == pytest.approx(6.0, abs=1e-12)
    assert dis.iloc[0]["DIFF"] == pytest.approx(0.007, abs=1e-12)
