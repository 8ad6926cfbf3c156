"""Response rates by group and visit, and group-versus-comparator comparisons, as tidy rows.

The caller passes one row per subject and visit with an already-imputed 0/1 response (NRI or
observed cases: the derivation layer decides); ``imputation`` only labels the output. Statistics
come from :mod:`analyses.binary` and :mod:`analyses.binary_stratified`.
SAS: PROC FREQ ``TABLES visit*group*resp / BINOMIAL RISKDIFF CMH EXACT FISHER``; R: tern
``estimate_proportion`` / ``estimate_proportion_diff`` / ``test_proportion_diff``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from analyses.binary import DIFFERENCE_METHODS, difference_ci, proportion_ci
from analyses.binary_stratified import (STRATIFIED_METHODS, cmh_test, crude_odds_ratio, fisher_test,
                                        logistic_odds_ratio, stratified_difference_ci)
from analyses.results import tidy_frame
from analyses.frames import check_complete_columns


@dataclass(frozen=True)
class BinaryResult:
    """Rows of a binary-endpoint analysis; ``tidy()`` gives the results.json table."""

    rows: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    def tidy(self) -> pd.DataFrame:
        return tidy_frame(self.rows)


def check_response_frame(frame: pd.DataFrame, columns: dict[str, str | None]) -> pd.DataFrame:
    """Raise ValueError for absent columns, missing values or a response that is not 0/1."""
    check_complete_columns(frame, columns, "; impute (e.g. NRI) or remove them before analysis")
    resp = frame[columns["response"]]
    ok = resp.isin([0, 1, True, False])
    if not ok.all():
        raise ValueError(f"column {columns['response']!r} (response) must be 0/1 or boolean; "
                         f"bad rows {list(frame.index[~ok][:20])}")
    return frame


def _levels(series: pd.Series) -> list:
    if isinstance(series.dtype, pd.CategoricalDtype):
        return [c for c in series.cat.categories if (series == c).any()]
    return list(pd.unique(series))


def _visits(frame: pd.DataFrame, visit_col: str | None):
    if visit_col is None:
        yield None, frame
        return
    for v in _levels(frame[visit_col]):
        yield v, frame[frame[visit_col] == v]


def summarize_response_rates(frame: pd.DataFrame, *, response_col: str, group_col: str,
                             visit_col: str | None = None, method: str = "clopper_pearson",
                             level: float = 0.95, imputation: str | None = None,
                             analysis_id: str | None = None, endpoint: str | None = None,
                             population: str | None = None) -> BinaryResult:
    """Responders ("count") and proportion with CI ("proportion") per visit and group.

    CI ``method`` as :func:`analyses.binary.proportion_ci` (default Clopper-Pearson, SAS
    BINOMIAL(CL=EXACT)). One row per subject and visit is expected; duplicates are an error.
    """
    check_response_frame(frame, {"response": response_col, "group": group_col, "visit": visit_col})
    keys = [c for c in (visit_col, group_col) if c]
    if "USUBJID" in frame.columns:
        dup = frame.duplicated(["USUBJID"] + keys, keep=False)
        if dup.any():
            raise ValueError(f"more than one row per USUBJID and {keys} in rows {list(frame.index[dup][:20])}")
    common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
              "imputation": imputation}
    rows = []
    for visit, sub in _visits(frame, visit_col):
        for grp in _levels(frame[group_col]):
            y = sub.loc[sub[group_col] == grp, response_col].astype(int)
            n, x = int(y.size), int(y.sum())
            if n == 0:
                continue
            base = dict(common, visit=visit, group=grp, n=n)
            rows.append(dict(base, statistic="count", estimate=x, label="responders"))
            lower, upper = proportion_ci(x, n, method, level)
            rows.append(dict(base, statistic="proportion", estimate=x / n, se=np.sqrt(x / n * (1 - x / n) / n),
                             ci_lower=lower, ci_upper=upper, method=method, level=level))
    return BinaryResult(tuple(rows))


def compare_response_rates(frame: pd.DataFrame, *, response_col: str, group_col: str, group: Any,
                           comparator: Any, visit_col: str | None = None,
                           strata_col: str | None = None, method: str = "miettinen_nurminen",
                           stratified_method: str = "cmh", level: float = 0.95,
                           imputation: str | None = None, analysis_id: str | None = None,
                           endpoint: str | None = None,
                           population: str | None = None) -> BinaryResult:
    """Group minus comparator per visit: difference + CI, Fisher p, odds ratio; with strata also the
    stratified difference (``stratified_method`` cmh | mh_sato | miettinen_nurminen), CMH p and
    the stratum-adjusted logistic odds ratio.
    """
    if method not in DIFFERENCE_METHODS:
        raise ValueError(f"method={method!r}; expected one of {DIFFERENCE_METHODS}")
    if stratified_method not in STRATIFIED_METHODS:
        raise ValueError(f"stratified_method={stratified_method!r}; expected one of {STRATIFIED_METHODS}")
    check_response_frame(frame, {"response": response_col, "group": group_col, "visit": visit_col,
                                 "strata": strata_col})
    for g in (group, comparator):
        if not (frame[group_col] == g).any():
            raise ValueError(f"group {g!r} does not occur in column {group_col!r}")
    common = {"analysis_id": analysis_id, "endpoint": endpoint, "population": population,
              "group": group, "comparator": comparator, "imputation": imputation, "level": level}
    rows = []
    for visit, sub in _visits(frame, visit_col):
        a = sub[sub[group_col] == group]
        b = sub[sub[group_col] == comparator]
        n1, n2 = len(a), len(b)
        if n1 == 0 or n2 == 0:
            continue
        x1, x2 = int(a[response_col].astype(int).sum()), int(b[response_col].astype(int).sum())
        base = dict(common, visit=visit, n=n1 + n2, n_group=n1, n_comparator=n2,
                    x_group=x1, x_comparator=x2)
        est, lower, upper = difference_ci(x1, n1, x2, n2, method, level)
        rows.append(dict(base, statistic="difference", estimate=est, ci_lower=lower, ci_upper=upper,
                         method=method, label="unstratified"))
        rows.append(dict(base, statistic="fisher_test", p_value=fisher_test(x1, n1, x2, n2)["p_value"],
                         method="fisher_exact"))
        crude = crude_odds_ratio(x1, n1, x2, n2, level)
        rows.append(dict(base, statistic="odds_ratio", estimate=crude["estimate"],
                         ci_lower=crude["ci_lower"], ci_upper=crude["ci_upper"], method="woolf",
                         label="crude", se_log=crude["se"]))
        if strata_col is None:
            continue
        two = pd.concat([a, b])
        cnt = _stratum_counts(two, response_col, group_col, group, comparator, strata_col)
        both = cnt[(cnt.n1 > 0) & (cnt.n2 > 0)]
        label = f"stratified by {strata_col}; {len(both)} of {len(cnt)} strata with both arms"
        if len(both):
            sd = stratified_difference_ci(both.x1, both.n1, both.x2, both.n2, stratified_method, level)
            rows.append(dict(base, statistic="difference", estimate=sd["estimate"],
                             se=None if np.isnan(sd["se"]) else sd["se"], ci_lower=sd["ci_lower"],
                             ci_upper=sd["ci_upper"], method=stratified_method, label=label))
            cm = cmh_test(both.x1, both.n1, both.x2, both.n2)
            rows.append(dict(base, statistic="chisq_test", estimate=cm["statistic"], df=cm["df"],
                             p_value=cm["p_value"], method="cmh", label=label))
        lo = logistic_odds_ratio(two[response_col].astype(int).to_numpy(),
                                 (two[group_col] == group).astype(int).to_numpy(),
                                 two[strata_col].to_numpy(), level)
        rows.append(dict(base, statistic="odds_ratio", estimate=lo["estimate"], ci_lower=lo["ci_lower"],
                         ci_upper=lo["ci_upper"], p_value=lo["p_value"], method="logistic_wald",
                         label=f"adjusted for {strata_col}" + (f"; {lo['note']}" if lo["note"] else ""),
                         se_log=lo["se"]))
    return BinaryResult(tuple(rows))


def _stratum_counts(two: pd.DataFrame, response_col, group_col, group, comparator,
                    strata_col) -> pd.DataFrame:
    out = []
    for s in _levels(two[strata_col]):
        m = two[strata_col] == s
        a = two.loc[m & (two[group_col] == group), response_col].astype(int)
        b = two.loc[m & (two[group_col] == comparator), response_col].astype(int)
        out.append({"stratum": s, "x1": int(a.sum()), "n1": len(a), "x2": int(b.sum()), "n2": len(b)})
    return pd.DataFrame(out)
