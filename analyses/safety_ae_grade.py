"""AEs by maximum CTCAE grade (or maximum severity): AET03/AET04.

Each subject is counted once per row, at the worst grade among their records in that row
(overall, per SOC and per PT). A subject whose records in a row all lack a grade is counted
under "Missing"; so the grade categories of a row add up to its "any grade" count. Event
counts of a grade row are the records with that grade (not only the worst one).
R: tern::count_occurrences_by_grade; SAS: PROC SQL max(grade) by subject, then PROC FREQ.
Hand-written on pandas group-bys.
"""
from __future__ import annotations

import pandas as pd

from analyses.safety_ae_data import AEData, with_total
from analyses.safety_ae_tables import ROW_COLUMNS, AETable, _mask, sort_by_frequency

MISSING = "Missing"


def _worst(recs: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """One row per keys x group x subject with the worst grade (NaN if none graded)."""
    return recs.groupby(keys + ["group", "subject"], dropna=False)["grade"].max().reset_index()


def summarize_ae_by_max_grade(data: AEData, *, where: str | pd.Series | None = None,
                              any_label: str = "Any TEAE",
                              title: str | None = None) -> AETable:
    """Subjects by worst grade: an "Any TEAE" block, then each SOC and PT (sorted as the SOC/PT
    table); each block has its any-grade row then one row per grade (all grades shown)."""
    ae = data.ae[_mask(data, where)]
    recs = with_total(ae, data)
    labels = dict(data.grade_labels)
    cats = [labels[g] for g in sorted(labels)]
    if recs["grade"].isna().any():
        cats.append(MISSING)
    to_cat = lambda g: MISSING if pd.isna(g) else labels[int(g)]  # noqa: E731

    blocks = [("any", None, None, any_label, 0)]
    for soc in sort_by_frequency(ae, "soc"):
        blocks.append(("soc", soc, None, soc, 1))
        for s, pt in sort_by_frequency(ae, "pt", within="soc"):
            if s == soc:
                blocks.append(("pt", soc, pt, pt, 2))

    recs = recs.assign(_any="any")
    worst = {"any": _worst(recs, ["_any"]), "soc": _worst(recs, ["soc"]),
             "pt": _worst(recs, ["soc", "pt"])}
    keys = {"any": ["_any"], "soc": ["soc"], "pt": ["soc", "pt"]}
    subj_counts, rec_counts, any_counts, any_events = {}, {}, {}, {}
    for lvl, w in worst.items():
        k = keys[lvl]
        w = w.assign(cat=w["grade"].map(to_cat))
        for key, n in w.groupby(k + ["group", "cat"]).size().items():
            subj_counts[(lvl,) + key] = int(n)
        for key, n in w.groupby(k + ["group"]).size().items():
            any_counts[(lvl,) + (key if isinstance(key, tuple) else (key,))] = int(n)
        r = recs.assign(cat=recs["grade"].map(to_cat))
        for key, n in r.groupby(k + ["group", "cat"]).size().items():
            rec_counts[(lvl,) + key] = int(n)
        for key, n in r.groupby(k + ["group"]).size().items():
            any_events[(lvl,) + (key if isinstance(key, tuple) else (key,))] = int(n)

    rows = []
    order = 0
    for lvl, soc, pt, label, indent in blocks:
        kv = {"any": ("any",), "soc": (soc,), "pt": (soc, pt)}[lvl]
        for g in data.groups:
            rows.append(dict(order=order, label=label, indent=indent, soc=soc, pt=pt,
                             category="Any grade", group=g,
                             n_subjects=any_counts.get((lvl,) + kv + (g,), 0),
                             n_events=any_events.get((lvl,) + kv + (g,), 0), big_n=data.big_n[g]))
        order += 1
        for cat in cats:
            for g in data.groups:
                rows.append(dict(order=order, label=cat, indent=indent + 1, soc=soc, pt=pt,
                                 category=cat, group=g,
                                 n_subjects=subj_counts.get((lvl,) + kv + (g, cat), 0),
                                 n_events=rec_counts.get((lvl,) + kv + (g, cat), 0),
                                 big_n=data.big_n[g]))
            order += 1
    scale = "CTCAE grade" if data.grade_scale == "ctcae" else "severity"
    return AETable(title or f"TEAEs by maximum {scale}", "TEAE",
                   pd.DataFrame(rows, columns=ROW_COLUMNS), data)
