"""Table shells of the safety family: AE tables (overview, SOC/PT, maximum grade, serious, special interest;
pharmaverse AET01/AET02/AET04/AET01_AESI), exposure-adjusted incidence rates (AET05), DLT rates per dose level and
laboratory shift (LBT14) and change-from-baseline tables.

The shells read the result rows of :mod:`sap.adapters.safety` (statistics ``count``/``event_count`` of AE rows,
``incidence_rate``, ``proportion``, ``mean``/``sd``/``median``/``min``/``max``) and print every number through
:mod:`reports.format`: AE cells are ``n (x.x%) [events]``; interval headers and notes are written from
``result.level``.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import ci_header, fmt_estimate_ci, fmt_int, fmt_n_pct, fmt_num, level_percent
from reports.shells.common import ShellContext, footnotes, group_header

AE_STUB = "Category / term"
AE_CELL_NOTE = ("n (%) [events]: subjects with at least one event (each subject counted once per row), "
                "percentage of the column N, and number of events.")
GRADE_NOTES = {"ctcae": "Grades: CTCAE v5.0 (AETOXGR).", "severity": "Severity: AESEV (mild/moderate/severe)."}
OBSERVATION_END = {"EOSDT": "end of study (EOSDT; TRTEDT where EOSDT is missing)",
                   "TRTEDT": "end of treatment (TRTEDT)"}
SHIFT_NOTE = ("Rows: baseline category; columns: worst post-baseline category (LOW/NORMAL/HIGH by the normal range; "
              "a subject with both LOW and HIGH values is counted in the direction of the larger deviation relative "
              "to the range width). Percentages of the population N.")
CHANGE_NOTE = ("n, mean (SD), median, min-max of the value and of the change from baseline by visit; observed "
               "values of the analysed record per visit.")
RELATED_NOTE = ("Only events related to the study treatment (AEREL related, possibly, probably or definitely "
                "related; a missing relationship counted as related).")
DLT_NOTE = ("DLT rate = subjects with at least one DLT (ADAE DLTFL = Y) / DLT-evaluable subjects; exact "
            "Clopper-Pearson CI.")


def _groups(result) -> list[str]:
    """Groups of the rows in display order: the result's groups, then pooled columns (Total) as they appear."""
    present = list(pd.unique(result.rows["group"]))
    return [g for g in result.group_n if g in present] + [g for g in present if g not in result.group_n]


def _group_headers(result, *, pooled_n_from_groups: bool = False) -> dict[str, str]:
    """Group -> 'label (N=n)': the result's population N; for a pooled column (Total) the N of the group's rows,
    or, when those count values rather than subjects (``pooled_n_from_groups``), the N of all groups."""
    if pooled_n_from_groups:
        pooled = sum(result.group_n.values()) if result.group_n else None
        return {g: group_header(g, result.group_n.get(g, pooled)) for g in _groups(result)}
    n_of = result.rows.drop_duplicates("group").set_index("group")["n"]
    return {g: group_header(g, result.group_n.get(g, n_of[g])) for g in _groups(result)}


# --------------------------------------------------------------------------- AE tables
def _ae_frame(result) -> pd.DataFrame:
    """One row per table row (row_order): indented label, then 'n (x.x%) [events]' per group."""
    rows = result.rows
    counts = rows[rows["statistic"] == "count"].set_index(["row_order", "group"])
    events = rows[rows["statistic"] == "event_count"].set_index(["row_order", "group"])["estimate"]
    labels = counts["label"].groupby(level="row_order").first()
    indent = result.extra["indent"]
    heads = _group_headers(result)
    records = []
    for order, label in labels.sort_index().items():
        rec = {AE_STUB: "  " * int(indent[int(order)]) + str(label)}
        for g, head in heads.items():
            cell = counts.loc[(order, g)]
            n_events = events.get((order, g))  # none for a subject-level row
            rec[head] = fmt_n_pct(cell["estimate"], cell["n"]) + (f" [{fmt_int(n_events)}]" if n_events is not None
                                                                   else "")
        records.append(rec)
    return pd.DataFrame(records, columns=[AE_STUB, *heads.values()])


def _ae_tables(result, sc: ShellContext, *table_notes: str) -> list[DisplayTable]:
    opts = sc.options(result)
    scope = "Treatment-emergent AEs only (TRTEMFL = Y)." if opts.treatment_emergent_only else "All adverse events."
    if opts.relatedness == "related":
        scope += " " + RELATED_NOTE
    notes = footnotes(result, sc, AE_CELL_NOTE, scope, GRADE_NOTES[result.extra["grade_scale"]], *table_notes)
    return [DisplayTable(result.title, _ae_frame(result), footnotes=notes, stub_columns=(AE_STUB,))]


def ae_overview_table(result, sc: ShellContext) -> list[DisplayTable]:
    """AE overview (AET01): one row per category of AE."""
    return _ae_tables(result, sc)


def ae_soc_pt_table(result, sc: ShellContext) -> list[DisplayTable]:
    """AEs by system organ class and preferred term (AET02)."""
    return _ae_tables(result, sc, "System organ classes and preferred terms (MedDRA) sorted by descending total "
                                  "frequency.")


def ae_serious_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Serious AEs by system organ class and preferred term."""
    return _ae_tables(result, sc)


def ae_max_grade_table(result, sc: ShellContext) -> list[DisplayTable]:
    """AEs by maximum grade (AET04): each block's any-grade row, then one row per grade."""
    return _ae_tables(result, sc, "Each subject counted once per block at the worst grade.")


def ae_special_interest_table(result, sc: ShellContext) -> list[DisplayTable]:
    """AEs of special interest (AET01_AESI): the plan's preferred terms."""
    terms = ", ".join(sc.options(result).terms)
    return _ae_tables(result, sc, f"AEs of special interest (preferred terms): {terms}.")


# --------------------------------------------------------------------------- incidence rates
def _rate_key(r) -> tuple:
    return tuple(None if pd.isna(v) else v for v in (r["soc"], r["pt"], r["label"], r["group"]))


def _rate_frame(result) -> pd.DataFrame:
    """'n/subject-years: rate (lower, upper)' per row label (any, then SOC; PT indented) and group."""
    rows = result.rows
    counts = {_rate_key(r): r["estimate"] for _, r in rows[rows["statistic"] == "count"].iterrows()}
    heads = _group_headers(result)
    records: dict[tuple, dict] = {}
    for _, r in rows[rows["statistic"] == "incidence_rate"].iterrows():
        soc, pt, label, group = _rate_key(r)
        depth = 0 if soc is None else 1 if pt is None else 2
        rec = records.setdefault((soc, pt, label), {"Category": "  " * depth + str(label)})
        rec[heads[group]] = (f"{fmt_int(counts[(soc, pt, label, group)])}/{fmt_num(r['subject_years'], 1)}: "
                             f"{fmt_estimate_ci(r['estimate'], r['ci_lower'], r['ci_upper'], digits=2)}")
    return pd.DataFrame(list(records.values()), columns=["Category", *heads.values()])


def ae_rate_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Exposure-adjusted incidence of first AEs per 100 subject-years (AET05), exact Poisson CI at result.level."""
    per = result.rows["per"].dropna()
    per_text = f"{float(per.iloc[0]):g}" if len(per) else "100"
    method = [f"Cell: subjects with the event / subject-years at risk: rate per {per_text} subject-years "
              f"({level_percent(result.level)}% exact Poisson CI).",
              f"Time at risk from first dose (TRTSDT) to the first event, or to the "
              f"{OBSERVATION_END[result.extra['observation_end']]} for subjects without it."]
    late = int(result.extra.get("onset_after_end", 0))
    if late:
        method.append(f"{late} subject(s) with a first onset after the end of observation: counted as events, time "
                      f"at risk to the end of observation.")
    return [DisplayTable(result.title, _rate_frame(result), footnotes=footnotes(result, sc, *method),
                         stub_columns=("Category",))]


# --------------------------------------------------------------------------- DLT rate
def dlt_table(result, sc: ShellContext) -> list[DisplayTable]:
    """DLT-evaluable N, subjects with a DLT and the DLT rate % with its Clopper-Pearson CI per dose level."""
    rows = result.rows[result.rows["statistic"] == "proportion"]
    rate_head = f"DLT rate % ({ci_header(result.level)}, Clopper-Pearson)"
    frame = pd.DataFrame({
        "Dose level": [str(g) for g in rows["group"]],
        "DLT-evaluable N": [fmt_int(n) for n in rows["n"]],
        "Subjects with DLT": [fmt_int(x) for x in rows["n_events"]],
        rate_head: [fmt_estimate_ci(e, lo, hi, digits=1, scale=100)
                    for e, lo, hi in zip(rows["estimate"], rows["ci_lower"], rows["ci_upper"])],
    })
    return [DisplayTable(result.title, frame, footnotes=footnotes(result, sc, DLT_NOTE), stub_columns=("Dose level",))]


# --------------------------------------------------------------------------- laboratory tables
def _parameters(result) -> list[str]:
    return [str(p) for p in pd.unique(result.rows["parameter"])]


def _shift_frame(rows: pd.DataFrame, result) -> pd.DataFrame:
    """Baseline category x (group, worst post-baseline category) of 'n (x.x%)' of the group's population N; the
    categories in the order of the rows (the analysis' full grid LOW, NORMAL, HIGH, MISSING)."""
    heads = _group_headers(result)
    cells = {(r["baseline"], r["group"], r["worst"]): fmt_n_pct(r["estimate"], r["n"]) for _, r in rows.iterrows()}
    columns = {(g, w): f"{head}: {w}" for g, head in heads.items() for w in pd.unique(rows["worst"])}
    records = [{"baseline": b, **{col: cells.get((b, g, w), "") for (g, w), col in columns.items()}}
               for b in pd.unique(rows["baseline"])]
    return pd.DataFrame(records, columns=["baseline", *columns.values()])


def lab_shift_table(result, sc: ShellContext) -> list[DisplayTable]:
    """One shift table per laboratory parameter (LBT14)."""
    counts = result.rows[result.rows["statistic"] == "count"]
    notes = footnotes(result, sc, SHIFT_NOTE)
    return [DisplayTable(f"{result.title}: {p}", _shift_frame(counts[counts["parameter"] == p], result),
                         footnotes=notes, stub_columns=("baseline",)) for p in _parameters(result)]


def _change_cell(stats: pd.Series, n) -> str:
    """'n; mean (SD); median; min, max'; '0' when no subject has a value; an SD that is not estimable (n = 1) is NE."""
    if not n or pd.isna(n):
        return "0"
    def num(name):
        return fmt_num(stats.get(name), 2)
    return f"{fmt_int(n)}; {num('mean')} ({num('sd') or 'NE'}); {num('median')}; {num('min')}, {num('max')}"


VALUE_LABELS = {"AVAL": "Value", "CHG": "Change from baseline"}


def _change_frame(rows: pd.DataFrame, result, sc: ShellContext) -> pd.DataFrame:
    """(Visit, AVAL/CHG) x group of 'n; mean (SD); median; min, max'."""
    heads = _group_headers(result, pooled_n_from_groups=True)
    records = []
    for (visit, variable), block in rows.groupby(["visit", "label"], sort=True):
        rec = {"Visit": sc.visit_label(visit), "Statistic": VALUE_LABELS.get(str(variable), str(variable))}
        for g, head in heads.items():
            cell = block[block["group"] == g]
            rec[head] = _change_cell(cell.set_index("statistic")["estimate"], cell["n"].iloc[0]) if len(cell) else ""
        records.append(rec)
    return pd.DataFrame(records, columns=["Visit", "Statistic", *heads.values()])


def lab_change_table(result, sc: ShellContext) -> list[DisplayTable]:
    """One table per laboratory parameter: value and change from baseline by visit and group."""
    notes = footnotes(result, sc, CHANGE_NOTE)
    return [DisplayTable(f"{result.title}: {p}", _change_frame(result.rows[result.rows["parameter"] == p], result, sc),
                         footnotes=notes, stub_columns=("Visit", "Statistic"), group_column="Visit")
            for p in _parameters(result)]
