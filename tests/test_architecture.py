"""The house rules, read from the source: which room may import which, and no long functions.

Imports point one way (docs/architecture.md): doors (cli, ui) -> payroll, reports ->
engine, store -> plans, inputs, periods, money. Every import in ``commission/`` is
read with :mod:`ast` (including imports inside functions; not those under
``if TYPE_CHECKING:``), so a rule broken anywhere fails here with the module and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "commission"
MAX_FUNCTION_LINES = 80


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the commission module imported
    line: int

    def __str__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def _type_checking_only(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, leaving out the bodies of ``if TYPE_CHECKING:``."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and _type_checking_only(node):
            for other in node.orelse:
                yield other
                yield from _nodes(other)
            continue
        yield node
        yield from _nodes(node)


def _resolve(source: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = source.split(".") if is_package else source.split(".")[:-1]
    base = base[:len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imports_of(name: str, path: Path) -> list[Import]:
    """The commission modules ``name`` imports (``from pkg import mod`` counts as ``pkg.mod``)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    found: list[Import] = []
    for node in _nodes(tree):
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(name, path.name == "__init__.py", node)
            targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in MODULES else base
                       for a in node.names]
        else:
            continue
        found += [Import(name, t, node.lineno) for t in targets
                  if (t == "commission" or t.startswith("commission.")) and t != name]
    return found


IMPORTS: list[Import] = [i for name, path in MODULES.items() for i in imports_of(name, path)]


def _in(module: str, room: str) -> bool:
    return module == room or module.startswith(room + ".")


def _broken(sources: str | tuple[str, ...], targets: tuple[str, ...]) -> list[str]:
    rooms = (sources,) if isinstance(sources, str) else sources
    return [str(i) for i in IMPORTS
            if any(_in(i.source, r) for r in rooms) and any(_in(i.target, t) for t in targets)]


def test_the_import_reader_sees_real_imports():
    targets = {i.target for i in IMPORTS if i.source == "commission.payroll.lifecycle"}
    assert {"commission.engine", "commission.store.batchdb", "commission.payroll.loading"} \
        <= targets


def test_the_store_is_persistence_only():
    """store/ never imports the engine, the payroll lifecycle, reports or the doors."""
    assert _broken("commission.store", ("commission.engine", "commission.payroll",
                                        "commission.reports", "commission.cli",
                                        "commission.ui")) == []


def test_reports_and_pages_take_plan_terms_from_plans_not_engine_internals():
    """The engine's public surface (``commission.engine``) yes; its modules, no."""
    broken = [str(i) for i in IMPORTS
              if (_in(i.source, "commission.reports") or _in(i.source, "commission.ui"))
              and i.target.startswith("commission.engine.")]
    assert broken == []


def test_only_the_doors_import_the_doors():
    broken = [str(i) for i in IMPORTS
              if (_in(i.target, "commission.cli") or _in(i.target, "commission.ui"))
              and not (_in(i.source, "commission.cli") or _in(i.source, "commission.ui"))]
    assert broken == []


def test_only_the_doors_run_partitioned():
    """distributed/ (Dask) sits just below the doors; nothing else pulls it (or Dask) in."""
    broken = [str(i) for i in IMPORTS
              if _in(i.target, "commission.distributed")
              and not any(_in(i.source, r) for r in ("commission.cli", "commission.ui",
                                                     "commission.distributed"))]
    assert broken == []
    assert _broken("commission.distributed", ("commission.cli", "commission.ui",
                                              "commission.payroll", "commission.store")) == []


def test_the_core_imports_no_room_above_it():
    """engine, plans, inputs, periods, money: no payroll, store, reports or doors."""
    core = ("commission.engine", "commission.plans", "commission.inputs", "commission.periods",
            "commission.money")
    assert _broken(core, ("commission.payroll", "commission.store", "commission.reports",
                          "commission.cli", "commission.ui")) == []


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
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
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_there_is_no_import_cycle():
    graph: dict[str, set[str]] = {name: set() for name in MODULES}
    for i in IMPORTS:
        graph[i.source].add(i.target)
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _functions() -> Iterator[tuple[str, int, str, int]]:
    for name, path in MODULES.items():
        if ".migrations" in name:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                yield name, node.lineno, node.name, node.end_lineno - node.lineno + 1


@pytest.mark.parametrize("room", sorted({n.split(".")[1] for n in MODULES if "." in n}))
def test_no_function_is_longer_than_80_lines(room):
    long = [f"{m}:{line} {fn} ({n} lines)" for m, line, fn, n in _functions()
            if m.split(".")[1:2] == [room] and n > MAX_FUNCTION_LINES]
    assert long == []
