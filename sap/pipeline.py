"""Run a plan end to end: read, check, derive, analyse, write results and render reports.

Data flow (DESIGN.md): load plan -> read datasets -> check them against the contract (all problems at once)
-> derive endpoints -> run every plan analysis through its registered adapter -> multiplicity -> write
``results.json``, ``manifest.json``, tables, figures, Quarto sources -> render. The caller
(:mod:`sap.run`) gives a temporary ``out_dir`` and moves it into place only on success.
"""
from __future__ import annotations

import datetime as _dt
import json
import platform
from dataclasses import replace
from importlib import metadata
from pathlib import Path
from typing import Any, Optional

import pandas as pd

from analyses.results import RESULT_COLUMNS, json_safe
from reports import render_run
from sap.bundle import RunBundle
from sap.registry import method_entry
from sap.requirements import requirements_for_plan
from sap.results import AnalysisResult
from sap.sample_size import check_plan_power
from sap.blinding import check_masking_complete, is_blinded, unblind
from sap.accounting import derive_accounting
from sap.context import AnalysisContext, assign_arms
from sap.declared_codes import canonicalize_declared_codes
from sap.empty_results import check_result_has_estimates
from sap.endpoint_data import check_endpoint_data, no_data_result
from sap.data import check_contract, read_data_folder, sha256_file
from sap.data.readers import NOT_DATASETS, dataset_name
from sap.derivations import derive_for_plan
from sap.errors import UserInputError
from sap.spec import Plan, canonical_json, plan_sha256

FROZEN_DIR = Path(__file__).resolve().parents[1] / "synthetic_data" / "frozen"
PACKAGES = ("sap", "numpy", "scipy", "pandas", "statsmodels", "lifelines", "pydantic", "pyreadstat",
            "great_tables", "matplotlib", "pypandoc-binary", "typst", "PyYAML", "pyarrow")


def frozen_data_dir(plan: Plan) -> Path:
    """Folder of the plan's frozen synthetic datasets (package data of ``synthetic_data``, installed beside ``sap``;
    located by path so that running a plan never imports the generator)."""
    return FROZEN_DIR / plan.id


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def plan_datasets(plan: Plan) -> tuple[str, ...]:
    """Datasets a run of ``plan`` reads: the plan's required and optional ones, those it lists columns of, its
    populations' and its analyses' (plan ``data`` or the method's default); other data files are not read."""
    names = [*plan.data.required_datasets, *plan.data.optional_datasets, *plan.data.required_columns,
             *(p.dataset for p in plan.populations),
             *(a.data.dataset if a.data else method_entry(a.method).selection.dataset for a in plan.analyses)]
    return tuple(dict.fromkeys(n.lower() for n in names))


def load_data(plan: Plan, data: Any):
    """Read the run's datasets (default: the plan's frozen synthetic data); files of datasets the plan does not use
    are listed in ``not_read`` and the run's data notes, not read."""
    source = data
    if source is None:
        source = frozen_data_dir(plan)
        if not source.is_dir():
            raise UserInputError(f"plan {plan.id} has no frozen synthetic data at {source}; pass --data")
    if isinstance(source, Path) and not source.exists():
        raise UserInputError(f"--data {source}: no such file or folder")
    if isinstance(source, list):
        missing = [str(p) for p in source if not Path(p).is_file()]
        if missing:
            raise UserInputError(f"--data: no such file: {', '.join(missing)}")
    if isinstance(source, dict):
        missing = [f"{k}={p}" for k, p in source.items() if not Path(p).is_file()]
        if missing:
            raise UserInputError(f"--data: no such file: {', '.join(missing)}")
    return read_data_folder(source, datasets=plan_datasets(plan))


def describe_data_files(loaded) -> str:
    """The data source as table footnotes print it: the files read, by name (their full paths and SHA-256 are in
    manifest.json; footnotes never repeat local paths)."""
    names = sorted(Path(info.path).name for info in loaded.files.values())
    return f"{', '.join(names)} (paths and SHA-256 in manifest.json)" if names else loaded.source_description


def build_context(plan: Plan, loaded, *, randomization: Optional[Path] = None) -> AnalysisContext:
    """Check the data contract, assign arms and phases, and derive the analysis datasets."""
    datasets = dict(loaded.datasets)
    if "adsl" not in datasets:
        raise UserInputError(f"{loaded.source_description}: required dataset adsl is missing")
    datasets, code_log = canonicalize_declared_codes(plan, datasets)
    check_contract(datasets, requirements_for_plan(plan, datasets))
    adsl = datasets["adsl"]
    blinded = is_blinded(plan, adsl)
    if blinded and randomization is not None:
        adsl = unblind(plan, adsl, randomization)
        blinded = False
    elif blinded:
        check_masking_complete(plan, datasets)
    adsl = assign_arms(plan, adsl, blinded=blinded)
    datasets["adsl"] = adsl
    derived = derive_for_plan(plan, datasets)
    if code_log:
        derived["derivation_log"] = pd.concat([pd.DataFrame(code_log), derived.get("derivation_log")],
                                              ignore_index=True)
    return AnalysisContext(plan=plan, datasets=datasets, adsl=adsl, derived=derived, blinded=blinded,
                           data_source=describe_data_files(loaded))


def run_analyses(ctx: AnalysisContext) -> dict[str, AnalysisResult]:
    """Run every plan analysis through its method-table entry, in plan order (``after_all`` methods last)."""
    results: dict[str, AnalysisResult] = {}
    entries = {a.id: method_entry(a.method) for a in ctx.plan.analyses}
    absent = check_endpoint_data(ctx)
    for analysis in ctx.plan.analyses:
        if analysis.endpoint in absent and analysis.data is None:
            results[analysis.id] = _checked(analysis, no_data_result(ctx, analysis, absent[analysis.endpoint]))
        elif not entries[analysis.id].after_all:
            result = check_result_has_estimates(ctx, analysis, entries[analysis.id].run_function()(ctx, analysis))
            results[analysis.id] = _checked(analysis, result)
    for analysis in ctx.plan.analyses:
        if entries[analysis.id].after_all:
            results[analysis.id] = _checked(analysis, entries[analysis.id].run_function()(ctx, analysis, results))
    return {a.id: results[a.id] for a in ctx.plan.analyses}


def is_primary(plan: Plan, analysis) -> bool:
    """An analysis the plan marks as primary: of a primary endpoint and not a sensitivity analysis."""
    return (analysis.endpoint is not None and not analysis.sensitivity
            and plan.endpoint(analysis.endpoint).role == "primary")


def _checked(analysis, result):
    """The result with its rows completed to the results contract (estimability is checked once, afterwards, by
    :func:`check_primary_estimable`)."""
    return replace(result, rows=_complete_tidy(result.rows, analysis))


def check_primary_estimable(plan: Plan, results) -> None:
    """Raise UserInputError when an analysis the plan marks as primary could not be estimated."""
    failed = [f"analyses[{a.id}] ({a.method}, primary endpoint {a.endpoint}): not estimable: "
              f"{results[a.id].not_estimable}" for a in plan.analyses
              if is_primary(plan, a) and results[a.id].not_estimable is not None]
    if failed:
        raise UserInputError("primary analysis cannot be estimated on these data: " + "; ".join(failed))


def _complete_tidy(tidy: pd.DataFrame, analysis) -> pd.DataFrame:
    tidy = tidy.copy()
    for col in RESULT_COLUMNS:
        if col not in tidy.columns:
            tidy[col] = None
    tidy["analysis_id"] = analysis.id
    if analysis.endpoint is not None:
        tidy["endpoint"] = tidy["endpoint"].where(tidy["endpoint"].notna(), analysis.endpoint)
    tidy["population"] = tidy["population"].where(tidy["population"].notna(), analysis.population)
    extra = [c for c in tidy.columns if c not in RESULT_COLUMNS]
    return tidy[list(RESULT_COLUMNS) + extra]


def results_document(bundle: RunBundle) -> dict[str, Any]:
    """The ``results.json`` document: plan, data provenance and every result row."""
    rows: list[dict[str, Any]] = []
    for outcome in bundle.outcomes.values():
        for rec in outcome.rows.to_dict(orient="records"):
            rows.append({k: json_safe(v) for k, v in rec.items()})
    plan = bundle.plan
    return {
        "plan": {"id": plan.id, "title": plan.title, "version": plan.version, "sha256": bundle.plan_sha256},
        "data": {
            "source": bundle.manifest.get("data_source"),
            "blinded": bundle.blinded,
            "inputs": [{k: v for k, v in i.items() if k != "path"} for i in bundle.manifest.get("inputs", [])],
        },
        "results": rows,
    }


def compute_run(plan: Plan, *, data: Any = None, randomization: Optional[Path] = None) -> RunBundle:
    """Read, check, derive and analyse; return the bundle without writing anything."""
    started = _dt.datetime.now(_dt.timezone.utc)
    power_checks = check_plan_power(plan)
    loaded = load_data(plan, data)
    ctx = build_context(plan, loaded, randomization=randomization)
    if data is None:
        seed = plan.data.synthetic.seed if plan.data.synthetic else None
        ctx.data_source = f"frozen synthetic data synthetic_data/frozen/{plan.id} (generator seed {seed})"
    outcomes = run_analyses(ctx)
    check_primary_estimable(plan, outcomes)
    accounting = derive_accounting(ctx, outcomes)
    inputs = [dict(name=name, **info) for name, info in loaded.manifest().items()]
    if randomization is not None:
        inputs.append({"name": "randomization", "path": str(randomization), "sha256": sha256_file(randomization)})
    manifest = {
        "plan_id": plan.id,
        "plan_sha256": plan_sha256(plan),
        "plan_version": plan.version,
        "data_source": "frozen synthetic data" if data is None else loaded.source_description,
        "inputs": inputs,
        "seed": plan.data.synthetic.seed if (data is None and plan.data.synthetic) else None,
        "packages": package_versions(),
        "blinded": ctx.blinded,
        "run_started": started.isoformat(timespec="seconds"),
    }
    return RunBundle(plan=plan, plan_sha256=manifest["plan_sha256"], outcomes=outcomes, manifest=manifest,
                     blinded=ctx.blinded, derivation_log=ctx.derived.get("derivation_log"),
                     data_notes=_randomization_notes(loaded.ignored) + loaded.notes() + _data_notes(ctx), data_source=ctx.data_source, power_checks=tuple(power_checks),
                     accounting=accounting)


def _randomization_notes(ignored: tuple[str, ...]) -> list[str]:
    """A note for each randomization list found in the data folder and not read (see NOT_DATASETS)."""
    return [f"{name} in the data folder was not read: unblinding takes only --randomization."
            for name in ignored if dataset_name(name) in NOT_DATASETS]


def _data_notes(ctx: AnalysisContext) -> list[str]:
    notes = []
    dis = ctx.derived.get("score_disagreements")
    if dis is not None and len(dis):
        notes.append(f"{len(dis)} sponsor-supplied scores disagree with the scores re-derived from items "
                     "(see derivation log); the re-derived scores are analysed.")
    return notes


def run_plan(plan: Plan, *, data: Any = None, out_dir: Path, formats=("html", "pdf"),
             randomization: Optional[Path] = None) -> RunBundle:
    """Run ``plan`` on ``data`` and write every output into ``out_dir`` (which must exist)."""
    bundle = compute_run(plan, data=data, randomization=randomization)
    manifest = bundle.manifest
    out_dir = Path(out_dir)
    (out_dir / "plan.json").write_text(canonical_json(plan), encoding="utf-8")
    doc = results_document(bundle)
    (out_dir / "results.json").write_text(json.dumps(doc, indent=1, sort_keys=False, allow_nan=False),
                                          encoding="utf-8")
    if bundle.derivation_log is not None:
        (out_dir / "derivation_log.csv").write_text(bundle.derivation_log.to_csv(index=False), encoding="utf-8")
    if bundle.accounting is not None:
        (out_dir / "accounting.csv").write_text(bundle.accounting.to_csv(index=False), encoding="utf-8")
    render_run(bundle, out_dir, formats=tuple(formats))
    manifest["run_finished"] = _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds")
    manifest["outputs"] = sorted(str(p.relative_to(out_dir)) for p in out_dir.rglob("*") if p.is_file())
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")
    return bundle
