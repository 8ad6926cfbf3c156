"""sap.vocabulary mirrors the statistics' own names (the plan layer may not import analyses): covariance
structures with their parameter counts (analyses/mmrm/covariance.py STRUCTURES) and df methods
(analyses/mmrm/fit.py DF_METHODS). Parameter counts: SAS/STAT PROC MIXED, REPEATED TYPE= table."""
from __future__ import annotations

import ast
import operator
import re
from typing import get_args

import pytest

from analyses.mmrm.covariance import STRUCTURES, make_structure
from analyses.mmrm.fit import DEFAULT_FALLBACK, DF_METHODS
from sap import vocabulary as voc
from sap.registry import MMRMOptions

_OPS = {ast.Add: operator.add, ast.Sub: operator.sub, ast.Mult: operator.mul, ast.Div: operator.truediv}


def count_for(text: str, t: int) -> float:
    """Evaluate a parameter-count formula such as 't(t+1)/2' or '2t-1' (arithmetic in t only)."""
    expr = re.sub(r"(\d)t", r"\1*t", text).replace(")(", ")*(")
    expr = re.sub(r"t\(", "t*(", expr)

    def ev(node):
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.BinOp) and type(node.op) in _OPS:
            return _OPS[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and node.id == "t":
            return t
        raise ValueError(f"not a parameter-count formula: {text!r}")
    return ev(ast.parse(expr, mode="eval"))


def test_count_formula_reader():
    assert count_for("t(t+1)/2", 4) == 10 and count_for("2t-1", 4) == 7 and count_for("2", 9) == 2


def test_covariance_names_agree():
    assert tuple(voc.COVARIANCE_TYPES) == STRUCTURES
    assert set(get_args(voc.Covariance)) == set(STRUCTURES)
    assert set(voc.COVARIANCE_LABELS) == set(STRUCTURES)
    assert set(DEFAULT_FALLBACK) == set(STRUCTURES)


@pytest.mark.parametrize("name", STRUCTURES)
def test_covariance_parameter_counts_agree(name):
    formula = voc.COVARIANCE_TYPES[name][1]
    assert make_structure(name, 4).n_theta() == count_for(formula, 4)
    for t in (2, 3, 5, 7):  # the formula, not one value, must agree
        assert make_structure(name, t).n_theta() == count_for(formula, t), (name, t)


def test_df_method_names_agree():
    assert set(get_args(voc.DfMethod)) == set(DF_METHODS)
    assert set(voc.DF_LABELS) == set(DF_METHODS)


def test_mmrm_option_defaults_are_known_names():
    o = MMRMOptions()
    assert o.covariance in STRUCTURES and o.df in DF_METHODS and set(o.fallback_covariance) <= set(STRUCTURES)
