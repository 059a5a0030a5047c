"""The env picker: a pygame_gui window to choose a world from a list or type any env id.

The list offers :data:`app.envfactory.APP_ENVS`; picking an entry fills the text line with its
spec, which the user may edit or replace with any installed Gymnasium id, a bundled level name or
a level file. The slippery check box applies to envs with an ``is_slippery`` argument (FrozenLake,
CliffWalking) and is disabled for the rest.

Open (or Enter, or a double click on an entry) calls ``on_choose(spec)``. The callback opens the
world; if it raises a ``ValueError`` (``WorldError``, ``EnvSpecError``, ``LevelError`` are all
ValueErrors) the window stays open and shows the sentence in red, so the user can fix the id and
the app keeps its previous world. If the callback returns, the window closes. Cancel, Esc or the
title bar's close button call ``on_cancel()`` and close it.

The window handles its own widgets' events in :meth:`process_event`, which the UI manager calls
for every event: the app only feeds events to ``manager.process_events`` as usual.
"""

from __future__ import annotations

import html
from collections.abc import Callable

import pygame
import pygame_gui
from pygame_gui.core import ObjectID
from pygame_gui.elements import (
    UIButton,
    UICheckBox,
    UILabel,
    UISelectionList,
    UITextBox,
    UITextEntryLine,
    UIWindow,
)  # fmt: skip

from app import colors as C
from app.envfactory import (
    APP_ENVS,
    AppEnv,
    accepts_slippery,
    default_slippery,
    slippery_of,
    with_slippery,
)

SIZE = (500, 540)
PAD = 12
ROW = 32
ERROR_H = 60  #: room for a two-line error sentence; a longer one takes room from the list
MIN_LIST_H = 96  #: the list of envs keeps at least this height (four entries)


class EnvPicker(UIWindow):
    """A window listing the app's envs, a slippery toggle, a line for any id, Open and Cancel.

    Args:
        manager: the app's UI manager.
        on_choose: called with the chosen spec; raise ``ValueError`` to keep the window open and
            show the message, return to close it.
        on_cancel: called when the user closes the window without choosing.
        initial_spec: pre-fills the text line (the current world's spec, say).
        rect: where the window goes; centred on the screen if None.
        envs: the entries to list (default :data:`APP_ENVS`).
    """

    def __init__(self, manager: pygame_gui.UIManager, on_choose: Callable[[str], object], *,
                 on_cancel: Callable[[], object] | None = None, initial_spec: str = "",
                 rect: pygame.Rect | None = None, envs: list[AppEnv] | None = None) -> None:
        if rect is None:
            width, height = manager.window_resolution
            rect = pygame.Rect(0, 0, min(SIZE[0], width - 20), min(SIZE[1], height - 20))
            rect.center = (width // 2, height // 2)
        super().__init__(rect, manager, window_display_title="Open an environment",
                         object_id="#env_picker")
        self.on_choose = on_choose
        self.on_cancel = on_cancel
        self.envs = {entry.label: entry for entry in (APP_ENVS if envs is None else envs)}
        self.error_text = ""
        self.chosen: str | None = None
        self._slippery_env = ""  #: the env id the slippery box was last set for
        inner = self.get_container().get_rect()
        initial = next((e.label for e in self.envs.values() if e.spec == initial_spec), None)
        y = self._build_list(manager, inner, initial)
        y = self._build_entry(manager, inner, y, initial_spec)
        self._build_buttons(manager, inner, y)
        self._handlers: dict[tuple[int, object], Callable[[pygame.event.Event], None]] = {
            (pygame_gui.UI_BUTTON_PRESSED, self.open_button): lambda e: self.choose(),
            (pygame_gui.UI_BUTTON_PRESSED, self.cancel_button): lambda e: self.cancel(),
            (pygame_gui.UI_SELECTION_LIST_NEW_SELECTION, self.env_list): self._picked,
            (pygame_gui.UI_SELECTION_LIST_DOUBLE_CLICKED_SELECTION, self.env_list):
                self._double_clicked,
            (pygame_gui.UI_TEXT_ENTRY_CHANGED, self.entry): lambda e: self._text_changed(),
            (pygame_gui.UI_TEXT_ENTRY_FINISHED, self.entry): lambda e: self.choose(),
        }
        if initial is not None:
            self._select(self.envs[initial])
        else:
            self._text_changed()

    def _build_list(self, manager: pygame_gui.UIManager, inner: pygame.Rect,
                    initial: str | None) -> int:
        """The heading, the list of envs (as tall as the window allows) and the slippery
        switch; returns the y below them."""
        w = inner.width - 2 * PAD
        y = PAD
        UILabel(pygame.Rect(PAD, y, w, 24), "Environments", manager, container=self,
                object_id=ObjectID(class_id="@section_heading"))
        y += 26
        below_list = 8 + ROW + 26 + ROW + 6 + ERROR_H + 6 + ROW + PAD  # toggle .. buttons
        list_h = max(MIN_LIST_H, inner.height - y - below_list)
        self.env_list = UISelectionList(pygame.Rect(PAD, y, w, list_h), list(self.envs), manager,
                                        container=self, default_selection=initial)
        y += list_h + 8
        self.slippery = UICheckBox(pygame.Rect(PAD, y + 4, 20, 20), "Slippery ice", manager,
                                   container=self, initial_state=True,
                                   tool_tip_text="FrozenLake and CliffWalking: moves may slip "
                                                 "sideways (is_slippery)")
        return y + ROW

    def _build_entry(self, manager: pygame_gui.UIManager, inner: pygame.Rect, y: int,
                     initial_spec: str) -> int:
        """The free-text entry for any id, level name or file; returns the y below it."""
        w = inner.width - 2 * PAD
        self.entry_label = UILabel(pygame.Rect(PAD, y, w, 24),
                                   "Or type any Gymnasium id, level name or file:", manager,
                                   container=self)
        y += 26
        self.entry = UITextEntryLine(pygame.Rect(PAD, y, w, ROW), manager, container=self,
                                     initial_text=initial_spec)
        self.entry.set_tooltip("e.g. CartPole-v1, FrozenLake-v1:map_name='8x8', mouse, "
                               "levels/my_maze.txt")
        return y + ROW + 6

    def _build_buttons(self, manager: pygame_gui.UIManager, inner: pygame.Rect, y: int) -> None:
        """The error box (hidden until a spec fails) and Cancel / Open at the bottom."""
        w = inner.width - 2 * PAD
        buttons_y = inner.height - PAD - ROW
        self.error_box = UITextBox("", pygame.Rect(PAD, y, w, max(ERROR_H, buttons_y - y - 6)),
                                   manager, container=self, object_id="#env_picker_error")
        self.error_box.hide()
        self._list_h = self.env_list.relative_rect.height
        self._error_h = self.error_box.relative_rect.height
        self._raised = 0  #: how far the entry and error box moved up into the list's room
        self.cancel_button = UIButton(pygame.Rect(inner.width - PAD - 2 * 110 - 8, buttons_y,
                                                  110, ROW), "Cancel", manager, container=self,
                                      tool_tip_text="Keep the current world (Esc)")
        self.open_button = UIButton(pygame.Rect(inner.width - PAD - 110, buttons_y, 110, ROW),
                                    "Open", manager, container=self,
                                    object_id=ObjectID(class_id="@primary_button"),
                                    tool_tip_text="Open the world (Enter)")

    # -- what the user chose -------------------------------------------------------------------
    @property
    def spec(self) -> str:
        """The spec Open would pass: the text line, with the slippery choice where it applies."""
        text = self.entry.get_text().strip()
        if text and self.slippery.is_enabled and accepts_slippery(text):
            return with_slippery(text, bool(self.slippery.get_state()))
        return text

    def choose(self) -> None:
        """Open: hand the spec to ``on_choose``; close on success, show the error otherwise."""
        if not self.alive():
            return
        try:
            spec = self.spec
            if not spec:
                raise ValueError("type an environment id or pick one from the list")
            self.on_choose(spec)
        except ValueError as err:
            self.show_error(str(err))
            return
        self.chosen = spec
        self.kill()

    def cancel(self) -> None:
        """Close without choosing."""
        if not self.alive():
            return
        self.kill()
        if self.on_cancel is not None:
            self.on_cancel()

    def show_error(self, message: str) -> None:
        """Show ``message`` in red above the buttons (an empty message hides the box). A message
        longer than the box has room for takes room from the list, so it shows whole."""
        self.error_text = message
        box = self.error_box
        if message:
            colour = C.hex_color(C.ERROR)
            box.set_text(f"<font color='{colour}'>{html.escape(message)}</font>")
            chrome = box.rect.height - box.text_box_layout.view_rect.height
            self._raise_error_box(box.text_box_layout.layout_rect.height + chrome - self._error_h)
            box.show()
        else:
            box.set_text("")
            box.hide()
            self._raise_error_box(0)

    def _raise_error_box(self, pixels: int) -> None:
        """Grow the error box upwards by ``pixels`` (the entry moves up, the list shrinks, down to
        :data:`MIN_LIST_H`; a text taller than that scrolls in the box)."""
        raised = min(max(pixels, 0), max(self._list_h - MIN_LIST_H, 0))
        if raised == self._raised:
            return
        shift, self._raised = raised - self._raised, raised
        self.env_list.set_dimensions((self.env_list.relative_rect.width, self._list_h - raised))
        box = self.error_box
        for widget in (self.slippery, self.entry_label, self.entry, box):
            x, y = widget.relative_rect.topleft
            widget.set_relative_position((x, y - shift))
        box.set_dimensions((box.relative_rect.width, self._error_h + raised))
        box.rebuild()  # lays the text out again for the new height (no scroll bar if it fits)

    # -- events --------------------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        """Window behaviour (drag, close) plus this window's widget events and Esc."""
        consumed = super().process_event(event)
        handler = self._handlers.get((event.type, getattr(event, "ui_element", None)))
        if handler is not None:
            handler(event)
            return True
        if (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE and self.alive()
                and self.window_stack is not None and self.window_stack.is_window_at_top(self)):
            self.cancel()
            return True
        return consumed

    def on_close_window_button_pressed(self) -> None:
        self.cancel()

    def _picked(self, event: pygame.event.Event) -> None:
        entry = self.envs.get(event.text)
        if entry is not None:
            self._select(entry)

    def _double_clicked(self, event: pygame.event.Event) -> None:
        self._picked(event)
        self.choose()

    def _select(self, entry: AppEnv) -> None:
        self.entry.set_text(entry.spec)
        self._text_changed()
        if entry.slippery is not None:
            self.slippery.set_state(entry.slippery)

    def _text_changed(self) -> None:
        """Enable the slippery box only where it means something. It follows a typed
        is_slippery, and starts at the env's own default whenever the text names another env, so
        one entry's choice never carries over to the next."""
        text = self.entry.get_text().strip()
        env_id = text.partition(":")[0].strip()
        if accepts_slippery(text):
            self.slippery.enable()
            wanted = slippery_of(text)
            if wanted is None and env_id != self._slippery_env:
                wanted = default_slippery(env_id)
            if wanted is not None and wanted != self.slippery.get_state():
                self.slippery.set_state(wanted)
            self._slippery_env = env_id
        else:
            self.slippery.disable()
            self._slippery_env = ""
        self.show_error("")
