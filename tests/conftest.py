"""Test set-up: every test runs headless, whatever the machine has.

Tests of the front end are marked ``app`` without anyone having to remember to: a test module
that imports ``app`` (or pygame) is one. ``python -m pytest -q -m "not app"`` is then the quick
run over ``levels`` and ``agents``; ``python -m pytest -q`` stays the whole suite.
"""

import ast
import os
from functools import cache
from pathlib import Path

import pytest

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

FRONT_END = ("app", "pygame", "pygame_gui", "apphelp")


@cache
def imports_front_end(path: Path) -> bool:
    """Whether the test module at ``path`` imports the app, pygame or the app-test helpers."""
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        else:
            continue
        if any(name.split(".")[0] in FRONT_END for name in names):
            return True
    return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if imports_front_end(Path(item.fspath)):
            item.add_marker(pytest.mark.app)
