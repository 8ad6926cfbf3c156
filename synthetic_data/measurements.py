"""Measurement model: subject latents + treatment effect + AR(1) visit noise -> recorded values.

Hand-written simulation model (no library generates correlated clinical-scale data like this).
For subject i, visit t and parameter j (an :class:`~synthetic_data.catalog.ItemSpec`):

* subject level   ``b_ij = mean_j + load_j * L_i + sd_subj_j * d_ij`` where L_i is the subject's
  disease-activity latent z_i (or the structural-damage latent w_i for mobility/mSASSS), so items
  are correlated within a subject;
* treatment       the subject's fractional effect ``f_it`` (``trajectories``) moves the value
  towards the healthy value: ``b + sens_j * f_it * (healthy_j - b)`` (count: mean times
  ``1 - sens f``; lognormal: log value plus ``sens f``);
* visit noise     ``visit_load_j * e_it`` with e an AR(1) process over the subject's visits
  (shared by all items of the visit, so a bad week moves every item) plus item noise
  ``noise_j * eps_ijt``;
* recording       clipped to the scale and rounded to the recorded precision ``step_j``.

All random draws are made once (:func:`draw_item_noise`) so values can be recomputed for a new
effect matrix (after rescue therapy) without new randomness.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import stats

from .catalog import ItemSpec


@dataclass
class ItemNoise:
    subject: np.ndarray   # (N,)
    visit: np.ndarray     # (N, V) standard normal (or uniform for counts)
    spike: np.ndarray     # (N, V) uniform, safety-lab excursions


def draw_item_noise(rng: np.random.Generator, n: int, v: int) -> ItemNoise:
    return ItemNoise(rng.standard_normal(n), rng.standard_normal((n, v)), rng.random((n, v)))


def draw_ar1(rng: np.random.Generator, n: int, v: int, rho: float) -> np.ndarray:
    """Stationary AR(1) standard-normal process over the visits of each subject (N, V)."""
    eps = rng.standard_normal((n, v))
    e = np.empty((n, v))
    e[:, 0] = eps[:, 0]
    s = np.sqrt(1 - rho ** 2)
    for k in range(1, v):
        e[:, k] = rho * e[:, k - 1] + s * eps[:, k]
    return e


def round_to(x: np.ndarray, step: float) -> np.ndarray:
    """Round to the instrument precision; +0.0 normalises negative zeros."""
    if step >= 1:
        return np.round(x / step) * step + 0.0
    decimals = len(repr(float(step)).split(".")[1])
    return np.round(np.round(x / step) * step, decimals) + 0.0


def simulate_item(spec: ItemSpec, latent: np.ndarray, e: np.ndarray, f: np.ndarray, noise: ItemNoise,
                  female: np.ndarray, visit_sd: float = 1.0) -> np.ndarray:
    """Recorded values (N, V) of one parameter given latents, AR(1) noise ``e`` and effect ``f``."""
    lat = latent[:, None]
    d = noise.subject[:, None]
    eps = noise.visit
    if spec.model == "bounded":
        base = spec.mean + spec.load * lat + spec.sd_subj * d
        true = base + spec.sens * f * (spec.healthy - base)
        val = true + visit_sd * spec.visit_load * e + spec.noise * eps
    elif spec.model == "count":
        logm = np.log(spec.mean) + spec.load * lat + spec.sd_subj * d + spec.visit_load * e
        lam = np.exp(logm) * np.clip(1 - spec.sens * f, 0.02, None)
        u = stats.norm.cdf(eps)
        val = stats.poisson.ppf(np.clip(u, 1e-12, 1 - 1e-12), lam)
    elif spec.model == "lognormal":
        logv = (np.log(spec.mean) + spec.load * lat + spec.sd_subj * d + spec.sens * f
                + visit_sd * spec.visit_load * e + spec.noise * eps)
        val = np.exp(logv)
    elif spec.model == "safety":
        sex = np.where(female, {"HGB": np.log(0.88), "CREAT": np.log(0.78)}.get(spec.paramcd, 0.0), 0.0)[:, None]
        logv = np.log(spec.mean) + sex + spec.sd_subj * 0.6 * d + spec.noise * eps
        if spec.paramcd in ("ALT", "AST"):
            logv = logv + np.where(noise.spike < 0.03, 1.1 + 0.3 * eps, 0.0)
        elif spec.paramcd in ("WBC", "PLAT", "HGB"):
            logv = logv + np.where(noise.spike < 0.02, -0.45 if spec.paramcd != "HGB" else -0.2, 0.0)
        val = np.exp(logv)
    else:  # pragma: no cover - catalogue is static
        raise ValueError(f"{spec.paramcd}: unknown model {spec.model!r}")
    lo = -np.inf if spec.lo is None else spec.lo
    hi = np.inf if spec.hi is None else spec.hi
    return np.clip(round_to(np.clip(val, lo, hi), spec.step), lo, hi)


def ratio_item(spec: ItemSpec, numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    """A ratio parameter as a laboratory reports it (e.g. CD4+/CD8+): the recorded numerator over the recorded
    denominator of the same subject-visit, rounded to ``spec.step``."""
    if (denominator <= 0).any():
        raise ValueError(f"{spec.paramcd}: denominator {spec.ratio_of[1]} has values <= 0")
    return round_to(numerator / denominator, spec.step)


def normal_range(spec: ItemSpec, female: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ANRLO, ANRHI) per subject (sex-specific where the catalogue gives female limits)."""
    n = len(female)
    lo = np.full(n, np.nan if spec.anrlo is None else spec.anrlo)
    hi = np.full(n, np.nan if spec.anrhi is None else spec.anrhi)
    if spec.anrlo_f is not None:
        lo = np.where(female, spec.anrlo_f, lo)
    if spec.anrhi_f is not None:
        hi = np.where(female, spec.anrhi_f, hi)
    return lo, hi
