"""The vocabulary of a level: its tiles, limits, reward kinds, and the error a problem is.

The bottom of ``levels``: :mod:`levels.level` (the ``Level`` dataclass), :mod:`levels.leveltext`
(the text format) and :mod:`levels.levelfile` (files) all build on it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

TILES = "S.F#HGCcP"
TERMINAL_TILES = "HGCP"
MAX_SIDE = 64
MIN_CELLS = 2
MAX_SMALL_CHEESES = 8
MAX_STEPS_LIMIT = 100_000
MAX_REWARD = 1e6
"""Every reward setting (tile, step and cell rewards) lies in [-MAX_REWARD, MAX_REWARD]. One move
then earns at most three of them (the tile or cheese, a cell reward, the step), so an episode's
return stays below 3.1e11: far inside float32 (the DQN's replay) and float64, however the rewards
add up."""
MAX_LEVEL_BYTES = 2**20
"""The largest level text read (1 MiB): a 64x64 grid is 4 KiB, the rest is room for comments."""

_TILE_LIST = " ".join(TILES)
_REWARD_KEYS = ("cheese", "big_cheese", "poison", "hole", "goal", "step")
SETTING_KEYS = ("name", "max_steps", "slippery") + tuple(f"reward.{k}" for k in _REWARD_KEYS)
CELL_REWARD_KEY = "reward at"  #: settings key of a per-cell reward: ``reward at ROW,COL: value``


class LevelError(ValueError):
    """A level that cannot be used, with where the trouble is.

    Attributes:
        message: one plain sentence saying what is wrong.
        path: the file, when the level came from one.
        line, column: 1-based position in the text (``None`` when the problem has no one place).
        cell: 0-based ``(row, col)`` grid cell the problem is about, for the editor to highlight.
    """

    def __init__(
        self,
        message: str,
        *,
        path: str | os.PathLike[str] | None = None,
        line: int | None = None,
        column: int | None = None,
        cell: tuple[int, int] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = None if path is None else os.fspath(path)
        self.line = line
        self.column = column
        self.cell = cell

    def __str__(self) -> str:
        where = ""
        if self.line is not None:
            where = f"line {self.line}"
            if self.column is not None:
                where += f", column {self.column}"
        prefix = ": ".join(p for p in (self.path, where) if p)
        return f"{prefix}: {self.message}" if prefix else self.message

    def __reduce__(self):  # keyword-only __init__ would break pickling across processes
        return (_rebuild_error, (self.message, self.path, self.line, self.column, self.cell))

    def with_path(self, path: str | os.PathLike[str] | None) -> LevelError:
        """The same error, naming the file it came from."""
        return LevelError(self.message, path=path, line=self.line, column=self.column,
                          cell=self.cell)


def _rebuild_error(message, path, line, column, cell) -> LevelError:
    return LevelError(message, path=path, line=line, column=column, cell=cell)


@dataclass(frozen=True)
class Rewards:
    """Reward for entering each kind of tile; ``step`` is added to every move, even blocked ones."""

    cheese: float = 1.0
    big_cheese: float = 10.0
    poison: float = -10.0
    hole: float = 0.0
    goal: float = 1.0
    step: float = 0.0

    def for_tile(self, ch: str) -> float:
        """Reward for entering a tile (a small cheese counts only while it is uneaten)."""
        return {"H": self.hole, "G": self.goal, "C": self.big_cheese, "P": self.poison,
                "c": self.cheese}.get(ch, 0.0)
