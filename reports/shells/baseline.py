"""Table shells of the baseline family (CSR section 14.1): disposition (template DST01), analysis populations,
demographics and baseline characteristics (DMT01) and exposure (EXT01), as in the pharmaverse chevron templates.

Columns: every display column of the result in order (``result.extra["column_n"]``: the treatment groups, then
"Not assigned" and "Total" where the adapter added them; ``result.group_n`` when absent), headed "label (N=n)".
Counts print as "n (x.x%)" of the column N; means and medians with 1 decimal and SDs with 2 (demographics),
exposure per product in its own unit (means and doses with 2 decimals, median numbers of administrations with 1),
whole days for durations. The shells read the result only (rows, the
``descriptive`` frame, ``extra``) and the plan's population definitions; they compute no statistics.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import fmt_int, fmt_n_pct, fmt_num
from reports.shells.common import ShellContext, data_footnote, footnotes, group_header, result_footnotes

DISPOSITION_NOTE = "Completed + discontinued + ongoing = enrolled in every column (each subject counted once)."
DISPOSITION_NOTE_OTHER = ("Completed + discontinued + other end-of-study status + ongoing = enrolled in every column "
                          "(each subject counted once).")
DEMOGRAPHICS_NOTE = "SD: standard deviation. Percentages of the column N."
EXPOSURE_NOTE = ("Each product (ADEX EXTRT) is summarised in its own unit (EXDOSU); doses of different products are "
                 "never added. Administrations and cumulative dose: subjects treated with the product. Percentages of "
                 "the column N.")
DURATION_PARAMETER = "Treatment duration (days, first to last dose)"


def _headers(result) -> dict[str, str]:
    """Display column label -> header 'label (N=n)', in column order."""
    column_n = result.extra.get("column_n") or dict(result.group_n)
    return {c: group_header(c, n) for c, n in column_n.items()}


def _labels(rows: pd.DataFrame) -> list[str]:
    """Row labels of the count rows in result order (each once)."""
    return list(dict.fromkeys(rows.loc[rows["statistic"] == "count", "label"].astype(str)))


def _count_cells(rows: pd.DataFrame, label: str, headers: dict[str, str]) -> dict[str, str]:
    """'n (x.x%)' of each column for the count row ``label`` (n of the row = the column N)."""
    sel = rows[(rows["statistic"] == "count") & (rows["label"].astype(str) == label)].set_index("group")
    return {h: fmt_n_pct(sel.at[c, "estimate"], sel.at[c, "n"]) if c in sel.index else "" for c, h in headers.items()}


def _stats(frame: pd.DataFrame, label: str) -> dict[str, dict[str, float]]:
    """column -> {statistic: estimate, 'n': n} of the descriptive rows of ``label``."""
    out: dict[str, dict[str, float]] = {}
    for r in frame[frame["label"].astype(str) == label].itertuples(index=False):
        cell = out.setdefault(str(r.group), {"n": 0})
        cell[str(r.statistic)] = r.estimate
        cell["n"] = int(r.n)
    return out


def _sd_text(sd) -> str:
    """The SD in parentheses: NE when not estimable (a single value)."""
    return fmt_num(sd, 2) or "NE"


def _mean_sd(digits: int):
    """Formatter of a 'Mean (SD)' cell: the mean with ``digits`` decimals, the SD with 2."""
    return lambda d: f"{fmt_num(d.get('mean'), digits)} ({_sd_text(d.get('sd'))})"


def disposition_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Enrolled, treated, completed, discontinued (reasons indented), other statuses, ongoing: n (%) per column."""
    headers = _headers(result)
    reasons = set(result.extra.get("reasons", ()))
    body = [{"Category": ("  " + lab) if lab in reasons else lab, **_count_cells(result.rows, lab, headers)}
            for lab in _labels(result.rows)]
    note = DISPOSITION_NOTE_OTHER if result.extra.get("other_statuses") else DISPOSITION_NOTE
    return [DisplayTable(result.title, pd.DataFrame(body, columns=["Category", *headers.values()]),
                         footnotes=footnotes(result, sc, note), stub_columns=("Category",))]


def populations_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Subjects in each analysis population, n (%) per column; footnotes give each population's definition."""
    headers = _headers(result)
    body = [{"Population": lab, **_count_cells(result.rows, lab, headers)} for lab in _labels(result.rows)]
    defs = [f"{p.label}: {p.definition}" for p in sc.plan.populations]
    notes = tuple(n for n in defs + result_footnotes(result) + [data_footnote(sc)] if n)
    return [DisplayTable(result.title, pd.DataFrame(body, columns=["Population", *headers.values()]),
                         footnotes=notes, stub_columns=("Population",))]


def _continuous_rows(label: str, stats: dict, headers: dict[str, str]) -> list[dict[str, str]]:
    """n, Mean (SD), Median, 'Min, Max' rows of one variable (empty cells in a column without values)."""
    formats = (("n", lambda d: fmt_int(d["n"])),
               ("Mean (SD)", _mean_sd(1)),
               ("Median", lambda d: fmt_num(d.get("median"), 1)),
               ("Min, Max", lambda d: f"{fmt_num(d.get('min'), 1)}, {fmt_num(d.get('max'), 1)}"))
    out = []
    for name, fmt in formats:
        row = {"Characteristic": label, "Statistic": name}
        for c, h in headers.items():
            d = stats.get(c, {"n": 0})
            row[h] = fmt(d) if d["n"] else ""
        out.append(row)
    return out


def demographics_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Continuous variables (n, mean (SD), median, min, max), then categories n (%) per column."""
    headers = _headers(result)
    desc = result.frames.get("descriptive")
    body = []
    if desc is not None and len(desc):
        for label in dict.fromkeys(desc["label"].astype(str)):
            body += _continuous_rows(label, _stats(desc, label), headers)
    for label, levels in result.extra.get("categories", {}).items():
        for level in levels:
            body.append({"Characteristic": label, "Statistic": str(level),
                         **_count_cells(result.rows, f"{label}: {level}", headers)})
    frame = pd.DataFrame(body, columns=["Characteristic", "Statistic", *headers.values()])
    return [DisplayTable(result.title, frame, footnotes=footnotes(result, sc, DEMOGRAPHICS_NOTE),
                         stub_columns=("Characteristic", "Statistic"), group_column="Characteristic")]


def _summary_row(parameter: str, statistic: str, stats: dict, headers: dict[str, str], fmt) -> dict[str, str]:
    row = {"Parameter": parameter, "Statistic": statistic}
    for c, h in headers.items():
        d = stats.get(c, {"n": 0})
        row[h] = fmt(d) if d["n"] else ""
    return row


def _product_stats(frame, product: str, label: str) -> dict[str, dict[str, float]]:
    """:func:`_stats` of the descriptive rows of one exposure product."""
    if frame is None or not len(frame) or "parameter" not in frame.columns:
        return {}
    return _stats(frame[frame["parameter"].astype("string") == product], label)


def _median_range(digits: int, range_digits: int):
    return lambda d: (f"{fmt_num(d.get('median'), digits)} ({fmt_num(d.get('min'), range_digits)}, "
                      f"{fmt_num(d.get('max'), range_digits)})")


def _course_rows(result, rows, product: str, headers: dict[str, str]) -> list[dict[str, str]]:
    """Rows of the plan's courses of one product: subjects treated in the course, administrations in it."""
    desc, body = result.frames.get("descriptive"), []
    for prefix, label, of_product, days in result.extra.get("courses", ()):
        if of_product != product:
            continue
        name = f"{label} (study days {days[0]}-{days[1]})"
        body.append({"Parameter": product, "Statistic": f"{name}: subjects treated",
                     **_count_cells(rows, f"{prefix}treated", headers)})
        adm = _product_stats(desc, product, f"{prefix}administrations")
        body.append(_summary_row(product, f"{name}: administrations, mean (SD)", adm, headers, _mean_sd(2)))
        body.append(_summary_row(product, f"{name}: administrations, median (min, max)", adm, headers,
                                 _median_range(1, 0)))
    return body


def _product_rows(result, product: str, headers: dict[str, str]) -> list[dict[str, str]]:
    """Rows of one product: subjects treated, administrations (k, mean, median), cumulative dose in its unit."""
    rows = result.rows[result.rows["parameter"].astype("string") == product] if "parameter" in result.rows else \
        result.rows.iloc[0:0]
    desc = result.frames.get("descriptive")
    body = [{"Parameter": product, "Statistic": "Subjects treated", **_count_cells(rows, "treated", headers)}]
    body += [{"Parameter": product, "Statistic": f"Administrations: {lab.split('=', 1)[1]}",
              **_count_cells(rows, lab, headers)} for lab in _labels(rows) if lab.startswith("administrations=")]
    adm = _product_stats(desc, product, "administrations")
    body.append(_summary_row(product, "Administrations, mean (SD)", adm, headers, _mean_sd(2)))
    body.append(_summary_row(product, "Administrations, median (min, max)", adm, headers, _median_range(1, 0)))
    if product in result.extra.get("dose_not_collected", ()):
        treated = _count_cells(rows, "treated", headers)
        body.append({"Parameter": product, "Statistic": "Cumulative dose",
                     **{h: "not collected" if treated[h] not in ("", "0") else "" for h in headers.values()}})
    else:
        unit = result.extra.get("dose_units", {}).get(product, "")
        dose = _product_stats(desc, product, "cumulative dose")
        name = f"Cumulative dose ({unit})" if unit else "Cumulative dose"
        body.append(_summary_row(product, f"{name}, mean (SD)", dose, headers, _mean_sd(2)))
        body.append(_summary_row(product, f"{name}, median (min, max)", dose, headers, _median_range(2, 2)))
    return body + _course_rows(result, rows, product, headers)


def exposure_table(result, sc: ShellContext) -> list[DisplayTable]:
    """One block per product (ADEX EXTRT) in its own unit: subjects treated n (%), administrations k n (%), mean
    (SD) and median (min, max) of the administrations and of the cumulative dose of the subjects treated; then
    the treatment duration median (min, max)."""
    headers = _headers(result)
    desc = result.frames.get("descriptive")
    labels = set(desc["label"].astype(str)) if desc is not None and len(desc) else set()
    body = [row for product in result.extra.get("products", ()) for row in _product_rows(result, product, headers)]
    if "treatment duration days" in labels:
        body.append(_summary_row(DURATION_PARAMETER, "Median (min, max)", _stats(desc, "treatment duration days"),
                                 headers, _median_range(0, 0)))
    notes = [EXPOSURE_NOTE] if result.extra.get("products") else []
    notes += [f"{p}: dose not collected (EXDOSE missing on every ADEX record of the product); the number of "
              "administrations is shown." for p in result.extra.get("dose_not_collected", ())]
    source = ("ADEX (one record per administration)" if result.extra.get("adex_supplied")
              else "ADSL TRTSDT/TRTEDT (no ADEX supplied)")
    frame = pd.DataFrame(body, columns=["Parameter", "Statistic", *headers.values()])
    return [DisplayTable(result.title, frame, footnotes=footnotes(result, sc, *notes, f"Source: {source}."),
                         stub_columns=("Parameter", "Statistic"), group_column="Parameter")]
