"""Input routing: every pygame event to the one component that should act on it.

:class:`InputRouting` owns no state of its own: it is handed the parts events go to. Events go to
the pygame_gui manager first, then to the dialogs and the side panel (widget events), then, if
nobody consumed them, to the keyboard shortcuts, the board and the editor. While a dialog or the
env picker is open, shortcuts are off; while a Gymnasium env is shown, nothing is painted (its map
is not editable).
"""

from __future__ import annotations

from collections.abc import Callable

import pygame
import pygame_gui

from app.board import Board
from app.commands import Command, DynamicProgrammingStep
from app.controls import Controls
from app.dialogs import Dialogs
from app.editor import Editor
from app.levelflow import LevelFlow
from app.training import TrainingControl
from app.worldflow import WorldFlow


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
                 worlds: WorldFlow, *, quit: Callable[[], None],
                 resize: Callable[[tuple[int, int]], None],
                 screenshot: Callable[[], object],
                 command: Callable[[Command], None]) -> None:
        self.manager = manager
        self.dialogs = dialogs
        self.controls = controls
        self.board = board
        self.editor = editor
        self.files = files
        self.training = training
        self.worlds = worlds
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

    def _text_focused(self) -> bool:
        entries = (self.controls.rows_entry, self.controls.cols_entry)
        return any(e is not None and e.is_focused for e in entries)

    def _shortcut(self, event: pygame.event.Event) -> bool:
        key, mod = event.key, event.mod
        ctrl = bool(mod & (pygame.KMOD_CTRL | pygame.KMOD_META))
        if ctrl and self.worlds.world is not None and key in (pygame.K_s, pygame.K_z, pygame.K_y):
            self.status.notify("A Gymnasium env is not editable: open a level to edit and save "
                               "it (Save agent keeps what was learnt)", "info")
            return True
        if ctrl:
            if key == pygame.K_s:
                self.files.save(save_as=bool(mod & pygame.KMOD_SHIFT))
            elif key == pygame.K_o:
                self.files.open_dialog()
            elif key == pygame.K_n:
                self.files.new(self.controls.size())
            else:
                return False  # Ctrl+Z / Ctrl+Y go to the editor
            return True
        if mod & pygame.KMOD_ALT:
            return False
        training = self.training
        plain: dict[int, Callable[[], object]] = {
            pygame.K_SPACE: lambda: training.play(not training.playing),
            pygame.K_n: training.step_once,
            pygame.K_r: training.reset_learning,
            pygame.K_g: training.toggle_demo,
            pygame.K_m: lambda: training.set_drive(not training.drive),
            pygame.K_F1: self.dialogs.toggle_help,
            pygame.K_F12: self.screenshot,
            pygame.K_e: self.worlds.open_env_picker,
            pygame.K_w: lambda: training.drive_step((-1, 0)),
            pygame.K_a: lambda: training.drive_step((0, -1)),
            pygame.K_s: lambda: training.drive_step((1, 0)),
            pygame.K_d: lambda: training.drive_step((0, 1)),
        }
        if self.controls.state.board:  # dynamic programming on the world's model
            for key_code, kind in ((pygame.K_p, "evaluate"), (pygame.K_i, "improve"),
                                   (pygame.K_v, "value"), (pygame.K_c, "converge")):
                plain[key_code] = lambda k=kind: self.command(DynamicProgrammingStep(k))
        arrows = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1),
                  pygame.K_RIGHT: (0, 1)}
        if key in arrows and training.drive:
            training.drive_step(arrows[key])
            return True
        if key == pygame.K_RIGHT:
            training.step_once()
            return True
        handler = plain.get(key)
        if handler is None:
            return False
        handler()
        return True
