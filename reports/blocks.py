"""Markdown building blocks shared by the SAP, results and escalation documents.

Prose is written as Pandoc/Quarto markdown with every data or plan string escaped
(:func:`reports.text.escape_markdown`). Tables are written twice, as a raw HTML block (great_tables) and a
raw Typst block, which both Quarto and plain Pandoc pass to the matching output format only; the content
of the two is the same (caption, population line, column headers with N, body, footnotes, notes).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Optional, Sequence

import pandas as pd

from reports.display import DisplayTable
from reports.tables import TableLayout, display_table_html, display_table_typst, html_paragraph, layout_for
from reports.text import escape_markdown, raw_block, safe_filename, typst_string

BLINDED_LABEL = "BLINDED \u2014 pooled over arms"


@dataclass(frozen=True)
class TablePart:
    """One display table of a captioned table block, with an optional part title."""

    table: DisplayTable
    title: Optional[str] = None


def heading(level: int, text: str, *, unnumbered: bool = False, anchor: str | None = None) -> str:
    """An ATX heading with escaped text (optionally unnumbered / with an id)."""
    attrs = []
    if anchor:
        attrs.append("#" + safe_filename(anchor).replace(".", "-").lower())
    if unnumbered:
        attrs.append(".unnumbered")
    suffix = " {" + " ".join(attrs) + "}" if attrs else ""
    return f"{'#' * level} {escape_markdown(text)}{suffix}\n"


def paragraph(text: str) -> str:
    """An escaped paragraph."""
    return escape_markdown(text) + "\n"


def labelled(label: str, text: str) -> str:
    """A paragraph '**Label:** text' with both parts escaped."""
    return f"**{escape_markdown(label)}:** {escape_markdown(text)}\n"


def bullets(items: Iterable[str], *, numbered: bool = False) -> str:
    """A bullet (or numbered) list of escaped items."""
    lines = [f"{f'{i}.' if numbered else '-'} {escape_markdown(t)}" for i, t in enumerate(items, start=1)]
    return "\n".join(lines) + "\n" if lines else ""


def blockquote(text: str) -> str:
    """A quoted passage (e.g. the 3+3 rule as written in the plan)."""
    return "> " + escape_markdown(text) + "\n"


def frame_table(frame: pd.DataFrame, title: str = "", *, stub: Sequence[str] = (), footnotes: Sequence[str] = (),
                group: str | None = None):
    """A DisplayTable built from a plain frame (used for plan-derived and provenance tables)."""
    return DisplayTable(title=title, frame=frame, footnotes=tuple(footnotes), stub_columns=tuple(stub),
                        group_column=group)


def table_block(parts: Sequence[TablePart], *, block_id: str, caption: str | None,
                lines: Sequence[str] = (), notes: Sequence[str] = (),
                layout: TableLayout | None = None) -> str:
    """A captioned table (one or more parts) as a raw HTML block followed by a raw Typst block."""
    layout = layout or (layout_for([p.table for p in parts]) if parts else TableLayout(False, 9.0, False))
    html = [f'<div class="tlg" id="{safe_filename(block_id)}">']
    if caption:
        html.append(html_paragraph(caption, "tlg-caption", strong=True))
    html += [html_paragraph(line, "tlg-subcaption") for line in lines]
    for i, part in enumerate(parts, start=1):
        html.append(display_table_html(part.table, table_id=f"{safe_filename(block_id)}-{i}",
                                       title=part.title))
    html += [html_paragraph(note, "tlg-note") for note in notes]
    html.append("</div>")

    typ = []
    if caption:
        under = "".join(f" \\ #text(size: 9pt, {typst_string(line)})" for line in lines)
        typ.append(f"#block(sticky: true, above: 1.2em, below: 0.6em)[#text(weight: \"bold\", "
                   f"{typst_string(caption)}){under}]")
    elif lines:
        typ += [f"#text(size: 9pt, {typst_string(line)})" for line in lines]
    for part in parts:
        typ.append(display_table_typst(part.table, layout, title=part.title))
    typ += [f"#block(above: 0.3em, below: 0.3em)[#text(size: {layout.font_pt - 0.5}pt, {typst_string(n)})]"
            for n in notes]
    typ.append("#v(1.4em, weak: true)")
    body = "\n".join(typ)
    if layout.landscape:
        body = f"#page(flipped: true)[\n{body}\n]"
    return raw_block("html", "\n".join(html)) + "\n" + raw_block("typst", body)


def figure_block(image: str, caption: str, *, notes: Sequence[str] = (), width: str = "100%") -> str:
    """A markdown figure (image + escaped caption) followed by escaped notes."""
    out = f"![{escape_markdown(caption)}]({image}){{width={width}}}\n"
    for note in notes:
        out += "\n" + paragraph(note)
    return out


def note_block(caption: str, lines: Sequence[str], *, block_id: str) -> str:
    """A caption with explanatory lines where a table or figure could not be produced."""
    return table_block([], block_id=block_id, caption=caption, lines=lines[:1], notes=lines[1:])


def page_break() -> str:
    """A page break in the PDF (no effect in HTML)."""
    return raw_block("typst", "#pagebreak(weak: true)")
