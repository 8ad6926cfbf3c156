"""CDISC pilot MMRM (CSR Table 14-3.11 model) vs R nlme::gls + emmeans.

Reference: tests/validation/r/mmrm_cdisc_nlme.json made by tests/validation/r/mmrm_cdisc_nlme.R
(R 4.2.2, nlme 3.1.162, emmeans 1.8.4; gls with corSymm + varIdent = unstructured covariance, REML).
Model: CHG ~ TRTP*AVISIT + SITEGR1 + BASE*AVISIT; ACTOT, weeks 8/16/24, DTYPE != LOCF, ANL01FL=Y, EFFFL=Y.
Tolerances: -2 REML log L 1e-4 absolute; coefficients 1e-4 x SE; model-based SE and covariance
1e-4 relative (both optimisers stop within that of the optimum); LS means/differences 1e-4 x SE;
emmeans "appx-satterthwaite" df (numerical derivatives of nlme's apVar) 2% relative.
No outside Kenward-Roger source exists for this model (pbkrtest handles lmer only, SAS not
available): the KR fit is checked for internal consistency only (same estimates, KR SE >= model SE).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from analyses.mmrm import fit_mmrm

REF = json.loads((Path(__file__).resolve().parent / "r" / "mmrm_cdisc_nlme.json").read_text())
VISITS = ["Week 8", "Week 16", "Week 24"]
ARMS = ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]


@pytest.fixture(scope="module")
def adas(cdiscpilot_dir):
    df, _ = pyreadstat.read_xport(str(cdiscpilot_dir / "adam_converted" / "adqsadas.xpt"), encoding="windows-1252")
    for c in df.columns:
        if df[c].dtype == object:
            df[c] = df[c].map(lambda x: x.strip() if isinstance(x, str) else x)
    sel = ((df.PARAMCD == "ACTOT") & df.AVISIT.isin(VISITS) & (df.DTYPE != "LOCF") & (df.ANL01FL == "Y")
           & (df.EFFFL == "Y"))
    return df.loc[sel].reset_index(drop=True)


def _fit(adas, df):
    return fit_mmrm(adas, response="CHG", subject="USUBJID", visit="AVISIT", group="TRTP",
                    covariates=("SITEGR1",), visit_covariates=("BASE",), covariance="us", df=df,
                    visit_levels=VISITS, group_levels=ARMS, reference="Placebo")


@pytest.fixture(scope="module")
def sat(adas):
    return _fit(adas, "satterthwaite")


def _r_name(term: str) -> str:
    # our names: TRTPXanomeline High Dose:AVISITWeek 16, BASE:AVISITWeek 16 -> R: AVISITWeek 16:BASE
    if term.startswith("BASE:"):
        return term.split(":")[1] + ":BASE"
    return term


def test_fit_matches_nlme(sat):
    assert sat.converged and sat.n_obs == REF["n_obs"] and sat.n_subjects == REF["n_subjects"]
    assert sat.minus2_loglik == pytest.approx(REF["minus2_reml_loglik"], abs=1e-4)
    np.testing.assert_allclose(sat.covariance.to_numpy(), np.array(REF["covariance"]), rtol=1e-4)
    coef = sat.coef.set_index("term")
    assert len(coef) == len(REF["coef"])
    for term, row in coef.iterrows():
        name = _r_name(term)
        assert row.estimate == pytest.approx(REF["coef"][name], abs=1e-4 * REF["se"][name]), term
        assert row.se == pytest.approx(REF["se"][name], rel=1e-4), term


def test_lsmeans_and_differences_match_emmeans(sat):
    ls = sat.lsmeans().set_index(["group", "visit"])
    for item in REF["lsmeans"]:
        row = ls.loc[(item["group"], item["visit"])]
        assert row.estimate == pytest.approx(item["estimate"], abs=1e-4 * item["se"])
        assert row.se == pytest.approx(item["se"], rel=1e-4)
        assert row.df == pytest.approx(item["df"], rel=0.02)
    diffs = sat.contrasts(reference="Placebo").set_index(["group", "visit"])
    for item in REF["differences"]:
        group = item["contrast"].split(" - ")[0].strip("()")
        row = diffs.loc[(group, item["visit"])]
        assert row.estimate == pytest.approx(item["estimate"], abs=1e-4 * item["se"])
        assert row.se == pytest.approx(item["se"], rel=1e-4)
        assert row.df == pytest.approx(item["df"], rel=0.02)
        assert row.p_value == pytest.approx(item["p_value"], rel=0.02, abs=1e-4)


def test_kenward_roger_internal_consistency(adas, sat):
    kr = _fit(adas, "kenward_roger")
    np.testing.assert_allclose(kr.coef.estimate, sat.coef.estimate, rtol=1e-10)
    assert (kr.coef.se >= sat.coef.se - 1e-12).all()
    d = kr.contrasts()
    assert np.isfinite(d.df).all() and (d.df > 100).all()
    tidy = kr.tidy(analysis_id="T14-3.11", endpoint="ACTOT", population="EFF")
    assert len(tidy) == 9 + 6
