"""A plan file's YAML text read strictly: UTF-8 only, no duplicated keys, and line numbers for every error.

PyYAML keeps the last value of a key written twice and reports a syntax error over several lines; a plan is a
signed document, so a second ``short_title:`` is refused (naming both lines), a syntax error or a byte that is
not UTF-8 becomes one line with its line and column, and :func:`read_plan_yaml` returns a look-up from a
validation error's location (``("design", "phases", 0, "label")``) to the line of the plan that holds it.
Written by hand: a ``SafeLoader`` subclass and a walk over the composed node tree, no library does it.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Optional, Sequence

import yaml
from yaml.nodes import MappingNode, ScalarNode, SequenceNode

from sap.errors import PlanError

Locate = Callable[[Sequence[Any]], Optional[int]]


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key written twice in one mapping."""

    source = "<plan>"

    def construct_mapping(self, node, deep=False):
        if isinstance(node, MappingNode):
            seen: dict[Any, int] = {}
            for key_node, _ in node.value:
                if not isinstance(key_node, ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
                    continue
                key = self.construct_object(key_node, deep=True)
                line = key_node.start_mark.line + 1
                if key in seen:
                    raise PlanError(f"invalid plan {self.source}: line {line}: duplicate key {key!r} "
                                    f"(first at line {seen[key]})")
                seen[key] = line
        return super().construct_mapping(node, deep=deep)


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        start = exc.start + (3 if raw.startswith(b"\xef\xbb\xbf") else 0)
        line = raw[:start].count(b"\n") + 1
        raise PlanError(f"invalid plan {path}: line {line}: byte 0x{raw[start]:02x} is not UTF-8; save the plan as "
                        "UTF-8 text") from None


def _syntax_message(path: Path, exc: yaml.YAMLError) -> str:
    if not isinstance(exc, yaml.MarkedYAMLError) or exc.problem_mark is None:
        return f"invalid plan {path}: YAML syntax error: {' '.join(str(exc).split())}"
    mark = exc.problem_mark
    text = f"invalid plan {path}: YAML syntax error at line {mark.line + 1}, column {mark.column + 1}: {exc.problem}"
    if "'\\t'" in (exc.problem or ""):
        text += " (a tab: indent with spaces)"
    started = exc.context_mark
    if exc.context and started is not None:
        text += f" ({exc.context} started at line {started.line + 1}, column {started.column + 1})"
    return text


def read_plan_yaml(path: Path) -> tuple[Any, Locate]:
    """The plan file's data and a look-up from a validation location to its line (None where not found)."""
    loader = _StrictLoader(_decode(path, path.read_bytes()))
    loader.source = str(path)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        raise PlanError(_syntax_message(path, exc)) from None
    finally:
        loader.dispose()
    return data, lambda loc: line_of(node, loc)


def line_of(node, loc: Sequence[Any]) -> Optional[int]:
    """Line (1-based) of the deepest item of ``loc`` found in the node tree; parts that are not keys or indexes
    of the document (pydantic's union tags) are skipped."""
    line = None
    for part in loc:
        if isinstance(node, MappingNode):
            pair = next(((k, v) for k, v in node.value if isinstance(k, ScalarNode) and k.value == str(part)), None)
            if pair is None:
                continue
            line, node = pair[0].start_mark.line + 1, pair[1]
        elif isinstance(node, SequenceNode) and isinstance(part, int) and 0 <= part < len(node.value):
            node = node.value[part]
            line = node.start_mark.line + 1
    return line
