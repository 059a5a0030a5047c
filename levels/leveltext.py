"""The level text format: parsing, formatting, the problems a text can have.

A level file is UTF-8 text: optional ``key: value`` settings lines, then the grid, one character
per cell::

    name: mouse
    max_steps: 5
    Sc.
    .PC

Tiles: ``S`` start, ``.``/``F`` floor, ``#`` wall, ``H`` hole, ``G`` goal, ``C`` big cheese,
``c`` small cheese (eaten once per episode), ``P`` poison. Settings: ``name``, ``max_steps``,
``slippery`` and the rewards ``reward.cheese``, ``reward.big_cheese``, ``reward.poison``,
``reward.hole``, ``reward.goal``, ``reward.step``, and per-cell rewards ``reward at ROW,COL: value``
(row and column count from 0 at the top-left; the cell pays this instead of its tile's reward; walls
cannot have one). A settings line is any line before the grid that
contains ``:`` (no tile is ``:``). Blank lines and lines starting with ``;`` (comments) may appear
before the grid only; ``#`` is the wall tile, so it cannot start a comment. CRLF line ends, a
missing final newline and trailing spaces are accepted.

Problems carry the line and column of :func:`format_level`'s output (or of the parsed text), so
they match a saved file. ``Level.from_text`` / ``to_text`` / ``problems`` call in here; files are
:mod:`levels.levelfile`'s.
"""

from __future__ import annotations

import difflib
import math
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from levels.tiles import (
    _REWARD_KEYS,
    _TILE_LIST,
    CELL_REWARD_KEY,
    MAX_LEVEL_BYTES,
    MAX_REWARD,
    MAX_SIDE,
    MAX_SMALL_CHEESES,
    MAX_STEPS_LIMIT,
    MIN_CELLS,
    SETTING_KEYS,
    TILES,
    LevelError,
    Rewards,
)  # fmt: skip

if TYPE_CHECKING:  # the text format reads a Level's fields; levels.level builds on this module
    from levels.level import Level

_TRUE, _FALSE = ("true", "yes", "on", "1"), ("false", "no", "off", "0")
_CELL_KEY = re.compile(r"reward\s+at\b\s*(.*)")
_CELL_POS = re.compile(r"([0-9]{1,4})\s*,\s*([0-9]{1,4})")


# ---- formatting --------------------------------------------------------------------------------
def settings_lines(level: Level) -> list[str]:
    """Keys :func:`format_level` writes, in order: the basics always, rewards when not default,
    then one ``reward at ROW,COL`` per cell reward in reading order."""
    keys = ["name", "max_steps", "slippery"]
    default = Rewards()
    keys += [f"reward.{k}" for k in _REWARD_KEYS
             if getattr(level.rewards, k) != getattr(default, k)]
    keys += [_cell_key(pos) for pos, _ in level.cell_rewards]
    return keys


def _cell_key(pos: object) -> str:
    if isinstance(pos, tuple) and len(pos) == 2:
        return f"{CELL_REWARD_KEY} {pos[0]},{pos[1]}"
    return f"{CELL_REWARD_KEY} {pos}"


def format_level(level: Level) -> str:
    """The level file text; ``parse_level(format_level(level)) == level`` for valid levels."""
    out = []
    for key in settings_lines(level):
        if key == "name":
            out.append(f"name: {level.name}")
        elif key == "max_steps":
            out.append(f"max_steps: {level.max_steps}")
        elif key == "slippery":
            out.append(f"slippery: {'true' if level.slippery else 'false'}")
        elif key.startswith("reward."):
            out.append(f"{key}: {_format_number(getattr(level.rewards, key[7:]))}")
    out += [f"{_cell_key(pos)}: {_format_number(value)}" for pos, value in level.cell_rewards]
    return "\n".join(out + list(level.grid)) + "\n"


def _format_number(value: float) -> str:
    value = float(value)
    return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)



def level_problems(level: Level) -> list[LevelError]:
    """Everything that makes ``level`` unusable, in the text order of :func:`format_level`."""
    lines = {key: i + 1 for i, key in enumerate(settings_lines(level))}
    return (_settings_problems(level, lines) + _cell_reward_problems(level, lines)
            + _grid_problems(level.grid, len(lines) + 1))


# ---- problems ---------------------------------------------------------------------------------
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
                                f"got {_shown(ms)}", line=lines.get("max_steps")))
    if not isinstance(level.slippery, bool | np.bool_):
        found.append(LevelError(f"slippery must be true or false, got {_shown(level.slippery)}",
                                line=lines.get("slippery")))
    for key in _REWARD_KEYS:
        value = getattr(level.rewards, key)
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or abs(value) > MAX_REWARD:
            found.append(LevelError(f"reward.{key} must be a number from {-MAX_REWARD:,.0f} to "
                                    f"{MAX_REWARD:,.0f}, got {_shown(value)}",
                                    line=lines.get(f"reward.{key}")))
    return found


def _cell_reward_problems(level: Level, lines: dict[str, int]) -> list[LevelError]:
    found, seen = [], set()
    for pos, value in level.cell_rewards:
        key = _cell_key(pos)
        line = lines.get(key)
        valid_pos = (isinstance(pos, tuple) and len(pos) == 2
                     and all(isinstance(v, int) and not isinstance(v, bool) for v in pos))
        if not valid_pos:
            found.append(LevelError(f"a cell reward needs a (row, col) cell, got {_shown(pos)}",
                                    line=line))
            continue
        if pos in seen:
            found.append(LevelError(f"{key} is set twice", line=line, cell=pos))
        seen.add(pos)
        problem = _cell_problem(level.grid, pos)
        if problem:
            found.append(LevelError(problem, line=line, cell=pos))
        number = isinstance(value, int | float) and not isinstance(value, bool)
        if not number or not math.isfinite(value) or abs(value) > MAX_REWARD:
            found.append(LevelError(f"{key} must be a number from {-MAX_REWARD:,.0f} to "
                                    f"{MAX_REWARD:,.0f}, got {_shown(value)}", line=line,
                                    cell=pos))
    return found


def _cell_problem(grid: tuple[str, ...], pos: tuple[int, int]) -> str | None:
    """Why a cell cannot carry a reward (outside the grid, a wall), or None."""
    r, c = pos
    if not (0 <= r < len(grid) and 0 <= c < len(grid[r])):
        size = f"{len(grid)}x{len(grid[0]) if grid else 0}"
        return (f"cell ({r}, {c}) is outside the {size} grid (rows and columns count from 0 "
                "at the top-left)")
    if grid[r][c] == "#":
        return (f"cell ({r}, {c}) is a wall, which the agent never enters; only open cells can "
                "have a reward")
    return None


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
def parse_fields(text: str, path: str | os.PathLike[str] | None) -> dict[str, Any]:
    """The ``Level`` fields a level text describes (``Level(**fields)``); LevelError with the
    line and column of the first problem."""
    if not isinstance(text, str):
        raise LevelError(f"level text must be a string, got {type(text).__name__}")
    if len(text) > MAX_LEVEL_BYTES:
        raise LevelError(f"the level text has {len(text):,} characters; a level is at most "
                         f"{MAX_LEVEL_BYTES:,}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    settings, cells, grid_start = _read_settings(lines)
    values = {key: _setting_value(key, value, line, col)
              for key, (line, value, col) in settings.items()}
    if grid_start is None:
        if not any(line.strip() for line in lines):
            raise LevelError("the file is empty; a level needs a grid of tiles")
        raise LevelError("there is no grid after the settings; a level needs a grid of tiles")
    rows = _read_grid(lines, grid_start)
    if "name" not in values:
        values["name"] = Path(os.fspath(path)).stem if path is not None else "untitled"
    rewards = Rewards(**{k[7:]: values.pop(k) for k in list(values) if k.startswith("reward.")})
    cell_rewards = []
    for cell, (line_no, value, value_col, pos_col) in cells.items():
        problem = _cell_problem(tuple(rows), cell)
        if problem:
            raise LevelError(problem, line=line_no, column=pos_col, cell=cell)
        cell_rewards.append((cell, _setting_value(_cell_key(cell), value, line_no, value_col)))
    found = _grid_problems(tuple(rows), grid_start)
    if found:
        raise found[0]
    return dict(grid=tuple(rows), rewards=rewards, cell_rewards=tuple(cell_rewards), **values)


_Settings = dict[str, tuple[int, str, int]]  # key -> (line, value, value column)
_CellSettings = dict[tuple[int, int], tuple[int, str, int, int]]  # + the cell's column


def _read_settings(lines: list[str]) -> tuple[_Settings, _CellSettings, int | None]:
    """The ``key: value`` lines before the grid, and the line the grid starts on (None: none)."""
    settings: _Settings = {}
    cells: _CellSettings = {}
    for i, raw in enumerate(lines, start=1):
        line = raw.rstrip(" \t")
        if not line.strip() or line.startswith(";"):
            continue
        if ":" not in line:
            return settings, cells, i
        key_raw, _, value_raw = line.partition(":")
        key, value = key_raw.strip().lower(), value_raw.strip()
        key_col = len(key_raw) - len(key_raw.lstrip()) + 1
        value_col = len(key_raw) + 2 + (len(value_raw) - len(value_raw.lstrip()))
        cell_key = _CELL_KEY.fullmatch(key)
        if cell_key:
            cell, pos_col = _read_cell_key(cell_key, key_raw, i, key_col)
            if cell in cells:
                raise LevelError(f"the reward of cell {cell} is set twice (first on line "
                                 f"{cells[cell][0]})", line=i, column=key_col)
            if not value:
                raise LevelError(f"{_cell_key(cell)} has no value", line=i, column=value_col)
            cells[cell] = (i, value, value_col, pos_col)
            continue
        if key not in SETTING_KEYS:
            near = (difflib.get_close_matches(key, SETTING_KEYS, n=1, cutoff=0.6)
                    if len(key) <= 40 else [])
            if near:  # a typo: worth quoting
                raise LevelError(f"unknown setting {_quote(key_raw.strip())}; did you mean "
                                 f"'{near[0]}'?", line=i, column=key_col)
            # Anything else may be a file that is no level at all: say where, quote nothing.
            raise LevelError(f"this line is neither a setting nor a row of tiles; settings are "
                             f"{', '.join(SETTING_KEYS)}", line=i, column=key_col)
        if key in settings:
            raise LevelError(f"{key} is set twice (first on line {settings[key][0]})",
                             line=i, column=key_col)
        if not value:
            raise LevelError(f"{key} has no value", line=i, column=value_col)
        settings[key] = (i, value, value_col)
    return settings, cells, None


def _read_cell_key(match: re.Match[str], key_raw: str, line: int,
                   key_col: int) -> tuple[tuple[int, int], int]:
    """The cell of a ``reward at ROW,COL`` key and the column its position starts at."""
    pos_col = (key_col + key_raw.strip().lower().index(match.group(1)) if match.group(1)
               else key_col)
    pos = _CELL_POS.fullmatch(match.group(1))
    if pos is None:
        raise LevelError("write a cell reward as 'reward at ROW,COL: value' (row and column "
                         f"count from 0), got {_quote(key_raw.strip())}",
                         line=line, column=pos_col)
    return (int(pos.group(1)), int(pos.group(2))), pos_col


def _read_grid(lines: list[str], grid_start: int) -> list[str]:
    """The grid's rows (trailing blank lines dropped); LevelError for a blank line inside it, a
    setting after it, or a first row that is a mistyped setting."""
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
    if words and (words[0].lower() in SETTING_KEYS or words[0].lower().startswith("reward")):
        raise LevelError(f"{_quote(words[0])} looks like a setting; write settings as 'key: value'",
                         line=grid_start, column=1)
    return rows


def _setting_value(key: str, value: str, line: int, col: int) -> object:
    if key == "name":
        return value
    if key == "max_steps":
        if re.fullmatch(r"[0-9]{1,7}", value) and 1 <= int(value) <= MAX_STEPS_LIMIT:
            return int(value)
        raise LevelError(f"max_steps must be a whole number from 1 to {MAX_STEPS_LIMIT}, "
                         f"got {_quote(value)}", line=line, column=col)
    if key == "slippery":
        if value.lower() in _TRUE + _FALSE:
            return value.lower() in _TRUE
        raise LevelError(f"slippery must be true or false, got {_quote(value)}", line=line,
                         column=col)
    try:
        number = float(value) if re.fullmatch(r"[+-]?[0-9.eE+-]+", value) else math.nan
    except ValueError:
        number = math.nan
    if not math.isfinite(number):
        raise LevelError(f"{key} must be a number, got {_quote(value)}", line=line, column=col)
    if abs(number) > MAX_REWARD:
        raise LevelError(f"{key} must be a number from {-MAX_REWARD:,.0f} to "
                         f"{MAX_REWARD:,.0f}, got {_quote(value)}", line=line, column=col)
    return number


def _shown(value: object) -> str:
    """A setting's value as a message shows it: ``repr``, at most ~60 characters."""
    try:
        text = repr(value)
    except ValueError:  # an int of more than 4300 digits
        text = f"a whole number of about {int(value.bit_length() * 0.30103)} digits"
    return text if len(text) <= 60 else text[:57] + "..."


def _quote(text: str, limit: int = 60) -> str:
    """``text`` quoted like ``repr``, cut to about ``limit`` characters (a message quotes input,
    it does not repeat a page of it)."""
    return repr(text if len(text) <= limit else text[:limit - 3] + "...")
