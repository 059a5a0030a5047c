"""Levels: a grid of tiles plus a few settings (rewards, step limit, slippery).

Tiles: ``S`` start, ``.``/``F`` floor, ``#`` wall, ``H`` hole, ``G`` goal, ``C`` big cheese,
``c`` small cheese (eaten once per episode), ``P`` poison. Any open cell may also carry its own
reward (``cell_rewards``), which replaces its tile's reward, as REINFORCEjs and CS188 let a
gridworld's author set one reward per cell. The tiles, limits and ``LevelError`` are defined in
:mod:`levels.tiles` (and importable from here), the text format in :mod:`levels.leveltext`, level
files (``load_level``, ``save_level``, the bundled levels) in :mod:`levels.levelfile`.

Constructing a :class:`Level` never validates, because the editor must be able to hold a level
that is half drawn; :meth:`Level.problems` says what is wrong, and :meth:`Level.from_text`,
:func:`load_level` and :func:`save_level` refuse invalid levels.
"""

from __future__ import annotations

import dataclasses
import os
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from levels import leveltext
from levels.tiles import _REWARD_KEYS as _REWARD_KEYS
from levels.tiles import _TILE_LIST as _TILE_LIST
from levels.tiles import CELL_REWARD_KEY as CELL_REWARD_KEY
from levels.tiles import MAX_REWARD as MAX_REWARD
from levels.tiles import MAX_SIDE as MAX_SIDE
from levels.tiles import MAX_SMALL_CHEESES as MAX_SMALL_CHEESES
from levels.tiles import MAX_STEPS_LIMIT as MAX_STEPS_LIMIT
from levels.tiles import MIN_CELLS as MIN_CELLS
from levels.tiles import SETTING_KEYS as SETTING_KEYS
from levels.tiles import TERMINAL_TILES as TERMINAL_TILES
from levels.tiles import TILES as TILES
from levels.tiles import LevelError as LevelError
from levels.tiles import Rewards as Rewards


@dataclass(frozen=True)
class Level:
    """A grid of tiles (one string per row) and its settings. Immutable: edits return new levels."""

    grid: tuple[str, ...]
    name: str = "untitled"
    max_steps: int = 100
    slippery: bool = False
    rewards: Rewards = field(default_factory=Rewards)
    #: ``((row, col), reward)`` pairs sorted by cell: entering that cell pays ``reward`` instead of
    #: its tile's reward (a small cheese pays it once per episode, like ``reward.cheese``).
    cell_rewards: tuple[tuple[tuple[int, int], float], ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.grid, tuple):  # accept lists from callers; keeps Level hashable
            object.__setattr__(self, "grid", tuple(self.grid))
        object.__setattr__(self, "cell_rewards", _normal_cell_rewards(self.cell_rewards))

    # ---- shape and contents -------------------------------------------------------------------
    @property
    def nrows(self) -> int:
        return len(self.grid)

    @property
    def ncols(self) -> int:
        return len(self.grid[0]) if self.grid else 0

    @property
    def n_cells(self) -> int:
        return self.nrows * self.ncols

    def tile(self, row: int, col: int) -> str:
        return self.grid[row][col]

    @cached_property
    def start(self) -> tuple[int, int] | None:
        """The first ``S`` in reading order (a valid level has exactly one)."""
        for r, row in enumerate(self.grid):
            c = row.find("S")
            if c >= 0:
                return (r, c)
        return None

    @cached_property
    def small_cheeses(self) -> tuple[tuple[int, int], ...]:
        """Small cheeses in reading order: cheese ``i`` is bit ``i`` of the eaten mask."""
        return tuple((r, c) for r, row in enumerate(self.grid) for c, ch in enumerate(row)
                     if ch == "c")

    @property
    def n_states(self) -> int:
        return self.n_cells * 2 ** len(self.small_cheeses)

    def cell_reward(self, row: int, col: int) -> float | None:
        """The cell's own reward, or None when entering it pays its tile's reward."""
        return self._cell_reward_map.get((row, col))

    @cached_property
    def _cell_reward_map(self) -> dict[tuple[int, int], float]:
        return dict(self.cell_rewards)

    def reward_at(self, row: int, col: int) -> float:
        """What entering the cell pays before ``reward.step`` (a small cheese: while uneaten)."""
        own = self.cell_reward(row, col)
        if own is not None:
            return own
        return self.rewards.for_tile(self.grid[row][col])

    def rewards_array(self) -> np.ndarray:
        """:meth:`reward_at` for every cell as a ``[nrows, ncols]`` float array (walls 0)."""
        kinds = {ch: self.rewards.for_tile(ch) for ch in TILES}
        out = np.array([[kinds.get(ch, 0.0) for ch in row] for row in self.grid],
                       dtype=np.float64).reshape(self.nrows, self.ncols)
        for (r, c), value in self.cell_rewards:
            out[r, c] = value
        return out

    def tiles_array(self) -> np.ndarray:
        """The grid as a ``[nrows, ncols]`` array of one-character strings (for vectorised code)."""
        return np.array([list(row) for row in self.grid], dtype="<U1").reshape(self.nrows, -1)

    # ---- validation ---------------------------------------------------------------------------
    def problems(self) -> list[LevelError]:
        """Everything that makes this level unusable, first in text order; empty when valid.

        Line and column numbers refer to :meth:`to_text`'s output, so they match a saved file.
        """
        return leveltext.level_problems(self)

    def validate(self) -> None:
        """Raise the first of :meth:`problems`, if any."""
        found = self.problems()
        if found:
            raise found[0]

    def warnings(self) -> list[str]:
        """Things that are legal but probably not what the author wants (the app shows them)."""
        if self.problems() or self.start is None:
            return []
        dist = self.distances_from_start()
        reward_tiles = [(r, c) for r, row in enumerate(self.grid) for c, ch in enumerate(row)
                        if ch in "GCc" or (ch != "#" and self.reward_at(r, c) > 0)]
        reached = [cell for cell in reward_tiles if dist[cell] >= 0]
        if not reached:
            return ["no goal, cheese or other reward can be reached from the start"]
        out = []
        missed = len(reward_tiles) - len(reached)
        if missed:
            out.append(f"{missed} of {len(reward_tiles)} goal, cheese and reward tiles cannot be "
                       "reached from the start")
        ends = [int(dist[cell]) for cell in reached if self.grid[cell[0]][cell[1]] in "GC"]
        if ends and min(ends) > self.max_steps:
            out.append(f"the nearest goal or big cheese is {min(ends)} steps away but max_steps "
                       f"is {self.max_steps}")
        return out

    def distances_from_start(self) -> np.ndarray:
        """Fewest moves from the start to each cell (-1 if unreachable); episodes end on H G C P."""
        dist = np.full((self.nrows, self.ncols), -1, dtype=np.int64)
        if self.start is None:
            return dist
        dist[self.start] = 0
        queue = deque([self.start])
        while queue:
            r, c = queue.popleft()
            if self.grid[r][c] in TERMINAL_TILES:
                continue
            for nr, nc in ((r, c - 1), (r + 1, c), (r, c + 1), (r - 1, c)):
                if (0 <= nr < self.nrows and 0 <= nc < self.ncols and dist[nr, nc] < 0
                        and self.grid[nr][nc] != "#"):
                    dist[nr, nc] = dist[r, c] + 1
                    queue.append((nr, nc))
        return dist

    # ---- edits (for the editor) ---------------------------------------------------------------
    def with_tile(self, row: int, col: int, ch: str) -> Level:
        """This level with one tile changed. Painting ``S`` moves the start (there is only one)."""
        return self.with_tiles([(row, col)], ch)

    def with_tiles(self, cells: Iterable[tuple[int, int]], ch: str) -> Level:
        """This level with many tiles changed; for ``S`` only the last cell gets the start.

        A painted cell loses its own reward: it becomes a fresh tile paying its kind's reward.
        """
        if len(ch) != 1 or ch not in TILES:
            raise LevelError(f"{ch!r} is not a tile; tiles are {_TILE_LIST}")
        rows = [list(row) for row in self.grid]
        cells = list(cells)
        for r, c in cells:
            if not (0 <= r < self.nrows and 0 <= c < self.ncols):
                raise LevelError(f"cell ({r}, {c}) is outside the {self.nrows}x{self.ncols} grid")
        if ch == "S" and cells:
            rows = [["." if t == "S" else t for t in row] for row in rows]
            cells = cells[-1:]
        for r, c in cells:
            rows[r][c] = ch
        painted = set(cells)
        return dataclasses.replace(
            self, grid=tuple("".join(row) for row in rows),
            cell_rewards=tuple(item for item in self.cell_rewards if item[0] not in painted))

    def with_cell_reward(self, row: int, col: int, reward: float | None) -> Level:
        """This level with the cell's own reward set (None: back to its tile's reward)."""
        if not (0 <= row < self.nrows and 0 <= col < self.ncols):
            raise LevelError(f"cell ({row}, {col}) is outside the {self.nrows}x{self.ncols} grid")
        if reward is not None and self.grid[row][col] == "#":
            raise LevelError(f"cell ({row}, {col}) is a wall, which the agent never enters; "
                             "only open cells can have a reward", cell=(row, col))
        kept = tuple(item for item in self.cell_rewards if item[0] != (row, col))
        if reward is not None:
            kept += (((row, col), float(reward)),)
        return dataclasses.replace(self, cell_rewards=kept)

    def resized(self, nrows: int, ncols: int, fill: str = ".") -> Level:
        """Crop or pad (with ``fill``) at the bottom and right, keeping the top-left corner."""
        _check_size(nrows, ncols)
        if len(fill) != 1 or fill not in TILES.replace("S", ""):
            raise LevelError(f"{fill!r} cannot fill new cells; use one of . F # H G C c P")
        rows = [row[:ncols].ljust(ncols, fill) for row in self.grid[:nrows]]
        rows += [fill * ncols] * (nrows - len(rows))
        inside = tuple(item for item in self.cell_rewards
                       if _is_cell(item[0]) and item[0][0] < nrows and item[0][1] < ncols)
        return dataclasses.replace(self, grid=tuple(rows), cell_rewards=inside)

    @classmethod
    def blank(cls, nrows: int, ncols: int) -> Level:
        """An empty floor with the start top-left and the goal bottom-right.

        Its ``max_steps`` is :func:`default_max_steps` of the grid, not the class default.
        """
        _check_size(nrows, ncols)
        rows = [["."] * ncols for _ in range(nrows)]
        rows[0][0], rows[-1][-1] = "S", "G"
        level = cls(grid=tuple("".join(r) for r in rows))
        return dataclasses.replace(level, max_steps=default_max_steps(level))

    # ---- text (levels.leveltext) ---------------------------------------------------------------
    def to_text(self) -> str:
        """The level file text; ``Level.from_text(level.to_text()) == level`` for valid levels."""
        return leveltext.format_level(self)

    @classmethod
    def from_text(cls, text: str, path: str | os.PathLike[str] | None = None) -> Level:
        """Parse and validate level text; raises :class:`LevelError` (and nothing else)."""
        try:
            return cls(**leveltext.parse_fields(text, path))
        except LevelError as err:
            raise err.with_path(path) from None


def default_max_steps(level: Level) -> int:
    """A step limit that leaves room to explore: 4x the open cells, at least 2x the longest
    shortest path from the start, within 1..MAX_STEPS_LIMIT.

    A limit shorter than the way to the reward makes a level unlearnable (the agent is cut off
    before any reward can reach it), and New or Generate must not inherit one from another level.
    """
    open_cells = level.n_cells - sum(row.count("#") for row in level.grid)
    longest = int(level.distances_from_start().max()) if level.start is not None else 0
    return int(min(MAX_STEPS_LIMIT, max(1, 4 * open_cells, 2 * longest)))


def _is_cell(pos: object) -> bool:
    return (isinstance(pos, tuple) and len(pos) == 2
            and all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in pos))


def _normal_cell_rewards(items: object) -> tuple:
    """Cell rewards as ``((row, col), reward)`` pairs sorted by cell, from a dict or pairs.

    Lenient on purpose (the editor and the recovery file may hold odd values):
    :meth:`Level.problems` reports what is wrong, this only gives the data one shape.
    """
    pairs = items.items() if isinstance(items, dict) else items
    out = []
    for pos, value in pairs:
        pos = tuple(pos) if isinstance(pos, list | tuple) else pos
        if _is_cell(pos):
            pos = (int(pos[0]), int(pos[1]))
        out.append((pos, value))
    return tuple(sorted(out, key=lambda item: item[0] if _is_cell(item[0]) else (-1, -1)))


def changed_cells(old: Level, new: Level) -> frozenset[tuple[int, int]]:
    """Cells whose tile differs between two levels; every cell of ``new`` if the shapes differ."""
    if (old.nrows, old.ncols) != (new.nrows, new.ncols):
        return frozenset((r, c) for r in range(new.nrows) for c in range(new.ncols))
    return frozenset((r, c) for r, (a, b) in enumerate(zip(old.grid, new.grid, strict=True))
                     if a != b for c in range(len(b)) if a[c] != b[c])


def _check_size(nrows: int, ncols: int) -> None:
    if not (1 <= nrows <= MAX_SIDE and 1 <= ncols <= MAX_SIDE and nrows * ncols >= MIN_CELLS):
        raise LevelError(f"a level must be from 1x2 to {MAX_SIDE}x{MAX_SIDE} cells, "
                         f"got {nrows}x{ncols}")
