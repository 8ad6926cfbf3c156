"""Adverse-event input: column contract, population join, derived flags, record accounting.

:func:`prepare_ae_data` joins an ADAE-like frame to the population of an ADSL-like frame and
derives the flags every AE table uses (related, serious, grade/severity, fatal, ...). Column
names default to the DESIGN.md data contract. Every ADAE record ends up in exactly one of:
analysed, excluded (subject not in ADSL / not in the population) or not treatment-emergent;
the counts are kept on the result so that nothing is dropped silently.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np
import pandas as pd

TOTAL = "Total"
NOT_CODED = "(Not coded)"

#: AEREL values read as related / not related (upper-cased, stripped).
RELATED_VALUES = frozenset({"Y", "YES", "RELATED", "POSSIBLE", "PROBABLE", "DEFINITE",
                            "POSSIBLY RELATED", "PROBABLY RELATED", "DEFINITELY RELATED",
                            "CERTAIN", "LIKELY"})
NOT_RELATED_VALUES = frozenset({"N", "NO", "NOT RELATED", "NONE", "UNLIKELY", "UNRELATED",
                                "REMOTE", "UNLIKELY RELATED", "NOT LIKELY", "DOUBTFUL"})
SEVERITY_LEVELS = ("MILD", "MODERATE", "SEVERE")
DISCONTINUATION_VALUES = frozenset({"DRUG WITHDRAWN"})
FATAL_VALUES = frozenset({"FATAL"})
INFUSION_REACTION_TERMS = ("INFUSION RELATED REACTION",)


@dataclass(frozen=True)
class AEColumns:
    """ADSL/ADAE column names (contract defaults; AETOXGR is used if present, else AESEV)."""

    subject: str = "USUBJID"
    soc: str = "AEBODSYS"
    pt: str = "AEDECOD"
    grade: str = "AETOXGR"
    severity: str = "AESEV"
    serious: str = "AESER"
    related: str = "AEREL"
    treatment_emergent: str = "TRTEMFL"
    dlt: str = "DLTFL"
    action: str = "AEACN"
    outcome: str = "AEOUT"
    death: str = "AESDTH"


@dataclass(frozen=True)
class AEData:
    """Population and analysed AE records, with the accounting of every input record.

    ``ae`` has one row per analysed record with columns ``subject``, ``group``, ``soc``, ``pt``,
    ``grade`` (ordinal 1-5, or 1-3 for severity; NaN if missing), ``serious``, ``related``,
    ``fatal``, ``discontinued`` (NaN if AEACN absent; ``has_discontinuation`` is False when it is blank throughout), ``dlt`` (NaN if DLTFL absent) plus the
    original ADAE columns prefixed ``src_``.
    """

    population: pd.DataFrame  # subject, group (one row per subject in the population)
    ae: pd.DataFrame
    groups: tuple[str, ...]  # display order, Total last when requested
    big_n: dict[str, int]
    grade_scale: str  # "ctcae" or "severity"
    grade_labels: dict[int, str]
    n_input_records: int
    excluded: pd.DataFrame  # reason, records, subjects
    n_not_treatment_emergent: int
    has_discontinuation: bool
    has_dlt: bool
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def excluded_records(self) -> int:
        return int(self.excluded["records"].sum())


def _clean(v):
    if isinstance(v, str):
        v = v.strip()
        return v if v else None
    if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
        return None
    return v


def _strip(s: pd.Series) -> pd.Series:
    """Strings stripped, blanks -> missing (None), object dtype."""
    return s.astype(object).map(_clean).astype(object)


def _upper(s: pd.Series) -> pd.Series:
    """Stripped, upper-cased strings with runs of blanks as one ("not  related" -> "NOT RELATED"); missing stays
    None."""
    return _strip(s).map(lambda v: " ".join(str(v).split()).upper() if v is not None else None).astype(object)


def _require(frame: pd.DataFrame, cols: Sequence[str], name: str) -> None:
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        raise ValueError(f"{name}: required column(s) {missing} missing")


def _yn(series: pd.Series, col: str, *, allow_missing: bool) -> pd.Series:
    s = _upper(series)
    bad = ~s.isin(["Y", "N"]) & (s.notna() | (not allow_missing))
    if bad.any():
        raise ValueError(f"ADAE column {col!r} must be Y/N; rows {s.index[bad].tolist()[:20]} have "
                         f"{sorted(map(str, s[bad].unique()))[:10]}")
    return s.map({"Y": True, "N": False})


def derive_grade(adae: pd.DataFrame, columns: AEColumns) -> tuple[pd.Series, str, dict[int, str]]:
    """Ordinal grade per record: CTCAE AETOXGR 1-5 if present, else AESEV MILD/MODERATE/SEVERE
    -> 1/2/3. Missing stays NaN; any other value raises."""
    if columns.grade in adae.columns:
        raw = _strip(adae[columns.grade])
        num = pd.to_numeric(raw, errors="coerce")
        bad = (raw.notna() & ~num.isin([1, 2, 3, 4, 5]))
        if bad.any():
            raise ValueError(f"ADAE column {columns.grade!r} must be a CTCAE grade 1-5; rows "
                             f"{raw.index[bad].tolist()[:20]} have {sorted(map(str, raw[bad].unique()))[:10]}")
        return num.astype(float), "ctcae", {g: f"Grade {g}" for g in range(1, 6)}
    if columns.severity in adae.columns:
        raw = _upper(adae[columns.severity])
        bad = raw.notna() & ~raw.isin(SEVERITY_LEVELS)
        if bad.any():
            raise ValueError(f"ADAE column {columns.severity!r} must be MILD/MODERATE/SEVERE; rows "
                             f"{raw.index[bad].tolist()[:20]} have {sorted(raw[bad].unique())[:10]}")
        mapping = {lev: i + 1 for i, lev in enumerate(SEVERITY_LEVELS)}
        return raw.map(mapping).astype(float), "severity", {
            i + 1: lev.capitalize() for i, lev in enumerate(SEVERITY_LEVELS)}
    raise ValueError(f"ADAE needs a grade column {columns.grade!r} or a severity column "
                     f"{columns.severity!r}")


def _related(adae: pd.DataFrame, columns: AEColumns, missing_related: str) -> pd.Series:
    if columns.related not in adae.columns:
        raise ValueError(f"ADAE: required column {columns.related!r} missing")
    raw = _upper(adae[columns.related])
    known = raw.isin(RELATED_VALUES) | raw.isin(NOT_RELATED_VALUES)
    bad = raw.notna() & ~known
    if bad.any():
        raise ValueError(f"ADAE column {columns.related!r}: unrecognised relationship values "
                         f"{sorted(raw[bad].unique())[:10]} in rows {raw.index[bad].tolist()[:20]}")
    out = raw.isin(RELATED_VALUES)
    if raw.isna().any():
        if missing_related == "error":
            raise ValueError(f"ADAE column {columns.related!r} missing in rows "
                             f"{raw.index[raw.isna()].tolist()[:20]}")
        if missing_related not in ("related", "not_related"):
            raise ValueError("missing_related must be 'related', 'not_related' or 'error'")
        out = out | (raw.isna() & (missing_related == "related"))
    return out


def prepare_ae_data(adsl: pd.DataFrame, adae: pd.DataFrame, *, group: str = "TRT01A",
                    ae_group: str | None = None, population_flag: str | None = "SAFFL",
                    group_order: Sequence[str] | None = None, total: bool = True,
                    treatment_emergent_only: bool = True, missing_related: str = "related",
                    columns: AEColumns = AEColumns()) -> AEData:
    """Join ADAE to the ADSL population and derive the AE flags.

    ``group`` is the ADSL column defining the columns (denominators: population N per group);
    ``ae_group`` optionally takes the AE's group from an ADAE column (e.g. TRTA) instead of
    the subject's ADSL group (its values must be ADSL groups). Missing AEREL counts as related
    by default (``missing_related``, the conservative convention). Missing SOC/PT are shown as
    "(Not coded)". Records of subjects outside the population are counted in ``excluded``.
    """
    c = columns
    _require(adsl, [c.subject, group], "ADSL")
    _require(adae, [c.subject, c.soc, c.pt, c.serious], "ADAE")
    sl = adsl.copy()
    sl[c.subject] = _strip(sl[c.subject].astype(object))
    dup = sl.index[sl[c.subject].duplicated(keep=False)].tolist()
    if dup:
        raise ValueError(f"ADSL column {c.subject!r} is not unique (rows {dup[:20]})")
    if population_flag is not None:
        _require(adsl, [population_flag], "ADSL")
        in_pop = _upper(sl[population_flag].astype(object)) == "Y"
    else:
        in_pop = pd.Series(True, index=sl.index)
    sl["_grp"] = _strip(sl[group].astype(object))
    missing_grp = sl.index[in_pop & sl["_grp"].isna()].tolist()
    if missing_grp:
        raise ValueError(f"ADSL column {group!r} is missing for population subjects (rows {missing_grp[:20]})")
    pop = sl.loc[in_pop, [c.subject, "_grp"]].rename(columns={c.subject: "subject", "_grp": "group"})
    pop["group"] = pop["group"].astype(str)
    present = sorted(pop["group"].unique())
    if group_order is None:
        order = present
    else:
        order = [str(g) for g in group_order]
        extra = [g for g in present if g not in order]
        if extra:
            raise ValueError(f"ADSL column {group!r} has groups {extra} not in group_order {order}")
    if total and TOTAL in order:
        raise ValueError(f"a group is named {TOTAL!r}; rename it or set total=False")
    big_n = {g: int((pop["group"] == g).sum()) for g in order}
    groups = tuple(order) + ((TOTAL,) if total else ())
    if total:
        big_n[TOTAL] = int(len(pop))

    ae = adae.copy()
    n_input = len(ae)
    ae["_subj"] = _strip(ae[c.subject].astype(object))
    bad = ae.index[ae["_subj"].isna()].tolist()
    if bad:
        raise ValueError(f"ADAE column {c.subject!r} is missing in rows {bad[:20]}")
    known = ae["_subj"].isin(set(sl[c.subject]))
    inpop = ae["_subj"].isin(set(pop["subject"]))
    excluded = pd.DataFrame({
        "reason": ["subject not in ADSL", "subject not in the population"],
        "records": [int((~known).sum()), int((known & ~inpop).sum())],
        "subjects": [tuple(sorted(ae.loc[~known, "_subj"].unique())),
                     tuple(sorted(ae.loc[known & ~inpop, "_subj"].unique()))],
    })
    ae = ae.loc[inpop]
    if treatment_emergent_only:
        _require(adae, [c.treatment_emergent], "ADAE")
        te = _upper(ae[c.treatment_emergent].astype(object)) == "Y"
        n_not_te = int((~te).sum())
        ae = ae.loc[te]
    else:
        n_not_te = 0

    grade, scale, labels = derive_grade(ae, c)
    out = pd.DataFrame(index=ae.index)
    out["subject"] = ae["_subj"].astype(str)
    if ae_group is None:
        out["group"] = out["subject"].map(dict(zip(pop["subject"], pop["group"])))
    else:
        _require(adae, [ae_group], "ADAE")
        g = _strip(ae[ae_group].astype(object))
        badg = g.isna() | ~g.astype(str).isin(order)
        if badg.any():
            raise ValueError(f"ADAE column {ae_group!r} has values not among the ADSL groups "
                             f"{order} (rows {g.index[badg].tolist()[:20]})")
        out["group"] = g.astype(str)
    out["soc"] = _strip(ae[c.soc].astype(object)).fillna(NOT_CODED).astype(str)
    out["pt"] = _strip(ae[c.pt].astype(object)).fillna(NOT_CODED).astype(str)
    out["grade"] = grade
    out["serious"] = _yn(ae[c.serious].astype(object), c.serious, allow_missing=False)
    out["related"] = _related(ae, c, missing_related)
    fatal = (grade == 5) if scale == "ctcae" else pd.Series(False, index=ae.index)
    if c.outcome in ae.columns:
        fatal |= _upper(ae[c.outcome].astype(object)).isin(FATAL_VALUES)
    if c.death in ae.columns:
        fatal |= _upper(ae[c.death].astype(object)) == "Y"
    out["fatal"] = fatal.astype(bool)
    has_acn = c.action in ae.columns and bool(_strip(ae[c.action].astype(object)).notna().any())
    out["discontinued"] = (_upper(ae[c.action].astype(object))
                           .isin(DISCONTINUATION_VALUES) if has_acn else np.nan)
    has_dlt = c.dlt in ae.columns
    out["dlt"] = (_yn(ae[c.dlt].astype(object), c.dlt, allow_missing=True).fillna(False)
                  .astype(bool) if has_dlt else np.nan)
    for col in adae.columns:
        out[f"src_{col}"] = ae[col]
    notes = []
    if not has_acn:
        notes.append(f"ADAE has no {c.action!r}: discontinuations not summarised" if c.action not in ae.columns
                     else f"ADAE {c.action!r} is blank in every analysed record: discontinuations not summarised "
                          f"from it")
    if not has_dlt:
        notes.append(f"ADAE has no {c.dlt!r}: DLTs not summarised")
    if missing_related != "error" and _strip(ae[c.related].astype(object)).isna().any():
        notes.append(f"{int(_strip(ae[c.related].astype(object)).isna().sum())} record(s) with "
                     f"missing {c.related} counted as {missing_related.replace('_', ' ')}")
    if out["grade"].isna().any():
        notes.append(f"{int(out['grade'].isna().sum())} record(s) with missing grade/severity")
    assert n_input == len(out) + int(excluded["records"].sum()) + n_not_te
    return AEData(pop.reset_index(drop=True), out.reset_index(drop=True), groups, big_n, scale,
                  labels, n_input, excluded, n_not_te, has_acn, has_dlt, tuple(notes))


def with_total(ae: pd.DataFrame, data: AEData) -> pd.DataFrame:
    """AE records, plus a copy labelled Total when the Total column is requested."""
    if TOTAL not in data.groups:
        return ae
    return pd.concat([ae, ae.assign(group=TOTAL)], ignore_index=True)
