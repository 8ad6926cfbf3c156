"""Adverse-event incidence tables: overview, SOC/PT, serious AEs, AEs of special interest.

Subjects are counted once per row (n, % of the population N of the column) and events are
the number of records in the row; a Total column pools the groups. Layouts follow the
pharmaverse templates AET01 (overview), AET02 (SOC/PT, sorted by descending total frequency
then alphabetically) and AET01_AESI (R: tern::count_occurrences / summarize_num_patients;
SAS: PROC FREQ on subject-level flags). Hand-written counting on pandas group-bys.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Collection, Mapping, Sequence

import pandas as pd

from analyses.results import tidy_frame
from analyses.safety_ae_data import INFUSION_REACTION_TERMS, AEData, with_total

ROW_COLUMNS = ["order", "label", "indent", "soc", "pt", "category", "group", "n_subjects",
               "n_events", "big_n"]


@dataclass(frozen=True)
class AETable:
    """Long AE table: one row per table row x column group (``rows``, ROW_COLUMNS; ``indent`` is the row's
    depth: 0 any-event row, 1 SOC or category, 2 PT or term, one more for a grade row), with tidy()."""

    title: str
    endpoint: str
    rows: pd.DataFrame  # ROW_COLUMNS
    data: AEData

    @property
    def excluded_records(self) -> int:
        """ADAE records of subjects outside ADSL/the population (reported, not analysed)."""
        return self.data.excluded_records

    def tidy(self, analysis_id: str = "ae", population: str = "SAF") -> pd.DataFrame:
        """Result rows: statistic count / percent / event_count per row label and group."""
        out = []
        for r in self.rows.itertuples(index=False):
            common = dict(analysis_id=analysis_id, endpoint=self.endpoint, population=population,
                          group=r.group, n=r.big_n, label=r.label.strip(), soc=r.soc, pt=r.pt,
                          category=r.category, row_order=r.order, table=self.title)
            pct = 100.0 * r.n_subjects / r.big_n if r.big_n else None
            out.append(dict(common, statistic="count", estimate=int(r.n_subjects)))
            out.append(dict(common, statistic="percent", estimate=pct))
            if not pd.isna(r.n_events):  # no events of a subject-level row (e.g. ADSL DSRAEFL)
                out.append(dict(common, statistic="event_count", estimate=int(r.n_events)))
        return tidy_frame(out)


def count_subjects_events(ae: pd.DataFrame, keys: Sequence[str], data: AEData) -> pd.DataFrame:
    """Subjects (unique) and records per ``keys`` x group, zero-filled over all groups."""
    recs = with_total(ae, data)
    by = list(keys) + ["group"]
    if recs.empty:
        grid = pd.DataFrame(columns=by + ["n_subjects", "n_events"])
    else:
        grid = recs.groupby(by, sort=False, dropna=False).agg(
            n_subjects=("subject", "nunique"), n_events=("subject", "size")).reset_index()
    return grid


def _rows_for(key_rows: list[dict], ae: pd.DataFrame, key_cols: Sequence[str],
              data: AEData) -> list[dict]:
    """Expand row definitions (each with values for key_cols, or mask) into row x group."""
    counts = count_subjects_events(ae, key_cols, data) if key_cols else None
    lookup = {}
    if counts is not None:
        for r in counts.itertuples(index=False):
            rd = r._asdict()
            lookup[tuple(rd[k] for k in key_cols) + (rd["group"],)] = (rd["n_subjects"], rd["n_events"])
    out = []
    for kr in key_rows:
        for g in data.groups:
            n_s, n_e = lookup.get(tuple(kr[k] for k in key_cols) + (g,), (0, 0))
            out.append(dict(kr, group=g, n_subjects=int(n_s), n_events=int(n_e),
                            big_n=data.big_n[g]))
    return out


def _any_row(ae: pd.DataFrame, data: AEData, label: str, order: int, category=None) -> list[dict]:
    recs = with_total(ae, data)
    out = []
    for g in data.groups:
        sub = recs[recs["group"] == g]
        out.append(dict(order=order, label=label, indent=0, soc=None, pt=None, category=category,
                        group=g, n_subjects=int(sub["subject"].nunique()), n_events=int(len(sub)),
                        big_n=data.big_n[g]))
    return out


def sort_by_frequency(ae: pd.DataFrame, key: str, within: str | None = None) -> list:
    """Values of ``key`` ordered by descending number of subjects (all groups pooled), then
    alphabetically; within each value of ``within`` if given."""
    if ae.empty:
        return []
    cols = [within, key] if within else [key]
    freq = ae.groupby(cols)["subject"].nunique().rename("n").reset_index()
    freq = freq.sort_values(cols[:-1] + ["n", key], ascending=[True] * (len(cols) - 1) + [False, True],
                            kind="mergesort")
    return list(freq[cols].itertuples(index=False, name=None)) if within else freq[key].tolist()


def _mask(data: AEData, where: str | pd.Series | None) -> pd.Series:
    ae = data.ae
    if where is None:
        return pd.Series(True, index=ae.index)
    if isinstance(where, str):
        if where not in ("serious", "related", "fatal", "dlt", "discontinued"):
            raise ValueError(f"where={where!r}: use serious, related, fatal, dlt, discontinued or a mask")
        col = ae[where]
        if col.isna().all() and len(col):
            raise ValueError(f"flag {where!r} is not available in this ADAE")
        return col.fillna(False).astype(bool)
    if not isinstance(where, pd.Series) or not where.index.equals(ae.index):
        raise ValueError("where must be a boolean Series aligned with AEData.ae")
    return where.astype(bool)


def summarize_ae_by_soc_pt(data: AEData, *, where: str | pd.Series | None = None,
                           any_label: str = "Any TEAE", title: str = "TEAEs by SOC and PT",
                           endpoint: str = "TEAE") -> AETable:
    """Subjects with >= 1 AE by system organ class and preferred term (AET02).

    SOCs, and PTs within a SOC, are sorted by descending total frequency then alphabetically.
    ``where`` restricts to a subset of records (e.g. ``"serious"``); percentages keep the
    population N.
    """
    ae = data.ae[_mask(data, where)]
    rows = _any_row(ae, data, any_label, 0)
    socs = sort_by_frequency(ae, "soc")
    pts = sort_by_frequency(ae, "pt", within="soc")
    defs = []
    order = 1
    for soc in socs:
        defs.append(dict(order=order, label=soc, indent=1, soc=soc, pt=None, category=None))
        order += 1
        for s, pt in pts:
            if s == soc:
                defs.append(dict(order=order, label=pt, indent=2, soc=soc, pt=pt, category=None))
                order += 1
    soc_defs = [d for d in defs if d["pt"] is None]
    pt_defs = [d for d in defs if d["pt"] is not None]
    rows += _rows_for(soc_defs, ae, ["soc"], data)
    rows += _rows_for(pt_defs, ae, ["soc", "pt"], data)
    frame = pd.DataFrame(rows, columns=ROW_COLUMNS).sort_values(["order"], kind="mergesort")
    return AETable(title, endpoint, frame.reset_index(drop=True), data)


def summarize_serious_ae(data: AEData) -> AETable:
    """Serious TEAEs (AESER = Y) by SOC and PT."""
    return summarize_ae_by_soc_pt(data, where="serious", any_label="Any serious TEAE",
                                  title="Serious TEAEs by SOC and PT", endpoint="serious TEAE")


def summarize_ae_overview(data: AEData, *, infusion_reaction_terms: Sequence[str] | None = None, dlt: bool = True,
                          discontinued_subjects: Collection[str] | None = None,
                          title: str = "Overview of TEAEs") -> AETable:
    """AE overview (AET01): any TEAE, related, serious, grade >= 3 (severe for AESEV), leading to
    discontinuation, fatal (grade 5, AEOUT = FATAL or AESDTH = Y), DLT (DLTFL = Y; ``dlt=False`` leaves the row
    out) and infusion reactions (PTs, case-insensitive; None = "INFUSION RELATED REACTION", () = no row).

    Discontinuation: with ``discontinued_subjects`` the population subjects in it (a subject-level source such as
    ADSL DSRAEFL = Y); else AEACN = DRUG WITHDRAWN where ADAE has AEACN populated; else no row. Rows whose source
    column is absent are left out (see ``data.notes``)."""
    ae = data.ae
    terms = tuple(t.upper() for t in (INFUSION_REACTION_TERMS if infusion_reaction_terms is None
                                      else infusion_reaction_terms))
    sev_label = "Grade >= 3 TEAE" if data.grade_scale == "ctcae" else "Severe TEAE"
    defs = [("Any TEAE", ae, pd.Series(True, index=ae.index)),
            ("Related TEAE", ae, ae["related"]),
            ("Serious TEAE", ae, ae["serious"]),
            (sev_label, ae, ae["grade"] >= 3),
            ("Related serious TEAE", ae, ae["related"] & ae["serious"])]
    if discontinued_subjects is not None:
        pop = data.population
        defs.append(("TEAE leading to discontinuation", pop, pop["subject"].isin(set(discontinued_subjects))))
    elif data.has_discontinuation:
        defs.append(("TEAE leading to discontinuation", ae, ae["discontinued"].astype(bool)))
    defs.append(("Fatal TEAE (death)", ae, ae["fatal"]))
    if dlt and data.has_dlt:
        defs.append(("Dose-limiting toxicity", ae, ae["dlt"].astype(bool)))
    if terms:
        defs.append(("Infusion reaction", ae, ae["pt"].str.upper().isin(terms)))
    rows = []
    for i, (label, frame, m) in enumerate(defs):
        part = _any_row(frame[m.fillna(False).astype(bool)], data, label, i)
        if frame is not ae:  # a subject-level source counts subjects, not events
            part = [dict(r, n_events=None) for r in part]
        rows += part
    return AETable(title, "TEAE", pd.DataFrame(rows, columns=ROW_COLUMNS), data)


def summarize_ae_special_interest(data: AEData, terms: Sequence[str] | Mapping[str, Sequence[str]],
                                  *, match_on: str = "pt",
                                  title: str = "TEAEs of special interest") -> AETable:
    """AEs of special interest (AET01_AESI): "Any AESI", then per category (a mapping
    name -> terms) or per term, each listed term shown even when not observed. Terms are
    matched case-insensitively on the preferred term (``match_on="pt"``) or on any ADAE
    column (e.g. ``"AETERM"``)."""
    if isinstance(terms, Mapping):
        cats = {str(k): [str(t) for t in v] for k, v in terms.items()}
    else:
        cats = {str(t): [str(t)] for t in terms}
    if not cats or not all(cats.values()):
        raise ValueError("terms must name at least one term per category")
    ae = data.ae
    if match_on == "pt":
        src = ae["pt"]
    elif f"src_{match_on}" in ae.columns:
        src = ae[f"src_{match_on}"].astype(object).map(lambda v: v.strip() if isinstance(v, str) else v)
    else:
        raise ValueError(f"match_on={match_on!r}: column not in ADAE")
    up = src.astype(str).str.upper()
    all_terms = {t.upper() for v in cats.values() for t in v}
    rows = _any_row(ae[up.isin(all_terms)], data, "Any AESI", 0)
    order = 1
    as_mapping = isinstance(terms, Mapping)
    for cat, tl in cats.items():
        rows += [dict(r, indent=1, category=cat) for r in
                 _any_row(ae[up.isin({t.upper() for t in tl})], data, cat, order, cat)]
        order += 1
        if as_mapping:
            for t in tl:
                rows += [dict(r, indent=2, category=cat, pt=t) for r in
                         _any_row(ae[up == t.upper()], data, t, order, cat)]
                order += 1
    return AETable(title, "AESI", pd.DataFrame(rows, columns=ROW_COLUMNS), data)
