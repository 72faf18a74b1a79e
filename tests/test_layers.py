"""The layer map of CONTRIBUTING.md, enforced: no import circles, the report never reaches into the
run's internals, the suite kit never imports the target it tests, and no module keeps state that
two runs in one process would share."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import kibana_conformance

SRC = Path(kibana_conformance.__file__).parent
PACKAGE = SRC.name


def _name(path: Path) -> str:
    parts = [PACKAGE, *path.relative_to(SRC).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_name(path): path for path in SRC.rglob("*.py")}


def _runtime_nodes(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node, deferred imports in functions included, but not ``if TYPE_CHECKING:`` blocks."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            yield from (n for stmt in node.orelse for n in _runtime_nodes(stmt))
            continue
        yield node
        yield from _runtime_nodes(node)


def _imports(module: str) -> set[str]:
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)] if node.level else []
            target = ".".join([*base, node.module] if node.module else base)
            for alias in node.names:
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return {name for name in found if name in MODULES and name != module}


GRAPH = {module: _imports(module) for module in MODULES}


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in GRAPH[node]:
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in GRAPH:
        if node not in index:
            visit(node)
    return found


def test_no_import_circles() -> None:
    assert _cycles() == []


def test_the_cycle_finder_finds_a_cycle() -> None:
    """The check above can fail: two modules importing each other are found."""
    GRAPH["kct.a"], GRAPH["kct.b"] = {"kct.b"}, {"kct.a"}
    try:
        assert _cycles() == [["kct.a", "kct.b"]]
    finally:
        del GRAPH["kct.a"], GRAPH["kct.b"]


@pytest.mark.parametrize(
    ("layer", "forbidden"),
    [
        ("report", ("plugin", "lifecycle", "runner", "cli", "mock", "suite")),
        ("suite", ("mock", "plugin", "lifecycle", "runner", "cli", "embedded")),
        ("mock", ("suite", "report", "plugin", "lifecycle", "runner", "selftest")),
    ],
)
def test_a_layer_does_not_import_what_it_must_not_know(layer: str, forbidden: tuple[str, ...]) -> None:
    prefix = f"{PACKAGE}.{layer}"
    banned = tuple(f"{PACKAGE}.{name}" for name in forbidden)
    offending = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module == prefix or module.startswith(prefix + ".")
        for target in targets
        if target.startswith(banned)
    )
    assert offending == []


MUTATORS = {"append", "extend", "insert", "add", "update", "setdefault", "pop", "popitem", "clear", "remove", "discard"}
# Import-time registration by a decorator: filled once when the modules load, read-only afterwards.
REGISTRIES = {f"{PACKAGE}.mock.faults": {"REGISTRY"}}


def _module_level_names(tree: ast.Module) -> set[str]:
    names: set[str] = set()
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(node, ast.AnnAssign) else []
        names |= {t.id for t in targets if isinstance(t, ast.Name)}
    return names


def _state_writes(module: str) -> list[str]:
    tree = ast.parse(MODULES[module].read_text())
    shared = _module_level_names(tree) - REGISTRIES.get(module, set())
    writes = []
    for function in (n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))):
        for node in ast.walk(function):
            if isinstance(node, ast.Global):
                writes.append(f"{module}:{node.lineno} global {', '.join(node.names)}")
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr in MUTATORS:
                owner = node.func.value
                if isinstance(owner, ast.Name) and owner.id in shared:
                    writes.append(f"{module}:{node.lineno} {owner.id}.{node.func.attr}()")
                if isinstance(owner, ast.Attribute) and owner.attr == "__dict__":
                    writes.append(f"{module}:{node.lineno} state kept on a function's __dict__")
            elif isinstance(node, (ast.Assign, ast.AugAssign)):
                for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Name) and target.value.id in shared:
                        writes.append(f"{module}:{node.lineno} {target.value.id}[...] =")
                    if isinstance(target, ast.Slice):
                        continue
    return writes


def test_no_module_keeps_state_between_runs() -> None:
    """What a run changes lives in its RunContext (or the mock's Store), never in a module: two runs
    in one process share nothing."""
    assert [write for module in sorted(MODULES) for write in _state_writes(module)] == []


def test_the_state_check_sees_a_module_list_being_filled(tmp_path: Path) -> None:
    source = "SEEN = []\n\ndef remember(x):\n    SEEN.append(x)\n"
    MODULES["kct.sample"] = tmp_path / "sample.py"
    MODULES["kct.sample"].write_text(source)
    try:
        assert _state_writes("kct.sample") == ["kct.sample:4 SEEN.append()"]
    finally:
        del MODULES["kct.sample"]
