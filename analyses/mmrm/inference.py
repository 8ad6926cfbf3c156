"""Degrees of freedom and coefficient covariances for MMRM contrasts.

Hand-written (no Python library implements these for an MMRM). W = Var(theta_hat) is the inverse
observed information, 2 H^-1 with H the Hessian of -2 log L in the SAS covariance parameters.

* Satterthwaite (SAS DDFM=SATTERTHWAITE; Fai & Cornelius 1996): for one contrast l,
  df = 2 (l'Phi l)^2 / (g' W g), g_k = d(l'Phi l)/d theta_k = -l' Phi P_k Phi l.
  For q > 1 rows SAS's eigen-decomposition rule: nu_m per eigen-direction of L Phi L',
  E = sum nu_m / (nu_m - 2), df = 2E / (E - q).
* Kenward-Roger (Kenward & Roger 1997; SAS DDFM=KR, R pbkrtest / mmrm):
  Phi_A = Phi + 2 Phi [sum_kl W_kl (Q_kl - P_k Phi P_l - R_kl / 4)] Phi;
  KR(LINEAR) (SAS DDFM=KR(LINEAR), mmrm "Kenward-Roger-Linear") drops R_kl.
  df m and scale lambda from A1, A2 (computed with the unadjusted Phi, as in the paper).
* Empirical sandwich (SAS EMPIRICAL, Liang & Zeger 1986): Phi (sum_i X_i' S_i^-1 r_i r_i' S_i^-1 X_i) Phi.
* Residual: n - rank(X) (SAS DDFM=RESIDUAL); between-within (SAS DDFM=BW).

:data:`DF_METHODS` is the one dispatch from a df-method name to its function ``(fit, lmat) -> (df, scale)``
(``scale`` multiplies the F statistic: Kenward-Roger's lambda, 1 otherwise); ``fit`` is an
:class:`analyses.mmrm.model.MmrmFit`.
"""
from __future__ import annotations

import numpy as np


def compute_theta_vcov(hessian: np.ndarray) -> np.ndarray:
    """Var(theta_hat) = 2 H^-1 for H the Hessian of -2 log L (inverse observed information)."""
    return 2.0 * np.linalg.inv(hessian)


def compute_kr_covariance(phi, pmat, qsum, rsum, w, linear: bool) -> np.ndarray:
    """Kenward-Roger adjusted covariance of beta_hat, Phi_A."""
    zmat = np.tensordot(w, phi @ pmat, axes=1)              # sum_l W_kl Phi P_l
    ppp = np.einsum("kab,kbc->ac", pmat, zmat)
    inner = qsum - ppp - (0.0 if linear else 0.25 * rsum)
    phi_a = phi + 2.0 * phi @ inner @ phi
    return 0.5 * (phi_a + phi_a.T)


def compute_satterthwaite_df(lmat, phi, pmat, w) -> float:
    """Satterthwaite denominator df of the contrast rows ``lmat`` (q, p)."""
    lmat = np.atleast_2d(np.asarray(lmat, float))
    dphi = -(phi @ pmat @ phi)                                 # d Phi / d theta_k
    if lmat.shape[0] == 1:
        l = lmat[0]
        var = float(l @ phi @ l)
        g = np.einsum("a,kab,b->k", l, dphi, l)
        denom = float(g @ w @ g)
        return 2.0 * var ** 2 / denom if denom > 0 else np.inf
    lpl = lmat @ phi @ lmat.T
    d, u = np.linalg.eigh(lpl)
    q = lmat.shape[0]
    e_sum = 0.0
    for m in range(q):
        l = u[:, m] @ lmat
        g = np.einsum("a,kab,b->k", l, dphi, l)
        denom = float(g @ w @ g)
        nu = 2.0 * d[m] ** 2 / denom if denom > 0 else np.inf
        if nu > 2:
            e_sum += nu / (nu - 2.0) if np.isfinite(nu) else 1.0
    return 2.0 * e_sum / (e_sum - q) if e_sum > q else np.nan


def compute_kr_df(lmat, phi, pmat, w) -> tuple[float, float]:
    """Kenward-Roger denominator df m and F scale lambda for contrast rows ``lmat`` (q, p)."""
    lmat = np.atleast_2d(np.asarray(lmat, float))
    q = lmat.shape[0]
    theta = lmat.T @ np.linalg.solve(lmat @ phi @ lmat.T, lmat)
    tpp = (theta @ phi) @ pmat @ phi                               # Theta Phi P_k Phi
    k = tpp.shape[0]
    tr = np.einsum("kaa->k", tpp)
    a1 = float(tr @ w @ tr)
    cross = tpp.reshape(k, -1) @ tpp.transpose(0, 2, 1).reshape(k, -1).T   # tr(X_k X_l)
    a2 = float(np.sum(w * cross))
    b = (a1 + 6.0 * a2) / (2.0 * q)
    g = ((q + 1.0) * a1 - (q + 4.0) * a2) / ((q + 2.0) * a2)
    c1 = g / (3.0 * q + 2.0 * (1.0 - g))
    c2 = (q - g) / (3.0 * q + 2.0 * (1.0 - g))
    c3 = (q + 2.0 - g) / (3.0 * q + 2.0 * (1.0 - g))
    e_star = 1.0 / (1.0 - a2 / q)
    v_star = (2.0 / q) * (1.0 + c1 * b) / ((1.0 - c2 * b) ** 2 * (1.0 - c3 * b))
    rho = v_star / (2.0 * e_star ** 2)
    m = 4.0 + (q + 2.0) / (q * rho - 1.0)
    lam = m / (e_star * (m - 2.0))
    return float(m), float(lam)


def compute_empirical_covariance(phi, scores) -> np.ndarray:
    """Sandwich covariance Phi (sum_i s_i s_i') Phi, s_i = X_i' Sigma_i^-1 r_i (SAS EMPIRICAL)."""
    meat = scores.T @ scores
    out = phi @ meat @ phi
    return 0.5 * (out + out.T)


def _df_satterthwaite(fit, lmat) -> tuple[float, float]:
    return compute_satterthwaite_df(lmat, fit.vcov_model, fit.pmat, fit.theta_vcov), 1.0


def _df_kenward_roger(fit, lmat) -> tuple[float, float]:
    # KR and KR(LINEAR) share the df of Kenward & Roger (1997); they differ in the adjusted covariance only
    return compute_kr_df(lmat, fit.vcov_model, fit.pmat, fit.theta_vcov)


def _df_residual(fit, lmat) -> tuple[float, float]:
    return float(fit.n_obs - fit.p), 1.0


def _df_between_within(fit, lmat) -> tuple[float, float]:
    """SAS DDFM=BW: within-subject df if the contrast involves a column varying within subjects."""
    used = np.abs(np.atleast_2d(lmat)).sum(axis=0) > 0
    within = np.ones(fit.p, bool)
    within[list(fit.between_columns)] = False
    return float(fit.df_within if np.any(used & within) else fit.df_between), 1.0


#: df method -> (fit, contrast rows) -> (denominator df, F scale)
DF_METHODS = {"kenward_roger": _df_kenward_roger, "kenward_roger_linear": _df_kenward_roger,
              "satterthwaite": _df_satterthwaite, "residual": _df_residual,
              "between_within": _df_between_within}
