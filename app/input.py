"""Input routing: every pygame event to the one component that should act on it.

A mixin of :class:`app.app.App`. Events go to the pygame_gui manager first, then to the dialogs and
the side panel (widget events), then, if nobody consumed them, to the keyboard shortcuts, the
board and the editor. While a dialog or the env picker is open, shortcuts are off; while a
Gymnasium env is shown, nothing is painted (its map is not editable).
"""

from __future__ import annotations

from typing import Any

import pygame


class InputRouting:
    """Event dispatch, keyboard shortcuts and the panel's commands."""

    session: Any
    state: Any

    # ==== events ==================================================================================
    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.files.request_close(self._quit)
            return
        if event.type == pygame.VIDEORESIZE:
            self._resize(event.size)
            return
        if event.type == pygame.USEREVENT and hasattr(event, "user_type"):
            return  # pygame_gui's old-style duplicate of a widget event
        consumed = self.manager.process_events(event)
        if self.dialogs.process_event(event) or self.controls.process_event(event):
            return
        if event.type >= pygame.USEREVENT:
            return
        modal = self.dialogs.modal_open() or self.picker_open()
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
                self.board.hover = None
            return
        self.board.process_event(event)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION,
                          pygame.KEYDOWN):
            was_tool = self.editor.tool
            used = self.editor.process_event(event, self.board)
            if used and self.editor.drawing and self.playing:
                self._pause("Training paused while you edit")
            if self.editor.tool is not was_tool:
                self.state.tool = self.editor.tool.key
                self.controls.sync()

    def _text_focused(self) -> bool:
        return any(e.is_focused for e in (self.controls.rows_entry, self.controls.cols_entry))

    def _shortcut(self, event: pygame.event.Event) -> bool:
        key, mod = event.key, event.mod
        ctrl = bool(mod & (pygame.KMOD_CTRL | pygame.KMOD_META))
        if ctrl and self.world is not None and key in (pygame.K_s, pygame.K_z, pygame.K_y):
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
        plain = {
            pygame.K_SPACE: lambda: self._cmd_play(not self.playing),
            pygame.K_n: self.step_once,
            pygame.K_r: self.reset_learning,
            pygame.K_g: self.toggle_demo,
            pygame.K_m: lambda: self._cmd_drive(not self.drive),
            pygame.K_F1: self.dialogs.toggle_help,
            pygame.K_F12: self.screenshot,
            pygame.K_e: self.open_env_picker,
            pygame.K_w: lambda: self.drive_step((-1, 0)),
            pygame.K_a: lambda: self.drive_step((0, -1)),
            pygame.K_s: lambda: self.drive_step((1, 0)),
            pygame.K_d: lambda: self.drive_step((0, 1)),
        }
        arrows = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1),
                  pygame.K_RIGHT: (0, 1)}
        if key in arrows and self.drive:
            self.drive_step(arrows[key])
            return True
        if key == pygame.K_RIGHT:
            self.step_once()
            return True
        handler = plain.get(key)
        if handler is None:
            return False
        handler()
        return True

    def _command(self, name: str, value: Any) -> None:
        """A widget asked for something (see ``Controls``)."""
        self._commands[name](value)

    def _cmd_level(self, name: str) -> None:
        """The level drop-down: a level replaces a Gymnasium env even if it is the same one."""
        if self.world is not None and name == self.files.level_label and \
                self.files.level_path is None:
            self.files.ask_unsaved(lambda: self.files.open_level(name))
            return
        if self.world is not None and name == self.world.title:
            return
        self.files.choose(name)

    def _quit(self) -> None:
        self.running = False
