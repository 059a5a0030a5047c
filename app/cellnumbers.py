"""Numbers written on the board: Q-values in each cell's four quadrants and V in the centre (as
CS188's gridworld shows them), and the reward a cell pays (as REINFORCEjs writes "R -1.0").

Writing thousands of numbers every frame would cost more than the rest of the board, so the numbers
live on a cached layer: each cell is redrawn only when a number it shows changes *as displayed*
(values are rounded the way they are printed before comparing), at most ``interval`` seconds
apart, like the arrow layer, and at most :data:`MAX_CELLS_PER_CALL` cells a frame. Text surfaces
are cached per string and cell size; the strings form a small set.

Detail follows the cell size, so what is written stays readable: from :data:`FULL_MIN_CELL` px
four Q numbers and V in the centre; from :data:`QUAD_MIN_CELL` px (a 20x20 level in a 1280x800
window) the four Q numbers, the best one bright (it is V), as CS188 shows them; from
:data:`VALUE_MIN_CELL` px V alone; below that, nothing.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pygame

from app import colors as C

FULL_MIN_CELL = 80
QUAD_MIN_CELL = 28
VALUE_MIN_CELL = 18
REWARD_MIN_CELL = 20
MAX_CELLS_PER_CALL = 80  #: cells redrawn per frame at most; a bigger change takes a few frames

_BEST = (244, 246, 250)
_OTHER = (178, 184, 196)
_SHADOW = (16, 18, 22)
_REWARD_POS = (150, 226, 140)
_REWARD_NEG = (240, 130, 140)


def short_number(v: float) -> str:
    """A value in at most ~4 characters: 0, .57, -.05, 9.9, -13, 250, 1.2k."""
    if not math.isfinite(v):
        return ""
    a = abs(v)
    if a < 0.005:
        return "0"
    if a < 0.995:
        s = f"{v:.2f}".replace("0.", ".", 1)
        return s
    if a < 9.95:
        s = f"{v:.1f}"
        return s[:-2] if s.endswith(".0") else s
    if a < 999.5:
        return f"{v:.0f}"
    if a < 9950:
        return f"{v / 1000:.1f}k"
    return f"{v / 1000:.0f}k" if a < 999_500 else f"{v / 1e6:.0f}M"


def display_key(values: np.ndarray) -> np.ndarray:
    """``values`` rounded as :func:`short_number` prints them (nan stays nan), for comparing."""
    v = np.asarray(values, dtype=np.float64)
    a = np.abs(v)
    with np.errstate(invalid="ignore"):
        return np.select([a < 0.005, a < 0.995, a < 9.95, a < 999.5],
                         [0.0, np.round(v, 2), np.round(v, 1), np.round(v)],
                         np.round(v, -2))


def reward_label(v: float) -> str:
    """The reward written in a cell: ``+10``, ``-1``, ``+0.5``, ``-0.04`` (a fraction keeps its
    leading zero: a reward is read alone, not in a column of Q-values)."""
    if 0.005 <= abs(v) < 0.995:
        return f"{v:+.2g}"
    s = short_number(v)
    return s if s.startswith("-") else "+" + s


class TextCache:
    """Rendered strings with a 1 px dark shadow (readable on any heat colour), per font size."""

    def __init__(self) -> None:
        self._fonts: dict[int, pygame.font.Font] = {}
        self._cache: dict[tuple[str, int, tuple[int, int, int]], pygame.Surface] = {}

    def get(self, text: str, size: int, color: tuple[int, int, int]) -> pygame.Surface:
        key = (text, size, color)
        surf = self._cache.get(key)
        if surf is None:
            font = self._fonts.get(size)
            if font is None:
                if not pygame.font.get_init():
                    pygame.font.init()
                font = self._fonts[size] = pygame.font.Font(None, size)
            if len(self._cache) > 6000:
                self._cache.clear()
            front = font.render(text, True, color)
            back = font.render(text, True, _SHADOW)
            surf = pygame.Surface((front.get_width() + 1, front.get_height() + 1), pygame.SRCALPHA)
            surf.blit(back, (1, 1))
            surf.blit(front, (0, 0))
            self._cache[key] = surf
        return surf


def _quad_font(cell: int) -> int:
    """Q numbers: as big as the triangles allow; smaller beside V, which needs the middle."""
    if cell >= FULL_MIN_CELL:
        return max(13, min(24, round(cell * 0.16)))
    return max(12, min(16, round(cell * 0.3)))


def _value_font(cell: int) -> int:
    if cell >= FULL_MIN_CELL:
        return max(18, min(32, round(cell * 0.22)))
    return max(12, min(16, round(cell * 0.55)))


def _cross(cell: int) -> pygame.Surface:
    """Faint diagonals splitting a cell into CS188's four triangles."""
    surf = pygame.Surface((cell, cell), pygame.SRCALPHA)
    color = (*C.GRID_LINE, 255)
    pygame.draw.aaline(surf, color, (1, 1), (cell - 2, cell - 2))
    pygame.draw.aaline(surf, color, (cell - 2, 1), (1, cell - 2))
    return surf


class NumberLayer:
    """The cached layer of Q / V numbers over a whole board.

    Every ``interval`` seconds the values are compared, as displayed, with what the layer shows;
    the cells that differ are redrawn, ``budget`` cells per call, from that one snapshot, so a
    frame never pays for more than ``budget`` cells however fast the values change.
    """

    def __init__(self, clock: Callable[[], float] = time.perf_counter) -> None:
        self._clock = clock
        self._text = TextCache()
        self._layer: pygame.Surface | None = None
        self._shown: np.ndarray | None = None
        self._key: tuple | None = None
        self._time = -1e9
        self._cross: pygame.Surface | None = None
        self._glyphs: dict[tuple[float, int, bool], tuple[pygame.Surface, int, int]] = {}
        self._snapshot: np.ndarray | None = None
        self._pending: tuple[np.ndarray, np.ndarray] | None = None

    def surface(self, q_dir: np.ndarray, greedy_mask: np.ndarray, value: np.ndarray,
                quiet: np.ndarray, cell: int, interval: float,
                budget: int | None = MAX_CELLS_PER_CALL) -> pygame.Surface | None:
        """The layer (board-sized) for these values; None when cells are too small for numbers.

        At most ``budget`` cells are redrawn per call (None: all, for a film's final frames).
        """
        if cell < VALUE_MIN_CELL:
            return None
        nrows, ncols = value.shape
        key = (cell, nrows, ncols)
        now = self._clock()
        if self._layer is None or key != self._key or self._shown is None:
            self._layer = pygame.Surface((ncols * cell, nrows * cell), pygame.SRCALPHA)
            self._cross = _cross(cell) if cell >= QUAD_MIN_CELL else None
            self._glyphs.clear()
            self._shown = np.full((nrows, ncols, 6), np.inf)  # nothing shown: every cell differs
            self._key, self._pending, self._time = key, None, -1e9
        if self._pending is None:
            if now - self._time < interval:
                return self._layer
            self._time = now
            shown = np.concatenate([display_key(q_dir), display_key(value)[..., None],
                                    np.asarray(greedy_mask, dtype=np.float64)[..., None]], axis=2)
            shown[quiet] = np.nan
            same = (shown == self._shown) | (np.isnan(shown) & np.isnan(self._shown))
            rows, cols = np.nonzero(~same.all(axis=2))
            if rows.size == 0:
                return self._layer
            self._snapshot, self._pending = shown, (rows, cols)
        rows, cols = self._pending
        assert self._snapshot is not None
        if budget is not None and rows.size > budget:
            self._pending = (rows[budget:], cols[budget:])
            rows, cols = rows[:budget], cols[:budget]
        else:
            self._pending = None
        self._draw_cells(rows, cols, self._snapshot, cell)
        self._shown[rows, cols] = self._snapshot[rows, cols]
        return self._layer

    def _draw_cells(self, rows: np.ndarray, cols: np.ndarray, shown: np.ndarray,
                    cell: int) -> None:
        layer = self._layer
        assert layer is not None
        blits: list[tuple[pygame.Surface, tuple[int, int]]] = []
        quads = cell >= QUAD_MIN_CELL
        centre = cell >= FULL_MIN_CELL or not quads
        glyph = self._glyph
        for r, c, vals in zip(rows.tolist(), cols.tolist(), shown[rows, cols].tolist(),
                              strict=True):
            x, y = c * cell, r * cell
            layer.fill((0, 0, 0, 0), (x, y, cell, cell))
            if vals[4] != vals[4]:  # nan: no state here
                continue
            if quads:
                if self._cross is not None:
                    blits.append((self._cross, (x, y)))
                best = int(vals[5])
                for d in range(4):
                    v = vals[d]
                    if v == v:
                        surf, dx, dy = glyph(v, d, bool(best >> d & 1), cell)
                        blits.append((surf, (x + dx, y + dy)))
            if centre:
                surf, dx, dy = glyph(vals[4], 4, True, cell)
                blits.append((surf, (x + dx, y + dy)))
        layer.fblits(blits)

    def _glyph(self, v: float, slot: int, bright: bool, cell: int
               ) -> tuple[pygame.Surface, int, int]:
        """The text of ``v`` for a slot (screen direction 0-3, or 4 = the centre) and its offset
        in the cell; cached per cell size."""
        key = (v, slot, bright)
        found = self._glyphs.get(key)
        if found is not None:
            return found
        if len(self._glyphs) > 20_000:
            self._glyphs.clear()
        size = _value_font(cell) if slot == 4 else _quad_font(cell)
        t = self._text.get(short_number(v), size, _BEST if bright else _OTHER)
        w, h = t.get_size()
        pad = max(2, cell // 16)
        dx, dy = {0: (pad, (cell - h) // 2), 1: ((cell - w) // 2, cell - h - pad + 1),
                  2: (cell - w - pad + 1, (cell - h) // 2), 3: ((cell - w) // 2, pad),
                  4: ((cell - w) // 2, (cell - h) // 2 + 1)}[slot]
        found = self._glyphs[key] = (t, dx, dy)
        return found


def draw_rewards(layer: pygame.Surface, rewards: np.ndarray, walls: np.ndarray, cell: int,
                 text: TextCache) -> None:
    """Write each non-zero cell reward in its cell's bottom-left corner (on the tile layer)."""
    if cell < REWARD_MIN_CELL:
        return
    r_arr = np.where(walls, 0.0, np.nan_to_num(np.asarray(rewards, dtype=np.float64)))
    size = max(13, min(20, round(cell * 0.5)))
    blits = []
    rows, cols = np.nonzero(np.abs(r_arr) >= 0.005)
    for r, c, v in zip(rows.tolist(), cols.tolist(), r_arr[rows, cols].tolist(), strict=True):
        label, color = reward_label(v), _REWARD_POS if v > 0 else _REWARD_NEG
        t = text.get(label, size, color)
        if t.get_width() > cell - 2:  # "-0.04" in a small cell: smaller, not over the next one
            t = text.get(label, max(10, size * (cell - 2) // t.get_width()), color)
        blits.append((t, (c * cell + max(2, cell // 14), (r + 1) * cell - t.get_height())))
    layer.fblits(blits)


def tint_cell_rewards(layer: pygame.Surface, cells: list[tuple[tuple[int, int], float]],
                      cell: int) -> None:
    """A translucent wash on cells with their own reward: green for gain, red for cost."""
    for (r, c), v in cells:
        if v == 0:
            continue
        color = (*(C.Q_POS if v > 0 else C.Q_NEG), 46)
        layer.fill(color, (c * cell + 1, r * cell + 1, cell - 1, cell - 1),
                   special_flags=0)
