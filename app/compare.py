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

:class:`CompareLane` is the second lane (session, board / frame, its snapshot);
:class:`CompareMode` is the app mixin that opens and closes it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pygame

from agents.config import ConfigError
from app.agentfactory import label
from app.board import Board, BoardView, Overlays
from app.envfactory import open_world
from app.gymview import GymView
from app.qview import cell_values, states_to_cells
from levels.gridmaze import GridMazeEnv
from levels.level import Level

CAPTION_H = 24


class CompareLane:
    """The second agent: its session, views and latest snapshot.

    Args:
        session: a session on an env of its own (never the first agent's).
        close_env: releases that env when the lane closes.
        font: for the frame view's bar labels.
    """

    def __init__(self, session: Any, close_env: Callable[[], None],
                 font: pygame.font.Font | None = None) -> None:
        self.session = session
        self._close_env = close_env
        self.board = Board((0, 0, 10, 10))
        self.gym_view = GymView((0, 0, 10, 10), font)
        self.kind = "level"
        self.snap: Any = None
        self.values: Any = None
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

    def refresh(self, app: Any, with_q: bool) -> None:
        """Read the session (called when the first lane refreshes)."""
        session = self.session
        snap = session.snapshot(include_q=with_q and self.kind != "frame")
        self.snap = snap
        grid = session.grid
        if grid is not None and snap.q is not None:
            # the situation the first lane shows, so the two boards compare like with like
            layer = int(grid.layer[int(snap.state)]) if self.kind == "taxi" else app._layer
            self.values = cell_values(snap.q, grid, layer, snap.visits, snap.last_td)
        elif with_q or session.agent.kind != "dqn":
            self.values = None
        self.trail = states_to_cells(snap.trail, grid) if grid is not None else []
        if self.kind == "frame":
            self.gym_view.set_frame(session.render_frame())
            names = app.world.action_names if app.world is not None else ()
            q = session.state_q()
            self.gym_view.set_q(q if q is not None and q.size == len(names) else None,
                                snap.last_action, names)

    def draw(self, screen: pygame.Surface, app: Any) -> None:
        if self.kind == "frame":
            self.gym_view.draw(screen)
            return
        snap = self.snap
        ov = Overlays(**{k: bool(v) for k, v in app.state.overlays.items()})
        ov.optimal = False
        self.board.draw(screen, BoardView(
            tiles=app.world_tiles(), values=self.values,
            agent_pos=snap.position if snap is not None else None,
            eaten=app.eaten_cells(app._layer) if snap is not None else frozenset(),
            trail=self.trail if ov.trail else (), overlays=ov, quiet_tiles=app.quiet_tiles()))

    def close(self) -> None:
        self._close_env()


class CompareMode:
    """The app's side of compare mode: open, follow world and agent changes, close."""

    compare: CompareLane | None
    state: Any

    def _cmd_compare(self, kind: str | None) -> None:
        """The compare menu: None turns compare mode off."""
        self._pause()
        self.close_compare()
        self.state.compare_kind = kind
        if kind is not None:
            self._open_compare(kind)
        self._layout()
        if self.compare is not None:
            self.reset_learning()  # both start together from scratch, same seed
            first, second = self.lane_places()
            self.status.notify(f"Compare: {label(self.session.agent.kind)} ({first}) vs "
                               f"{label(kind)} ({second}), same world, same seed; Space trains "
                               "both", "info", 10)

    def _open_compare(self, kind: str) -> None:
        if self.world is not None:
            try:
                world = open_world(self.world.spec)
            except ValueError as exc:
                self._compare_failed(str(exc))
                return
            env, env_spec, closer = world.env, world.resolved, world.close
        else:
            if not self.valid or self.session_level is None:
                self._compare_failed("the level must be valid first")
                return
            env = GridMazeEnv(self.session_level)
            env_spec, closer = None, env.close
        try:
            session = self._new_session(env, kind, env_spec=env_spec)
        except (ConfigError, ValueError) as exc:
            closer()
            self._compare_failed(str(exc))
            return
        self.compare = CompareLane(session, closer, self.font)

    def _compare_failed(self, why: str) -> None:
        self.state.compare_kind = None
        self.controls.rebuild()
        self.status.notify(f"Compare mode is off: {why}", "error", 10)

    def reopen_compare(self) -> None:
        """The world changed: the second agent moves to a copy of the new one."""
        if self.state.compare_kind is None:
            return
        self.close_compare()
        if self.state.compare_kind in self.state.agent_options:
            self._open_compare(self.state.compare_kind)
        else:
            self.state.compare_kind = None
            self.controls.rebuild()
        self._layout()

    def reset_compare(self) -> None:
        """The first agent starts over: so does the second, so they stay comparable."""
        if self.compare is not None:
            self.compare.session.reset()
            self._chart_episode = -1

    def close_compare(self) -> None:
        if self.compare is not None:
            self.compare.close()
            self.compare = None
            self._chart_episode = -1
