"""What every section of the side panel shares: its geometry, its state and its layout helpers.

The panel (:class:`app.controls.Controls`) is composed of one object per section — the level row
(:mod:`app.levelsection`), the paint tools (:mod:`app.toolpalette`), the agent and training
buttons (:mod:`app.agentsection`), the hyperparameter sliders (:mod:`app.hypersliders`) and the
overlay switches (:mod:`app.overlaytoggles`); a DQN's knobs come from :mod:`app.dqncontrols`.
Each section builds its widgets top-down (``build(y) -> y below it``) into the :class:`PanelKit`
it is handed, which owns the container and the ``{widget: handler}`` table that
:meth:`Controls.process_event` reads. Sections never write :class:`PanelState`: they emit typed
commands (:mod:`app.commands`) and the panel records what they change. Hyperparameters are not
kept here at all: the sliders read the agent's own values (:data:`AgentValues`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pygame
import pygame_gui
from pygame_gui.core import UIElement
from pygame_gui.elements import UIButton, UILabel, UIPanel

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

Handler = Callable[[pygame.event.Event], None]
#: Reads the agent's live hyperparameters (its ``hyperparameters()``): the sliders show them.
AgentValues = Callable[[], Mapping[str, Any]]


@dataclass
class PanelState:
    """What the panel shows; survives a rebuild of the widgets. Written only by the panel."""

    level_options: list[str] = field(default_factory=list)
    level_choice: str = "mouse"
    agent_kind: str = "q-learning"
    speed: float | None = 5.0
    overlays: dict[str, bool] = field(
        default_factory=lambda: {
            "arrows": False,
            "heatmap": True,
            "policy": True,
            "visits": False,
            "optimal": False,
            "trail": True,
            "traces": False,
            "dyna": False,
            "numbers": False,
        }
    )
    tool: str = ""
    rows: int = 12  # the size entries: the current level's shape, or what the user typed
    cols: int = 12
    playing: bool = False
    drive: bool = False
    demo: bool = False
    watching: bool = False  # the agent plays without learning
    agent_options: tuple[str, ...] = tuple(kind for _label, kind in AGENTS)
    editable: bool = True  # a level (paint tools) rather than a Gymnasium env
    board: bool = True  # a board to draw overlays on (not CartPole & co.)
    compare_kind: str | None = None  # the second agent of compare mode


class PanelKit:
    """The panel's container and widget -> handler table, and the layout helpers on them.

    Args:
        manager: the app's UIManager.
        rect: where the panel goes.
    """

    def __init__(self, manager: pygame_gui.UIManager, rect: pygame.Rect) -> None:
        self.manager = manager
        self.container = UIPanel(rect, manager=manager, object_id="#side_panel")
        self._handlers: dict[UIElement, Handler] = {}

    def clear(self, rect: pygame.Rect) -> None:
        """Kill every widget and start an empty container at ``rect``."""
        self._handlers.clear()
        self.container.kill()
        self.container = UIPanel(rect, manager=self.manager, object_id="#side_panel")

    def register(self, widget: UIElement, handler: Handler) -> None:
        """``handler`` receives ``widget``'s pygame_gui events."""
        self._handlers[widget] = handler

    def unregister(self, widget: UIElement) -> None:
        self._handlers.pop(widget, None)

    def handler_for(self, widget: Any) -> Handler | None:
        return self._handlers.get(widget)

    def widgets(self) -> list[UIElement]:
        """Every widget with a handler (for finding the drop-downs)."""
        return list(self._handlers)

    @property
    def inner_width(self) -> int:
        return PANEL_WIDTH - 2 * MARGIN

    def heading(self, y: int, text: str) -> int:
        """A section title at ``y``; returns the y below it."""
        UILabel(
            pygame.Rect(MARGIN, y, self.inner_width, HEADING),
            text,
            self.manager,
            container=self.container,
            object_id=pygame_gui.core.ObjectID(class_id="@section_heading"),
        )
        return y + HEADING + 2

    def button(
        self, rect: pygame.Rect, text: str, tip: str, handler: Callable[[], None], cls: str = ""
    ) -> UIButton:
        button = UIButton(
            rect,
            text,
            self.manager,
            container=self.container,
            tool_tip_text=tip,
            object_id=pygame_gui.core.ObjectID(class_id=cls) if cls else None,
        )
        self.register(button, lambda _e: handler())
        return button

    def row(self, y: int, count: int, height: int = ROW) -> list[pygame.Rect]:
        """``count`` equal cells side by side across the panel's inner width."""
        width = (self.inner_width - GAP * (count - 1)) / count
        return [
            pygame.Rect(round(MARGIN + i * (width + GAP)), y, round(width), height)
            for i in range(count)
        ]


def show_selected(button: UIButton, selected: bool) -> None:
    """Select or unselect a button; a disabled one keeps its greyed-out look."""
    if not button.is_enabled:
        return
    if selected and not button.is_selected:
        button.select()
    elif not selected and button.is_selected:
        button.unselect()
