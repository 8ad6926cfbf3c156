"""Run cg-bm1 on a data folder and judge the outcome: success with complete accounting, or exit 2 naming the
dataset and column. Any other exception is not caught here: it is the bug the property looks for.

In-process runs use :func:`fast_plan`: the shipped cg-bm1 plan with two settings changed that do not touch the
data path (MMRM with compound symmetry and no fallback covariances, and 200 rather than 20000 Monte-Carlo trials
for the 3+3 operating characteristics, which read no data). An unstructured MMRM that fails on a tiny arm takes
about 10 s per fit, and the plan has 14 of them; the command-line runs and :func:`shipped_plan` keep the plan as
shipped.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Optional

import yaml

from analyses.results import RESULT_COLUMNS
from independent_data.design import PLAN_ID
from independent_data.strategies import TrialData
from sap.errors import UserInputError
from sap.pipeline import compute_run, results_document
from sap.spec import Plan, load_plan, plan_from_mapping, plan_path

DATASETS = ("adsl", "adqs", "adlb", "adae", "adex")
#: "adsl.TRT01P", "adqs.USUBJID/PARAMCD/AVISITN" (a key), "adae.AETOXGR"
DATASET_COLUMN = re.compile(r"\b(adsl|adqs|adlb|adae|adex)\.([A-Z][A-Z0-9_]*)", re.IGNORECASE)
#: a required dataset that is absent or empty has no column to name
DATASET_ONLY = re.compile(r"\b(adsl|adqs|adlb|adae|adex) (missing|has no rows)\b", re.IGNORECASE)
#: ARCHITECTURE.md: a primary analysis that cannot be estimated stops the run (exit 2), naming the analysis
PRIMARY_NOT_ESTIMABLE = re.compile(r"^primary analysis cannot be estimated on these data: analyses\[[^\]]+\]")
#: tests/sap/test_empty_results.py: a key comparison of the multiplicity family without estimates stops the run,
#: naming the plan field, the analysis and the cause
#: the plan marks an endpoint required and the data hold no value of its parameter (names endpoint, PARAMCD and
#: the datasets searched)
ENDPOINT_DATA_ABSENT = re.compile(r"^endpoint data absent: endpoints\[[^\]]+\]: no values of parameter \w+ in ")
KEY_COMPARISON_NOT_ESTIMABLE = re.compile(r"^multiplicity\.family\[[^\]]+\]: analysis [\w-]+ has no estimates: \S")


def _fast_mapping() -> dict:
    raw = yaml.safe_load(plan_path(PLAN_ID).read_text(encoding="utf-8"))
    for analysis in raw["analyses"]:
        if analysis["method"] == "mmrm":
            analysis.setdefault("options", {}).update(covariance="cs", fallback_covariance=[])
        if analysis["method"] == "escalation_oc":
            analysis.setdefault("options", {})["n_simulations"] = 200
    return raw


@lru_cache(maxsize=1)
def fast_plan() -> Plan:
    return plan_from_mapping(_fast_mapping(), f"{PLAN_ID} (fast variant for property tests)")


def fast_plan_file(folder: Path) -> Path:
    """The fast plan as a YAML file (for ``python -m sap.run --plan FILE``)."""
    path = folder / f"{PLAN_ID}-fast.yaml"
    path.write_text(yaml.safe_dump(_fast_mapping(), sort_keys=False), encoding="utf-8")
    return path


def shipped_plan() -> Plan:
    return load_plan(PLAN_ID)


@dataclass
class Outcome:
    kind: str                     # "success" or "exit 2"
    message: str = ""
    bundle: object = None
    problems: list[str] = field(default_factory=list)


def run_in_process(plan: Plan, folder: Path) -> Outcome:
    """``compute_run`` (read, check, derive, analyse; nothing rendered). A UserInputError is exit 2; anything
    else propagates."""
    try:
        bundle = compute_run(plan, data=folder)
    except UserInputError as exc:
        return Outcome("exit 2", one_line(str(exc)))
    return Outcome("success", bundle=bundle)


def one_line(text: str) -> str:
    """The ``error:`` line ``sap.run`` prints for a message."""
    return " ".join((text.strip() or "").split("\n")[0].split())


def check_error_line(message: str, expected: Optional[tuple[str, str]], strict: bool = True) -> list[str]:
    """Problems with an exit-2 message: it must name a dataset and column (or be one of the documented stops
    above); for a breach, the breached dataset and column (``strict``; see ``messy.ANALYSIS_STAGE``)."""
    if expected is not None and strict:
        dataset, column = expected
        keys = {(d.lower(), part) for d, c in re.findall(r"\b(adsl|adqs|adlb|adae|adex)\.([A-Z0-9_/]+)", message,
                                                         re.IGNORECASE) for part in c.upper().split("/")}
        if (dataset, column) not in keys:
            return [f"the error line does not name {dataset}.{column}: {message}"]
        return []
    if any(p.search(message) for p in (DATASET_COLUMN, DATASET_ONLY, PRIMARY_NOT_ESTIMABLE,
                                          KEY_COMPARISON_NOT_ESTIMABLE, ENDPOINT_DATA_ABSENT)):
        return []
    return [f"the error line names no dataset and column: {message}"]


def _truth_counts(data: TrialData) -> dict[tuple[str, Optional[str]], int]:
    """Subjects per (population, phase) as the generated data say (not as the pipeline reads them)."""
    out: dict[tuple[str, Optional[str]], int] = {}
    members = {"ENR": lambda s: True, "SAF": lambda s: s.treated, "FAS": lambda s: s.fas, "PP": lambda s: s.pp,
               "DLTEVAL": lambda s: bool(s.dlt_evaluable)}
    for pop, test in members.items():
        for phase in (None, "P1", "P2"):
            out[(pop, phase)] = sum(1 for s in data.subjects if s.arm is not None and test(s)
                                    and (phase is None or s.arm.phase_id == phase))
    return out


def check_accounting(plan: Plan, data: TrialData, bundle) -> list[str]:
    """Complete accounting of a successful run (see the property's docstring)."""
    problems = []
    outcomes = bundle.outcomes
    if list(outcomes) != [a.id for a in plan.analyses]:
        problems.append(f"results {list(outcomes)} are not the plan's analyses")
    truth = _truth_counts(data)
    for analysis in plan.analyses:
        res = outcomes[analysis.id]
        missing = [c for c in RESULT_COLUMNS if c not in res.rows.columns]
        if missing:
            problems.append(f"{analysis.id}: result rows lack {missing}")
        if res.not_estimable is not None and not str(res.not_estimable).strip():
            problems.append(f"{analysis.id}: not estimable without a reason")
        if not res.produced:
            continue
        expected = truth[(analysis.population, analysis.phase)]
        if sum(res.group_n.values()) != expected:
            problems.append(f"{analysis.id}: group N {dict(res.group_n)} adds up to {sum(res.group_n.values())}, "
                            f"the data have {expected} subjects in {analysis.population}"
                            f"{' ' + analysis.phase if analysis.phase else ''}")
    disp = outcomes.get("DISP")
    if disp is not None and disp.produced:
        column_n = dict(disp.extra["column_n"])
        column_n.pop("Total", None)
        if sum(column_n.values()) != len(data.subjects):
            problems.append(f"DISP: columns {column_n} do not add up to the {len(data.subjects)} subjects")
    problems += _check_log(data, bundle.derivation_log)
    problems += _check_accounting_table(data, bundle.accounting)
    json.dumps(results_document(bundle), allow_nan=False)   # what run_plan writes; raises on NaN or objects
    return problems


def _check_accounting_table(data: TrialData, table) -> list[str]:
    """accounting.csv counts every subject and record of the data as generated (not as the pipeline read them)."""
    if table is None:
        return ["no accounting table"]
    totals = table.groupby("dataset")["n"].sum().to_dict()
    sizes = {name: len(frame) for name, frame in data.datasets.items()}
    if {name: totals.get(name, 0) for name in sizes} != sizes or set(totals) - set(sizes):
        return [f"accounting {totals} != the data's {sizes}"]
    return []


def _check_log(data: TrialData, log) -> list[str]:
    """The derivation log counts every input record and keeps counts in = out where nothing may be dropped."""
    if log is None:
        return ["no derivation log"]
    problems = []
    for name in ("adqs", "adlb"):
        row = log[(log["STEP"] == "input") & (log["DATASET"] == name.upper())]
        if len(row) != 1 or int(row["N_IN"].iloc[0]) != len(data.datasets[name]):
            problems.append(f"derivation log: input {name.upper()} {row[['N_IN', 'N_OUT']].to_dict('records')} "
                            f"for {len(data.datasets[name])} records")
    conserved = log[log["STEP"].isin(["input", "study day", "baseline", "responses", "episode ends"])]
    bad = conserved[conserved["N_IN"] != conserved["N_OUT"]]
    if len(bad):
        problems.append(f"derivation log: counts in != out: {bad[['STEP', 'DATASET', 'N_IN', 'N_OUT']].to_dict('records')}")
    return problems
