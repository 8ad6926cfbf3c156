"""Base of the MMRM covariance structures (:class:`Structure`) and the maps they share: logistic, partial
autocorrelations <-> autocorrelations (Durbin-Levinson), a central-difference Jacobian. See
:mod:`analyses.mmrm.covariance` for the structures and their SAS parameterisation."""
from __future__ import annotations

import numpy as np


def _logistic(x):
    return 1.0 / (1.0 + np.exp(-x))


def _pacf_to_acf(pacf: np.ndarray) -> np.ndarray:
    """Durbin-Levinson: partial autocorrelations (|.|<1) -> autocorrelations rho_1..rho_m."""
    m = len(pacf)
    rho = np.zeros(m)
    phi_prev = np.zeros(0)
    for k in range(m):
        pk = pacf[k]
        if k == 0:
            phi_new = np.array([pk])
        else:
            phi_new = np.concatenate([phi_prev - pk * phi_prev[::-1], [pk]])
        phi_prev = phi_new
        # rho_{k+1} = sum_j phi_{k+1,j} rho_{k+1-j}, with rho_0 = 1
        rho[k] = sum(phi_new[j] * (1.0 if k - j == 0 else rho[k - j - 1]) for j in range(k + 1))
    return rho


def _acf_to_pacf(rho: np.ndarray) -> np.ndarray:
    """Inverse Durbin-Levinson (returns NaN-free values clipped into (-0.99, 0.99))."""
    m = len(rho)
    pacf = np.zeros(m)
    phi_prev = np.zeros(0)
    for k in range(m):
        r = np.concatenate([[1.0], rho])
        if k == 0:
            pk = rho[0]
        else:
            num = rho[k] - sum(phi_prev[j] * r[k - j] for j in range(k))
            den = 1.0 - sum(phi_prev[j] * r[j + 1] for j in range(k))
            pk = num / den if abs(den) > 1e-12 else 0.0
        pk = float(np.clip(pk, -0.95, 0.95))
        pacf[k] = pk
        phi_prev = np.concatenate([phi_prev - pk * phi_prev[::-1], [pk]]) if k else np.array([pk])
    return pacf


def _numeric_jacobian(fun, x: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central-difference Jacobian of a cheap map (used only for phi -> theta of TOEP/TOEPH/ADH)."""
    f0 = np.asarray(fun(x))
    jac = np.zeros((f0.size, x.size))
    for j in range(x.size):
        step = h * max(1.0, abs(x[j]))
        xp, xm = x.copy(), x.copy()
        xp[j] += step
        xm[j] -= step
        jac[:, j] = (np.asarray(fun(xp)) - np.asarray(fun(xm))) / (2 * step)
    return jac


class Structure:
    """A covariance structure on ``t`` ordered visits (base class)."""

    name = ""

    def __init__(self, t: int):
        self.t = int(t)

    # -- SAS parameterisation -------------------------------------------------------------
    def n_theta(self) -> int:
        raise NotImplementedError

    def theta_names(self) -> list[str]:
        raise NotImplementedError

    def sigma(self, theta: np.ndarray) -> np.ndarray:
        return self.sigma_derivs(theta, order=0)[0]

    def sigma_derivs(self, theta: np.ndarray, order: int = 2):
        raise NotImplementedError

    def is_linear(self) -> bool:
        return False

    # -- optimiser parameterisation ----------------------------------------------------------
    def theta_from_phi(self, phi: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def jac_theta_phi(self, phi: np.ndarray) -> np.ndarray:
        return _numeric_jacobian(self.theta_from_phi, np.asarray(phi, float))

    def phi_from_sigma(self, s0: np.ndarray) -> np.ndarray:
        """Starting phi from a positive-definite moment estimate of Sigma."""
        raise NotImplementedError
