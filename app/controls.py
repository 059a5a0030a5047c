"""The side panel: every pygame_gui widget of the app, and the commands they stand for.

The panel never touches the session or the level. It turns widget events into typed commands
(:mod:`app.commands`: ``Play(True)``, ``SetHyperparameter("alpha", 0.3)``, ...) handed to one
callback, and the app decides what they mean. Widget events dispatch through a
``{widget: handler}`` table (:class:`app.panelbase.PanelKit`), not an if-chain.

The panel is composed of one object per section, each in its own module, each building into the
same kit: :class:`app.levelsection.LevelSection` (level / env, size, file buttons),
:class:`app.toolpalette.ToolPalette` (paint tools), :class:`app.agentsection.AgentSection`
(agent, training buttons, agent files, compare), :class:`app.hypersliders.HyperSliders`
(hyperparameter and speed sliders; a DQN's section is :class:`app.dqncontrols.DQNSection`) and
:class:`app.overlaytoggles.OverlayToggles` (what the board shows).

The panel owns :class:`PanelState`: it records what its own commands change, and the app tells it
what else to show through the ``show_*`` methods. It keeps no copy of the hyperparameters: its
sliders read the agent's own values (``agent_values``) whenever they are built or synced. What the
panel holds depends on that state: paint tools only for a level (Gymnasium envs are not editable),
overlay switches only where there is a board, the DQN's knobs instead of the tabular ones.
:meth:`Controls.rebuild` builds the widgets again when one of those changes; the state survives.
The panel has a fixed width; on window resize it only moves and stretches (cheap), and the chart
area below it grows or shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence

import pygame
import pygame_gui
from pygame_gui.elements import (
    UIButton,
    UICheckBox,
    UIDropDownMenu,
    UIHorizontalSlider,
    UILabel,
    UITextEntryLine,
)

from agents.config import TabularConfig
from app.agentsection import COMPARE_OFF, AgentSection
from app.commands import (
    ChooseAgent,
    Command,
    CommandSink,
    Compare,
    SetOverlay,
    SetSpeed,
)
from app.dpsection import DynamicProgrammingSection
from app.dqncontrols import DQNSection
from app.hypersliders import TABULAR_SLIDERS, HyperSliders, SliderSpec
from app.levelsection import LevelSection
from app.overlaytoggles import OVERLAYS, OverlayToggles
from app.panelbase import AGENTS, PANEL_WIDTH, AgentValues, PanelKit, PanelState
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
from app.toolpalette import ToolPalette

__all__ = ["AGENTS", "COMPARE_OFF", "OVERLAYS", "PANEL_WIDTH", "TABULAR_SLIDERS", "Controls",
           "PanelState", "SliderSpec"]


class Controls:
    """The right-hand panel of widgets; reports user intent through ``on_command(command)``.

    Args:
        manager: the app's UIManager.
        rect: where the panel goes (fixed width, full height above the status bar).
        state: the values to show at first (the panel keeps and updates it).
        tools: ``(key, label, tooltip)`` per editing tool, in key order (1-9, then 0).
        on_command: called with each typed command.
        agent_values: reads the agent's live hyperparameters, which the sliders show.
        config_cls: the hyperparameter dataclass the tabular sliders are built from.
    """

    _WIDGET_EVENTS = (
        pygame_gui.UI_BUTTON_PRESSED,
        pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
        pygame_gui.UI_DROP_DOWN_MENU_CHANGED,
        pygame_gui.UI_CHECK_BOX_CHECKED,
        pygame_gui.UI_CHECK_BOX_UNCHECKED,
        pygame_gui.UI_TEXT_ENTRY_FINISHED,
    )

    def __init__(
        self,
        manager: pygame_gui.UIManager,
        rect: pygame.Rect,
        state: PanelState,
        tools: Sequence[tuple[str, str, str]],
        on_command: CommandSink,
        agent_values: AgentValues,
        config_cls: type = TabularConfig,
    ) -> None:
        self._state = state
        self._agent_values = agent_values
        self.on_command = on_command
        self.rect = pygame.Rect(rect)
        self.kit = PanelKit(manager, self.rect)
        emit = self._emit
        self.level_section = LevelSection(self.kit, state, emit, self.size)
        self.tool_palette = ToolPalette(self.kit, state, emit, tools)
        self.agent_section = AgentSection(self.kit, state, emit)
        self.hyper_sliders = HyperSliders(self.kit, state, emit, config_cls, agent_values)
        self.dqn_section: DQNSection | None = None
        self.overlay_toggles = OverlayToggles(self.kit, state, emit)
        self.dp_section = DynamicProgrammingSection(self.kit, emit)
        self.content_height = 0
        self._signature: tuple = ()
        self._build()

    @property
    def state(self) -> PanelState:
        """What the panel shows (read it; change it through the ``show_*`` methods)."""
        return self._state

    # -- building ------------------------------------------------------------------------------
    def _shape(self) -> tuple:
        """What shapes the widgets: they are rebuilt only when this changes."""
        s = self._state
        return (s.editable, s.board, s.agent_kind, tuple(s.agent_options))

    def rebuild(self) -> None:
        """Build every widget again from the state (world or agent kind changed)."""
        self.kit.clear(self.rect)
        self._build()

    def rebuild_if_reshaped(self) -> bool:
        """Rebuild when the world or agent changed what the panel holds; True when it did."""
        if self._shape() == self._signature:
            return False
        self.rebuild()
        return True

    def _build(self) -> None:
        s = self._state
        self._signature = self._shape()
        self.hyper_sliders.clear()
        self.overlay_toggles.clear()
        self.tool_palette.clear()
        self.dp_section.clear()
        y = self.level_section.build(10)
        if s.editable:
            y = self.tool_palette.build(y)
        y = self.agent_section.build(y)
        self.dqn_section = None
        if s.agent_kind == "dqn":
            self.dqn_section = DQNSection(self.kit, s, self._emit, self._agent_values)
            y = self.dqn_section.build(y)
        else:
            y = self.hyper_sliders.build_hyperparameters(y, TABULAR_SLIDERS)
        y = self.hyper_sliders.build_speed(y)
        y += 4
        if s.board:
            y = self.overlay_toggles.build(y)
            if s.agent_kind != "dqn":  # the DQN's knobs fill the panel; P I V C still work
                y = self.dp_section.build(y)
        self.content_height = y
        self.sync()

    def set_rect(self, rect: pygame.Rect) -> None:
        """Follow a window resize: move and stretch the panel; the widgets keep their places."""
        self.rect = pygame.Rect(rect)
        self.kit.container.set_position(self.rect.topleft)
        self.kit.container.set_dimensions(self.rect.size)

    # -- commands: what the panel's own widgets change in its state ------------------------------
    def _emit(self, command: Command) -> None:
        s = self._state
        match command:
            case ChooseAgent(kind=kind):
                s.agent_kind = kind
            case Compare(kind=kind):
                s.compare_kind = kind
            case SetSpeed(speed=speed):
                s.speed = speed
            case SetOverlay(name=name, on=on):
                s.overlays[name] = on
        self.on_command(command)

    # -- the component protocol ----------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        """Dispatch a pygame_gui widget event to its handler; True when it was one of ours."""
        if event.type == pygame_gui.UI_SELECTION_LIST_DROPPED_SELECTION:
            # pygame_gui 0.6.14: clicking the option a drop-down already shows makes its list
            # *drop* that selection (an event the drop-down ignores), so the list stayed open.
            # Same choice, nothing to do: just fold the menu.
            for menu in self._menus():
                if getattr(menu.current_state, "options_selection_list", None) is event.ui_element:
                    self.close_menus()
                    return True
            return False
        if event.type not in self._WIDGET_EVENTS:
            return False
        handler = self.kit.handler_for(getattr(event, "ui_element", None))
        if handler is None:
            return False
        handler(event)
        return True

    def dqn_menu_open(self) -> bool:
        """The agent or the compare menu is open and offers the DQN (torch may be wanted soon)."""
        if "dqn" not in self._state.agent_options:
            return False
        return any(menu is not None and menu.current_state is menu.menu_states["expanded"]
                   for menu in (self.agent_menu, self.compare_menu))

    def _menus(self) -> list[UIDropDownMenu]:
        return [w for w in self.kit.widgets() if isinstance(w, UIDropDownMenu)]

    def close_menus(self) -> None:
        """Fold every expanded drop-down (on the next manager update), as a click outside would."""
        for menu in self._menus():
            if menu.current_state is menu.menu_states["expanded"]:
                menu.current_state.should_transition = True

    def update(self, dt: float) -> None:
        """Nothing animates by itself; the manager updates the widgets."""

    def draw(self, surface: pygame.Surface) -> None:
        """The manager draws the widgets (``draw_ui``); nothing extra here."""

    def sync(self) -> None:
        """Make every widget show the state (after a reset, a shortcut, a rebuild)."""
        if self.dqn_section is not None:
            self.dqn_section.sync()
        self.hyper_sliders.sync()
        self.agent_section.sync()
        self.tool_palette.sync()
        self.overlay_toggles.sync()

    # -- what the app tells the panel to show ----------------------------------------------------
    def show_training(self, *, playing: bool, demo: bool, drive: bool,
                      watching: bool = False) -> None:
        """Play / greedy run / drive mode / watching as the app now has them."""
        s = self._state
        s.playing, s.demo, s.drive = bool(playing), bool(demo), bool(drive)
        s.watching = bool(watching)
        self.agent_section.sync()

    def show_tool(self, key: str) -> None:
        self._state.tool = key
        self.tool_palette.sync()

    def show_agent(self, kind: str) -> None:
        """The agent kind on screen (the panel is rebuilt by :meth:`rebuild_if_reshaped`)."""
        self._state.agent_kind = kind

    def show_world(self, agent_options: tuple[str, ...], *, editable: bool, board: bool) -> None:
        """What the world offers: agent kinds, paint tools (editable), overlays (board)."""
        s = self._state
        s.agent_options, s.editable, s.board = tuple(agent_options), editable, board
        if s.agent_kind not in s.agent_options:
            s.agent_kind = s.agent_options[0]

    def show_compare(self, kind: str | None) -> None:
        """Compare mode's second agent (None: off); the menu shows it after a rebuild."""
        self._state.compare_kind = kind

    def show_overlays(self, **flags: bool) -> None:
        """Turn board overlays on or off from outside the panel (dynamic programming shows V)."""
        self._state.overlays.update(flags)
        self.overlay_toggles.sync()

    def size(self) -> tuple[int, int]:
        """The rows x columns typed in the entries (the last good value where one is empty)."""
        s = self._state
        s.rows, s.cols = self.level_section.typed_size((s.rows, s.cols))
        return s.rows, s.cols

    def show_size(self, rows: int, cols: int) -> None:
        """Show the shape of the level on screen in the size entries (it changed)."""
        self._state.rows, self._state.cols = int(rows), int(cols)
        self.level_section.show_size(int(rows), int(cols))

    def set_level_choice(self, name: str) -> None:
        """Show ``name`` in the level drop-down (without loading anything)."""
        self._state.level_choice = name
        self.level_section.show_level_choice()

    def set_training_enabled(self, enabled: bool) -> None:
        """Grey out play/step/reset/greedy/drive while the level is invalid."""
        self.agent_section.set_training_enabled(enabled)

    def set_readout(self, text: str) -> None:
        """The distance-to-Q* line (empty when the Optimal overlay is off)."""
        if self._state.board:
            self.overlay_toggles.set_readout(text)

    # -- widgets, for tests and the input router -------------------------------------------------
    @property
    def panel(self) -> pygame_gui.elements.UIPanel:
        return self.kit.container

    @property
    def rows_entry(self) -> UITextEntryLine | None:
        return self.level_section.rows_entry

    @property
    def cols_entry(self) -> UITextEntryLine | None:
        return self.level_section.cols_entry

    @property
    def level_menu(self) -> UIDropDownMenu | None:
        return self.level_section.level_menu

    @property
    def env_button(self) -> UIButton | None:
        return self.level_section.env_button

    @property
    def file_buttons(self) -> dict[str, UIButton]:
        return self.level_section.file_buttons

    @property
    def tool_buttons(self) -> dict[str, UIButton]:
        return self.tool_palette.tool_buttons

    @property
    def agent_menu(self) -> UIDropDownMenu | None:
        return self.agent_section.agent_menu

    @property
    def compare_menu(self) -> UIDropDownMenu | None:
        return self.agent_section.compare_menu

    @property
    def play_button(self) -> UIButton | None:
        return self.agent_section.play_button

    @property
    def reset_button(self) -> UIButton | None:
        return self.agent_section.reset_button

    @property
    def agent_buttons(self) -> dict[str, UIButton]:
        return self.agent_section.agent_buttons

    @property
    def overlay_boxes(self) -> dict[str, UICheckBox]:
        return self.overlay_toggles.overlay_boxes

    @property
    def sliders(self) -> dict[str, UIHorizontalSlider]:
        """Every slider by field name ("speed" for the speed)."""
        dqn = self.dqn_section.sliders if self.dqn_section is not None else {}
        return {**dqn, **self.hyper_sliders.sliders}

    @property
    def value_labels(self) -> dict[str, UILabel]:
        dqn = self.dqn_section.value_labels if self.dqn_section is not None else {}
        return {**dqn, **self.hyper_sliders.value_labels}
