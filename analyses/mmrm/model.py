"""MmrmFit: estimates, covariance, contrasts, LS means, type-3 tests and tidy rows of a fitted MMRM.

:func:`compute_mmrm_fit` does the algebra at the (RE)ML optimum (GLS beta, Var(theta) from the observed
information, Kenward-Roger / empirical covariance of beta, between/within df); :class:`MmrmFit` holds the
results and answers contrast questions with the df method of :data:`analyses.mmrm.inference.DF_METHODS`.
"""
from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from ..results import tidy_frame
from .design import Design, build_design
from .inference import (DF_METHODS, compute_empirical_covariance, compute_kr_covariance,
                        compute_theta_vcov)
from .likelihood import Likelihood
from .lsmeans import lsmean_vectors
from .settings import KENWARD_ROGER


@dataclass
class MmrmFit:
    """A fitted MMRM (see :func:`analyses.mmrm.fit_mmrm`); built by :func:`compute_mmrm_fit`.

    ``beta``, ``vcov_beta`` (the covariance used for inference: model-based, KR-adjusted or empirical),
    ``vcov_model`` (model-based (X'V^-1X)^-1), ``theta`` (SAS covariance parameters), ``theta_vcov``,
    ``loglik``, ``minus2_loglik``, ``converged``, ``optimizer``, ``covariance_used``, ``fallback_history``,
    ``n_obs``, ``n_subjects``, ``n_rows_input``, ``n_rows_excluded``.
    """

    lik: Likelihood
    design: Design
    data: pd.DataFrame
    response: str
    subject: str
    visit: str
    group: str | None
    df_method: str
    vcov_method: str
    reml: bool
    converged: bool
    optimizer: str
    covariance_requested: str
    covariance_used: str
    fallback_history: list
    cov_groups: list
    level: float
    theta: np.ndarray
    n_obs: int
    n_subjects: int
    n_rows_input: int
    n_rows_excluded: int
    p: int
    minus2_loglik: float
    loglik: float
    gradient: np.ndarray
    hessian: np.ndarray
    beta: np.ndarray
    vcov_model: np.ndarray
    vcov_beta: np.ndarray
    theta_vcov: np.ndarray
    #: P_k = -X'V^-1 V_k V^-1 X (k, p, p), the derivative terms of Satterthwaite / Kenward-Roger
    pmat: np.ndarray
    #: design columns constant within every subject (SAS DDFM=BW "between" columns)
    between_columns: tuple
    df_between: float
    df_within: float

    # ---- generic contrasts -------------------------------------------------------------------
    def contrast_df(self, lvec) -> float:
        """Denominator df of one contrast L beta by the fit's df method."""
        return DF_METHODS[self.df_method](self, np.asarray(lvec, float)[None])[0]

    def estimate(self, lvec, level=None) -> dict:
        """Estimate, se, df, t, p and CI of L beta (L a coefficient vector)."""
        level = self.level if level is None else level
        lvec = np.asarray(lvec, float)
        est = float(lvec @ self.beta)
        se = float(np.sqrt(lvec @ self.vcov_beta @ lvec))
        dfv = self.contrast_df(lvec)
        tval = est / se if se > 0 else np.nan
        pval = float(2 * stats.t.sf(abs(tval), dfv)) if np.isfinite(dfv) else float(2 * stats.norm.sf(abs(tval)))
        q = stats.t.ppf(0.5 + level / 2, dfv) if np.isfinite(dfv) else stats.norm.ppf(0.5 + level / 2)
        return {"estimate": est, "se": se, "df": float(dfv), "t_value": tval, "p_value": pval,
                "ci_lower": est - q * se, "ci_upper": est + q * se}

    def f_test(self, lmat) -> dict:
        """F test of L beta = 0 (rows of L): F, num_df, den_df, p_value (KR scaled by lambda)."""
        lmat = np.atleast_2d(np.asarray(lmat, float))
        q = np.linalg.matrix_rank(lmat)
        if q < lmat.shape[0]:
            u, s, vt = np.linalg.svd(lmat, full_matrices=False)
            lmat = vt[:q] * s[:q, None]
        lb = lmat @ self.beta
        fval = float(lb @ np.linalg.solve(lmat @ self.vcov_beta @ lmat.T, lb) / q)
        den, scale = DF_METHODS[self.df_method](self, lmat)
        fval *= scale
        pval = float(stats.f.sf(fval, q, den)) if np.isfinite(den) else float(stats.chi2.sf(fval * q, q))
        return {"F": fval, "num_df": int(q), "den_df": float(den), "p_value": pval}

    # ---- tables -----------------------------------------------------------------------------
    @property
    def coef(self) -> pd.DataFrame:
        """Fixed effects: term, estimate, se, df, t_value, p_value, ci_lower, ci_upper."""
        rows = []
        for j, name in enumerate(self.design.columns):
            lvec = np.zeros(self.p)
            lvec[j] = 1.0
            rows.append({"term": name, **self.estimate(lvec)})
        return pd.DataFrame(rows)

    @property
    def covariance(self) -> pd.DataFrame:
        """Estimated visit x visit covariance (rows indexed by (group, visit) when by group)."""
        levels = self.design.visit.levels
        sig = self.lik.sigmas(self.theta)
        if len(sig) == 1:
            return pd.DataFrame(sig[0][0], index=levels, columns=levels)
        frames = {g: pd.DataFrame(s[0], index=levels, columns=levels) for g, s in zip(self.cov_groups, sig)}
        return pd.concat(frames, names=[self.group, self.visit])

    @property
    def covariance_parameters(self) -> pd.DataFrame:
        """SAS-named covariance parameters with their asymptotic standard errors."""
        names = []
        for g, s in zip(self.cov_groups, self.lik.structures):
            names += [n if g is None else f"{n} {self.group}={g}" for n in s.theta_names()]
        se = np.sqrt(np.clip(np.diag(self.theta_vcov), 0, None))
        return pd.DataFrame({"parameter": names, "estimate": self.theta, "se": se})

    def _counts(self) -> pd.Series:
        keys = [self.group, self.visit] if self.group is not None else [self.visit]
        return self.data.groupby(keys)[self.subject].nunique()

    def lsmeans(self, weights: str = "equal", level=None) -> pd.DataFrame:
        """LS means per group and visit: group, visit, estimate, se, df, ci_lower, ci_upper, p_value, n."""
        counts = self._counts()
        rows = []
        for item in lsmean_vectors(self.design, self.data, weights):
            key = (item["group"], item["visit"]) if self.group is not None else item["visit"]
            rows.append({"group": item["group"], "visit": item["visit"], **self.estimate(item["L"], level),
                         "n": int(counts.get(key, 0))})
        return pd.DataFrame(rows)

    def contrasts(self, reference=None, weights: str = "equal", level=None) -> pd.DataFrame:
        """Differences of LS means, each group minus ``reference`` (default: the coding reference),
        per visit: group, comparator, visit, estimate, se, df, ci_lower, ci_upper, p_value."""
        if self.group is None:
            raise ValueError("contrasts need a group")
        gfac = self.design.group
        reference = gfac.reference if reference is None else reference
        if reference not in gfac.levels:
            raise ValueError(f"reference {reference!r} is not a level of {self.group!r}: {gfac.levels}")
        vecs = {(i["group"], i["visit"]): i["L"] for i in lsmean_vectors(self.design, self.data, weights)}
        counts = self._counts()
        rows = []
        for g in gfac.levels:
            if g == reference:
                continue
            for v in self.design.visit.levels:
                res = self.estimate(vecs[(g, v)] - vecs[(reference, v)], level)
                rows.append({"group": g, "comparator": reference, "visit": v, **res,
                             "n": int(counts.get((g, v), 0)), "n_comparator": int(counts.get((reference, v), 0))})
        return pd.DataFrame(rows)

    def type3(self) -> pd.DataFrame:
        """Type-3 F tests per model effect, as SAS: each effect's hypothesis is "every non-reference
        level minus the reference level" (interactions: products of such differences) with equal
        weights over the other factors and continuous covariates at 0. The Satterthwaite df for
        q > 1 (Fai-Cornelius eigen rule) depends on this choice of rows, so it follows SAS's."""
        d = self.design
        xs = build_design(self.data, d.factors, group=self.group, visit=self.visit,
                          covariates=d.covariates, visit_covariates=d.visit_covariates, coding="sum",
                          visit_effect=d.visit_effect, group_by_visit=d.group_by_visit).x
        tmat = np.linalg.lstsq(d.x, xs, rcond=None)[0]       # X_sum = X_trt T
        tinv = np.linalg.inv(tmat)                             # beta_sum = T^-1 beta_trt
        def to_reference_differences(fac):
            # sum-coded effects beta_k = m_k - mean(m); m_k - m_ref = beta_k + sum_j beta_j
            k = len(fac.non_reference)
            return np.eye(k) + np.ones((k, k))

        rows = []
        start = 0
        for term in d.terms:
            k = len(term.columns)
            if term.kind != "intercept" and k:
                amat = np.ones((1, 1))
                if term.kind in ("group", "group:visit"):
                    amat = to_reference_differences(d.group)
                elif term.kind == "visit":
                    amat = to_reference_differences(d.visit)
                elif term.variable in d.factors:
                    amat = to_reference_differences(d.factors[term.variable])
                if term.kind.endswith(":visit"):
                    amat = np.kron(amat, to_reference_differences(d.visit))
                lmat = amat @ tinv[start:start + k]
                rows.append({"effect": term.label, **self.f_test(lmat)})
            start += k
        return pd.DataFrame(rows)

    def tidy(self, analysis_id=None, endpoint=None, population=None, weights: str = "equal",
             reference=None, level=None, include_type3: bool = False) -> pd.DataFrame:
        """Result rows (analyses/results.py): lsmean per group/visit, lsmean_difference vs
        reference; with ``include_type3`` also one f_test row per model effect (label = effect)."""
        level = self.level if level is None else level
        method = (f"MMRM {self.covariance_used.upper()} {'REML' if self.reml else 'ML'}, "
                  f"df={self.df_method}, vcov={self.vcov_method}")
        common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
                  "method": method, "level": level, "converged": self.converged}
        rows = []
        for r in self.lsmeans(weights, level).to_dict("records"):
            rows.append({**common, "statistic": "lsmean", "visit": r["visit"], "group": r["group"],
                         "estimate": r["estimate"], "se": r["se"], "ci_lower": r["ci_lower"],
                         "ci_upper": r["ci_upper"], "df": r["df"], "p_value": r["p_value"], "n": r["n"]})
        if self.group is not None:
            for r in self.contrasts(reference, weights, level).to_dict("records"):
                rows.append({**common, "statistic": "lsmean_difference", "visit": r["visit"],
                             "group": r["group"], "comparator": r["comparator"], "estimate": r["estimate"],
                             "se": r["se"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"],
                             "df": r["df"], "p_value": r["p_value"], "n": r["n"],
                             "n_comparator": r["n_comparator"]})
        if include_type3:
            for r in self.type3().to_dict("records"):
                rows.append({**common, "statistic": "f_test", "estimate": r["F"], "df": r["den_df"],
                             "p_value": r["p_value"], "n": self.n_subjects, "label": r["effect"],
                             "num_df": r["num_df"]})
        return tidy_frame(rows)


def compute_mmrm_fit(*, lik: Likelihood, theta, design: Design, data: pd.DataFrame, response, subject, visit,
                     group, df_method, vcov_method, reml, converged, optimizer, covariance_requested,
                     fallback_history, cov_groups, n_rows_input, subject_codes, n_subjects,
                     level=0.95) -> MmrmFit:
    """The fit at covariance parameters ``theta``: GLS beta, Var(theta) = 2 H^-1 (pseudo-inverse, with a
    warning, if H is singular), the covariance of beta for ``vcov_method`` and the between/within df."""
    theta = np.asarray(theta, float)
    ev = lik.evaluate(theta, gradient=True, hessian=True)
    try:
        theta_vcov = compute_theta_vcov(ev.hessian)
    except np.linalg.LinAlgError:
        warnings.warn("singular Hessian of the covariance parameters; using a pseudo-inverse")
        theta_vcov = 2.0 * np.linalg.pinv(ev.hessian)
    vcov_beta = _compute_vcov_beta(lik, ev, theta, theta_vcov, vcov_method)
    x, p = design.x, design.x.shape[1]
    codes = np.asarray(subject_codes)
    first = np.zeros(codes.max() + 1, dtype=int)
    first[codes[::-1]] = np.arange(len(codes))[::-1]          # first row of each subject
    varies = np.any(x != x[first[codes]], axis=0)              # column changes within a subject
    between = tuple(j for j in range(p) if not varies[j])
    rank_b = np.linalg.matrix_rank(x[first][:, list(between)]) if between else 0
    df_between = int(n_subjects) - rank_b
    return MmrmFit(lik=lik, design=design, data=data, response=response, subject=subject, visit=visit,
                   group=group, df_method=df_method, vcov_method=vcov_method, reml=reml,
                   converged=bool(converged), optimizer=optimizer, covariance_requested=covariance_requested,
                   covariance_used=lik.structures[0].name, fallback_history=fallback_history,
                   cov_groups=cov_groups, level=level, theta=theta, n_obs=lik.n, n_subjects=int(n_subjects),
                   n_rows_input=int(n_rows_input), n_rows_excluded=int(n_rows_input) - lik.n, p=p,
                   minus2_loglik=ev.objective, loglik=-0.5 * ev.objective, gradient=ev.gradient,
                   hessian=ev.hessian, beta=ev.beta, vcov_model=ev.phi, vcov_beta=vcov_beta,
                   theta_vcov=theta_vcov, pmat=ev.extras["P"], between_columns=between,
                   df_between=df_between, df_within=lik.n - p - df_between)


def _compute_vcov_beta(lik: Likelihood, ev, theta, theta_vcov, vcov_method: str) -> np.ndarray:
    """Covariance of beta: model-based Phi, Kenward-Roger Phi_A (KR or KR-linear) or the sandwich."""
    if vcov_method in KENWARD_ROGER:
        pmat, qsum, rsum = lik.kr_terms(theta, theta_vcov)
        return compute_kr_covariance(ev.phi, pmat, qsum, rsum, theta_vcov, vcov_method == "kenward_roger_linear")
    if vcov_method == "empirical":
        return compute_empirical_covariance(ev.phi, lik.residual_products(ev.beta, theta))
    return ev.phi
