"""Single-visit ANCOVA with LS means and differences vs a reference group (statsmodels OLS).

Model: response ~ group + covariates (treatment coding). LS means as SAS LSMEANS / R emmeans:
equal weights over the levels of categorical covariates (or observed margins with
``weights="proportional"``, SAS OM), continuous covariates at their mean over the analysis rows.
Differences vs the reference group with t-based CI and p (residual df). Optional linear
dose-response test as in the CDISC pilot CSR (Table 14-3.01): a separate model with the dose as a
continuous covariate instead of the group factor; the test is the t test of its slope.
SAS: ``PROC GLM; CLASS trt site; MODEL chg = trt site base; LSMEANS trt / PDIFF CL;``
R: ``emmeans::emmeans(lm(chg ~ trt + site + base), trt.vs.ctrl ~ trt)``.
The design matrix is built directly from the columns (treatment coding, reference level first), never from
formula text, so a column name or level is data and cannot be evaluated as code.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from scipy import stats

from .results import tidy_frame


def _is_categorical(s: pd.Series) -> bool:
    return not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s)


def _levels(s: pd.Series) -> list:
    if isinstance(s.dtype, pd.CategoricalDtype):
        present = set(s.dropna().unique())
        return [lv for lv in s.cat.categories if lv in present]
    return sorted(s.dropna().unique().tolist(), key=lambda v: (str(type(v)), v))


@dataclass(frozen=True)
class _Term:
    """One model term: a continuous column, or a categorical one with its levels and reference level."""

    column: str
    levels: tuple | None = None
    reference: object = None

    @property
    def non_reference(self) -> list:
        return [lv for lv in self.levels if lv != self.reference] if self.levels is not None else []

    def names(self) -> list[str]:
        if self.levels is None:
            return [self.column]
        return [f"{self.column}[T.{lv}]" for lv in self.non_reference]

    def block(self, values: pd.Series) -> np.ndarray:
        """Treatment-coded (0/1 per non-reference level) or numeric columns of this term."""
        if self.levels is None:
            return values.to_numpy(float)[:, None]
        vals = values.to_numpy()
        return np.column_stack([vals == lv for lv in self.non_reference]).astype(float) \
            if self.non_reference else np.zeros((len(vals), 0))

    def mean_row(self, weights: dict | None, mean: float | None) -> np.ndarray:
        """The LS-mean coefficients of this term: level weights (categorical) or the column mean."""
        if self.levels is None:
            return np.array([mean])
        return np.array([weights.get(lv, 0.0) for lv in self.non_reference])


def _term(data: pd.DataFrame, column: str, reference=None) -> _Term:
    if not _is_categorical(data[column]):
        return _Term(column)
    levels = tuple(_levels(data[column]))
    ref = levels[0] if reference is None else reference
    if ref not in levels:
        raise ValueError(f"reference level {ref!r} of column {column!r} is not among its levels {list(levels)}")
    return _Term(column, levels, ref)


def _design(data: pd.DataFrame, terms: list[_Term]) -> pd.DataFrame:
    """Intercept and treatment-coded term columns, built directly (no formula text is evaluated)."""
    blocks = [np.ones((len(data), 1))] + [t.block(data[t.column]) for t in terms]
    names = ["Intercept"] + [n for t in terms for n in t.names()]
    return pd.DataFrame(np.column_stack(blocks), columns=names, index=data.index)


@dataclass
class AncovaResult:
    """Result of :func:`fit_ancova`: ``model`` (statsmodels OLS results), ``lsmeans``,
    ``contrasts``, ``dose_response`` (dict or None), counts."""

    model: object
    lsmeans: pd.DataFrame
    contrasts: pd.DataFrame
    dose_response: dict | None
    n_rows_input: int
    n_obs: int
    level: float
    meta: dict = field(default_factory=dict)

    def tidy(self, analysis_id=None, endpoint=None, population=None, visit=None) -> pd.DataFrame:
        """Result rows: lsmean per group, lsmean_difference vs reference (+ dose-response slope test)."""
        common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
                  "visit": visit, "level": self.level, "method": "ANCOVA (OLS), equal-weight LS means"}
        rows = []
        for r in self.lsmeans.to_dict("records"):
            rows.append({**common, "statistic": "lsmean", "group": r["group"], "estimate": r["estimate"],
                         "se": r["se"], "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "df": r["df"],
                         "p_value": None, "n": r["n"]})
        for r in self.contrasts.to_dict("records"):
            rows.append({**common, "statistic": "lsmean_difference", "group": r["group"],
                         "comparator": r["comparator"], "estimate": r["estimate"], "se": r["se"],
                         "ci_lower": r["ci_lower"], "ci_upper": r["ci_upper"], "df": r["df"],
                         "p_value": r["p_value"], "n": r["n"], "n_comparator": r["n_comparator"]})
        if self.dose_response is not None:
            d = self.dose_response
            rows.append({**common, "statistic": "f_test", "group": None, "estimate": d["t_value"] ** 2,
                         "se": None, "df": d["df"], "p_value": d["p_value"], "n": self.n_obs,
                         "label": "linear dose-response (dose as continuous covariate)",
                         "slope": d["estimate"], "slope_se": d["se"]})
        return tidy_frame(rows)


def fit_ancova(data: pd.DataFrame, *, response: str, group: str, covariates=(), reference=None,
               dose: str | None = None, references: dict | None = None, weights: str = "equal",
               level: float = 0.95) -> AncovaResult:
    """Fit response ~ group + covariates by OLS; LS means, differences vs ``reference``, dose test.

    ``references`` {column: level} sets the reference of categorical covariates (only the
    coefficients change, not LS means). ``dose`` names a numeric column constant within group
    for the linear dose-response test. Rows with a missing response are excluded and counted;
    a missing group/covariate/dose where the response is present raises ValueError.
    """
    covariates = tuple(covariates)
    cols = [response, group] + list(covariates) + ([dose] if dose else [])
    missing_cols = [c for c in cols if c not in data.columns]
    if missing_cols:
        raise ValueError(f"column(s) {missing_cols} not in data")
    if not pd.api.types.is_numeric_dtype(data[response]):
        raise ValueError(f"response column {response!r} is not numeric")
    if weights not in ("equal", "proportional"):
        raise ValueError("weights must be 'equal' or 'proportional'")
    has_y = data[response].notna()
    for c in cols[1:]:
        bad = data.index[has_y & data[c].isna()]
        if len(bad):
            raise ValueError(f"column {c!r} is missing in rows with a non-missing {response!r}: rows "
                             f"{', '.join(map(str, bad[:10]))}{' ...' if len(bad) > 10 else ''}")
    used = data.loc[has_y].copy()
    glev = _levels(used[group])
    if reference is None:
        reference = glev[0]
    if reference not in glev:
        raise ValueError(f"reference {reference!r} is not a level of {group!r}: {glev}")
    references = dict(references or {})
    gterm = _Term(group, tuple(glev), reference)
    cterms = [_term(used, c, references.get(c)) for c in covariates]
    x = _design(used, [gterm] + cterms)
    model = OLS(used[response].astype(float), x).fit()
    if model.df_resid <= 0:
        raise ValueError("no residual degrees of freedom for the ANCOVA")
    vcov = model.cov_params().to_numpy()
    beta = model.params.to_numpy()
    dfres = float(model.df_resid)
    tq = stats.t.ppf(0.5 + level / 2, dfres)
    lvecs = _lsmean_vectors(used, gterm, cterms, weights)
    counts = used[group].value_counts()
    ls_rows, diff_rows = [], []
    for g in glev:
        est = float(lvecs[g] @ beta)
        se = float(np.sqrt(lvecs[g] @ vcov @ lvecs[g]))
        ls_rows.append({"group": g, "estimate": est, "se": se, "df": dfres, "ci_lower": est - tq * se,
                        "ci_upper": est + tq * se, "n": int(counts.get(g, 0))})
    for g in glev:
        if g == reference:
            continue
        lvec = lvecs[g] - lvecs[reference]
        est = float(lvec @ beta)
        se = float(np.sqrt(lvec @ vcov @ lvec))
        tval = est / se
        diff_rows.append({"group": g, "comparator": reference, "estimate": est, "se": se, "df": dfres,
                          "t_value": tval, "p_value": float(2 * stats.t.sf(abs(tval), dfres)),
                          "ci_lower": est - tq * se, "ci_upper": est + tq * se,
                          "n": int(counts.get(g, 0)), "n_comparator": int(counts.get(reference, 0))})
    dose_result = None
    if dose:
        if not pd.api.types.is_numeric_dtype(used[dose]):
            raise ValueError(f"dose column {dose!r} is not numeric")
        if (used.groupby(group, observed=True)[dose].nunique() > 1).any():
            raise ValueError(f"dose column {dose!r} is not constant within {group!r}")
        dx = _design(used, [_Term(dose)] + cterms)
        dmodel = OLS(used[response].astype(float), dx).fit()
        name = dose
        dose_result = {"estimate": float(dmodel.params[name]), "se": float(dmodel.bse[name]),
                       "t_value": float(dmodel.tvalues[name]), "p_value": float(dmodel.pvalues[name]),
                       "df": float(dmodel.df_resid)}
    return AncovaResult(model=model, lsmeans=pd.DataFrame(ls_rows), contrasts=pd.DataFrame(diff_rows),
                        dose_response=dose_result, n_rows_input=len(data), n_obs=int(len(used)),
                        level=level, meta={"columns": list(x.columns), "reference": reference})


def _lsmean_vectors(used: pd.DataFrame, gterm: _Term, cterms: list[_Term], weights: str) -> dict:
    """LS-mean coefficient vector per group: categorical covariates at equal (or observed-margin) level
    weights, continuous ones at their mean (SAS LSMEANS / emmeans; additive model, so the average of the
    design rows over the covariate grid is the row of the marginal weights)."""
    settings = {}
    for t in cterms:
        if t.levels is None:
            settings[t.column] = (None, float(used[t.column].astype(float).mean()))
        elif weights == "equal":
            settings[t.column] = ({lv: 1.0 / len(t.levels) for lv in t.levels}, None)
        else:
            share = used[t.column].value_counts(normalize=True)
            settings[t.column] = ({lv: float(share.get(lv, 0.0)) for lv in t.levels}, None)
    covariate_part = [t.mean_row(*settings[t.column]) for t in cterms]
    return {g: np.concatenate([[1.0], gterm.mean_row({g: 1.0}, None)] + covariate_part) for g in gterm.levels}
