"""The synthetic subject pool: baseline values, latent effects and item noise, drawn in excess and screened.

Subjects are drawn from an over-sized pool and screened with the trial's eligibility rule (e.g. a minimum
BASDAI), so the enrolled subjects have the baseline distribution of an eligible population.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from . import measurements
from .catalog import BASDAI_ITEMS, CATALOG
from .params import SynthParams


def activity_index(values: dict[str, np.ndarray]) -> np.ndarray:
    """BASDAI-like 0-10 activity per subject and visit from whichever symptom items exist."""
    if all(k in values for k in BASDAI_ITEMS):
        q = [values[k] for k in BASDAI_ITEMS]
        return (q[0] + q[1] + q[2] + q[3] + (q[4] + q[5]) / 2) / 5
    parts = [values[k] for k in ("PTGA", "BASDAI2") if k in values]
    parts += [values[k] / 10 for k in ("TBPAIN", "PTGAVAS", "PAINVAS") if k in values]
    if not parts:
        raise ValueError("the plan has no symptom parameter to drive dropout and rescue")
    return np.mean(parts, axis=0)


def _eligible(p: SynthParams, base: dict[str, np.ndarray]) -> np.ndarray:
    ok = np.ones(len(next(iter(base.values()))), dtype=bool)
    if p.min_basdai is not None and all(k in base for k in BASDAI_ITEMS):
        ok &= activity_index(base) >= p.min_basdai
    if p.min_tbpain is not None and "TBPAIN" in base:
        ok &= base["TBPAIN"] >= p.min_tbpain
    if p.min_das_joints is not None and "SJC28" in base:
        ok &= (base["SJC28"] >= p.min_das_joints) & (base["TJC28"] >= p.min_das_joints)
    return ok


@dataclass
class Pool:
    z: np.ndarray
    w: np.ndarray
    female: np.ndarray
    age: np.ndarray
    hla: np.ndarray
    u: np.ndarray
    tau: np.ndarray
    pers: np.ndarray
    e: np.ndarray
    noise: dict

    def take(self, idx: np.ndarray) -> "Pool":
        return Pool(self.z[idx], self.w[idx], self.female[idx], self.age[idx], self.hla[idx], self.u[idx],
                    self.tau[idx], self.pers[idx], self.e[idx], {k: measurements.ItemNoise(v.subject[idx], v.visit[idx], v.spike[idx])
                                  for k, v in self.noise.items()})


def _draw_pool(p: SynthParams, params: list[str], m: int, v: int, rng: np.random.Generator) -> Pool:
    z = p.activity_shift + p.activity_sd * rng.standard_normal(m)
    female = rng.random(m) >= p.p_male
    age = np.clip(np.rint(p.age_mean + p.age_sd * rng.standard_normal(m)), *p.age_range).astype(int)
    w = 0.45 * (age - p.age_mean) / p.age_sd + np.sqrt(1 - 0.45 ** 2) * rng.standard_normal(m)
    hla = rng.random(m) < p.p_hlab27
    u = np.exp(p.u_sd * rng.standard_normal(m) - p.u_sd ** 2 / 2)
    tau = p.tau_off_days * np.exp(p.tau_off_sd * rng.standard_normal(m))
    pers = p.persistent_effect + p.persistent_sd * rng.standard_normal(m)
    e = measurements.draw_ar1(rng, m, v, p.ar_rho)
    noise = {k: measurements.draw_item_noise(rng, m, v) for k in params}
    return Pool(z, w, female, age, hla, u, tau, pers, e, noise)


def pool_values(pool: Pool, params: list[str], f: np.ndarray, p: SynthParams) -> dict[str, np.ndarray]:
    """Recorded values (N, V) of each parameter; a ``ratio`` item from the recorded values of its two parts."""
    out = {}
    for k in params:
        spec = replace(CATALOG[k], **p.item_overrides.get(k, {}))
        if spec.model == "ratio":
            continue
        spec = replace(spec, sd_subj=spec.sd_subj * p.sd_subj_scale, noise=spec.noise * p.item_noise_scale)
        latent = pool.w if spec.latent == "structure" else pool.z
        out[k] = measurements.simulate_item(spec, latent, pool.e, f, pool.noise[k], pool.female, p.visit_sd)
    for k in params:
        spec = CATALOG[k]
        if spec.model == "ratio":
            out[k] = measurements.ratio_item(spec, out[spec.ratio_of[0]], out[spec.ratio_of[1]])
    return {k: out[k] for k in params}


def select_subjects(p: SynthParams, params: list[str], n: int, v: int, rng: np.random.Generator) -> Pool:
    pools, have = [], 0
    while have < n:
        m = int(n * 1.6) + 20
        pool = _draw_pool(p, params, m, v, rng)
        base = {k: x[:, :1] for k, x in pool_values(pool, params, np.zeros((m, v)), p).items()}
        ok = _eligible(p, {k: x[:, 0] for k, x in base.items()})
        pools.append(pool.take(np.flatnonzero(ok)))
        have += int(ok.sum())
    merged = Pool(*(np.concatenate([getattr(q, a) for q in pools]) for a in ("z", "w", "female", "age", "hla", "u", "tau", "pers", "e")),
                  {k: measurements.ItemNoise(*(np.concatenate([getattr(q.noise[k], a) for q in pools])
                                               for a in ("subject", "visit", "spike"))) for k in params})
    return merged.take(np.arange(n))


