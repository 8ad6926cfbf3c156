"""Adapters of the safety family (sap.adapters.safety) on a six-subject data set for the shipped cg-bm1 plan.

Subjects (TRT01P / PHASE; SAFFL; DLTEVLFL): S1, S2 dose level 1 (Phase 1) Y; Y. S3 dose level 2 (Phase 1) Y; N.
S4 RP2D (Phase 2) Y; N. S5 placebo (Phase 2) Y; N. S6 placebo N; N (outside the safety population).
ADAE: S1 nausea (GI) grade 1 related, day 5, and nausea grade 3 serious DLT, day 10; S2 rash (SKIN) grade 2,
day 10; S3 rash grade 3 DLT, day 3; S4 nausea grade 2 related, day 20; S5 headache not treatment-emergent;
S6 rash (not in the population). ADLB (ALT, normal range 7-40): S1 20 -> 50, S2 30 -> 35, S4 45 -> 5,
S5 10 (baseline only), S6 100 -> 100; S3 has none. Every expectation below is counted by hand from these rows.
"""
from __future__ import annotations

import pandas as pd
import pytest

from sap.adapters import safety
from sap.context import AnalysisContext, assign_arms
from sap.errors import UserInputError
from sap.registry import AEOptions, AEOverviewOptions, DLTOptions, LabOptions
from sap.results import AnalysisResult, Exclusion
from sap.spec import load_plan

DL1, DL2, RP2D, PBO = "CG-BM1 1.0x10^6 cells/kg", "CG-BM1 2.0x10^6 cells/kg", "CG-BM1 (RP2D)", "Placebo"
GROUP_N = {DL1: 2, DL2: 1, RP2D: 1, PBO: 1}   # safety population by arm (DL3 has no subject in ADSL)
YEAR = 365.25


@pytest.fixture(scope="module")
def plan():
    return load_plan("cg-bm1")


def _adsl() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": [f"S{i}" for i in range(1, 7)],
        "TRT01P": ["CG-BM1 1.0x10^6 cells/kg"] * 2 + ["CG-BM1 2.0x10^6 cells/kg", "CG-BM1 RP2D", "Placebo",
                                                     "Placebo"],
        "PHASE": ["Phase 1"] * 3 + ["Phase 2"] * 3,
        "SAFFL": ["Y"] * 5 + ["N"],
        "DLTEVLFL": ["Y", "Y", "N", "N", "N", "N"],
        "TRTSDT": ["2024-01-01"] * 6,
        "TRTEDT": ["2024-01-22"] * 6,
        "EOSDT": ["2024-12-30", "2024-12-30", "2024-12-30", "2024-12-30", "2024-12-30", None],
    })


def _adae() -> pd.DataFrame:
    return pd.DataFrame({
        "USUBJID": ["S1", "S1", "S2", "S3", "S4", "S5", "S6"],
        "AEBODSYS": ["GI", "GI", "SKIN", "SKIN", "GI", "NERV", "SKIN"],
        "AEDECOD": ["Nausea", "Nausea", "Rash", "Rash", "Nausea", "Headache", "Rash"],
        "AETOXGR": [1, 3, 2, 3, 2, 1, 1],
        "AESER": ["N", "Y", "N", "N", "N", "N", "N"],
        "AEREL": ["RELATED", "NOT RELATED", "NOT RELATED", "NOT RELATED", "RELATED", "NOT RELATED", "RELATED"],
        "AEACN": ["DOSE NOT CHANGED"] * 7,
        "AEOUT": ["RECOVERED/RESOLVED"] * 7,
        "TRTEMFL": ["Y", "Y", "Y", "Y", "Y", "N", "Y"],
        "DLTFL": ["N", "Y", "N", "Y", "N", "N", "N"],
        "ASTDT": ["2024-01-05", "2024-01-10", "2024-01-10", "2024-01-03", "2024-01-20", "2023-12-20", "2024-01-02"],
    })


def _adlb() -> pd.DataFrame:
    subj = ["S1", "S1", "S2", "S2", "S4", "S4", "S5", "S6", "S6"]
    return pd.DataFrame({"USUBJID": subj, "PARAMCD": "ALT", "AVAL": [20, 50, 30, 35, 45, 5, 10, 100, 100],
                         "AVISITN": [0, 1, 0, 1, 0, 1, 0, 0, 1], "ANRLO": 7.0, "ANRHI": 40.0})


def _context(plan, adae=None, adlb=None) -> AnalysisContext:
    adsl = assign_arms(plan, _adsl())
    datasets = {"adsl": adsl, "adae": _adae() if adae is None else adae, "adlb": _adlb() if adlb is None else adlb}
    return AnalysisContext(plan=plan, datasets=datasets, adsl=adsl)


def _with_options(plan, analysis_id: str, options):
    return plan.analysis(analysis_id).model_copy(update={"options": options})


def _counts(result: AnalysisResult, statistic: str = "count") -> dict[tuple[str, str], int]:
    rows = result.rows[result.rows["statistic"] == statistic]
    return {(r.label, r.group): int(r.estimate) for r in rows.itertuples()}


# --------------------------------------------------------------------------- AE tables
def test_ae_overview_counts_exclusions_and_layout(plan):
    result = safety.ae_overview(_context(plan), plan.analysis("AE-OVW"))
    assert isinstance(result, AnalysisResult) and not hasattr(result, "tables")
    assert dict(result.group_n) == GROUP_N
    # S6's record is outside the population; S5's record is not treatment-emergent (not analysed, not excluded)
    assert result.excluded == (Exclusion("subject not in the population (1 subject)", 1, "ADAE records"),)
    assert result.records_used == 5
    assert result.extra["grade_scale"] == "ctcae"
    n, ev = _counts(result), _counts(result, "event_count")
    assert [n[("Any TEAE", g)] for g in (DL1, DL2, RP2D, PBO, "Total")] == [2, 1, 1, 0, 4]
    assert [ev[("Any TEAE", g)] for g in (DL1, DL2, RP2D, PBO, "Total")] == [3, 1, 1, 0, 5]
    assert [n[("Serious TEAE", g)] for g in (DL1, DL2, "Total")] == [1, 0, 1]
    assert [n[("Grade >= 3 TEAE", g)] for g in (DL1, DL2, RP2D, "Total")] == [1, 1, 0, 2]
    assert [n[("Related TEAE", g)] for g in (DL1, RP2D, "Total")] == [1, 1, 2]
    assert [n[("Dose-limiting toxicity", g)] for g in (DL1, DL2, "Total")] == [1, 1, 2]
    pct = result.rows[(result.rows["statistic"] == "percent") & (result.rows["label"] == "Any TEAE")]
    assert pct.set_index("group").loc["Total", "estimate"] == pytest.approx(100 * 4 / 5)
    assert pct.set_index("group").loc["Total", "n"] == 5
    assert set(result.extra["indent"].values()) == {0}


def test_ae_by_soc_pt_sorted_with_indents(plan):
    result = safety.ae_by_soc_pt(_context(plan), plan.analysis("AE-SOCPT"))
    first = result.rows.drop_duplicates("row_order").sort_values("row_order")
    # GI (S1, S4) ties SKIN (S2, S3) at 2 subjects: alphabetical
    assert first["label"].tolist() == ["Any TEAE", "GI", "Nausea", "SKIN", "Rash"]
    assert result.extra["indent"] == {0: 0, 1: 1, 2: 2, 3: 1, 4: 2}
    n = _counts(result)
    assert (n[("GI", DL1)], n[("GI", RP2D)], n[("SKIN", DL2)], n[("Rash", "Total")]) == (1, 1, 1, 2)
    assert _counts(result, "event_count")[("Nausea", DL1)] == 2


def test_ae_serious_and_max_grade(plan):
    ctx = _context(plan)
    ser = safety.ae_serious(ctx, plan.analysis("AE-SER"))
    assert _counts(ser)[("Any serious TEAE", "Total")] == 1
    assert set(ser.rows["label"]) == {"Any serious TEAE", "GI", "Nausea"}
    grade = safety.ae_by_max_grade(ctx, plan.analysis("AE-GRADE"))
    top = grade.rows[(grade.rows["statistic"] == "count") & grade.rows["soc"].isna() & (grade.rows["group"] == DL1)]
    # S1 worst grade 3, S2 worst grade 2
    assert dict(zip(top["category"], top["estimate"].astype(int))) == {
        "Any grade": 2, "Grade 1": 0, "Grade 2": 1, "Grade 3": 1, "Grade 4": 0, "Grade 5": 0}
    assert grade.extra["indent"][1] == 1   # grade rows one level below their block


def test_ae_special_interest_terms(plan):
    analysis = _with_options(plan, "AE-AESI", AEOptions(terms=("rash", "Pruritus")))
    result = safety.ae_special_interest(_context(plan), analysis)
    n = _counts(result)
    assert (n[("Any AESI", "Total")], n[("rash", DL2)], n[("rash", "Total")], n[("Pruritus", "Total")]) == (2, 1, 2, 0)
    with pytest.raises(UserInputError, match="options.terms"):
        safety.ae_special_interest(_context(plan), _with_options(plan, "AE-AESI", AEOptions()))


def test_ae_options_the_analysis_would_ignore_are_refused(plan):
    with pytest.raises(UserInputError, match=r"analyses\[AE-SOCPT\]\.options\.min_percent"):
        safety.ae_by_soc_pt(_context(plan), _with_options(plan, "AE-SOCPT", AEOptions(min_percent=5)))
    with pytest.raises(UserInputError, match=r"analyses\[AE-OVW\]\.options\.terms"):
        safety.ae_overview(_context(plan), _with_options(plan, "AE-OVW", AEOverviewOptions(terms=("Rash",))))


def test_ae_without_adae_is_a_user_error(plan):
    ctx = _context(plan)
    del ctx.datasets["adae"]
    with pytest.raises(UserInputError, match="adae"):
        safety.ae_overview(ctx, plan.analysis("AE-OVW"))


def test_ae_severity_scale_when_plan_asks_for_aesev(plan):
    adae = _adae().assign(AESEV=["MILD", "SEVERE", "MODERATE", "SEVERE", "MODERATE", "MILD", "MILD"])
    analysis = _with_options(plan, "AE-OVW", AEOverviewOptions(grade_variable="AESEV"))
    result = safety.ae_overview(_context(plan, adae=adae), analysis)
    assert result.extra["grade_scale"] == "severity"
    assert _counts(result)[("Severe TEAE", "Total")] == 2


# --------------------------------------------------------------------------- incidence rates
def test_ae_exposure_adjusted_rates_hand_computed(plan):
    """Time at risk = days from TRTSDT to the first onset (inclusive) or to EOSDT; years = days / 365.25.
    Exact Poisson upper limit for 0 events: 3.688879 (R poisson.test(0)$conf.int, tolerance 1e-6)."""
    result = safety.ae_exposure_adjusted(_context(plan), plan.analysis("AE-EAIR"))
    assert result.level == 0.95 and result.extra["observation_end"] == "EOSDT"
    assert result.extra["onset_after_end"] == 0
    r = result.rows[(result.rows["statistic"] == "incidence_rate") & (result.rows["label"] == "Any TEAE")]
    r = r.set_index("group")
    # DL1: S1 first onset Jan 5 (5 days), S2 Jan 10 (10 days)
    assert r.loc[DL1, "subject_years"] == pytest.approx(15 / YEAR, rel=1e-12)
    assert r.loc[DL1, "estimate"] == pytest.approx(100 * 2 / (15 / YEAR), rel=1e-12)
    # placebo: S5 has no treatment-emergent AE, at risk Jan 1 - Dec 30 2024 = 365 days
    assert r.loc[PBO, "subject_years"] == pytest.approx(365 / YEAR, rel=1e-12)
    assert r.loc[PBO, "estimate"] == 0 and r.loc[PBO, "ci_lower"] == 0
    assert r.loc[PBO, "ci_upper"] == pytest.approx(100 * 3.688879 / (365 / YEAR), rel=1e-6)
    socs = result.rows.loc[result.rows["statistic"] == "incidence_rate", "soc"].dropna().unique().tolist()
    assert socs == ["GI", "SKIN"]


def test_ae_exposure_adjusted_without_eosdt_uses_trtedt(plan):
    adsl = assign_arms(plan, _adsl().drop(columns="EOSDT"))
    ctx = AnalysisContext(plan=plan, datasets={"adsl": adsl, "adae": _adae()}, adsl=adsl)
    result = safety.ae_exposure_adjusted(ctx, plan.analysis("AE-EAIR"))
    assert result.extra["observation_end"] == "TRTEDT"
    r = result.rows[(result.rows["statistic"] == "incidence_rate") & (result.rows["label"] == "Any TEAE")]
    assert r.set_index("group").loc[PBO, "subject_years"] == pytest.approx(22 / YEAR, rel=1e-12)  # Jan 1-22


# --------------------------------------------------------------------------- DLT rate
def test_dlt_rate_clopper_pearson_and_exclusions(plan):
    """DL1: S1 has a DLT, S2 not -> 1/2; R binom.test(1, 2)$conf.int = 0.01257912 0.98742088 (tolerance 1e-8)."""
    result = safety.dlt_rate(_context(plan), plan.analysis("DLT-RATE"))
    assert result.level == 0.95
    assert dict(result.group_n) == {DL1: 2, DL2: 0}
    rows = result.rows.set_index("group")
    assert rows.index.tolist() == [DL1]                       # DL2 has no DLT-evaluable subject
    assert (rows.loc[DL1, "n"], rows.loc[DL1, "n_events"], rows.loc[DL1, "estimate"]) == (2, 1, 0.5)
    assert (rows.loc[DL1, "ci_lower"], rows.loc[DL1, "ci_upper"]) == pytest.approx((0.01257912, 0.98742088), abs=1e-8)
    # S3's DLT is outside the DLT-evaluable population: recorded, not dropped silently
    assert result.excluded == (Exclusion("subject not DLT-evaluable (1 subject)", 1, "DLT records"),)


def test_dlt_rate_level_and_refused_ci_method(plan):
    result = safety.dlt_rate(_context(plan), _with_options(plan, "DLT-RATE", DLTOptions(level=0.90)))
    assert result.level == 0.90
    # R binom.test(1, 2, conf.level = 0.9)$conf.int = 0.02532057 0.97467943
    assert result.rows["ci_lower"].iloc[0] == pytest.approx(0.02532057, abs=1e-8)
    with pytest.raises(UserInputError, match=r"analyses\[DLT-RATE\]\.options\.ci_method"):
        safety.dlt_rate(_context(plan), _with_options(plan, "DLT-RATE", DLTOptions(ci_method="wilson")))


# --------------------------------------------------------------------------- laboratory
def _shift_counts(result: AnalysisResult, group: str) -> dict[tuple[str, str], int]:
    r = result.rows[(result.rows["statistic"] == "count") & (result.rows["group"] == group)]
    return {(b, w): int(n) for b, w, n in zip(r["baseline"], r["worst"], r["estimate"]) if n}


def test_lab_shift_hand_computed(plan):
    result = safety.lab_shift(_context(plan), plan.analysis("LAB-SHIFT"))
    assert result.notes == ("parameters not in the data: AST, CREAT, WBC, HGB, PLAT",)
    assert dict(result.group_n) == GROUP_N
    assert _shift_counts(result, DL1) == {("NORMAL", "HIGH"): 1, ("NORMAL", "NORMAL"): 1}
    assert _shift_counts(result, DL2) == {("MISSING", "MISSING"): 1}      # S3 has no laboratory value
    assert _shift_counts(result, RP2D) == {("HIGH", "LOW"): 1}
    assert _shift_counts(result, PBO) == {("NORMAL", "MISSING"): 1}
    total = result.rows[(result.rows["statistic"] == "count") & (result.rows["group"] == "Total")]
    assert total["estimate"].sum() == 5 and set(total["n"]) == {5}          # S6 is not in the population


def test_lab_change_hand_computed(plan):
    result = safety.lab_change(_context(plan), plan.analysis("LAB-CHG"))
    r = result.rows
    chg = r[(r["label"] == "CHG") & (r["group"] == DL1) & (r["visit"] == 1)].set_index("statistic")
    assert chg.loc["mean", "estimate"] == 17.5 and chg.loc["mean", "n"] == 2      # +30, +5
    assert chg.loc["sd", "estimate"] == pytest.approx(25 / 2 ** 0.5, rel=1e-12)
    base = r[(r["label"] == "AVAL") & (r["group"] == "Total") & (r["visit"] == 0)].set_index("statistic")
    assert base.loc["median", "estimate"] == 25 and base.loc["max", "estimate"] == 45   # 20, 30, 45, 10


def test_lab_parameters_default_to_every_parameter_and_none_in_data(plan):
    adlb = pd.concat([_adlb(), _adlb().assign(PARAMCD="AST")], ignore_index=True)
    every = safety.lab_shift(_context(plan, adlb=adlb), _with_options(plan, "LAB-SHIFT", LabOptions()))
    assert every.produced and every.notes == ()
    assert sorted(every.rows["parameter"].unique()) == ["ALT", "AST"]
    none = safety.lab_change(_context(plan), _with_options(plan, "LAB-CHG", LabOptions(parameters=("CRP",))))
    assert none.not_estimable == "no laboratory data for the parameters CRP"
    assert none.rows.empty


# --------------------------------------------------------------------------- AE overview rows the plan asks for
def _overview_counts(plan, options, adae=None, adsl_extra=None):
    ctx = _context(plan, adae=adae)
    if adsl_extra:
        ctx.adsl = ctx.adsl.assign(**adsl_extra)
    result = safety.ae_overview(ctx, _with_options(plan, "AE-OVW", options))
    return _counts(result), result


def test_ae_overview_discontinuation_source_named_by_the_plan(plan):
    """Hand counts from _adsl/_adae: S2 (DL1) has AEACN DRUG WITHDRAWN on its TEAE; ADSL DSRAEFL = Y for S1 (DL1)
    and S5 (placebo). Safety population S1-S5 (issue 15: the row used AEACN even where it is blank)."""
    withdrawn = _adae().assign(AEACN=["DOSE NOT CHANGED", "DOSE NOT CHANGED", "DRUG WITHDRAWN"] + [""] * 4)
    n, res = _overview_counts(plan, AEOverviewOptions(), adae=withdrawn)
    assert (n[("TEAE leading to discontinuation", DL1)], n[("TEAE leading to discontinuation", PBO)]) == (1, 0)
    assert any("ADAE AEACN = DRUG WITHDRAWN" in t for t in res.notes)
    flag = {"DSRAEFL": ["Y", "N", "N", "N", "Y", "N"]}
    n, res = _overview_counts(plan, AEOverviewOptions(discontinuation="ADSL.DSRAEFL"), adae=withdrawn,
                              adsl_extra=flag)
    assert (n[("TEAE leading to discontinuation", DL1)], n[("TEAE leading to discontinuation", PBO)]) == (1, 1)
    assert ("TEAE leading to discontinuation", DL1) not in _counts(res, "event_count")  # subject level
    blank = _adae().assign(AEACN="")
    n, res = _overview_counts(plan, AEOverviewOptions(), adae=blank, adsl_extra=flag)   # blank AEACN -> DSRAEFL
    assert n[("TEAE leading to discontinuation", PBO)] == 1
    assert any("ADSL DSRAEFL = Y (ADAE AEACN is absent or blank)" in t for t in res.notes)
    n, res = _overview_counts(plan, AEOverviewOptions(), adae=blank)                     # neither: no row
    assert not any(k[0] == "TEAE leading to discontinuation" for k in n)
    assert any(t.startswith("No row for TEAE leading to discontinuation") for t in res.notes)
    with pytest.raises(UserInputError, match="options.discontinuation AEACN: ADAE column AEACN is absent or blank"):
        _overview_counts(plan, AEOverviewOptions(discontinuation="AEACN"), adae=blank)
    with pytest.raises(UserInputError, match="dataset adsl has no column DSRAEFL"):
        _overview_counts(plan, AEOverviewOptions(discontinuation="ADSL.DSRAEFL"))


def test_ae_overview_infusion_and_dlt_rows_only_when_the_plan_has_them(plan):
    n, _ = _overview_counts(plan, AEOverviewOptions())
    assert not any(k[0] == "Infusion reaction" for k in n)
    assert n[("Dose-limiting toxicity", DL1)] == 1        # cg-bm1 has a DLT endpoint; S1's grade-3 nausea
    n, _ = _overview_counts(plan, AEOverviewOptions(infusion_reaction_terms=("Rash",)))
    assert n[("Infusion reaction", DL1)] == 1 and n[("Infusion reaction", DL2)] == 1
    no_dlt = plan.model_copy(update={"endpoints": tuple(e for e in plan.endpoints if e.derivation != "adae_dltfl")})
    ctx = _context(no_dlt)
    result = safety.ae_overview(ctx, _with_options(no_dlt, "AE-OVW", AEOverviewOptions()))
    assert "Dose-limiting toxicity" not in set(result.rows["label"])


def test_ae_overview_discontinuation_option_is_validated():
    with pytest.raises(ValueError, match="String should match pattern"):
        AEOverviewOptions(discontinuation="DSRAEFL")
