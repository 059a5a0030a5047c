"""The Study window: sweep one hyperparameter over many runs of the world on screen.

Pick the parameter, its range, the agents, runs and episodes; Run starts
``agents.study.run_study`` on a worker thread (:class:`app.studyrunner.StudyRunner`) and the
figure fills in as runs finish, while the board keeps training and drawing. The other settings
are the agent's current ones (``context()``). Clicking a point hands that agent kind and its
settings to ``on_pick`` (the app loads them into the agent and the sliders).

The window handles its own widgets in :meth:`process_event`, which the UI manager calls for
every event, and polls the runner in :meth:`update`, which the manager calls every frame.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygame
import pygame_gui
from pygame_gui.core import ObjectID
from pygame_gui.elements import (
    UIButton,
    UICheckBox,
    UIDropDownMenu,
    UIImage,
    UILabel,
    UITextEntryLine,
    UIWindow,
)  # fmt: skip

from app.agentfactory import label
from app.studyfigure import StudyFigure
from app.studyrunner import StudyRunner

SIZE = (700, 600)
PAD = 10
ROW = 30
PARAMS = ("alpha", "gamma", "epsilon", "epsilon_decay", "initial_q")
DEFAULT_RANGES = {"alpha": ("0.1", "1.0"), "gamma": ("0.8", "1.0"), "epsilon": ("0.0", "0.5"),
                  "epsilon_decay": ("0.0001", "0.1"), "initial_q": ("0", "1")}
AGENT_KINDS = ("sarsa", "expected-sarsa", "q-learning")

# context() -> (env spec or Level, the agent's current tabular settings)
Context = Callable[[], tuple[Any, dict[str, Any]]]
PickHandler = Callable[[str, dict[str, Any]], None]


def describe(settings: dict[str, Any], swept: str) -> str:
    """``gamma 0.99, epsilon 1 -> 0.05 (exponential, decay 0.0005), initial Q 0``."""
    parts = [f"{name.replace('_', ' ')} {settings[name]:g}" for name in ("alpha", "gamma")
             if name != swept]
    if settings["schedule"] == "constant" or settings["epsilon_decay"] == 0:
        parts.append(f"epsilon {settings['epsilon']:g} (constant)")
    else:
        parts.append(f"epsilon {settings['epsilon']:g} -> {settings['epsilon_min']:g} "
                     f"({settings['schedule']}, decay {settings['epsilon_decay']:g})")
    if swept != "initial_q":
        q0 = settings["initial_q"]
        parts.append(f"initial Q {q0 if isinstance(q0, str) else format(q0, 'g')}")
    return ", ".join(parts)


class StudyWindow(UIWindow):
    """Parameter, range, agents, runs, episodes, Run/Stop, a status line and the figure."""

    def __init__(self, manager: pygame_gui.UIManager, font: pygame.font.Font, context: Context,
                 on_pick: PickHandler, rect: pygame.Rect | None = None) -> None:
        if rect is None:
            width, height = manager.window_resolution
            rect = pygame.Rect(0, 0, min(SIZE[0], width - 20), min(SIZE[1], height - 20))
            rect.topleft = (10, 10)
        super().__init__(rect, manager, window_display_title="Parameter study",
                         object_id="#study_window")
        self.context, self.on_pick = context, on_pick
        self.runner = StudyRunner()
        self.figure = StudyFigure(font)
        self._shown = -1
        inner = self.get_container().get_rect()
        y = PAD
        self.param_menu = UIDropDownMenu(list(PARAMS), "alpha", pygame.Rect(PAD, y, 150, ROW),
                                         manager, container=self)
        self.param_menu.set_tooltip("The hyperparameter to sweep; the others stay as the "
                                    "agent has them now")
        x = PAD + 160
        self.entries: dict[str, UITextEntryLine] = {}
        for key, text, width, initial in (("from", "from", 60, "0.1"), ("to", "to", 60, "1.0"),
                                          ("points", "points", 44, "10")):
            UILabel(pygame.Rect(x, y, 8 * len(text) + 8, ROW), text, manager, container=self)
            x += 8 * len(text) + 10
            self.entries[key] = UITextEntryLine(pygame.Rect(x, y, width, ROW), manager,
                                                container=self, initial_text=initial)
            x += width + 10
        y += ROW + 6
        self.agent_boxes: dict[str, UICheckBox] = {}
        x = PAD
        for kind in AGENT_KINDS:
            self.agent_boxes[kind] = UICheckBox(pygame.Rect(x, y + 5, 20, 20), label(kind),
                                                manager, container=self, initial_state=True)
            x += 170
        y += ROW + 6
        x = PAD
        for key, text, initial in (("runs", "runs per point", "100"),
                                   ("episodes", "episodes per run", "100")):
            UILabel(pygame.Rect(x, y, 8 * len(text), ROW), text, manager, container=self)
            x += 8 * len(text) + 4
            self.entries[key] = UITextEntryLine(pygame.Rect(x, y, 64, ROW), manager,
                                                container=self, initial_text=initial)
            x += 74
        self.run_button = UIButton(pygame.Rect(inner.width - PAD - 100, y, 100, ROW), "Run",
                                   manager, container=self,
                                   object_id=ObjectID(class_id="@primary_button"),
                                   tool_tip_text="Start the study (Stop ends it; what finished "
                                                 "stays on the figure)")
        y += ROW + 6
        self.status = UILabel(pygame.Rect(PAD, y, inner.width - 2 * PAD, 22), "", manager,
                              container=self)
        y += 22
        self.fixed_label = UILabel(pygame.Rect(PAD, y, inner.width - 2 * PAD, 22),
                                   "other settings: as the agent has them when you press Run",
                                   manager, container=self)
        y += 24
        hint_h = 22
        size = (inner.width - 2 * PAD, max(60, inner.height - y - hint_h - PAD))
        self.plot = UIImage(pygame.Rect(PAD, y, *size), pygame.Surface(size), manager,
                             container=self)
        UILabel(pygame.Rect(PAD, y + size[1] + 2, inner.width - 2 * PAD, hint_h),
                "Click a point to load that agent and its settings into the sliders", manager,
                container=self)
        self._handlers: dict[tuple[int, object], Callable[[pygame.event.Event], None]] = {
            (pygame_gui.UI_BUTTON_PRESSED, self.run_button): lambda e: self.toggle(),
            (pygame_gui.UI_DROP_DOWN_MENU_CHANGED, self.param_menu): self._param_changed,
        }
        self._redraw()

    # -- what the user asks --------------------------------------------------------------------
    @property
    def param(self) -> str:
        return str(self.param_menu.selected_option[0]
                   if isinstance(self.param_menu.selected_option, tuple)
                   else self.param_menu.selected_option)

    def spec(self) -> Any:
        """The ``StudySpec`` the widgets describe (ConfigError: one sentence for the user)."""
        from agents.config import ConfigError
        from agents.study import StudySpec, parse_param

        e = self.entries
        try:
            points = int(e["points"].get_text())
            runs, episodes = int(e["runs"].get_text()), int(e["episodes"].get_text())
        except ValueError:
            raise ConfigError("points, runs and episodes must be whole numbers") from None
        if points < 1 or runs < 1 or episodes < 1:
            raise ConfigError("points, runs and episodes must be at least 1")
        log = ":log" if self.param == "epsilon_decay" else ""
        name, values = parse_param(f"{self.param}={e['from'].get_text()}:"
                                   f"{e['to'].get_text()}:{points}{log}")
        agents = [k for k, box in self.agent_boxes.items() if box.get_state()]
        if not agents:
            raise ConfigError("tick at least one agent")
        env, settings = self.context()
        fixed = {k: v for k, v in settings.items() if k != name}
        return StudySpec(env=env, agents=agents, param=name, values=values, runs=runs,
                         episodes=episodes, fixed=fixed)

    def toggle(self) -> None:
        """Run, or stop the study that is running."""
        if self.runner.running:
            self.runner.stop()
            return
        try:
            spec = self.spec()
        except ValueError as exc:  # ConfigError, EnvSpecError, LevelError
            self._say(str(exc), error=True)
            return
        self.runner.start(spec)
        self.fixed_label.set_text("other settings: " + describe(spec.settings(spec.values[0]),
                                                               spec.param))
        self.run_button.set_text("Stop")
        self._say("starting...")

    def close(self) -> None:
        """Stop the study and close the window."""
        self.runner.stop()
        if self.alive():
            self.kill()

    # -- pygame_gui ----------------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        consumed = super().process_event(event)
        handler = self._handlers.get((event.type, getattr(event, "ui_element", None)))
        if handler is not None:
            handler(event)
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and getattr(event, "button", 1) == 1:
            rect = self.plot.get_abs_rect()
            if rect.collidepoint(event.pos):
                self._clicked((event.pos[0] - rect.x, event.pos[1] - rect.y))
                return True
        return consumed

    def update(self, time_delta: float) -> None:
        super().update(time_delta)
        if self.runner.revision != self._shown:
            self._redraw()
        if self.runner.running or self.runner.revision != self._shown:
            self._show_progress()
        elif self.run_button.text == "Stop":
            self.run_button.set_text("Run")
            self._show_progress()

    def on_close_window_button_pressed(self) -> None:
        self.close()

    # -- helpers -------------------------------------------------------------------------------
    def _param_changed(self, _event: pygame.event.Event) -> None:
        lo, hi = DEFAULT_RANGES[self.param]
        self.entries["from"].set_text(lo)
        self.entries["to"].set_text(hi)

    def _clicked(self, pos: tuple[int, int]) -> None:
        result = self.runner.result
        point = self.figure.hit(pos)
        if point is None or result is None:
            return
        spec = result.spec
        kind, value = spec.agents[point.agent], spec.values[point.value]
        self.on_pick(kind, spec.settings(value))
        self._say(f"loaded {label(kind)} with {spec.param} = {value:g}")

    def _redraw(self) -> None:
        self._shown = self.runner.revision
        surface = pygame.Surface(self.plot.rect.size)
        self.figure.draw(surface, self.runner.result,
                         note="choose a parameter and press Run")
        self.plot.set_image(surface)

    def _show_progress(self) -> None:
        runner = self.runner
        if runner.error:
            self._say(runner.error, error=True)
            return
        info = runner.summary()
        if not info["total"]:
            return
        share = info["episodes"] / info["total"]
        state = "running" if runner.running else ("done" if share >= 1 else "stopped")
        self._say(f"{state}: {info['runs']:,} runs finished, {share:.0%} of "
                  f"{info['total']:,} run-episodes, {info['seconds']:.1f} s")

    def _say(self, text: str, error: bool = False) -> None:
        self.status.set_text(f"Cannot run: {text}" if error else text)
