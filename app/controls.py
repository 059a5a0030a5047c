"""The side panel: every pygame_gui widget of the app, and the commands they stand for.

The panel never touches the session or the level. It turns widget events into named commands
(``"play"``, ``("hyper", ("alpha", 0.3))``, ...) handed to one callback, and the app decides what
they mean. Widget events dispatch through a ``{widget: handler}`` table, not an if-chain.

The panel is assembled from one mixin per section, each in its own module and each filling the
same handler table: :class:`app.levelsection.LevelSection` (level / env, size, file buttons),
:class:`app.toolpalette.ToolPalette` (paint tools), :class:`app.agentsection.AgentSection`
(agent, training buttons, agent files, compare), :class:`app.hypersliders.HyperSliders`
(hyperparameter and speed sliders; a DQN's section comes from :mod:`app.dqncontrols`) and
:class:`app.overlaytoggles.OverlayToggles` (what the board shows). Shared geometry and the
:class:`PanelState` live in :mod:`app.panelbase`.

What the panel holds depends on the world and the agent (``PanelState``): paint tools only for a
level (Gymnasium envs are not editable), overlay switches only where there is a board, the DQN's
knobs instead of the tabular ones. :meth:`Controls.rebuild` builds the widgets again when one of
those changes; the state survives. The panel has a fixed width; on window resize it only moves
and stretches (cheap), and the chart area below it grows or shrinks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pygame
import pygame_gui
from pygame_gui.elements import UIPanel

from agents.config import TabularConfig
from app.agentsection import COMPARE_OFF, AgentSection
from app.hypersliders import TABULAR_SLIDERS, HyperSliders, SliderSpec
from app.levelsection import LevelSection
from app.overlaytoggles import OVERLAYS, OverlayToggles
from app.panelbase import AGENTS, PANEL_WIDTH, Command, PanelState, show_selected
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


class Controls(LevelSection, ToolPalette, AgentSection, HyperSliders, OverlayToggles):
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
        self._handlers = {}
        self.sliders = {}
        self.value_labels = {}
        self.tool_buttons = {}
        self.overlay_boxes = {}
        self.training_widgets = []
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

    def _build(self) -> None:
        s = self.state
        y = self._build_level(10)
        if s.editable:
            y = self._build_tools(y)
        y = self._build_agent(y)
        if s.agent_kind == "dqn":
            from app.dqncontrols import DQNSection

            self.dqn_section = DQNSection(self)
            y = self.dqn_section.build(y)
        else:
            y = self.build_sliders(y, self.config_cls, TABULAR_SLIDERS)
        y = self._build_speed(y)
        y += 4
        if s.board:
            y = self._build_overlays(y)
        self.content_height = y
        self.sync()

    def set_rect(self, rect: pygame.Rect) -> None:
        """Follow a window resize: move and stretch the panel; the widgets keep their places."""
        self.rect = pygame.Rect(rect)
        self.panel.set_position(self.rect.topleft)
        self.panel.set_dimensions(self.rect.size)

    # -- the component protocol ----------------------------------------------------------------
    _WIDGET_EVENTS = (
        pygame_gui.UI_BUTTON_PRESSED,
        pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
        pygame_gui.UI_DROP_DOWN_MENU_CHANGED,
        pygame_gui.UI_CHECK_BOX_CHECKED,
        pygame_gui.UI_CHECK_BOX_UNCHECKED,
        pygame_gui.UI_TEXT_ENTRY_FINISHED,
    )

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
        handler = self._handlers.get(getattr(event, "ui_element", None))
        if handler is None:
            return False
        handler(event)
        return True

    def _menus(self) -> list[pygame_gui.elements.UIDropDownMenu]:
        return [w for w in self._handlers if isinstance(w, pygame_gui.elements.UIDropDownMenu)]

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
        """Make every widget show ``self.state`` (after a reset, a shortcut, a rebuild)."""
        if self.dqn_section is not None:
            self.dqn_section.sync()
        self._sync_sliders(tabular=self.dqn_section is None)
        self._sync_agent()
        for key, button in self.tool_buttons.items():
            show_selected(button, key == self.state.tool)
        self._sync_overlays()
