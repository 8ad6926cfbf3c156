"""Adapters of the mixed-model family (sap.adapters.mixed) on a hand-made six-subject ADEFF for the shipped
msc-etanercept plan (arms MSC and Etanercept, the reference; visits Week 12 and Week 48).

BASDAI change from baseline (CHG) by subject, week 12 / week 48:
    MSC:        M1 1, 2   M2 3, 5   M3 2, 2      cell means 2, 3
    Etanercept: E1 0, 1   E2 2, 2   E3 1, 3      cell means 1, 2
E4 (Etanercept, in the FAS) has no post-baseline value (2 records excluded). Residuals from the cell means give
the within-arm SSCP [[4, 4], [4, 8]]; with complete data and a saturated mean model the REML unstructured
covariance is SSCP / (N - 2) = [[1, 1], [1, 2]] (Anderson's multivariate linear model), so an LS mean is the cell
mean with SE sqrt(Sigma_vv / 3) and a difference has SE sqrt(2 Sigma_vv / 3); residual df = 12 - 4 = 8 (SAS
DDFM=RESIDUAL). These hand values are the expectations below (tolerance 1e-6: the optimiser's convergence).
"""
from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.mmrm import MmrmConvergenceError, MmrmConvergenceWarning
from sap.adapters import mixed
from sap.context import BLINDED_GROUP, AnalysisContext, assign_arms
from sap.errors import UserInputError
from sap.registry import MMRMOptions
from sap.results import AnalysisResult, Exclusion
from sap.spec import Analysis, load_plan

MSC, ETN = "MSC 1.0x10^6 cells/kg", "Etanercept"
CHG = {"M1": (1, 2), "M2": (3, 5), "M3": (2, 2), "E1": (0, 1), "E2": (2, 2), "E3": (1, 3), "E4": (None, None)}
TOL = 1e-6


@pytest.fixture(scope="module")
def plan():
    return load_plan("msc-etanercept")


def _adsl(blinded: bool = False) -> pd.DataFrame:
    ids = list(CHG)
    trt = ["BLINDED" if blinded else ("MSC" if s.startswith("M") else "Etanercept") for s in ids]
    return pd.DataFrame({"USUBJID": ids, "TRT01P": trt, "FASFL": "Y", "SAFFL": "Y",
                         "SEX": ["F", "M", "F", "M", "F", "M", "F"]})


def _adeff(chg=CHG) -> pd.DataFrame:
    rows = []
    for s, values in chg.items():
        rows.append({"USUBJID": s, "PARAMCD": "BASDAI", "AVISITN": 0.0, "ANL01FL": "Y", "AVAL": 5.0, "BASE": 5.0,
                     "CHG": np.nan})
        for v, c in zip((12.0, 48.0), values):
            rows.append({"USUBJID": s, "PARAMCD": "BASDAI", "AVISITN": v, "ANL01FL": "Y",
                         "AVAL": np.nan if c is None else 5.0 + c, "BASE": 5.0, "CHG": np.nan if c is None else c})
    return pd.DataFrame(rows)


def _context(plan, adeff=None, blinded=False) -> AnalysisContext:
    adsl = assign_arms(plan, _adsl(blinded), blinded=blinded)
    return AnalysisContext(plan=plan, datasets={"adsl": adsl}, adsl=adsl,
                           derived={"adeff": _adeff() if adeff is None else adeff}, blinded=blinded)


def _mmrm(plan, **options) -> Analysis:
    base = dict(visit_covariates=(), df="residual")
    base.update(options)
    return plan.analysis("BASDAI-MMRM").model_copy(update={"options": MMRMOptions(**base)})


def _rows(result, statistic):
    return result.rows[result.rows["statistic"] == statistic].set_index(["group", "visit"])


def test_mmrm_lsmeans_and_differences_by_hand(plan):
    result = mixed.mmrm(_context(plan), _mmrm(plan))
    assert isinstance(result, AnalysisResult) and result.produced and result.converged is True
    assert dict(result.group_n) == {MSC: 3, ETN: 4} and result.reference == ETN and result.level == 0.95
    lsm = _rows(result, "lsmean")
    for (g, v), mean, var in [((MSC, 12.0), 2, 1), ((MSC, 48.0), 3, 2), ((ETN, 12.0), 1, 1), ((ETN, 48.0), 2, 2)]:
        assert lsm.loc[(g, v), "estimate"] == pytest.approx(mean, abs=TOL)
        assert lsm.loc[(g, v), "se"] == pytest.approx(math.sqrt(var / 3), abs=TOL)
        assert lsm.loc[(g, v), "n"] == 3
    dif = _rows(result, "lsmean_difference")
    t975 = stats.t.ppf(0.975, 8)
    for v, var in ((12.0, 1), (48.0, 2)):
        r = dif.loc[(MSC, v)]
        se = math.sqrt(2 * var / 3)
        assert r["comparator"] == ETN and r["df"] == 8
        assert r["estimate"] == pytest.approx(1.0, abs=TOL) and r["se"] == pytest.approx(se, abs=TOL)
        assert r["ci_lower"] == pytest.approx(1 - t975 * se, abs=TOL)
        assert r["p_value"] == pytest.approx(2 * stats.t.sf(1 / se, 8), abs=TOL)
    assert set(result.rows["value"]) == {"CHG"}
    assert result.records_used == 12
    assert result.excluded == (Exclusion("missing value of CHG", 2, "subject-visit records"),)
    assert result.extra["covariance_used"] == "us" and result.extra["grouped"] is True
    assert result.extra["fallback_history"] == [{"covariance": "us", "converged": True}]
    assert result.extra["df_method"] == "residual" and result.extra["vcov_method"] == "model"
    assert result.warnings == ()


def test_mmrm_lsmeans_figure_frame(plan):
    frame = mixed.mmrm(_context(plan), _mmrm(plan)).frames["lsmeans"]
    assert list(frame.columns) == ["group", "visit", "visit_label", "estimate", "ci_lower", "ci_upper"]
    assert frame["visit_label"].tolist() == ["Week 12", "Week 48"] * 2
    assert frame.loc[(frame.group == ETN) & (frame.visit == 48.0), "estimate"].iloc[0] == pytest.approx(2, abs=TOL)


def test_mmrm_level_090_intervals(plan):
    result = mixed.mmrm(_context(plan), _mmrm(plan, level=0.90))
    r = _rows(result, "lsmean_difference").loc[(MSC, 12.0)]
    assert result.level == 0.90 and set(result.rows["level"]) == {0.90}
    assert r["ci_upper"] == pytest.approx(1 + stats.t.ppf(0.95, 8) * math.sqrt(2 / 3), abs=TOL)


def test_mmrm_blinded_pools_the_arms(plan):
    result = mixed.mmrm(_context(plan, blinded=True), _mmrm(plan))
    assert dict(result.group_n) == {BLINDED_GROUP: 7}
    assert result.extra["grouped"] is False and result.extra["population_n"] == 7 and result.reference is None
    lsm = result.rows[result.rows["statistic"] == "lsmean"].set_index("visit")
    assert lsm["group"].isna().all() and not (result.rows["statistic"] == "lsmean_difference").any()
    assert lsm.loc[12.0, "estimate"] == pytest.approx(9 / 6, abs=TOL)       # (1+3+2+0+2+1) / 6
    assert lsm.loc[48.0, "estimate"] == pytest.approx(15 / 6, abs=TOL)      # (2+5+2+1+2+3) / 6
    assert set(result.frames["lsmeans"]["group"]) == {"All subjects"}


def test_mmrm_too_few_subjects_in_an_arm_at_a_visit_is_not_estimable(plan):
    chg = dict(CHG, E2=(2, None), E3=(1, None))          # Etanercept at week 48: E1 only
    result = mixed.mmrm(_context(plan, _adeff(chg)), _mmrm(plan))
    assert result.not_estimable == "fewer than 2 subjects in arm Etanercept at Week 48 (1)"
    assert result.rows.empty and dict(result.group_n) == {MSC: 3, ETN: 4}
    assert result.excluded[0].n == 4


def test_mmrm_missing_value_column_is_not_estimable(plan):
    result = mixed.mmrm(_context(plan, _adeff().drop(columns="CHG")), _mmrm(plan))
    assert result.not_estimable == "column CHG is not in dataset adeff"


def test_mmrm_plan_covariate_absent_is_a_user_error_naming_dataset_and_column(plan):
    with pytest.raises(UserInputError, match=r"options\.covariates names 'STRAT9', which is not a column of dataset "
                                             r"adeff or adsl"):
        mixed.mmrm(_context(plan), _mmrm(plan, covariates=("STRAT9",)))
    with pytest.raises(UserInputError, match=r"options\.visit_covariates names 'BASE2'"):
        mixed.mmrm(_context(plan), _mmrm(plan, visit_covariates=("BASE2",)))


def test_mmrm_covariate_from_adsl_is_merged(plan):
    result = mixed.mmrm(_context(plan), _mmrm(plan, covariates=("SEX",)))
    assert result.produced and result.excluded[0].reason == "missing value of CHG or SEX"


def test_mmrm_two_records_at_one_visit_is_a_user_error(plan):
    adeff = _adeff()
    adeff = pd.concat([adeff, adeff[(adeff.USUBJID == "M1") & (adeff.AVISITN == 12.0)]], ignore_index=True)
    with pytest.raises(UserInputError, match=r"dataset adeff: 2 analysed records share a USUBJID and AVISITN .*M1"):
        mixed.mmrm(_context(plan, adeff), _mmrm(plan))


def test_mmrm_documented_convergence_failure_is_recorded_with_warnings(plan, monkeypatch):
    def no_convergence(*args, **kwargs):
        warnings.warn("optimizer stopped at the iteration limit", RuntimeWarning)
        raise MmrmConvergenceError("MMRM did not converge with any covariance structure tried (us, cs)")
    monkeypatch.setattr(mixed, "fit_mmrm", no_convergence)
    result = mixed.mmrm(_context(plan), _mmrm(plan))
    assert result.not_estimable == "MMRM did not converge with any covariance structure tried (us, cs)"
    assert result.warnings == ("optimizer stopped at the iteration limit",)


@pytest.mark.parametrize("error", [np.linalg.LinAlgError("singular"), ValueError("a bug"), KeyError("x")])
def test_mmrm_any_other_exception_propagates(plan, monkeypatch, error):
    def broken(*args, **kwargs):
        raise error
    monkeypatch.setattr(mixed, "fit_mmrm", broken)
    with pytest.raises(type(error)):
        mixed.mmrm(_context(plan), _mmrm(plan))


def test_mmrm_fit_warnings_are_recorded(plan, monkeypatch):
    real = mixed.fit_mmrm

    def warning_fit(*args, **kwargs):
        warnings.warn("MMRM with covariance 'us' failed; fell back to 'toeph'", MmrmConvergenceWarning)
        return real(*args, **kwargs)
    monkeypatch.setattr(mixed, "fit_mmrm", warning_fit)
    result = mixed.mmrm(_context(plan), _mmrm(plan))
    assert result.produced and result.warnings == ("MMRM with covariance 'us' failed; fell back to 'toeph'",)


# --------------------------------------------------------------------------- ANCOVA
def _ancova(**options) -> Analysis:
    base = {"value": "CHG", "visit": 12, "covariates": []}
    base.update(options)
    return Analysis.model_validate({"id": "BASDAI-ANCOVA", "title": "BASDAI ANCOVA at week 12", "method": "ancova",
                                    "endpoint": "BASDAI", "population": "FAS", "options": base})


def test_ancova_without_covariates_is_the_two_sample_t_comparison(plan):
    # week 12: MSC 1, 3, 2 (mean 2), Etanercept 0, 2, 1 (mean 1); pooled variance (2 + 2) / 4 = 1, df 4
    result = mixed.ancova(_context(plan), _ancova())
    assert result.reference == ETN and result.level == 0.95 and result.records_used == 6
    lsm = result.rows[result.rows["statistic"] == "lsmean"].set_index("group")
    assert lsm.loc[MSC, "estimate"] == pytest.approx(2) and lsm.loc[ETN, "estimate"] == pytest.approx(1)
    assert lsm.loc[MSC, "se"] == pytest.approx(math.sqrt(1 / 3))
    d = result.rows[result.rows["statistic"] == "lsmean_difference"].iloc[0]
    se = math.sqrt(1 / 3 + 1 / 3)
    assert d["estimate"] == pytest.approx(1) and d["se"] == pytest.approx(se) and d["df"] == 4
    assert d["p_value"] == pytest.approx(stats.ttest_ind([1, 3, 2], [0, 2, 1]).pvalue, rel=1e-9)
    assert result.excluded == (Exclusion("missing value of CHG", 1, "records"),)


def test_ancova_blinded_is_withheld_and_single_arm_not_estimable(plan):
    assert mixed.ancova(_context(plan, blinded=True), _ancova()).withheld
    only_msc = _adeff({k: v for k, v in CHG.items() if k.startswith("M")})
    assert mixed.ancova(_context(plan, only_msc), _ancova()).not_estimable == "fewer than 2 treatment groups with data"


def test_ancova_dose_variable_must_be_constant_within_arm(plan):
    ctx = _context(plan)
    ctx.adsl["DOSE"] = [1.0, 1.0, 2.0, 0.0, 0.0, 0.0, 0.0]     # varies within MSC
    with pytest.raises(UserInputError, match=r"options\.dose_response_variable 'DOSE' is not constant within arm "
                                             + MSC.replace("^", r"\^")):
        mixed.ancova(ctx, _ancova(dose_response_variable="DOSE"))
    with pytest.raises(UserInputError, match=r"options\.covariates names 'NOPE'"):
        mixed.ancova(ctx, _ancova(covariates=["NOPE"]))


def test_ancova_default_visit_is_the_endpoints_last_visit(plan):
    # week 48: MSC 2, 5, 2 (mean 3), Etanercept 1, 2, 3 (mean 2)
    result = mixed.ancova(_context(plan), _ancova(visit=None))
    lsm = result.rows[result.rows["statistic"] == "lsmean"].set_index("group")
    assert set(result.rows["visit"]) == {48.0}
    assert lsm.loc[MSC, "estimate"] == pytest.approx(3) and lsm.loc[ETN, "estimate"] == pytest.approx(2)


def test_ancova_two_records_of_a_subject_at_the_visit_is_a_user_error(plan):
    adeff = _adeff()
    adeff = pd.concat([adeff, adeff[(adeff.USUBJID == "E1") & (adeff.AVISITN == 12.0)]], ignore_index=True)
    with pytest.raises(UserInputError, match=r"2 analysed records share a USUBJID and AVISITN .*E1 at AVISITN 12"):
        mixed.ancova(_context(plan, adeff), _ancova())
