"""Treatment-effect time course, visit days, rescue and activity-dependent (MAR) dropout.

Hand-written simulation model. The effect profile ``g(t)`` (t = days since the first infusion)
rises as ``1 - exp(-(t + 1) / tau_on)``, holds for ``plateau`` days after the most recent
administration and then wanes as ``exp(-(s - plateau) / tau_off)`` (s = days since that
administration), so responses have an onset and a loss and re-treatment restores the effect.

Dropout hazard after visit k: ``logit h_ik = alpha + beta * (A_ik - mean A_i0)`` where A is the
subject's observed activity index at visit k (BASDAI-like, 0-10): dropout depends only on data
observed up to the visit (missing at random). ``alpha`` is solved so that the expected
fraction of subjects who drop out equals the prespecified ``dropout_fraction``.
"""
from __future__ import annotations

import numpy as np
from scipy.optimize import brentq
from scipy.special import expit


def compute_effect_profile(t: np.ndarray, admin_days: np.ndarray, tau_on: float, plateau: float,
                           tau_off) -> np.ndarray:
    """g(t) in [0, 1] for days ``t`` (N, V) since first administration; ``admin_days`` (N, K), NaN = not given."""
    g = np.zeros(t.shape)
    tau_off = np.broadcast_to(np.asarray(tau_off, dtype=float), t.shape[:1])
    for k in range(t.shape[1]):
        tk = t[:, k][:, None]
        past = np.where(admin_days <= tk, admin_days, -np.inf)
        last = past.max(axis=1) if past.shape[1] else np.full(t.shape[0], -np.inf)
        ok = np.isfinite(last) & (t[:, k] >= 0)
        s = t[:, k] - np.where(ok, last, 0.0)
        hold = np.exp(-np.maximum(s - plateau, 0.0) / tau_off)
        rise = 1 - np.exp(-(t[:, k] + 1) / tau_on)
        g[:, k] = np.where(ok, rise * hold, 0.0)
    return g


def draw_visit_days(rng: np.random.Generator, windows: list[tuple[int, int, int]], n: int,
                    sd_fraction: float) -> np.ndarray:
    """Study days (ADY, day 1 = first infusion, no day 0) per subject and visit inside each window.

    ``windows``: (target_day, lo, hi) per visit in schedule order; the baseline (first) visit is
    on day 1 for 70 % of subjects, otherwise up to 14 days before (within its window)."""
    days = np.empty((n, len(windows)), dtype=np.int64)
    for k, (target, lo, hi) in enumerate(windows):
        if k == 0:
            earliest = max(lo, -14)
            pre = rng.integers(earliest, 0, size=n) if earliest < 0 else np.ones(n, dtype=np.int64)
            days[:, k] = np.where(rng.random(n) < 0.7, 1, pre)
            days[:, k] = np.where(days[:, k] == 0, 1, days[:, k])
            continue
        sd = max((hi - lo) * sd_fraction, 0.0)
        d = np.rint(target + sd * rng.standard_normal(n)).astype(np.int64)
        d = np.clip(d, lo, hi)
        if k > 0:
            d = np.maximum(d, days[:, k - 1] + 1)
        if (d > hi).any():
            raise ValueError(f"visit windows overlap: cannot place visit {k} after the previous one")
        days[:, k] = np.where(d == 0, 1, d)
    return days


def solve_dropout_alpha(x: np.ndarray, beta: float, fraction: float, at_risk: np.ndarray,
                        allowed: np.ndarray | None = None) -> float:
    """``alpha`` such that the mean over at-risk subjects of 1 - prod_k(1 - h_ik) equals ``fraction``."""
    if fraction <= 0 or not at_risk.any():
        return -np.inf
    xs = x[at_risk]
    ok = np.ones(xs.shape, dtype=bool) if allowed is None else allowed[at_risk]

    def gap(alpha):
        h = expit(alpha + beta * xs) * ok
        return float(np.mean(1 - np.prod(1 - h, axis=1))) - fraction

    return brentq(gap, -30.0, 10.0, xtol=1e-10)


def draw_dropout(rng: np.random.Generator, x: np.ndarray, beta: float, fraction: float,
                 at_risk: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Index of the visit after which each subject drops out (-1 = completes); x is (N, K) for
    the visits after which dropout can happen (all but the last)."""
    allowed = np.ones(x.shape, dtype=bool) if allowed is None else allowed
    alpha = solve_dropout_alpha(x, beta, fraction, at_risk, allowed)
    out = np.full(x.shape[0], -1)
    if not np.isfinite(alpha):
        return out
    h = expit(alpha + beta * x)
    u = rng.random(x.shape)
    drop = (u < h) & at_risk[:, None] & allowed
    first = np.where(drop.any(axis=1), drop.argmax(axis=1), -1)
    return first
