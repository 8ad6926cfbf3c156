"""Display tables -> HTML (great_tables), Typst (PDF) and CSV, with the same content in each.

A :class:`reports.display.DisplayTable` holds string cells whose column headers already carry "N=".
The HTML is made by great_tables (``GT``: title, stub, row groups, source notes, column labels), which
escapes every cell; the Typst table is written here (great_tables has no Typst writer), every cell a
Typst string literal, with a repeated header row so long tables break across pages. Wide tables get a
smaller font and, beyond the portrait width, a landscape page (see :func:`layout_for`).
"""
from __future__ import annotations

import re

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import pandas as pd
from great_tables import GT

from reports.text import escape_html, plain, typst_string

#: estimated characters per line of the text area (A4, 2 cm margins) by font size and orientation
_PORTRAIT_CHARS = {9.0: 95, 8.0: 108}
_PORTRAIT_FIT_CHARS = {8.0: 108, 7.5: 118}
_LANDSCAPE_CHARS = {8.0: 160, 7.0: 185}
_MAX_CELL_CHARS = 42


@dataclass(frozen=True)
class TableLayout:
    """How a table (or a group of tables shown together) is laid out on a PDF page."""

    landscape: bool
    font_pt: float
    fit_width: bool  # use fractional column widths that fill the text width (text wraps)


def string_frame(table) -> pd.DataFrame:
    """The table's frame with every cell as a display string ('' for missing)."""
    frame = table.frame.copy()
    frame.columns = [plain(c) for c in frame.columns]
    return frame.apply(lambda col: col.map(plain)) if not frame.empty else frame.astype(str)


def data_columns(table) -> list[str]:
    """Columns printed in the body (the group column becomes row-group headings)."""
    return [str(c) for c in table.frame.columns if c != table.group_column]


def column_weights(table) -> list[int]:
    """Estimated print width (characters) of each printed column: longest cell or header word."""
    frame = string_frame(table)
    weights = []
    for col in data_columns(table):
        cells = frame[col].tolist() if col in frame.columns else []
        longest_cell = max((len(c) for c in cells), default=0)
        # an unbreakable token (a SHA-256, an id) cannot wrap: never estimate a column narrower
        longest_token = max((len(w) for c in cells + [col] for w in c.split()), default=0)
        header = min(len(col), max(14, longest_token))
        width = min(_MAX_CELL_CHARS, max(longest_cell, header))
        weights.append(max(3, width, longest_token) + 2)
    return weights


def _is_text(cell: str) -> bool:
    chars = [c for c in cell if not c.isspace()]
    return bool(chars) and sum(c.isalpha() for c in chars) / len(chars) > 0.4


def column_alignments(table) -> dict[str, str]:
    """'left' for stub columns and columns of mostly words, 'center' for columns of numbers/statistics."""
    frame = string_frame(table)
    out = {}
    for col in data_columns(table):
        cells = [c for c in frame[col].tolist() if c] if col in frame.columns else []
        texty = sum(_is_text(c) for c in cells)
        out[col] = "left" if col in table.stub_columns or (cells and texty > len(cells) / 2) else "center"
    return out


def minimum_weights(table) -> list[int]:
    """Narrowest sensible print width of each column: statistics columns do not wrap; text columns
    wrap at words but keep at least 16 characters per line."""
    frame = string_frame(table)
    align = column_alignments(table)
    out = []
    for col, natural in zip(data_columns(table), column_weights(table)):
        cells = frame[col].tolist() if col in frame.columns else []
        token = max((len(w) for c in cells + [col] for w in c.split()), default=0)
        if align[col] == "left":
            out.append(min(natural, max(token + 2, 14)))
        else:
            out.append(min(natural, max(token, max((len(c) for c in cells), default=0)) + 2))
    return out


def layout_for(tables: Sequence) -> TableLayout:
    """Choose portrait/landscape and font size from the widest table of a group: portrait at its natural
    width if it fits, else portrait with wrapped text columns, else landscape."""
    width = max((sum(column_weights(t)) for t in tables), default=0)
    minimum = max((sum(minimum_weights(t)) for t in tables), default=0)
    wraps = any(len(cell) > _MAX_CELL_CHARS for t in tables for col in string_frame(t).columns
                if col != t.group_column for cell in string_frame(t)[col])
    for font, chars in _PORTRAIT_CHARS.items():
        if width <= chars:
            # long text cells wrap inside explicit column widths; short tables keep auto widths
            return TableLayout(False, font, wraps)
    for font, chars in _PORTRAIT_FIT_CHARS.items():
        if minimum <= chars:
            return TableLayout(False, font, True)
    for font, chars in _LANDSCAPE_CHARS.items():
        if width <= chars:
            return TableLayout(True, font, False)
    return TableLayout(True, 7.0, True)


# ----------------------------------------------------------------------------------------- HTML
def css_id(text: str) -> str:
    """``text`` as an HTML id that is also a valid CSS selector: every character but letters, digits, '_' and '-'
    becomes '-' (great_tables scopes its CSS with ``#id``; a dot, as in 'out-14.1.01-1', made every rule invalid and
    the table lost its layout)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", text)


def display_table_html(table, *, table_id: str, title: str | None = None) -> str:
    """HTML of one display table via great_tables; data text is escaped by GT."""
    frame = string_frame(table)
    labels = {f"c{i}": str(c) for i, c in enumerate(frame.columns)}
    frame.columns = list(labels)
    by_label = {v: k for k, v in labels.items()}
    stub = [by_label[s] for s in table.stub_columns if s in by_label]
    group = by_label.get(table.group_column) if table.group_column else None
    if group is not None:
        frame[group] = frame[group].where(frame[group] != "", " ")
    rowname = stub[0] if len(stub) == 1 else None
    gt = GT(frame, rowname_col=rowname, groupname_col=group, id=css_id(table_id))
    printed = [k for k in labels if k != group and k != rowname]
    gt = gt.cols_label(**{k: labels[k] for k in printed})
    if title:
        gt = gt.tab_header(title=title)
    align = column_alignments(table)
    left = [k for k in printed if align.get(labels[k]) == "left"]
    value_cols = [k for k in printed if k not in left]
    if left:
        gt = gt.cols_align(align="left", columns=left)
    if value_cols:
        gt = gt.cols_align(align="center", columns=value_cols)
    for note in table.footnotes:
        gt = gt.tab_source_note(plain(note))
    gt = gt.tab_options(table_font_size="13px", heading_align="left", table_width="100%",
                        heading_title_font_size="14px", source_notes_font_size="12px",
                        data_row_padding="3px", row_group_font_weight="bold",
                        table_font_names=["Helvetica Neue", "Arial", "sans-serif"])
    return gt.as_raw_html()


# ---------------------------------------------------------------------------------------- Typst
def _line_chars(layout: TableLayout) -> int:
    for table in ((_LANDSCAPE_CHARS,) if layout.landscape else (_PORTRAIT_CHARS, _PORTRAIT_FIT_CHARS)):
        if layout.font_pt in table:
            return table[layout.font_pt]
    return min(_LANDSCAPE_CHARS.values()) if layout.landscape else min(_PORTRAIT_CHARS.values())


def _typst_columns(table, layout: TableLayout) -> str:
    """Auto widths when the table fits at its natural width; otherwise percentages: every column gets its
    minimum (statistics columns never wrap) and text columns share the rest in proportion to their length."""
    natural = column_weights(table)
    if not layout.fit_width:
        return "(" + ", ".join("auto" for _ in natural) + ",)"
    minimum = minimum_weights(table)
    room = max(_line_chars(layout), sum(minimum))
    spare = room - sum(minimum)
    stretch = [n - m for n, m in zip(natural, minimum)]
    total_stretch = sum(stretch) or 1
    widths = [m + spare * s / total_stretch for m, s in zip(minimum, stretch)]
    return "(" + ", ".join(f"{100 * w / sum(widths):.2f}%" for w in widths) + ",)"


def display_table_typst(table, layout: TableLayout, *, title: str | None = None) -> str:
    """Typst markup of one display table: optional part title, table with a repeated header, footnotes."""
    frame = string_frame(table)
    cols = data_columns(table)
    stub = set(table.stub_columns)
    ncol = len(cols)
    alignment = column_alignments(table)
    aligns = ", ".join(alignment[c] for c in cols)
    out = []
    if title:
        out.append(f"#block(sticky: true, below: 0.5em)[#text(size: {layout.font_pt + 1}pt, "
                   f"weight: \"bold\", {typst_string(title)})]")
    if ncol == 0:
        out.append(f"#text(size: {layout.font_pt}pt, \"(no columns)\")")
        return "\n".join(out)
    cells = []
    header = ", ".join(f"text(weight: \"bold\", {typst_string(c)})" for c in cols)
    cells.append("table.hline(stroke: 1pt)")
    cells.append(f"table.header(repeat: true, {header})")
    cells.append("table.hline(stroke: 0.5pt)")
    previous_group = None
    for _, row in frame.iterrows():
        if table.group_column:
            g = row[table.group_column]
            if g != previous_group and g != "":
                cells.append(f"table.cell(colspan: {ncol}, align: left, "
                             f"text(weight: \"bold\", {typst_string(g)}))")
            previous_group = g
        values = [typst_string(row[c]) for c in cols]
        if table.group_column and previous_group not in (None, "") and cols and cols[0] in stub:
            values[0] = f"pad(left: 0.8em, {values[0]})"  # indent terms under their group heading
        cells.append(", ".join(values))
    if frame.empty:
        cells.append(f"table.cell(colspan: {ncol}, align: left, \"No rows.\")")
    cells.append("table.hline(stroke: 1pt)")
    body = ",\n  ".join(cells)
    out.append(f"#text(size: {layout.font_pt}pt)[#set par(justify: false)\n#table(\n  columns: {_typst_columns(table, layout)},\n"
               f"  align: ({aligns},),\n  stroke: none,\n  inset: (x: 4pt, y: 2.5pt),\n  {body},\n)]")
    for note in table.footnotes:
        out.append(f"#block(above: 0.3em, below: 0.3em)[#text(size: {layout.font_pt - 0.5}pt, "
                   f"{typst_string(note)})]")
    return "\n".join(out)


# ------------------------------------------------------------------------------------------ CSV
def write_table_csv(table, path: Path) -> Path:
    """Write the display table (string cells, header labels as printed) to CSV (UTF-8)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    string_frame(table).to_csv(path, index=False, encoding="utf-8", lineterminator="\n")
    return path


def html_paragraph(text: str, css_class: str, *, strong: bool = False) -> str:
    """An escaped HTML paragraph."""
    body = escape_html(text)
    if strong:
        body = f"<strong>{body}</strong>"
    return f'<p class="{css_class}">{body}</p>'
