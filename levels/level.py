"""Levels: a grid of tiles plus a few settings, read from and written to plain text.

A level file is UTF-8 text: optional ``key: value`` settings lines, then the grid, one character
per cell::

    name: mouse
    max_steps: 5
    Sc.
    .PC

Tiles: ``S`` start, ``.``/``F`` floor, ``#`` wall, ``H`` hole, ``G`` goal, ``C`` big cheese,
``c`` small cheese (eaten once per episode), ``P`` poison. Settings: ``name``, ``max_steps``,
``slippery`` and the rewards ``reward.cheese``, ``reward.big_cheese``, ``reward.poison``,
``reward.hole``, ``reward.goal``, ``reward.step``. A settings line is any line before the grid that
contains ``:`` (no tile is ``:``). Blank lines and lines starting with ``;`` (comments) may appear
before the grid only; ``#`` is the wall tile, so it cannot start a comment. CRLF line ends, a
missing final newline and trailing spaces are accepted.

Constructing a :class:`Level` never validates, because the editor must be able to hold a level
that is half drawn; :meth:`Level.problems` says what is wrong, and :meth:`Level.from_text`,
:func:`load_level` and :func:`save_level` refuse invalid levels.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import os
import re
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np

from levels.atomic import atomic_write_text

TILES = "S.F#HGCcP"
TERMINAL_TILES = "HGCP"
MAX_SIDE = 64
MIN_CELLS = 2
MAX_SMALL_CHEESES = 8
MAX_STEPS_LIMIT = 100_000
BUNDLED_DIR = Path(__file__).resolve().parent / "bundled"

_TILE_LIST = " ".join(TILES)
_REWARD_KEYS = ("cheese", "big_cheese", "poison", "hole", "goal", "step")
SETTING_KEYS = ("name", "max_steps", "slippery") + tuple(f"reward.{k}" for k in _REWARD_KEYS)
_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")


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


@dataclass(frozen=True)
class Level:
    """A grid of tiles (one string per row) and its settings. Immutable: edits return new levels."""

    grid: tuple[str, ...]
    name: str = "untitled"
    max_steps: int = 100
    slippery: bool = False
    rewards: Rewards = field(default_factory=Rewards)

    def __post_init__(self) -> None:
        if not isinstance(self.grid, tuple):  # accept lists from callers; keeps Level hashable
            object.__setattr__(self, "grid", tuple(self.grid))

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

    def tiles_array(self) -> np.ndarray:
        """The grid as a ``[nrows, ncols]`` array of one-character strings (for vectorised code)."""
        return np.array([list(row) for row in self.grid], dtype="<U1").reshape(self.nrows, -1)

    # ---- validation ---------------------------------------------------------------------------
    def problems(self) -> list[LevelError]:
        """Everything that makes this level unusable, first in text order; empty when valid.

        Line and column numbers refer to :meth:`to_text`'s output, so they match a saved file.
        """
        lines = {key: i + 1 for i, key in enumerate(self._settings_lines())}
        return _settings_problems(self, lines) + _grid_problems(self.grid, len(lines) + 1)

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
                        if ch in "GCc" or self.rewards.for_tile(ch) > 0]
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
        """This level with many tiles changed; for ``S`` only the last cell gets the start."""
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
        return dataclasses.replace(self, grid=tuple("".join(row) for row in rows))

    def resized(self, nrows: int, ncols: int, fill: str = ".") -> Level:
        """Crop or pad (with ``fill``) at the bottom and right, keeping the top-left corner."""
        _check_size(nrows, ncols)
        if len(fill) != 1 or fill not in TILES.replace("S", ""):
            raise LevelError(f"{fill!r} cannot fill new cells; use one of . F # H G C c P")
        rows = [row[:ncols].ljust(ncols, fill) for row in self.grid[:nrows]]
        rows += [fill * ncols] * (nrows - len(rows))
        return dataclasses.replace(self, grid=tuple(rows))

    @classmethod
    def blank(cls, nrows: int, ncols: int) -> Level:
        """An empty floor with the start top-left and the goal bottom-right."""
        _check_size(nrows, ncols)
        rows = [["."] * ncols for _ in range(nrows)]
        rows[0][0], rows[-1][-1] = "S", "G"
        return cls(grid=tuple("".join(r) for r in rows))

    # ---- text ---------------------------------------------------------------------------------
    def _settings_lines(self) -> list[str]:
        """Keys :meth:`to_text` writes, in order: the basics always, rewards when not default."""
        keys = ["name", "max_steps", "slippery"]
        default = Rewards()
        keys += [f"reward.{k}" for k in _REWARD_KEYS
                 if getattr(self.rewards, k) != getattr(default, k)]
        return keys

    def to_text(self) -> str:
        """The level file text; ``Level.from_text(level.to_text()) == level`` for valid levels."""
        out = []
        for key in self._settings_lines():
            if key == "name":
                out.append(f"name: {self.name}")
            elif key == "max_steps":
                out.append(f"max_steps: {self.max_steps}")
            elif key == "slippery":
                out.append(f"slippery: {'true' if self.slippery else 'false'}")
            else:
                out.append(f"{key}: {_format_number(getattr(self.rewards, key[7:]))}")
        return "\n".join(out + list(self.grid)) + "\n"

    @classmethod
    def from_text(cls, text: str, path: str | os.PathLike[str] | None = None) -> Level:
        """Parse and validate level text; raises :class:`LevelError` (and nothing else)."""
        try:
            return _parse(text, path)
        except LevelError as err:
            raise err.with_path(path) from None


def _format_number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)


def _check_size(nrows: int, ncols: int) -> None:
    if not (1 <= nrows <= MAX_SIDE and 1 <= ncols <= MAX_SIDE and nrows * ncols >= MIN_CELLS):
        raise LevelError(f"a level must be from 1x2 to {MAX_SIDE}x{MAX_SIDE} cells, "
                         f"got {nrows}x{ncols}")


# ---- validation helpers ------------------------------------------------------------------------
def _settings_problems(level: Level, lines: dict[str, int]) -> list[LevelError]:
    found = []
    name = level.name
    if not isinstance(name, str) or not name or name != name.strip() or set(name) & {"\n", "\r"}:
        found.append(LevelError("name must be one line of text without spaces at either end",
                                line=lines.get("name")))
    ms = level.max_steps
    whole = isinstance(ms, int | np.integer) and not isinstance(ms, bool)
    if not whole or not 1 <= ms <= MAX_STEPS_LIMIT:
        found.append(LevelError(f"max_steps must be a whole number from 1 to {MAX_STEPS_LIMIT}, "
                                f"got {ms!r}", line=lines.get("max_steps")))
    if not isinstance(level.slippery, bool | np.bool_):
        found.append(LevelError(f"slippery must be true or false, got {level.slippery!r}",
                                line=lines.get("slippery")))
    for key in _REWARD_KEYS:
        value = getattr(level.rewards, key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value):
            found.append(LevelError(f"reward.{key} must be a finite number, got {value!r}",
                                    line=lines.get(f"reward.{key}")))
    return found


def _grid_problems(grid: tuple[str, ...], first_line: int) -> list[LevelError]:
    """Grid problems in text order; ``first_line`` is the text line of grid row 0."""
    found: list[LevelError] = []
    if not grid or not grid[0]:
        return [LevelError("the level has no grid; draw at least two cells, one of them S")]
    width = len(grid[0])
    starts, cheeses = [], 0
    for r, row in enumerate(grid):
        line = first_line + r
        if len(row) != width:
            short = min(len(row), width)
            found.append(LevelError(f"this row has {len(row)} cells but the first row (line "
                                    f"{first_line}) has {width}", line=line, column=short + 1,
                                    cell=(r, short)))
        for c, ch in enumerate(row):
            if ch not in TILES:
                found.append(LevelError(f"{ch!r} is not a tile; tiles are {_TILE_LIST}",
                                        line=line, column=c + 1, cell=(r, c)))
                break  # one bad character per row is enough to find the rest
        for c, ch in enumerate(row):
            if ch == "S":
                if starts:
                    (r0, c0) = starts[0]
                    found.append(LevelError(
                        f"a second start 'S' (the first is on line {first_line + r0}, column "
                        f"{c0 + 1}); a level has exactly one",
                        line=line, column=c + 1, cell=(r, c)))
                starts.append((r, c))
            elif ch == "c":
                cheeses += 1
                if cheeses == MAX_SMALL_CHEESES + 1:
                    found.append(LevelError(
                        f"a {MAX_SMALL_CHEESES + 1}th small cheese 'c'; a level holds at most "
                        f"{MAX_SMALL_CHEESES} (each one doubles the number of states)",
                        line=line, column=c + 1, cell=(r, c)))
    found.sort(key=lambda e: (e.line, e.column or 0))
    if len(grid) > MAX_SIDE:
        found.append(LevelError(f"the grid has {len(grid)} rows; the most is {MAX_SIDE}",
                                line=first_line + MAX_SIDE))
    if width > MAX_SIDE:
        found.append(LevelError(f"the grid has {width} columns; the most is {MAX_SIDE}",
                                line=first_line, column=MAX_SIDE + 1))
    if len(grid) * width < MIN_CELLS:
        found.append(LevelError(f"the grid has only {len(grid) * width} cell; a level needs at "
                                f"least {MIN_CELLS}", line=first_line))
    if not starts:
        found.append(LevelError("the grid has no start; put one S where the agent begins"))
    return found


# ---- parsing -----------------------------------------------------------------------------------
def _parse(text: str, path: str | os.PathLike[str] | None) -> Level:
    if not isinstance(text, str):
        raise LevelError(f"level text must be a string, got {type(text).__name__}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    settings: dict[str, tuple[int, str, int]] = {}  # key -> (line, value, value column)
    grid_start = None
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip(" \t")
        if not line.strip() or line.startswith(";"):
            continue
        if ":" not in line:
            grid_start = i
            break
        key_raw, _, value_raw = line.partition(":")
        key, value = key_raw.strip().lower(), value_raw.strip()
        key_col = len(key_raw) - len(key_raw.lstrip()) + 1
        value_col = len(key_raw) + 2 + (len(value_raw) - len(value_raw.lstrip()))
        if key not in SETTING_KEYS:
            near = difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.6)
            hint = (f"; did you mean '{near[0]}'?" if near
                    else f"; settings are {', '.join(SETTING_KEYS)}")
            raise LevelError(f"unknown setting {key_raw.strip()!r}{hint}", line=i, column=key_col)
        if key in settings:
            raise LevelError(f"{key} is set twice (first on line {settings[key][0]})",
                             line=i, column=key_col)
        if not value:
            raise LevelError(f"{key} has no value", line=i, column=value_col)
        settings[key] = (i, value, value_col)
    values = {key: _setting_value(key, value, line, col)
              for key, (line, value, col) in settings.items()}
    if grid_start is None:
        if not any(line.strip() for line in lines):
            raise LevelError("the file is empty; a level needs a grid of tiles")
        raise LevelError("there is no grid after the settings; a level needs a grid of tiles")
    rows = [line.rstrip(" \t") for line in lines[grid_start - 1:]]
    while rows and not rows[-1]:
        rows.pop()
    for r, row in enumerate(rows):
        line_no = grid_start + r
        problem = None
        if not row:
            problem = LevelError("blank line inside the grid; rows must be consecutive",
                                 line=line_no)
        elif ":" in row and row.partition(":")[0].strip().lower() in SETTING_KEYS:
            problem = LevelError("settings must come before the grid", line=line_no, column=1)
        if problem is not None:  # report a bad tile on an earlier row first, in text order
            earlier = [e for e in _grid_problems(tuple(rows[:r]), grid_start)
                       if e.line is not None and e.column is not None and e.line < line_no]
            raise earlier[0] if earlier else problem
    words = rows[0].split()
    if words and (words[0].lower() in SETTING_KEYS or words[0].lower().startswith("reward.")):
        raise LevelError(f"{words[0]!r} looks like a setting; write settings as 'key: value'",
                         line=grid_start, column=1)
    if "name" not in values:
        values["name"] = Path(os.fspath(path)).stem if path is not None else "untitled"
    rewards = Rewards(**{k[7:]: values.pop(k) for k in list(values) if k.startswith("reward.")})
    level = Level(grid=tuple(rows), rewards=rewards, **values)
    found = _grid_problems(level.grid, grid_start)
    if found:
        raise found[0]
    return level


def _setting_value(key: str, value: str, line: int, col: int) -> object:
    if key == "name":
        return value
    if key == "max_steps":
        if re.fullmatch(r"[0-9]{1,7}", value) and 1 <= int(value) <= MAX_STEPS_LIMIT:
            return int(value)
        raise LevelError(f"max_steps must be a whole number from 1 to {MAX_STEPS_LIMIT}, "
                         f"got {value!r}", line=line, column=col)
    if key == "slippery":
        if value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        raise LevelError(f"slippery must be true or false, got {value!r}", line=line, column=col)
    try:
        number = float(value) if re.fullmatch(r"[+-]?[0-9.eE+-]+", value) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise LevelError(f"{key} must be a number, got {value!r}", line=line, column=col)
    return number


# ---- files -------------------------------------------------------------------------------------
def bundled_level_names() -> list[str]:
    """Names of the levels shipped with the sandbox (file stems in ``levels/bundled``)."""
    return sorted(p.stem for p in BUNDLED_DIR.glob("*.txt"))


def bundled_level_path(name: str) -> Path:
    """The file of a bundled level; LevelError naming the close ones if there is none."""
    if name not in bundled_level_names():
        raise LevelError(f"no bundled level named {name!r}{_suggest(name)}")
    return BUNDLED_DIR / f"{name}.txt"


def _suggest(name: str) -> str:
    names = bundled_level_names()
    near = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
    if near:
        return "; did you mean " + " or ".join(repr(n) for n in near) + "?"
    return "; bundled levels are " + ", ".join(names)


def load_level(name_or_path: str | os.PathLike[str]) -> Level:
    """Load a bundled level by name (``"mouse"``) or any level file by path."""
    spec = str(os.fspath(name_or_path))
    plain_name = bool(spec) and "/" not in spec and os.sep not in spec and not Path(spec).suffix
    if not spec.strip():
        raise LevelError("no level name or file path was given")
    if plain_name and spec in bundled_level_names():
        path = BUNDLED_DIR / f"{spec}.txt"
    else:
        path = Path(spec)
        if not path_exists(path):
            if plain_name:
                raise LevelError(f"no bundled level or file named {spec!r}{_suggest(spec)}")
            raise LevelError("no such file", path=path)
    try:
        data = path.read_bytes()
    except OSError as err:
        raise LevelError(f"cannot read the file ({err.strerror or err})", path=path) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as err:
        raise LevelError(f"the file is not UTF-8 text (byte {err.start + 1})", path=path) from None
    return Level.from_text(text, path=path)


def path_exists(path: str | os.PathLike[str]) -> bool:
    """``Path.exists`` that answers False for names the OS refuses (too long, NUL bytes)."""
    try:
        return Path(path).exists()
    except (OSError, ValueError):
        return False


def save_level(level: Level, path: str | os.PathLike[str]) -> None:
    """Write a level file atomically (never half-written); refuses an invalid level."""
    try:
        level.validate()
    except LevelError as err:
        raise err.with_path(path) from None
    atomic_write_text(path, level.to_text())
