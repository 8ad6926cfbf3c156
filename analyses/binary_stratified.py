"""Two-arm comparisons of a binary response, optionally stratified.

Each function takes per-stratum counts (x1, n1) for the group and (x2, n2) for the comparator.

* Common risk difference with CI:
  ``cmh``  - Mantel-Haenszel weights w_h = n1h n2h / (n1h + n2h) and the Wald-type variance
             sum w_h^2 (p1h q1h / n1h + p2h q2h / n2h) / (sum w_h)^2 (R ``tern::stat_propdiff_ci``
             method "cmh"; hand-written).
  ``mh_sato`` - the same estimate with the Sato (1989) variance (SAS PROC FREQ
             ``COMMONRISKDIFF(CL=MH)``; hand-written).
  ``miettinen_nurminen`` - stratified score interval of Miettinen & Nurminen (1985) with the
             same MH ("CMH") weights and stratum variances V_h(delta) x N_h/(N_h - 1) at the
             restricted MLE (SAS ``COMMONRISKDIFF(CL=MN)``; R ``lrstat::mnRiskDiffCI``).
* Fisher exact test: ``scipy.stats.fisher_exact`` (two-sided, sums tables no more probable than the
  observed; SAS FREQ EXACT FISHER, R ``fisher.test``).
* CMH test: ``statsmodels StratifiedTable.test_null_odds(correction=False)`` (SAS FREQ CMH, no
  continuity correction; R ``mantelhaen.test(correct=FALSE)``).
* Odds ratio: crude (Woolf logit CI) and adjusted for strata by logistic regression
  (``statsmodels`` GLM binomial, Wald CI; SAS LOGISTIC with CLASS strata, R ``glm``).
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.contingency_tables import StratifiedTable

from analyses.binary import check_counts, check_level, score_interval

STRATIFIED_METHODS = ("cmh", "mh_sato", "miettinen_nurminen")
LOGISTIC_MAXITER = 200  # IRLS iterations of the logistic odds ratio (R glm.control maxit is 25)


def _arrays(x1, n1, x2, n2):
    arrs = [np.atleast_1d(np.asarray(v, dtype=float)) for v in (x1, n1, x2, n2)]
    if len({a.size for a in arrs}) != 1:
        raise ValueError("x1, n1, x2, n2 must have one entry per stratum")
    for h, (a, b, c, d) in enumerate(zip(*arrs)):
        check_counts(a, b, f"group, stratum {h}")
        check_counts(c, d, f"comparator, stratum {h}")
    return arrs


def stratified_difference_ci(x1, n1, x2, n2, method: str = "cmh",
                             level: float = 0.95) -> dict:
    """Common risk difference (group minus comparator) over strata with CI.

    Returns dict(estimate, se, ci_lower, ci_upper, weights); ``se`` is NaN for the score method.
    """
    x1, n1, x2, n2 = _arrays(x1, n1, x2, n2)
    z = check_level(level)
    if method not in STRATIFIED_METHODS:
        raise ValueError(f"method={method!r}; expected one of {STRATIFIED_METHODS}")
    w = n1 * n2 / (n1 + n2)
    p1, p2 = x1 / n1, x2 / n2
    est = float(np.sum(w * (p1 - p2)) / np.sum(w))
    if method == "miettinen_nurminen":
        lower, upper = score_interval(x1, n1, x2, n2, z, mn_factor=True, weights=w)
        return {"estimate": est, "se": math.nan, "ci_lower": lower, "ci_upper": upper,
                "weights": (w / w.sum()).tolist()}
    if method == "cmh":
        var = float(np.sum(w ** 2 * (p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)) / np.sum(w) ** 2)
    else:
        total = n1 + n2
        p_h = (n1 ** 2 * x2 - n2 ** 2 * x1 + n1 * n2 * (n2 - n1) / 2.0) / total ** 2
        q_h = (x1 * (n2 - x2) + x2 * (n1 - x1)) / (2.0 * total)
        var = float((est * np.sum(p_h) + np.sum(q_h)) / np.sum(w) ** 2)
    se = math.sqrt(max(var, 0.0))
    return {"estimate": est, "se": se, "ci_lower": max(-1.0, est - z * se),
            "ci_upper": min(1.0, est + z * se), "weights": (w / w.sum()).tolist()}


def fisher_test(x1: int, n1: int, x2: int, n2: int) -> dict:
    """Two-sided Fisher exact test of the 2x2 table (scipy.stats.fisher_exact)."""
    check_counts(x1, n1, "group")
    check_counts(x2, n2, "comparator")
    table = [[int(x1), int(n1 - x1)], [int(x2), int(n2 - x2)]]
    res = stats.fisher_exact(table, alternative="two-sided")
    return {"p_value": float(res.pvalue), "table": table}


def cmh_test(x1, n1, x2, n2) -> dict:
    """Cochran-Mantel-Haenszel test of no association over strata, no continuity correction.

    statsmodels ``StratifiedTable(...).test_null_odds(correction=False)``. Strata whose table has a
    zero margin carry no information and are dropped by the CMH statistic itself (their variance
    term is 0); if no stratum is informative the statistic is NaN.
    """
    x1, n1, x2, n2 = _arrays(x1, n1, x2, n2)
    tables = np.stack([np.array([[a, b - a], [c, d - c]]) for a, b, c, d in zip(x1, n1, x2, n2)],
                      axis=2)
    informative = [(t.sum(axis=0) > 0).all() and (t.sum(axis=1) > 0).all() for t in
                   np.moveaxis(tables, 2, 0)]
    if not any(informative):
        return {"statistic": math.nan, "df": 1, "p_value": math.nan}
    tables = tables[:, :, informative]
    res = StratifiedTable(tables).test_null_odds(correction=False)
    return {"statistic": float(res.statistic), "df": 1, "p_value": float(res.pvalue)}


def crude_odds_ratio(x1: int, n1: int, x2: int, n2: int, level: float = 0.95) -> dict:
    """Sample odds ratio (x1 (n2-x2)) / ((n1-x1) x2) with Woolf (logit) Wald CI.

    Any zero cell makes the OR or its CI undefined: NaNs are returned (no 0.5 correction), as SAS
    FREQ RELRISK does not report them either.
    """
    check_counts(x1, n1, "group")
    check_counts(x2, n2, "comparator")
    z = check_level(level)
    a, b, c, d = float(x1), float(n1 - x1), float(x2), float(n2 - x2)
    if min(a, b, c, d) == 0:
        return {"estimate": math.nan, "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan}
    log_or = math.log(a * d / (b * c))
    se = math.sqrt(1 / a + 1 / b + 1 / c + 1 / d)
    return {"estimate": math.exp(log_or), "se": se, "ci_lower": math.exp(log_or - z * se),
            "ci_upper": math.exp(log_or + z * se)}


def logistic_odds_ratio(response, treated, strata=None, level: float = 0.95) -> dict:
    """Odds ratio for ``treated`` (1 = group, 0 = comparator) from a logistic model.

    Model logit P(response) = b0 + b1 * treated (+ stratum indicators), fitted by statsmodels GLM
    (binomial, logit link, IRLS maximum likelihood); OR = exp(b1) with Wald CI exp(b1 +/- z se) and
    Wald p-value (SAS PROC LOGISTIC ``CLASS strata; MODEL y = trt strata`` with CLODDS=WALD; R ``glm`` +
    ``confint.default``).

    Strata in which every subject has the same response have an infinite intercept and carry no
    information on b1 (the MLE of b1 is the same with them removed); they are left out and counted
    in ``n_strata_dropped``. The MLE exists iff the treated-responder count lies strictly inside its
    conditional range given the stratum totals (exponential-family existence condition); otherwise
    (separation, e.g. no responder in one arm) NaNs are returned with a ``note``. ``converged`` and ``iterations``
    come from the IRLS fit (statsmodels ``fit.converged``, ``fit_history``; None/0 without a fit); a fit that did
    not converge in ``LOGISTIC_MAXITER`` iterations gives NaNs and a ``note`` too, never its last iterate.
    """
    z = check_level(level)
    y = np.asarray(response, dtype=float)
    trt = np.asarray(treated, dtype=float)
    if y.shape != trt.shape or y.ndim != 1:
        raise ValueError("response and treated must be 1-D and of equal length")
    for name, arr in (("response", y), ("treated", trt)):
        bad = np.flatnonzero(~np.isin(arr, (0.0, 1.0)))
        if bad.size:
            raise ValueError(f"{name} must be 0/1; bad rows {bad[:20].tolist()}")
    labels = (np.zeros(y.size, dtype=int) if strata is None
              else pd.factorize(pd.Series(np.asarray(strata)).astype(str), sort=True)[0])
    if labels.size != y.size:
        raise ValueError("strata must have one entry per subject")
    keep = np.zeros(y.size, dtype=bool)
    lo = hi = 0.0
    for lab in np.unique(labels):
        m = labels == lab
        if y[m].min() == y[m].max():
            continue
        keep |= m
        n_trt, n_resp, n = trt[m].sum(), y[m].sum(), m.sum()
        lo += max(0.0, n_resp - (n - n_trt))
        hi += min(n_trt, n_resp)
    dropped = int(np.unique(labels).size - np.unique(labels[keep]).size)
    observed = float(np.sum(y[keep] * trt[keep]))
    if not keep.any() or not lo < observed < hi:
        return {"estimate": math.nan, "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                "p_value": math.nan, "n_strata_dropped": dropped, "converged": None, "iterations": 0,
                "note": "not estimable (separation: maximum-likelihood estimate does not exist)"}
    design = pd.DataFrame({"const": 1.0, "treated": trt[keep]})
    if strata is not None:
        dummies = pd.get_dummies(pd.Series(labels[keep]).astype(str), prefix="stratum",
                                 drop_first=True, dtype=float)
        design = pd.concat([design, dummies.set_axis(design.index)], axis=1)
    fit = sm.GLM(y[keep], design, family=sm.families.Binomial()).fit(tol=1e-12, maxiter=LOGISTIC_MAXITER)
    iterations = int(fit.fit_history["iteration"])
    if not fit.converged:  # statsmodels' IRLS returns its last iterate without a warning: never use it
        return {"estimate": math.nan, "se": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
                "p_value": math.nan, "n_strata_dropped": dropped, "converged": False, "iterations": iterations,
                "note": f"not estimable (logistic fit did not converge after {iterations} IRLS iterations)"}
    b, se = float(fit.params["treated"]), float(fit.bse["treated"])
    return {"estimate": math.exp(b), "se": se, "ci_lower": math.exp(b - z * se),
            "ci_upper": math.exp(b + z * se), "p_value": float(2 * stats.norm.sf(abs(b / se))),
            "n_strata_dropped": dropped, "converged": True, "iterations": iterations,
            "note": f"{dropped} stratum/strata with a single response value left out" if dropped else None}
