"""The side panel: every pygame_gui widget of the app, and the commands they stand for.

The panel never touches the session or the level. It turns widget events into named commands
(``"play"``, ``("hyper", ("alpha", 0.3))``, ...) handed to one callback, and the app decides what
they mean. Widget events dispatch through a ``{widget: handler}`` table, not an if-chain. The
slider ranges and tooltips come from the hyperparameter dataclass's field metadata
(``agents.config.TabularConfig``; a DQN's section is built by :mod:`app.dqncontrols` from
``DQNConfig``), so the app refuses exactly what the CLI refuses.

What the panel holds depends on the world and the agent (``PanelState``): paint tools only for a
level (Gymnasium envs are not editable), overlay switches only where there is a board, the DQN's
knobs instead of the tabular ones. :meth:`Controls.rebuild` builds the widgets again when one of
those changes; the state survives. The panel has a fixed width; on window resize it only moves
and stretches (cheap), and the chart area below it grows or shrinks.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pygame
import pygame_gui
from pygame_gui.elements import (
    UIButton,
    UICheckBox,
    UIDropDownMenu,
    UIHorizontalSlider,
    UILabel,
    UIPanel,
    UITextEntryLine,
)

from agents.config import TabularConfig, field_help, field_range
from app.scales import (  # noqa: F401  (re-exported: the panel's scales live in app.scales)
    DECAY_HI,
    DECAY_LO,
    DECAY_POSITIONS,
    SPEED_MAX_FINITE,
    SPEED_POSITIONS,
    decay_from_position,
    format_number,
    position_from_decay,
    position_from_speed,
    speed_from_position,
    speed_label,
)

PANEL_WIDTH = 440
MARGIN = 12
ROW = 28
GAP = 6
HEADING = 20

AGENTS: tuple[tuple[str, str], ...] = (
    ("Q-learning", "q-learning"),
    ("SARSA", "sarsa"),
    ("Expected SARSA", "expected-sarsa"),
    ("DQN", "dqn"),
)
COMPARE_OFF = "compare: off"

OVERLAYS: tuple[tuple[str, str, str], ...] = (
    ("arrows", "Q arrows", "Four arrows per cell: length and colour show each action's Q-value"),
    ("heatmap", "Heat map", "State value V(s) = max over actions of Q(s, a), as a colour"),
    ("policy", "Policy", "The greedy action in each cell (what the agent would do now)"),
    ("visits", "Visits", "How often the agent has been in each cell"),
    ("optimal", "Optimal", "The exact optimal policy from value iteration, for comparison"),
    ("trail", "Trail", "The path of the last finished episode"),
)


@dataclass(frozen=True)
class SliderSpec:
    """One hyperparameter slider: which field, how it is labelled, and its scale."""

    name: str
    label: str
    log_decay: bool = False  # True: the epsilon-decay log scale with 0 at the left end


TABULAR_SLIDERS: tuple[SliderSpec, ...] = (
    SliderSpec("alpha", "alpha \u03b1"),
    SliderSpec("gamma", "gamma \u03b3"),
    SliderSpec("epsilon", "\u03b5 start"),
    SliderSpec("epsilon_decay", "\u03b5 decay", log_decay=True),
)


@dataclass
class PanelState:
    """What the panel shows; survives a rebuild of the widgets."""

    level_options: list[str] = field(default_factory=list)
    level_choice: str = "mouse"
    agent_kind: str = "q-learning"
    hyper: dict[str, float] = field(default_factory=dict)
    speed: float | None = 5.0
    overlays: dict[str, bool] = field(
        default_factory=lambda: {
            "arrows": True,
            "heatmap": True,
            "policy": False,
            "visits": False,
            "optimal": False,
            "trail": True,
        }
    )
    tool: str = ""
    rows: int = 12
    cols: int = 12
    playing: bool = False
    drive: bool = False
    demo: bool = False
    # issue 6: the world and agent shape the panel
    agent_options: tuple[str, ...] = tuple(kind for _label, kind in AGENTS)
    editable: bool = True  # a level (paint tools) rather than a Gymnasium env
    board: bool = True  # a board to draw overlays on (not CartPole & co.)
    compare_kind: str | None = None  # the second agent of compare mode
    dqn: dict[str, Any] = field(default_factory=dict)  # the DQN section's values


Command = Callable[[str, Any], None]


class Controls:
    """The right-hand panel of widgets; reports user intent through ``on_command(name, value)``.

    Args:
        manager: the app's UIManager.
        rect: where the panel goes (fixed width, full height above the status bar).
        state: the values to show; updated in place as the user moves widgets.
        tools: ``(key, label, tooltip)`` per editing tool, in key order 1-9.
        on_command: called with a command name and its value.
        config_cls: the hyperparameter dataclass the sliders are built from.
    """

    def __init__(
        self,
        manager: pygame_gui.UIManager,
        rect: pygame.Rect,
        state: PanelState,
        tools: Sequence[tuple[str, str, str]],
        on_command: Command,
        config_cls: type = TabularConfig,
    ) -> None:
        self.manager = manager
        self.state = state
        self.tools = list(tools)
        self.on_command = on_command
        self.config_cls = config_cls
        self.rect = pygame.Rect(rect)
        self._handlers: dict[Any, Callable[[pygame.event.Event], None]] = {}
        self.sliders: dict[str, UIHorizontalSlider] = {}
        self.value_labels: dict[str, UILabel] = {}
        self.tool_buttons: dict[str, UIButton] = {}
        self.overlay_boxes: dict[str, UICheckBox] = {}
        self.training_widgets: list[Any] = []
        self.dqn_section: Any = None
        self.panel = UIPanel(self.rect, manager=manager, object_id="#side_panel")
        self._build()

    def rebuild(self) -> None:
        """Build every widget again from ``self.state`` (world or agent kind changed)."""
        for table in (self._handlers, self.sliders, self.value_labels, self.tool_buttons,
                      self.overlay_boxes):
            table.clear()
        self.dqn_section = None
        self.panel.kill()
        self.panel = UIPanel(self.rect, manager=self.manager, object_id="#side_panel")
        self._build()

    # -- layout --------------------------------------------------------------------------------
    @property
    def inner_width(self) -> int:
        return PANEL_WIDTH - 2 * MARGIN

    def _heading(self, y: int, text: str) -> int:
        UILabel(
            pygame.Rect(MARGIN, y, self.inner_width, HEADING),
            text,
            self.manager,
            container=self.panel,
            object_id=pygame_gui.core.ObjectID(class_id="@section_heading"),
        )
        return y + HEADING + 2

    def _button(
        self, rect: pygame.Rect, text: str, tip: str, handler: Callable[[], None], cls: str = ""
    ) -> UIButton:
        button = UIButton(
            rect,
            text,
            self.manager,
            container=self.panel,
            tool_tip_text=tip,
            object_id=pygame_gui.core.ObjectID(class_id=cls) if cls else None,
        )
        self._handlers[button] = lambda _e: handler()
        return button

    def _row(self, y: int, count: int, height: int = ROW) -> list[pygame.Rect]:
        width = (self.inner_width - GAP * (count - 1)) / count
        return [
            pygame.Rect(round(MARGIN + i * (width + GAP)), y, round(width), height)
            for i in range(count)
        ]

    def _build(self) -> None:
        s = self.state
        y = 10
        # Level ------------------------------------------------------------------------------
        y = self._heading(y, "LEVEL OR ENVIRONMENT")
        self._level_menu_rect = pygame.Rect(MARGIN, y, self.inner_width - 190 - 84, ROW)
        self._make_level_menu()
        self.env_button = self._button(
            pygame.Rect(MARGIN + self._level_menu_rect.width + 4, y, 80, ROW), "Env… (E)",
            "Open a Gymnasium environment (FrozenLake, Taxi, CliffWalking, CartPole, ...) or "
            "type any installed id (E)", lambda: self.on_command("env", None))
        x = MARGIN + self._level_menu_rect.width + 84 + 10
        size_label = UILabel(pygame.Rect(x, y, 40, ROW), "Size", self.manager,
                             container=self.panel)
        size_label.set_tooltip("Rows x columns used by New, Generate and Resize")
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
        y += ROW + GAP + 2
        if s.editable:
            y = self._tools(y)
        y = self._agent(y)
        if s.agent_kind == "dqn":
            from app.dqncontrols import DQNSection

            self.dqn_section = DQNSection(self)
            y = self.dqn_section.build(y)
        else:
            y = self.build_sliders(y, self.config_cls, TABULAR_SLIDERS)
        y = self._speed_slider(y)
        y += 4
        if s.board:
            y = self._overlays(y)
        self.content_height = y
        if not s.editable:
            for key in ("save", "resize"):
                self.file_buttons[key].disable()
        self.sync()

    def _tools(self, y: int) -> int:
        y = self._heading(y, "PAINT  (keys 1-9; left drag paints, right drag erases)")
        per_row = 3
        for i, (key, label, tip) in enumerate(self.tools):
            cells = self._row(y + (i // per_row) * (26 + 5), per_row, 26)
            button = UIButton(
                cells[i % per_row],
                f"{i + 1}  {label}",
                self.manager,
                container=self.panel,
                tool_tip_text=tip,
                object_id=pygame_gui.core.ObjectID(object_id=f"#tool_{key}",
                                                   class_id="@tool_button"),
            )
            self._handlers[button] = lambda _e, k=key: self.on_command("tool", k)
            self.tool_buttons[key] = button
        rows_of_tools = max(1, math.ceil(len(self.tools) / per_row))
        return y + rows_of_tools * (26 + 5) + 4

    def _agent(self, y: int) -> int:
        s = self.state
        y = self._heading(y, "AGENT")
        offered = [(label, kind) for label, kind in AGENTS if kind in s.agent_options]
        current = next((lbl for lbl, kind in offered if kind == s.agent_kind), offered[0][0])
        self.agent_menu = UIDropDownMenu(
            offered,
            (current, s.agent_kind),
            pygame.Rect(MARGIN, y, 170, ROW),
            self.manager,
            container=self.panel,
        )
        self.agent_menu.set_tooltip(
            "Q-learning bootstraps from the best next action (off-policy); SARSA from the action "
            "it takes next; Expected SARSA from the average under its epsilon-greedy policy; "
            "DQN learns a neural network (PyTorch) instead of a table"
        )
        self._handlers[self.agent_menu] = self._on_agent
        x = MARGIN + 170 + GAP
        width = (self.inner_width - 170 - GAP) // 2 - GAP // 2
        self.drive_button = self._button(
            pygame.Rect(x, y, width, ROW), "Drive (M)",
            "Drive mode: arrow keys move the agent by hand and it learns from your moves "
            "(W A S D work at any time)", lambda: self.on_command("drive", not self.state.drive))
        self.greedy_button = self._button(
            pygame.Rect(x + width + GAP, y, width, ROW), "Greedy (G)",
            "Watch a greedy run: no exploration, no learning, at a watchable speed",
            lambda: self.on_command("greedy", None))
        y += ROW + GAP
        cells = self._row(y, 3, 32)
        self.play_button = self._button(cells[0], "Play", "Start / pause training (Space)",
                                        lambda: self.on_command("play", not self.state.playing),
                                        "@primary_button")
        self.step_button = self._button(cells[1], "Step", "One step, shown as arithmetic "
                                        "(Right arrow or N)", lambda: self.on_command("step", None))
        self.reset_button = self._button(cells[2], "Reset", "Forget everything learnt: fresh "
                                         "Q-table, episode 0 (R)",
                                         lambda: self.on_command("reset", None))
        y += 32 + GAP
        cells = self._row(y, 3, 26)
        for i, cell in enumerate(cells):  # three buttons, then room for the compare menu
            cell.width = 88
            cell.x = MARGIN + i * (88 + GAP)
        menu_x = MARGIN + 3 * (88 + GAP)
        cells.append(pygame.Rect(menu_x, y, MARGIN + self.inner_width - menu_x, 26))
        self.agent_buttons = {
            "save_agent": self._button(cells[0], "Save agent", "Save the agent to a file (.npz "
                                       "for a Q-table, .pt for a DQN), as the CLI writes them",
                                       lambda: self.on_command("save_agent", None)),
            "load_agent": self._button(cells[1], "Load agent", "Open an agent file (from the app "
                                       "or 'python main.py train'); its env opens with it",
                                       lambda: self.on_command("load_agent", None)),
            "record": self._button(cells[2], "Record GIF", "Record one greedy episode as an "
                                   "animated GIF (F12 saves a screenshot)",
                                   lambda: self.on_command("record", None)),
        }
        compare = [(COMPARE_OFF, "off")] + [(f"vs {label}", kind) for label, kind in offered]
        chosen = next(((lbl, k) for lbl, k in compare if k == s.compare_kind), compare[0])
        self.compare_menu = UIDropDownMenu(compare, chosen, cells[3], self.manager,
                                           container=self.panel)
        self.compare_menu.set_tooltip("Compare: a second agent learns the same world with the "
                                      "same seed, side by side, curves overlaid")
        self._handlers[self.compare_menu] = self._on_compare
        self.training_widgets = [self.play_button, self.step_button, self.reset_button,
                                 self.greedy_button, self.drive_button,
                                 self.agent_buttons["record"], self.agent_buttons["save_agent"]]
        return y + 26 + GAP + 2

    def _overlays(self, y: int) -> int:
        s = self.state
        y = self._heading(y, "SHOW")
        for i, (key, label, tip) in enumerate(OVERLAYS):
            cells = self._row(y + (i // 3) * 24, 3, 22)
            box = UICheckBox(
                pygame.Rect(cells[i % 3].x, cells[i % 3].y, 20, 20),
                label,
                self.manager,
                container=self.panel,
                initial_state=bool(s.overlays.get(key)),
                tool_tip_text=tip,
            )
            self.overlay_boxes[key] = box
            self._handlers[box] = lambda e, k=key: self._on_overlay(k, e)
        y += 2 * 24 + 2
        self.readout = UILabel(
            pygame.Rect(MARGIN, y, self.inner_width, 22),
            "",
            self.manager,
            container=self.panel,
            object_id=pygame_gui.core.ObjectID(class_id="@readout"),
        )
        self.readout.set_tooltip("Largest |Q(s,a) - Q*(s,a)| over the states the agent can reach: "
                                 "0 means it has learnt the exact optimal values")
        return y + 22 + 6

    def build_sliders(self, y: int, config_cls: type, specs: Sequence[SliderSpec]) -> int:
        """One labelled slider per hyperparameter, range and tooltip from the dataclass metadata."""
        y = self._heading(y, "HYPERPARAMETERS  (apply at once)")
        for spec in specs:
            lo, hi = field_range(config_cls, spec.name)
            tip = f"{spec.name.replace('_', ' ')}: {field_help(config_cls, spec.name)}"
            if spec.name == "epsilon":
                tip += "; set \u03b5 decay to 0 to hold \u03b5 at this value"
            value = self.state.hyper.get(spec.name, 0.0)
            if spec.log_decay:
                slider = UIHorizontalSlider(
                    pygame.Rect(MARGIN + 96, y + 3, self.inner_width - 96 - 70, 20),
                    position_from_decay(value), (0, DECAY_POSITIONS), self.manager,
                    container=self.panel, click_increment=1,
                )
            else:
                slider = UIHorizontalSlider(
                    pygame.Rect(MARGIN + 96, y + 3, self.inner_width - 96 - 70, 20),
                    float(value), (float(lo), float(hi)), self.manager,
                    container=self.panel, click_increment=0.01,
                )
            self._slider_row(y, spec.name, spec.label, slider, tip)
            self._handlers[slider] = lambda e, sp=spec, lo=lo, hi=hi: self._on_slider(sp, lo, hi, e)
            y += 26
        return y

    def _slider_row(self, y: int, name: str, label: str, slider: UIHorizontalSlider,
                    tip: str) -> None:
        slider.set_tooltip(tip)
        if slider.sliding_button is not None:
            slider.sliding_button.set_tooltip(tip)
        name_label = UILabel(pygame.Rect(MARGIN, y, 94, 26), label, self.manager,
                             container=self.panel)
        name_label.set_tooltip(tip)
        value_label = UILabel(pygame.Rect(PANEL_WIDTH - MARGIN - 66, y, 66, 26), "",
                              self.manager, container=self.panel,
                              object_id=pygame_gui.core.ObjectID(class_id="@value_label"))
        value_label.set_tooltip(tip)
        self.sliders[name] = slider
        self.value_labels[name] = value_label

    def _speed_slider(self, y: int) -> int:
        slider = UIHorizontalSlider(
            pygame.Rect(MARGIN + 96, y + 3, self.inner_width - 96 - 70, 20),
            position_from_speed(self.state.speed), (0, SPEED_POSITIONS), self.manager,
            container=self.panel, click_increment=1,
        )
        tip = ("Training speed in steps per second, on a log scale from 1/s to 'max' (as many as "
               "the frame budget allows). At 20/s or less the agent is animated and each update "
               "is shown as arithmetic")
        self._slider_row(y, "speed", "speed", slider, tip)
        self._handlers[slider] = self._on_speed
        return y + 26

    def _size_entry(self, rect: pygame.Rect, value: int, what: str) -> UITextEntryLine:
        entry = UITextEntryLine(rect, self.manager, container=self.panel, initial_text=str(value))
        entry.set_allowed_characters("numbers")
        entry.set_text_length_limit(2)
        entry.set_tooltip(f"{what} for New, Generate and Resize (2 to 64)")
        return entry

    def set_rect(self, rect: pygame.Rect) -> None:
        """Follow a window resize: move and stretch the panel; the widgets keep their places."""
        self.rect = pygame.Rect(rect)
        self.panel.set_position(self.rect.topleft)
        self.panel.set_dimensions(self.rect.size)

    # -- reading widgets -----------------------------------------------------------------------
    def size(self) -> tuple[int, int]:
        def read(entry: UITextEntryLine, fallback: int) -> int:
            try:
                return int(entry.get_text())
            except ValueError:
                return fallback
        self.state.rows = read(self.rows_entry, self.state.rows)
        self.state.cols = read(self.cols_entry, self.state.cols)
        return self.state.rows, self.state.cols

    # -- event handlers ------------------------------------------------------------------------
    def _on_level(self, event: pygame.event.Event) -> None:
        self.on_command("level", event.text)

    def _on_agent(self, event: pygame.event.Event) -> None:
        kind = getattr(event, "selected_option_id", None) or dict(AGENTS).get(event.text)
        self.state.agent_kind = kind
        self.on_command("agent", kind)

    def _on_compare(self, event: pygame.event.Event) -> None:
        kind = getattr(event, "selected_option_id", None)
        if kind is None:
            kind = next((k for lbl, k in AGENTS if f"vs {lbl}" == event.text), "off")
        self.state.compare_kind = None if kind == "off" else kind
        self.on_command("compare", self.state.compare_kind)

    def _on_slider(self, spec: SliderSpec, lo: float, hi: float, event: pygame.event.Event) -> None:
        if spec.log_decay:
            value = min(decay_from_position(event.value), hi)
        else:
            value = min(max(round(float(event.value), 4), lo), hi)
        self.state.hyper[spec.name] = value
        self.value_labels[spec.name].set_text(format_number(value))
        self.on_command("hyper", (spec.name, value))

    def _on_speed(self, event: pygame.event.Event) -> None:
        self.state.speed = speed_from_position(event.value)
        self.value_labels["speed"].set_text(speed_label(self.state.speed))
        self.on_command("speed", self.state.speed)

    def _on_overlay(self, key: str, event: pygame.event.Event) -> None:
        on = event.type == pygame_gui.UI_CHECK_BOX_CHECKED
        if self.state.overlays.get(key) != on:
            self.state.overlays[key] = on
            self.on_command("overlay", (key, on))

    _WIDGET_EVENTS = (
        pygame_gui.UI_BUTTON_PRESSED,
        pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
        pygame_gui.UI_DROP_DOWN_MENU_CHANGED,
        pygame_gui.UI_CHECK_BOX_CHECKED,
        pygame_gui.UI_CHECK_BOX_UNCHECKED,
    )

    def process_event(self, event: pygame.event.Event) -> bool:
        """Dispatch a pygame_gui widget event to its handler; True when it was one of ours."""
        if event.type == pygame_gui.UI_TEXT_ENTRY_FINISHED and event.ui_element in (
                self.rows_entry, self.cols_entry):
            event.ui_element.unfocus()  # Enter gives the keyboard back to the shortcuts
            self.size()
            return True
        if event.type not in self._WIDGET_EVENTS:
            return False
        handler = self._handlers.get(getattr(event, "ui_element", None))
        if handler is None:
            return False
        handler(event)
        return True

    def update(self, dt: float) -> None:
        """Nothing animates by itself; the manager updates the widgets."""

    def draw(self, surface: pygame.Surface) -> None:
        """The manager draws the widgets (``draw_ui``); nothing extra here."""

    # -- showing state -------------------------------------------------------------------------
    def sync(self) -> None:
        """Make every widget show ``self.state`` (after a reset, a shortcut, a rebuild)."""
        s = self.state
        if self.dqn_section is not None:
            self.dqn_section.sync()
        for name, slider in self.sliders.items():
            if self.dqn_section is not None and name != "speed":
                continue
            if name == "speed":
                slider.set_current_value(position_from_speed(s.speed), warn=False)
                self.value_labels[name].set_text(speed_label(s.speed))
                continue
            value = s.hyper.get(name, 0.0)
            if name == "epsilon_decay":
                slider.set_current_value(position_from_decay(value), warn=False)
            else:
                slider.set_current_value(value, warn=False)
            self.value_labels[name].set_text(format_number(value))
        self.play_button.set_text("Pause" if s.playing else "Play")
        self.drive_button.set_text("Driving (M)" if s.drive else "Drive (M)")
        self.greedy_button.set_text("Stop run (G)" if s.demo else "Greedy (G)")
        for key, button in self.tool_buttons.items():
            _show_selected(button, key == s.tool)
        _show_selected(self.drive_button, s.drive)
        for key, box in self.overlay_boxes.items():
            if box.get_state() != bool(s.overlays.get(key)):
                box.set_state(bool(s.overlays.get(key)))

    def set_training_enabled(self, enabled: bool) -> None:
        """Grey out play/step/reset/greedy/drive while the level is invalid."""
        for widget in self.training_widgets:
            if enabled:
                widget.enable()
            else:
                widget.disable()
        _show_selected(self.drive_button, self.state.drive)

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

    def set_level_choice(self, name: str) -> None:
        """Show ``name`` in the level drop-down (without loading anything)."""
        if name == self.state.level_choice and self.level_menu.selected_option[0] == name:
            return
        self.state.level_choice = name
        self._handlers.pop(self.level_menu, None)
        self.level_menu.kill()
        self._make_level_menu()

    def set_readout(self, text: str) -> None:
        readout = self.readout if self.state.board else None
        if readout is not None and readout.alive() and readout.text != text:
            readout.set_text(text)


def _show_selected(button: UIButton, selected: bool) -> None:
    """Select or unselect a button; a disabled one keeps its greyed-out look."""
    if not button.is_enabled:
        return
    if selected and not button.is_selected:
        button.select()
    elif not selected and button.is_selected:
        button.unselect()
