"""Worlds beyond the editor's level: opening Gymnasium envs in the app, and going back to levels.

:class:`WorldFlow` owns the world on screen and the picker. The app shows one world at a time:
either the editor's level (editable, the default) or a Gymnasium env opened through the env picker
(E, or "Env..." in the panel). Levels always go through the editor, whichever way they are picked,
so they stay editable; anything else becomes a :class:`app.envfactory.World` and is drawn by its
kind:

* ``"grid"`` (FrozenLake, CliffWalking): the board with the env's map, arrows and overlays;
* ``"taxi"``: the env's frame with Q-value bars, beside a 5x5 board of the current
  passenger/destination situation;
* ``"frame"`` (CartPole, MountainCar, Acrobot, ...): the env's frame and Q-value bars.

Opening is all-or-nothing: the new env, agent and session are built first, and only then does
the app switch to them and close the old env (with :func:`app.envfactory.close_env`, which never
closes pygame). A failure raises a ``ValueError`` whose sentence the picker shows, and the app
keeps what it had.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pygame_gui

from agents.config import ConfigError
from app.agentfactory import kinds_for, label
from app.board import Board
from app.controls import Controls
from app.dialogs import Dialogs
from app.editor import Editor
from app.envfactory import World, WorldError, close_env, open_world
from app.envpicker import EnvPicker
from app.gymview import GymView
from app.levelflow import LevelFlow
from app.optimal import OptimalValues
from app.statusbar import InfoStrip, StatusBar
from app.training import TrainingControl
from levels.level import LevelError
from levels.levelfile import bundled_level_names, load_level

ROOMY_IMAGE_EPISODE = 1_000
"""Below this step limit an image maze's episodes get a hint: a DQN learning from pixels explores
by random walk at first, and on ``maze_small`` that walk reaches the goal within 100 steps once in
~2,500 episodes, within 1,000 steps 40% of the time (``benchmarks/dqn_maze_image.py``)."""


def is_level_spec(spec: str) -> bool:
    """True for a bundled level name or a level file (those open in the editor)."""
    text = spec.strip()
    if text in bundled_level_names():
        return True
    return ":" not in text and (text.lower().endswith(".txt") or Path(text).is_file())


class WorldFlow:
    """Opening envs (the picker), switching the panel and views to them, and back to levels.

    Args:
        training: gets a new session for each world.
        files: the level as a file (levels picked in the picker open through it).
        on_change: the world's kind or agents changed (the app lays the window out again).
        on_caption: the window title should change.
    """

    def __init__(self, training: TrainingControl, files: LevelFlow, *,
                 manager: pygame_gui.UIManager, dialogs: Dialogs, editor: Editor, board: Board,
                 controls: Controls, status: StatusBar, info: InfoStrip, gym_view: GymView,
                 optimal: OptimalValues, on_change: Callable[[], None],
                 on_caption: Callable[[], None]) -> None:
        self.training = training
        self.files = files
        self.manager = manager
        self.dialogs = dialogs
        self.editor = editor
        self.board = board
        self.controls = controls
        self.status = status
        self.info = info
        self.gym_view = gym_view
        self.optimal = optimal
        self.on_change = on_change
        self.on_caption = on_caption
        self.world: World | None = None
        self.picker: EnvPicker | None = None

    @property
    def view_kind(self) -> str:
        """"level" (the editor's level) or the open world's kind: "grid", "taxi", "frame"."""
        return "level" if self.world is None else self.world.kind

    def world_tiles(self) -> tuple[str, ...]:
        """The map the board draws: the edited level, or the grid env's own map."""
        if self.world is None:
            return tuple(self.editor.level.grid)
        grid = self.world.grid
        if grid is None or grid.tiles is None:
            return ()
        return tuple(grid.tiles)

    def world_rewards(self) -> np.ndarray | None:
        """What moving into each cell of the grid env pays beyond an ordinary move (FrozenLake's
        goal, CliffWalking's cliff), for the board to write in the cells; None: nothing."""
        grid = self.world.grid if self.world is not None else None
        return None if grid is None else grid.rewards

    def quiet_tiles(self) -> str:
        """Tiles without arrows (terminal); Taxi's depots are 'G' but not terminal."""
        return "" if self.view_kind == "taxi" else "HGCP"

    def world_spec(self) -> str:
        """What the current world is, as the picker and agent files name it."""
        if self.world is not None:
            return self.world.spec
        path = self.files.level_path
        return str(path) if path is not None else self.files.level_label

    # ==== the picker ==============================================================================
    def open_env_picker(self) -> None:
        """E / "Env...": the picker window (one at a time)."""
        if self.picker is not None and self.picker.alive():
            return
        if self.dialogs.modal_open():
            return
        self.picker = EnvPicker(self.manager, on_choose=self.open_spec,
                                on_cancel=self._picker_closed, initial_spec=self.world_spec())

    def _picker_closed(self) -> None:
        self.picker = None

    def picker_open(self) -> bool:
        """True while the env picker window is open."""
        return self.picker is not None and self.picker.alive()

    def open_spec(self, spec: str) -> None:
        """Open ``spec`` (a Gymnasium id with arguments, a bundled level or a level file).

        Raises:
            ValueError: (WorldError) the world cannot be opened; the app is unchanged.
        """
        spec = spec.strip()
        if is_level_spec(spec):
            try:
                load_level(spec)  # check first: a bad level keeps the picker open with the reason
            except LevelError as exc:
                raise WorldError(str(exc)) from None
            if self.world is None and spec == self.world_spec() and not self.editor.dirty:
                return
            self.files.ask_unsaved(lambda: self.files.open_level(spec))
            return
        try:
            world = open_world(spec)
        except ValueError:
            raise
        except Exception as exc:  # third-party env code (a missing dependency, a crash)
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise WorldError(f"{spec} could not be opened: {first}") from exc
        try:
            self.enter_world(world)
        except BaseException:
            world.close()
            raise

    def enter_world(self, world: World) -> None:
        """Switch to ``world``: new agent and session first, then views, panel, old env closed.

        Raises:
            WorldError: no agent the app has can learn it, or its agent cannot be built.
        """
        training = self.training
        kinds = kinds_for(world.env)
        chosen = self.controls.state.agent_kind
        kind = chosen if chosen in kinds else kinds[0]
        try:
            session = training.new_session(world.env, kind, env_spec=world.resolved)
        except (ConfigError, ValueError) as exc:
            raise WorldError(f"{world.title}: {exc}") from None
        training.pause()
        old_session, old_world = training.session, self.world
        self.world = world
        training.install_session(session)
        if old_world is not None:
            old_world.close()
        elif old_session is not None:
            close_env(old_session.env)
        self.status.set_problem(None)
        self.info.set_problem(None)
        self.controls.set_level_choice(world.title)
        self._world_changed()
        notes = [world.notice] if world.notice else []
        notes.append(_opened_note(world, label(kind), only=len(kinds) == 1))
        self.status.notify(". ".join(notes), "info", 12)
        self.on_caption()

    def leave_world(self) -> None:
        """Back to the editor's level (called when a level replaces the world)."""
        world = self.world
        if world is None:
            return
        self.world = None
        self._world_changed()
        world.close()

    def _world_changed(self) -> None:
        """The world's kind or agents changed: panel widgets, layout and views follow."""
        world = self.world
        session = self.training.session
        if world is None:
            options = kinds_for(session.env) if session is not None else \
                self.controls.state.agent_options
            self.controls.show_world(options, editable=True, board=True)
            self.controls.show_size(self.editor.level.nrows, self.editor.level.ncols)
        else:
            self.controls.show_world(kinds_for(world.env), editable=False,
                                     board=world.kind != "frame")
            if world.grid is not None:
                self.board.set_grid(world.grid.nrows, world.grid.ncols)
                self.controls.show_size(world.grid.nrows, world.grid.ncols)  # Generate's default
        self.editor.set_enabled(world is None)
        self.optimal.invalidate()
        self.gym_view.set_frame(world.first_frame if world is not None else None)
        self.gym_view.set_q(None, None, world.action_names if world is not None else ())
        self.on_change()

    def close(self) -> None:
        """Release the world's env (the app is closing)."""
        if self.world is not None:
            self.world.close()


def _opened_note(world: World, agent: str, only: bool) -> str:
    """What the status bar says of a world just opened: who learns it, and for an image maze
    whose episodes are short, how to give them room (the whole note must fit the bar)."""
    pixels = world.resolved.kwargs.get("observation") == "image"
    level = world.resolved.level
    if pixels and level is not None and level.max_steps < ROOMY_IMAGE_EPISODE:
        return (f"Opened {world.title} for a {agent}. {level.max_steps}-step episodes: reopen "
                "it with max_steps=10000 (E) to explore")
    if not only:
        return f"Opened {world.title}: {agent} learns it"
    why = "from pixels" if pixels else "(the only agent for its continuous observations)"
    return f"Opened {world.title}: {agent} learns it {why}"
