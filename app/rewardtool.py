"""The reward tool: clicks on the board and the cell reward window, made into level edits.

Key 0 (or the palette's "Reward" button) picks the tool. A left click on an open cell opens
:class:`app.rewardwindow.CellRewardWindow` on it (or moves the open one there); a right click
removes the cell's own reward; a click on a wall says why nothing happened. A value reaches the
level through ``Editor.edit``, so it is an undoable edit that marks the level as edited, goes to
the running env at once (:class:`app.leveledits.LevelEdits`: the states are the same, so the
Q-table is kept) and is saved with the level as ``reward at ROW,COL: value``. Values are checked
as the level file checks them (:func:`levels.settings.parse_cell_reward`): a bad one is one
sentence in the status bar and changes nothing.
"""

from __future__ import annotations

import pygame

from app.board import Board
from app.dialogs import Dialogs
from app.editor import Editor
from app.rewardwindow import CellRewardInput
from app.statusbar import StatusBar
from levels.level import LevelError
from levels.settings import parse_cell_reward


class CellRewardTool:
    """Turns the reward tool's clicks and the window's input into cell reward edits."""

    def __init__(self, editor: Editor, dialogs: Dialogs, status: StatusBar, board: Board) -> None:
        self.editor = editor
        self.dialogs = dialogs
        self.status = status
        self.board = board

    def pick(self, cell: tuple[int, int], clear: bool) -> None:
        """The tool clicked ``cell``: left opens the window on it, right (``clear``) removes
        its own reward."""
        row, col = cell
        if self.editor.level.grid[row][col] == "#":
            self.status.notify(f"Cell ({row}, {col}) is a wall: the agent never enters it, so it "
                               "has no reward", "warn")
            return
        if clear:
            if self.editor.level.cell_reward(row, col) is None:
                self.status.notify(f"Cell ({row}, {col}) has no reward of its own to clear "
                                   "(left-click it to give it one)", "info")
                return
            self._set(cell, None, slider=False)
            return
        rect = pygame.Rect(self.board.cell_rect(row, col))
        self.dialogs.cell_reward(self.editor.level, cell, rect, self.take)

    def take(self, request: CellRewardInput) -> bool:
        """A value from the window: checked, then one edit (a slider drag: one undo step);
        False when it was refused (the status bar says why)."""
        row, col = request.cell
        level = self.editor.level
        if not self.editor.enabled:
            self.status.notify("A Gymnasium env is not editable: open a level to give its cells "
                               "rewards", "info")
            return False
        if not (row < level.nrows and col < level.ncols) or level.grid[row][col] == "#":
            self.status.notify(f"Cell ({row}, {col}) is no longer an open cell of this level: "
                               "click an open cell with the reward tool", "warn")
            return False
        try:
            value = parse_cell_reward(request.text)
        except LevelError as exc:
            self.status.notify(f"Cell ({row}, {col}) unchanged: {exc.message}", "warn", 10)
            return False
        self._set(request.cell, value, slider=request.slider)
        return True

    def _set(self, cell: tuple[int, int], value: float | None, slider: bool) -> None:
        row, col = cell
        level = self.editor.level
        tile = level.rewards.for_tile(level.grid[row][col])
        own = None if value is None or value == tile else value  # the tile pays it anyway
        new = level.with_cell_reward(row, col, own)
        if new == level:
            self.status.notify(f"Cell ({row}, {col}) already pays {level.reward_at(row, col):+g}",
                               "info")
            return
        self.editor.edit(new, "reward", group=("slider", cell) if slider else None)
        what = "of its own" if own is not None else "its tile's reward"
        self.status.notify(f"Cell ({row}, {col}) now pays {new.reward_at(row, col):+g}, {what} "
                           "(Ctrl+Z undoes)", "info", 8)
