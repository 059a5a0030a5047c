"""app.editor: synthetic mouse and key events in, levels and undo history out."""

from __future__ import annotations

import pygame
import pytest

from app.board import Board
from app.editor import REWARD, TOOLS, Editor, EditResult
from levels.level import Level, changed_cells

GRID = ("S....", ".....", ".....", "....G")


@pytest.fixture
def setup():
    pygame.init()
    board = Board(pygame.Rect(0, 0, 500, 400), nrows=4, ncols=5)  # 100 px cells
    editor = Editor(Level(GRID), board)
    changes: list[EditResult] = []
    editor.on_change(changes.append)
    return editor, board, changes


def at(board, r, c):
    return board.cell_rect(r, c).center


def down(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=button)


def move(pos, buttons=(1, 0, 0)):
    return pygame.event.Event(pygame.MOUSEMOTION, pos=pos, rel=(0, 0), buttons=buttons)


def up(pos, button=1):
    return pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=button)


def key(k, mod=0):
    return pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode="", scancode=0)


def drag(editor, board, cells, button=1):
    buttons = (1, 0, 0) if button == 1 else (0, 0, 1)
    assert editor.process_event(down(at(board, *cells[0]), button))
    for cell in cells[1:]:
        assert editor.process_event(move(at(board, *cell), buttons))
    assert editor.process_event(up(at(board, *cells[-1]), button))


def test_dragging_the_wall_tool_paints_then_undo_restores_and_redo_repeats(setup):
    editor, board, changes = setup
    assert editor.process_event(key(pygame.K_3))
    assert editor.tool.label == "Wall"
    editor.process_event(down(at(board, 1, 0)))
    editor.process_event(move(at(board, 1, 1)))
    assert editor.level.grid[1] == "##..."  # shows while dragging...
    assert changes == [] and editor.drawing  # ...but is not committed yet
    editor.process_event(move(at(board, 1, 4)))  # a fast jump: the cells between are painted too
    editor.process_event(up(at(board, 1, 4)))
    assert editor.level.grid[1] == "#####"
    assert len(changes) == 1 and changes[0].action == "paint"
    assert changes[0].changed == {(1, c) for c in range(5)}
    assert editor.dirty
    assert editor.process_event(key(pygame.K_z, pygame.KMOD_LCTRL))
    assert editor.level.grid == GRID and not editor.dirty  # the whole drag was ONE edit
    assert editor.process_event(key(pygame.K_y, pygame.KMOD_LCTRL))
    assert editor.level.grid[1] == "#####"
    editor.process_event(key(pygame.K_z, pygame.KMOD_CTRL))
    assert editor.process_event(key(pygame.K_z, pygame.KMOD_LCTRL | pygame.KMOD_LSHIFT))
    assert editor.level.grid[1] == "#####"
    assert [c.action for c in changes] == ["paint", "undo", "redo", "undo", "redo"]


def test_right_drag_erases_with_any_tool(setup):
    editor, board, changes = setup
    editor.set_tool("wall")
    drag(editor, board, [(2, 0), (2, 1), (2, 2)])
    editor.set_tool("goal")
    drag(editor, board, [(2, 0), (2, 1)], button=3)
    assert editor.level.grid[2] == "..#.."
    assert changes[-1].action == "erase"


def test_keys_1_to_9_and_0_pick_every_tool(setup):
    editor, _, _ = setup
    assert [t.key for t in TOOLS] == list("1234567890")
    for tool in TOOLS:
        assert editor.process_event(key(getattr(pygame, f"K_{tool.key}")))
        assert editor.tool is tool
    assert [t.tile for t in TOOLS] == [*"S.#HGCcP.", ""]  # the reward tool paints no tile
    assert not editor.process_event(key(pygame.K_4, pygame.KMOD_LCTRL))  # Ctrl+4 is not a tool
    assert editor.tool is REWARD


def test_the_reward_tool_reports_clicked_cells_and_paints_nothing(setup):
    editor, board, changes = setup
    clicks = []
    editor.on_reward_click(lambda cell, clear: clicks.append((cell, clear)))
    editor.set_tool("reward")
    assert editor.process_event(down(at(board, 1, 2)))
    assert editor.process_event(move(at(board, 1, 3))) is False  # no drag: one cell a click
    editor.process_event(up(at(board, 1, 3)))
    assert editor.process_event(down(at(board, 2, 4), button=3))
    editor.process_event(up(at(board, 2, 4), button=3))
    assert clicks == [((1, 2), False), ((2, 4), True)]
    assert editor.level.grid == GRID and changes == [] and not editor.drawing


def test_edits_of_one_group_undo_as_one_step(setup):
    editor, _, changes = setup
    level = editor.level
    for value in (1.0, 2.0, 5.0):  # a slider dragged through three values
        editor.edit(level.with_cell_reward(1, 1, value), "reward", group=("slider", (1, 1)))
    editor.edit(editor.level.with_cell_reward(2, 2, -1.0), "reward")
    editor.edit(editor.level.with_cell_reward(1, 1, 10.0), "reward", group=("slider", (1, 1)))
    assert [c.action for c in changes] == ["reward"] * 5
    editor.undo()
    assert editor.level.cell_rewards == (((1, 1), 5.0), ((2, 2), -1.0))
    editor.undo()
    assert editor.level.cell_rewards == (((1, 1), 5.0),)
    editor.undo()  # the three slider values were one step
    assert editor.level == level and not editor.dirty
    editor.redo()
    assert editor.level.cell_rewards == (((1, 1), 5.0),)


def test_placing_a_second_start_moves_the_start(setup):
    editor, board, changes = setup
    editor.set_tool("1")
    drag(editor, board, [(2, 2)])
    assert editor.level.start == (2, 2)
    assert editor.level.grid[0][0] == "."
    assert sum(row.count("S") for row in editor.level.grid) == 1
    assert changes[-1].changed == {(0, 0), (2, 2)}
    # dragging the start moves it along without wiping what it passes over
    editor.set_tool("wall")
    drag(editor, board, [(1, 3)])
    editor.set_tool("start")
    drag(editor, board, [(1, 2), (1, 3), (1, 4)])
    assert editor.level.grid[1] == "...#S"
    assert editor.level.grid[2] == "....."


def test_a_level_with_two_starts_reports_a_problem_that_start_tool_fixes(setup):
    editor, board, _ = setup
    editor.set_level(Level(("S..S", "...G")))
    assert editor.level.problems()
    assert not editor.dirty
    editor.set_tool("start")
    drag(editor, board, [(1, 0)])
    assert not editor.level.problems()


def test_new_resize_set_level_and_history(setup):
    editor, _, changes = setup
    editor.new(3, 6)
    assert (editor.level.nrows, editor.level.ncols) == (3, 6)
    assert changes[-1].action == "new" and changes[-1].shape_changed
    editor.resize(4, 4)
    assert editor.level.grid[0] == "S..." and editor.level.nrows == 4
    assert editor.undo().action == "undo"
    assert editor.level.ncols == 6
    editor.undo()
    assert editor.level.grid == GRID
    editor.mark_saved()
    assert not editor.dirty
    other = Level(("S.G",))
    editor.set_level(other)
    assert not editor.can_undo and not editor.can_redo and not editor.dirty
    editor.set_level(Level(("S.c", "..G")), reset_history=False, saved=False)
    assert editor.dirty and editor.undo() is not None and editor.level == other
    assert editor.undo() is None  # nothing further back


def test_history_is_bounded():
    editor = Editor(Level(GRID), history=5)
    for i in range(20):
        editor.edit(editor.level.with_tile(2, i % 5, "##.H."[i % 5] if i % 2 else "P"))
    n = 0
    while editor.undo() is not None:
        n += 1
    assert n == 5


def test_escape_cancels_a_drag_and_clicks_outside_the_grid_are_not_consumed(setup):
    editor, board, changes = setup
    editor.set_tool("hole")
    editor.process_event(down(at(board, 0, 1)))
    assert editor.level.grid[0][1] == "H"
    assert editor.process_event(key(pygame.K_ESCAPE))
    assert editor.level.grid == GRID and changes == []
    board.set_rect(pygame.Rect(100, 0, 500, 400))  # grid now starts at x=100 (ish)
    assert not editor.process_event(down((5, 5)))
    editor.enabled = False
    assert not editor.process_event(down(at(board, 0, 1)))


def test_releasing_outside_the_window_ends_the_drag(setup):
    editor, board, changes = setup
    editor.set_tool("wall")
    editor.process_event(down(at(board, 3, 0)))
    editor.process_event(move(at(board, 3, 1), buttons=(0, 0, 0)))  # button already up
    assert not editor.drawing and len(changes) == 1
    assert editor.level.grid[3] == "#...G"


def test_changed_cells():
    a, b = Level(("S.", "..")), Level(("S#", "#."))
    assert changed_cells(a, b) == {(0, 1), (1, 0)}
    assert len(changed_cells(a, Level(("S..",)))) == 3
