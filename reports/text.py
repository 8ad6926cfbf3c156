"""Escaping of data text for the three languages a report is written in: Pandoc/Quarto markdown,
YAML front matter and Typst; and raw-format blocks that carry pre-rendered HTML or Typst.

Every string that comes from a plan or from data passes through one of these functions before it is
written into a document, so a cell such as ``<script>alert(1)</script>`` is printed as text, never
interpreted as markup. Hand-written: no library escapes for Pandoc markdown or Typst string literals.
"""
from __future__ import annotations

import html
import math
import re
import string
from typing import Any

_MD_ESCAPE = frozenset(string.punctuation)


def plain(value: Any) -> str:
    """Return a display string for a cell value: '' for None/NaN, ``str`` otherwise."""
    if value is None:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    try:
        import pandas as pd
        if value is pd.NA or value is pd.NaT:
            return ""
    except ImportError:  # pragma: no cover
        pass
    return str(value)


def escape_markdown(value: Any) -> str:
    """Escape text for inline Pandoc markdown (every ASCII punctuation character backslash-escaped,
    line breaks folded to spaces), so no markdown, raw HTML, math or Quarto shortcode can be formed."""
    text = " ".join(plain(value).split())
    return "".join("\\" + c if c in _MD_ESCAPE else c for c in text)


def yaml_string(markdown_text: str) -> str:
    """Quote already markdown-escaped text as a single-quoted YAML scalar (metadata is parsed as markdown)."""
    return "'" + markdown_text.replace("'", "''") + "'"


def typst_string(value: Any) -> str:
    """A Typst string literal (code mode) holding the text verbatim; Typst shows strings as plain text."""
    text = plain(value).replace("\r\n", "\n").replace("\r", "\n")
    text = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\t", " ")
    return '"' + text + '"'


def escape_html(value: Any) -> str:
    """Escape text for HTML element content and attribute values."""
    return html.escape(plain(value), quote=True)


def raw_block(fmt: str, content: str) -> str:
    """A Pandoc/Quarto raw block (```{=html} / ```{=typst}) whose fence is longer than any backtick run
    inside ``content``, so data can never close the block early."""
    longest = max((len(m) for m in re.findall(r"`+", content)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{{={fmt}}}\n{content}\n{fence}\n"


def safe_filename(text: str) -> str:
    """A file-name stem from an output id: characters other than letters, digits, '.', '-' become '_'."""
    stem = re.sub(r"[^A-Za-z0-9.\-]+", "_", text).strip("._")
    return stem or "output"
