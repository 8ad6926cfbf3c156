"""Unit tests of the MMRM engine: structures, analytic derivatives, invariances, input checks."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analyses.mmrm import (MmrmConvergenceError, MmrmConvergenceWarning, MmrmRankDeficientError, MmrmSettings,
                           fit_mmrm)
from analyses.mmrm.fit import DF_METHODS
from analyses.mmrm.inference import DF_METHODS as DF_FUNCTIONS
from analyses.mmrm.covariance import STRUCTURES, _numeric_jacobian, make_structure
from analyses.mmrm.design import build_design, make_factors
from analyses.mmrm.likelihood import Likelihood, build_patterns


def simulate(n=60, t=4, seed=1, missing=0.2):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(t, t))
    sigma = a @ a.T + t * np.eye(t)
    rows = []
    for i in range(n):
        arm = "TRT" if i % 2 else "PBO"
        sex = "F" if rng.random() < 0.5 else "M"
        base = rng.normal(50, 5)
        e = rng.multivariate_normal(np.zeros(t), sigma)
        for v in range(t):
            y = 1.0 + 0.5 * v + (0.8 * v if arm == "TRT" else 0) + 0.3 * base + (1 if sex == "F" else 0) + e[v]
            if rng.random() < missing:
                y = np.nan
            rows.append({"id": f"S{i:03d}", "visit": f"W{v + 1}", "arm": arm, "sex": sex, "base": base, "y": y})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def sim():
    return simulate()


@pytest.mark.parametrize("name", STRUCTURES)
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_sigma_positive_definite_and_derivatives(name, seed):
    rng = np.random.default_rng(seed)
    s = make_structure(name, 5)
    phi = rng.normal(scale=1.0, size=s.n_theta())
    theta = s.theta_from_phi(phi)
    sigma, d1, d2 = s.sigma_derivs(theta)
    assert np.allclose(sigma, sigma.T)
    assert np.linalg.eigvalsh(sigma).min() > 0
    # dSigma/dtheta and d2Sigma/dtheta2 against central differences
    num1 = _numeric_jacobian(lambda th: s.sigma(th).ravel(), theta, h=1e-6).T.reshape(d1.shape)
    assert np.allclose(num1, d1, atol=1e-6 * max(1, np.abs(sigma).max()))
    num2 = _numeric_jacobian(lambda th: s.sigma_derivs(th, order=1)[1].ravel(), theta, h=1e-6)
    num2 = num2.T.reshape(len(theta), len(theta), 5, 5)
    assert np.allclose(num2, d2, atol=1e-5 * max(1, np.abs(sigma).max()))
    # phi -> theta Jacobian used by the optimiser
    assert np.allclose(s.jac_theta_phi(phi), _numeric_jacobian(s.theta_from_phi, phi), atol=1e-6)


def _likelihood(data, name, reml, by_group=False):
    used = data[data.y.notna()].reset_index(drop=True)
    f = make_factors(used, group="arm", visit="visit", covariates=("sex", "base"), visit_covariates=(),
                     references={}, reference_level="first")
    d = build_design(used, f, group="arm", visit="visit", covariates=("sex", "base"), visit_covariates=())
    subj = pd.factorize(used.id)[0]
    vis = used.visit.map({v: i for i, v in enumerate(f["visit"].levels)}).to_numpy()
    grp = used.arm.map({"PBO": 0, "TRT": 1}).to_numpy() if by_group else np.zeros(len(used), int)
    pats = build_patterns(d.x, used.y.to_numpy(), subj, vis, grp, 4)
    ngrp = 2 if by_group else 1
    return Likelihood(pats, [make_structure(name, 4) for _ in range(ngrp)], d.x.shape[1], reml)


@pytest.mark.parametrize("name", STRUCTURES)
@pytest.mark.parametrize("reml", [True, False])
def test_analytic_gradient_and_hessian_match_finite_differences(sim, name, reml):
    lik = _likelihood(sim, name, reml)
    s = lik.structures[0]
    rng = np.random.default_rng(3)
    theta = s.theta_from_phi(s.phi_from_sigma(np.cov(rng.normal(size=(4, 50))) * 10 + 5 * np.eye(4)))
    ev = lik.evaluate(theta, gradient=True, hessian=True)
    h = 1e-4 * np.maximum(1, np.abs(theta))
    g_num = np.zeros_like(theta)
    h_num = np.zeros((len(theta), len(theta)))
    for k in range(len(theta)):
        tp, tm = theta.copy(), theta.copy()
        tp[k] += h[k]
        tm[k] -= h[k]
        ep, em = lik.evaluate(tp, gradient=True), lik.evaluate(tm, gradient=True)
        g_num[k] = (ep.objective - em.objective) / (2 * h[k])
        h_num[:, k] = (ep.gradient - em.gradient) / (2 * h[k])
    np.testing.assert_allclose(ev.gradient, g_num, rtol=1e-5, atol=1e-5 * max(1, abs(ev.objective)) ** 0.5)
    np.testing.assert_allclose(ev.hessian, h_num, rtol=1e-5, atol=1e-6 * np.abs(h_num).max())


def test_gradient_by_group_covariance(sim):
    lik = _likelihood(sim, "ar1h", True, by_group=True)
    theta = np.r_[lik.structures[0].theta_from_phi(np.zeros(5)), lik.structures[1].theta_from_phi(np.full(5, 0.3))]
    ev = lik.evaluate(theta, gradient=True, hessian=True)
    h = 1e-4
    num = np.array([(lik.evaluate(theta + h * e).objective - lik.evaluate(theta - h * e).objective) / (2 * h)
                    for e in np.eye(len(theta))])
    np.testing.assert_allclose(ev.gradient, num, rtol=1e-6, atol=1e-4)


def test_row_order_invariance(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm", covariates=("sex", "base"))
    a = fit_mmrm(sim, **kw)
    b = fit_mmrm(sim.sample(frac=1.0, random_state=7), **kw)
    np.testing.assert_allclose(a.coef.estimate, b.coef.estimate, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(a.coef.se, b.coef.se, rtol=1e-6)
    np.testing.assert_allclose(a.coef.df, b.coef.df, rtol=1e-5)
    assert a.minus2_loglik == pytest.approx(b.minus2_loglik, abs=1e-8)


def test_complete_data_us_matches_closed_form():
    # complete balanced data, no covariates, ML, US: Sigma_hat is the ML residual covariance of the
    # per-arm visit means, beta_hat the OLS cell means (Anderson's MANOVA result)
    d = simulate(n=40, missing=0.0, seed=5)
    fit = fit_mmrm(d, response="y", subject="id", visit="visit", group="arm", reml=False, df="residual")
    wide = d.pivot(index="id", columns="visit", values="y")
    arm = d.groupby("id").arm.first()
    resid = wide - wide.groupby(arm).transform("mean")
    sigma_ml = resid.T @ resid / len(wide)
    np.testing.assert_allclose(fit.covariance.to_numpy(), sigma_ml.to_numpy(), rtol=1e-6)
    ls = fit.lsmeans().set_index(["group", "visit"]).estimate
    cell = d.groupby(["arm", "visit"]).y.mean()
    np.testing.assert_allclose(ls.loc[cell.index].to_numpy(), cell.to_numpy(), rtol=1e-9)


def test_missing_pattern_subject_with_one_visit_contributes(sim):
    d = sim.copy()
    # a subject seen only at W3 must be used (n_subjects counts it) and patterns grouped
    d.loc[d.id == "S000", "y"] = [np.nan, np.nan, 7.0, np.nan]
    fit = fit_mmrm(d, response="y", subject="id", visit="visit", group="arm", covariates=("sex", "base"))
    assert fit.n_obs == int(d.y.notna().sum())
    assert fit.n_rows_input == len(d) and fit.n_rows_excluded == int(d.y.isna().sum())
    assert fit.n_subjects == d.loc[d.y.notna(), "id"].nunique()
    assert sum(p.n for p in fit.lik.patterns) == fit.n_subjects
    ls = fit.lsmeans()
    assert ls.n.sum() == fit.n_obs


def test_lsmeans_equal_vs_proportional_weights(sim):
    fit = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", covariates=("sex", "base"))
    eq = fit.lsmeans("equal").estimate.to_numpy()
    pr = fit.lsmeans("proportional").estimate.to_numpy()
    used = sim[sim.y.notna()]
    share_f = (used.sex == "F").mean()
    sex_coef = fit.coef.set_index("term").estimate["sexM"]
    # equal puts weight 1/2 on M, proportional puts the observed share
    np.testing.assert_allclose(pr - eq, sex_coef * ((1 - share_f) - 0.5), rtol=1e-9)
    # differences between arms do not depend on the covariate weights (no interaction with sex)
    np.testing.assert_allclose(fit.contrasts(weights="equal").estimate, fit.contrasts(weights="proportional").estimate)


def test_reference_level_choice_changes_coefficients_not_lsmeans(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm", covariates=("sex",))
    r = fit_mmrm(sim, reference_level="first", **kw)
    s = fit_mmrm(sim, reference_level="last", **kw)
    assert "armTRT" in r.coef.term.values and "armPBO" in s.coef.term.values
    assert "visitW1" in s.coef.term.values
    np.testing.assert_allclose(r.lsmeans().estimate, s.lsmeans().estimate, rtol=1e-8)
    d1 = r.contrasts(reference="PBO").estimate.to_numpy()
    d2 = s.contrasts(reference="PBO").estimate.to_numpy()
    np.testing.assert_allclose(d1, d2, rtol=1e-7)


def test_covariance_by_group(sim):
    fit = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", covariance="cs",
                   covariance_by_group=True, df="satterthwaite")
    assert fit.covariance.shape == (8, 4)
    assert len(fit.covariance_parameters) == 4
    single = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", covariance="cs",
                      df="satterthwaite")
    assert fit.minus2_loglik <= single.minus2_loglik + 1e-8   # nested model


def test_tidy_rows_follow_results_contract(sim):
    from analyses.results import RESULT_COLUMNS
    fit = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", covariates=("base",),
                   visit_covariates=())
    tidy = fit.tidy(analysis_id="mmrm1", endpoint="Y", population="FAS")
    assert list(tidy.columns[:len(RESULT_COLUMNS)]) == list(RESULT_COLUMNS)
    assert (tidy.statistic == "lsmean").sum() == 8 and (tidy.statistic == "lsmean_difference").sum() == 4
    diff = tidy[tidy.statistic == "lsmean_difference"]
    assert (diff.comparator == "PBO").all() and (diff.ci_lower < diff.estimate).all()
    with_f = fit.tidy(include_type3=True)
    assert set(with_f.loc[with_f.statistic == "f_test", "label"]) == {"arm", "visit", "base", "arm:visit"}


def test_visit_covariate_interaction_columns(sim):
    fit = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", visit_covariates=("base",))
    terms = list(fit.coef.term)
    assert "base" in terms and "base:visitW2" in terms and "base:visitW4" in terms
    t3 = fit.type3().set_index("effect")
    assert t3.loc["base:visit", "num_df"] == 3


def test_level_seen_only_in_rows_without_response_is_not_a_model_level(sim):
    d = sim.copy()
    d.loc[d.y.isna(), "sex"] = "U"          # only in rows without a response
    fit = fit_mmrm(d, response="y", subject="id", visit="visit", group="arm", covariates=("sex",))
    assert "sexU" not in set(fit.coef.term)


def test_input_errors(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm")
    bad = sim.copy()
    bad.loc[5, "arm"] = None
    if pd.notna(bad.loc[5, "y"]):
        with pytest.raises(ValueError, match="'arm'.*rows 5"):
            fit_mmrm(bad, **kw)
    dup = pd.concat([sim, sim.iloc[[0]]], ignore_index=True)
    dup.loc[len(dup) - 1, "y"] = 1.0
    dup.loc[0, "y"] = 2.0
    with pytest.raises(ValueError, match="duplicate"):
        fit_mmrm(dup, **kw)
    with pytest.raises(ValueError, match="not in data"):
        fit_mmrm(sim, response="y", subject="id", visit="visit", group="nope")
    with pytest.raises(ValueError, match="df must be"):
        fit_mmrm(sim, df="bogus", **kw)
    with pytest.raises(ValueError, match="covariance"):
        fit_mmrm(sim, covariance="spherical", **kw)
    with pytest.raises(ValueError, match="reference"):
        fit_mmrm(sim, reference="XYZ", **kw)


def test_nonconvergence_raises_with_history_or_is_flagged_on_request(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm")
    # an optimiser chain that cannot reach the criterion (tol=-1) never converges
    hard = MmrmSettings(tol=-1.0, fallback=("cs",), optimizers=("L-BFGS-B",))
    with pytest.raises(MmrmConvergenceError, match=r"did not converge.*\(us, cs; optimizers L-BFGS-B\)") as err:
        fit_mmrm(sim, settings=hard, **kw)
    assert [h["covariance"] for h in err.value.history] == ["us", "cs"]
    assert not any(h["converged"] for h in err.value.history)
    # accept_nonconverged: warning + converged=False flag instead (the keyword shorthand of a settings field)
    with pytest.warns(MmrmConvergenceWarning):
        fit = fit_mmrm(sim, tol=-1.0, fallback=("cs",), optimizers=("L-BFGS-B",), accept_nonconverged=True, **kw)
    assert not fit.converged
    assert [h["covariance"] for h in fit.fallback_history] == ["us", "cs"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ok = fit_mmrm(sim, **kw)
    assert ok.converged and ok.covariance_used == "us" and len(ok.fallback_history) == 1


def test_settings_object_equals_keyword_shorthand_and_unknown_keyword_fails(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm")
    a = fit_mmrm(sim, settings=MmrmSettings(reference="TRT", level=0.9), **kw)
    b = fit_mmrm(sim, reference="TRT", level=0.9, **kw)
    pd.testing.assert_frame_equal(a.contrasts(), b.contrasts())
    assert (a.contrasts().comparator == "TRT").all()
    with pytest.raises(TypeError, match="nope"):
        fit_mmrm(sim, nope=1, **kw)


def test_rank_deficient_design_is_a_documented_estimation_error(sim):
    d = sim[~((sim.arm == "TRT") & (sim.visit == "W4"))]       # empty group x visit cell
    with pytest.raises(MmrmRankDeficientError, match="rank deficient"):
        fit_mmrm(d, response="y", subject="id", visit="visit", group="arm")


def test_df_dispatch_covers_every_df_method(sim):
    # one table from df-method name to function; residual df = n_obs - p (SAS DDFM=RESIDUAL)
    assert set(DF_METHODS) == set(DF_FUNCTIONS)
    fit = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", df="residual")
    assert set(fit.coef.df) == {float(fit.n_obs - fit.p)}
    bw = fit_mmrm(sim, response="y", subject="id", visit="visit", group="arm", df="between_within")
    coef = bw.coef.set_index("term").df
    # arm is constant within subject: between df = subjects - rank(between columns) = n_subjects - 2
    assert coef["armTRT"] == bw.n_subjects - 2
    assert coef["visitW2"] == bw.n_obs - bw.p - (bw.n_subjects - 2)


def test_weights_unit_and_scaled(sim):
    kw = dict(response="y", subject="id", visit="visit", group="arm", covariates=("base",))
    plain = fit_mmrm(sim, **kw)
    unit = fit_mmrm(sim.assign(w=1.0), weights="w", **kw)
    assert unit.minus2_loglik == pytest.approx(plain.minus2_loglik, abs=1e-8)
    scaled = fit_mmrm(sim.assign(w=4.0), weights="w", **kw)
    # R_i = W^-1/2 Sigma W^-1/2: Sigma_hat scales by 4, the fitted R_i, beta, SE and -2LL are unchanged
    np.testing.assert_allclose(scaled.covariance.to_numpy(), 4 * plain.covariance.to_numpy(), rtol=1e-6)
    np.testing.assert_allclose(scaled.coef.estimate, plain.coef.estimate, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(scaled.coef.se, plain.coef.se, rtol=1e-6)
    assert scaled.minus2_loglik == pytest.approx(plain.minus2_loglik, abs=1e-6)
    with pytest.raises(ValueError, match="positive"):
        fit_mmrm(sim.assign(w=0.0), weights="w", **kw)
