"""Residual covariance structures Sigma(theta) for the MMRM, parameterised as SAS PROC MIXED.

Hand-written (no Python library provides these with derivatives). Each structure exposes two
parameterisations:

* ``theta`` -- the SAS REPEATED/TYPE= covariance parameters in SAS order (UN(1,1), UN(2,1),
  UN(2,2), ...; CS: CS then Residual; AR(1): AR(1) then Residual; ARH(1)/CSH/TOEPH: Var(1..t)
  then the correlation(s)). Inference (Satterthwaite, Kenward-Roger, which is parameterisation
  dependent) uses theta, so the numbers match SAS DDFM=KR / KR(LINEAR).
* ``phi`` -- an unconstrained vector used by the optimiser (log-Cholesky for UN, log variances,
  Fisher-z / logistic maps and partial autocorrelations for correlations) so every phi gives a
  positive-definite Sigma.

``sigma_derivs(theta)`` returns Sigma, dSigma/dtheta (k, t, t) and d2Sigma/dtheta2 (k, k, t, t).
Reference: SAS/STAT User's Guide, PROC MIXED, "REPEATED statement, TYPE=" table; R mmrm
``cov_types``.
"""
from __future__ import annotations

import numpy as np

from .covariance_base import Structure, _acf_to_pacf, _logistic, _numeric_jacobian, _pacf_to_acf
from .covariance_correlation import ADH, AR1, AR1H, CSH, TOEPH

__all__ = ["STRUCTURES", "Structure", "make_structure", "normalize_structure_name", "Unstructured", "Toeplitz",
           "CompoundSymmetry", "AR1", "AR1H", "CSH", "TOEPH", "ADH", "_numeric_jacobian"]

STRUCTURES = ("us", "toep", "toeph", "ar1", "ar1h", "cs", "csh", "adh")
_ALIASES = {"un": "us", "unstructured": "us", "arh1": "ar1h", "arh(1)": "ar1h", "ar(1)": "ar1",
            "toeplitz": "toep"}


class Unstructured(Structure):
    """UN: theta = (sigma_11, sigma_21, sigma_22, sigma_31, ...) -- SAS UN(i,j) order (row-wise
    lower triangle). Sigma is linear in theta, so SAS DDFM=KR equals KR(LINEAR)."""

    name = "us"

    def __init__(self, t):
        super().__init__(t)
        self._rows, self._cols = [], []
        for i in range(t):
            for j in range(i + 1):
                self._rows.append(i)
                self._cols.append(j)
        self._rows = np.array(self._rows)
        self._cols = np.array(self._cols)
        k = len(self._rows)
        self._basis = np.zeros((k, t, t))
        for m, (i, j) in enumerate(zip(self._rows, self._cols)):
            self._basis[m, i, j] = 1.0
            self._basis[m, j, i] = 1.0

    def n_theta(self):
        return len(self._rows)

    def theta_names(self):
        return [f"UN({i + 1},{j + 1})" for i, j in zip(self._rows, self._cols)]

    def is_linear(self):
        return True

    def sigma_derivs(self, theta, order=2):
        theta = np.asarray(theta, float)
        sig = np.einsum("k,kab->ab", theta, self._basis)
        out = [sig]
        if order >= 1:
            out.append(self._basis)
        if order >= 2:
            k = self.n_theta()
            out.append(np.zeros((k, k, self.t, self.t)))
        return tuple(out)

    def _chol(self, phi):
        L = np.zeros((self.t, self.t))
        L[self._rows, self._cols] = phi
        d = np.arange(self.t)
        L[d, d] = np.exp(L[d, d])
        return L

    def theta_from_phi(self, phi):
        L = self._chol(np.asarray(phi, float))
        sig = L @ L.T
        return sig[self._rows, self._cols]

    def jac_theta_phi(self, phi):
        phi = np.asarray(phi, float)
        L = self._chol(phi)
        k = self.n_theta()
        jac = np.zeros((k, k))
        for m, (i, j) in enumerate(zip(self._rows, self._cols)):
            dL = np.zeros((self.t, self.t))
            dL[i, j] = L[i, j] if i == j else 1.0
            dS = dL @ L.T + L @ dL.T
            jac[:, m] = dS[self._rows, self._cols]
        return jac

    def phi_from_sigma(self, s0):
        L = np.linalg.cholesky(s0)
        L = L.copy()
        d = np.arange(self.t)
        L[d, d] = np.log(L[d, d])
        return L[self._rows, self._cols]


class Toeplitz(Structure):
    """TOEP: theta = (sigma_0 [lag 0], sigma_1, ..., sigma_{t-1}); Sigma_ij = theta_|i-j| (linear).
    phi = (log sigma_0, atanh of partial autocorrelations)."""

    name = "toep"

    def n_theta(self):
        return self.t

    def theta_names(self):
        return [f"TOEP({k + 1})" for k in range(self.t)]

    def is_linear(self):
        return True

    def sigma_derivs(self, theta, order=2):
        t = self.t
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        theta = np.asarray(theta, float)
        out = [theta[lag]]
        if order >= 1:
            out.append(np.stack([(lag == k).astype(float) for k in range(t)]))
        if order >= 2:
            out.append(np.zeros((t, t, t, t)))
        return tuple(out)

    def theta_from_phi(self, phi):
        phi = np.asarray(phi, float)
        s0 = np.exp(phi[0])
        rho = _pacf_to_acf(np.tanh(phi[1:])) if self.t > 1 else np.zeros(0)
        return np.concatenate([[s0], s0 * rho])

    def phi_from_sigma(self, s0):
        t = self.t
        v = float(np.mean(np.diag(s0)))
        corr = s0 / np.sqrt(np.outer(np.diag(s0), np.diag(s0)))
        rho = np.array([np.mean(np.diag(corr, k)) for k in range(1, t)])
        return np.concatenate([[np.log(v)], np.arctanh(_acf_to_pacf(rho))])


class CompoundSymmetry(Structure):
    """CS: theta = (CS [common covariance sigma_1], Residual [sigma^2]); Sigma = sigma_1 J + sigma^2 I
    (linear). phi = (log total variance, logistic-mapped correlation in (-1/(t-1), 1))."""

    name = "cs"

    def n_theta(self):
        return 2

    def theta_names(self):
        return ["CS", "Residual"]

    def is_linear(self):
        return True

    def sigma_derivs(self, theta, order=2):
        t = self.t
        J, I = np.ones((t, t)), np.eye(t)
        out = [theta[0] * J + theta[1] * I]
        if order >= 1:
            out.append(np.stack([J, I]))
        if order >= 2:
            out.append(np.zeros((2, 2, t, t)))
        return tuple(out)

    def _lower(self):
        return -1.0 / (self.t - 1) if self.t > 1 else -0.99

    def theta_from_phi(self, phi):
        v = np.exp(phi[0])
        a = self._lower()
        rho = a + (1 - a) * _logistic(phi[1])
        return np.array([v * rho, v * (1 - rho)])

    def phi_from_sigma(self, s0):
        t = self.t
        v = float(np.mean(np.diag(s0)))
        off = (s0.sum() - np.trace(s0)) / max(t * (t - 1), 1)
        a = self._lower()
        rho = float(np.clip(off / v, a + 0.05 * (1 - a), 0.95))
        z = (rho - a) / (1 - a)
        return np.array([np.log(v), np.log(z / (1 - z))])


_CLASSES = {"us": Unstructured, "toep": Toeplitz, "cs": CompoundSymmetry, "ar1": AR1,
            "ar1h": AR1H, "csh": CSH, "toeph": TOEPH, "adh": ADH}


def normalize_structure_name(name: str) -> str:
    key = str(name).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in _CLASSES:
        raise ValueError(f"covariance {name!r} is not one of {', '.join(STRUCTURES)}")
    return key


def make_structure(name: str, t: int) -> Structure:
    """Return the covariance structure ``name`` (us, toep, toeph, ar1, ar1h, cs, csh, adh) on t visits."""
    return _CLASSES[normalize_structure_name(name)](t)
