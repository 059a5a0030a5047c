"""The board: a grid world and what the agent knows about it, drawn fast enough to watch learning.

Drawing thousands of cells every frame is the app's hot path (target: p95 frame <= 16.7 ms on
20x20 with every overlay). So the board is a stack of layers, each rebuilt only when its input
changes: the tile layer (tiles, rewards written in their cells) when the tiles or the cell size
change; the heat map via a numpy colour table blitted into an ncols x nrows surface and scaled up,
on a scale fitted to the values shown (:mod:`app.heatscale`) and explained by a legend under the
grid; the arrow layer from pre-rendered sprites with one ``fblits`` call, redrawn only for cells
whose (bucketed) arrows changed and at most ~10 times a second, so training at full speed does not
redraw it every frame; the numbers layer (:mod:`app.cellnumbers`) likewise.

What is drawn by default reads at a glance: the heat map and one policy arrow per cell, weighted
by how much better the best action is than the next; the four Q arrows, the numbers, visits and
the optimal policy (only where the greedy action differs from it) are options.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pygame

from app import colors as C
from app.cellnumbers import (
    MAX_CELLS_PER_CALL,
    QUAD_MIN_CELL,
    NumberLayer,
    TextCache,
    draw_rewards,
    tint_cell_rewards,
)
from app.heatlegend import HeatLegend
from app.heatscale import HEAT_COLORS, HeatScale, fit_heat_scale
from app.qview import CellValues
from app.scales import format_count
from app.sprites import ArrowSet, arrow_signature, mouse_sprite, policy_weights, tile_sprite

MIN_CELL = 4  #: smallest cell size in pixels (large levels shrink to this, then overflow)
Q_ARROW_MIN_CELL = 14  #: below this, the four Q arrows per cell are hidden (unreadable)
ARROW_MIN_CELL = 8  #: below this, policy / optimal arrows are hidden too
VISIT_NUMBERS_MIN_CELL = 32  #: from this size visits are numbers, below it a shading
LEGEND_STRIP = 18  #: px kept free under the grid for the heat map's legend


@dataclass
class Overlays:
    """Which overlays to draw; the controls toggle these. The defaults are the clear start: the
    greedy policy over the value heat map."""

    arrows: bool = False  # four Q arrows per cell
    heatmap: bool = True  # state value V as a colour, with a legend
    policy: bool = True  # one greedy arrow per cell, weighted by how much better it is
    visits: bool = False  # visit counts
    optimal: bool = False  # value iteration's action, where the greedy one differs from it
    trail: bool = True  # last episode's path
    numbers: bool = False  # Q in each cell's four quadrants and V in the centre
    traces: bool = False  # eligibility traces now
    dyna: bool = False  # Dyna's model and its last planning updates


@dataclass
class BoardView:
    """Everything one frame of the board shows; the board keeps no game state of its own.

    Attributes:
        tiles: rows of level letters (``Level.grid`` or ``GridInfo.tiles``).
        values: per-cell values from :func:`app.qview.cell_values`, or None (nothing learnt).
        agent_pos: (row, col), fractional during an animated move; None hides the agent.
        eaten: small-cheese cells already eaten this episode (not drawn).
        trail: cells of the last finished episode, drawn as a polyline.
        optimal_mask: [nrows, ncols] uint8 bit mask of optimal screen directions (the
            ``greedy_mask`` of ``cell_values(Q*)``), or None.
        hover: the cell under the mouse, or None to use the board's own hover tracking.
        problem_cells: cells to flag as invalid (e.g. a second start).
        overlays: which overlays to draw; None uses ``Board.overlays``.
        traces, model_known, planned: [nrows, ncols] eligibility trace, Dyna-model knowledge
            (0/1) and last planning updates per cell, for the Traces and Dyna overlays.
        quiet_tiles: tiles whose cells show no arrows and no heat: terminal tiles, where the
            agent never acts (a Q-table keeps zeros there; Q* from value iteration may not, and
            CliffWalking's cliff cells are never occupied). Taxi's depots are drawn as ``G`` but
            are not terminal: pass ``""`` for Taxi.
        rewards: [nrows, ncols] reward for entering each cell (0 or nan: nothing written), or
            None; written in the cells.
        reward_cells: ``((row, col), reward)`` of cells with a reward of their own (a level's
            ``cell_rewards``), washed green or red.
    """

    tiles: Sequence[str]
    values: CellValues | None = None
    agent_pos: tuple[float, float] | None = None
    eaten: Collection[tuple[int, int]] = frozenset()
    trail: Sequence[tuple[int, int]] = ()
    optimal_mask: np.ndarray | None = None
    hover: tuple[int, int] | None = None
    problem_cells: Collection[tuple[int, int]] = ()
    overlays: Overlays | None = None
    quiet_tiles: str = "HGCP"
    rewards: np.ndarray | None = None
    reward_cells: Sequence[tuple[tuple[int, int], float]] = ()
    traces: np.ndarray | None = None
    model_known: np.ndarray | None = None
    planned: np.ndarray | None = None


def _visit_font_size(cell: int) -> int:
    return min(18, max(11, cell // 4))


class Board:
    """Draws a grid world and its overlays into a rectangle of the window.

    Args:
        rect: where to draw; cells are square, integer-sized (>= MIN_CELL px) and centred.
        nrows, ncols: grid shape until the first ``draw`` tells the board (for ``cell_at``).
        clock: seconds counter; tests inject one to control redraw throttling.
    """

    def __init__(self, rect: pygame.Rect | tuple, nrows: int = 1, ncols: int = 1,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.rect = pygame.Rect(rect)
        self.overlays = Overlays()
        self.hover: tuple[int, int] | None = None
        self.arrow_interval = 0.1  #: min seconds between arrow/trail layer rebuilds
        self._clock = clock
        self._t = 0.0
        self.nrows, self.ncols = nrows, ncols
        self._layout()
        self._tiles_key: Any = None
        self._tile_layer: pygame.Surface | None = None
        self._arrows: ArrowSet | None = None
        self._mouse: pygame.Surface | None = None
        self._sprites: dict[str, pygame.Surface | None] = {}
        self._arrow_layer: pygame.Surface | None = None
        self._arrow_sig: np.ndarray | None = None
        self._arrow_key: Any = None
        self._arrow_time = -1e9
        self._heat_idx: np.ndarray | None = None
        self._heat_surf: pygame.Surface | None = None
        self._trail_layer: pygame.Surface | None = None
        self._trail_key: Any = None
        self._trail_time = -1e9
        self._font: pygame.font.Font | None = None
        self._font_size = 0
        self._walls = np.zeros((nrows, ncols), dtype=bool)
        self._letters = np.full((nrows, ncols), ".", dtype="<U1")
        self._quiet_key: Any = None
        self._quiet = self._walls
        self._text_cache: dict[str, pygame.Surface] = {}
        self._labels = TextCache()
        self._numbers = NumberLayer(clock)
        self._legend = HeatLegend()
        self.heat_scale: HeatScale | None = None  #: the scale of the last heat map drawn

    # --- geometry --------------------------------------------------------------------------------
    def _layout(self) -> None:
        """Square cells as big as fit above the legend strip, the grid centred in what is left."""
        usable_h = max(self.nrows, self.rect.h - LEGEND_STRIP)
        self.cell = max(MIN_CELL, min(self.rect.w // self.ncols, usable_h // self.nrows))
        w, h = self.cell * self.ncols, self.cell * self.nrows
        self.origin = (self.rect.x + (self.rect.w - w) // 2, self.rect.y + (usable_h - h) // 2)
        self.board_rect = pygame.Rect(self.origin, (w, h))

    def set_rect(self, rect: pygame.Rect | tuple) -> None:
        """Move/resize the board (window resized); caches rebuild on the next draw if needed."""
        self.rect = pygame.Rect(rect)
        self._layout()

    def set_grid(self, nrows: int, ncols: int) -> None:
        """Tell the board the grid shape (``draw`` does this too)."""
        if (nrows, ncols) != (self.nrows, self.ncols):
            self.nrows, self.ncols = max(1, nrows), max(1, ncols)
            self._layout()

    def cell_at(self, pos: tuple[int, int]) -> tuple[int, int] | None:
        """The (row, col) under a pixel position, or None outside the grid."""
        x, y = pos[0] - self.origin[0], pos[1] - self.origin[1]
        if x < 0 or y < 0:
            return None
        row, col = y // self.cell, x // self.cell
        if row >= self.nrows or col >= self.ncols:
            return None
        return int(row), int(col)

    def cell_rect(self, row: int, col: int) -> pygame.Rect:
        """Pixel rectangle of a cell."""
        return pygame.Rect(self.origin[0] + col * self.cell, self.origin[1] + row * self.cell,
                           self.cell, self.cell)

    def cell_center(self, row: float, col: float) -> tuple[int, int]:
        """Pixel centre of a (possibly fractional) cell position."""
        return (round(self.origin[0] + (col + 0.5) * self.cell),
                round(self.origin[1] + (row + 0.5) * self.cell))

    def clear_hover(self) -> None:
        """No cell is hovered (the pointer is over a widget or a dialog)."""
        self.hover = None

    # --- component protocol ----------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        """Track the hovered cell; never consumes events (the editor needs them too)."""
        if event.type == pygame.MOUSEMOTION:
            self.hover = self.cell_at(event.pos)
        elif event.type == pygame.WINDOWLEAVE:
            self.hover = None
        return False

    def update(self, dt: float) -> None:
        """Advance the board's own clock (pulsing highlight of problem cells)."""
        self._t += dt

    # --- caches ----------------------------------------------------------------------------------
    def _sprite(self, ch: str) -> pygame.Surface | None:
        if ch not in self._sprites:
            self._sprites[ch] = tile_sprite(ch, self.cell)
        return self._sprites[ch]

    def _ensure_tiles(self, tiles: tuple[str, ...], view: BoardView) -> None:
        rewards = view.rewards
        reward_key = None if rewards is None or np.shape(rewards) != (self.nrows, self.ncols) \
            else np.asarray(rewards, dtype=np.float64).tobytes()
        key = (tiles, self.cell, reward_key, tuple(view.reward_cells))
        if key == self._tiles_key:
            return
        if self._tiles_key is None or self._tiles_key[1] != self.cell:
            self._sprites.clear()
            self._arrows = None
            self._mouse = None
        self._tiles_key = key
        c, w, h = self.cell, self.board_rect.w, self.board_rect.h
        layer = pygame.Surface((w, h), pygame.SRCALPHA)
        layer.fill((0, 0, 0, 0))
        if c >= 8:
            for r in range(self.nrows + 1):
                layer.fill((*C.GRID_LINE, 255), (0, min(r * c, h - 1), w, 1))
            for col in range(self.ncols + 1):
                layer.fill((*C.GRID_LINE, 255), (min(col * c, w - 1), 0, 1, h))
        tint_cell_rewards(layer, [item for item in view.reward_cells
                                  if 0 <= item[0][0] < self.nrows and 0 <= item[0][1] < self.ncols
                                  and tiles[item[0][0]][item[0][1]] != "#"], c)
        blits = []
        edge = max(1, c // 12)
        for r, line in enumerate(tiles):
            for col, ch in enumerate(line):
                if ch == "#":
                    x, y = col * c, r * c
                    layer.fill(C.WALL, (x, y, c, c))
                    if c >= 8:  # light top / dark bottom edge where the wall meets open floor
                        if r == 0 or tiles[r - 1][col] != "#":
                            layer.fill(C.WALL_LIGHT, (x, y, c, edge))
                        if r == self.nrows - 1 or tiles[r + 1][col] != "#":
                            layer.fill(C.WALL_DARK, (x, y + c - edge, c, edge))
                elif ch not in ".c":  # small cheese is drawn per frame (it can be eaten)
                    spr = self._sprite(ch)
                    if spr is not None:
                        blits.append((spr, (col * c, r * c)))
        layer.fblits(blits)
        self._letters = np.array([list(row.ljust(self.ncols)) for row in tiles],
                                 dtype="<U1").reshape(self.nrows, self.ncols)
        self._walls = self._letters == "#"
        if reward_key is not None:
            draw_rewards(layer, np.asarray(rewards), self._walls, c, self._labels)
        self._tile_layer = layer

    def _heat(self, values: np.ndarray, walls: np.ndarray) -> pygame.Surface:
        v = np.where(walls, np.nan, values)
        self.heat_scale = scale = fit_heat_scale(v)
        if scale is not None:
            idx = scale.indices(v)
        else:
            idx = np.full(v.shape, 128, dtype=np.uint8)
        size = self.board_rect.size
        if (self._heat_surf is None or self._heat_surf.get_size() != size
                or self._heat_idx is None or not np.array_equal(idx, self._heat_idx)):
            small = pygame.Surface((self.ncols, self.nrows))
            pygame.surfarray.blit_array(small, HEAT_COLORS[idx.T])
            self._heat_surf = pygame.transform.scale(small, size)
            self._heat_idx = idx
        return self._heat_surf

    def _arrow_signature(self, view: BoardView, ov: Overlays, walls: np.ndarray) -> np.ndarray:
        vals = view.values
        show_q = ov.arrows and self.cell >= Q_ARROW_MIN_CELL
        small = self.cell < ARROW_MIN_CELL
        policy = vals is not None and ov.policy and not small
        weights = None
        if policy and vals is not None and vals.gap is not None:
            weights = policy_weights(vals.gap, vals.greedy_mask)
        return arrow_signature(
            (self.nrows, self.ncols),
            vals.q_dir if vals is not None and show_q else None,
            vals.greedy_mask if policy and vals is not None else None,
            self._wrong_cells(view, vals) if ov.optimal and not small else None,
            walls,
            weights,
        )

    def _wrong_cells(self, view: BoardView, vals: CellValues | None) -> np.ndarray | None:
        """The optimal mask, kept only where the learnt greedy action is not an optimal one."""
        opt = view.optimal_mask
        if vals is None or opt is None or np.shape(opt) != (self.nrows, self.ncols):
            return None
        opt = np.asarray(opt, dtype=np.uint8)
        greedy = vals.greedy_mask
        wrong = (greedy != 0) & ((greedy & ~opt) != 0) & (opt != 0)
        return np.where(wrong, opt, 0).astype(np.uint8)

    def _ensure_arrows(self, view: BoardView, ov: Overlays, walls: np.ndarray) -> None:
        if self._arrows is None:
            self._arrows = ArrowSet(self.cell)
        key = (self.board_rect.size, self.cell, self.nrows, self.ncols, ov.arrows, ov.policy,
               ov.optimal, view.quiet_tiles)
        now = self._clock()
        layer = self._arrow_layer
        fresh = layer is None or key != self._arrow_key or self._arrow_sig is None
        if not fresh and now - self._arrow_time < self.arrow_interval:
            return  # throttled: not even the signature is worth computing this frame
        sig = self._arrow_signature(view, ov, walls)
        if fresh or layer is None or self._arrow_sig is None:
            layer = pygame.Surface(self.board_rect.size, pygame.SRCALPHA)
            changed = np.ones(sig.shape, dtype=bool)
        else:
            changed = sig != self._arrow_sig
            if not changed.any():
                self._arrow_time = now  # checked: look again after the next interval
                return
        c, blits = self.cell, []
        rows, cols = np.nonzero(changed)
        if rows.size > 0.3 * sig.size:
            layer.fill((0, 0, 0, 0))
            rows, cols = np.nonzero(sig)
        else:
            for r, col in zip(rows.tolist(), cols.tolist(), strict=True):
                layer.fill((0, 0, 0, 0), (col * c, r * c, c, c))
        for r, col, s in zip(rows.tolist(), cols.tolist(), sig[rows, cols].tolist(), strict=True):
            if s:
                self._arrows.cell_blits(s, col * c, r * c, blits)
        layer.fblits(blits)
        self._arrow_layer, self._arrow_sig, self._arrow_key = layer, sig, key
        self._arrow_time = now

    def _ensure_trail(self, trail: Sequence[tuple[int, int]]) -> None:
        key = (tuple(trail), self.cell, self.board_rect.size)
        if key == self._trail_key:
            return
        now = self._clock()
        same_geometry = self._trail_key is not None and self._trail_key[1:] == key[1:]
        if same_geometry and now - self._trail_time < self.arrow_interval:
            return
        layer = self._trail_layer
        if layer is None or layer.get_size() != self.board_rect.size:
            layer = pygame.Surface(self.board_rect.size, pygame.SRCALPHA)
        layer.fill((0, 0, 0, 0))
        c = self.cell
        pts = [((col + 0.5) * c, (r + 0.5) * c) for r, col in trail]
        if len(pts) >= 2:
            width = max(2, min(c // 9, 7))
            pygame.draw.lines(layer, (*C.TRAIL, 150), False, pts, width)
            for pt in pts:  # round joints so corners do not look notched
                pygame.draw.circle(layer, (*C.TRAIL, 150), pt, width / 2)
        if pts:
            pygame.draw.circle(layer, (*C.TRAIL, 200), pts[-1], max(2, min(c // 7, 9)))
        self._trail_layer, self._trail_key, self._trail_time = layer, key, now

    def _text(self, s: str) -> pygame.Surface:
        surf = self._text_cache.get(s)
        if surf is None:
            if self._font is None:
                if not pygame.font.get_init():
                    pygame.font.init()
                self._font_size = _visit_font_size(self.cell)
                self._font = pygame.font.Font(None, self._font_size)
            if len(self._text_cache) > 4000:
                self._text_cache.clear()
            surf = self._font.render(s, True, C.VISITS_TEXT)
            self._text_cache[s] = surf
        return surf

    def _shade(self, surface: pygame.Surface, alpha: np.ndarray, colour: tuple) -> None:
        """Tint every cell with ``colour`` at its own opacity (``alpha`` [nrows, ncols] 0-255)."""
        small = pygame.Surface((self.ncols, self.nrows), pygame.SRCALPHA)
        small.fill((*colour[:3], 0))
        pa = pygame.surfarray.pixels_alpha(small)
        pa[:, :] = alpha.T
        del pa
        surface.blit(pygame.transform.scale(small, self.board_rect.size), self.origin)

    def _draw_learning_marks(self, surface: pygame.Surface, view: BoardView, ov: Overlays,
                             walls: np.ndarray) -> None:
        """Dyna's model (faint where known, bright where planning just updated) and the
        eligibility traces (amber, as strong as the trace)."""
        shape = (self.nrows, self.ncols)
        if ov.dyna and view.model_known is not None and np.shape(view.model_known) == shape:
            known = np.nan_to_num(view.model_known) > 0
            alpha = np.where(known & ~walls, 45, 0)
            planned = view.planned
            if planned is not None and np.shape(planned) == shape:
                p = np.nan_to_num(planned)
                top = float(p.max())
                if top > 0:
                    alpha = np.where(p > 0, 110 + 100 * p / top, alpha)
            self._shade(surface, alpha.astype(np.uint8), C.DYNA)
        if ov.traces and view.traces is not None and np.shape(view.traces) == shape:
            t = np.clip(np.nan_to_num(view.traces), 0.0, 1.0)
            alpha = np.where(t > 0, 40 + 180 * t, 0)
            self._shade(surface, np.where(walls, 0, alpha).astype(np.uint8), C.TRACE)

    def _draw_visits(self, surface: pygame.Surface, visits: np.ndarray, walls: np.ndarray) -> None:
        v = np.where(walls, 0.0, np.nan_to_num(visits))
        top = float(v.max()) if v.size else 0.0
        if top <= 0:
            return
        ox, oy, c = self.origin[0], self.origin[1], self.cell
        if c >= VISIT_NUMBERS_MIN_CELL:
            if self._font_size != _visit_font_size(c):
                self._font, self._text_cache = None, {}
            blits = []
            rows, cols = np.nonzero(v)
            for r, col, n in zip(rows.tolist(), cols.tolist(), v[rows, cols].tolist(), strict=True):
                t = self._text(format_count(n))
                x = ox + col * c + c - t.get_width() - 2
                blits.append((t, (x, oy + r * c + c - t.get_height())))
            surface.fblits(blits)
            return
        alpha = (np.log1p(v) / np.log1p(top) * 70).astype(np.uint8)
        small = pygame.Surface((self.ncols, self.nrows), pygame.SRCALPHA)
        small.fill((*C.VISITS_SHADE, 0))
        pa = pygame.surfarray.pixels_alpha(small)
        pa[:, :] = alpha.T
        del pa
        surface.blit(pygame.transform.scale(small, self.board_rect.size), self.origin)

    # --- drawing ---------------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, view: BoardView) -> None:
        """Draw one frame of ``view`` into ``self.rect`` of ``surface``."""
        tiles = tuple(view.tiles)
        self.set_grid(len(tiles), max((len(t) for t in tiles), default=1))
        ov = view.overlays or self.overlays
        c, ox, oy = self.cell, self.origin[0], self.origin[1]
        clip = surface.get_clip()
        surface.set_clip(self.rect.clip(clip) if clip else self.rect)
        surface.fill(C.BACKGROUND, self.rect)
        self._ensure_tiles(tiles, view)
        if self._quiet_key != (self._tiles_key, view.quiet_tiles):
            self._quiet_key = (self._tiles_key, view.quiet_tiles)
            self._quiet = self._walls | np.isin(self._letters, list(view.quiet_tiles))
        vals = view.values
        if vals is not None and vals.value.shape != (self.nrows, self.ncols):
            vals = None  # stale values (e.g. mid-resize): draw none rather than wrong ones
            view = replace(view, values=None)
        self.heat_scale = None
        if ov.heatmap and vals is not None:
            surface.blit(self._heat(vals.value, self._quiet), self.origin)
        else:
            surface.fill(C.FLOOR, self.board_rect)
        assert self._tile_layer is not None
        surface.blit(self._tile_layer, self.origin)
        cheese = self._sprite("c")
        if cheese is not None:
            surface.fblits([(cheese, (ox + col * c, oy + r * c))
                            for r, line in enumerate(tiles) for col, ch in enumerate(line)
                            if ch == "c" and (r, col) not in view.eaten])
        self._draw_overlays(surface, view, ov)
        if view.agent_pos is not None:
            if self._mouse is None:  # big cells: a smaller mouse leaves its cell's arrows visible
                self._mouse = mouse_sprite(max(4, round(c * (0.92 if c < 40 else 0.7))))
            cx, cy = self.cell_center(*view.agent_pos)
            m = self._mouse
            surface.blit(m, (cx - m.get_width() // 2, cy - m.get_height() // 2))
        self._draw_marks(surface, view)
        pygame.draw.rect(surface, C.PANEL_BORDER, self.board_rect.inflate(2, 2), 1)
        if self.heat_scale is not None:
            self._legend.draw(surface, self.heat_scale, self.board_rect)
        surface.set_clip(clip)

    def _draw_overlays(self, surface: pygame.Surface, view: BoardView, ov: Overlays) -> None:
        """Visits, trail, arrows and numbers, in that order (numbers stay readable on top)."""
        vals, quiet = view.values, self._quiet
        if ov.visits and vals is not None and vals.visits is not None:
            self._draw_visits(surface, vals.visits, self._walls)
        if ov.traces or ov.dyna:
            self._draw_learning_marks(surface, view, ov, self._walls)
        if ov.trail and view.trail:
            self._ensure_trail(view.trail)
            assert self._trail_layer is not None
            surface.blit(self._trail_layer, self.origin)
        numbers = None
        if ov.numbers and vals is not None:
            numbers = self._numbers.surface(
                vals.q_dir, vals.greedy_mask, vals.value, quiet, self.cell, self.arrow_interval,
                budget=MAX_CELLS_PER_CALL if self.arrow_interval > 0 else None)
        if numbers is not None and self.cell >= QUAD_MIN_CELL:
            ov = replace(ov, arrows=False, policy=False)  # the quadrant numbers say it all
        if (ov.arrows or ov.policy or ov.optimal) and self.cell >= ARROW_MIN_CELL:
            self._ensure_arrows(view, ov, quiet)
            assert self._arrow_layer is not None
            surface.blit(self._arrow_layer, self.origin)
        if numbers is not None:
            surface.blit(numbers, self.origin)

    def _draw_marks(self, surface: pygame.Surface, view: BoardView) -> None:
        """The hovered cell and the pulsing outline of invalid cells."""
        c = self.cell
        hover = view.hover if view.hover is not None else self.hover
        if hover is not None and 0 <= hover[0] < self.nrows and 0 <= hover[1] < self.ncols:
            pygame.draw.rect(surface, C.HOVER, self.cell_rect(*hover), max(1, c // 16) + 1)
        if view.problem_cells:
            pulse = 0.5 + 0.5 * np.sin(self._t * 5.0)
            col = C.mix(C.PROBLEM, C.HOVER, 0.35 * float(pulse))
            for r, cc in view.problem_cells:
                pygame.draw.rect(surface, col, self.cell_rect(r, cc).inflate(-1, -1),
                                 max(2, c // 10))


def blank_tiles(nrows: int, ncols: int) -> tuple[str, ...]:
    """All-floor tiles, for envs without a map (e.g. Taxi's 5x5 layer)."""
    return tuple("." * ncols for _ in range(nrows))


__all__ = ["Board", "BoardView", "Overlays", "blank_tiles", "format_count"]
