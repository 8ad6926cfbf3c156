"""Generated data: contract, scale ranges, determinism, plan-driven structure, 3+3 consistency."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analyses.escalation import ThreePlusThreeRule, cohorts_from_frame, run_three_plus_three
from sap.data.contract import check_contract
from sap.data.defaults import default_requirements_for_contract
from sap.data.requirements import VisitSchedule
from sap.spec import available_plans, load_plan
from synthetic_data import generate
from synthetic_data.catalog import CATALOG, SEPARATE, required_parameters

#: every shipped plan the generator makes data for (the plan names generator settings under data.synthetic)
PLANS = [p for p in available_plans() if load_plan(p).data.synthetic is not None]
SEEDS = [1, 7, 2024]


def _requirements(plan, data):
    from dataclasses import replace
    # wang2013 reproduces "no adverse effects were noted": its ADAE is empty by design, which the
    # contract's "required dataset has no rows" rule would report; its columns are still checked.
    required = [d for d in (*plan.data.required_datasets, "adex") if len(data[d]) or d != "adae"]
    req = default_requirements_for_contract(tuple(required))
    sched = VisitSchedule(datasets=("adqs", "adlb"), windows=tuple(plan.schedule.visits), label_column="AVISIT")
    return replace(req, visit_schedules=(sched,)) if hasattr(req, "visit_schedules") else req


@pytest.fixture(scope="module")
def datasets():
    return {(pid, s): generate(pid, seed=s) for pid in PLANS for s in SEEDS}


@pytest.mark.parametrize("pid", PLANS)
@pytest.mark.parametrize("seed", SEEDS)
def test_contract_holds(datasets, pid, seed):
    plan = load_plan(pid)
    data = datasets[(pid, seed)]
    check_contract(data, _requirements(plan, data))  # raises DataContractError listing every problem


@pytest.mark.parametrize("pid", PLANS)
def test_structure_follows_plan(datasets, pid):
    plan = load_plan(pid)
    d = datasets[(pid, 1)]
    adsl = d["adsl"]
    arm_values = {a.data_value for a in plan.design.arms}
    assert set(adsl["TRT01P"]) <= arm_values
    assert set(adsl["PHASE"].dropna()) <= {ph.data_value for ph in plan.design.phases}
    for pop in plan.populations:
        if pop.flag:
            assert set(adsl[pop.flag]) <= {"Y", "N"}
    # the parameters simulated after the subjects are chosen (catalog.SEPARATE: wang2013's MRI TIE) come on top
    need = dict(required_parameters(plan))
    need.update({e.parameter: tuple(e.visits) for e in plan.endpoints if e.parameter in SEPARATE})
    got = set(d["adqs"]["PARAMCD"]) | set(d["adlb"]["PARAMCD"])
    assert got == set(need), "exactly the PARAMCDs the plan's endpoints need"
    # every record at a visit of the plan, and only visits the parameter is scheduled for
    for name in ("adqs", "adlb"):
        bds = d[name]
        for code, g in bds.groupby("PARAMCD"):
            assert set(g["AVISITN"]) <= {0.0, *need[code]}
        assert not bds.duplicated(["USUBJID", "PARAMCD", "AVISITN"]).any()
        assert set(bds["USUBJID"]) <= set(adsl["USUBJID"])
        win = {v.avisitn: v.window for v in plan.schedule.visits}
        ady = bds["ADY"].to_numpy()
        lo = bds["AVISITN"].map(lambda a: win[a][0]).to_numpy()
        hi = bds["AVISITN"].map(lambda a: win[a][1]).to_numpy()
        ok = np.isnan(ady) | ((ady >= lo) & (ady <= hi))
        assert ok.all()
    # dates consistent with study days (day 1 = TRTSDT, no day 0)
    m = d["adqs"].merge(adsl[["USUBJID", "TRTSDT"]], on="USUBJID").dropna(subset=["ADY"])
    off = np.where(m["ADY"] > 0, m["ADY"] - 1, m["ADY"])
    assert ((m["ADT"] - m["TRTSDT"]).dt.days.to_numpy() == off).all()
    assert (d["adqs"]["ADY"] != 0).all()


@pytest.mark.parametrize("pid", PLANS)
def test_scale_ranges_and_precision(datasets, pid):
    for seed in SEEDS:
        d = datasets[(pid, seed)]
        for name in ("adqs", "adlb"):
            for code, g in d[name].groupby("PARAMCD"):
                if code in SEPARATE:   # simulated on their own (tests/synthetic_data/test_synth_mri.py)
                    continue
                spec = CATALOG[code]
                a = g["AVAL"].to_numpy()
                assert not np.isnan(a).any()
                if spec.lo is not None:
                    assert a.min() >= spec.lo
                if spec.hi is not None:
                    assert a.max() <= spec.hi
                steps = a / spec.step
                assert np.allclose(steps, np.round(steps), atol=1e-6), code


def test_deterministic_and_seed_sensitive():
    a = generate("cg-bm1", seed=11)
    b = generate("cg-bm1", seed=11)
    c = generate("cg-bm1", seed=12)
    for k in a:
        pd.testing.assert_frame_equal(a[k], b[k])
    assert not a["adqs"]["AVAL"].equals(c["adqs"]["AVAL"])


def test_escalation_consistent_with_dlt_flags():
    """Phase 1 cohorts in ADSL/ADAE replay through the analysis 3+3 engine without a rule
    violation, and the Phase 2 experimental arm gets the recommended dose."""
    plan = load_plan("cg-bm1")
    levels = [plan.design.arm(a).dose for a in plan.design.phase("P1").escalation.dose_levels]
    statuses = set()
    expanded = False
    for seed in range(40):
        d = generate("cg-bm1", seed=seed)
        adsl, adae = d["adsl"], d["adae"]
        p1 = adsl[(adsl["PHASE"] == "Phase 1") & (adsl["DLTEVLFL"] == "Y")].copy()
        dlt_subj = set(adae.loc[adae["DLTFL"] == "Y", "USUBJID"])
        p1["DLTFL"] = np.where(p1["USUBJID"].isin(dlt_subj), "Y", "N")
        # every DLT lies in the DLT window and is grade >= 3 and related
        dl = adae[adae["DLTFL"] == "Y"]
        assert (dl["ASTDY"].between(1, 28)).all() and (dl["AETOXGR"] >= 3).all() and (dl["AEREL"] == "RELATED").all()
        assert set(dl["USUBJID"]) <= set(p1["USUBJID"])
        res = run_three_plus_three(levels, cohorts_from_frame(p1.reset_index(drop=True)),
                                   ThreePlusThreeRule(len(levels), mtd_needs_six=True))
        assert res.recommendation == "stop"
        statuses.add(res.mtd_status)
        expanded |= bool((p1.groupby("COHORT")["DOSE"].first().value_counts() > 1).any())
        p2 = adsl[(adsl["PHASE"] == "Phase 2") & (adsl["TRT01P"] == "CG-BM1 RP2D")]
        if res.rp2d is None:
            assert len(adsl[adsl["PHASE"] == "Phase 2"]) == 0
        else:
            assert (p2["DOSE"] == res.rp2d).all()
    assert expanded, "some seed expands a cohort of 3 to 6"
    assert {"declared", "not_reached"} <= statuses, "some seeds stop below the top dose"


def test_randomization_balanced_within_strata():
    d = generate("cg-bm1", seed=3, n=400)
    p2 = d["adsl"][d["adsl"]["PHASE"] == "Phase 2"]
    tab = pd.crosstab(p2["STRAT1"], p2["TRT01P"])
    # permuted blocks of 4 (1:1): imbalance within a stratum is at most 2
    assert ((tab.iloc[:, 0] - tab.iloc[:, 1]).abs() <= 2).all()
    # stratum follows baseline CRP
    crp = d["adlb"].query("PARAMCD == 'CRP' and AVISITN == 0").set_index("USUBJID")["AVAL"]
    exp = np.where(crp.reindex(p2["USUBJID"]).to_numpy() < 10, "CRP < 10", "CRP >= 10")
    assert (p2["STRAT1"].to_numpy() == exp).all()


def test_blinded_variant():
    plain = generate("cg-bm1", seed=5)
    bl = generate("cg-bm1", seed=5, blinded=True)
    a, r = bl["adsl"], bl["randomization"]
    p2 = a["PHASE"] == "Phase 2"
    assert (a.loc[p2, "TRT01P"] == "BLINDED").all() and a.loc[p2, "TRT01PN"].isna().all()
    assert a.loc[p2, "DOSE"].isna().all()
    assert (a.loc[~p2, "TRT01P"] == plain["adsl"].loc[~p2, "TRT01P"]).all()
    m = r.merge(plain["adsl"][["USUBJID", "TRT01P", "TRT01PN"]], on="USUBJID", suffixes=("", "_true"))
    assert len(m) == p2.sum() and (m["TRT01P"] == m["TRT01P_true"]).all()
    assert list(r.columns) == ["USUBJID", "TRT01P", "TRT01PN"]


def test_ae_vocabulary_and_soc():
    d = generate("cg-bm1", seed=2, n=300)
    ae = d["adae"]
    soc = {"Infusion related reaction": "Injury, poisoning and procedural complications",
           "Pyrexia": "General disorders and administration site conditions",
           "Headache": "Nervous system disorders",
           "Upper respiratory tract infection": "Infections and infestations",
           "Hypersensitivity": "Immune system disorders"}
    for pt, s in soc.items():
        assert (ae.loc[ae["AEDECOD"] == pt, "AEBODSYS"] == s).all()
    assert set(ae["AEREL"]) <= {"RELATED", "NOT RELATED"}
    assert set(ae["AESER"]) <= {"Y", "N"} and ae["AETOXGR"].between(1, 5).all()
    assert (ae.loc[ae["DLTFL"] == "Y"].merge(d["adsl"], on="USUBJID")["PHASE"] == "Phase 1").all()
    assert (ae.groupby("USUBJID")["AESEQ"].apply(lambda s: list(s) == list(range(1, len(s) + 1)))).all()
    assert ((ae["TRTEMFL"] == "Y") == (ae["ASTDY"] >= 1)).all()


def test_bad_input_raises():
    with pytest.raises(ValueError, match="n cannot be set"):
        generate("ucmsc-as", seed=1, n=10)
    with pytest.raises(ValueError):
        generate("no-such-plan", seed=1)
