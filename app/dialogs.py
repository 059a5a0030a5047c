"""Modal windows of the app: file pickers, choice questions, error messages and the help sheet.

Every dialog is non-blocking in the programming sense: it is a pygame_gui window that lives in the
normal frame loop, and the answer arrives later as a callback. The frame loop keeps drawing (and may
keep training) while a dialog waits for the user. :class:`Dialogs` remembers which callback belongs
to which window and turns pygame_gui's events into those callbacks.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from pathlib import Path

import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UITextBox, UIWindow
from pygame_gui.windows import UIFileDialog, UIMessageWindow

from app.levelsettings import WIDTH, ApplySettings, LevelSettingsWindow
from app.rewardwindow import HEIGHT as REWARD_HEIGHT
from app.rewardwindow import WIDTH as REWARD_WIDTH
from app.rewardwindow import CellRewardInput, CellRewardWindow
from levels.level import Level

LEVEL_SUFFIXES = {".txt"}

SHORTCUTS: tuple[tuple[str, str], ...] = (
    ("Space", "play / pause training"),
    ("Right arrow or N", "one training step (shows the update as arithmetic)"),
    ("R", "reset learning (a fresh Q-table or network)"),
    ("G", "greedy demonstration run (no exploration, no learning)"),
    ("T", "watch: the agent plays greedily at the set speed, learning nothing; T again trains"),
    ("W A S D", "move the agent by hand; it learns from your moves"),
    ("M", "drive mode: the arrow keys move the agent instead of stepping"),
    ("1 - 9, 0", "editing tools: start, floor, wall, hole, goal, cheeses, poison, eraser; "
                 "0: cell reward"),
    ("Left click / drag", "paint with the current tool"),
    ("Right drag", "erase (paint floor); with the reward tool, clear the cell's reward"),
    ("Ctrl+Z / Ctrl+Y", "undo / redo a level edit"),
    ("Ctrl+N", "new blank level of the size in the panel"),
    ("Ctrl+O / Ctrl+S", "open / save a level file"),
    ("Ctrl+Shift+S", "save the level under a new name"),
    ("E", "open a Gymnasium environment (FrozenLake, Taxi, CartPole, ...) or a level"),
    ("L", "level settings: name, step limit, slippery, every reward"),
    ("P / I", "dynamic programming: one sweep of policy evaluation / one policy improvement"),
    ("V / C", "dynamic programming: one sweep of value iteration / run it to convergence"),
    ("F12", "save a screenshot (PNG); the status bar shows where"),
    ("F1", "this help"),
    ("Esc", "close a dialog / cancel"),
)


def help_html() -> str:
    """The F1 sheet: every shortcut, one per line, in the text box's small HTML subset."""
    rows = "<br>".join(
        f"<b>{html.escape(key)}</b>  {html.escape(what)}" for key, what in SHORTCUTS
    )
    tips = (
        "<br><br>Hover any control for a tooltip. Hover a board cell to see its four Q-values, "
        "visit count and last TD error. Editing pauses training; the Q-table is kept when the "
        "number of states is unchanged."
    )
    return rows + tips


def centered_rect(screen_size: tuple[int, int], size: tuple[int, int]) -> pygame.Rect:
    """A rect of ``size`` centred on the screen, shrunk to fit small windows."""
    w = min(size[0], max(200, screen_size[0] - 40))
    h = min(size[1], max(150, screen_size[1] - 40))
    rect = pygame.Rect(0, 0, w, h)
    rect.center = (screen_size[0] // 2, screen_size[1] // 2)
    return rect


def placed_off_row(target: pygame.Rect, size: tuple[int, int],
                   screen_size: tuple[int, int]) -> pygame.Rect:
    """A rect of ``size`` just above ``target`` (below it when there is no room above), centred
    on it, inside the screen: a window about a board cell that leaves the cell's whole row in
    view, so the next cell along it can be clicked."""
    rect = pygame.Rect((0, 0), size)
    rect.centerx = target.centerx
    rect.bottom = target.top - 6
    if rect.top < 0:
        rect.top = target.bottom + 6
    rect.clamp_ip(pygame.Rect((0, 0), screen_size))
    return rect


class ChoiceDialog(UIWindow):
    """A blocking question with two or more answers (Save / Discard / Cancel, Restore / Discard).

    The window's close button and Esc give the last choice (the safe "cancel"), Enter the first.
    """

    def __init__(
        self,
        rect: pygame.Rect,
        manager: pygame_gui.UIManager,
        title: str,
        message: str,
        choices: Sequence[tuple[str, str, str]],
    ) -> None:
        super().__init__(rect, manager, window_display_title=title, object_id="#choice_dialog")
        self.choices = [key for key, _label, _tip in choices]
        inner = self.get_container().get_rect()
        button_w, gap = 104, 10
        UITextBox(
            html.escape(message),
            pygame.Rect(10, 10, inner.width - 20, inner.height - 64),
            manager,
            container=self,
            object_id="#dialog_text",
        )
        self.buttons: dict[UIButton, str] = {}
        x = inner.width - len(choices) * (button_w + gap)
        for key, label, tip in choices:
            button = UIButton(
                pygame.Rect(x, inner.height - 46, button_w, 34),
                label,
                manager,
                container=self,
                tool_tip_text=tip,
                object_id=f"#choice_{key}",
            )
            self.buttons[button] = key
            x += button_w + gap
        self.set_blocking(True)


class Dialogs:
    """Opens the app's dialogs and routes their answers to callbacks."""

    def __init__(self, manager: pygame_gui.UIManager) -> None:
        self.manager = manager
        self._file_callbacks: dict[UIFileDialog, Callable[[Path], None]] = {}
        self._choice_callbacks: dict[ChoiceDialog, Callable[[str], None]] = {}
        self.messages: list[UIMessageWindow] = []
        self.help_window: UIMessageWindow | None = None
        self.settings_window: LevelSettingsWindow | None = None
        self.reward_window: CellRewardWindow | None = None

    # -- opening -------------------------------------------------------------------------------
    def _screen_size(self) -> tuple[int, int]:
        return tuple(self.manager.window_resolution)  # type: ignore[return-value]

    def open_level(self, start_dir: Path, on_pick: Callable[[Path], None]) -> UIFileDialog:
        """File picker for an existing level file; ``on_pick(path)`` runs once one is picked."""
        return self.pick_file("Open level", start_dir, LEVEL_SUFFIXES, on_pick, existing_only=True)

    def save_level(self, initial_path: Path, on_pick: Callable[[Path], None]) -> UIFileDialog:
        """File picker for a (possibly new) level file to write."""
        return self.pick_file("Save level as", initial_path, LEVEL_SUFFIXES, on_pick,
                              existing_only=False)

    def pick_file(self, title: str, initial_path: Path, suffixes: set[str],
                  on_pick: Callable[[Path], None], existing_only: bool) -> UIFileDialog:
        """A blocking file picker (levels, agent files); ``on_pick(path)`` runs once one is
        picked."""
        dialog = UIFileDialog(
            centered_rect(self._screen_size(), (560, 440)),
            self.manager,
            window_title=title,
            initial_file_path=str(initial_path),
            allowed_suffixes=set(suffixes),
            allow_existing_files_only=existing_only,
            always_on_top=True,
        )
        dialog.set_blocking(True)
        self._file_callbacks[dialog] = on_pick
        return dialog

    def ask(
        self,
        title: str,
        message: str,
        choices: Sequence[tuple[str, str, str]],
        on_choice: Callable[[str], None],
    ) -> ChoiceDialog:
        """Ask a question; ``choices`` are ``(key, button label, tooltip)``, safest last."""
        height = 170 + 18 * (len(message) // 60)
        dialog = ChoiceDialog(
            centered_rect(self._screen_size(), (max(420, 114 * len(choices) + 30), height)),
            self.manager,
            title,
            message,
            choices,
        )
        self._choice_callbacks[dialog] = on_choice
        return dialog

    def ask_save_discard_cancel(self, what: str, on_choice: Callable[[str], None]) -> ChoiceDialog:
        """The "you have unsaved edits" question; answers "save", "discard" or "cancel"."""
        return self.ask(
            f"Discard edits to {what}?",
            f"{what} has edits that are not saved. Save them first, or discard them?",
            (
                ("save", "Save", "Save the level, then continue"),
                ("discard", "Discard", "Throw the edits away and continue"),
                ("cancel", "Cancel", "Go back to editing"),
            ),
            on_choice,
        )

    def error(self, title: str, message: str) -> UIMessageWindow:
        """Show a problem the user must read (a level that failed to load, a failed save)."""
        window = UIMessageWindow(
            centered_rect(self._screen_size(), (560, 150 + 22 * (len(message) // 62))),
            html.escape(message),
            self.manager,
            window_title=title,
            object_id="#error_window",
            always_on_top=True,
        )
        self.messages.append(window)
        return window

    def toggle_help(self) -> None:
        """F1: show the shortcut sheet, or close it when it is already open."""
        if self.help_window is not None and self.help_window.alive():
            self.help_window.kill()
            self.help_window = None
            return
        self.help_window = UIMessageWindow(
            centered_rect(self._screen_size(), (660, 640)),  # every line without scrolling
            help_html(),
            self.manager,
            window_title="Keyboard shortcuts (F1)",
            object_id="#help_window",
            always_on_top=True,
        )

    def level_settings(self, level: Level, on_apply: ApplySettings) -> LevelSettingsWindow:
        """The level settings window (brought back to the front if it is open)."""
        window = self.settings_window
        if window is not None and window.alive():
            window.show(level)
            window.change_layer(window.layer)
            return window
        size = (WIDTH, LevelSettingsWindow.height())
        screen = self._screen_size()
        rect = pygame.Rect((max(0, screen[0] - size[0] - 470), 40), size)
        self.settings_window = LevelSettingsWindow(self.manager, rect, level, on_apply)
        return self.settings_window

    def cell_reward(self, level: Level, cell: tuple[int, int], cell_rect: pygame.Rect,
                    on_input: Callable[[CellRewardInput], bool]) -> CellRewardWindow:
        """The cell reward window on ``cell``, placed off the row of ``cell_rect`` (an open
        one moves there and shows the cell); its entry takes the keys."""
        rect = placed_off_row(cell_rect, (REWARD_WIDTH, REWARD_HEIGHT), self._screen_size())
        window = self.reward_window
        if window is not None and window.alive():
            window.set_position(rect.topleft)
            window.show(level, cell)
            window.take_keys()
            window.change_layer(window.layer)
            return window
        self.reward_window = CellRewardWindow(self.manager, rect, level, cell, on_input)
        return self.reward_window

    def settings_follow(self, level: Level, editable: bool = True) -> None:
        """The level changed (an edit, undo, another level): the open settings window shows it;
        the cell reward window too, or closes when its cell is gone (or a Gymnasium env is shown,
        ``editable`` False)."""
        window = self.settings_window
        if window is not None and window.alive():
            window.show(level)
        reward = self.reward_window
        if reward is not None and reward.alive():
            row, col = reward.cell
            if editable and row < level.nrows and col < level.ncols \
                    and level.grid[row][col] != "#":
                reward.show(level)
            else:
                reward.kill()

    # -- state ---------------------------------------------------------------------------------
    def modal_open(self) -> bool:
        """True while a dialog that needs an answer is on screen: the app ignores shortcuts then."""
        self._forget_dead()
        return bool(self._file_callbacks or self._choice_callbacks)

    def any_open(self) -> bool:
        """True while any dialog, including messages and help, is on screen."""
        self._forget_dead()
        help_open = self.help_window is not None and self.help_window.alive()
        return self.modal_open() or bool(self.messages) or help_open

    def close_top(self) -> bool:
        """Esc: close the newest dialog (a question counts as cancelled); False if none is open."""
        self._forget_dead()
        if self._choice_callbacks:
            dialog, callback = list(self._choice_callbacks.items())[-1]
            del self._choice_callbacks[dialog]
            dialog.kill()
            callback(dialog.choices[-1])
            return True
        if self._file_callbacks:
            dialog = list(self._file_callbacks)[-1]
            del self._file_callbacks[dialog]
            dialog.kill()
            return True
        if self.messages:
            self.messages.pop().kill()
            return True
        if self.help_window is not None and self.help_window.alive():
            self.help_window.kill()
            self.help_window = None
            return True
        if self.reward_window is not None and self.reward_window.alive():
            self.reward_window.kill()
            return True
        return False

    def _forget_dead(self) -> None:
        for table in (self._file_callbacks, self._choice_callbacks):
            for dialog in [d for d in table if not d.alive()]:
                del table[dialog]
        self.messages = [m for m in self.messages if m.alive()]

    # -- events --------------------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        """Turn a dialog's pygame_gui event into its callback; True when the event was ours."""
        for window in (self.settings_window, self.reward_window):
            if window is not None and window.alive() and window.handle(event):
                return True
        if event.type == pygame_gui.UI_FILE_DIALOG_PATH_PICKED:
            callback = self._file_callbacks.pop(event.ui_element, None)
            if callback is not None:
                callback(Path(event.text))
                return True
        elif event.type == pygame_gui.UI_BUTTON_PRESSED:
            for dialog in list(self._choice_callbacks):
                key = dialog.buttons.get(event.ui_element)
                if key is not None:
                    callback = self._choice_callbacks.pop(dialog)
                    dialog.kill()
                    callback(key)
                    return True
        elif event.type == pygame_gui.UI_WINDOW_CLOSE:
            element = event.ui_element
            if element in self._choice_callbacks:  # closed with the title bar's x: cancel
                callback = self._choice_callbacks.pop(element)
                callback(element.choices[-1])
                return True
            self._file_callbacks.pop(element, None)
        return False
