"""The app's structure: parts are composed, not mixed in, and own what they write.

Walks the source of ``app/`` with :mod:`ast`: a class may have at most one base class defined in
the project (``app``, ``agents``, ``levels``), and a part may assign attributes only on itself
(``self.x = ...``), never on a part it was handed (``self.board.hover = ...``): the owner offers a
method instead. Objects it builds itself (``self.board = Board(...)``, local rects) are its own.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP = ROOT / "app"
PROJECT_PACKAGES = ("app", "agents", "levels")


def _modules() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
            for path in sorted(APP.glob("*.py"))]


def _project_names(tree: ast.Module) -> set[str]:
    """Names bound in a module to classes of the project: its own classes and imports of them."""
    names = {node.name for node in ast.walk(tree) if isinstance(node, ast.ClassDef)}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module \
                and node.module.split(".")[0] in PROJECT_PACKAGES:
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def test_no_class_in_app_has_more_than_one_project_base_class():
    offenders = []
    for path, tree in _modules():
        project = _project_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            bases = [ast.unparse(b) for b in node.bases]
            ours = [b for b in bases if b.split(".")[0] in project or b.startswith("app.")]
            if len(ours) > 1:
                offenders.append(f"{path.name}: {node.name}({', '.join(ours)})")
    assert not offenders, "classes built from several project classes: " + "; ".join(offenders)


def _written_attributes(target: ast.expr) -> list[ast.Attribute]:
    if isinstance(target, ast.Tuple | ast.List):
        return [a for el in target.elts for a in _written_attributes(el)]
    if isinstance(target, ast.Attribute):
        return [target]
    if isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute):
        return [target.value]  # self.other.table[key] = ... writes into other's table
    return []


def _chain(node: ast.expr) -> list[str]:
    """``self.a.b`` -> ["self", "a", "b"] (empty when it does not start at a name)."""
    names: list[str] = []
    while isinstance(node, ast.Attribute):
        names.append(node.attr)
        node = node.value
    return [node.id, *reversed(names)] if isinstance(node, ast.Name) else []


def _built_here(cls: ast.ClassDef) -> set[str]:
    """Attributes a class sets to an object it constructs itself (``self.board = Board(...)``):
    those objects are its own, not parts it was handed."""
    built = set()
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Call):
            for target in node.targets:
                chain = _chain(target)
                if len(chain) == 2 and chain[0] == "self":
                    built.add(chain[1])
    return built


def test_parts_write_only_their_own_attributes():
    """``self.x = v`` is fine; ``self.part.x = v`` (writing a part you were handed) is not."""
    offenders = []
    for path, tree in _modules():
        for cls in (n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)):
            own = _built_here(cls)
            for node in ast.walk(cls):
                if isinstance(node, ast.Assign):
                    targets = node.targets
                elif isinstance(node, ast.AugAssign | ast.AnnAssign):
                    targets = [node.target]
                else:
                    continue
                for target in targets:
                    for attr in _written_attributes(target):
                        chain = _chain(attr.value)
                        if len(chain) >= 2 and chain[0] == "self" \
                                and not chain[1].startswith("_") and chain[1] not in own:
                            offenders.append(f"{path.name}:{node.lineno} {ast.unparse(attr)}")
    assert not offenders, "attributes written on another part: " + "; ".join(offenders)


def _is_any(annotation: ast.expr | None) -> bool:
    return annotation is not None and ast.unparse(annotation) in ("Any", "Any | None")


def test_no_borrowed_attributes_typed_any():
    """A part names the types of what it is handed: no ``session: Any`` class annotations, and
    no ``__init__`` parameter typed ``Any`` kept as an attribute."""
    offenders = []
    for path, tree in _modules():
        for node in ast.walk(tree):
            if not isinstance(node, ast.ClassDef):
                continue
            for stmt in node.body:
                if isinstance(stmt, ast.AnnAssign) and stmt.value is None \
                        and _is_any(stmt.annotation):
                    offenders.append(f"{path.name}: {node.name}.{ast.unparse(stmt.target)}")
                if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
                    args = stmt.args.args + stmt.args.kwonlyargs
                    untyped = {a.arg for a in args if _is_any(a.annotation)}
                    for sub in ast.walk(stmt):
                        if isinstance(sub, ast.Assign) and isinstance(sub.value, ast.Name) \
                                and sub.value.id in untyped:
                            offenders.append(f"{path.name}: {node.name}.__init__ keeps "
                                             f"{sub.value.id}: Any")
    assert not offenders, "class-level Any annotations: " + "; ".join(offenders)
