"""Every subject and every record of a run accounted for: analysed, excluded by a named rule, or outside every
analysis with the reason (issue 15). Hand-written; the reconciliation SAS programmers do with PROC FREQ on flags.

Units and categories (one row per dataset, category and reason, ``n`` subjects or records):

* ADSL subjects: ``analysed`` (in the subject set of at least one analysis with estimates), else ``outside`` with
  the reason (in no population of the plan; in populations whose analyses had no estimates).
* ADQS/ADLB records of the contract's AS/RA datasets, through the derived ADEFF that carries every input record:
  ``outside`` (subject outside every analysis; a parameter the plan does not use), ``excluded`` (not the analysed
  record of its visit: the visit-window rule's ANLREAS), else ``analysed``.
* ADAE: ``outside`` (subject), ``excluded`` (not treatment-emergent, TRTEMFL, when every AE analysis of the plan is
  of treatment-emergent events), else ``analysed``.
* Every other dataset: ``outside`` (subject), ``analysed`` when an analysis selects the record (its plan filter
  and parameter), else ``outside``: not selected by any analysis.

An analysis may drop further records for its own named reasons (missing baseline, ...): those are in its result's
exclusions and footnotes. :func:`check_accounting` fails the run (a bug, exit 1) when the counts of a dataset do
not add up to its records.
"""
from __future__ import annotations

import pandas as pd

from sap.adapters._common import select_frame
from sap.context import AnalysisContext
from sap.derive.params import OCCASION_SCORES, VISIT_SCORES
from sap.registry import method_entry
from sap.spec_criteria import PAIN

COLUMNS = ["dataset", "unit", "category", "reason", "n"]
_ROW = "_ACCT_ROW"


def derive_used_parameters(plan) -> set[str]:
    """PARAMCDs the plan uses: its endpoints' parameters, the lab parameters of its analyses, the domains of its
    response criteria, and the components of every derived score among them (recursively)."""
    used = {e.parameter for e in plan.endpoints if e.parameter}
    for a in plan.analyses:
        used |= set(getattr(a.options, "parameters", ()) or ())
    for c in plan.derivations.response_criteria():
        rules = [c] + list(getattr(c, "any_of", ()) or ())
        used |= {d.parameter for r in rules for d in getattr(r, "domains", ()) or ()}
    used = {plan.derivations.asas_pain_domain if p == PAIN else p for p in used}
    used |= {"CRP", "ESR"} if any(p.startswith("@") for p in used) else set()
    scores = {**OCCASION_SCORES, **VISIT_SCORES}
    todo = [p for p in used if p in scores]
    while todo:
        for comp in scores[todo.pop()][0]:
            if comp not in used:
                used.add(comp)
                todo += [comp] if comp in scores else []
    return used


def _subject_rows(ctx: AnalysisContext, results) -> tuple[list[dict], set]:
    subj = ctx.plan.data.subject_variable
    analysed: set = set()
    for a in ctx.plan.analyses:
        r = results.get(a.id)
        if r is not None and getattr(r, "produced", True):
            analysed |= set(ctx.analysis_subjects(a)[subj])
    flags = [p.flag for p in ctx.plan.populations if p.flag and p.flag in ctx.adsl.columns]
    rows = []
    for s, flagged in zip(ctx.adsl[subj], ctx.adsl[flags].astype("string").eq("Y").any(axis=1) if flags
                          else [False] * len(ctx.adsl)):
        if s in analysed:
            rows.append(("analysed", "in an analysis with estimates"))
        elif not flagged:
            rows.append(("outside", f"in no population of the plan (no {', '.join(flags) or 'flag'} = Y)"))
        else:
            rows.append(("outside", "in populations whose analyses have no estimates"))
    return [dict(dataset="adsl", unit="subjects", category=c, reason=r) for c, r in rows], analysed


def _bds_rows(ctx: AnalysisContext, name: str, analysed: set, used: set) -> list[dict]:
    eff = ctx.derived["adeff"]
    src = eff[(eff["SRCDOM"] == name.upper()) & (eff["DERIVED"] != "Y")]
    subj = ctx.plan.data.subject_variable
    out = []
    for s, code, flag, why in zip(src[subj], src["PARAMCD"], src["ANL01FL"], src["ANLREAS"].fillna("")):
        if s not in analysed:
            out.append(("outside", "subject outside every analysis"))
        elif code not in used:
            out.append(("outside", "parameter the plan does not use"))
        elif flag != "Y":
            out.append(("excluded", f"not the analysed record of its visit: {why or 'visit-window rule'}"))
        else:
            out.append(("analysed", "analysed record of its visit (ANL01FL = Y)"))
    return [dict(dataset=name, unit="records", category=c, reason=r) for c, r in out]


def _selected_rows(ctx: AnalysisContext, name: str, frame: pd.DataFrame) -> set:
    """Row numbers of ``frame`` that some analysis of the plan selects from dataset ``name``."""
    tagged = frame.assign(**{_ROW: range(len(frame))})
    datasets = {**ctx.datasets, name: tagged}
    derived = {**ctx.derived, name: tagged} if name in ctx.derived else ctx.derived
    probe = AnalysisContext(plan=ctx.plan, datasets=datasets, adsl=ctx.adsl, derived=derived, blinded=ctx.blinded)
    chosen: set = set()
    for a in ctx.plan.analyses:
        sel = method_entry(a.method).selection
        dataset = (a.data.dataset if a.data else (sel.dataset if sel else "")).lower()
        if sel is None or dataset != name:
            continue
        chosen |= set(select_frame(probe, a)[_ROW])
    return chosen


def _record_rows(ctx: AnalysisContext, name: str, frame: pd.DataFrame, analysed: set) -> list[dict]:
    subj = ctx.plan.data.subject_variable
    if subj not in frame.columns:
        return [dict(dataset=name, unit="records", category="outside", reason="no subject variable")] * len(frame)
    ae_te_only = name == "adae" and all(a.options.treatment_emergent_only for a in ctx.plan.analyses
                                        if a.method.startswith("ae_")) and "TRTEMFL" in frame.columns
    chosen = set() if name == "adae" else _selected_rows(ctx, name, frame)
    out = []
    for i, (s, te) in enumerate(zip(frame[subj], frame["TRTEMFL"] if ae_te_only else [None] * len(frame))):
        if s not in analysed:
            out.append(("outside", "subject outside every analysis"))
        elif ae_te_only and str(te).strip().upper() != "Y":
            out.append(("excluded", "not treatment-emergent (TRTEMFL); the plan's AE analyses are of TEAEs"))
        elif name == "adae" or name == "adex" or i in chosen:
            out.append(("analysed", "record of an analysed subject" if name in ("adae", "adex")
                        else "selected by an analysis"))
        else:
            out.append(("outside", "not selected by any analysis of the plan"))
    return [dict(dataset=name, unit="records", category=c, reason=r) for c, r in out]


def derive_accounting(ctx: AnalysisContext, results) -> pd.DataFrame:
    """The accounting table (COLUMNS) of one run; :func:`check_accounting` is applied before it is returned."""
    rows, analysed = _subject_rows(ctx, results)
    used = derive_used_parameters(ctx.plan)
    for name, frame in sorted(ctx.datasets.items()):
        if name == "adsl":
            continue
        if name in ("adqs", "adlb") and "adeff" in ctx.derived:
            rows += _bds_rows(ctx, name, analysed, used)
        else:
            rows += _record_rows(ctx, name, frame, analysed)
    table = (pd.DataFrame(rows, columns=COLUMNS[:-1]).value_counts(sort=False).rename("n").reset_index()
             if rows else pd.DataFrame(columns=COLUMNS))
    check_accounting(table, {k: len(v) for k, v in ctx.datasets.items()})
    return table[COLUMNS].sort_values(["dataset", "category", "reason"], kind="mergesort").reset_index(drop=True)


def check_accounting(table: pd.DataFrame, sizes: dict[str, int]) -> None:
    """Raise RuntimeError (a bug) unless each dataset's counts add up to its records (ADSL: its subjects)."""
    totals = table.groupby("dataset")["n"].sum().to_dict() if len(table) else {}
    bad = {k: (totals.get(k, 0), n) for k, n in sizes.items() if totals.get(k, 0) != n}
    if bad:
        raise RuntimeError("internal error: accounting does not add up: "
                           + "; ".join(f"{k}: {got} accounted of {n}" for k, (got, n) in sorted(bad.items())))
