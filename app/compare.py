"""Compare mode: a second agent learns the same world beside the first, with the same seed.

Pick "vs SARSA" (say) in the panel's compare menu: the world area halves (side by side, or one
above the other for wide boards such as the cliff), the first lane is the agent of the agent
menu, the second lane a second session with its own env (another copy of the
same level or Gymnasium env, seeded alike), its own board or frame, and the learning curves of
both overlay in one chart. One speed control drives both: every frame the second session runs the
same number of steps as the first (at full speed the faster agent waits, at most
``COMPARE_LEAD`` steps ahead). Reset, Step and slider changes apply to both; greedy runs and
driving by hand stay with the first agent. Both boards show the same cheeses-eaten situation,
and the learning curves line up on env steps (the agents run the same number of steps, not of
episodes).

:class:`CompareLane` is the second lane (session, board / frame, its snapshot), owned by
:class:`app.training.TrainingControl` while it is open; :class:`CompareMode` opens it, moves it to
a new world and closes it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING

import pygame

from agents.config import ConfigError
from agents.records import Snapshot
from agents.session import TrainingSession
from app.board import Board, BoardView
from app.controls import Controls
from app.envfactory import open_world
from app.gymview import GymView
from app.qview import CellValues, cell_values, states_to_cells
from app.statusbar import StatusBar
from levels.gridmaze import GridMazeEnv
from levels.level import Level

if TYPE_CHECKING:
    from app.training import TrainingControl
    from app.worldflow import WorldFlow

CAPTION_H = 24


class CompareLane:
    """The second agent: its session, views and latest snapshot.

    Args:
        session: a session on an env of its own (never the first agent's).
        close_env: releases that env when the lane closes.
        font: for the frame view's bar labels.
    """

    def __init__(self, session: TrainingSession, close_env: Callable[[], None],
                 font: pygame.font.Font | None = None) -> None:
        self.session = session
        self._close_env = close_env
        self.board = Board((0, 0, 10, 10))
        self.gym_view = GymView((0, 0, 10, 10), font)
        self.kind = "level"
        self.snap: Snapshot | None = None
        self.values: CellValues | None = None
        self.trail: list[tuple[int, int]] = []

    def set_rect(self, area: pygame.Rect, kind: str) -> None:
        """Lay the lane out in ``area``: a board, or the env's frame for frame-only envs."""
        self.kind = kind
        if kind == "frame":
            self.gym_view.set_rect(area)
        else:
            self.board.set_rect(area)

    def follow(self, target_steps: int, time_budget_s: float) -> None:
        """Catch up with the first agent's step count (within the budget)."""
        n = target_steps - self.session.total_steps
        if n > 0 and self.session.error is None:
            self.session.advance(n, time_budget_s=time_budget_s)

    def set_level(self, level: Level) -> None:
        """The level was edited: same edit for this agent (see ``TrainingSession.set_level``)."""
        self.session.set_level(level).old_env.close()
        self._close_env = self.session.env.close

    def refresh(self, layer: int, action_names: tuple[str, ...], with_q: bool) -> None:
        """Read the session (called when the first lane refreshes; ``layer``: the situation it
        shows, so the two boards compare like with like)."""
        session = self.session
        snap = session.snapshot(include_q=with_q and self.kind != "frame")
        self.snap = snap
        grid = session.grid
        if grid is not None and snap.q is not None:
            if self.kind == "taxi":
                layer = int(grid.layer[int(snap.state)])
            self.values = cell_values(snap.q, grid, layer, snap.visits, snap.last_td)
        elif with_q or session.agent.kind != "dqn":
            self.values = None
        self.trail = states_to_cells(snap.trail, grid) if grid is not None else []
        if self.kind == "frame":
            self.gym_view.set_frame(session.render_frame())
            q = session.state_q()
            self.gym_view.set_q(q if q is not None and q.size == len(action_names) else None,
                                snap.last_action, action_names)

    def draw(self, screen: pygame.Surface, base: BoardView) -> None:
        """Draw the lane: its frame, or its board with ``base``'s map and overlays (the first
        lane's, without the optimal policy) and this agent's values, position and trail."""
        if self.kind == "frame":
            self.gym_view.draw(screen)
            return
        snap = self.snap
        overlays = dataclasses.replace(base.overlays, optimal=False)
        self.board.draw(screen, dataclasses.replace(
            base, values=self.values, agent_pos=snap.position if snap is not None else None,
            eaten=base.eaten if snap is not None else frozenset(),
            trail=self.trail if overlays.trail else (), overlays=overlays, optimal_mask=None,
            problem_cells=[]))

    def close(self) -> None:
        self._close_env()


class CompareMode:
    """Opens compare mode's second lane, follows world changes, closes it.

    Args:
        training: owns the lanes while they are open.
        worlds: which world is on screen (the lane opens a copy of it).
        controls, status: where the compare menu and notices show.
        font: for a frame lane's bar labels.
    """

    def __init__(self, training: TrainingControl, worlds: WorldFlow, controls: Controls,
                 status: StatusBar, font: pygame.font.Font) -> None:
        self.training = training
        self.worlds = worlds
        self.controls = controls
        self.status = status
        self.font = font

    def choose(self, kind: str | None) -> bool:
        """The compare menu (None turns compare mode off); True when a lane is open."""
        self.training.pause()
        self.training.close_lane()
        self.controls.show_compare(kind)
        if kind is not None:
            self._open(kind)
        return self.training.lane is not None

    def _open(self, kind: str) -> None:
        world = self.worlds.world
        training = self.training
        if world is not None:
            try:
                copy = open_world(world.spec)
            except ValueError as exc:
                self._failed(str(exc))
                return
            env, env_spec, closer = copy.env, copy.resolved, copy.close
        else:
            if not training.valid or training.session_level is None:
                self._failed("the level must be valid first")
                return
            env = GridMazeEnv(training.session_level)
            env_spec, closer = None, env.close
        try:
            session = training.new_session(env, kind, env_spec=env_spec)
        except (ConfigError, ValueError) as exc:
            closer()
            self._failed(str(exc))
            return
        training.open_lane(CompareLane(session, closer, self.font))

    def _failed(self, why: str) -> None:
        self.controls.show_compare(None)
        self.controls.rebuild()
        self.status.notify(f"Compare mode is off: {why}", "error", 10)

    def reopen(self) -> None:
        """The world changed: the second agent moves to a copy of the new one."""
        state = self.controls.state
        if state.compare_kind is None:
            return
        self.training.close_lane()
        if state.compare_kind in state.agent_options:
            self._open(state.compare_kind)
        else:
            self.controls.show_compare(None)
            self.controls.rebuild()
