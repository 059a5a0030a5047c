"""app.board: pixels, not draw calls. Headless (dummy SDL driver from conftest)."""

from __future__ import annotations

import numpy as np
import pygame
import pytest

from app import colors as C
from app.board import LEGEND_STRIP, Board, BoardView, Overlays, blank_tiles, format_count
from app.qview import DOWN, RIGHT, cell_values
from app.sprites import ArrowSet, tile_icon
from levels.gridinfo import GridInfo

L, D, R, U = (0, -1), (1, 0), (0, 1), (-1, 0)
TILES = ("S.c", ".#P", "H.G")


@pytest.fixture(autouse=True)
def _pygame():
    pygame.init()
    yield


def info_for(tiles, dirs=(L, D, R, U)) -> GridInfo:
    n = len(tiles) * len(tiles[0])
    return GridInfo(len(tiles), len(tiles[0]), dirs, cell=np.arange(n),
                    layer=np.zeros(n, dtype=int), tiles=tuple(tiles))


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def render(view: BoardView, size=(300, 300), clock=None) -> tuple[pygame.Surface, Board]:
    """Draw ``view`` on a board whose grid area is ``size`` (plus the legend strip under it)."""
    size = (size[0], size[1] + LEGEND_STRIP)
    surface = pygame.Surface(size)
    board = Board(pygame.Rect((0, 0), size), clock=clock or FakeClock())
    board.draw(surface, view)
    return surface, board


def green(px) -> bool:
    return px[1] > px[0] + 50 and px[1] > px[2] + 50


def red(px) -> bool:
    return px[0] > px[1] + 60 and px[0] > px[2] + 40


def run_length(surface, y, xs, pred) -> int:
    return sum(1 for x in xs if pred(surface.get_at((x, y))))


@pytest.mark.parametrize("dirs,right_action,left_action", [((L, D, R, U), 2, 0),
                                                           ((U, R, D, L), 1, 3)])
def test_wall_colour_and_right_arrow_pixels(dirs, right_action, left_action):
    info = info_for(TILES, dirs)
    q = np.zeros((9, 4))
    q[1, right_action] = 1.0  # cell (0, 1): best action is right...
    q[1, left_action] = -0.5  # ...and left is bad
    view = BoardView(TILES, cell_values(q, info, 0),
                     overlays=Overlays(arrows=True, policy=False, heatmap=False, trail=False))
    surface, board = render(view)
    assert board.cell == 100
    wall = board.cell_rect(1, 1)
    assert tuple(surface.get_at(wall.center))[:3] == C.WALL
    cell = board.cell_rect(0, 1)
    cx, cy = cell.center
    right_run = run_length(surface, cy, range(cx, cell.right), green)
    left_run = run_length(surface, cy, range(cell.left, cx), red)
    assert right_run > 20  # a long green arrow to the right of the centre...
    assert run_length(surface, cy, range(cell.left, cx), green) == 0  # ...none to the left
    assert 0 < left_run < right_run  # the negative left arrow is red and shorter
    # nothing up or down (those Q-values are 0)
    col = [surface.get_at((cx, y)) for y in range(cell.top + 2, cell.bottom - 2)
           if abs(y - cy) > 8]
    assert not any(green(p) or red(p) for p in col)


def test_policy_arrow_points_the_greedy_way_and_optimal_marks_only_wrong_cells():
    info = info_for(TILES)
    q = np.zeros((9, 4))
    q[3, 2] = 1.0  # cell (1, 0) best right, and right is optimal
    q[1, 0] = 1.0  # cell (0, 1) best left, but down is optimal
    cv = cell_values(q, info, 0)
    opt = np.zeros((3, 3), dtype=np.uint8)
    opt[1, 0] = 1 << RIGHT
    opt[0, 1] = 1 << DOWN
    view = BoardView(TILES, cv, optimal_mask=opt,
                     overlays=Overlays(policy=True, optimal=True, heatmap=False, trail=False))
    surface, board = render(view)
    whiteish = lambda p: min(p[:3]) > 200  # noqa: E731
    gold = lambda p: p[0] > 180 and p[1] > 130 and p[2] < 110  # noqa: E731
    cell = board.cell_rect(1, 0)
    cx, cy = cell.center
    assert run_length(surface, cy, range(cx + 10, cell.right), whiteish) > 15
    assert run_length(surface, cy, range(cell.left, cx - 10), whiteish) == 0
    every = [surface.get_at((x, y)) for x in range(cell.left, cell.right)
             for y in range(cell.top, cell.bottom)]
    assert not any(gold(p) for p in every)  # greedy agrees with optimal: nothing marked
    wrong = board.cell_rect(0, 1)
    below = [surface.get_at((x, y)) for x in range(wrong.left, wrong.right)
             for y in range(wrong.centery + 10, wrong.bottom)]
    above = [surface.get_at((x, y)) for x in range(wrong.left, wrong.right)
             for y in range(wrong.top, wrong.centery - 10)]
    assert any(gold(p) for p in below) and not any(gold(p) for p in above)
    assert run_length(surface, wrong.centery, range(wrong.left, wrong.centerx - 10), whiteish)


def test_policy_arrow_weight_shows_how_much_better_the_best_action_is():
    tiles = ("S..", "...")
    info = info_for(tiles)
    q = np.zeros((6, 4))
    q[0, 2], q[0, 0] = 1.0, 0.0  # cell (0, 0): right by a wide margin
    q[3, 2], q[3, 0] = 1.0, 0.97  # cell (1, 0): right, but left is nearly as good
    ov = Overlays(policy=True, heatmap=False, trail=False)
    surface, board = render(BoardView(tiles, cell_values(q, info, 0), overlays=ov),
                            size=(300, 200))

    def arrow_pixels(cell) -> int:
        rect = board.cell_rect(*cell)
        return sum(min(surface.get_at((x, y))[:3]) > 120 for x in range(rect.centerx,
                   rect.right) for y in range(rect.top, rect.bottom))

    assert arrow_pixels((0, 0)) > 1.5 * arrow_pixels((1, 0)) > 0


def test_heatmap_colours_by_value_and_q_arrows_hide_on_tiny_cells():
    tiles = blank_tiles(40, 40)
    n = 1600
    info = info_for(tiles)
    q = np.zeros((n, 4))
    q[0, 2] = 5.0  # cell (0, 0) valuable
    q[1, :] = -5.0  # cell (0, 1) bad
    view = BoardView(tiles, cell_values(q, info, 0), overlays=Overlays(arrows=True, heatmap=True))
    surface, board = render(view, size=(400, 400))
    assert board.cell == 10  # below the Q-arrow threshold
    pos = surface.get_at(board.cell_rect(0, 0).center)
    neg = surface.get_at(board.cell_rect(0, 1).center)
    zero = surface.get_at(board.cell_rect(5, 5).center)
    assert tuple(zero)[:3] == C.FLOOR
    assert pos[2] > C.FLOOR[2] + 60  # blue for positive V
    assert neg[0] > C.FLOOR[0] + 60  # red for negative V
    pixels = pygame.surfarray.array3d(surface)
    r, g, b = (pixels[..., i].astype(int) for i in range(3))
    assert not ((g > r + 50) & (g > b + 50)).any()  # no green Q arrows at 10 px cells


def test_layout_is_square_centred_and_maps_positions_both_ways():
    board = Board(pygame.Rect(10, 20, 500, 300 + LEGEND_STRIP), nrows=3, ncols=4)
    assert board.cell == 100
    assert board.board_rect == pygame.Rect(10 + 50, 20, 400, 300)
    for r in range(3):
        for c in range(4):
            assert board.cell_at(board.cell_rect(r, c).center) == (r, c)
            assert board.cell_at(board.cell_rect(r, c).topleft) == (r, c)
    assert board.cell_at((15, 25)) is None  # in the rect, left of the grid
    assert board.cell_at((board.board_rect.right, 100)) is None
    board.set_rect(pygame.Rect(0, 0, 120, 120 + LEGEND_STRIP))
    assert board.cell == 30
    big = Board(pygame.Rect(0, 0, 100, 100), nrows=64, ncols=64)
    assert big.cell == 4  # never smaller than 4 px


def test_small_cheese_hidden_when_eaten_and_agent_at_fractional_position():
    tiles = TILES
    surface, board = render(BoardView(tiles, overlays=Overlays(trail=False)))
    cheese_cell = board.cell_rect(0, 2)
    assert tuple(surface.get_at(cheese_cell.center))[:3] != C.FLOOR
    surface, board = render(BoardView(tiles, eaten={(0, 2)}, overlays=Overlays(trail=False)))
    assert tuple(surface.get_at(cheese_cell.center))[:3] == C.FLOOR
    surface, board = render(BoardView(tiles, agent_pos=(1.0, 0.5), overlays=Overlays(trail=False)))
    between = (board.cell_rect(1, 0).right, board.cell_rect(1, 0).centery + 10)
    p = surface.get_at(between)
    assert abs(p[0] - C.MOUSE_BODY[0]) < 30 and abs(p[2] - C.MOUSE_BODY[2]) < 30


def test_trail_hover_and_problem_cells_are_drawn():
    view = BoardView(("S..", "...", "..."), trail=[(0, 0), (0, 1), (0, 2)], hover=(2, 2),
                     problem_cells=[(2, 0)], overlays=Overlays(trail=True))
    surface, board = render(view)
    mid = (board.cell_rect(0, 0).right + 5, board.cell_rect(0, 0).centery)
    p = surface.get_at(mid)
    assert p[2] > p[0] + 40  # blue trail between the first two cells
    hover = board.cell_rect(2, 2)
    assert tuple(surface.get_at((hover.left + 1, hover.centery)))[:3] == C.HOVER
    prob = board.cell_rect(2, 0)
    p = surface.get_at((prob.left + 2, prob.centery))
    assert p[0] > 200 and p[1] < 150


def test_arrow_layer_redraws_only_when_values_change_and_not_too_often():
    info = info_for(TILES)
    clock = FakeClock()
    surface = pygame.Surface((300, 300 + LEGEND_STRIP))
    board = Board(pygame.Rect(0, 0, 300, 300 + LEGEND_STRIP), clock=clock)
    ov = Overlays(arrows=True, policy=False, heatmap=False, trail=False)
    q = np.zeros((9, 4))
    q[1, 2] = 1.0
    board.draw(surface, BoardView(TILES, cell_values(q, info, 0), overlays=ov))
    cell = board.cell_rect(0, 1)
    right = (cell.centerx + 30, cell.centery)
    left = (cell.centerx - 30, cell.centery)
    assert green(surface.get_at(right)) and not green(surface.get_at(left))
    q2 = np.zeros((9, 4))
    q2[1, 0] = 1.0  # now left is best
    clock.t += 0.01  # too soon after the last rebuild: keep the old arrows this frame
    board.draw(surface, BoardView(TILES, cell_values(q2, info, 0), overlays=ov))
    assert green(surface.get_at(right))
    clock.t += 0.2
    board.draw(surface, BoardView(TILES, cell_values(q2, info, 0), overlays=ov))
    assert green(surface.get_at(left)) and not green(surface.get_at(right))


def test_stale_values_of_another_shape_are_ignored():
    info = info_for(TILES)
    cv = cell_values(np.ones((9, 4)), info, 0)
    surface, board = render(BoardView(blank_tiles(4, 4), cv, overlays=Overlays(heatmap=True)))
    # 3x3 values on a 4x4 board: not drawn (no heat), rather than drawn in the wrong cells
    assert tuple(surface.get_at(board.cell_rect(0, 0).center))[:3] == C.FLOOR
    surface, board = render(BoardView(TILES, cv, overlays=Overlays(heatmap=True)))
    assert tuple(surface.get_at(board.cell_rect(1, 0).center))[:3] != C.FLOOR  # same shape: heat


def test_helpers():
    assert [format_count(n) for n in (7, 999, 1234, 34_567, 5_600_000)] == \
        ["7", "999", "1.2k", "34k", "5.6M"]
    arrows = ArrowSet(40)
    assert all(arrows.q[d][8] is None for d in range(4))  # bucket 0: no arrow
    # a right arrow sprite sits in the right half of its cell, a left one in the left half
    assert arrows.q[2][16].offset[0] >= 20 and arrows.q[0][16].offset[0] < 20
    icon = tile_icon("#", 24)
    assert icon.get_size() == (24, 24) and tuple(icon.get_at((12, 12)))[:3] == C.WALL


def test_terminal_tiles_are_quiet_unless_told_otherwise():
    tiles = ("S.G",)
    info = info_for(tiles)
    q = np.zeros((3, 4))
    q[2, 2] = 1.0  # a value on the goal cell (e.g. Q* from value iteration, or a Taxi depot)
    cv = cell_values(q, info, 0)
    ov = Overlays(arrows=True, policy=False, heatmap=False, trail=False)
    surface, board = render(BoardView(tiles, cv, overlays=ov), size=(300, 100))
    goal = board.cell_rect(0, 2)
    xs = range(goal.centerx, goal.right)
    assert run_length(surface, goal.centery + 2, xs, green) == 0
    surface, board = render(BoardView(tiles, cv, overlays=ov, quiet_tiles=""), size=(300, 100))
    assert run_length(surface, goal.centery + 2, xs, green) > 10
