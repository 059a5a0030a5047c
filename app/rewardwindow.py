"""The cell reward window: type or slide the reward of one cell, as REINFORCEjs lets you.

The reward tool (key 0) opens it on the open cell that was clicked; clicking another cell with
the tool moves it there. Enter hands on the typed text and closes the window once the value is
taken (click, type, Enter: the next cell is free to click); Set does the same but keeps it open,
the slider hands on its value while it moves, Clear an empty text (no reward of its own). Whether
a value is allowed and what it does to the level is :class:`app.rewardtool.CellRewardTool`'s
business: the window reports :class:`CellRewardInput` to ``on_input``, which says whether it was
taken, and shows the cell as the level has it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pygame
import pygame_gui
from pygame_gui.elements import (
    UIButton,
    UIHorizontalSlider,
    UILabel,
    UITextEntryLine,
    UIWindow,
)

from levels.level import Level

#: Where the slider stops: round rewards from a small step cost to a big prize or penalty.
SLIDER_VALUES: tuple[float, ...] = (-100, -50, -20, -10, -5, -2, -1, -0.5, -0.1, 0,
                                    0.1, 0.5, 1, 2, 5, 10, 20, 50, 100)
WIDTH = 340
HEIGHT = 156
TILE_NAMES = {"S": "Start", ".": "Floor", "F": "Floor", "H": "Hole", "G": "Goal",
              "C": "Big cheese", "c": "Small cheese", "P": "Poison", "#": "Wall"}


@dataclass(frozen=True)
class CellRewardInput:
    """What the person asked for one cell.

    Attributes:
        cell: ``(row, col)``.
        text: the reward as typed; empty for "no reward of its own" (Clear).
        slider: it came from the slider, so a whole drag is one undo step.
    """

    cell: tuple[int, int]
    text: str
    slider: bool = False


def reward_text(value: float) -> str:
    """A reward as the entry shows it: ``5``, ``-0.5``, ``1e+06``."""
    return str(int(value)) if float(value).is_integer() and abs(value) < 1e15 else repr(value)


def describe_cell(level: Level, cell: tuple[int, int]) -> str:
    """One line on what entering the cell pays now: ``Goal: pays +5 of its own (the goal's +1
    without it)``."""
    row, col = cell
    tile = level.grid[row][col]
    name = TILE_NAMES.get(tile, tile)
    own = level.cell_reward(row, col)
    plain = level.rewards.for_tile(tile)
    if own is None:
        return f"{name}: pays {plain:+g}, its tile's reward"
    return f"{name}: pays {own:+g} of its own ({plain:+g} without it)"


def slider_position(value: float) -> int:
    """The slider stop nearest to ``value`` (the ends for anything beyond them)."""
    return min(range(len(SLIDER_VALUES)), key=lambda i: abs(SLIDER_VALUES[i] - value))


class CellRewardWindow(UIWindow):
    """One cell's reward: an entry, a slider over :data:`SLIDER_VALUES`, Set and Clear."""

    def __init__(self, manager: pygame_gui.UIManager, rect: pygame.Rect, level: Level,
                 cell: tuple[int, int], on_input: Callable[[CellRewardInput], bool]) -> None:
        super().__init__(rect, manager, window_display_title="Cell reward",
                         object_id="#cell_reward", resizable=False)
        self.on_input = on_input
        inner = WIDTH - 32
        self.about = UILabel(pygame.Rect(8, 4, inner, 22), "", manager, container=self)
        UILabel(pygame.Rect(8, 32, 56, 26), "Reward", manager, container=self)
        self.entry = UITextEntryLine(pygame.Rect(66, 32, 96, 26), manager, container=self)
        self.entry.set_tooltip("Type a reward and press Enter: entering this cell pays it "
                               "instead of its tile's reward (empty: no reward of its own)")
        self.set_button = UIButton(pygame.Rect(168, 31, 56, 28), "Set", manager, container=self,
                                   tool_tip_text="Give the cell the typed reward (Enter)")
        self.clear_button = UIButton(pygame.Rect(230, 31, inner - 222, 28), "Clear", manager,
                                     container=self, tool_tip_text="Remove the cell's own reward "
                                     "(right-clicking the cell with the tool does the same)")
        self.slider = UIHorizontalSlider(pygame.Rect(8, 66, inner, 24), slider_position(0),
                                         (0, len(SLIDER_VALUES) - 1), manager, container=self,
                                         click_increment=1)
        self.slider.set_tooltip("Slide through round rewards from -100 to +100; the cell "
                                "follows at once (type any other value up to \u00b11,000,000)")
        UILabel(pygame.Rect(8, 96, inner, 20), "Enter sets and closes \u00b7 right-click a "
                "cell clears it", manager, container=self)
        self.cell = cell
        self.level: Level | None = None
        self.show(level, cell)
        self.take_keys()

    def take_keys(self) -> None:
        """Focus the entry, so typing goes there (and not to the app's shortcuts)."""
        self.ui_manager.set_focus_set(self.entry)

    def show(self, level: Level, cell: tuple[int, int] | None = None) -> None:
        """Show ``cell`` (default: the same one) as ``level`` has it; a typed value in
        progress stays until it is handed on."""
        cell = self.cell if cell is None else cell
        if level is self.level and cell == self.cell:
            return
        moved = cell != self.cell
        self.level, self.cell = level, cell
        self.set_display_title(f"Reward of cell ({cell[0]}, {cell[1]})")
        self.about.set_text(describe_cell(level, cell))
        own = level.cell_reward(*cell)
        if moved or not self.entry.is_focused:
            self.entry.set_text("" if own is None else reward_text(own))
        if not self.slider.is_focused:
            shown = own if own is not None else level.reward_at(*cell)
            self.slider.set_current_value(slider_position(shown), warn=False)

    def handle(self, event: pygame.event.Event) -> bool:
        """This window's widget events (routed by :class:`app.dialogs.Dialogs`)."""
        element = getattr(event, "ui_element", None)
        if event.type == pygame_gui.UI_BUTTON_PRESSED and element is self.set_button:
            self.on_input(CellRewardInput(self.cell, self.entry.get_text()))
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and element is self.clear_button:
            self.on_input(CellRewardInput(self.cell, ""))
            return True
        if event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and element is self.entry:
            if self.on_input(CellRewardInput(self.cell, self.entry.get_text())):
                self.ui_manager.set_focus_set(None)  # the app's shortcuts work again
                self.kill()
            return True
        if event.type == pygame_gui.UI_HORIZONTAL_SLIDER_MOVED and element is self.slider:
            value = SLIDER_VALUES[int(round(self.slider.get_current_value()))]
            self.entry.set_text(reward_text(value))
            self.on_input(CellRewardInput(self.cell, reward_text(value), slider=True))
            return True
        return False
