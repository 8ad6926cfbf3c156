"""fit_mmrm: mixed model for repeated measures (SAS PROC MIXED with REPEATED / R mmrm).

Hand-written engine: no Python library fits an MMRM with unstructured (or other) residual
covariance and Kenward-Roger / Satterthwaite df. Model: response ~ group*visit + covariates +
visit_covariates*visit, y_i ~ N(X_i beta, Sigma_i(theta)); beta by GLS, theta by (RE)ML.
SAS equivalent: ``PROC MIXED METHOD=REML; CLASS ...; MODEL y = group visit group*visit cov
/ DDFM=KR; REPEATED visit / SUBJECT=id TYPE=UN; LSMEANS group*visit / DIFF CL;``
R equivalent: ``mmrm::mmrm(y ~ group*visit + cov + us(visit | id), method = "Kenward-Roger")``.
"""
from __future__ import annotations

import contextlib
import functools
import warnings

import numpy as np
import pandas as pd

from .covariance import make_structure, normalize_structure_name
from .design import build_design, make_factors
from .likelihood import Likelihood, build_patterns
from .model import MmrmFit
from .optimize import OPTIMIZERS, maximize_likelihood

DF_METHODS = ("kenward_roger", "kenward_roger_linear", "satterthwaite", "residual", "between_within")
VCOV_METHODS = ("model", "kenward_roger", "kenward_roger_linear", "empirical")
DEFAULT_FALLBACK = {"us": ("toeph", "ar1h", "cs"), "toeph": ("ar1h", "cs"), "csh": ("cs",),
                    "ar1h": ("ar1", "cs"), "toep": ("ar1", "cs"), "adh": ("ar1h", "cs"),
                    "ar1": ("cs",), "cs": ()}


try:  # BLAS threads only slow down the many small matrix products (optional dependency)
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    _threadpool_limits = None


def _single_threaded_blas():
    return _threadpool_limits(limits=1, user_api="blas") if _threadpool_limits else contextlib.nullcontext()


class MmrmConvergenceWarning(UserWarning):
    """The requested MMRM did not converge (a fallback may have been used)."""


def _rows_text(index) -> str:
    idx = list(index)
    shown = ", ".join(str(i) for i in idx[:10])
    return shown + (f" ... ({len(idx)} rows)" if len(idx) > 10 else "")


def check_mmrm_data(data: pd.DataFrame, response, subject, visit, group, covariates, visit_covariates):
    """Raise ValueError for missing columns, non-numeric response, missing design values in rows
    with a response, or duplicated subject x visit records."""
    cols = [response, subject, visit] + ([group] if group is not None else []) + list(covariates) \
        + list(visit_covariates)
    missing_cols = [c for c in cols if c not in data.columns]
    if missing_cols:
        raise ValueError(f"column(s) {missing_cols} not in data")
    if len(set(cols)) != len(cols):
        raise ValueError(f"a column is used twice in the model: {cols}")
    if not pd.api.types.is_numeric_dtype(data[response]):
        raise ValueError(f"response column {response!r} is not numeric")
    has_y = data[response].notna()
    for c in cols[1:]:
        bad = data.index[has_y & data[c].isna()]
        if len(bad):
            raise ValueError(f"column {c!r} is missing in rows with a non-missing {response!r}: rows {_rows_text(bad)}")
    dup = data.loc[has_y].duplicated([subject, visit], keep=False)
    if dup.any():
        raise ValueError(f"duplicate {subject!r} x {visit!r} records with a response: rows "
                         f"{_rows_text(data.loc[has_y].index[dup])}")
    for c in list(covariates) + list(visit_covariates):
        s = data.loc[has_y, c]
        if not pd.api.types.is_numeric_dtype(s) and not (pd.api.types.is_object_dtype(s) or
                                                          isinstance(s.dtype, pd.CategoricalDtype)
                                                          or pd.api.types.is_bool_dtype(s)
                                                          or pd.api.types.is_string_dtype(s)):
            raise ValueError(f"covariate {c!r} has unsupported dtype {s.dtype}")
        if pd.api.types.is_numeric_dtype(s) and not np.isfinite(s.astype(float)).all():
            raise ValueError(f"covariate {c!r} has non-finite values")
    if not np.isfinite(data.loc[has_y, response].astype(float)).all():
        raise ValueError(f"response {response!r} has infinite values")


def _moment_covariance(resid, subj, vis, t):
    """Pairwise-available residual moment covariance, made positive definite (starting values)."""
    wide = np.full((subj.max() + 1, t), np.nan)
    wide[subj, vis] = resid
    s0 = np.zeros((t, t))
    for a in range(t):
        for b in range(a, t):
            both = ~np.isnan(wide[:, a]) & ~np.isnan(wide[:, b])
            val = float(np.mean(wide[both, a] * wide[both, b])) if both.sum() > 1 else 0.0
            s0[a, b] = s0[b, a] = val
    diag = np.diag(s0).copy()
    fallback = np.nanmean(resid ** 2) if len(resid) else 1.0
    diag[~(diag > 0)] = fallback if fallback > 0 else 1.0
    np.fill_diagonal(s0, diag)
    w, v = np.linalg.eigh(s0)
    floor = 1e-3 * float(np.mean(diag))
    s0 = (v * np.maximum(w, floor)) @ v.T
    return 0.5 * (s0 + s0.T)


def _blas_single_threaded(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        with _single_threaded_blas():
            return func(*args, **kwargs)
    return wrapper


@_blas_single_threaded
def fit_mmrm(data: pd.DataFrame, *, response: str, subject: str, visit: str, group: str | None = None,
             covariates=(), visit_covariates=(), covariance: str = "us", reml: bool = True,
             df: str = "kenward_roger", vcov: str | None = None, covariance_by_group: bool = False,
             reference=None, references: dict | None = None, reference_level: str = "first",
             visit_levels=None, group_levels=None, fallback=None, optimizers=OPTIMIZERS,
             tol: float = 1e-9, level: float = 0.95, visit_effect: bool = True,
             group_by_visit: bool = True, weights: str | None = None) -> MmrmFit:
    """Fit an MMRM by (RE)ML and return an :class:`MmrmFit`.

    Parameters follow DESIGN.md. Extra options: ``vcov`` ("model", "kenward_roger",
    "kenward_roger_linear", "empirical"; default follows ``df``); ``covariance_by_group`` (separate
    Sigma per group, SAS ``REPEATED / GROUP=``); ``reference`` (group reference level);
    ``references`` ({column: level}) and ``reference_level`` ("first" as R, "last" as SAS) for the
    treatment coding; ``visit_levels``/``group_levels`` (level order); ``fallback`` (covariance
    structures tried in order if the fit fails; default per structure, () to disable);
    ``visit_effect``/``group_by_visit`` (drop the visit main effect / group x visit interaction,
    e.g. to reproduce ``MODEL y = group``); ``weights`` (column of positive observation weights,
    SAS ``WEIGHT``: Sigma_i = W_i^-1/2 Sigma W_i^-1/2, fitted by rescaling rows by sqrt(w)).
    Rows with a missing response are excluded and counted (``n_rows_excluded``).
    """
    covariates, visit_covariates = tuple(covariates), tuple(visit_covariates)
    df = str(df).lower().replace("-", "_")
    if df not in DF_METHODS:
        raise ValueError(f"df must be one of {DF_METHODS}, got {df!r}")
    if vcov is None:
        vcov = df if df in ("kenward_roger", "kenward_roger_linear") else "model"
    if vcov not in VCOV_METHODS:
        raise ValueError(f"vcov must be one of {VCOV_METHODS}, got {vcov!r}")
    covariance = normalize_structure_name(covariance)
    if covariance_by_group and group is None:
        raise ValueError("covariance_by_group=True needs a group column")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    data = data.reset_index(drop=True)
    check_mmrm_data(data, response, subject, visit, group, covariates, visit_covariates)
    if weights is not None:
        if weights not in data.columns:
            raise ValueError(f"weights column {weights!r} not in data")
        wcol = pd.to_numeric(data[weights], errors="coerce")
        bad = data.index[data[response].notna() & ~(np.isfinite(wcol) & (wcol > 0))]
        if len(bad):
            raise ValueError(f"weights column {weights!r} must be positive and finite; rows {_rows_text(bad)}")
    n_rows_input = len(data)
    used = data.loc[data[response].notna()].reset_index(drop=True)
    if used.empty:
        raise ValueError(f"no non-missing values of {response!r}")
    references = dict(references or {})
    if reference is not None and group is not None:
        references[group] = reference
    factors = make_factors(used, group=group, visit=visit, covariates=covariates,
                           visit_covariates=visit_covariates, references=references,
                           reference_level=reference_level, visit_levels=visit_levels,
                           group_levels=group_levels)
    bad_visit = ~used[visit].isin(factors[visit].levels)
    if bad_visit.any():
        raise ValueError(f"visit values not in visit_levels in rows {_rows_text(used.index[bad_visit])}")
    if group is not None:
        bad = ~used[group].isin(factors[group].levels)
        if bad.any():
            raise ValueError(f"group values not in group_levels in rows {_rows_text(used.index[bad])}")
    if visit_covariates and not visit_effect:
        raise ValueError("visit_covariates need the visit effect in the model")
    design = build_design(used, factors, group=group, visit=visit, covariates=covariates,
                          visit_covariates=visit_covariates, visit_effect=visit_effect,
                          group_by_visit=group_by_visit)
    t = len(factors[visit].levels)
    subj_code, subj_uniques = pd.factorize(used[subject])
    vis_code = used[visit].map({v: i for i, v in enumerate(factors[visit].levels)}).to_numpy()
    if covariance_by_group:
        glev = factors[group].levels
        cov_group = used[group].map({g: i for i, g in enumerate(glev)}).to_numpy()
        cov_groups = list(glev)
        nsub_group = used.groupby(group)[subject].nunique()
        conflict = used.groupby(subject)[group].nunique()
        if (conflict > 1).any():
            raise ValueError(f"subjects with more than one {group!r}: {list(conflict.index[conflict > 1][:10])}")
    else:
        cov_group = np.zeros(len(used), int)
        cov_groups = [None]
        nsub_group = None
    y = used[response].to_numpy(float)
    x = design.x
    log_weight_sum = 0.0
    if weights is not None:
        wv = used[weights].to_numpy(float)
        x, y = x * np.sqrt(wv)[:, None], y * np.sqrt(wv)
        log_weight_sum = float(np.sum(np.log(wv)))
    patterns = build_patterns(x, y, subj_code, vis_code, cov_group, t)
    p = design.x.shape[1]

    beta_ols = np.linalg.lstsq(x, y, rcond=None)[0]
    resid = y - x @ beta_ols
    starts = []
    for gi in range(len(cov_groups)):
        mask = cov_group == gi
        starts.append(_moment_covariance(resid[mask], subj_code[mask], vis_code[mask], t))

    chain = [covariance] + [c for c in (DEFAULT_FALLBACK.get(covariance, ()) if fallback is None
                                        else [normalize_structure_name(f) for f in fallback])
                            if c != covariance]
    history = []
    result = lik = None
    for name in chain:
        structures = [make_structure(name, t) for _ in cov_groups]
        lik_try = Likelihood(patterns, structures, p, reml, log_weight_sum)
        phi0 = np.concatenate([s.phi_from_sigma(s0) for s, s0 in zip(structures, starts)])
        res = maximize_likelihood(lik_try, phi0, optimizers=optimizers, tol=tol)
        history.append({"covariance": name, "optimizer": res.optimizer, "converged": res.converged,
                        "minus2_loglik": res.objective, "message": res.message,
                        "attempts": res.attempts})
        if result is None or (res.converged and not result.converged):
            result, lik = res, lik_try
        if res.converged:
            break
    if not result.converged:
        warnings.warn(f"MMRM did not converge with covariance {chain}; results are from the best "
                      f"non-converged fit ({result.optimizer}) and are flagged converged=False",
                      MmrmConvergenceWarning, stacklevel=2)
    elif lik.structures[0].name != covariance:
        warnings.warn(f"MMRM with covariance {covariance!r} failed; fell back to "
                      f"{lik.structures[0].name!r} (see fit.fallback_history)",
                      MmrmConvergenceWarning, stacklevel=2)
    return MmrmFit(lik=lik, theta=result.theta, design=design, data=used, response=response,
                   subject=subject, visit=visit, group=group, df_method=df, vcov_method=vcov,
                   reml=reml, converged=result.converged, optimizer=result.optimizer,
                   covariance_requested=covariance, fallback_history=history, cov_groups=cov_groups,
                   n_rows_input=n_rows_input, subject_codes=subj_code, n_subjects=len(subj_uniques),
                   level=level)
