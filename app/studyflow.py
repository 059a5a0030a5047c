"""The Study window's owner: opens it on the world on screen and loads a clicked point.

:class:`StudyFlow` holds the one :class:`app.studywindow.StudyWindow` (or None). The study runs
on the world the board shows - the level as edited, or the Gymnasium env - with the agent's
current settings for everything but the swept parameter. A clicked point becomes the agent on
screen: its kind, then each of its settings, through the same commands the panel sends.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pygame
import pygame_gui

from agents.config import TabularConfig
from app import commands as cmd
from app.editor import Editor
from app.studywindow import StudyWindow
from app.training import TrainingControl
from app.worldflow import WorldFlow

# The order a point's settings are applied in: the schedule first (it resets its own knobs).
LOAD_ORDER = ("schedule", "epsilon", "epsilon_min", "epsilon_decay", "alpha", "gamma",
              "initial_q", "lam", "trace", "planning_steps")


class StudyFlow:
    """Opens the Study window and turns a picked point into commands.

    Args:
        command: the app's command dispatcher (``App.command``).
        on_loaded: a point was loaded (the panel is rebuilt to show the agent kind).
    """

    def __init__(self, manager: pygame_gui.UIManager, font: pygame.font.Font,
                 training: TrainingControl, worlds: WorldFlow, editor: Editor,
                 command: Callable[[cmd.Command], None],
                 on_loaded: Callable[[], None]) -> None:
        self.manager, self.font = manager, font
        self.on_loaded = on_loaded
        self.training, self.worlds, self.editor = training, worlds, editor
        self.command = command
        self.window: StudyWindow | None = None

    def open(self) -> StudyWindow:
        """Show the window (bring it back if it is open)."""
        if self.window is None or not self.window.alive():
            self.window = StudyWindow(self.manager, self.font, self.context, self.pick)
        return self.window

    def close(self) -> None:
        """Stop any study and close the window (the app is closing)."""
        if self.window is not None:
            self.window.close()
            self.window = None

    def context(self) -> tuple[Any, dict[str, Any]]:
        """The world on screen (a level or an env spec) and the agent's tabular settings."""
        world = self.worlds.world
        session = self.training.session
        if world is not None:
            spec = getattr(session.env_spec, "spec", session.env_spec) if session else None
            env: Any = spec or world.title
        else:
            env = self.editor.level
        names = {f.name for f in dataclasses.fields(TabularConfig)}
        settings: dict[str, Any] = {}
        if session is not None and session.agent.kind != "dqn":
            settings = dict(session.agent.hyperparameters())
        return env, {k: v for k, v in settings.items() if k in names}

    def pick(self, kind: str, settings: dict[str, Any]) -> None:
        """The clicked point's agent and settings become the agent on screen (the sliders show
        the agent's live values)."""
        self.command(cmd.ChooseAgent(kind))
        for name in LOAD_ORDER:
            if name in settings:
                self.command(cmd.SetHyperparameter(name, settings[name]))
        self.on_loaded()
