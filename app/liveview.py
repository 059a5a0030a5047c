"""What the app reads back from the session each frame: Q-values per cell, charts, hover card.

A mixin of :class:`app.app.App`. While training fast the session is re-read at most ~15 times a
second (the board throttles its arrow layer to ~10 redraws a second anyway), so the frame budget
goes to learning; at slow speed, while stepping and when paused it is re-read whenever something
changed. The board is then given one :class:`app.board.BoardView` per frame.

A DQN has no table: its arrows come from a forward pass over every state of the board
(``snapshot(include_q=True)``), and its loss / mean-Q charts from the agent's statistics. Both
are refreshed at most :data:`DQN_REFRESH_S` apart while it trains, not every frame. Envs shown
as frames (CartPole, Taxi's picture) get the env's own rendering and the current state's
Q-values as bars (``state_q``), the last action highlighted.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from app import colors as C
from app.board import BoardView, Overlays
from app.charts import Series
from app.gymview import taxi_situation
from app.qview import cell_values, states_to_cells
from app.statusbar import ARROWS
from app.training import SLOW_SPEED

FAST_REFRESH_S = 1.0 / 15.0  # how often the view re-reads the session while training fast
DQN_REFRESH_S = 0.25  # a DQN's arrows and charts while it trains: a few times a second
DIRS = ("left", "down", "right", "up")


def episode_ends(snap: Any) -> np.ndarray:
    """The env step at which each kept episode of ``snap.returns`` ended."""
    lengths = np.asarray(snap.lengths, dtype=np.float64)
    if lengths.size == 0:
        return lengths
    last_end = float(snap.total_steps - snap.episode_step)
    later = np.append(np.cumsum(lengths[::-1])[::-1][1:], 0.0)  # steps of the episodes after
    return last_end - later


class LiveView:
    """Turns session snapshots into what the board, charts, readout and hover card show."""

    session: Any
    state: Any

    def _training_fast(self) -> bool:
        return self.playing and (self.state.speed is None or self.state.speed > SLOW_SPEED)

    def _refresh_due(self, now: float) -> bool:
        if self._training_fast():
            return now - self._snap_time >= FAST_REFRESH_S
        return self._need_refresh

    def _refresh_view(self, now: float) -> bool:
        """Re-read the session when something changed (throttled while training fast)."""
        session = self.session
        if session is None:
            return False
        fast = self._training_fast()
        if not self._need_refresh or (fast and now - self._snap_time < FAST_REFRESH_S):
            self._refresh_hover(now)
            return False
        self._need_refresh = False
        self._snap_time = now
        dqn = session.agent.kind == "dqn"
        with_q = not dqn or not self.playing or now - self._q_time >= DQN_REFRESH_S
        if dqn and with_q:
            self._q_time = now
            self._show_dqn_stats(session.agent)
        snap = session.snapshot(include_q=with_q and self.view_kind != "frame")
        self._snap = snap
        self.rate.add(snap.total_steps, now)
        grid = session.grid
        if self.valid and grid is not None and snap.q is not None:
            # Which cheeses-eaten situation (layer) the arrows show: the agent's own while it is
            # watched step by step; while training fast and after pausing it, the one the agent
            # has spent most steps in, which does not jump about as cheeses are eaten (layer 0,
            # nothing eaten, would leave most cells empty once the agent eats a cheese early).
            # Taxi's board always shows the passenger/destination situation the taxi is in.
            if fast:
                self._layer_follows_agent = False
            follow = self._layer_follows_agent or self.view_kind == "taxi"
            layer = int(grid.layer[self._display_state(snap)]) if follow else \
                self._most_visited_layer(grid, snap.visits)
            self._values = cell_values(snap.q, grid, layer, snap.visits, snap.last_td)
            self._layer = layer
            self.layer_caption = self._describe_layer(layer, follow)
            if self.view_kind == "taxi":
                self.taxi_caption = f"Q arrows for: {taxi_situation(layer)}"
        elif with_q or not dqn:  # a DQN between two forward passes keeps its last arrows
            self._values = None
        if self.view_kind in ("taxi", "frame"):
            self._show_frame(snap)
        if self.compare is not None:
            self.compare.refresh(self, with_q)
        if (self.state.overlays.get("optimal") and self.valid and grid is not None
                and snap.q is not None and not dqn):
            self.optimal.request(session.env, float(session.agent.gamma))
            self.controls.set_readout(self.optimal.readout(snap.q))
        else:
            self.controls.set_readout("")
        self._trail_cells = states_to_cells(snap.trail, grid) if grid is not None and \
            self.state.overlays.get("trail") else []
        episodes = (snap.episode, self.compare.snap.episode if self.compare is not None
                    and self.compare.snap is not None else -1)
        if episodes != self._chart_episode:
            self._chart_episode = episodes
            self._update_learning_curves(snap)
            self._update_epsilon_chart(snap)
        self._refresh_hover(now, force=True)
        return True

    def _update_learning_curves(self, snap: Any) -> None:
        returns = snap.returns
        lane = self.compare
        if lane is None or lane.snap is None:
            self.returns_chart.title = "return per episode"
            self.returns_chart.set_learning_curve(returns, snap.episode - len(returns) + 1)
            return
        # Compare mode: the two agents run the same number of env steps, not of episodes (a
        # cautious agent's episodes are longer), so their curves line up on env steps; both
        # start where the shorter kept history starts.
        names = [self.lane_label(0), self.lane_label(1)]
        ends = [episode_ends(snap), episode_ends(lane.snap)]
        start = max((float(e[0]) for e in ends if e.size), default=0.0)
        curves = {}
        for name, s, x in zip(names, (snap, lane.snap), ends, strict=True):
            keep = x >= start
            curves[name] = (s.returns[keep], x[keep])
        self.returns_chart.title = "return per episode, by env step"
        self.returns_chart.set_learning_curves(curves)

    def lane_label(self, i: int) -> str:
        """Compare mode's name for the first (0) or second (1) agent."""
        from app.agentfactory import label

        kinds = [self.session.agent.kind, self.compare.session.agent.kind]
        name = label(kinds[i])
        return f"{name} ({self.lane_places()[i]})" if kinds[0] == kinds[1] else name

    def lane_places(self) -> tuple[str, str]:
        """Where compare mode's two lanes are on screen."""
        return ("top", "bottom") if self.lanes_stacked else ("left", "right")

    def _show_frame(self, snap: Any) -> None:
        """The env's own picture and the Q-value bars of the current state."""
        session = self.session
        try:
            self.gym_view.set_frame(session.render_frame())
        except Exception as exc:  # third-party render code: keep the last picture, say why
            self.status.notify(f"The env failed to render: {exc}", "warn")
        names = self.world.action_names if self.world is not None else ()
        q = session.state_q()
        if q is not None and q.size != len(names):
            q = None
        self.gym_view.set_q(q, snap.last_action, names)
        if self.view_kind == "frame":
            self.gym_view.set_caption(f"step {snap.episode_step} · return "
                                      f"{snap.episode_return:g} · Q-values now; amber: "
                                      "the action just taken")

    def _show_dqn_stats(self, agent: Any) -> None:
        """The DQN's loss and mean-Q charts and its numbers in the info strip."""
        stats = agent.stats_history()
        steps = stats["step"]
        self.loss_chart.set_series([Series("TD loss", stats["loss"], steps, C.SERIES[4])])
        self.meanq_chart.set_series([Series("mean Q", stats["mean_q"], steps, C.SERIES[2])])
        cfg = agent.config
        self.info.title = f"DQN ON {str(agent.device).upper()}"
        if self.session.error:  # the stop message stays until the agent is reset
            self.info.set_arithmetic([], f"Training stopped: {self.session.error}. Press R to "
                                         "reset the agent (or lower the learning rate).")
            return
        if steps.size:
            line1 = (f"loss {stats['loss'][-1]:.4g}   mean Q {stats['mean_q'][-1]:.4g}   "
                     f"|TD error| {stats['td_error'][-1]:.4g}   learning rate "
                     f"{agent.current_learning_rate:.3g}")
        else:
            line1 = (f"collecting experience: training starts after {cfg.learning_starts:,} "
                     f"steps (now {agent.num_steps:,})")
        line2 = (f"{agent.num_updates:,} gradient steps   replay {agent.buffer.size:,} / "
                 f"{cfg.buffer_size:,}   target every {cfg.target_update_interval:,} steps   "
                 f"batch {cfg.batch_size}")
        self.info.set_arithmetic([line1, line2, self._dqn_note])

    def _most_visited_layer(self, grid: Any, visits: np.ndarray | None) -> int:
        """The layer with the most visits; the shown one stays until another has 10 % more."""
        if grid.n_layers <= 1 or visits is None or visits.size != grid.layer.size:
            return 0
        per_layer = np.bincount(grid.layer, weights=visits, minlength=grid.n_layers)
        best = int(per_layer.argmax())
        shown = self._layer if 0 <= self._layer < per_layer.size else 0
        return shown if per_layer[shown] * 1.1 >= per_layer[best] else best

    def _describe_layer(self, layer: int, follow: bool) -> str:
        """The caption over a level's board saying which cheeses-eaten situation it shows."""
        level = self.session_level
        cheeses = level.small_cheeses if level is not None and self.world is None else ()
        if not cheeses:
            return ""
        why = "where the mouse is now" if follow else "the situation it is in most"
        return f"small cheese eaten: {bin(layer).count('1')} of {len(cheeses)}  \u00b7  {why}"

    def eaten_cells(self, layer: int) -> frozenset[tuple[int, int]]:
        """The small cheeses eaten in cheeses-eaten situation ``layer`` (drawn as gone)."""
        cheeses = self.editor.level.small_cheeses if self.world is None else ()
        return frozenset(cell for i, cell in enumerate(cheeses) if layer >> i & 1)

    def _display_state(self, snap: Any) -> int:
        if self._anim is not None and self._shown_state is not None:
            return self._shown_state
        return int(snap.state)

    def _update_epsilon_chart(self, snap: Any) -> None:
        schedule = self.session.schedule if self.session is not None else None
        if schedule is None or self.session.agent.kind == "dqn":
            return
        episode = snap.episode
        decay = float(self.state.hyper.get("epsilon_decay", 0.0))
        horizon = max(100.0, episode * 1.25, min(5.0 / decay, 50_000.0) if decay > 0 else 0.0)
        x = np.linspace(0.0, horizon, 160)
        eps = np.array([schedule.value(0, int(e)) for e in x])
        self.epsilon_chart.set_epsilon(x, eps, (float(episode), float(snap.epsilon)))

    def _refresh_hover(self, now: float, force: bool = False) -> None:
        cell = self.board.hover
        if not force and cell == self._hover_cell and now - self._hover_time < 0.2:
            return
        self._hover_cell, self._hover_time = cell, now
        values = self._values
        if cell is None or values is None or self._snap is None:
            self.info.set_hover([])
            return
        r, c = cell
        if r >= values.value.shape[0] or c >= values.value.shape[1]:
            self.info.set_hover([])
            return
        grid = self.session.grid if self.session is not None else None
        state = int(grid.states_in_layer(self._layer)[r * grid.ncols + c]) \
            if grid is not None else -1
        visits = int(values.visits[r, c]) if values.visits is not None else 0
        q = values.q_dir[r, c].tolist()

        def fmt(v: float) -> str:
            return "\u2014" if not np.isfinite(v) else f"{v:+.3f}"

        head = f"cell ({r}, {c})  \u00b7  s{state}  \u00b7  visits {visits:,}" if state >= 0 \
            else f"cell ({r}, {c})  \u00b7  no state here"
        td = values.last_td[r, c].tolist() if values.last_td is not None else [np.nan] * 4
        lines = [head, "     Q-value    last TD error"]
        for d, qv, tv in zip(DIRS, q, td, strict=True):
            lines.append(f" {ARROWS[d]}  {fmt(qv):>8}    {fmt(tv):>8}")
        self.info.set_hover(lines)

    def board_view(self) -> BoardView:
        """What the board draws this frame."""
        tiles = self.world_tiles()
        snap = self._snap if self.valid else None
        ov = Overlays(**{k: bool(v) for k, v in self.state.overlays.items()})
        agent_pos = None
        eaten: frozenset[tuple[int, int]] = frozenset()
        trail: list[tuple[int, int]] = []
        optimal_mask = None
        grid = self.session.grid if self.session is not None else None
        if snap is not None and grid is not None and not self.editor.drawing:
            if self._anim is not None:
                (r0, c0), (r1, c1), t, dur = self._anim
                f = min(1.0, t / dur) if dur > 0 else 1.0
                f = f * f * (3 - 2 * f)  # ease in and out
                agent_pos = (r0 + (r1 - r0) * f, c0 + (c1 - c0) * f)
            else:
                agent_pos = snap.position
            follow = self._layer_follows_agent or self.view_kind == "taxi"
            eaten = self.eaten_cells(int(grid.layer[self._display_state(snap)]) if follow
                                     else self._layer)
            if ov.trail:
                trail = self._trail_cells
            if ov.optimal:
                optimal_mask = self.optimal.mask(grid, self._layer)
        return BoardView(tiles=tiles, values=self._values if self.valid else None,
                         agent_pos=agent_pos, eaten=eaten, trail=trail,
                         optimal_mask=optimal_mask, problem_cells=self.problem_cells,
                         overlays=ov, quiet_tiles=self.quiet_tiles())
