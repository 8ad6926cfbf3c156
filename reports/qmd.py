"""Assemble a Quarto document (.qmd): YAML front matter from ``templates/document.qmd`` plus a markdown body.

The front matter is valid for Quarto (``format: html`` with ``embed-resources``, ``format: typst``) and for
plain Pandoc (title, subtitle, date, toc, papersize, margins, a Typst preamble in ``header-includes`` as a raw
Typst block that the HTML writer ignores). Python ``string.Template`` is used, no template engine.
"""
from __future__ import annotations

import datetime as _dt
import textwrap
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Mapping

from reports.text import escape_markdown, typst_string, yaml_string

TEMPLATES = resources.files("reports") / "templates"


def template_text(name: str) -> str:
    """The text of a file in reports/templates."""
    return (TEMPLATES / name).read_text(encoding="utf-8")


def document_date(manifest: Mapping[str, Any]) -> str:
    """The report date: the run's finish (or start) date from the manifest, else today (ISO 8601)."""
    for key in ("run_finished", "run_started"):
        value = manifest.get(key)
        if value:
            return str(value)[:10]
    return _dt.date.today().isoformat()


def build_qmd(*, title: str, subtitle: str, date: str, body: str, header_left: str, header_right: str,
              footer: str) -> str:
    """A complete .qmd: front matter (escaped title/subtitle/date, Typst page header/footer) + body."""
    preamble = Template(template_text("preamble.typ")).substitute(
        header_text=typst_string(header_left), header_right=typst_string(header_right),
        footer_text=typst_string(footer))
    return Template(template_text("document.qmd")).substitute(
        title=yaml_string(escape_markdown(title)), subtitle=yaml_string(escape_markdown(subtitle)),
        date=yaml_string(escape_markdown(date)), preamble=textwrap.indent(preamble.rstrip("\n"), "  "),
        body=body)


def write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text with LF line ends; return the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8", newline="\n")
    return path
