"""The plan filter language: ``analyses[].data.where`` row selections, parsed and evaluated safely.

A plan is data, not code: running a plan must never run anything its author wrote. ``DataFrame.query``
cannot promise that (``@name`` reaches the caller's variables, attribute access reaches ``os``), and no
library offers a safe pandas-style boolean filter language, so this small one is hand-written. The text is
parsed with :func:`ast.parse` (``mode="eval"``), every node is checked against a whitelist, and the
expression is evaluated by walking the checked tree against a DataFrame; user text is never given to
``eval``, ``exec``, ``compile`` or ``query``.

The language (a subset of what ``DataFrame.query(..., engine="python")`` accepts, with the same meaning):

* column names (plain identifiers, no backticks, no dunders) and literals: str, int, float, bool, None,
  negative numbers, and lists/tuples of those;
* comparisons ``== != < <= > >=`` (chains allowed, ``1 < AVAL <= 5``); ``COL in [..]`` / ``COL not in [..]``;
* ``and`` / ``or`` / ``not`` and ``&`` / ``|`` / ``~``, element-wise.  As in pandas, ``&`` and ``|`` bind like
  ``and`` / ``or`` (``A == 1 & B == 2`` means ``(A == 1) & (B == 2)``);
* on a column only: ``.isin([..])``, ``.notna()``, ``.isna()``, ``.notnull()``, ``.isnull()``.

Missing values behave as in pandas: a comparison with a missing value is False, except ``!=`` (True).
"""
from __future__ import annotations

import ast
import io
import operator
import re
import tokenize
from dataclasses import dataclass
from functools import lru_cache

import pandas as pd

MAX_LENGTH = 2000
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_METHODS = {"isin": 1, "notna": 0, "isna": 0, "notnull": 0, "isnull": 0}
_COMPARE = {ast.Eq: operator.eq, ast.NotEq: operator.ne, ast.Lt: operator.lt, ast.LtE: operator.le,
            ast.Gt: operator.gt, ast.GtE: operator.ge}
_LITERAL_TYPES = (str, int, float, bool, type(None))
_CONSTRUCTS = {ast.Call: "function call", ast.Attribute: "attribute access", ast.Subscript: "subscript",
               ast.Lambda: "lambda", ast.ListComp: "comprehension", ast.SetComp: "comprehension",
               ast.DictComp: "comprehension", ast.GeneratorExp: "comprehension", ast.JoinedStr: "f-string",
               ast.NamedExpr: "assignment expression (:=)", ast.BinOp: "arithmetic", ast.IfExp: "if-else",
               ast.Dict: "dict", ast.Set: "set"}


class FilterSyntaxError(ValueError):
    """A filter expression is not valid in the plan filter language; the message names the construct."""


class FilterColumnError(ValueError):
    """A filter expression names a column that the dataset does not have."""

    def __init__(self, column: str, dataset: str):
        super().__init__(f"column {column!r} is not in dataset {dataset}")
        self.column, self.dataset = column, dataset


@dataclass(frozen=True)
class FilterExpr:
    """A checked filter expression: the source text, its checked tree and the columns it uses."""

    text: str
    tree: ast.expression
    columns: frozenset[str]


def _snippet(node: ast.AST) -> str:
    text = ast.unparse(node)
    return text if len(text) <= 60 else text[:57] + "..."


def _pandas_tokens(text: str) -> str:
    """Refuse ``@`` names; rewrite ``&``/``|`` to ``and``/``or`` (pandas' precedence for them)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as exc:
        raise FilterSyntaxError(f"syntax error in {text!r}: {exc}") from None
    out = []
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string == "@":
            raise FilterSyntaxError(f"'@' is not allowed in {text!r}: a plan filter cannot refer to "
                                    "variables (pandas '@name' syntax); use columns and literals only")
        if tok.type == tokenize.OP and tok.string in ("&", "|"):
            out.append((tokenize.NAME, "and" if tok.string == "&" else "or"))
        else:
            out.append((tok.type, tok.string))
    return tokenize.untokenize(out).strip()


def parse_filter(text: str) -> FilterExpr:
    """Parse and check a filter expression; raise FilterSyntaxError naming the offending construct.

    The plan loader parses every filter once; later calls with the same text return the same checked expression.
    """
    if not isinstance(text, str):
        raise FilterSyntaxError("a filter expression must be non-empty text")
    return _parse_filter(text)


@lru_cache(maxsize=1024)
def _parse_filter(text: str) -> FilterExpr:
    if not text.strip():
        raise FilterSyntaxError("a filter expression must be non-empty text")
    if len(text) > MAX_LENGTH:
        raise FilterSyntaxError(f"filter expression longer than {MAX_LENGTH} characters")
    if "`" in text:
        raise FilterSyntaxError(f"backtick-quoted column names are not allowed in {text!r}")
    source = _pandas_tokens(text.strip())
    try:
        tree = ast.parse(source, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        detail = exc.msg if isinstance(exc, SyntaxError) else type(exc).__name__
        raise FilterSyntaxError(f"syntax error in {text!r}: {detail}") from None
    columns: set[str] = set()
    try:
        _check(tree.body, columns)
    except RecursionError:
        raise FilterSyntaxError(f"filter expression {text!r} is nested too deeply") from None
    return FilterExpr(text=text, tree=tree, columns=frozenset(columns))


def _check_literal(node: ast.AST) -> None:
    if isinstance(node, ast.Constant) and type(node.value) in _LITERAL_TYPES:
        return
    if (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
            and type(node.operand.value) in (int, float)):
        return
    raise FilterSyntaxError(f"{_snippet(node)!r} is not a literal (str, int, float, bool or None)")


def _check_sequence(node: ast.AST) -> None:
    if not isinstance(node, (ast.List, ast.Tuple)):
        raise FilterSyntaxError(f"{_snippet(node)!r}: expected a list of literals, e.g. ['A', 'B']")
    for elt in node.elts:
        _check_literal(elt)


def _check_column(node: ast.AST, columns: set[str]) -> None:
    if not isinstance(node, ast.Name):
        raise FilterSyntaxError(f"{_snippet(node)!r} is not a column name")
    if not _IDENT.match(node.id) or node.id.startswith("__"):
        raise FilterSyntaxError(f"name {node.id!r} is not allowed (plain identifiers only, no dunder names)")
    columns.add(node.id)


def _check_call(node: ast.Call, columns: set[str]) -> None:
    func = node.func
    if not (isinstance(func, ast.Attribute) and func.attr in _METHODS and isinstance(func.value, ast.Name)):
        raise FilterSyntaxError(f"function call {_snippet(node)!r} is not allowed; allowed calls are "
                                f"COLUMN.{'(), COLUMN.'.join(sorted(_METHODS))}()")
    if node.keywords or len(node.args) != _METHODS[func.attr]:
        raise FilterSyntaxError(f"{_snippet(node)!r}: .{func.attr}() takes "
                                f"{'one list of literals' if _METHODS[func.attr] else 'no arguments'}")
    _check_column(func.value, columns)
    for arg in node.args:
        _check_sequence(arg)


def _check(node: ast.AST, columns: set[str]) -> None:
    """Raise FilterSyntaxError unless ``node`` is in the filter language; collect column names."""
    if isinstance(node, ast.Name):
        _check_column(node, columns)
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        _check(node.operand, columns)
    elif isinstance(node, (ast.Constant, ast.UnaryOp)):
        _check_literal(node)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            _check(value, columns)
    elif isinstance(node, ast.Compare):
        if len(node.ops) > 1 and any(isinstance(op, (ast.In, ast.NotIn)) for op in node.ops):
            raise FilterSyntaxError(f"{_snippet(node)!r}: 'in' / 'not in' cannot be chained; use parentheses")
        _check(node.left, columns)
        for op, right in zip(node.ops, node.comparators):
            if isinstance(op, (ast.In, ast.NotIn)):
                _check_sequence(right)
            elif type(op) in _COMPARE:
                if isinstance(right, (ast.List, ast.Tuple)):
                    raise FilterSyntaxError(f"{_snippet(node)!r}: compare with a list using 'in' / 'not in'")
                _check(right, columns)
            else:
                raise FilterSyntaxError(f"operator {type(op).__name__} in {_snippet(node)!r} is not allowed")
    elif isinstance(node, ast.Call):
        _check_call(node, columns)
    elif isinstance(node, (ast.List, ast.Tuple)):
        raise FilterSyntaxError(f"a list {_snippet(node)!r} may only follow 'in', 'not in' or .isin(")
    else:
        what = _CONSTRUCTS.get(type(node), type(node).__name__)
        raise FilterSyntaxError(f"{what} {_snippet(node)!r} is not allowed in a plan filter")


def _literal(node: ast.AST):
    if isinstance(node, ast.UnaryOp):
        return -node.operand.value
    return node.value


def _invert(value):
    return ~value if isinstance(value, pd.Series) else not value


def _in(left, values: list, negate: bool):
    hit = left.isin(values) if isinstance(left, pd.Series) else left in values
    return _invert(hit) if negate else hit


def _compare(node: ast.Compare, frame: pd.DataFrame, dataset: str):
    left = _eval(node.left, frame, dataset)
    op, first = node.ops[0], node.comparators[0]
    if isinstance(op, (ast.In, ast.NotIn)):  # never chained (see _check)
        return _in(left, [_literal(e) for e in first.elts], isinstance(op, ast.NotIn))
    result = None
    for op, right_node in zip(node.ops, node.comparators):  # a < b < c means (a < b) & (b < c)
        right = _eval(right_node, frame, dataset)
        part = _COMPARE[type(op)](left, right)
        result = part if result is None else result & part
        left = right
    return result


def _eval(node: ast.AST, frame: pd.DataFrame, dataset: str):
    """Evaluate a checked node (only the constructs ``_check`` lets through) on ``frame``."""
    if isinstance(node, ast.Name):
        if node.id not in frame.columns:
            raise FilterColumnError(node.id, dataset)
        return frame[node.id]
    if isinstance(node, ast.Constant) or (isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub)):
        return _literal(node)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.Not, ast.Invert)):
        return _invert(_eval(node.operand, frame, dataset))
    if isinstance(node, ast.BoolOp):
        values = [_eval(v, frame, dataset) for v in node.values]
        combine = operator.and_ if isinstance(node.op, ast.And) else operator.or_
        result = values[0]
        for value in values[1:]:
            result = combine(result, value)
        return result
    if isinstance(node, ast.Compare):
        return _compare(node, frame, dataset)
    if isinstance(node, ast.Call):
        column = _eval(node.func.value, frame, dataset)
        method = node.func.attr
        if method == "isin":
            return column.isin([_literal(e) for e in node.args[0].elts])
        return column.notna() if method in ("notna", "notnull") else column.isna()
    raise FilterSyntaxError(f"{_snippet(node)!r} is not allowed in a plan filter")  # unreachable after _check


def evaluate_filter(expr: FilterExpr, frame: pd.DataFrame, dataset: str = "the dataset") -> pd.Series:
    """Boolean mask (index of ``frame``) of the rows that ``expr`` selects.

    Raises FilterColumnError for a column not in ``frame`` and FilterSyntaxError when the expression does
    not give one True/False per row (e.g. a bare numeric column).
    """
    missing = sorted(expr.columns - set(frame.columns))
    if missing:
        raise FilterColumnError(missing[0], dataset)
    value = _eval(expr.tree.body, frame, dataset)
    if not isinstance(value, pd.Series):
        if not isinstance(value, bool):
            raise FilterSyntaxError(f"{expr.text!r} does not give True/False per row")
        return pd.Series(value, index=frame.index, dtype=bool)
    if value.dtype == "boolean":
        value = value.fillna(False).astype(bool)
    if value.dtype != bool:
        raise FilterSyntaxError(f"{expr.text!r} does not give True/False per row (got {value.dtype} values)")
    return value
