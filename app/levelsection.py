"""The panel's level section: which level or env is open, the size entries and the file buttons.

The size entries ("Size 7 x 9") show the shape of the level on screen and follow it when a level
loads, is resized, generated or made new (:meth:`LevelSection.show_size`); what the user types
there is what New, Generate and Resize use. Enter in an entry gives the keyboard back to the
shortcuts.
"""

from __future__ import annotations

from collections.abc import Callable

import pygame
from pygame_gui.elements import UIButton, UIDropDownMenu, UILabel, UITextEntryLine

from app.commands import (
    ChooseLevel,
    CommandSink,
    GenerateLevel,
    NewLevel,
    OpenEnvPicker,
    OpenLevel,
    OpenLevelSettings,
    ResizeLevel,
    SaveLevel,
)
from app.panelbase import GAP, HEADING, MARGIN, ROW, PanelKit, PanelState

ENV_BUTTON_W = 80
SIZE_W = 42 + 54 + 18 + 54  # "Size", rows, "x", columns: a level's size is typed here
COMPACT_SIZE_W = 38 + 18 + 38  # an env's size, shown only


class LevelSection:
    """Level drop-down, env button, size entries and New / Open / Save / Generate / Resize.

    Args:
        kit: the panel's container and handler table.
        state: what the panel shows (read only).
        emit: where the section's commands go.
        size: reads the entries (and remembers them) for New, Generate and Resize.
    """

    def __init__(self, kit: PanelKit, state: PanelState, emit: CommandSink,
                 size: Callable[[], tuple[int, int]]) -> None:
        self.kit = kit
        self.state = state
        self.emit = emit
        self.size = size
        self.level_menu: UIDropDownMenu | None = None
        self.env_button: UIButton | None = None
        self.rows_entry: UITextEntryLine | None = None
        self.cols_entry: UITextEntryLine | None = None
        self.file_buttons: dict[str, UIButton] = {}
        self.settings_button: UIButton | None = None
        self._level_menu_rect = pygame.Rect(0, 0, 0, 0)

    def build(self, y: int) -> int:
        kit, s = self.kit, self.state
        top, y = y, kit.heading(y, "LEVEL OR ENVIRONMENT")
        self.settings_button = kit.button(
            pygame.Rect(MARGIN + kit.inner_width - 150, top, 150, HEADING + 2),
            "Level settings\u2026 (L)",
            "Name, step limit, slippery ice and every reward of this level (L)",
            lambda: self.emit(OpenLevelSettings()))
        # A grid env's size is only shown (greyed out, narrower, without "Size"), so its name
        # ("FrozenLake-v1 \u00b7 not slippery") gets the room; a world without a grid
        # (CartPole) has no size at all, and no entries.
        size_w = SIZE_W if s.editable else COMPACT_SIZE_W if s.board else 0
        menu_w = kit.inner_width - ENV_BUTTON_W - 4 - (size_w + 4 if size_w else 0)
        self._level_menu_rect = pygame.Rect(MARGIN, y, menu_w, ROW)
        self._make_level_menu()
        self.env_button = kit.button(
            pygame.Rect(MARGIN + menu_w + 4, y, ENV_BUTTON_W, ROW), "Env… (E)",
            "Open a Gymnasium environment (FrozenLake, Taxi, CliffWalking, CartPole, ...) or "
            "type any installed id (E)", lambda: self.emit(OpenEnvPicker()))
        self.rows_entry = self.cols_entry = None
        if s.editable or s.board:
            self._build_size_entries(y, MARGIN + kit.inner_width - size_w, s.editable)
        y += ROW + GAP
        cells = kit.row(y, 5)
        self.file_buttons = {
            "new": kit.button(cells[0], "New", "Blank level of the size above (Ctrl+N)",
                              lambda: self.emit(NewLevel(self.size()))),
            "open": kit.button(cells[1], "Open", "Open a level file (Ctrl+O)",
                               lambda: self.emit(OpenLevel())),
            "save": kit.button(cells[2], "Save", "Save the level to its file (Ctrl+S); "
                               "Ctrl+Shift+S saves under a new name",
                               lambda: self.emit(SaveLevel())),
            "generate": kit.button(cells[3], "Generate",
                                   "A random maze of the size above, always solvable",
                                   lambda: self.emit(GenerateLevel(self.size()))),
            "resize": kit.button(cells[4], "Resize",
                                 "Resize this level to the size above (keeps what fits)",
                                 lambda: self.emit(ResizeLevel(self.size()))),
        }
        if not s.editable:  # a Gymnasium env: nothing here applies until a level is open
            for button in (*self.file_buttons.values(), self.settings_button,
                           self.rows_entry, self.cols_entry):
                if button is not None and button is not self.file_buttons["open"]:
                    button.disable()
        return y + ROW + GAP + 2

    def _build_size_entries(self, y: int, x: int, labelled: bool) -> None:
        """"Size [rows] x [cols]" from ``x`` to the panel's right edge ("Size" when
        ``labelled``, with wider entries)."""
        kit, s = self.kit, self.state
        if labelled:
            size_label = UILabel(pygame.Rect(x, y, 40, ROW), "Size", kit.manager,
                                 container=kit.container)
            size_label.set_tooltip("Rows x columns of the level; New, Generate and Resize use "
                                   "them")
            x += 42
        entry_w = 54 if labelled else 38
        self.rows_entry = self._size_entry(pygame.Rect(x, y, entry_w, ROW), s.rows, "Rows")
        UILabel(pygame.Rect(x + entry_w + 2, y, 14, ROW), "x", kit.manager,
                container=kit.container)
        self.cols_entry = self._size_entry(pygame.Rect(x + entry_w + 18, y, entry_w, ROW),
                                           s.cols, "Columns")

    def _size_entry(self, rect: pygame.Rect, value: int, what: str) -> UITextEntryLine:
        entry = UITextEntryLine(rect, self.kit.manager, container=self.kit.container,
                                initial_text=str(value))
        entry.set_allowed_characters("numbers")
        entry.set_text_length_limit(2)
        entry.set_tooltip(f"{what} for New, Generate and Resize (2 to 64)")
        self.kit.register(entry, self._on_size_entered)
        return entry

    def _make_level_menu(self) -> None:
        s = self.state
        options = list(s.level_options)
        if s.level_choice not in options:
            options.insert(0, s.level_choice)  # an opened file, a new or generated level
        self.level_menu = UIDropDownMenu(
            options,
            s.level_choice,
            self._level_menu_rect,
            self.kit.manager,
            container=self.kit.container,
            expansion_height_limit=260,
        )
        self.level_menu.set_tooltip("Bundled levels: pick one to load it (unsaved edits are "
                                    "asked about first)")
        self.kit.register(self.level_menu, self._on_level)

    # -- reading and showing -------------------------------------------------------------------
    def typed_size(self, fallback: tuple[int, int]) -> tuple[int, int]:
        """The rows x columns typed in the entries (``fallback``'s value where one is empty)."""
        def read(entry: UITextEntryLine | None, default: int) -> int:
            try:
                return int(entry.get_text()) if entry is not None else default
            except ValueError:
                return default
        return read(self.rows_entry, fallback[0]), read(self.cols_entry, fallback[1])

    def show_size(self, rows: int, cols: int) -> None:
        """Show ``rows`` x ``cols`` in the size entries."""
        for entry, value in ((self.rows_entry, rows), (self.cols_entry, cols)):
            if entry is not None and entry.alive() and entry.get_text() != str(value):
                entry.set_text(str(value))

    def show_level_choice(self) -> None:
        """Rebuild the drop-down to show ``state.level_choice`` (without loading anything)."""
        if self.level_menu is not None:
            if self.level_menu.selected_option[0] == self.state.level_choice:
                return
            self.kit.unregister(self.level_menu)
            self.level_menu.kill()
        self._make_level_menu()

    # -- event handlers ------------------------------------------------------------------------
    def _on_level(self, event: pygame.event.Event) -> None:
        self.emit(ChooseLevel(event.text))

    def _on_size_entered(self, event: pygame.event.Event) -> None:
        event.ui_element.unfocus()  # Enter gives the keyboard back to the shortcuts
        self.size()
