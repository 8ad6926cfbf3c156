"""(RE)ML log-likelihood of the MMRM with analytic gradient and Hessian, grouped by missingness pattern.

Hand-written (no Python library fits an MMRM with these structures and KR df). Model:
y_i ~ N(X_i beta, Sigma_i(theta)), Sigma_i the rows/columns of the visit covariance Sigma (of the
subject's covariance group) for the visits subject i has observed.

Speed: subjects sharing a (covariance group, observed-visit set) pattern share Sigma_s^{-1} and
log|Sigma_s|. For each pattern we precompute once the cross-product tensor
C_s[a, i, b, j] = sum_{subjects} Z[a, i] Z[b, j] of Z = [X, y] (visits a, b; columns i, j), so every
likelihood/gradient/Hessian evaluation costs O(patterns x visits^2 x p^2), independent of the number
of subjects.

Objective (minimised) = -2 log L:
  ML:   n log(2 pi) + sum_i log|Sigma_i| + r' V^-1 r,               r = y - X beta_hat(theta)
  REML: (n - p) log(2 pi) + sum_i log|Sigma_i| + log|X'V^-1X| + r' V^-1 r
(SAS PROC MIXED "-2 Log Likelihood" / "-2 Res Log Likelihood"; Wolfinger, Tobias & Sall 1994).
Gradient:  d/dtheta_k = tr(dSigma_k G),  G = sum_s [n_s S^-1 - S^-1 (R_s + M_s) S^-1] (embedded),
R_s = sum r_i r_i', M_s = sum X_i Phi X_i' (REML only), Phi = (X'V^-1X)^-1.
Hessian (profiled beta):
  H_kl = tr(d2Sigma_kl G) - sum_s n_s tr(D_k D_l) + 2 sum_s tr(D_k D_l S^-1 (R_s + M_s))
         - tr(Phi P_k Phi P_l) [REML] - 2 b_k' Phi b_l,
with D_k = S^-1 dS_k, P_k = -X'V^-1 V_k V^-1 X, b_k = X'V^-1 V_k V^-1 r.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import linalg

LOG2PI = float(np.log(2 * np.pi))


@dataclass
class Pattern:
    """Subjects of one covariance group sharing one set of observed visits."""

    group: int
    visits: np.ndarray            # indices of the observed visits (sorted)
    z: np.ndarray                 # (n_s, |O|, p + 1): [X, y] per subject and visit
    rows: np.ndarray              # (n_s, |O|) row positions in the analysis data
    subjects: np.ndarray          # (n_s,) subject codes
    c2: np.ndarray = field(init=False)   # (|O|^2, (p+1)^2) cross-product tensor

    def __post_init__(self):
        n_s, o, q = self.z.shape
        flat = self.z.reshape(n_s, o * q)
        c = (flat.T @ flat).reshape(o, q, o, q).transpose(0, 2, 1, 3)
        self.c2 = np.ascontiguousarray(c.reshape(o * o, q * q))

    @property
    def n(self) -> int:
        return self.z.shape[0]


def build_patterns(x: np.ndarray, y: np.ndarray, subject_code: np.ndarray, visit_code: np.ndarray,
                   cov_group: np.ndarray, n_visits: int) -> list[Pattern]:
    """Group analysis rows (already free of missing values) into missingness patterns."""
    order = np.lexsort((visit_code, subject_code))
    subj = subject_code[order]
    starts = np.flatnonzero(np.r_[True, subj[1:] != subj[:-1]])
    counts = np.diff(np.r_[starts, len(subj)])
    # pattern key per subject: covariance group and the set of observed visits
    grp = cov_group[order][starts].astype(np.int64)
    if n_visits <= 62:
        bits = np.left_shift(np.int64(1), visit_code[order].astype(np.int64))
        keys = np.stack([grp, np.add.reduceat(bits, starts)], axis=1)
        _, inverse = np.unique(keys, axis=0, return_inverse=True)
    else:
        labels = [(int(g), tuple(visit_code[order][s:s + c])) for g, s, c in zip(grp, starts, counts)]
        lookup = {k: i for i, k in enumerate(sorted(set(labels)))}
        inverse = np.array([lookup[k] for k in labels])
    inverse = np.asarray(inverse).reshape(-1)
    z_all = np.column_stack([x, y])
    patterns = []
    for k in range(int(inverse.max()) + 1):
        members = np.flatnonzero(inverse == k)
        o = int(counts[members[0]])
        idx = order[starts[members][:, None] + np.arange(o)[None, :]]
        vis = visit_code[idx[0]]
        patterns.append(Pattern(group=int(grp[members[0]]), visits=np.asarray(vis, int), z=z_all[idx], rows=idx,
                                subjects=subject_code[idx[:, 0]]))
    return patterns


@dataclass
class Evaluation:
    objective: float
    beta: np.ndarray
    phi: np.ndarray               # (X'V^-1X)^-1
    logdet_xvx: float
    gradient: np.ndarray | None = None
    hessian: np.ndarray | None = None
    extras: dict = field(default_factory=dict)


class Likelihood:
    """-2 (RE)ML log-likelihood as a function of the SAS-parameterised covariance parameters.

    ``structures``: one Structure per covariance group (all the same type; one group unless
    Sigma is estimated separately per treatment group). theta is the concatenation.
    """

    def __init__(self, patterns: list[Pattern], structures: list, p: int, reml: bool,
                 log_weight_sum: float = 0.0):
        self.log_weight_sum = float(log_weight_sum)   # sum log w (SAS WEIGHT: R = W^-1/2 Sigma W^-1/2)
        self.patterns = patterns
        self.structures = structures
        self.p = p
        self.reml = reml
        self.n = int(sum(pt.n * len(pt.visits) for pt in patterns))
        self.sizes = [s.n_theta() for s in structures]
        self.offsets = np.r_[0, np.cumsum(self.sizes)].astype(int)
        self.k = int(self.offsets[-1])
        self.t = structures[0].t
        self._blocks = self._make_blocks()

    def _make_blocks(self):
        """Patterns of equal size stacked, so factorisations and products run batched."""
        t = self.t
        by_size: dict[int, list[int]] = {}
        for i, pt in enumerate(self.patterns):
            by_size.setdefault(len(pt.visits), []).append(i)
        blocks = []
        for o, members in sorted(by_size.items()):
            idx = np.stack([self.patterns[i].group * t * t + self.patterns[i].visits[:, None] * t
                            + self.patterns[i].visits[None, :] for i in members])
            blocks.append({"o": o, "members": members, "idx": idx,
                           "n": np.array([self.patterns[i].n for i in members], float),
                           "c2": np.concatenate([self.patterns[i].c2 for i in members], axis=0)})
        return blocks

    def split(self, theta):
        return [theta[self.offsets[g]:self.offsets[g + 1]] for g in range(len(self.structures))]

    def sigmas(self, theta, order=0):
        return [s.sigma_derivs(th, order=order) for s, th in zip(self.structures, self.split(theta))]

    def _factor(self, sig, pt):
        sub = sig[np.ix_(pt.visits, pt.visits)]
        cf = linalg.cho_factor(sub, lower=True, check_finite=False)
        sinv = linalg.cho_solve(cf, np.eye(len(pt.visits)), check_finite=False)
        logdet = 2.0 * np.sum(np.log(np.diag(cf[0])))
        return sinv, logdet

    def evaluate(self, theta, gradient=False, hessian=False) -> Evaluation:
        """Objective (-2 log L), beta_hat, Phi; optionally analytic gradient and Hessian.

        Raises numpy.linalg.LinAlgError if some Sigma_s is not positive definite. The last
        Hessian evaluation is cached (the fit re-uses the optimiser's final one).
        """
        theta = np.asarray(theta, float)
        cached = getattr(self, "_cache", None)
        if cached is not None and np.array_equal(cached[0], theta):
            return cached[1]
        ev = self._evaluate(theta, gradient, hessian)
        if hessian:
            self._cache = (theta.copy(), ev)
        return ev

    def _evaluate(self, theta, gradient, hessian) -> Evaluation:
        p, q = self.p, self.p + 1
        order = 2 if hessian else (1 if gradient else 0)
        sig = self.sigmas(theta, order=order)
        ngroups = len(self.structures)
        t = self.t
        sigflat = np.concatenate([sg[0].reshape(-1) for sg in sig])
        zvz = np.zeros(q * q)
        logdet_v = 0.0
        factors = []
        for blk in self._blocks:
            sub = sigflat[blk["idx"]]                                   # (m, o, o)
            chol = np.linalg.cholesky(sub)                              # LinAlgError if not PD
            diag = np.diagonal(chol, axis1=1, axis2=2)
            if not np.all(diag > 0):
                raise np.linalg.LinAlgError("Sigma not positive definite")
            linv = np.linalg.solve(chol, np.broadcast_to(np.eye(blk["o"]), sub.shape))
            sinv = np.transpose(linv, (0, 2, 1)) @ linv
            logdet_v += float(blk["n"] @ (2.0 * np.log(diag).sum(axis=1)))
            zvz += sinv.reshape(-1) @ blk["c2"]
            factors.append(sinv)
        zvz = zvz.reshape(q, q)
        cache = [None] * len(self.patterns)
        for blk, sinv in zip(self._blocks, factors):
            for j, i in enumerate(blk["members"]):
                cache[i] = sinv[j]
        xvx = zvz[:p, :p]
        cf = linalg.cho_factor(xvx, lower=True, check_finite=False)
        phi = linalg.cho_solve(cf, np.eye(p), check_finite=False)
        beta = phi @ zvz[:p, p]
        rvr = float(zvz[p, p] - zvz[:p, p] @ beta)
        logdet_xvx = 2.0 * float(np.sum(np.log(np.diag(cf[0]))))
        logdet_v -= self.log_weight_sum
        if self.reml:
            obj = (self.n - p) * LOG2PI + logdet_v + logdet_xvx + rvr
        else:
            obj = self.n * LOG2PI + logdet_v + rvr
        ev = Evaluation(objective=float(obj), beta=beta, phi=phi, logdet_xvx=logdet_xvx)
        if not (gradient or hessian):
            return ev
        u = np.r_[-beta, 1.0]
        wmat = np.outer(u, u)
        if self.reml:
            wmat[:p, :p] += phi
        gflat = np.zeros(ngroups * t * t)
        rm_list = [None] * len(self.patterns)
        for blk, sinv in zip(self._blocks, factors):
            o = blk["o"]
            rm = (blk["c2"] @ wmat.reshape(-1)).reshape(-1, o, o)      # R_s + M_s (REML) or R_s (ML)
            gs = blk["n"][:, None, None] * sinv - sinv @ rm @ sinv
            np.add.at(gflat, blk["idx"].reshape(-1), gs.reshape(-1))
            for j, i in enumerate(blk["members"]):
                rm_list[i] = rm[j]
        gfull = [gflat[g * t * t:(g + 1) * t * t].reshape(t, t) for g in range(ngroups)]
        grad = np.zeros(self.k)
        for g in range(ngroups):
            grad[self.offsets[g]:self.offsets[g + 1]] = np.einsum("kab,ab->k", sig[g][1], gfull[g])
        ev.gradient = grad
        if not hessian:
            return ev
        hess = np.zeros((self.k, self.k))
        for g in range(ngroups):
            sl = slice(self.offsets[g], self.offsets[g + 1])
            hess[sl, sl] += np.einsum("klab,ab->kl", sig[g][2], gfull[g])
        pmat = np.zeros((self.k, p, p))       # P_k = -X'V^-1 V_k V^-1 X
        bvec = np.zeros((self.k, p))          # b_k = X'V^-1 V_k V^-1 r
        cxx_idx = (np.arange(p)[:, None] * q + np.arange(p)[None, :]).reshape(-1)
        for pt, sinv, rm in zip(self.patterns, cache, rm_list):
            o = len(pt.visits)
            g = pt.group
            sl = slice(self.offsets[g], self.offsets[g + 1])
            ds = sig[g][1][:, pt.visits][:, :, pt.visits]          # (k_g, o, o)
            kg = len(ds)
            dmat = sinv @ ds                                         # D_k = S^-1 dS_k
            dflat = dmat.reshape(kg, -1)
            t1 = pt.n * (dflat @ dmat.transpose(0, 2, 1).reshape(kg, -1).T)     # n tr(D_k D_l)
            fmat = dmat @ (sinv @ rm)                                # D_l S^-1 (R + M)
            t2 = 2.0 * (dflat @ fmat.transpose(0, 2, 1).reshape(kg, -1).T)
            hess[sl, sl] += t2 - t1
            emat = (dmat @ sinv).reshape(kg, o * o)                  # S^-1 dS S^-1
            pmat[sl] -= (emat @ pt.c2[:, cxx_idx]).reshape(-1, p, p)
            cxr = (pt.c2.reshape(o * o, q, q)[:, :p, :] @ u)                       # (o*o, p)
            bvec[sl] += emat @ cxr
        if self.reml:
            pp = phi @ pmat                                      # Phi P_k
            hess -= pp.reshape(self.k, -1) @ pp.transpose(0, 2, 1).reshape(self.k, -1).T
        hess -= 2.0 * bvec @ phi @ bvec.T
        ev.hessian = 0.5 * (hess + hess.T)
        ev.extras = {"P": pmat, "cache": cache, "sig": sig}
        return ev

    # ---- quantities for Kenward-Roger --------------------------------------------------------
    def kr_terms(self, theta, w):
        """P_k (k, p, p), sum_kl W_kl Q_kl and sum_kl W_kl R_kl (p, p) of Kenward & Roger (1997).

        Q_kl = X'V^-1 V_k V^-1 V_l V^-1 X, R_kl = X'V^-1 V_kl V^-1 X, W = Var(theta_hat).
        """
        p, q = self.p, self.p + 1
        sig = self.sigmas(theta, order=2)
        cxx_idx = (np.arange(p)[:, None] * q + np.arange(p)[None, :]).reshape(-1)
        pmat = np.zeros((self.k, p, p))
        qsum = np.zeros((p, p))
        rsum = np.zeros((p, p))
        for pt in self.patterns:
            g = pt.group
            sl = slice(self.offsets[g], self.offsets[g + 1])
            sinv, _ = self._factor(sig[g][0], pt)
            o = len(pt.visits)
            ds = sig[g][1][:, pt.visits][:, :, pt.visits]
            d2s = sig[g][2][:, :, pt.visits][:, :, :, pt.visits]
            wg = w[sl, sl]
            dmat = sinv @ ds
            emat = dmat @ sinv
            cxx = pt.c2[:, cxx_idx]
            pmat[sl] -= (emat.reshape(-1, o * o) @ cxx).reshape(-1, p, p)
            wd = np.tensordot(wg, emat, axes=1)                      # sum_l W_kl S^-1 dS_l S^-1
            qs = np.einsum("kab,kbc->ac", dmat, wd)                  # sum_kl W_kl D_k E_l
            qsum += (qs.reshape(-1) @ cxx).reshape(p, p)
            rs = sinv @ np.tensordot(wg, d2s, axes=2) @ sinv
            rsum += (rs.reshape(-1) @ cxx).reshape(p, p)
        # cross-group W blocks contribute nothing to Q/R (V_k V^-1 V_l = 0 across groups)
        return pmat, 0.5 * (qsum + qsum.T), 0.5 * (rsum + rsum.T)

    def residual_products(self, beta, theta):
        """Per-subject score pieces X_i' Sigma_i^-1 r_i (n_subjects, p) for the sandwich estimator."""
        p = self.p
        sig = self.sigmas(theta, order=0)
        out = []
        for pt in self.patterns:
            sinv, _ = self._factor(sig[pt.group][0], pt)
            xs = pt.z[:, :, :p]
            r = pt.z[:, :, p] - xs @ beta
            w = r @ sinv
            out.append(np.einsum("nap,na->np", xs, w))
        return np.vstack(out)
