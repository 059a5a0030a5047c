"""The import graph of agents/, levels/ and app/: no cycles, and dependencies point one way.

app -> agents -> levels (STYLE.md habit 1). Every import that runs counts, a lazy one inside a
function too: a cycle hidden in a function body is still two modules that cannot be read or
tested apart. Imports under ``if TYPE_CHECKING:`` only name types and are left out.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("agents", "levels", "app")
# package -> packages it must not import
FORBIDDEN = {"agents": {"app"}, "levels": {"agents", "app"}}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node except those under ``if TYPE_CHECKING:`` (annotations only, never run)."""
    out, todo = [], [tree]
    while todo:
        node = todo.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            todo.extend(node.orelse)
            continue
        out.append(node)
        todo.extend(ast.iter_child_nodes(node))
    return out


def _imports(path: Path, modules: set[str]) -> set[str]:
    """The project modules ``path`` imports (``from pkg import mod`` resolves to ``pkg.mod``)."""
    found: set[str] = set()
    for node in _runtime_nodes(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [f"{node.module}.{alias.name}" for alias in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                found.add(name)
    return found


@cache
def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py")}
    modules = set(files)
    graph = {}
    for name, path in files.items():
        # a package's __init__ is imported with any of its modules: edges to it are not cycles
        graph[name] = {m for m in _imports(path, modules) if m != name and m not in PACKAGES}
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle as a list of modules (first == last), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_the_graph_sees_the_known_edges() -> None:
    graph = import_graph()
    assert "agents.tabular" in graph["agents.storage"]
    assert "levels.level" in graph["levels.gridmaze"]
    assert "agents.session" in graph["app.training"]


def test_no_import_cycles() -> None:
    cycle = _cycle(import_graph())
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def test_dependencies_point_one_way() -> None:
    wrong = sorted(f"{module} imports {target}"
                   for module, targets in import_graph().items()
                   for target in targets
                   if target.split(".")[0] in FORBIDDEN.get(module.split(".")[0], ()))
    assert not wrong, "; ".join(wrong)
