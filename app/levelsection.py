"""The panel's level section: which level or env is open, the size entries and the file buttons.

The size entries ("Size 7 x 9") show the shape of the level on screen and follow it when a level
loads, is resized, generated or made new (:meth:`LevelSection.show_size`); what the user types
there is what New, Generate and Resize use. Enter in an entry gives the keyboard back to the
shortcuts.
"""

from __future__ import annotations

import pygame
from pygame_gui.elements import UIButton, UIDropDownMenu, UILabel, UITextEntryLine

from app.panelbase import GAP, MARGIN, ROW, PanelBase

LEVEL_MENU_W = 142  # the drop-down; the env button and the size entries share the rest


class LevelSection(PanelBase):
    """Level drop-down, env button, size entries and New / Open / Save / Generate / Resize."""

    level_menu: UIDropDownMenu
    env_button: UIButton
    rows_entry: UITextEntryLine
    cols_entry: UITextEntryLine
    file_buttons: dict[str, UIButton]

    def _build_level(self, y: int) -> int:
        s = self.state
        y = self._heading(y, "LEVEL OR ENVIRONMENT")
        self._level_menu_rect = pygame.Rect(MARGIN, y, LEVEL_MENU_W, ROW)
        self._make_level_menu()
        self.env_button = self._button(
            pygame.Rect(MARGIN + LEVEL_MENU_W + 4, y, 80, ROW), "Env… (E)",
            "Open a Gymnasium environment (FrozenLake, Taxi, CliffWalking, CartPole, ...) or "
            "type any installed id (E)", lambda: self.on_command("env", None))
        x = MARGIN + LEVEL_MENU_W + 84 + 10
        size_label = UILabel(pygame.Rect(x, y, 40, ROW), "Size", self.manager,
                             container=self.panel)
        size_label.set_tooltip("Rows x columns of the level; New, Generate and Resize use them")
        self.rows_entry = self._size_entry(pygame.Rect(x + 42, y, 54, ROW), s.rows, "Rows")
        UILabel(pygame.Rect(x + 98, y, 24, ROW), "x", self.manager, container=self.panel)
        self.cols_entry = self._size_entry(pygame.Rect(x + 124, y, 54, ROW), s.cols, "Columns")
        y += ROW + GAP
        cells = self._row(y, 5)
        self.file_buttons = {
            "new": self._button(cells[0], "New", "Blank level of the size above (Ctrl+N)",
                                lambda: self.on_command("new", self.size())),
            "open": self._button(cells[1], "Open", "Open a level file (Ctrl+O)",
                                 lambda: self.on_command("open", None)),
            "save": self._button(cells[2], "Save", "Save the level to its file (Ctrl+S); "
                                 "Ctrl+Shift+S saves under a new name",
                                 lambda: self.on_command("save", None)),
            "generate": self._button(cells[3], "Generate",
                                     "A random maze of the size above, always solvable",
                                     lambda: self.on_command("generate", self.size())),
            "resize": self._button(cells[4], "Resize",
                                   "Resize this level to the size above (keeps what fits)",
                                   lambda: self.on_command("resize", self.size())),
        }
        if not s.editable:
            for key in ("save", "resize"):
                self.file_buttons[key].disable()
        return y + ROW + GAP + 2

    def _size_entry(self, rect: pygame.Rect, value: int, what: str) -> UITextEntryLine:
        entry = UITextEntryLine(rect, self.manager, container=self.panel, initial_text=str(value))
        entry.set_allowed_characters("numbers")
        entry.set_text_length_limit(2)
        entry.set_tooltip(f"{what} for New, Generate and Resize (2 to 64)")
        self._handlers[entry] = self._on_size_entered
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
            self.manager,
            container=self.panel,
            expansion_height_limit=260,
        )
        self.level_menu.set_tooltip("Bundled levels: pick one to load it (unsaved edits are "
                                    "asked about first)")
        self._handlers[self.level_menu] = self._on_level

    # -- reading and showing -------------------------------------------------------------------
    def size(self) -> tuple[int, int]:
        """The rows x columns typed in the entries (the last good value where one is empty)."""
        def read(entry: UITextEntryLine, fallback: int) -> int:
            try:
                return int(entry.get_text())
            except ValueError:
                return fallback
        self.state.rows = read(self.rows_entry, self.state.rows)
        self.state.cols = read(self.cols_entry, self.state.cols)
        return self.state.rows, self.state.cols

    def show_size(self, rows: int, cols: int) -> None:
        """Show the shape of the level on screen in the size entries (it changed)."""
        self.state.rows, self.state.cols = int(rows), int(cols)
        for entry, value in ((self.rows_entry, rows), (self.cols_entry, cols)):
            if entry.alive() and entry.get_text() != str(value):
                entry.set_text(str(value))

    def set_level_choice(self, name: str) -> None:
        """Show ``name`` in the level drop-down (without loading anything)."""
        if name == self.state.level_choice and self.level_menu.selected_option[0] == name:
            return
        self.state.level_choice = name
        self._handlers.pop(self.level_menu, None)
        self.level_menu.kill()
        self._make_level_menu()

    # -- event handlers ------------------------------------------------------------------------
    def _on_level(self, event: pygame.event.Event) -> None:
        self.on_command("level", event.text)

    def _on_size_entered(self, event: pygame.event.Event) -> None:
        event.ui_element.unfocus()  # Enter gives the keyboard back to the shortcuts
        self.size()
