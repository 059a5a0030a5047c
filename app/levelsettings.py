"""The level settings window: name, step limit, slippery and every reward, edited in the app.

One row per :data:`levels.settings.SPECS` entry (the level file's keys, with their ranges and
help), so the window accepts exactly what a level file accepts. Apply (or Enter in any field)
checks every field first: a bad one is named in the window's last line and nothing changes;
otherwise the new settings go to ``on_apply`` as one edit (undoable, saved with the level).
The window follows the level while it is open (undo, redo, another level).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygame
import pygame_gui
from pygame_gui.elements import UIButton, UICheckBox, UILabel, UITextEntryLine, UIWindow

from app.cellnumbers import short_number
from levels.level import Level, LevelError
from levels.settings import SPECS, get_setting

ROW_H = 30
LABEL_W = 120
WIDTH = 380

ApplySettings = Callable[[dict[str, Any]], None]


def _shown(value: object) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value)


class LevelSettingsWindow(UIWindow):
    """The settings of one level; ``on_apply`` receives every setting's (checked) value."""

    def __init__(self, manager: pygame_gui.UIManager, rect: pygame.Rect, level: Level,
                 on_apply: ApplySettings) -> None:
        super().__init__(rect, manager, window_display_title="Level settings",
                         object_id="#level_settings", resizable=False)
        self.on_apply = on_apply
        self.entries: dict[str, UITextEntryLine] = {}
        self.slippery: UICheckBox | None = None
        y = 6
        for spec in SPECS:
            tip = spec.help + (f" ({spec.lo:g} to {spec.hi:g})" if spec.lo is not None else "")
            label = UILabel(pygame.Rect(8, y, LABEL_W, ROW_H - 4), spec.label, manager,
                            container=self)
            label.set_tooltip(f"{spec.key}: {tip}")
            if spec.kind is bool:
                self.slippery = UICheckBox(pygame.Rect(LABEL_W + 16, y + 4, 20, 20), "",
                                           manager, container=self, tool_tip_text=tip)
            else:
                entry = UITextEntryLine(pygame.Rect(LABEL_W + 14, y, WIDTH - LABEL_W - 52,
                                                    ROW_H - 4), manager, container=self)
                entry.set_tooltip(f"{spec.key}: {tip}")
                self.entries[spec.key] = entry
            y += ROW_H
        self.message = UILabel(pygame.Rect(8, y, WIDTH - 44, 24), "", manager, container=self,
                               object_id=pygame_gui.core.ObjectID(class_id="@setting_error"))
        y += 28
        self.apply_button = UIButton(pygame.Rect(WIDTH - 200, y, 80, 30), "Apply", manager,
                                     container=self, tool_tip_text="Use these settings now "
                                     "(Enter in any field does the same; Ctrl+Z undoes)")
        self.close_button = UIButton(pygame.Rect(WIDTH - 112, y, 80, 30), "Close", manager,
                                     container=self)
        self.level: Level | None = None
        self.show(level)

    @staticmethod
    def height() -> int:
        return len(SPECS) * ROW_H + 6 + 28 + 30 + 50

    def show(self, level: Level) -> None:
        """Fill the fields from ``level`` (unless it is the one already shown)."""
        if level is self.level:
            return
        self.level = level
        for key, entry in self.entries.items():
            if not entry.is_focused:
                entry.set_text(_shown(get_setting(level, key)))
        if self.slippery is not None and self.slippery.get_state() != level.slippery:
            self.slippery.set_state(level.slippery)

    def read(self) -> dict[str, Any]:
        """Every field's value, checked; LevelError naming the first bad one."""
        values: dict[str, Any] = {}
        for spec in SPECS:
            if spec.kind is bool:
                values[spec.key] = bool(self.slippery.get_state()) if self.slippery else False
                continue
            try:
                values[spec.key] = spec.parse(self.entries[spec.key].get_text())
            except LevelError as exc:
                raise LevelError(f"{spec.label}: {exc.message}") from None
        return values

    def apply(self) -> bool:
        """Check every field and hand the values on; False (and a message) when one is bad."""
        try:
            values = self.read()
        except LevelError as exc:
            self.message.set_text(exc.message)
            return False
        self.message.set_text("")
        self.on_apply(values)
        return True

    def handle(self, event: pygame.event.Event) -> bool:
        """This window's widget events (routed by :class:`app.dialogs.Dialogs`)."""
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.apply_button:
            self.apply()
            return True
        if event.type == pygame_gui.UI_BUTTON_PRESSED and event.ui_element is self.close_button:
            self.kill()
            return True
        if (event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED
                and event.ui_element in self.entries.values()):
            self.apply()
            return True
        return False


def describe_changes(old: Level, new: Level, keys: list[str]) -> str:
    """``max_steps 5 → 256, reward.goal 1 → 2`` for the status bar."""
    parts = []
    for key in keys:
        a, b = get_setting(old, key), get_setting(new, key)
        fa = short_number(a) if isinstance(a, float) else str(a)
        fb = short_number(b) if isinstance(b, float) else str(b)
        parts.append(f"{key} {fa} \u2192 {fb}")
    return ", ".join(parts)
