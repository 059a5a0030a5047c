"""Input routing: every pygame event to the one component that should act on it.

:class:`InputRouting` owns no state of its own: it is handed the parts events go to. Events go to
the pygame_gui manager first, then to the dialogs and the side panel (widget events), then, if
nobody consumed them, to the keyboard shortcuts, the board and the editor. Keyboard shortcuts come
first, before any widget sees the key, unless a text entry is being typed in: a check box or
button clicked last never swallows Space. While a dialog or the env picker is open, shortcuts are
off; while a Gymnasium env is shown, nothing is painted (its map is not editable).
"""

from __future__ import annotations

from collections.abc import Callable

import pygame
import pygame_gui
from pygame_gui.elements import UITextEntryBox, UITextEntryLine

from app.board import Board
from app.commands import (
    Command,
    Drive,
    DynamicProgrammingStep,
    GreedyRun,
    NewLevel,
    OpenEnvPicker,
    OpenLevel,
    OpenLevelSettings,
    Play,
    ResetLearning,
    Step,
    Watch,
)
from app.controls import Controls
from app.dialogs import Dialogs
from app.editor import Editor
from app.levelflow import LevelFlow
from app.statusbar import StatusBar
from app.training import TrainingControl
from app.worldflow import WorldFlow

ARROWS = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1),
          pygame.K_RIGHT: (0, 1)}  # drive mode
WASD = {pygame.K_w: (-1, 0), pygame.K_a: (0, -1), pygame.K_s: (1, 0), pygame.K_d: (0, 1)}
DP_KEYS = {pygame.K_p: "evaluate", pygame.K_i: "improve", pygame.K_v: "value",
           pygame.K_c: "converge"}


class InputRouting:
    """Event dispatch and keyboard shortcuts.

    Args:
        quit: the window's close button, once unsaved edits are dealt with.
        resize: the window changed size.
        screenshot: F12.
        command: the app's command handler (shortcuts that a panel button also sends).
    """

    def __init__(self, manager: pygame_gui.UIManager, dialogs: Dialogs, controls: Controls,
                 board: Board, editor: Editor, files: LevelFlow, training: TrainingControl,
                 worlds: WorldFlow, status: StatusBar, *, quit: Callable[[], None],
                 resize: Callable[[tuple[int, int]], None],
                 screenshot: Callable[[], object],
                 command: Callable[[Command], None]) -> None:
        self.manager = manager
        self.status = status
        self.dialogs = dialogs
        self.controls = controls
        self.board = board
        self.editor = editor
        self.files = files
        self.training = training
        self.worlds = worlds
        self.status = status
        self.quit = quit
        self.resize = resize
        self.screenshot = screenshot
        self.command = command

    def process_event(self, event: pygame.event.Event) -> None:
        """Give ``event`` to the one part that should act on it."""
        if event.type == pygame.QUIT:
            self.files.request_close(self.quit)
            return
        if event.type == pygame.VIDEORESIZE:
            self.resize(event.size)
            return
        if event.type == pygame.USEREVENT and hasattr(event, "user_type"):
            return  # pygame_gui's old-style duplicate of a widget event
        if self._app_key(event):
            return
        consumed = self.manager.process_events(event)
        if self.dialogs.process_event(event) or self.controls.process_event(event):
            return
        if event.type >= pygame.USEREVENT:
            return
        modal = self.dialogs.modal_open() or self.worlds.picker_open()
        if event.type == pygame.KEYDOWN and not consumed:
            if event.key == pygame.K_ESCAPE and self.dialogs.close_top():
                return
            if modal or self._text_focused():
                return
            if self._shortcut(event):
                self.controls.close_menus()  # a list left open would cover Play and the rest
                return
        if consumed or modal:
            if event.type == pygame.MOUSEMOTION:
                self.board.clear_hover()
            return
        self.board.process_event(event)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION,
                          pygame.KEYDOWN):
            was_tool = self.editor.tool
            used = self.editor.process_event(event, self.board)
            if used and self.editor.drawing and self.training.playing:
                self.training.pause("Training paused while you edit")
            if self.editor.tool is not was_tool:
                self.controls.show_tool(self.editor.tool.key)

    def _app_key(self, event: pygame.event.Event) -> bool:
        """A shortcut key acts on the app whatever widget was clicked last (a focused check box
        would otherwise take Space); only a text entry being typed in keeps its keys."""
        if event.type != pygame.KEYDOWN or self._text_focused() or event.key == pygame.K_ESCAPE:
            return False
        if self.dialogs.modal_open() or self.worlds.picker_open():
            return False
        if self._shortcut(event):
            self.controls.close_menus()  # a list left open would cover Play and the rest
            return True
        return False

    def _text_focused(self) -> bool:
        return any(isinstance(e, UITextEntryLine | UITextEntryBox) and e.is_focused
                   for e in self.manager.get_focus_set() or ())

    def _shortcut(self, event: pygame.event.Event) -> bool:
        """A keyboard shortcut; True when ``event`` was one. Keys that a panel widget also has
        send that widget's command, so both take one path."""
        key, mod = event.key, event.mod
        if mod & (pygame.KMOD_CTRL | pygame.KMOD_META):
            return self._ctrl_shortcut(key, bool(mod & pygame.KMOD_SHIFT))
        if mod & pygame.KMOD_ALT:
            return False
        training = self.training
        if key in ARROWS and training.drive:
            training.drive_step(ARROWS[key])
            return True
        command = self._command_for(key)
        if command is not None:
            self.command(command)
            return True
        plain: dict[int, Callable[[], object]] = {
            pygame.K_RIGHT: training.step_once,
            pygame.K_F1: self.dialogs.toggle_help,
            pygame.K_F12: self.screenshot,
            **{k: lambda d=d: training.drive_step(d) for k, d in WASD.items()},
        }
        handler = plain.get(key)
        if handler is None:
            return False
        handler()
        return True

    def _command_for(self, key: int) -> Command | None:
        """The command a plain key stands for (None: not one of those keys)."""
        training = self.training
        if key == pygame.K_SPACE:
            return Play(not training.playing)
        if key == pygame.K_m:
            return Drive(not training.drive)
        if key == pygame.K_t:
            return Watch(not training.watching)
        simple = {pygame.K_n: Step(), pygame.K_r: ResetLearning(), pygame.K_g: GreedyRun(),
                  pygame.K_e: OpenEnvPicker(), pygame.K_l: OpenLevelSettings()}
        if key in simple:
            return simple[key]
        if self.controls.state.board and key in DP_KEYS:  # dynamic programming on the model
            return DynamicProgrammingStep(DP_KEYS[key])
        return None

    def _ctrl_shortcut(self, key: int, shift: bool) -> bool:
        """Ctrl+S / Ctrl+Shift+S / Ctrl+O / Ctrl+N; Ctrl+Z and Ctrl+Y are the editor's."""
        if self.worlds.world is not None and key in (pygame.K_s, pygame.K_z, pygame.K_y):
            self.status.notify("A Gymnasium env is not editable: open a level to edit and save "
                               "it (Save agent keeps what was learnt)", "info")
            return True
        if key == pygame.K_s:
            self.files.save(save_as=shift)
        elif key == pygame.K_o:
            self.command(OpenLevel())
        elif key == pygame.K_n:
            self.command(NewLevel(self.controls.size()))
        else:
            return False
        return True
