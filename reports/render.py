"""Render a .qmd to HTML and PDF: ``quarto render`` when Quarto is on PATH, otherwise the engines Quarto
itself uses, called directly: Pandoc (``pypandoc-binary``) for one self-contained HTML file, and Pandoc's
Typst writer plus the ``typst`` Python package for the PDF.

The documents written by :mod:`reports.qmd` use only syntax both paths understand (YAML front matter,
headings, paragraphs, lists, block quotes, markdown figures and raw ``{=html}`` / ``{=typst}`` blocks), so
nothing has to be stripped for Pandoc. In the Pandoc path the markdown reader runs without ``raw_html``
and ``raw_tex``, so only the report layer's own raw blocks can carry markup, and the HTML template
(``templates/pandoc.html5``) has no external reference at all (no MathJax, no web fonts, no xmlns URL).
"""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Sequence

from reports.qmd import TEMPLATES

MARKDOWN_READER = "markdown-raw_html-raw_tex"
_TAG = re.compile(r"<[A-Za-z][^<>]*>")
_TAG_URL = re.compile(r"""\s(?:src|href|srcset|data|action|poster)\s*=\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//""", re.IGNORECASE)
_STYLE = re.compile(r"<style[^>]*>(.*?)</style>|style\s*=\s*\"([^\"]*)\"", re.IGNORECASE | re.DOTALL)
_CSS_URL = re.compile(r"""url\(\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?//|@import""", re.IGNORECASE)


class RenderError(RuntimeError):
    """Rendering a document failed; the message names the document and the engine's error."""


def quarto_executable() -> str | None:
    """Path of the ``quarto`` executable, or None."""
    return shutil.which("quarto")


def pandoc_executable() -> str:
    """Path of the pandoc binary shipped with pypandoc-binary (or on PATH)."""
    try:
        import pypandoc

        return pypandoc.get_pandoc_path()
    except (ImportError, OSError) as exc:  # pragma: no cover - environment problem
        found = shutil.which("pandoc")
        if found:
            return found
        raise RenderError(f"no pandoc available: {exc}") from None


def _run(cmd: Sequence[str], cwd: Path, what: str) -> None:
    proc = subprocess.run(list(cmd), cwd=cwd, capture_output=True, text=True)
    if proc.returncode != 0:
        raise RenderError(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[:2000]}")


def check_html_offline(path: Path) -> None:
    """Raise RenderError if the HTML loads anything from outside the file (src/href to a URL, @import)."""
    text = path.read_text(encoding="utf-8")
    hits = {t.group(0)[:80] for t in _TAG.finditer(text) if _TAG_URL.search(t.group(0))}
    for m in _STYLE.finditer(text):
        css = m.group(1) or m.group(2) or ""
        hits |= {c.group(0) for c in _CSS_URL.finditer(css)}
    hits = sorted(hits)
    if hits:
        raise RenderError(f"{path.name}: external references found: {', '.join(hits[:5])}")


def render_with_pandoc(qmd: Path, formats: Sequence[str]) -> list[Path]:
    """Render with Pandoc (HTML, self-contained) and Pandoc -> Typst -> ``typst.compile`` (PDF)."""
    pandoc = pandoc_executable()
    cwd = qmd.parent
    common = [pandoc, qmd.name, "-f", MARKDOWN_READER, "--standalone", "--toc", "--toc-depth=2",
              "--number-sections", f"--resource-path={cwd}"]
    written = []
    if "html" in formats:
        out = qmd.with_suffix(".html")
        css = cwd / "report.css"
        if not css.exists():
            shutil.copyfile(TEMPLATES / "report.css", css)
        _run(common + ["-t", "html5", "--embed-resources", f"--template={TEMPLATES / 'pandoc.html5'}",
                       f"--css={css.name}", "-o", out.name], cwd, f"pandoc (HTML) on {qmd.name}")
        check_html_offline(out)
        written.append(out)
    if "pdf" in formats:
        import typst

        typ = qmd.with_suffix(".typ")
        out = qmd.with_suffix(".pdf")
        _run(common + ["-t", "typst", "-o", typ.name], cwd, f"pandoc (Typst) on {qmd.name}")
        try:
            typst.compile(str(typ), output=str(out), root=str(cwd))
        except Exception as exc:  # typst.TypstError carries the diagnostic
            raise RenderError(f"typst on {typ.name} failed: {exc}") from None
        finally:
            typ.unlink(missing_ok=True)
        written.append(out)
    return written


def render_with_quarto(qmd: Path, formats: Sequence[str], quarto: str) -> list[Path]:
    """Render with ``quarto render --to html`` / ``--to typst`` (Quarto's Typst format writes a PDF)."""
    written = []
    for fmt, to, suffix in (("html", "html", ".html"), ("pdf", "typst", ".pdf")):
        if fmt in formats:
            _run([quarto, "render", qmd.name, "--to", to], qmd.parent, f"quarto render --to {to} {qmd.name}")
            out = qmd.with_suffix(suffix)
            if not out.exists():
                raise RenderError(f"quarto render --to {to} {qmd.name} did not write {out.name}")
            if fmt == "html":
                check_html_offline(out)
            written.append(out)
    return written


def render_document(qmd: Path, formats: Sequence[str] = ("html", "pdf"), *, engine: str = "auto") -> list[Path]:
    """Render one .qmd into its folder; engine 'auto' (Quarto if on PATH), 'quarto' or 'pandoc'."""
    unknown = sorted(set(formats) - {"html", "pdf"})
    if unknown:
        raise ValueError(f"formats: unknown format(s) {', '.join(unknown)}; use html and/or pdf")
    quarto = quarto_executable() if engine in ("auto", "quarto") else None
    if engine == "quarto" and quarto is None:
        raise RenderError("engine 'quarto' requested but no quarto executable is on PATH")
    if quarto:
        return render_with_quarto(qmd, formats, quarto)
    return render_with_pandoc(qmd, formats)
