"""Cox proportional-hazards model of a treatment indicator (group = 1, comparator = 0), checked.

The standard fit maximises the partial likelihood with Efron ties by Newton-Raphson as R ``coxph`` does
(``coxph.control``: iter.max 20, eps 1e-9 on the relative change of the log partial likelihood, step halving
when it decreases, survival 3.5 ``coxfit6``; a 0/1 covariate is neither centred nor scaled there either) and
flags a coefficient that diverges while the log-likelihood converges (R: "Loglik converged before variable 1;
coefficient may be infinite", the rule |U / I| > eps and > sqrt(eps) |beta| at the stop). Monotone likelihood is
also detected exactly before fitting: with one 0/1 covariate the log partial likelihood increases without bound
iff no comparator event occurs while a group subject is at risk (an arm without events is the common case), and
decreases without bound iff no group event occurs while a comparator subject is at risk; if both hold it is flat.
Fallback (only when the plan allows it): Firth's penalised partial likelihood log L + 0.5 log I (Firth 1993;
Heinze & Schemper 2001), fitted as R ``coxphf`` 1.13 (Breslow ties, Newton-Raphson with the unpenalised
information, maximum step 0.5 and up to 5 step halvings in the covariate standardised by its SD, convergence when
the standardised step <= 1e-6 and the standardised penalised score <= 1e-4, at most 50 iterations), with the
profile penalised-likelihood CI and penalised likelihood-ratio p-value (coxphf's default ``pl=TRUE``) and
SE = I(beta)^-1/2 as coxphf's ``var``. SAS: PROC PHREG (TIES=EFRON; FIRTH with RISKLIMITS=PL).

Written by hand because no library does it (ARCHITECTURE: write by hand only what no library does):
lifelines ``CoxPHFitter`` returns neither a convergence flag nor an iteration count (only warnings and a
printed trace) and its step-size schedule diverged (log HR 737, then an overflow) on duration-of-response
data where coxph's Newton-Raphson converges in 7 iterations (issue 15); statsmodels ``PHReg`` iterates
plain Newton without step halving or monotone-likelihood detection; no Python library fits Firth's Cox model.
With a single 0/1 covariate the risk-set sums reduce to the number at risk per arm, so the partial likelihood
and its first three derivatives have closed forms (:func:`compute_partial_likelihood`).

References
    Cox DR (1972). JRSS B 34:187.  Efron B (1977). JASA 72:557.  Firth D (1993). Biometrika 80:27.
    Heinze G, Schemper M (2001). A solution to the problem of monotone likelihood in Cox regression.
        Biometrics 57:114.  Therneau TM, Grambsch PM (2000). Modeling Survival Data, section 3.5.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

from analyses.binary import check_level
from analyses.duration import check_time_event

COX_ITER_MAX = 20        # R coxph.control(iter.max)
COX_EPS = 1e-9           # R coxph.control(eps)
COX_TOLER_INF = math.sqrt(COX_EPS)  # R coxph.control(toler.inf)
FIRTH_MAXIT, FIRTH_MAXHS, FIRTH_MAXSTEP = 50, 5, 0.5  # R coxphf defaults
FIRTH_EPSILON, FIRTH_GCONV = 1e-6, 1e-4
TIES = ("efron", "breslow")
COX_FALLBACKS = ("firth",)  # sap.vocabulary.CoxFallback mirrors these names


@dataclass(frozen=True)
class EventTerms:
    """One entry per event (Efron/Breslow term): ``a1``/``a0`` = weighted numbers at risk in group/comparator.

    Efron's l-th term (l = 0..d-1) of an event time with d events removes l/d of each tied event from the
    risk set; Breslow's terms all use the full risk set. ``d1`` = events in the group; ``n1``/``n0`` = subjects.
    """

    a1: np.ndarray
    a0: np.ndarray
    d1: int
    d0: int
    n1: int
    n0: int


@dataclass(frozen=True)
class CoxFit:
    """A Newton-Raphson fit: ``beta`` (log HR), ``se``, ``loglik`` at 0 and at the stop, ``iterations``,
    ``converged`` (R flag != 1000: the log-likelihood converged), ``infinite`` (R's rule: the coefficient
    had not converged when the log-likelihood had) and, for a Firth fit, the profile-likelihood limits and p."""

    beta: float
    se: float
    loglik: tuple[float, float]
    iterations: int
    converged: bool
    infinite: bool = False
    ci: tuple[float, float] = (math.nan, math.nan)
    p_value: float = math.nan


def derive_event_terms(time1, event1, time2, event2, ties: str = "efron") -> EventTerms:
    """Risk-set terms of the two-arm partial likelihood (arm 1 = group, arm 2 = comparator; times >= 0)."""
    if ties not in TIES:
        raise ValueError(f"ties={ties!r}; expected one of {TIES}")
    t1, e1 = np.asarray(time1, float), np.asarray(event1, int)
    t2, e2 = np.asarray(time2, float), np.asarray(event2, int)
    times = np.unique(np.concatenate([t1[e1 == 1], t2[e2 == 1]]))
    r1 = np.array([(t1 >= t).sum() for t in times], float)
    r0 = np.array([(t2 >= t).sum() for t in times], float)
    d1 = np.array([((t1 == t) & (e1 == 1)).sum() for t in times], float)
    d0 = np.array([((t2 == t) & (e2 == 1)).sum() for t in times], float)
    d = (d1 + d0).astype(int)
    j = np.repeat(np.arange(times.size), d)
    l = np.arange(j.size) - np.repeat(np.cumsum(d) - d, d) if ties == "efron" else np.zeros(j.size)
    frac = l / np.repeat(d, d) if j.size else l
    return EventTerms(a1=r1[j] - frac * d1[j], a0=r0[j] - frac * d0[j], d1=int(e1.sum()), d0=int(e2.sum()),
                      n1=int(t1.size), n0=int(t2.size))


def compute_partial_likelihood(terms: EventTerms, beta: float) -> tuple[float, float, float, float]:
    """(log L, score U, information I, dI/dbeta) at ``beta``.

    Each term contributes -log(a0 + a1 e^beta) to log L, with p = a1 e^beta / (a0 + a1 e^beta) the weighted
    share of the group in the risk set: U = d1 - sum p, I = sum p(1-p), dI/dbeta = sum p(1-p)(1-2p) (the
    cumulants of a Bernoulli(p); R ``coxfit6`` sums the same risk-set moments subject by subject).
    """
    with np.errstate(divide="ignore"):
        la1, la0 = np.log(terms.a1), np.log(terms.a0)
    lse = np.logaddexp(la0, la1 + beta)
    p = np.exp(la1 + beta - lse)
    q = p * (1.0 - p)
    return (float(beta * terms.d1 - lse.sum()), float(terms.d1 - p.sum()), float(q.sum()),
            float((q * (1.0 - 2.0 * p)).sum()))


def check_monotone_likelihood(terms: EventTerms) -> str | None:
    """"up" (log L increases without bound: HR infinite), "down" (HR zero), "flat" (log L constant), or None.

    U(beta) decreases in beta; as beta -> +inf a term's p -> 1 where a group subject is at risk (a1 > 0), so
    U(+inf) = d1 - #{terms with a1 > 0} >= 0 iff no comparator event has a group subject at risk; likewise
    U(-inf) = d1 - #{terms with a0 = 0} <= 0 iff no group event has a comparator subject at risk.
    """
    up = terms.d1 - int((terms.a1 > 0).sum()) >= 0
    down = terms.d1 - int((terms.a0 <= 0).sum()) <= 0
    if up and down:
        return "flat"
    return "up" if up else "down" if down else None


def monotone_reason(side: str, labels: tuple[str, str], events: tuple[int, int]) -> str:
    """The not-estimable reason of a monotone likelihood, naming the arm (``labels`` = group, comparator)."""
    if side == "flat":
        return "no information on the hazard ratio (no event occurs while both arms are at risk)"
    quiet, other = (1, 0) if side == "up" else (0, 1)  # the arm whose events carry no information
    if events[quiet] == 0:
        return f"monotone likelihood (no events in {labels[quiet]})"
    return (f"monotone likelihood (complete separation in time: no {labels[other]} subject is at risk at any "
            f"{labels[quiet]} event)")


def fit_cox_newton(terms: EventTerms, iter_max: int = COX_ITER_MAX, eps: float = COX_EPS, init: float = 0.0) -> CoxFit:
    """Newton-Raphson from ``init`` (R ``coxph(init=)``, default 0) as R ``coxfit6``: stop when
    |1 - L_best / L_new| <= eps; when log L decreases (or is not finite) step back, the k-th successive time to
    (new + k old) / (k + 1). ``loglik`` = (log L at ``init``, at the stop)."""
    beta = float(init)
    ll0, u, info, _ = compute_partial_likelihood(terms, beta)
    best = ll0
    new = beta + (u / info if info > 0 else 0.0)
    halving, converged, it = 0, False, 0
    for it in range(1, iter_max + 1):
        ll, u, info, _ = compute_partial_likelihood(terms, new)
        finite = math.isfinite(ll) and math.isfinite(u) and math.isfinite(info)
        if finite and abs(1.0 - best / ll) <= eps:
            beta, best, converged = new, ll, True
            break
        if not finite or ll < best:
            halving += 1
            new = (new + halving * beta) / (halving + 1.0)
        else:
            halving, best, beta = 0, ll, new
            new = new + (u / info if info > 0 else 0.0)
    if not converged:
        best, u, info, _ = compute_partial_likelihood(terms, beta)
    var = 1.0 / info if info > 0 else 0.0
    step = abs(u * var)
    infinite = converged and (not math.isfinite(u) or (step > eps and step > COX_TOLER_INF * abs(beta)))
    return CoxFit(beta=beta, se=math.sqrt(var), loglik=(ll0, best), iterations=it, converged=converged,
                  infinite=bool(infinite))


def compute_firth_likelihood(terms: EventTerms, beta: float) -> tuple[float, float, float]:
    """(penalised log L* = log L + 0.5 log I, penalised score U* = U + 0.5 I'/I, information I) at ``beta``."""
    ll, u, info, dinfo = compute_partial_likelihood(terms, beta)
    if not info > 0:
        return -math.inf, math.nan, info
    return ll + 0.5 * math.log(info), u + 0.5 * dinfo / info, info


def fit_cox_firth(terms: EventTerms, level: float = 0.95) -> CoxFit:
    """Firth's penalised partial likelihood fit as R ``coxphf`` (see the module docstring), with the profile
    penalised-likelihood CI {beta: 2 (L*(b) - L*(beta)) <= chi2_1(level)} and the penalised LR test of beta = 0."""
    n = terms.n1 + terms.n0
    sd = math.sqrt(terms.n1 * terms.n0 / (n * (n - 1.0))) if n > 1 else 0.0
    if not sd > 0:
        raise ValueError("Firth fit needs subjects in both arms")
    beta, (ll0, u, info) = 0.0, compute_firth_likelihood(terms, 0.0)
    ll, converged, it = ll0, False, 0
    for it in range(1, FIRTH_MAXIT + 1):
        step = u / info if info > 0 else math.nan
        if not math.isfinite(step):
            break
        new = beta + max(-FIRTH_MAXSTEP / sd, min(FIRTH_MAXSTEP / sd, step))
        ll_new, u, info = compute_firth_likelihood(terms, new)
        halvings = 0
        while it > 1 and ll_new <= ll and halvings < FIRTH_MAXHS:
            new, halvings = (new + beta) / 2.0, halvings + 1
            ll_new, u, info = compute_firth_likelihood(terms, new)
        converged = abs(new - beta) * sd <= FIRTH_EPSILON and abs(u) / sd <= FIRTH_GCONV
        beta, ll = new, ll_new
        if converged:
            break
    se = 1.0 / math.sqrt(info) if info > 0 else math.nan
    if not converged:
        return CoxFit(beta=beta, se=se, loglik=(ll0, ll), iterations=it, converged=False)
    ci = compute_profile_limits(lambda b: compute_firth_likelihood(terms, b)[0], beta, ll, se, level)
    p_value = float(stats.chi2.sf(max(0.0, 2.0 * (ll - ll0)), 1))
    return CoxFit(beta=beta, se=se, loglik=(ll0, ll), iterations=it, converged=True, ci=ci, p_value=p_value)


def compute_profile_limits(loglik, beta: float, ll_max: float, se: float, level: float) -> tuple[float, float]:
    """Both roots of loglik(b) = ll_max - chi2_1(level) / 2 around the maximum ``beta`` (brentq, bracket grown
    from one SE by doubling); NaN for a side where the drop is not reached within 2^30 SE."""
    target = ll_max - stats.chi2.ppf(level, 1) / 2.0
    width = se if math.isfinite(se) and se > 0 else 1.0
    limits = []
    for sign in (-1.0, 1.0):
        step, root = width, math.nan
        for _ in range(31):
            edge = beta + sign * step
            if loglik(edge) < target:
                lo, hi = sorted((beta + sign * step / 2.0 if step > width else beta, edge))
                root = optimize.brentq(lambda b: loglik(b) - target, lo, hi, xtol=1e-12, rtol=1e-12)
                break
            step *= 2.0
        limits.append(float(root))
    return limits[0], limits[1]


def _wald(fit: CoxFit, z: float) -> dict:
    return {"log_hr": fit.beta, "se": fit.se, "hr": math.exp(fit.beta), "ci_lower": math.exp(fit.beta - z * fit.se),
            "ci_upper": math.exp(fit.beta + z * fit.se), "p_value": float(2 * stats.norm.sf(abs(fit.beta / fit.se)))}


def _failure(fit: CoxFit, side: str | None, labels, events) -> tuple[str, str]:
    """(not-estimable reason, warning text) of a standard fit whose estimate cannot be used."""
    at = f"log HR {fit.beta:.4g} at the stop"
    if side is not None:
        reason = monotone_reason(side, labels, events)
        how = (f"log-likelihood converged after {fit.iterations} iterations before the coefficient" if fit.converged
               else f"no convergence in {fit.iterations} iterations")
        return reason, f"{how} ({at}; coefficient may be infinite): {reason}"
    if fit.converged:
        reason = "Cox fit: log-likelihood converged before the coefficient (coefficient may be infinite)"
        return reason, f"log-likelihood converged after {fit.iterations} iterations before the coefficient ({at})"
    return (f"Cox fit did not converge after {fit.iterations} iterations",
            f"Newton-Raphson did not converge in {fit.iterations} iterations ({at})")


def compute_cox_hazard_ratio(time1, event1, time2, event2, level: float = 0.95,
                             labels: tuple[str, str] = ("group", "comparator"), fallback: tuple[str, ...] = ()) -> dict:
    """Hazard ratio group (arm 1) vs comparator (arm 2): Cox model, Efron ties, Wald CI and p (R ``coxph``).

    Returns log_hr, se, hr, ci_lower, ci_upper, p_value, ``method`` ("cox_efron_wald", or "cox_firth_pl" for the
    Firth fallback: profile penalised-likelihood CI, penalised likelihood-ratio p), ``converged`` (of the fit
    reported; None when nothing could be fitted), ``iterations`` (of that fit), ``warnings`` (why the standard fit
    could not be used), ``notes`` (the fallback used) and ``not_estimable`` (reason, else None; estimates NaN).
    ``fallback=("firth",)`` fits Firth's penalised likelihood when the likelihood is monotone or the standard fit
    does not converge; without it such a hazard ratio is not estimable.
    """
    unknown = set(fallback) - set(COX_FALLBACKS)
    if unknown:
        raise ValueError(f"unknown Cox fallback {sorted(unknown)}; expected one of {COX_FALLBACKS}")
    t1, e1 = check_time_event(time1, event1, labels[0])
    t2, e2 = check_time_event(time2, event2, labels[1])
    z = check_level(level)
    nan = {"log_hr": math.nan, "se": math.nan, "hr": math.nan, "ci_lower": math.nan, "ci_upper": math.nan,
           "p_value": math.nan, "method": "cox_efron_wald", "converged": None, "iterations": 0, "warnings": (),
           "notes": ()}
    terms = derive_event_terms(t1, e1, t2, e2, "efron")
    side = check_monotone_likelihood(terms)
    if terms.d1 + terms.d0 == 0:
        return dict(nan, not_estimable=f"no events in {labels[0]} or {labels[1]}")
    if side == "flat":
        return dict(nan, not_estimable=monotone_reason(side, labels, (terms.d1, terms.d0)))
    fit = fit_cox_newton(terms, COX_ITER_MAX)
    if side is None and fit.converged and not fit.infinite:
        return dict(_wald(fit, z), method="cox_efron_wald", converged=True, iterations=fit.iterations, warnings=(),
                    notes=(), not_estimable=None)
    reason, warning = _failure(fit, side, labels, (terms.d1, terms.d0))
    failed = dict(nan, converged=False, iterations=fit.iterations, warnings=(warning,))
    if "firth" not in fallback:
        return dict(failed, not_estimable=reason)
    firth = fit_cox_firth(derive_event_terms(t1, e1, t2, e2, "breslow"), level)
    if not firth.converged:
        return dict(failed, iterations=firth.iterations, not_estimable=(
            f"{reason}; Firth's penalised likelihood did not converge after {firth.iterations} iterations"))
    note = (f"{reason}: hazard ratio from Firth's penalised partial likelihood (Breslow ties; plan option "
            f"cox_fallback: firth), converged in {firth.iterations} iterations; profile penalised-likelihood CI, "
            "penalised likelihood-ratio p")
    return {"log_hr": firth.beta, "se": firth.se, "hr": math.exp(firth.beta), "ci_lower": math.exp(firth.ci[0]),
            "ci_upper": math.exp(firth.ci[1]), "p_value": firth.p_value, "method": "cox_firth_pl", "converged": True,
            "iterations": firth.iterations, "warnings": (warning,), "notes": (note,), "not_estimable": None}
