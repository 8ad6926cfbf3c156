"""Calibration of a replica to a published summary by deterministic subject selection.

Used for wang2013 (Wang 2013 abstract; see CALIBRATION.md). The generator simulates a candidate
pool of ``pool_factor * n`` subjects with the ordinary model; this module computes, per candidate,
the quantities the paper summarises *with the package's own derivations* (:func:`sap.derivations.
derive_for_plan`: ADRESP ASAS20 AVAL_NRI at week 4, ADDUR ASAS20 AVAL = duration of response in
weeks from actual study days, ADEFF ASDASCRP AVAL of the analysed record at weeks 0, 4, 20), and
:func:`select_calibrated` chooses ``n`` of them so that the summary matches the targets:

1. quotas: ``round(n * responder_fraction)`` week-4 responders and the rest non-responders (the
   prespecified responder fraction of a responder / non-responder mixture);
2. start: the first candidates of each class in enrolment order (the sample a trial enrolling
   until its quotas fill would get);
3. best-improvement swap search: swap one selected subject for one unselected subject of the same
   class, taking the swap with the smallest loss ``sum(((stat - target) / 0.05) ** 2)`` over the
   continuous targets (ties: lowest candidate numbers), until every statistic is within ``margin``
   of its target or no swap improves the loss.

Everything is deterministic given the pool. Hand-written: no library does constrained subset
selection of this kind (it is a small local search, cf. "cardinality matching" in the
matching literature; R ``designmatch`` solves a similar problem with integer programming).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sap.derivations import derive_for_plan
from sap.spec import Plan

from .params import WANG2013_PUBLISHED

#: The published summary (Wang 2013 abstract); counts exact, the rest to one decimal.
TARGET = WANG2013_PUBLISHED
CONTINUOUS = ("duration", "asdas_mean_0", "asdas_sd_0", "asdas_mean_4", "asdas_sd_4", "asdas_mean_20",
              "asdas_sd_20")
VISITS = (0, 4, 20)
SCALE = 0.05  # half the reported precision: loss unit


@dataclass(frozen=True)
class Selection:
    """Chosen candidate positions (ascending), the summary they give, and the number of swaps made."""

    index: np.ndarray
    summary: dict[str, float]
    swaps: int
    matched: bool


def compute_subject_statistics(plan: Plan, data: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Per ADSL subject (ADSL order): SAE (serious ADAE records), R4 (ASAS20 NRI at week 4), EVER (has an ADDUR record of ASAS20),
    DUR (its AVAL, weeks; 0 if none) and ASDAS_0/4/20 (ADEFF ASDASCRP, ANL01FL = Y), all from
    :func:`sap.derivations.derive_for_plan`."""
    derived = derive_for_plan(plan, data)
    subj = data["adsl"]["USUBJID"]
    ae = data["adae"]
    sae = (ae.loc[ae["AESER"] == "Y", "USUBJID"].value_counts() if len(ae) else pd.Series(dtype=float))
    resp = derived["adresp"]
    r4 = resp[(resp["PARAMCD"] == "ASAS20") & (resp["AVISITN"] == 4.0)].set_index("USUBJID")["AVAL_NRI"]
    dur = derived["addur"]
    dur = dur[dur["RESPCD"] == "ASAS20"].set_index("USUBJID")["AVAL"]
    eff = derived["adeff"]
    eff = eff[(eff["PARAMCD"] == "ASDASCRP") & (eff["ANL01FL"].astype("string") == "Y")]
    out = pd.DataFrame({"USUBJID": subj.to_numpy(),
                        "R4": r4.reindex(subj).to_numpy(dtype=float),
                        "EVER": subj.isin(dur.index).to_numpy(),
                        "DUR": dur.reindex(subj).fillna(0.0).to_numpy(dtype=float),
                        "SAE": sae.reindex(subj).fillna(0).to_numpy(dtype=int)})
    for v in VISITS:
        a = eff[eff["AVISITN"] == float(v)].set_index("USUBJID")["AVAL"]
        out[f"ASDAS_{v}"] = a.reindex(subj).to_numpy(dtype=float)
    return out


def summarize_statistics(stats: pd.DataFrame) -> dict[str, float]:
    """The paper's summary of a set of subjects (one row each of :func:`compute_subject_statistics`)."""
    out = {"n": len(stats), "asas20_w4": int(np.nansum(stats["R4"])), "sae": int(stats["SAE"].sum()),
           "duration": float(stats.loc[stats["EVER"], "DUR"].mean())}
    for v in VISITS:
        a = stats[f"ASDAS_{v}"].dropna()
        out[f"asdas_mean_{v}"] = float(a.mean())
        out[f"asdas_sd_{v}"] = float(a.std(ddof=1))
    return out


def round_half_away(x: float, digits: int = 1) -> float:
    """Round half away from zero (as publications report), robust to binary representation."""
    q = 10.0 ** digits
    return float(np.sign(x) * np.floor(abs(x) * q + 0.5 + 1e-9) / q)


def matches_target(s: dict[str, float], target: dict[str, float] = TARGET) -> bool:
    """Counts exactly; means, SDs and duration to the reported precision (one decimal)."""
    if s["n"] != target["n"] or s["asas20_w4"] != target["asas20_w4"] or s["sae"] != target["sae"]:
        return False
    return all(round_half_away(s[k]) == target[k] for k in CONTINUOUS)


def _sums(x: np.ndarray, ever: np.ndarray, dur: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """[sum DUR*EVER, sum EVER, (sum x_v, sum x_v^2) per visit] over the selected rows."""
    m = mask.astype(float)
    parts = [np.sum(dur * ever * m), np.sum(ever * m)]
    for v in range(x.shape[1]):
        parts += [np.sum(x[:, v] * m), np.sum(x[:, v] ** 2 * m)]
    return np.array(parts)


def _stats_from_sums(s: np.ndarray, n: int) -> np.ndarray:
    """Continuous statistics (CONTINUOUS order) from sums; ``s`` has the sums on its last axis."""
    out = [s[..., 0] / s[..., 1]]
    for v in range(3):
        s1, s2 = s[..., 2 + 2 * v], s[..., 3 + 2 * v]
        out += [s1 / n, np.sqrt(np.maximum(s2 - s1 ** 2 / n, 0.0) / (n - 1))]
    return np.stack(out, axis=-1)


def select_calibrated(stats: pd.DataFrame, n: int, target: dict[str, float] = TARGET,
                      margin: float = 0.03, max_swaps: int = 500) -> Selection:
    """Choose ``n`` candidates (rows of :func:`compute_subject_statistics`, in enrolment order) whose
    summary matches ``target``; see the module docstring for the procedure."""
    complete = stats[["R4", "DUR"] + [f"ASDAS_{v}" for v in VISITS]].notna().all(axis=1).to_numpy()
    cand = np.flatnonzero(complete)
    r4 = stats["R4"].to_numpy()[cand] == 1
    q_resp = int(round_half_away(n * target["asas20_w4"] / target["n"], 0))
    if r4.sum() < q_resp or (~r4).sum() < n - q_resp:
        raise ValueError(f"candidate pool too small: {r4.sum()} week-4 responders and {(~r4).sum()} "
                         f"non-responders for quotas {q_resp} and {n - q_resp}")
    x = stats[[f"ASDAS_{v}" for v in VISITS]].to_numpy(dtype=float)[cand]
    ever = stats["EVER"].to_numpy(dtype=float)[cand]
    dur = stats["DUR"].to_numpy(dtype=float)[cand]
    goal = np.array([target[k] for k in CONTINUOUS])
    mask = np.zeros(len(cand), dtype=bool)
    mask[np.flatnonzero(r4)[:q_resp]] = True
    mask[np.flatnonzero(~r4)[:n - q_resp]] = True
    # per-candidate contributions to the sums (same layout as _sums)
    contrib = np.column_stack([dur * ever, ever] + [c for v in range(3) for c in (x[:, v], x[:, v] ** 2)])
    sums = _sums(x, ever, dur, mask)
    loss = lambda st: np.sum(((st - goal) / SCALE) ** 2, axis=-1)  # noqa: E731
    current = _stats_from_sums(sums, n)
    swaps = 0
    while np.max(np.abs(current - goal)) > margin and swaps < max_swaps:
        best = (loss(current), None, None)
        for cls in (r4, ~r4):
            out_idx = np.flatnonzero(mask & cls)
            in_idx = np.flatnonzero(~mask & cls)
            if not len(in_idx):
                continue
            trial = sums[None, None, :] - contrib[out_idx][:, None, :] + contrib[in_idx][None, :, :]
            with np.errstate(invalid="ignore", divide="ignore"):
                lt = loss(_stats_from_sums(trial, n))
            lt = np.where(np.isnan(lt), np.inf, lt)
            k = int(np.argmin(lt))  # first minimum in (out, in) order: lowest candidate numbers
            a, b = divmod(k, len(in_idx))
            if lt[a, b] < best[0] - 1e-12:
                best = (lt[a, b], out_idx[a], in_idx[b])
        if best[1] is None:
            break
        mask[best[1]], mask[best[2]] = False, True
        sums = sums - contrib[best[1]] + contrib[best[2]]
        current = _stats_from_sums(sums, n)
        swaps += 1
    index = cand[np.flatnonzero(mask)]
    summary = summarize_statistics(stats.iloc[index])
    scaled = dict(target, n=n, asas20_w4=q_resp)
    return Selection(index=index, summary=summary, swaps=swaps, matched=matches_target(summary, scaled))
