"""MRI total inflammation extent (TIE; ADQS PARAMCD ``MRITIE``) for the subjects of a simulated trial, calibrated
to the visit means and p-value directions a plan publishes (wang2013; CALIBRATION.md says how and why).

TIE is simulated after the subjects are chosen, from its own random stream, so adding it leaves every other
record of the trial unchanged. Per subject i (ADSL order) and MRI visit v (baseline and the endpoint's visits):

    log TIE_i0 = log m_0 - s0^2 / 2 + s0 a_i
    log TIE_iv = log TIE_i0 + log(m_v / m_0) - sc^2 / 2 + sc b_iv,   corr(b_iv, b_iw) = rho

(a, b standard normal; m_v the published mean; :class:`TieModel` holds s0, sc, rho). Then, per visit, every
value is multiplied by ``m_v / mean_v`` and rounded to a whole number by the largest-remainder rule so that the
visit total is ``round(n * m_v)`` (half away from zero): the mean is within 0.5 / n of the published mean, i.e.
equal at the published precision of 0.1 for n >= 10. Attempt k draws from ``SeedSequence(seed, spawn_key=(8,
k))`` (stream 8: after the generator's eight streams); the first attempt whose calibrated values give every
published p-value direction (paired t-test, ``scipy.stats.ttest_rel``, of the visit against baseline, as the
plan's statistic ``t_test`` names it) is kept. Records: one per subject and MRI visit at which the subject has
ADQS records (AVISIT, AVISITN, ADT and ADY copied from them: the MRI is taken on the visit day), after the
subject's other ADQS records.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from sap.spec import Plan

from .calibration import round_half_away

PARAMCD = "MRITIE"
PARAM = "MRI total inflammation extent (TIE) of the spine"
TIE_STREAM = 8


@dataclass(frozen=True)
class TieModel:
    """Model parameters (assumptions; the abstract gives no SD): between-subject log-SD of the baseline value
    ``s0``, log-SD of the change from baseline ``sc``, correlation of the changes between visits ``rho``."""

    baseline_log_sd: float = 0.6
    change_log_sd: float = 0.5
    change_corr: float = 0.5
    max_attempts: int = 200


@dataclass(frozen=True)
class TieTargets:
    """Published means by visit (baseline first) and p-value directions: (visit, 'below'/'above', threshold)."""

    means: dict[float, float]
    directions: tuple[tuple[float, str, float], ...]


def tie_targets(plan: Plan) -> TieTargets | None:
    """The published TIE means and directions of the plan (None when no endpoint is MRITIE)."""
    endpoints = {e.id for e in plan.endpoints if e.parameter == PARAMCD}
    if not endpoints:
        return None
    analyses = {a.id for a in plan.analyses if a.endpoint in endpoints}
    visits = (0.0, *(float(v) for e in plan.endpoints if e.id in endpoints for v in e.visits))
    means, directions = {}, []
    for pv in plan.published:
        if pv.analysis not in analyses or pv.visit is None:
            continue
        if pv.statistic == "mean" and pv.column == "estimate" and pv.comparison == "rounded":
            means[float(pv.visit)] = float(pv.value)
        elif pv.column == "p_value" and pv.comparison != "rounded":
            if pv.statistic != "t_test":
                raise ValueError(f"published[{pv.label}]: synthetic_data.mri calibrates paired t-test (t_test) "
                                 f"directions only, not {pv.statistic!r}")
            directions.append((float(pv.visit), pv.comparison, float(pv.value)))
    missing = [v for v in dict.fromkeys(visits) if v not in means]
    if missing:
        raise ValueError(f"plan {plan.id}: MRITIE is simulated around published visit means (synthetic_data/mri.py); "
                         f"none is published for visit(s) {', '.join(f'{v:g}' for v in missing)}")
    return TieTargets({v: means[v] for v in dict.fromkeys(visits)}, tuple(directions))


def simulate_tie(n: int, targets: TieTargets, rng: np.random.Generator, model: TieModel = TieModel()) -> np.ndarray:
    """(n, visits) raw TIE values of the model (module docstring), visits in ``targets.means`` order."""
    m = np.array(list(targets.means.values()))
    s0, sc, rho = model.baseline_log_sd, model.change_log_sd, model.change_corr
    k = len(m) - 1
    corr = np.full((k, k), rho) + (1 - rho) * np.eye(k)
    a = rng.standard_normal(n)
    b = rng.standard_normal((n, k)) @ np.linalg.cholesky(corr).T
    log0 = np.log(m[0]) - s0 ** 2 / 2 + s0 * a
    post = log0[:, None] + np.log(m[1:] / m[0])[None, :] - sc ** 2 / 2 + sc * b
    return np.exp(np.column_stack([log0, post]))


def calibrate_means(raw: np.ndarray, targets: TieTargets) -> np.ndarray:
    """Each visit scaled to its published mean, then whole numbers summing to round(n * mean) (largest remainder)."""
    n = raw.shape[0]
    out = np.empty_like(raw)
    for j, target in enumerate(targets.means.values()):
        x = raw[:, j] * target / raw[:, j].mean()
        total = int(round_half_away(n * target, 0))
        low = np.floor(x)
        extra = total - int(low.sum())
        if not 0 <= extra <= n:
            raise ValueError(f"largest-remainder rounding: {extra} units to distribute over {n} values")
        order = np.argsort(-(x - low), kind="stable")
        low[order[:extra]] += 1
        out[:, j] = low
    return out


def meets_directions(values: np.ndarray, targets: TieTargets) -> bool:
    """Whether the paired t-test of each visit against baseline lies on the published side."""
    visits = list(targets.means)
    for visit, side, threshold in targets.directions:
        p = stats.ttest_rel(values[:, visits.index(visit)], values[:, 0]).pvalue
        if not (p < threshold if side == "below" else p > threshold):
            return False
    return True


def draw_calibrated_tie(n: int, targets: TieTargets, seed: int, model: TieModel = TieModel()) -> tuple[np.ndarray, int]:
    """(calibrated values (n, visits), attempt kept); ValueError when no attempt meets the directions."""
    for k in range(model.max_attempts):
        rng = np.random.default_rng(np.random.SeedSequence(int(seed), spawn_key=(TIE_STREAM, k)))
        values = calibrate_means(simulate_tie(n, targets, rng, model), targets)
        if meets_directions(values, targets):
            return values, k
    raise ValueError(f"no TIE draw in {model.max_attempts} attempts meets the published p-value directions")


def add_tie_records(plan: Plan, data: dict[str, pd.DataFrame], seed: int) -> dict[str, pd.DataFrame]:
    """``data`` with MRITIE records added to ADQS when the plan has an MRITIE endpoint (else unchanged)."""
    targets = tie_targets(plan)
    if targets is None:
        return data
    adsl, adqs = data["adsl"], data["adqs"]
    values, _ = draw_calibrated_tie(len(adsl), targets, seed)
    visit_rows = adqs.drop_duplicates(["USUBJID", "AVISITN"]).set_index(["USUBJID", "AVISITN"])
    records = []
    for i, subj in enumerate(adsl["USUBJID"]):
        for j, v in enumerate(targets.means):
            if (subj, v) not in visit_rows.index:
                continue
            at = visit_rows.loc[(subj, v)]
            records.append({"STUDYID": at["STUDYID"], "USUBJID": subj, "PARAMCD": PARAMCD, "PARAM": PARAM,
                            "AVAL": float(values[i, j]), "AVISIT": at["AVISIT"], "AVISITN": v, "ADT": at["ADT"],
                            "ADY": at["ADY"]})
    tie = pd.DataFrame(records, columns=adqs.columns)
    merged = pd.concat([adqs, tie.astype(adqs.dtypes.to_dict())], ignore_index=True)
    order = {s: k for k, s in enumerate(adsl["USUBJID"])}
    merged = merged.iloc[np.argsort(merged["USUBJID"].map(order).to_numpy(), kind="stable")].reset_index(drop=True)
    return dict(data, adqs=merged)
