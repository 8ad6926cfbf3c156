"""Table shell of the duration family (duration of response, time to response, ADTTE time to event;
pharmaverse TTET01 / DORT01): subjects and events, Kaplan-Meier median and quartiles, event-free rates,
restricted mean, the Wang 2013 mean duration, and hazard ratio with log-rank p versus the reference arm.

Reads the rows of :mod:`sap.adapters.duration` (statistics ``count``, ``median``, ``quantile``, ``survival_rate``,
``rmst``, ``mean_duration``, ``logrank_test``, ``hazard_ratio``; a hazard ratio row may carry ``not_estimable``, and
method ``cox_firth_pl`` marks the Firth fallback of :mod:`analyses.cox`)
and ``extra["analysed"]``. Interval headers are written from ``result.level``, the time unit from the analysis'
parsed options (``time_unit``); every number goes through :mod:`reports.format`.
"""
from __future__ import annotations

import pandas as pd

from reports.display import DisplayTable
from reports.format import ci_header, fmt_estimate_ci, fmt_int, fmt_num, fmt_p
from reports.shells.common import ShellContext, footnotes, group_headers

STUB = "Statistic"
COX_NOTE = "Hazard ratio from Cox regression (Efron ties), Wald CI; log-rank test."
FIRTH_NOTE = ("Hazard ratio marked Firth: Firth's penalised partial likelihood (Heinze & Schemper 2001; Breslow ties, "
              "as R coxphf), profile penalised-likelihood CI, used where the Cox partial likelihood is monotone or its "
              "fit did not converge (plan option cox_fallback).")
FIRTH = "cox_firth_pl"
NE_NOTE = "NE: not estimable."


def _rows_of(rows: pd.DataFrame, g, stat: str, label=None, time=None) -> pd.DataFrame:
    r = rows[(rows["group"] == g) & (rows["statistic"] == stat)]
    if label is not None:
        r = r[r["label"] == label]
    if time is not None:
        r = r[r["time"] == time]
    return r


def _est_ci(r, digits: int = 1) -> str:
    return fmt_estimate_ci(r["estimate"], r["ci_lower"], r["ci_upper"], digits)


def _row_specs(rows: pd.DataFrame, unit: str, ci: str) -> list[tuple]:
    """(row label, statistic, label, time, cell formatter) of each summary row, in display order."""
    count = lambda r: fmt_int(r["estimate"])  # noqa: E731
    specs = [("Subjects", "count", "subjects", None, count), ("Events", "count", "events", None, count),
             (f"Median ({unit}) ({ci})", "median", None, None, _est_ci),
             (f"25th percentile ({unit}) ({ci})", "quantile", "Q1", None, _est_ci),
             (f"75th percentile ({unit}) ({ci})", "quantile", "Q3", None, _est_ci)]
    for t in sorted(rows.loc[rows["statistic"] == "survival_rate", "time"].dropna().unique()):
        specs.append((f"Event-free rate at {t:g} {unit} ({ci})", "survival_rate", None, t, lambda r: _est_ci(r, 3)))
    if (rows["statistic"] == "rmst").any():
        specs.append((f"Restricted mean ({unit}) (SE)", "rmst", None, None,
                      lambda r: f"{fmt_num(r['estimate'], 2)} ({fmt_num(r['se'], 2)})"))
    if (rows["statistic"] == "mean_duration").any():
        specs.append((f"Mean duration ({unit}) (SD-based {ci}), Wang 2013 definition", "mean_duration", None, None,
                      lambda r: _est_ci(r, 2)))
    return specs


def _hazard_ratio_rows(rows: pd.DataFrame, heads: dict[str, str], ci: str) -> list[dict]:
    """One row per comparison: 'HR (CI); p = log-rank p' in the first group's column."""
    out = []
    first = next(iter(heads.values()))
    for _, r in rows[rows["statistic"] == "hazard_ratio"].iterrows():
        lr = _rows_of(rows, r["group"], "logrank_test")
        p = fmt_p(lr["p_value"].iloc[0]) if len(lr) else ""
        firth = ", Firth" if r.get("method") == FIRTH else ""
        out.append({STUB: f"{r['group']} vs {r['comparator']}: hazard ratio{firth} ({ci}); log-rank p",
                    first: f"{_est_ci(r, 2)}; p = {p}"})
    return out


def render_summary_frame(result, unit: str) -> pd.DataFrame:
    """The display frame: one row per statistic, one column per treatment group (N in the header)."""
    rows, heads, ci = result.rows, group_headers(result), ci_header(result.level)
    records = []
    for label, stat, row_label, time, fmt in _row_specs(rows, unit, ci):
        rec = {STUB: label}
        for g, head in heads.items():
            r = _rows_of(rows, g, stat, row_label, time)
            rec[head] = fmt(r.iloc[0]) if len(r) else ""
        records.append(rec)
    records += _hazard_ratio_rows(rows, heads, ci)
    return pd.DataFrame(records, columns=[STUB, *heads.values()]).fillna("")


def _population_text(result, opts) -> str:
    """Who is analysed, per group, and what the event is (per method)."""
    n = ", ".join(f"{g}: {k}" for g, k in result.extra["analysed"].items())
    if result.method == "response_duration":
        return (f"Responders ({opts.response} at any visit) per group: {n}. Duration from the first visit with "
                "response to the first later visit without it (or rescue/discontinuation under the composite "
                "strategy); censored at the last assessment.")
    if result.method == "time_to_response":
        return (f"Subjects per group: {n}. Event = first {opts.response} response; censored at the last "
                "assessment, rescue or discontinuation.")
    return (f"Subjects per group: {n}. Event = {opts.censor_variable} = 0; time = {opts.time_variable} "
            f"({opts.time_unit}).")


def _method_notes(result, opts) -> list[str]:
    tau = f" = {opts.tau:g} {opts.time_unit}." if opts.tau else "."
    notes = [_population_text(result, opts),
             f"Kaplan-Meier estimates; CIs for quantiles by Brookmeyer-Crowley with the {opts.conf_type} transform "
             "(SAS LIFETEST default); event-free rates with Greenwood SE; restricted mean = area under the KM "
             "curve up to tau" + tau]
    rows = result.rows
    hazard = rows[rows["statistic"] == "hazard_ratio"]
    if len(hazard):
        notes.append(COX_NOTE)
    if "method" in hazard.columns and (hazard["method"] == FIRTH).any():
        notes.append(FIRTH_NOTE)
    if "not_estimable" in hazard.columns:
        notes += [f"Hazard ratio {r['group']} vs {r['comparator']} not estimable: {r['not_estimable']}; the "
                  "log-rank test and Kaplan-Meier estimates are shown." for _, r in hazard.iterrows()
                  if isinstance(r["not_estimable"], str) and r["not_estimable"]]
    return notes + [NE_NOTE]


def duration_table(result, sc: ShellContext) -> list[DisplayTable]:
    """Kaplan-Meier summary table (TTET01 / DORT01 layout) of one duration or time-to-event result."""
    opts = sc.options(result)
    if result.rows.empty:
        what = f"an {opts.response} response" if result.method == "response_duration" else "data"
        frame = pd.DataFrame({STUB: [f"No subjects with {what}"]})
    else:
        frame = render_summary_frame(result, opts.time_unit)
    # a non-converged Cox fit is reported by its NE hazard-ratio row and its reason, not by the generic note
    notes = footnotes(result, sc, *_method_notes(result, opts), convergence_note=False)
    return [DisplayTable(result.title, frame, footnotes=notes, stub_columns=(STUB,))]
