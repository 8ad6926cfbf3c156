"""Maximise the (RE)ML likelihood: quasi-Newton on an unconstrained parameterisation, then Newton.

Stage 1 minimises -2 log L over ``phi`` (every phi gives a positive-definite Sigma) with scipy's
L-BFGS-B (fallback BFGS, then Powell) and the analytic gradient (chain rule through
d theta / d phi). Stage 2 polishes with Newton-Raphson steps on the SAS parameters theta using the
analytic Hessian, with step halving (as SAS PROC MIXED's Newton-Raphson ridge-stabilised
iterations). Convergence: Hessian positive definite and g' H^-1 g < ``tol`` (SAS's default
relative Hessian criterion is 1e-8 on g'H^-1g / |f|).
Hand-written because no Python library fits this model.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from .likelihood import Likelihood

OPTIMIZERS = ("L-BFGS-B", "BFGS", "Powell")


@dataclass
class OptimResult:
    theta: np.ndarray
    objective: float
    converged: bool
    optimizer: str
    iterations: int
    message: str
    criterion: float
    attempts: list = field(default_factory=list)


def _phi_to_theta(lik: Likelihood, phi):
    out = []
    off = 0
    for s in lik.structures:
        k = s.n_theta()
        out.append(s.theta_from_phi(phi[off:off + k]))
        off += k
    return np.concatenate(out)


def _jac(lik: Likelihood, phi):
    jac = np.zeros((lik.k, lik.k))
    off = 0
    for s in lik.structures:
        k = s.n_theta()
        jac[off:off + k, off:off + k] = s.jac_theta_phi(phi[off:off + k])
        off += k
    return jac


def _objective_phi(lik: Likelihood):
    def fun(phi):
        theta = _phi_to_theta(lik, phi)
        try:
            ev = lik.evaluate(theta, gradient=True)
        except (np.linalg.LinAlgError, ValueError, FloatingPointError):
            return np.inf, np.zeros_like(phi)
        if not np.isfinite(ev.objective):
            return np.inf, np.zeros_like(phi)
        return ev.objective, _jac(lik, phi).T @ ev.gradient
    return fun


def _newton(lik: Likelihood, theta, tol, max_iter=60):
    """Newton-Raphson polish in theta. Returns (theta, objective, criterion, ok, iterations)."""
    ev = lik.evaluate(theta, gradient=True, hessian=True)
    crit = np.inf
    for it in range(max_iter):
        h, g = ev.hessian, ev.gradient
        try:
            w, v = np.linalg.eigh(h)
        except np.linalg.LinAlgError:
            return theta, ev.objective, np.inf, False, it
        pos_def = w.min() > 1e-10 * max(1.0, abs(w).max())
        wmod = np.where(pos_def, w, np.maximum(np.abs(w), 1e-6 * max(1.0, abs(w).max())))
        step = v @ ((v.T @ g) / wmod)
        crit = float(g @ step)
        if pos_def and crit < 1e-6 * tol:   # converged; a step past tol costs little (quadratic)
            return theta, ev.objective, crit, True, it
        lam = 1.0
        improved = False
        for _ in range(40):
            cand = theta - lam * step
            try:
                ev_new = lik.evaluate(cand)
            except (np.linalg.LinAlgError, ValueError):
                lam *= 0.5
                continue
            if np.isfinite(ev_new.objective) and ev_new.objective <= ev.objective + 1e-10 * abs(ev.objective):
                improved = True
                break
            lam *= 0.5
        if not improved:   # no further decrease at machine precision
            return theta, ev.objective, crit, bool(pos_def and crit < tol), it
        try:
            ev_new = lik.evaluate(cand, gradient=True, hessian=True)
        except (np.linalg.LinAlgError, ValueError):
            return theta, ev.objective, crit, False, it
        theta, ev = cand, ev_new
    h, g = ev.hessian, ev.gradient
    try:
        crit = float(g @ np.linalg.solve(h, g))
        ok = crit < tol and np.linalg.eigvalsh(h).min() > 0
    except np.linalg.LinAlgError:
        ok = False
    return theta, ev.objective, crit, ok, max_iter


def maximize_likelihood(lik: Likelihood, phi0: np.ndarray, optimizers=OPTIMIZERS, tol=1e-9,
                        maxiter=2000) -> OptimResult:
    """Run the optimiser chain until one converges; every attempt is recorded."""
    fun = _objective_phi(lik)
    attempts = []
    best = None
    for name in optimizers:
        try:
            if name == "Powell":
                res = optimize.minimize(lambda z: fun(z)[0], phi0, method="Powell",
                                        options={"maxiter": 20000, "xtol": 1e-8, "ftol": 1e-12})
            else:
                opts = {"maxiter": maxiter}
                if name == "L-BFGS-B":
                    opts.update({"ftol": 1e-11, "gtol": 1e-6, "maxcor": 20})
                else:
                    opts.update({"gtol": 1e-8})
                res = optimize.minimize(fun, phi0, jac=True, method=name, options=opts)
            theta = _phi_to_theta(lik, res.x)
            theta, obj, crit, ok, nit = _newton(lik, theta, tol)
            msg = f"{name}: {res.message}; Newton polish {'converged' if ok else 'did not converge'} (g'H^-1g={crit:.3g})"
        except (np.linalg.LinAlgError, ValueError, FloatingPointError) as exc:
            attempts.append({"optimizer": name, "converged": False, "message": str(exc)})
            continue
        attempt = OptimResult(theta=theta, objective=obj, converged=ok, optimizer=name,
                              iterations=int(getattr(res, "nit", 0)) + nit, message=msg, criterion=crit)
        attempts.append({"optimizer": name, "converged": ok, "objective": obj, "message": msg})
        if best is None or (ok and not best.converged) or (ok == best.converged and obj < best.objective):
            best = attempt
        if ok:
            break
    if best is None:
        return OptimResult(theta=_phi_to_theta(lik, phi0), objective=np.nan, converged=False,
                           optimizer="none", iterations=0, message="all optimisers failed",
                           criterion=np.inf, attempts=attempts)
    best.attempts = attempts
    return best
