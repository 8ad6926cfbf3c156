"""``render_run``: write a run's Quarto sources, tables and figures, then render them into ``out_dir``.

Writes ``report.qmd``, ``sap.qmd`` (and ``escalation.qmd`` when the plan has a dose-escalation phase),
``report.css``, ``tables/*.csv``, ``figures/*.png|svg``, then renders each document to the requested formats
with :func:`reports.render.render_document` (Quarto if available, else Pandoc + Typst).
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Sequence

from reports.blocks import BLINDED_LABEL
from reports.escalation_document import build_escalation_body
from reports.provenance import provenance_appendix
from reports.qmd import TEMPLATES, build_qmd, document_date, write_text
from reports.render import render_document
from reports.results_document import build_results_body
from reports.sap_document import build_sap_body


def _compose(bundle, *, doc: str, title: str, subtitle: str, body: str) -> str:
    plan = bundle.plan
    blinded = bundle.blinded
    if blinded:
        subtitle = f"{subtitle} \u2014 {BLINDED_LABEL}"
    appendix = provenance_appendix(bundle.manifest, plan_sha256=bundle.plan_sha256, blinded=blinded, doc=doc)
    return build_qmd(title=title, subtitle=subtitle, date=document_date(bundle.manifest),
                     body=body + "\n" + appendix, header_left=title,
                     header_right=BLINDED_LABEL if blinded else f"plan {plan.id} v{plan.version}",
                     footer=f"plan {plan.id} v{plan.version} \u00b7 SHA-256 {bundle.plan_sha256[:16]}\u2026")


def write_sources(bundle, out_dir: Path) -> tuple[list[Path], list[Path]]:
    """Write the .qmd documents, CSS, tables and figures; return (qmd paths, asset paths)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    plan = bundle.plan
    css = out_dir / "report.css"
    shutil.copyfile(TEMPLATES / "report.css", css)
    body, assets = build_results_body(bundle, out_dir)
    docs = [write_text(out_dir / "report.qmd", _compose(
        bundle, doc="report", title=f"{plan.short_title}: statistical results",
        subtitle=f"Plan {plan.id} version {plan.version}", body=body))]
    docs.append(write_text(out_dir / "sap.qmd", _compose(
        bundle, doc="sap", title=f"Statistical analysis plan: {plan.short_title}",
        subtitle=f"Plan {plan.id} version {plan.version}", body=build_sap_body(plan, bundle.plan_sha256, power_checks=bundle.power_checks))))
    if any(p.kind == "dose_escalation" for p in plan.design.phases):
        docs.append(write_text(out_dir / "escalation.qmd", _compose(
            bundle, doc="escalation", title=f"{plan.short_title}: dose-escalation report",
            subtitle="For the Safety Review Committee", body=build_escalation_body(bundle))))
    return docs, [css] + assets


def render_run(bundle, out_dir: Path, formats: Sequence[str] = ("html", "pdf"), *,
               engine: str = "auto") -> list[Path]:
    """Write and render every document of a run into ``out_dir``; return all written paths."""
    docs, assets = write_sources(bundle, Path(out_dir))
    written = list(docs) + list(assets)
    for qmd in docs:
        written += render_document(qmd, formats, engine=engine)
    return written
