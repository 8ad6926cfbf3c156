"""The provenance appendix of every document: plan id and SHA-256, input files with their SHA-256, package
versions, seed and run times, all read from the run manifest (missing keys are shown as 'not recorded')."""
from __future__ import annotations

import json
from typing import Any, Mapping

import pandas as pd

from reports.blocks import TablePart, frame_table, heading, paragraph, table_block

_KNOWN = {"plan_id", "plan_sha256", "inputs", "packages", "seed", "run_started", "run_finished", "data_source"}
NOT_RECORDED = "not recorded"


def _text(value: Any) -> str:
    if value is None or value == "":
        return NOT_RECORDED
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, sort_keys=True, default=str)
    return str(value)


def run_frame(manifest: Mapping[str, Any], *, plan_sha256: str | None = None, blinded: bool = False) -> pd.DataFrame:
    """Key facts of the run as an Item/Value frame."""
    rows = [
        ("Plan id", _text(manifest.get("plan_id"))),
        ("Plan SHA-256 (canonical JSON)", _text(manifest.get("plan_sha256") or plan_sha256)),
        ("Data source", _text(manifest.get("data_source"))),
        ("Random seed", _text(manifest.get("seed"))),
        ("Run started", _text(manifest.get("run_started"))),
        ("Run finished", _text(manifest.get("run_finished"))),
        ("Treatment labels", "blinded: pooled over arms" if blinded else "unblinded"),
    ]
    rows += [(str(k), _text(v)) for k, v in sorted(manifest.items()) if k not in _KNOWN]
    return pd.DataFrame(rows, columns=["Item", "Value"])


def inputs_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """One row per input file: name, path, rows, SHA-256."""
    inputs = manifest.get("inputs") or []
    if isinstance(inputs, Mapping):  # tolerate {name: {...}}
        inputs = [dict(v, name=k) if isinstance(v, Mapping) else {"name": k, "sha256": v} for k, v in inputs.items()]
    rows = [(_text(i.get("name")), _text(i.get("path")), _text(i.get("rows")), _text(i.get("sha256")))
            for i in inputs if isinstance(i, Mapping)]
    return pd.DataFrame(rows, columns=["Dataset", "File", "Rows", "SHA-256"])


def packages_frame(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """One row per package: name, version."""
    packages = manifest.get("packages") or {}
    if not isinstance(packages, Mapping):
        packages = {str(p): "" for p in packages}
    return pd.DataFrame([(str(k), _text(v)) for k, v in sorted(packages.items())], columns=["Package", "Version"])


def provenance_appendix(manifest: Mapping[str, Any], *, plan_sha256: str, blinded: bool, doc: str) -> str:
    """Markdown of the appendix: run facts, input files and package versions."""
    out = [heading(1, "Appendix: provenance of this document", anchor=f"{doc}-provenance"),
           paragraph("Everything in this document was produced from the plan and input files identified below. "
                     "Re-running the same plan version on the same files with the same seed reproduces every "
                     "number.")]
    tables = [("Run", run_frame(manifest, plan_sha256=plan_sha256, blinded=blinded), ("Item",)),
              ("Input files", inputs_frame(manifest), ("Dataset",)),
              ("Software versions", packages_frame(manifest), ("Package",))]
    for title, frame, stub in tables:
        if frame.empty:
            out.append(paragraph(f"{title}: {NOT_RECORDED} in the run manifest."))
            continue
        out.append(table_block([TablePart(frame_table(frame, title, stub=stub))],
                               block_id=f"{doc}-prov-{title}", caption=f"Provenance: {title.lower()}"))
    return "\n".join(out)
