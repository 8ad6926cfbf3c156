"""Correlation-based MMRM covariance structures Sigma = D C(psi) D: AR(1), ARH(1), CSH, TOEPH, ADH (SAS PROC
MIXED REPEATED TYPE=AR(1), ARH(1), CSH, TOEPH, ANTE(1)-type; R mmrm ``ar1``, ``ar1h``, ``csh``, ``toeph``,
``adh``). Parameterisation as described in :mod:`analyses.mmrm.covariance`."""
from __future__ import annotations

import numpy as np

from .covariance_base import Structure, _acf_to_pacf, _logistic, _pacf_to_acf


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
