"""A board that reads at a glance: heat scale fitted to the values shown, its legend, numbers in
the cells (Q quadrants and V), rewards written in their cells. Pixels, headless."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from app import colors as C
from app.board import LEGEND_STRIP, Board, BoardView, Overlays, blank_tiles
from app.cellnumbers import (
    FULL_MIN_CELL,
    QUAD_MIN_CELL,
    VALUE_MIN_CELL,
    display_key,
    reward_label,
    short_number,
)
from app.heatscale import HEAT_COLORS, fit_heat_scale, legend_ticks
from app.qview import cell_values
from levels.gridinfo import GridInfo
from levels.level import Level

DIRS = ((0, -1), (1, 0), (0, 1), (-1, 0))


@pytest.fixture(autouse=True)
def _pygame():
    pygame.init()


def info_for(tiles) -> GridInfo:
    n = len(tiles) * len(tiles[0])
    return GridInfo(len(tiles), len(tiles[0]), DIRS, cell=np.arange(n),
                    layer=np.zeros(n, dtype=int), tiles=tuple(tiles))


def draw(view: BoardView, grid_px: tuple[int, int]) -> tuple[pygame.Surface, Board]:
    size = (grid_px[0], grid_px[1] + LEGEND_STRIP)
    surface = pygame.Surface(size)
    board = Board(pygame.Rect((0, 0), size), clock=lambda: 0.0)
    board.draw(surface, view)
    return surface, board


def colour_distance(a, b) -> float:
    return float(np.linalg.norm(np.subtract(tuple(a)[:3], tuple(b)[:3])))


def bright_pixels(surface: pygame.Surface, rect: pygame.Rect, level: int = 200) -> int:
    px = pygame.surfarray.array3d(surface.subsurface(rect))
    return int((px.min(axis=2) >= level).sum())


# ---- the scale ----------------------------------------------------------------------------------
def test_scale_ignores_one_outlier_and_spreads_a_one_signed_range():
    cliff = np.concatenate([[-100.0], -np.arange(1.0, 14.0), -np.arange(1.0, 14.0)])
    scale = fit_heat_scale(cliff)
    assert (scale.lo, scale.hi, scale.data_lo) == (-13.0, -1.0, -100.0) and scale.clipped_low
    idx = scale.indices(np.array([-100.0, -13.0, -7.0, -1.0]))
    assert idx[0] == idx[1] < idx[2] < idx[3] < 128  # saturated outlier, then a real ramp
    assert idx[3] - idx[1] > 90
    converged = 0.99 ** np.arange(60)  # a converged maze: every value between 0.55 and 1
    s = fit_heat_scale(converged)
    far, near = s.indices(np.array([converged.min(), 1.0]))
    assert near == 255 and near - far > 100
    cluster = np.concatenate([np.full(10, 9.9), np.linspace(0.1, 1.0, 40)])  # not an outlier
    assert fit_heat_scale(cluster).hi == 9.9
    lone = np.zeros(50)
    lone[7] = 0.1  # the first value learnt is all there is to see: kept
    assert fit_heat_scale(lone).hi == 0.1 and fit_heat_scale(lone).indices(lone)[7] == 255
    assert fit_heat_scale(np.array([np.nan, np.inf])) is None


def test_signed_scale_keeps_zero_neutral_and_ticks_it():
    s = fit_heat_scale(np.array([-2.0, -1.0, 0.0, 1.0, 4.0]))
    assert s.signed and s.indices(np.array([0.0]))[0] == 128
    assert tuple(HEAT_COLORS[128]) == C.FLOOR
    assert legend_ticks(s) == [(-2.0, 0.0), (4.0, 1.0), (0.0, 2.0 / 6.0)]


def test_heat_map_pixels_tell_near_and_far_cells_apart():
    tiles = blank_tiles(1, 8)
    q = np.repeat((-np.arange(1.0, 9.0))[:, None], 4, axis=1)  # V from -1 to -8
    q[0] = -100.0  # one cell beside a cliff
    view = BoardView(tiles, cell_values(q, info_for(tiles)),
                     overlays=Overlays(heatmap=True, policy=False, trail=False))
    surface, board = draw(view, (800, 100))
    colour = [surface.get_at(board.cell_rect(0, c).center) for c in range(8)]
    assert colour_distance(colour[1], colour[7]) > 60  # -2 and -8 are told apart
    assert colour_distance(colour[6], colour[7]) > 5
    assert colour_distance(colour[0], colour[7]) < 3  # the outlier saturates


def test_legend_is_drawn_under_the_grid_only_with_the_heat_map():
    tiles = blank_tiles(3, 3)
    q = np.arange(36.0).reshape(9, 4)
    vals = cell_values(q, info_for(tiles))
    strip = None
    for heat in (True, False):
        view = BoardView(tiles, vals, overlays=Overlays(heatmap=heat, policy=False, trail=False))
        surface, board = draw(view, (300, 300))
        strip = pygame.Rect(0, board.board_rect.bottom + 2, 300, LEGEND_STRIP - 2)
        lit = bright_pixels(surface, strip, level=150)
        blue = pygame.surfarray.array3d(surface.subsurface(strip))[..., 2].max()
        if heat:
            assert lit > 20 and blue >= C.HEAT_POS[2] - 5  # numbers and the colour bar
            assert board.heat_scale is not None
        else:
            assert lit == 0 and board.heat_scale is None


# ---- numbers ------------------------------------------------------------------------------------
def test_short_numbers_and_display_keys_agree():
    assert [short_number(v) for v in (0.0, 0.004, 0.57, -0.05, 0.999, 9.94, -13.2, 250.0,
                                      1234.0, -100.0)] == \
        ["0", "0", ".57", "-.05", "1", "9.9", "-13", "250", "1.2k", "-100"]
    assert reward_label(10.0) == "+10" and reward_label(-1.0) == "-1"
    assert [reward_label(v) for v in (0.5, -0.04, 0.123, -100.0)] == ["+0.5", "-0.04", "+0.12",
                                                                       "-100"]
    rng = np.random.default_rng(0)
    values = rng.normal(0, 1, 3000) * 10.0 ** rng.integers(-3, 4, 3000)
    keys = display_key(values)
    for v, k in zip(values.tolist(), keys.tolist(), strict=True):
        assert short_number(k) == short_number(v)


def _numbers_board(cell: int):
    tiles = ("...",)
    q = np.zeros((3, 4))
    q[1] = [0.25, -0.5, 0.75, 0.125]  # middle cell: right is best
    view = BoardView(tiles, cell_values(q, info_for(tiles)),
                     overlays=Overlays(numbers=True, heatmap=False, policy=True, trail=False))
    return draw(view, (3 * cell, cell))


def _regions(rect: pygame.Rect) -> dict[str, pygame.Rect]:
    w, h = rect.w, rect.h
    return {"left": pygame.Rect(rect.x, rect.y + h * 3 // 8, w // 4, h // 4),
            "right": pygame.Rect(rect.right - w // 4, rect.y + h * 3 // 8, w // 4, h // 4),
            "top": pygame.Rect(rect.x + w * 3 // 8, rect.y, w // 4, h // 4),
            "bottom": pygame.Rect(rect.x + w * 3 // 8, rect.bottom - h // 4, w // 4, h // 4),
            "centre": pygame.Rect(rect.x + w * 3 // 8, rect.y + h * 3 // 8, w // 4, h // 4)}


def test_numbers_fill_the_four_quadrants_and_v_when_the_cell_is_big():
    surface, board = _numbers_board(FULL_MIN_CELL + 20)
    regions = _regions(board.cell_rect(0, 1))
    for name in ("left", "right", "top", "bottom", "centre"):
        assert bright_pixels(surface, regions[name], level=160) > 5, name
    white = bright_pixels(surface, regions["right"], level=235)  # the best Q is the bright one
    assert white > bright_pixels(surface, regions["left"], level=235)


def test_numbers_drop_detail_as_cells_shrink():
    surface, board = _numbers_board(QUAD_MIN_CELL + 4)  # a 20x20 level: four Q, no V text
    regions = _regions(board.cell_rect(0, 1))
    assert all(bright_pixels(surface, regions[k], 160) > 2 for k in ("left", "right", "top"))
    surface, board = _numbers_board(VALUE_MIN_CELL + 2)  # V alone
    rect = board.cell_rect(0, 1)
    middle = rect.inflate(-rect.w // 4, -rect.h // 4)
    assert bright_pixels(surface, middle, 200) > 5
    assert bright_pixels(surface, rect, 200) - bright_pixels(surface, middle, 200) < 3
    surface, board = _numbers_board(VALUE_MIN_CELL - 4)  # too small: no text, policy arrows
    assert board.cell < VALUE_MIN_CELL
    assert bright_pixels(surface, board.cell_rect(0, 1), 235) < 12


def test_numbers_layer_follows_the_values_it_shows():
    tiles = ("..",)
    info = info_for(tiles)
    clock = [0.0]
    surface = pygame.Surface((200, 100 + LEGEND_STRIP))
    board = Board(pygame.Rect(0, 0, 200, 100 + LEGEND_STRIP), clock=lambda: clock[0])
    ov = Overlays(numbers=True, heatmap=False, policy=False, trail=False)
    q = np.zeros((2, 4))
    board.draw(surface, BoardView(tiles, cell_values(q, info), overlays=ov))
    centre = _regions(board.cell_rect(0, 0))["centre"]
    before = bright_pixels(surface, centre, 200)
    q[0] = 8.25  # V: "0" becomes "8.3"
    clock[0] += 0.01  # too soon: the layer is not rebuilt yet
    board.draw(surface, BoardView(tiles, cell_values(q, info), overlays=ov))
    assert bright_pixels(surface, centre, 200) == before
    clock[0] += 0.5
    board.draw(surface, BoardView(tiles, cell_values(q, info), overlays=ov))
    assert bright_pixels(surface, centre, 200) > before


# ---- rewards ------------------------------------------------------------------------------------
def test_rewards_are_written_in_their_cells_and_own_rewards_tinted():
    level = Level.from_text("reward at 0,1: -1\nS.C\n")
    view = BoardView(level.grid, rewards=level.rewards_array(), reward_cells=level.cell_rewards,
                     overlays=Overlays(trail=False))
    surface, board = draw(view, (300, 100))

    def redness(cell) -> int:
        r = board.cell_rect(*cell)
        px = pygame.surfarray.array3d(surface.subsurface(r)).astype(int)
        return int(((px[..., 0] > 200) & (px[..., 1] < 160)).sum())

    def greenness(cell) -> int:
        r = board.cell_rect(*cell)
        px = pygame.surfarray.array3d(surface.subsurface(r)).astype(int)
        return int(((px[..., 1] > 200) & (px[..., 0] < 180)).sum())

    assert redness((0, 1)) > 10 and redness((0, 0)) == 0  # "-1" on the cell with its own reward
    assert greenness((0, 2)) > 10  # "+10" on the big cheese
    tinted = surface.get_at(board.cell_rect(0, 1).center)
    assert tinted[0] > C.FLOOR[0] + 10 and tuple(surface.get_at(
        board.cell_rect(0, 0).move(0, 20).center))[:3] != tuple(tinted)[:3]
    plain = BoardView(level.grid, overlays=Overlays(trail=False))
    surface, board = draw(plain, (300, 100))
    assert redness((0, 1)) == 0


# ---- the stall watch ----------------------------------------------------------------------------
def test_stall_watch_speaks_only_after_a_window_without_progress_short_of_the_optimum():
    from app.stallwatch import StallWatch, greedy_value, stall_hint
    from levels.gridmaze import GridMazeEnv

    watch = StallWatch()
    watch.reset(n_states=10)
    assert watch.window == 100_000
    assert not watch.update(0, greedy=0.5, best=8.0, distance=7.0)
    assert not watch.update(60_000, greedy=0.5, best=8.0, distance=6.0)  # still improving
    assert not watch.update(150_000, greedy=0.5, best=8.0, distance=5.9)  # a nudge: not progress
    assert watch.update(160_000, greedy=0.5, best=8.0, distance=5.9)  # 100k steps flat
    watch.reset(10)
    watch.update(0, 8.0, 8.0, 1.0)
    assert not watch.update(500_000, 8.0, 8.0, 1.0)  # flat, but already optimal
    env = GridMazeEnv(Level.from_text("S.G\n"))
    arrays = env.transition_arrays()
    q = np.zeros((3, 4))
    q[0, 2] = q[1, 2] = 1.0  # right, right: the goal (+1) in two steps
    start = env.initial_state_distrib
    assert greedy_value(arrays, q, 0.9, start) == pytest.approx(0.9)
    q[0, 2], q[0, 0] = 0.0, 1.0  # left into the wall forever: worth nothing
    assert greedy_value(arrays, q, 0.9, start) == pytest.approx(0.0)
    hint = stall_hint(0.87, 8.3, initial_q=0.0, top_reward=10.0)
    assert "optimistic initial Q (e.g. 10)" in hint and "slower \u03b5 decay" in hint
