"""MmrmFit: estimates, covariance, contrasts, LS means, type-3 tests and tidy rows of a fitted MMRM."""
from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy import stats

from ..results import tidy_frame
from .design import Design, build_design
from .inference import (compute_empirical_covariance, compute_kr_covariance, compute_kr_df,
                        compute_satterthwaite_df, compute_theta_vcov)
from .likelihood import Likelihood
from .lsmeans import lsmean_vectors


class MmrmFit:
    """A fitted MMRM (see :func:`analyses.mmrm.fit_mmrm`).

    Attributes: ``beta``, ``vcov_beta`` (the covariance used for inference: model-based,
    KR-adjusted or empirical), ``vcov_model`` (model-based (X'V^-1X)^-1), ``theta`` (SAS covariance
    parameters), ``theta_vcov``, ``loglik``, ``minus2_loglik``, ``converged``, ``optimizer``,
    ``covariance_used``, ``fallback_history``, ``n_obs``, ``n_subjects``, ``n_rows_input``,
    ``n_rows_excluded``.
    """

    def __init__(self, *, lik: Likelihood, theta, design: Design, data: pd.DataFrame, response,
                 subject, visit, group, df_method, vcov_method, reml, converged, optimizer,
                 covariance_requested, fallback_history, cov_groups, n_rows_input, subject_codes,
                 n_subjects, level=0.95):
        self.lik, self.design, self.data = lik, design, data
        self.response, self.subject, self.visit, self.group = response, subject, visit, group
        self.df_method, self.vcov_method, self.reml = df_method, vcov_method, reml
        self.converged, self.optimizer = bool(converged), optimizer
        self.covariance_requested = covariance_requested
        self.covariance_used = lik.structures[0].name
        self.fallback_history = fallback_history
        self.cov_groups = cov_groups
        self.level = level
        self.theta = np.asarray(theta, float)
        self.n_obs = lik.n
        self.n_subjects = int(n_subjects)
        self.n_rows_input = int(n_rows_input)
        self.n_rows_excluded = self.n_rows_input - self.n_obs
        self.p = design.x.shape[1]
        ev = lik.evaluate(self.theta, gradient=True, hessian=True)
        self.minus2_loglik = ev.objective
        self.loglik = -0.5 * ev.objective
        self.gradient = ev.gradient
        self.hessian = ev.hessian
        self.beta = ev.beta
        self.vcov_model = ev.phi
        self._pmat = ev.extras["P"]
        try:
            self.theta_vcov = compute_theta_vcov(ev.hessian)
        except np.linalg.LinAlgError:
            warnings.warn("singular Hessian of the covariance parameters; using a pseudo-inverse")
            self.theta_vcov = 2.0 * np.linalg.pinv(ev.hessian)
        self.vcov_beta = self.vcov_model
        if vcov_method in ("kenward_roger", "kenward_roger_linear") or \
                df_method in ("kenward_roger", "kenward_roger_linear"):
            pmat, qsum, rsum = lik.kr_terms(self.theta, self.theta_vcov)
            self._kr = {lin: compute_kr_covariance(ev.phi, pmat, qsum, rsum, self.theta_vcov, lin)
                        for lin in (False, True)}
        if vcov_method == "kenward_roger":
            self.vcov_beta = self._kr[False]
        elif vcov_method == "kenward_roger_linear":
            self.vcov_beta = self._kr[True]
        elif vcov_method == "empirical":
            scores = lik.residual_products(self.beta, self.theta)
            self.vcov_beta = compute_empirical_covariance(ev.phi, scores)
        x = design.x
        codes = np.asarray(subject_codes)
        first = np.zeros(codes.max() + 1, dtype=int)
        first[codes[::-1]] = np.arange(len(codes))[::-1]          # first row of each subject
        varies = np.any(x != x[first[codes]], axis=0)              # column changes within a subject
        between = [j for j in range(self.p) if not varies[j]]
        self._between_cols = between
        rank_b = np.linalg.matrix_rank(x[first][:, between]) if between else 0
        self._df_between = self.n_subjects - rank_b
        self._df_within = self.n_obs - self.p - self._df_between

    # ---- generic contrasts -------------------------------------------------------------------
    def contrast_df(self, lvec) -> float:
        """Denominator df of one contrast L beta by the fit's df method."""
        lvec = np.asarray(lvec, float)
        m = self.df_method
        if m == "satterthwaite":
            return compute_satterthwaite_df(lvec[None], self.vcov_model, self._pmat, self.theta_vcov)
        if m in ("kenward_roger", "kenward_roger_linear"):
            return compute_kr_df(lvec[None], self.vcov_model, self._pmat, self.theta_vcov)[0]
        if m == "residual":
            return float(self.n_obs - self.p)
        within = [j for j in range(self.p) if j not in self._between_cols]
        return float(self._df_within if np.any(np.abs(lvec[within]) > 0) else self._df_between)

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
        m = self.df_method
        if m in ("kenward_roger", "kenward_roger_linear"):
            den, lam = compute_kr_df(lmat, self.vcov_model, self._pmat, self.theta_vcov)
            fval *= lam
        elif m == "satterthwaite":
            den = compute_satterthwaite_df(lmat, self.vcov_model, self._pmat, self.theta_vcov)
        elif q == 1:
            den = self.contrast_df(lmat[0])
        else:
            den = self.contrast_df(np.abs(lmat).sum(axis=0))
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
