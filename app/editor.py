"""The level editor: mouse tools that paint tiles, with undo/redo of whole strokes.

The editor owns the level being edited and nothing else: it turns mouse and key events into new
immutable :class:`~levels.level.Level` values and tells listeners (``on_change``) what changed, so
the app can pause training and hand the session the new level. One drag is one undoable edit: the
cells painted during the drag show at once (``editor.level`` updates on every motion), but the undo
stack only records the level from before the mouse went down, when the mouse comes up.

Start tool: a level has exactly one start, so placing a start *moves* it: the old start becomes
floor (``Level.with_tiles`` does this). Dragging with the start tool moves the start along with the
pointer without disturbing the cells it passes over; the stroke ends with the start under the
pointer. Painting another tile over the start removes it; ``Level.problems()`` then says so.

The reward tool (key 0) paints no tile: a click reports the cell to ``on_reward_click`` listeners
(:class:`app.rewardtool.CellRewardTool` asks for the value and commits it with :meth:`Editor.edit`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import pygame

from app import colors as C
from levels.level import Level, changed_cells

if TYPE_CHECKING:  # for types only
    from app.board import Board

HISTORY_LIMIT = 200


class Tool(NamedTuple):
    """A palette entry: the key that picks it, the tile it paints, its label and its tooltip."""

    key: str
    tile: str
    label: str
    tooltip: str


TOOLS: tuple[Tool, ...] = (
    Tool("1", "S", "Start", "Start (1): where every episode begins; placing it moves the start"),
    Tool("2", ".", "Floor", "Floor (2): open ground the mouse can walk on"),
    Tool("3", "#", "Wall", "Wall (3): blocks movement; walking into it leaves the mouse in place"),
    Tool("4", "H", "Hole", "Hole (4): falling in ends the episode"),
    Tool("5", "G", "Goal", "Goal (5): reaching it ends the episode with the goal reward"),
    Tool("6", "C", "Big cheese", "Big cheese (6): a large reward that ends the episode"),
    Tool("7", "c", "Small cheese", "Small cheese (7): a small reward, eaten once per episode"),
    Tool("8", "P", "Poison", "Poison (8): a large penalty that ends the episode"),
    Tool("9", ".", "Eraser", "Eraser (9): paints floor (right-drag erases with any tool)"),
    Tool("0", "", "Reward", "Reward (0): click an open cell to type or slide its own reward, "
         "paid instead of its tile's; right-click clears it"),
)
ERASER = TOOLS[8]
REWARD = TOOLS[9]  #: paints no tile: a click reports the cell to ``on_reward_click`` listeners
_TOOL_KEYS = {getattr(pygame, f"K_{t.key}"): t for t in TOOLS}
_TOOL_KEYS.update({getattr(pygame, f"K_KP{t.key}"): t for t in TOOLS})
_CTRL = pygame.KMOD_CTRL | pygame.KMOD_META


@dataclass(frozen=True)
class EditResult:
    """One change of the edited level, as told to ``on_change`` listeners.

    Attributes:
        old, new: the level before and after.
        action: "paint", "erase", "undo", "redo", "new", "resize", "load", or what
            :meth:`Editor.edit` was told ("edit", "settings", "reward").
        changed: cells whose tile differs (every cell of ``new`` when the shape changed).
    """

    old: Level
    new: Level
    action: str
    changed: frozenset[tuple[int, int]]

    @property
    def shape_changed(self) -> bool:
        return (self.old.nrows, self.old.ncols) != (self.new.nrows, self.new.ncols)


def _line(a: tuple[int, int], b: tuple[int, int]) -> list[tuple[int, int]]:
    """Grid cells from ``a`` to ``b`` inclusive (Bresenham), so a fast drag leaves no gaps."""
    (r0, c0), (r1, c1) = a, b
    dr, dc = abs(r1 - r0), abs(c1 - c0)
    sr, sc = (1 if r1 > r0 else -1), (1 if c1 > c0 else -1)
    err, out = dc - dr, []
    while True:
        out.append((r0, c0))
        if (r0, c0) == (r1, c1):
            return out
        e2 = 2 * err
        if e2 > -dr:
            err -= dr
            c0 += sc
        if e2 < dc:
            err += dc
            r0 += sr


class Editor:
    """Paints tiles on a level with the mouse; undo/redo; new/resize; knows if edits are unsaved.

    Args:
        level: the level to edit (also taken as the saved state).
        board: the board whose ``cell_at`` maps pointer positions to cells (may be given later,
            per event, to ``process_event``).
        history: how many edits undo remembers.
    """

    def __init__(self, level: Level, board: Board | None = None,
                 history: int = HISTORY_LIMIT) -> None:
        self.board = board
        self.tool: Tool = TOOLS[2]
        self.enabled = True
        self.hover: tuple[int, int] | None = None
        self._level = level
        self._saved = level
        self._undo: deque[Level] = deque(maxlen=history)
        self._redo: deque[Level] = deque(maxlen=history)
        self._listeners: list[Callable[[EditResult], None]] = []
        self._reward_listeners: list[Callable[[tuple[int, int], bool], None]] = []
        self._group: object = None  # the last edit's group: more of it join its undo step
        self._stroke_base: Level | None = None  # level before the mouse went down
        self._stroke_button = 0
        self._stroke_tile = "."
        self._last_cell: tuple[int, int] | None = None

    # --- state -----------------------------------------------------------------------------------
    @property
    def level(self) -> Level:
        """The level as shown, including a stroke in progress."""
        return self._level

    @property
    def dirty(self) -> bool:
        """True when the level differs from what was last saved or loaded."""
        return self._level != self._saved

    @property
    def drawing(self) -> bool:
        """True while a drag is in progress (the app keeps training paused meanwhile)."""
        return self._stroke_base is not None

    @property
    def can_undo(self) -> bool:
        return bool(self._undo) or self.drawing

    @property
    def can_redo(self) -> bool:
        return bool(self._redo)

    def mark_saved(self) -> None:
        """Remember the current level as saved (after a successful save)."""
        self._saved = self._level

    def set_enabled(self, enabled: bool) -> None:
        """Paint or not (a Gymnasium env's map is not editable)."""
        self.enabled = bool(enabled)

    def on_change(self, callback: Callable[[EditResult], None]) -> None:
        """Call ``callback(EditResult)`` after every committed change of ``level``.

        Fires for strokes (on mouse up), undo, redo, new, resize, edit and set_level.
        """
        self._listeners.append(callback)

    def on_reward_click(self, callback: Callable[[tuple[int, int], bool], None]) -> None:
        """Call ``callback(cell, clear)`` when the reward tool clicks a cell of the grid: left
        (``clear`` False) to set its reward, right (``clear`` True) to remove it."""
        self._reward_listeners.append(callback)

    def set_tool(self, which: str | Tool) -> Tool:
        """Pick a tool by Tool, key ("3") or label ("wall", case-insensitive)."""
        if isinstance(which, Tool):
            self.tool = which
            return which
        for t in TOOLS:
            if which == t.key or which.lower() == t.label.lower():
                self.tool = t
                return t
        raise ValueError(f"{which!r} is not a tool; tools are "
                         + ", ".join(t.label.lower() for t in TOOLS))

    # --- whole-level edits -----------------------------------------------------------------------
    def _commit(self, old: Level, new: Level, action: str,
                record: bool = True, group: object = None) -> EditResult | None:
        if new == old and action != "load":
            return None
        if record:
            if group is None or group != self._group or not self._undo:
                self._undo.append(old)
            self._redo.clear()
        self._group = group if record else None
        self._level = new
        result = EditResult(old, new, action, changed_cells(old, new))
        for callback in list(self._listeners):
            callback(result)
        return result

    def edit(self, level: Level, action: str = "edit",
             group: object = None) -> EditResult | None:
        """Replace the level as one undoable edit (e.g. settings changed in a dialog).

        Args:
            group: consecutive edits of one group (not None) undo as one step, as a slider
                dragged through many values does.
        """
        self.finish_stroke()
        return self._commit(self._level, level, action, group=group)

    def new(self, nrows: int, ncols: int) -> EditResult | None:
        """A blank level (start top-left, goal bottom-right) with its own default settings (a
        step limit for its size, not the previous level's); undoable."""
        self.finish_stroke()
        return self._commit(self._level, Level.blank(nrows, ncols), "new")

    def resize(self, nrows: int, ncols: int) -> EditResult | None:
        """Crop or pad at the bottom/right, keeping the top-left corner; undoable.

        Raises:
            LevelError: the size is outside what levels allow.
        """
        self.finish_stroke()
        return self._commit(self._level, self._level.resized(nrows, ncols), "resize")

    def set_level(self, level: Level, reset_history: bool = True, saved: bool = True) -> EditResult:
        """Show another level (opened, picked from the list, generated, recovered).

        Args:
            reset_history: forget undo/redo (a different file); False makes this one undoable edit.
            saved: the level matches a file on disk (False for generated or recovered levels).
        """
        self.cancel_stroke()
        old = self._level
        if reset_history:
            self._undo.clear()
            self._redo.clear()
        result = self._commit(old, level, "load", record=not reset_history)
        assert result is not None
        if saved:
            self._saved = level
        return result

    def undo(self) -> EditResult | None:
        """Go back one edit (a stroke in progress counts as the latest edit)."""
        self.finish_stroke()
        if not self._undo:
            return None
        old = self._level
        self._redo.append(old)
        return self._commit(old, self._undo.pop(), "undo", record=False)

    def redo(self) -> EditResult | None:
        """Re-apply the last undone edit."""
        self.finish_stroke()
        if not self._redo:
            return None
        old = self._level
        self._undo.append(old)
        return self._commit(old, self._redo.pop(), "redo", record=False)

    # --- strokes ---------------------------------------------------------------------------------
    def _begin(self, button: int, cell: tuple[int, int]) -> None:
        self._stroke_base = self._level
        self._stroke_button = button
        self._stroke_tile = self.tool.tile if button == 1 else ERASER.tile
        self._last_cell = None
        self._paint_to(cell)

    def _paint_to(self, cell: tuple[int, int]) -> None:
        base = self._stroke_base
        assert base is not None
        if self._stroke_tile == "S":  # the start follows the pointer; passed cells untouched
            self._level = base.with_tiles([cell], "S")
        else:
            cells = _line(self._last_cell, cell) if self._last_cell is not None else [cell]
            todo = [(r, c) for r, c in cells if self._level.grid[r][c] != self._stroke_tile]
            if todo:
                self._level = self._level.with_tiles(todo, self._stroke_tile)
        self._last_cell = cell

    def finish_stroke(self) -> EditResult | None:
        """Commit a drag in progress as one undoable edit (mouse up, or another command)."""
        base = self._stroke_base
        if base is None:
            return None
        self._stroke_base, self._last_cell = None, None
        action = "erase" if self._stroke_button == 3 else "paint"
        return self._commit(base, self._level, action)

    def cancel_stroke(self) -> None:
        """Drop a drag in progress, restoring the level from before it (Escape)."""
        if self._stroke_base is not None:
            self._level = self._stroke_base
            self._stroke_base, self._last_cell = None, None

    # --- component protocol ----------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event, board: Board | None = None) -> bool:
        """Handle one event the UI did not consume; True if the editor used it.

        Reads ``event.pos`` / ``event.buttons`` only (never the polled mouse), so synthetic events
        in tests behave like real ones.
        """
        if board is not None:
            self.board = board
        if not self.enabled:
            return False
        kind = event.type
        if kind == pygame.KEYDOWN:
            return self._key(event)
        if kind not in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEMOTION, pygame.MOUSEBUTTONUP):
            return False
        cell = self.board.cell_at(event.pos) if self.board is not None else None
        if cell is not None and not (0 <= cell[0] < self._level.nrows
                                     and 0 <= cell[1] < self._level.ncols):
            cell = None
        if kind == pygame.MOUSEMOTION:
            self.hover = cell
            if not self.drawing:
                return False
            held = event.buttons[0] if self._stroke_button == 1 else event.buttons[2]
            if not held:  # the button came up outside the window: no MOUSEBUTTONUP will come
                self.finish_stroke()
                return True
            if cell is None:
                self._last_cell = None  # left the grid: do not draw a line back in across it
            else:
                self._paint_to(cell)
            return True
        if kind == pygame.MOUSEBUTTONDOWN:
            if event.button not in (1, 3) or cell is None:
                return False
            if self.tool is REWARD:
                self.finish_stroke()
                for callback in list(self._reward_listeners):
                    callback(cell, event.button == 3)
                return True
            if self.drawing:
                self.finish_stroke()
            self._begin(event.button, cell)
            return True
        # MOUSEBUTTONUP
        if self.drawing and event.button == self._stroke_button:
            if cell is not None:
                self._paint_to(cell)
            self.finish_stroke()
            return True
        return False

    def _key(self, event: pygame.event.Event) -> bool:
        mod = getattr(event, "mod", 0)
        if mod & _CTRL:
            if (event.key == pygame.K_z and mod & pygame.KMOD_SHIFT) or event.key == pygame.K_y:
                self.redo()
                return True
            if event.key == pygame.K_z:
                self.undo()
                return True
            return False
        if mod & pygame.KMOD_ALT:
            return False
        if event.key == pygame.K_ESCAPE and self.drawing:
            self.cancel_stroke()
            return True
        tool = _TOOL_KEYS.get(event.key)
        if tool is not None:
            self.tool = tool
            return True
        return False

    def update(self, dt: float) -> None:
        """Nothing animates in the editor; present for the component protocol."""

    def draw(self, surface: pygame.Surface) -> None:
        """Preview the current tool under the pointer: a thin frame in the tile's colour."""
        if not self.enabled or self.board is None or self.hover is None or self.drawing:
            return
        rect = self.board.cell_rect(*self.hover).inflate(-4, -4)
        color = C.TILE_COLORS.get(self.tool.tile, C.Q_POS)
        if self.tool.tile in (".", "F") or self.tool is ERASER:
            color = C.TEXT_DIM
        pygame.draw.rect(surface, color, rect, 2, border_radius=3)
