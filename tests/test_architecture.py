"""The layering of ARCHITECTURE.md, checked on the source (AST; nothing is imported).

- ``analyses`` imports nothing from the project (``sap``, ``reports``, ``synthetic_data``);
- ``sap.spec``, ``sap.data`` and ``sap.derive`` reach neither ``analyses`` nor ``reports``, even transitively;
- ``reports`` never reaches the pipeline, the adapters or the command line;
- no module-level ``__getattr__``; no import cycle between modules (an import of ``a.b.c`` also runs ``a`` and
  ``a.b``, so package ``__init__`` modules are part of the graph, except a module's own enclosing packages, which
  are already running); project modules are imported at the top of a
  module (the command line's lazy import of the pipeline is the one exception, so ``--help`` stays fast);
- no module over 400 lines; no function in ``sap/`` or ``reports/`` over 60 lines.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("sap", "analyses", "reports", "synthetic_data")
#: (module, imported module) pairs allowed inside a function, with the reason
LAZY_ALLOWED = {("sap.run", "sap.pipeline"): "the command line imports the statistics only when it runs a plan"}
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            found[_module_name(path)] = path
    return found


MODULES = _modules()
TREES = {name: ast.parse(path.read_text(encoding="utf-8")) for name, path in MODULES.items()}


def _resolve(module: str, node: ast.ImportFrom | ast.Import) -> list[str]:
    """Project modules an import statement runs (the named module, its parents, and imported submodules)."""
    if isinstance(node, ast.Import):
        targets = [a.name for a in node.names]
    else:
        base = node.module or ""
        if node.level:
            package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
            for _ in range(node.level - 1):
                package = package.rpartition(".")[0]
            base = f"{package}.{base}" if base else package
        targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base for a in node.names]
    out = []
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts) + 1):
            name = ".".join(parts[:i])
            if name in MODULES:
                out.append(name)
    return out


def _is_type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING" or (
        isinstance(node.test, ast.Attribute) and node.test.attr == "TYPE_CHECKING")


def _imports(module: str) -> list[tuple[str, bool]]:
    """(imported project module, inside a function?) for every import of ``module`` (TYPE_CHECKING excluded)."""
    out = []

    def visit(node, in_function: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child):
                continue
            if isinstance(child, (ast.Import, ast.ImportFrom)):
                out.extend((m, in_function) for m in _resolve(module, child)
                           if m != module and not module.startswith(m + "."))  # own packages are running already
            visit(child, in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)))

    visit(TREES[module], False)
    return out


GRAPH = {m: sorted({t for t, _ in _imports(m)}) for m in MODULES}


def _reach(start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for nxt in GRAPH[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _in(module: str, *prefixes: str) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def test_analyses_imports_nothing_from_the_project():
    bad = [f"{m} -> {t}" for m in MODULES if _in(m, "analyses") for t in GRAPH[m] if not _in(t, "analyses")]
    assert not bad, bad


@pytest.mark.parametrize("layer", ["sap.spec", "sap.data", "sap.derive"])
def test_plan_and_data_layer_reach_neither_statistics_nor_reports(layer):
    bad = sorted({f"{m} reaches {t}" for m in MODULES if _in(m, layer)
                  for t in _reach(m) if _in(t, "analyses", "reports")})
    assert not bad, bad[:10]


def test_reports_never_reach_the_pipeline():
    bad = sorted({f"{m} reaches {t}" for m in MODULES if _in(m, "reports")
                  for t in _reach(m) if _in(t, "sap.pipeline", "sap.adapters", "sap.run", "sap.context")})
    assert not bad, bad[:10]


def test_nothing_imports_the_generator():
    """The runner finds the frozen data by path; only the generator's own modules import it."""
    bad = sorted({f"{m} reaches {t}" for m in MODULES if not _in(m, "synthetic_data")
                  for t in _reach(m) if _in(t, "synthetic_data")})
    assert not bad, bad[:10]


def test_no_module_getattr_hooks():
    bad = [m for m, tree in TREES.items()
           if any(isinstance(n, ast.FunctionDef) and n.name == "__getattr__" for n in tree.body)]
    assert not bad, bad


def test_no_import_cycles():
    index, low, stack, on_stack, cycles, counter = {}, {}, [], set(), [], [0]

    def strongconnect(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in GRAPH[v]:
            if w not in index:
                strongconnect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(GRAPH):
        if v not in index:
            strongconnect(v)
    assert not cycles, cycles


def test_project_modules_are_imported_at_the_top():
    bad = sorted({f"{m} imports {t} inside a function" for m in MODULES for t, lazy in _imports(m)
                  if lazy and (m, t) not in LAZY_ALLOWED})
    assert not bad, bad


def test_module_size():
    long = {m: n for m, p in MODULES.items() if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert not long, long


def test_function_size_in_sap_and_reports():
    long = {}
    for m, tree in TREES.items():
        if not _in(m, "sap", "reports"):
            continue
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                n = node.end_lineno - node.lineno + 1
                if n > MAX_FUNCTION_LINES:
                    long[f"{m}.{node.name}"] = n
    assert not long, long


def test_the_checks_can_fail():
    """The graph sees a planted cycle and a planted layer breach (so a passing run means something)."""
    saved = dict(GRAPH)
    try:
        GRAPH["analyses.results"] = GRAPH["analyses.results"] + ["sap.spec"]
        GRAPH["sap.errors"] = GRAPH["sap.errors"] + ["analyses.results"]
        assert "analyses.results" in _reach("sap.spec")
        with pytest.raises(AssertionError):
            test_analyses_imports_nothing_from_the_project()
    finally:
        GRAPH.clear()
        GRAPH.update(saved)
