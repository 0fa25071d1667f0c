"""The shape of the code: no import cycle among hallq's modules, and a domain core that needs no
framework.

The import graph is read from the source with `ast`. An import inside a function counts like one
at the top of the module: a cycle held apart by a late import is still a cycle, and the next
change that moves the import up breaks start-up. Imports under `if TYPE_CHECKING:` never run and
are left out.
"""

from __future__ import annotations

import ast
from collections import deque
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("queue_server", "kiosk", "display", "devices")
# What the domain core must never import: web, database, green threads, devices, network.
FRAMEWORKS = frozenset(
    {
        "alembic",
        "engineio",
        "flask",
        "flask_socketio",
        "gevent",
        "jinja2",
        "psycopg",
        "psycopg2",
        "redis",
        "requests",
        "serial",
        "socketio",
        "sqlalchemy",
        "werkzeug",
    }
)

Graph = dict[str, dict[str, str]]  # module -> imported module -> where ("path:line")


def modules_of(root: Path, packages: tuple[str, ...]) -> dict[str, Path]:
    """Every module of the packages by dotted name (a package by its own name)."""
    found: dict[str, Path] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = path.relative_to(root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports_in(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    """Every import statement under a node, at any depth, except under `if TYPE_CHECKING:`."""
    for child in ast.iter_child_nodes(node):
        runs = (
            child.orelse if isinstance(child, ast.If) and _is_type_checking(child.test) else [child]
        )
        for statement in runs:
            if isinstance(statement, ast.Import | ast.ImportFrom):
                yield statement
            else:
                yield from imports_in(statement)


def imported_names(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute dotted names an import statement reads (a module, or a name in one)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    source = node.module or ""
    if node.level:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        parts = package.split(".")
        base = ".".join(parts[: len(parts) - node.level + 1])
        source = f"{base}.{source}" if source else base
    return [f"{source}.{alias.name}" for alias in node.names]


def import_graph(root: Path, packages: tuple[str, ...]) -> Graph:
    """Which of the packages' modules each module imports, with the line of the first import."""
    modules = modules_of(root, packages)
    graph: Graph = {name: {} for name in modules}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in imports_in(tree):
            for name in imported_names(module, path, node):
                while name and name not in modules:  # `from pkg import name`: the module pkg
                    name = name.rpartition(".")[0]
                if name and name != module:
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    graph[module].setdefault(name, where)
    return graph


def strongly_connected(graph: Graph) -> list[list[str]]:
    """Tarjan's strongly connected components of more than one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def one_cycle(graph: Graph, component: list[str]) -> str:
    """A shortest cycle through the component's first module, each step with its import line."""
    start, members = component[0], set(component)
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        v = queue.popleft()
        for w in sorted(graph[v]):
            if w in members and w not in came_from:
                came_from[w] = v
                if w == start:
                    queue.clear()
                    break
                queue.append(w)
    path = [start]
    while True:
        path.append(came_from[path[-1]])
        if path[-1] == start:
            break
    path.reverse()
    steps = [f"{a} → {b} ({graph[a][b]})" for a, b in zip(path, path[1:], strict=False)]
    return "cycle among " + ", ".join(component) + ":\n    " + "\n    ".join(steps)


def cycles(graph: Graph) -> list[str]:
    return [one_cycle(graph, component) for component in strongly_connected(graph)]


def test_no_module_imports_one_that_imports_it_back() -> None:
    graph = import_graph(ROOT, PACKAGES)
    # The graph is the real one: it sees top-level imports and imports inside functions.
    assert "queue_server.services.lookups" in graph["queue_server.services.queue"]
    assert "queue_server.domain.model" in graph["queue_server.services.queue"]
    found = cycles(graph)
    assert not found, "import cycles:\n" + "\n".join(found)


def test_a_cycle_held_apart_by_an_import_inside_a_function_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text("from . import b\n")
    (package / "b.py").write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n"
        "    from .c import C\n"
        "def late():\n"
        "    from .a import thing\n"
    )
    (package / "c.py").write_text("from pkg import b\n")
    found = cycles(import_graph(tmp_path, ("pkg",)))
    assert found == [
        "cycle among pkg.a, pkg.b:\n    pkg.a → pkg.b (pkg/a.py:1)\n    pkg.b → pkg.a (pkg/b.py:5)"
    ]


def test_the_domain_imports_no_framework_and_no_other_layer() -> None:
    modules = modules_of(ROOT, PACKAGES)
    domain = {m: p for m, p in modules.items() if m.split(".")[:2] == ["queue_server", "domain"]}
    assert "queue_server.domain.model" in domain
    wrong = []
    for module, path in domain.items():
        for node in imports_in(ast.parse(path.read_text(encoding="utf-8"))):
            for name in imported_names(module, path, node):
                top = name.split(".")[0]
                other_layer = top in PACKAGES and name.split(".")[:2] != ["queue_server", "domain"]
                if top in FRAMEWORKS or other_layer:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert not wrong, "the domain core must stay pure:\n" + "\n".join(wrong)


MAX_LINES = 800
# services/queue.py (the unit of work, lookups, issuing, window actions in one module) is split
# in a change of its own; until then it alone may be longer.
LONG_FOR_NOW = frozenset({"queue_server/services/queue.py"})


def long_modules(root: Path, packages: tuple[str, ...], limit: int = MAX_LINES) -> list[str]:
    """Every module of the packages with more than `limit` lines, with its length."""
    found = []
    for path in modules_of(root, packages).values():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > limit:
            found.append(f"{path.relative_to(root)}: {lines} lines")
    return sorted(found)


def test_no_module_is_longer_than_800_lines() -> None:
    found = [
        entry for entry in long_modules(ROOT, PACKAGES) if entry.split(":")[0] not in LONG_FOR_NOW
    ]
    assert not found, (
        f"modules over {MAX_LINES} lines (one concept per module: split by concept):\n"
        + "\n".join(found)
    )


def test_a_module_one_line_too_long_is_found(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "fits.py").write_text("x = 1\n" * MAX_LINES)
    (package / "over.py").write_text("x = 1\n" * (MAX_LINES + 1))
    assert long_modules(tmp_path, ("pkg",)) == [f"pkg/over.py: {MAX_LINES + 1} lines"]
