"""Design matrix of the MMRM: response ~ group*visit + covariates + visit_covariates*visit.

Treatment (reference) coding. The reference level of every categorical factor is explicit:
``reference_level="first"`` (R's contr.treatment default) or ``"last"`` (SAS CLASS default), with
per-column overrides ``references={"RACE": "Asian", ...}`` (SAS ``CLASS RACE(ref='Asian')``).
The parameterisation does not change fitted values, LS means, differences or the likelihood; it
only decides which coefficients ``.coef`` reports. Columns are named as R model.matrix names them
(``ARMCDTRT``, ``AVISITVIS2``, ``ARMCDTRT:AVISITVIS2``).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .errors import MmrmRankDeficientError


def is_categorical(series: pd.Series) -> bool:
    return (pd.api.types.is_object_dtype(series) or isinstance(series.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(series) or pd.api.types.is_string_dtype(series))


def factor_levels(series: pd.Series) -> list:
    """Levels in order: categorical dtype order if given, otherwise sorted observed values."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        present = set(series.dropna().unique())
        return [lv for lv in series.cat.categories if lv in present]
    values = series.dropna().unique().tolist()
    try:
        return sorted(values)
    except TypeError:
        return sorted(values, key=str)


@dataclass
class Factor:
    name: str
    levels: list
    reference: object

    @property
    def non_reference(self) -> list:
        return [lv for lv in self.levels if lv != self.reference]

    def dummies(self, values: pd.Series, coding: str = "treatment") -> np.ndarray:
        """Treatment coding, or sum (effect) coding with the reference level coded -1."""
        vals = values.to_numpy()
        if not self.non_reference:
            return np.zeros((len(vals), 0))
        out = np.column_stack([(vals == lv).astype(float) for lv in self.non_reference])
        if coding == "sum":
            out = out - (vals == self.reference).astype(float)[:, None]
        return out

    def names(self) -> list[str]:
        return [f"{self.name}{lv}" for lv in self.non_reference]


@dataclass
class Term:
    """One model term; ``kind`` in intercept, group, visit, covariate, group:visit, covariate:visit."""

    label: str
    kind: str
    columns: list[str]
    variable: str | None = None


@dataclass
class Design:
    x: np.ndarray
    columns: list[str]
    terms: list[Term]
    factors: dict[str, Factor]
    continuous: list[str]
    visit: Factor
    group: Factor | None
    covariates: tuple
    visit_covariates: tuple
    visit_effect: bool = True
    group_by_visit: bool = True
    extra: dict = field(default_factory=dict)


def _reference_for(name: str, levels: list, references: dict, reference_level: str):
    if name in references and references[name] is not None:
        ref = references[name]
        if ref not in levels:
            matches = [lv for lv in levels if str(lv) == str(ref)]
            if not matches:
                raise ValueError(f"reference level {ref!r} of column {name!r} is not among its levels {levels}")
            ref = matches[0]
        return ref
    if reference_level not in ("first", "last"):
        raise ValueError("reference_level must be 'first' (R) or 'last' (SAS)")
    return levels[0] if reference_level == "first" else levels[-1]


def make_factors(data: pd.DataFrame, *, group, visit, covariates, visit_covariates, references,
                 reference_level, visit_levels=None, group_levels=None):
    """Factors (levels, reference) for group, visit and categorical covariates."""
    factors = {}
    vlev = list(visit_levels) if visit_levels is not None else factor_levels(data[visit])
    factors[visit] = Factor(visit, vlev, _reference_for(visit, vlev, references, reference_level))
    if group is not None:
        glev = list(group_levels) if group_levels is not None else factor_levels(data[group])
        factors[group] = Factor(group, glev, _reference_for(group, glev, references, reference_level))
    for col in list(covariates) + list(visit_covariates):
        if is_categorical(data[col]):
            lev = factor_levels(data[col])
            factors[col] = Factor(col, lev, _reference_for(col, lev, references, reference_level))
    return factors


def build_design(data: pd.DataFrame, factors: dict[str, Factor], *, group, visit, covariates,
                 visit_covariates, coding: str = "treatment", visit_effect: bool = True,
                 group_by_visit: bool = True) -> Design:
    """Return the full-rank design for the analysis rows of ``data``.

    ``coding="sum"`` gives the effect-coded design used to build type-3 hypotheses.
    """
    n = len(data)
    blocks: list[np.ndarray] = [np.ones((n, 1))]
    terms = [Term("Intercept", "intercept", ["(Intercept)"])]
    vfac = factors[visit]
    vd = vfac.dummies(data[visit], coding)

    def covariate_block(col):
        if col in factors:
            return factors[col].dummies(data[col], coding), factors[col].names()
        return data[col].to_numpy(float)[:, None], [col]

    gfac = factors.get(group) if group is not None else None
    if gfac is not None:
        gd = gfac.dummies(data[group], coding)
        blocks.append(gd)
        terms.append(Term(group, "group", gfac.names(), group))
    if visit_effect:
        blocks.append(vd)
        terms.append(Term(visit, "visit", vfac.names(), visit))
    for col in covariates:
        b, nm = covariate_block(col)
        blocks.append(b)
        terms.append(Term(col, "covariate", nm, col))
    for col in visit_covariates:
        b, nm = covariate_block(col)
        blocks.append(b)
        terms.append(Term(col, "covariate", nm, col))
    if gfac is not None and group_by_visit:
        inter = np.einsum("ni,nj->nij", gd, vd).reshape(n, -1)
        names = [f"{g}:{v}" for g in gfac.names() for v in vfac.names()]
        blocks.append(inter)
        terms.append(Term(f"{group}:{visit}", "group:visit", names, group))
    for col in visit_covariates:
        b, nm = covariate_block(col)
        inter = np.einsum("ni,nj->nij", b, vd).reshape(n, -1)
        blocks.append(inter)
        terms.append(Term(f"{col}:{visit}", "covariate:visit", [f"{a}:{v}" for a in nm for v in vfac.names()], col))
    x = np.column_stack(blocks)
    columns = [c for t in terms for c in t.columns]
    continuous = [c for c in list(covariates) + list(visit_covariates) if c not in factors]
    design = Design(x=x, columns=columns, terms=terms, factors=factors, continuous=continuous,
                    visit=vfac, group=gfac, covariates=tuple(covariates),
                    visit_covariates=tuple(visit_covariates), visit_effect=visit_effect,
                    group_by_visit=group_by_visit)
    rank = np.linalg.matrix_rank(x)
    if rank < x.shape[1]:
        raise MmrmRankDeficientError(f"design matrix is rank deficient (rank {rank} < {x.shape[1]} columns "
                         f"{columns}); check for empty group x visit cells or collinear covariates")
    return design


def design_row(design: Design, *, group_level, visit_level, covariate_values: dict) -> np.ndarray:
    """One row of the design (an L vector) at given group/visit levels and covariate values.

    ``covariate_values[col]`` is a number for a continuous covariate and a dict level -> weight
    for a categorical one (weights summing to 1; e.g. equal or observed-margin weights).
    """
    vals = []
    vfac = design.visit
    vvec = np.array([1.0 if visit_level == lv else 0.0 for lv in vfac.non_reference])

    def cov_vec(col):
        if col in design.factors:
            w = covariate_values[col]
            return np.array([w.get(lv, 0.0) for lv in design.factors[col].non_reference])
        return np.array([float(covariate_values[col])])

    for term in design.terms:
        if term.kind == "intercept":
            vals.append(np.ones(1))
        elif term.kind == "group":
            vals.append(np.array([1.0 if group_level == lv else 0.0 for lv in design.group.non_reference]))
        elif term.kind == "visit":
            vals.append(vvec)
        elif term.kind == "covariate":
            vals.append(cov_vec(term.variable))
        elif term.kind == "group:visit":
            gvec = np.array([1.0 if group_level == lv else 0.0 for lv in design.group.non_reference])
            vals.append(np.outer(gvec, vvec).reshape(-1))
        elif term.kind == "covariate:visit":
            vals.append(np.outer(cov_vec(term.variable), vvec).reshape(-1))
    return np.concatenate(vals)
