"""The panel's paint tools: one button per editing tool (keys 1-9 and 0), coloured like its tile.

Only a level has them (a Gymnasium env's map is not editable). The buttons only choose the tool;
painting itself is :class:`app.editor.Editor`'s business.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame
import pygame_gui
from pygame_gui.elements import UIButton

from app.commands import ChooseTool, CommandSink
from app.panelbase import MARGIN, PanelKit, PanelState, show_selected

TOOL_H = 26
TOOL_GAP = 5
TOOLS_PER_ROW = 5  # 10 tools: two rows of five
TOOL_PAD = 2 * 4 + 2 * 2  # a tool button's text padding and border, both sides (app.startup)


class ToolPalette:
    """The PAINT section: ``tools`` are ``(key, label, tooltip)`` in key order."""

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink,
                 tools: Sequence[tuple[str, str, str]]) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.tools = list(tools)
        self.tool_buttons: dict[str, UIButton] = {}

    def clear(self) -> None:
        """Forget the widgets (the panel is being rebuilt)."""
        self.tool_buttons = {}

    def build(self, y: int) -> int:
        kit = self.kit
        y = kit.heading(y, "PAINT  (keys 1-9, 0; left drag paints, right drag erases)")
        texts = [f"{key} {label}" for key, label, _tip in self.tools]
        for start in range(0, len(self.tools), TOOLS_PER_ROW):
            row = slice(start, start + TOOLS_PER_ROW)
            for (key, _label, tip), text, rect in zip(self.tools[row], texts[row],
                                                      self._fitted_row(y, texts[row]),
                                                      strict=True):
                button = UIButton(
                    rect, text, kit.manager, container=kit.container, tool_tip_text=tip,
                    object_id=pygame_gui.core.ObjectID(object_id=f"#tool_{key}",
                                                       class_id="@tool_button"),
                )
                kit.register(button, lambda _e, k=key: self.emit(ChooseTool(k)))
                self.tool_buttons[key] = button
            y += TOOL_H + TOOL_GAP
        return y + 4

    def sync(self) -> None:
        for key, button in self.tool_buttons.items():
            show_selected(button, key == self.state.tool)

    def _fitted_row(self, y: int, texts: list[str]) -> list[pygame.Rect]:
        """Cells across the panel, each as wide as its label needs (measured in the buttons'
        font) plus an equal share of the rest, so "7 Small cheese" fits beside "8 Poison"."""
        font = self.kit.manager.get_theme().get_font(["@tool_button", "button"])
        needs = [font.size(t)[0] + TOOL_PAD for t in texts]
        room = self.kit.inner_width - TOOL_GAP * (len(texts) - 1)
        share = max(room - sum(needs), 0) / len(texts)
        scale = min(1.0, room / sum(needs))
        rects, x = [], float(MARGIN)
        for need in needs:
            width = need * scale + share
            rects.append(pygame.Rect(round(x), y, round(x + width) - round(x), TOOL_H))
            x += width + TOOL_GAP
        return rects
