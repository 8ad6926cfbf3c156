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

STRUCTURES = ("us", "toep", "toeph", "ar1", "ar1h", "cs", "csh", "adh")
_ALIASES = {"un": "us", "unstructured": "us", "arh1": "ar1h", "arh(1)": "ar1h", "ar(1)": "ar1",
            "toeplitz": "toep"}


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


# --------------------------------------------------------------------------------------------
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


class _CorrelationBased(Structure):
    """Sigma = D C(psi) D with D = diag(sqrt(v)); heterogeneous (v per visit) or homogeneous
    (one variance, SAS lists it last as "Residual")."""

    hetero = True

    def n_corr(self) -> int:
        raise NotImplementedError

    def corr_derivs(self, psi):
        """C, dC (m, t, t), d2C (m, m, t, t)."""
        raise NotImplementedError

    def corr_names(self) -> list[str]:
        raise NotImplementedError

    def psi_from_phi(self, z):
        raise NotImplementedError

    def phi_from_corr(self, corr):
        raise NotImplementedError

    def n_var(self):
        return self.t if self.hetero else 1

    def n_theta(self):
        return self.n_var() + self.n_corr()

    def theta_names(self):
        if self.hetero:
            return [f"Var({i + 1})" for i in range(self.t)] + self.corr_names()
        return self.corr_names() + ["Residual"]

    def _split(self, theta):
        theta = np.asarray(theta, float)
        if self.hetero:
            return theta[: self.t], theta[self.t:]
        return theta[-1:], theta[:-1]

    def sigma_derivs(self, theta, order=2):
        t = self.t
        v, psi = self._split(theta)
        C, dC, d2C = self.corr_derivs(psi)
        m = self.n_corr()
        k = self.n_theta()
        if not self.hetero:
            s2 = v[0]
            out = [s2 * C]
            if order >= 1:
                d = np.zeros((k, t, t))
                d[:m] = s2 * dC
                d[m] = C
                out.append(d)
            if order >= 2:
                d2 = np.zeros((k, k, t, t))
                d2[:m, :m] = s2 * d2C
                d2[:m, m] = dC
                d2[m, :m] = dC
                out.append(d2)
            return tuple(out)
        s = np.sqrt(v)
        sig = s[:, None] * C * s[None, :]
        out = [sig]
        if order >= 1:
            d = np.zeros((k, t, t))
            for i in range(t):
                # d(s_a s_b)/dv_i * C_ab
                g = np.zeros(t)
                g[i] = 0.5 / s[i]
                d[i] = (g[:, None] * s[None, :] + s[:, None] * g[None, :]) * C
            d[t:] = s[None, :, None] * dC * s[None, None, :]
            out.append(d)
        if order >= 2:
            d2 = np.zeros((k, k, t, t))
            for i in range(t):
                gi = np.zeros(t)
                gi[i] = 0.5 / s[i]
                for j in range(t):
                    gj = np.zeros(t)
                    gj[j] = 0.5 / s[j]
                    outer = gi[:, None] * gj[None, :] + gj[:, None] * gi[None, :]
                    if i == j:
                        h = np.zeros(t)
                        h[i] = -0.25 / s[i] ** 3
                        outer = outer + h[:, None] * s[None, :] + s[:, None] * h[None, :]
                    d2[i, j] = outer * C
                dv = gi[:, None] * s[None, :] + s[:, None] * gi[None, :]
                for q in range(m):
                    d2[i, t + q] = dv * dC[q]
                    d2[t + q, i] = d2[i, t + q]
            d2[t:, t:] = s[None, None, :, None] * d2C * s[None, None, None, :]
            out.append(d2)
        return tuple(out)

    def theta_from_phi(self, phi):
        phi = np.asarray(phi, float)
        nv = self.n_var()
        if self.hetero:
            return np.concatenate([np.exp(phi[:nv]), self.psi_from_phi(phi[nv:])])
        return np.concatenate([self.psi_from_phi(phi[nv:]), np.exp(phi[:nv])])

    def phi_from_sigma(self, s0):
        d = np.diag(s0)
        corr = s0 / np.sqrt(np.outer(d, d))
        v = np.log(d) if self.hetero else np.array([np.log(np.mean(d))])
        return np.concatenate([v, self.phi_from_corr(corr)])


class _AR1Corr:
    def n_corr(self):
        return 1

    def corr_names(self):
        return ["AR(1)"] if not self.hetero else ["ARH(1) rho"]

    def corr_derivs(self, psi):
        t = self.t
        rho = float(psi[0])
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t))).astype(float)
        C = rho ** lag
        dC = np.where(lag > 0, lag * rho ** np.maximum(lag - 1, 0), 0.0)
        d2C = np.where(lag > 1, lag * (lag - 1) * rho ** np.maximum(lag - 2, 0), 0.0)
        return C, dC[None], d2C[None, None]

    def psi_from_phi(self, z):
        return np.tanh(z)

    def jac_theta_phi(self, phi):
        theta = self.theta_from_phi(phi)
        nv = self.n_var()
        diag = np.empty(len(phi))
        diag[:nv] = np.exp(np.asarray(phi)[:nv])
        diag[nv:] = 1 - np.tanh(np.asarray(phi)[nv:]) ** 2
        jac = np.diag(diag)
        if not self.hetero:  # theta order is (rho, sigma2) but phi is (log sigma2, z)
            jac = np.zeros((2, 2))
            jac[0, 1] = diag[1]
            jac[1, 0] = diag[0]
        del theta
        return jac

    def phi_from_corr(self, corr):
        r = np.mean(np.diag(corr, 1)) if self.t > 1 else 0.0
        return np.array([np.arctanh(np.clip(r, -0.9, 0.9))])


class _CSCorr:
    def n_corr(self):
        return 1

    def corr_names(self):
        return ["CSH rho"]

    def _lower(self):
        return -1.0 / (self.t - 1) if self.t > 1 else -0.99

    def corr_derivs(self, psi):
        t = self.t
        rho = float(psi[0])
        C = (1 - rho) * np.eye(t) + rho * np.ones((t, t))
        dC = np.ones((t, t)) - np.eye(t)
        return C, dC[None], np.zeros((1, 1, t, t))

    def psi_from_phi(self, z):
        a = self._lower()
        return a + (1 - a) * _logistic(np.asarray(z))

    def phi_from_corr(self, corr):
        t = self.t
        r = (corr.sum() - t) / max(t * (t - 1), 1)
        a = self._lower()
        r = float(np.clip(r, a + 0.05 * (1 - a), 0.95))
        z = (r - a) / (1 - a)
        return np.array([np.log(z / (1 - z))])


class _ToepCorr:
    def n_corr(self):
        return self.t - 1

    def corr_names(self):
        return [f"TOEPH({k + 1}) rho" for k in range(self.t - 1)]

    def corr_derivs(self, psi):
        t = self.t
        lag = np.abs(np.subtract.outer(np.arange(t), np.arange(t)))
        r = np.concatenate([[1.0], np.asarray(psi, float)])
        C = r[lag]
        dC = np.stack([(lag == k + 1).astype(float) for k in range(t - 1)]) if t > 1 else np.zeros((0, t, t))
        return C, dC, np.zeros((t - 1, t - 1, t, t))

    def psi_from_phi(self, z):
        return _pacf_to_acf(np.tanh(np.asarray(z, float)))

    def phi_from_corr(self, corr):
        rho = np.array([np.mean(np.diag(corr, k)) for k in range(1, self.t)])
        return np.arctanh(_acf_to_pacf(rho))


class _AnteCorr:
    """ADH: C_ij = prod_{k=min(i,j)}^{max(i,j)-1} rho_k (SAS TYPE=ANTE(1) correlations)."""

    def n_corr(self):
        return self.t - 1

    def corr_names(self):
        return [f"ADH rho({k + 1})" for k in range(self.t - 1)]

    def corr_derivs(self, psi):
        t = self.t
        rho = np.asarray(psi, float)
        m = t - 1
        C = np.eye(t)
        dC = np.zeros((m, t, t))
        d2C = np.zeros((m, m, t, t))
        for i in range(t):
            for j in range(i + 1, t):
                ks = list(range(i, j))
                val = float(np.prod(rho[ks]))
                C[i, j] = C[j, i] = val
                for a in ks:
                    da = float(np.prod([rho[k] for k in ks if k != a]))
                    dC[a, i, j] = dC[a, j, i] = da
                    for b in ks:
                        if b != a:
                            dab = float(np.prod([rho[k] for k in ks if k not in (a, b)]))
                            d2C[a, b, i, j] = d2C[a, b, j, i] = dab
        return C, dC, d2C

    def psi_from_phi(self, z):
        return np.tanh(np.asarray(z, float))

    def jac_theta_phi(self, phi):
        phi = np.asarray(phi, float)
        t = self.t
        return np.diag(np.concatenate([np.exp(phi[:t]), 1 - np.tanh(phi[t:]) ** 2]))

    def phi_from_corr(self, corr):
        return np.arctanh(np.clip(np.diag(corr, 1), -0.9, 0.9))


class AR1(_AR1Corr, _CorrelationBased):
    """AR(1): theta = (rho, sigma^2) as SAS prints (AR(1), Residual); Sigma_ij = sigma^2 rho^|i-j|."""
    name, hetero = "ar1", False


class AR1H(_AR1Corr, _CorrelationBased):
    """ARH(1): theta = (Var(1..t), rho); Sigma_ij = s_i s_j rho^|i-j|."""
    name, hetero = "ar1h", True


class CSH(_CSCorr, _CorrelationBased):
    """CSH: theta = (Var(1..t), rho); Sigma_ij = s_i s_j rho (i != j)."""
    name, hetero = "csh", True

    def jac_theta_phi(self, phi):
        phi = np.asarray(phi, float)
        t = self.t
        a = self._lower()
        lg = _logistic(phi[t])
        return np.diag(np.concatenate([np.exp(phi[:t]), [(1 - a) * lg * (1 - lg)]]))


class TOEPH(_ToepCorr, _CorrelationBased):
    """TOEPH: theta = (Var(1..t), rho_1..rho_{t-1}); Sigma_ij = s_i s_j rho_|i-j|."""
    name, hetero = "toeph", True


class ADH(_AnteCorr, _CorrelationBased):
    """ADH (SAS ANTE(1)-type heterogeneous antedependence): theta = (Var(1..t), rho_1..rho_{t-1})."""
    name, hetero = "adh", True


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
