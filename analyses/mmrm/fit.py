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
from dataclasses import dataclass, fields, replace

import numpy as np
import pandas as pd

from .covariance import make_structure, normalize_structure_name
from .design import Design, build_design, make_factors
from .errors import MmrmConvergenceError, MmrmConvergenceWarning
from .inference import DF_METHODS as _DF_FUNCTIONS
from .likelihood import Likelihood, build_patterns
from .model import MmrmFit, compute_mmrm_fit
from .optimize import maximize_likelihood
from .settings import VCOV_METHODS, MmrmSettings

#: the df methods (names of the one dispatch :data:`analyses.mmrm.inference.DF_METHODS`)
DF_METHODS = tuple(_DF_FUNCTIONS)
DEFAULT_FALLBACK = {"us": ("toeph", "ar1h", "cs"), "toeph": ("ar1h", "cs"), "csh": ("cs",),
                    "ar1h": ("ar1", "cs"), "toep": ("ar1", "cs"), "adh": ("ar1h", "cs"),
                    "ar1": ("cs",), "cs": ()}
__all__ = ["fit_mmrm", "check_mmrm_data", "DF_METHODS", "VCOV_METHODS", "DEFAULT_FALLBACK", "MmrmSettings",
           "MmrmConvergenceWarning"]
_SETTINGS_FIELDS = frozenset(f.name for f in fields(MmrmSettings))


try:  # BLAS threads only slow down the many small matrix products (optional dependency)
    from threadpoolctl import threadpool_limits as _threadpool_limits
except ImportError:  # pragma: no cover - depends on the environment
    _threadpool_limits = None


def _single_threaded_blas():
    return _threadpool_limits(limits=1, user_api="blas") if _threadpool_limits else contextlib.nullcontext()


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


def _check_weights(data: pd.DataFrame, response: str, weights: str | None) -> None:
    if weights is None:
        return
    if weights not in data.columns:
        raise ValueError(f"weights column {weights!r} not in data")
    wcol = pd.to_numeric(data[weights], errors="coerce")
    bad = data.index[data[response].notna() & ~(np.isfinite(wcol) & (wcol > 0))]
    if len(bad):
        raise ValueError(f"weights column {weights!r} must be positive and finite; rows {_rows_text(bad)}")


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


@dataclass(frozen=True)
class _Model:
    """The model statement of one fit (the DESIGN.md arguments of fit_mmrm), normalised."""

    response: str
    subject: str
    visit: str
    group: str | None
    covariates: tuple
    visit_covariates: tuple
    covariance: str
    reml: bool
    df: str


def _merge_settings(settings: MmrmSettings | None, shorthand: dict) -> MmrmSettings:
    """``settings`` with the keyword shorthand (``reference=...`` = ``MmrmSettings(reference=...)``) applied."""
    unknown = sorted(set(shorthand) - _SETTINGS_FIELDS)
    if unknown:
        raise TypeError(f"fit_mmrm() got unexpected keyword argument(s) {unknown}; settings are the fields "
                        f"of MmrmSettings: {sorted(_SETTINGS_FIELDS)}")
    base = settings if settings is not None else MmrmSettings()
    if "fallback" in shorthand and shorthand["fallback"] is not None:
        shorthand["fallback"] = tuple(shorthand["fallback"])
    return replace(base, **shorthand) if shorthand else base


@_blas_single_threaded
def fit_mmrm(data: pd.DataFrame, *, response: str, subject: str, visit: str, group: str | None = None,
             covariates=(), visit_covariates=(), covariance: str = "us", reml: bool = True,
             df: str = "kenward_roger", settings: MmrmSettings | None = None, **shorthand) -> MmrmFit:
    """Fit an MMRM by (RE)ML and return an :class:`MmrmFit`.

    Arguments as DESIGN.md; advanced settings (vcov, covariance by group, reference levels, level order,
    fallback chain, optimizer controls, confidence level, weights) in ``settings``
    (:class:`~analyses.mmrm.settings.MmrmSettings`); a keyword naming a settings field is a shorthand for it.
    Rows with a missing response are excluded and counted (``n_rows_excluded``).

    Raises ``ValueError`` for malformed input (:func:`check_mmrm_data`, unknown options);
    :class:`~analyses.mmrm.errors.MmrmRankDeficientError` when the design is rank deficient;
    :class:`~analyses.mmrm.errors.MmrmConvergenceError` when no structure of the fallback chain converges
    (unless ``settings.accept_nonconverged``). A fallback used is an :class:`MmrmConvergenceWarning`.
    """
    settings = _merge_settings(settings, shorthand)
    df = str(df).lower().replace("-", "_")
    if df not in DF_METHODS:
        raise ValueError(f"df must be one of {DF_METHODS}, got {df!r}")
    model = _Model(response, subject, visit, group, tuple(covariates), tuple(visit_covariates),
                   normalize_structure_name(covariance), bool(reml), df)
    vcov = settings.vcov_for(df)
    if settings.covariance_by_group and group is None:
        raise ValueError("covariance_by_group=True needs a group column")
    if not isinstance(data, pd.DataFrame):
        raise ValueError("data must be a pandas DataFrame")
    data = data.reset_index(drop=True)
    check_mmrm_data(data, response, subject, visit, group, model.covariates, model.visit_covariates)
    _check_weights(data, response, settings.weights)
    used = data.loc[data[response].notna()].reset_index(drop=True)
    if used.empty:
        raise ValueError(f"no non-missing values of {response!r}")
    design = _build_model_design(used, model, settings)
    lik, result, history, codes = _maximize(used, design, model, settings)
    return compute_mmrm_fit(lik=lik, theta=result.theta, design=design, data=used, response=response,
                            subject=subject, visit=visit, group=group, df_method=df, vcov_method=vcov,
                            reml=model.reml, converged=result.converged, optimizer=result.optimizer,
                            covariance_requested=model.covariance, fallback_history=history,
                            cov_groups=codes["cov_groups"], n_rows_input=len(data),
                            subject_codes=codes["subject"], n_subjects=codes["n_subjects"], level=settings.level)


def _build_model_design(used: pd.DataFrame, model: _Model, settings: MmrmSettings) -> Design:
    """Factors (levels, references) and the treatment-coded design of the analysis rows."""
    references = dict(settings.references or {})
    if settings.reference is not None and model.group is not None:
        references[model.group] = settings.reference
    factors = make_factors(used, group=model.group, visit=model.visit, covariates=model.covariates,
                           visit_covariates=model.visit_covariates, references=references,
                           reference_level=settings.reference_level, visit_levels=settings.visit_levels,
                           group_levels=settings.group_levels)
    bad_visit = ~used[model.visit].isin(factors[model.visit].levels)
    if bad_visit.any():
        raise ValueError(f"visit values not in visit_levels in rows {_rows_text(used.index[bad_visit])}")
    if model.group is not None:
        bad = ~used[model.group].isin(factors[model.group].levels)
        if bad.any():
            raise ValueError(f"group values not in group_levels in rows {_rows_text(used.index[bad])}")
    if model.visit_covariates and not settings.visit_effect:
        raise ValueError("visit_covariates need the visit effect in the model")
    return build_design(used, factors, group=model.group, visit=model.visit, covariates=model.covariates,
                        visit_covariates=model.visit_covariates, visit_effect=settings.visit_effect,
                        group_by_visit=settings.group_by_visit)


def _covariance_groups(used: pd.DataFrame, design: Design, model: _Model, settings: MmrmSettings):
    """(row -> covariance-group code, group labels): one group unless Sigma is estimated per group."""
    if not settings.covariance_by_group:
        return np.zeros(len(used), int), [None]
    conflict = used.groupby(model.subject)[model.group].nunique()
    if (conflict > 1).any():
        raise ValueError(f"subjects with more than one {model.group!r}: {list(conflict.index[conflict > 1][:10])}")
    glev = design.group.levels
    return used[model.group].map({g: i for i, g in enumerate(glev)}).to_numpy(), list(glev)


def _maximize(used: pd.DataFrame, design: Design, model: _Model, settings: MmrmSettings):
    """Maximise the likelihood along the fallback chain: (likelihood, optimum, history, codes)."""
    t = len(design.visit.levels)
    subj_code, subj_uniques = pd.factorize(used[model.subject])
    vis_code = used[model.visit].map({v: i for i, v in enumerate(design.visit.levels)}).to_numpy()
    cov_group, cov_groups = _covariance_groups(used, design, model, settings)
    y, x = used[model.response].to_numpy(float), design.x
    log_weight_sum = 0.0
    if settings.weights is not None:
        wv = used[settings.weights].to_numpy(float)
        x, y = x * np.sqrt(wv)[:, None], y * np.sqrt(wv)
        log_weight_sum = float(np.sum(np.log(wv)))
    patterns = build_patterns(x, y, subj_code, vis_code, cov_group, t)
    resid = y - x @ np.linalg.lstsq(x, y, rcond=None)[0]
    starts = [_moment_covariance(resid[cov_group == gi], subj_code[cov_group == gi], vis_code[cov_group == gi], t)
              for gi in range(len(cov_groups))]
    fallback = DEFAULT_FALLBACK.get(model.covariance, ()) if settings.fallback is None else settings.fallback
    chain = [model.covariance] + [c for c in (normalize_structure_name(f) for f in fallback) if c != model.covariance]
    history, result, lik = [], None, None
    for name in chain:
        structures = [make_structure(name, t) for _ in cov_groups]
        lik_try = Likelihood(patterns, structures, x.shape[1], model.reml, log_weight_sum)
        phi0 = np.concatenate([s.phi_from_sigma(s0) for s, s0 in zip(structures, starts)])
        res = maximize_likelihood(lik_try, phi0, optimizers=settings.optimizers, tol=settings.tol,
                                  maxiter=settings.maxiter)
        history.append({"covariance": name, "optimizer": res.optimizer, "converged": res.converged,
                        "minus2_loglik": res.objective, "message": res.message, "attempts": res.attempts})
        if result is None or (res.converged and not result.converged):
            result, lik = res, lik_try
        if res.converged:
            break
    _report_convergence(result, lik, chain, history, model, settings)
    codes = {"subject": subj_code, "n_subjects": len(subj_uniques), "cov_groups": cov_groups}
    return lik, result, history, codes


def _report_convergence(result, lik, chain, history, model: _Model, settings: MmrmSettings) -> None:
    """Raise MmrmConvergenceError when nothing converged; warn when a fallback structure was used."""
    if not result.converged:
        text = (f"MMRM did not converge with any covariance structure tried ({', '.join(chain)}; optimizers "
                f"{', '.join(settings.optimizers)})")
        if not settings.accept_nonconverged:
            raise MmrmConvergenceError(text, history)
        warnings.warn(f"{text}; results are from the best non-converged fit ({result.optimizer}) and are "
                      f"flagged converged=False", MmrmConvergenceWarning, stacklevel=4)
    elif lik.structures[0].name != model.covariance:
        warnings.warn(f"MMRM with covariance {model.covariance!r} failed; fell back to "
                      f"{lik.structures[0].name!r} (see fit.fallback_history)", MmrmConvergenceWarning, stacklevel=4)
