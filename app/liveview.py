"""What the app reads back from the session each frame: Q-values per cell, charts, hover card.

:class:`LiveView` owns the view's cache (:class:`ViewState`: the last snapshot, the values per
cell, which cheeses-eaten situation the board shows, the chart bookkeeping) and the rate meter;
nobody else writes them. It notices what to re-read by comparing the training control's
``revision`` and ``generation`` with the ones it last saw. While training fast the session is
re-read at most ~15 times a second (the board throttles its arrow layer to ~10 redraws a second
anyway), so the frame budget goes to learning; at slow speed, while stepping and when paused it is
re-read whenever something changed. The board is then given one :class:`app.board.BoardView` per
frame.

A DQN has no table: its arrows come from a forward pass over every state of the board
(``snapshot(include_q=True)``), and its loss / mean-Q charts from the agent's statistics. Both
are refreshed at most :data:`DQN_REFRESH_S` apart while it trains, not every frame. Envs shown
as frames (CartPole, Taxi's picture) get the env's own rendering and the current state's
Q-values as bars (``state_q``), the last action highlighted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents import Agent
from agents.records import Snapshot
from agents.tabular import TabularAgent
from app import colors as C
from app.agentfactory import label
from app.board import Board, BoardView, Overlays
from app.charts import LineChart, Series
from app.controls import Controls
from app.dynprog import DynamicProgrammingControl
from app.editor import Editor
from app.gymview import GymView, taxi_situation
from app.leveledits import LevelEdits
from app.optimal import OptimalValues
from app.qview import CellValues, cell_values, per_cell, states_to_cells
from app.screen import ScreenLayout
from app.sessionread import DQNReadout, SessionReadout
from app.stallwatch import StallFigures, StallJudge, StallWatch, stall_hint
from app.statusbar import ARROWS, InfoStrip, RateMeter, StatusBar
from app.training import TrainingControl
from app.worldflow import WorldFlow
from levels.gridinfo import GridInfo

STALL_CHECK_S = 1.0  # how often the stall watch looks (it evaluates the greedy policy)
FAST_REFRESH_S = 1.0 / 15.0  # how often the view re-reads the session while training fast
DQN_REFRESH_S = 0.25  # a DQN's arrows and charts while it trains: a few times a second
DIRS = ("left", "down", "right", "up")


def episode_ends(snap: Snapshot) -> np.ndarray:
    """The env step at which each kept episode of ``snap.returns`` ended."""
    lengths = np.asarray(snap.lengths, dtype=np.float64)
    if lengths.size == 0:
        return lengths
    last_end = float(snap.total_steps - snap.episode_step)
    later = np.append(np.cumsum(lengths[::-1])[::-1][1:], 0.0)  # steps of the episodes after
    return last_end - later


@dataclass
class ViewState:
    """What the view caches between frames (owned by :class:`LiveView`)."""

    snap: Snapshot | None = None
    values: CellValues | None = None
    snap_time: float = -1.0
    q_time: float = -1e9  # the last DQN forward pass over the board
    layer: int = 0  # the cheeses-eaten situation the board shows
    layer_follows_agent: bool = True
    layer_caption: str = ""
    taxi_caption: str = ""
    trail_cells: list[tuple[int, int]] = field(default_factory=list)
    traces: np.ndarray | None = None  # per cell: largest eligibility trace
    model_known: np.ndarray | None = None  # per cell: 1 where Dyna's model knows the state
    planned: np.ndarray | None = None  # per cell: the last step's planning updates
    chart_episodes: tuple[int, int] = (-1, -1)
    hover_cell: tuple[int, int] | None = None
    hover_time: float = -1.0
    seen_revision: int = -1
    seen_generation: int = -1
    seen_session: object = None
    seen_moves: int = 0
    stall: StallWatch = field(default_factory=StallWatch)
    stall_time: float = -1e9
    stall_generation: int = -1
    stall_hint: str | None = None  # what the last check said: learning stalled, what to try


class LiveView:
    """Turns session snapshots into what the board, charts, readout and hover card show."""

    def __init__(self, training: TrainingControl, worlds: WorldFlow, edits: LevelEdits,
                 layout: ScreenLayout, charts: Charts, *, board: Board, editor: Editor,
                 gym_view: GymView, info: InfoStrip, status: StatusBar, controls: Controls,
                 optimal: OptimalValues, dp: DynamicProgrammingControl) -> None:
        self.training = training
        self.worlds = worlds
        self.edits = edits
        self.layout = layout
        self.charts = charts
        self.board = board
        self.editor = editor
        self.gym_view = gym_view
        self.info = info
        self.status = status
        self.controls = controls
        self.optimal = optimal
        self.dp = dp
        self.stall_check_s = STALL_CHECK_S  #: seconds between stall checks (tests: 0)
        self.stall_judge = StallJudge()
        self.rate = RateMeter()
        self._v = ViewState()

    # -- what others read ----------------------------------------------------------------------
    def close(self) -> None:
        """Stop the stall watch's worker (the app is closing)."""
        self.stall_judge.close()

    @property
    def stall_hint(self) -> str | None:
        """The stalled-learning line of the last check (None: learning is not stalled)."""
        return self._v.stall_hint

    @property
    def snap(self) -> Snapshot | None:
        return self._v.snap

    @property
    def values(self) -> CellValues | None:
        return self._v.values

    @property
    def layer(self) -> int:
        """The cheeses-eaten situation (layer) the board shows."""
        return self._v.layer

    @property
    def layer_caption(self) -> str:
        return self._v.layer_caption

    @property
    def taxi_caption(self) -> str:
        return self._v.taxi_caption

    # -- keeping up with training ----------------------------------------------------------------
    def invalidate(self) -> None:
        """Re-read the session on the next frame (an overlay changed, the world changed)."""
        self._v.seen_revision = -1

    def _catch_up(self) -> None:
        """Start over where training started over; follow the agent when it glides."""
        v, training = self._v, self.training
        if training.session is not v.seen_session:
            v.seen_session = training.session
            v.values, v.snap = None, None
        if training.generation != v.seen_generation:
            v.seen_generation = training.generation
            v.chart_episodes = (-1, -1)
            v.q_time = -1e9
            self.rate.reset()
        if training.moves_started != v.seen_moves:
            v.seen_moves = training.moves_started
            v.layer_follows_agent = True

    def _fast_refresh_s(self) -> float:
        """Seconds between re-reads while training fast: at least as often as the stall watch
        wants to look (tests set it to 0 so that every frame is looked at)."""
        return min(FAST_REFRESH_S, self.stall_check_s)

    def refresh_due(self, now: float) -> bool:
        self._catch_up()
        if self.training.training_fast():
            return now - self._v.snap_time >= self._fast_refresh_s()
        return self._v.seen_revision != self.training.revision

    def refresh(self, now: float) -> bool:
        """Re-read the session when something changed (throttled while training fast)."""
        v, training = self._v, self.training
        self._catch_up()
        session = training.session
        if session is None:
            return False
        fast = training.training_fast()
        if v.seen_revision == training.revision or (
                fast and now - v.snap_time < self._fast_refresh_s()):
            self._refresh_hover(now)
            return False
        dqn = session.agent.kind == "dqn"
        kind = self.worlds.view_kind
        with_q = not dqn or not training.playing or now - v.q_time >= DQN_REFRESH_S
        readout = training.readout(include_q=with_q and kind != "frame",
                                   frame=kind in ("taxi", "frame"), dqn=dqn and with_q)
        if readout is None:  # training moved to its worker, which has not published yet
            return False
        v.seen_revision = training.revision
        v.snap_time = now
        if readout.dqn is not None:
            v.q_time = now
            self._show_dqn_stats(readout.dqn)
        snap = readout.snap
        v.snap = snap
        self.rate.add(snap.total_steps, now)
        grid = session.grid
        if training.valid and grid is not None and snap.q is not None:
            self._read_values(snap, grid, fast)
        elif not dqn or not training.valid or grid is None:
            v.values = None  # a DQN between two forward passes keeps its last arrows and heat
        if kind in ("taxi", "frame"):
            self._show_frame(readout)
        lane = training.lane
        if lane is not None:
            world = self.worlds.world
            lane.refresh(v.layer, world.action_names if world is not None else (), with_q)
        overlays = self.controls.state.overlays
        if (overlays.get("optimal") and training.valid and grid is not None
                and snap.q is not None and not dqn):
            self.optimal.request(session.env, float(session.agent.gamma))
            self.controls.set_readout(self.optimal.readout(snap.q))
        else:
            self.controls.set_readout("")
        self._watch_stall(snap, now)
        v.trail_cells = states_to_cells(snap.trail, grid) if grid is not None and \
            overlays.get("trail") else []
        episodes = (snap.episode, lane.snap.episode if lane is not None
                    and lane.snap is not None else -1)
        if episodes != v.chart_episodes:
            v.chart_episodes = episodes
            self._update_learning_curves(snap)
            self._update_epsilon_chart(snap)
        self._refresh_hover(now, force=True)
        return True

    def _read_values(self, snap: Snapshot, grid: GridInfo, fast: bool) -> None:
        """Values per cell of one cheeses-eaten situation (layer).

        The agent's own while it is watched step by step; while training fast and after pausing
        it, the one the agent has spent most steps in, which does not jump about as cheeses are
        eaten (layer 0, nothing eaten, would leave most cells empty once the agent eats a cheese
        early). Taxi's board always shows the passenger/destination situation the taxi is in.
        """
        v = self._v
        kind = self.worlds.view_kind
        if fast:
            v.layer_follows_agent = False
        follow = v.layer_follows_agent or kind == "taxi"
        layer = int(grid.layer[self._display_state(snap)]) if follow else \
            self._most_visited_layer(grid, snap.visits)
        v.values = cell_values(snap.q, grid, layer, snap.visits, snap.last_td)
        v.layer = layer
        self._read_marks(snap, grid, layer)
        v.layer_caption = self._describe_layer(layer, follow)
        if kind == "taxi":
            v.taxi_caption = f"Q arrows for: {taxi_situation(layer)}"

    def _read_marks(self, snap: Snapshot, grid: GridInfo, layer: int) -> None:
        """Per-cell traces and Dyna model of the shown layer; DP's values when DP is shown."""
        v = self._v
        v.traces = per_cell(snap.traces, grid, layer) if snap.traces is not None else None
        v.model_known = (per_cell(snap.model_known, grid, layer)
                         if snap.model_known is not None else None)
        v.planned = per_cell(snap.planned, grid, layer) if snap.planned is not None else None
        dp = self.dp.dp
        if self.dp.active and dp is not None and dp.n_states == grid.layer.size:
            values = cell_values(dp.lookahead(), grid, layer, snap.visits)
            shown = cell_values(dp.policy, grid, layer)
            values.value = per_cell(dp.v, grid, layer)
            values.greedy_mask, values.greedy_dirs = shown.greedy_mask, shown.greedy_dirs
            v.values = values

    def _watch_stall(self, snap: Snapshot, now: float) -> None:
        """While training a tabular agent on a world with a model: say when learning stalls."""
        training, session = self.training, self.training.session
        v = self._v
        if (session is None or not training.playing or training.demo or training.watching
                or snap.q is None or session.agent.kind == "dqn" or not training.valid):
            return
        gamma = float(session.agent.gamma)
        self.optimal.request(session.env, gamma)
        opt = self.optimal
        if not opt.ready or opt.q_star is None or opt.arrays is None \
                or opt.q_star.shape != snap.q.shape:
            return
        if v.stall_generation != training.generation:
            v.stall_generation = training.generation
            v.stall.reset(snap.q.shape[0])
            v.stall_hint = None
            self.stall_judge.forget()
        figures = self.stall_judge.take()  # the last look, worked out off the frame loop
        if figures is not None and figures.generation == training.generation:
            self._judge_stall(figures, opt.arrays, session.agent)
        if now - v.stall_time < self.stall_check_s or self.stall_judge.busy:
            return
        v.stall_time = now
        start = np.asarray(session.env.unwrapped.initial_state_distrib, dtype=np.float64)
        self.stall_judge.submit(opt.arrays, snap.q, opt.q_star, opt.reachable, gamma, start,
                                snap.total_steps, training.generation)

    def _judge_stall(self, figures: StallFigures, arrays: dict[str, np.ndarray],
                     agent: Agent) -> None:
        """One look's figures into the watch; the hint line when learning has stalled."""
        v = self._v
        stalled = v.stall.update(figures.steps, figures.greedy, figures.best, figures.distance)
        v.stall_hint = None
        if stalled:
            top = float(np.max(arrays["reward"]))
            initial_q = agent.initial_q if isinstance(agent, TabularAgent) else 0.0
            v.stall_hint = stall_hint(figures.greedy, figures.best, initial_q, top)
            self.status.notify(v.stall_hint, "warn", max(self.stall_check_s, 1.0) + 4)

    def _update_learning_curves(self, snap: Snapshot) -> None:
        returns = snap.returns
        lane = self.training.lane
        chart = self.charts.returns
        if lane is None or lane.snap is None:
            chart.set_title("return per episode")
            chart.set_learning_curve(returns, snap.episode - len(returns) + 1)
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
        chart.set_title("return per episode, by env step")
        chart.set_learning_curves(curves)

    def lane_label(self, i: int) -> str:
        """Compare mode's name for the first (0) or second (1) agent."""
        return lane_label(self.training, self.layout, i)

    def _show_frame(self, readout: SessionReadout) -> None:
        """The env's own picture and the Q-value bars of the current state."""
        snap = readout.snap
        world = self.worlds.world
        if readout.frame_error is not None:  # keep the last picture, say why
            self.status.notify(readout.frame_error, "warn")
        elif readout.frame is not None:
            self.gym_view.set_frame(readout.frame)
        session = self.training.session  # the observation strip: a reference read, no stepping
        if session is not None:
            self.gym_view.set_inputs(session.state if not session.discrete else None)
        names = world.action_names if world is not None else ()
        q = readout.state_q
        if q is not None and q.size != len(names):
            q = None
        self.gym_view.set_q(q, snap.last_action, names)
        if self.worlds.view_kind == "frame":
            self.gym_view.set_caption(f"step {snap.episode_step} · return "
                                      f"{snap.episode_return:g} · Q-values now; amber: "
                                      "the action just taken")

    def _show_dqn_stats(self, dqn: DQNReadout) -> None:
        """The DQN's loss and mean-Q charts and its numbers in the info strip."""
        stats = dqn.stats
        steps = stats["step"]
        self.charts.loss.set_series([Series("TD loss", stats["loss"], steps, C.SERIES[4])])
        self.charts.meanq.set_series([Series("mean Q", stats["mean_q"], steps, C.SERIES[2])])
        cfg = dqn.config
        precision = ", BF16 MIXED PRECISION" if cfg.precision == "bf16" else ""
        self.info.set_title(f"DQN ON {dqn.device.upper()}{precision}")
        error = self.training.session.error if self.training.session is not None else None
        if error:  # the stop message stays until the agent is reset
            self.info.set_arithmetic([], f"Training stopped: {error}. Press R to "
                                         "reset the agent (or lower the learning rate).")
            return
        if steps.size:
            line1 = (f"loss {stats['loss'][-1]:.4g}   mean Q {stats['mean_q'][-1]:.4g}   "
                     f"|TD error| {stats['td_error'][-1]:.4g}   learning rate "
                     f"{dqn.learning_rate:.3g}")
        elif dqn.num_updates:  # trained before this run (a loaded agent): its replay is new
            line1 = (f"step {dqn.num_steps:,}, loaded: learning resumes after "
                     f"{cfg.learning_starts:,} steps in replay (now {dqn.replay_size:,})")
        else:
            line1 = (f"collecting experience: training starts after {cfg.learning_starts:,} "
                     f"steps in replay (now {dqn.replay_size:,})")
        if self.training.watching:
            line1 = ("watching (not learning): nothing goes into replay, no gradient steps; "
                     "T trains again")
        line2 = (f"{dqn.num_updates:,} gradient steps   replay {dqn.replay_size:,} / "
                 f"{cfg.buffer_size:,}   target every {cfg.target_update_interval:,} steps   "
                 f"batch {cfg.batch_size}")
        self.info.set_arithmetic([line1, line2, self.training.dqn_note])

    def _most_visited_layer(self, grid: GridInfo, visits: np.ndarray | None) -> int:
        """The layer with the most visits; the shown one stays until another has 10 % more."""
        if grid.n_layers <= 1 or visits is None or visits.size != grid.layer.size:
            return 0
        per_layer = np.bincount(grid.layer, weights=visits, minlength=grid.n_layers)
        best = int(per_layer.argmax())
        shown = self._v.layer if 0 <= self._v.layer < per_layer.size else 0
        return shown if per_layer[shown] * 1.1 >= per_layer[best] else best

    def _describe_layer(self, layer: int, follow: bool) -> str:
        """The caption over a level's board saying which cheeses-eaten situation it shows."""
        level = self.training.session_level
        cheeses = level.small_cheeses if level is not None and self.worlds.world is None else ()
        if not cheeses:
            return ""
        why = ("as for the mouse right now" if follow
               else "the case the mouse has been in most")
        return (f"values with {bin(layer).count('1')} of {len(cheeses)} small cheese eaten "
                f"({why})")

    def eaten_cells(self, layer: int) -> frozenset[tuple[int, int]]:
        """The small cheeses eaten in cheeses-eaten situation ``layer`` (drawn as gone)."""
        cheeses = self.editor.level.small_cheeses if self.worlds.world is None else ()
        return frozenset(cell for i, cell in enumerate(cheeses) if layer >> i & 1)

    def _display_state(self, snap: Snapshot) -> int:
        move = self.training.move
        return move.state if move is not None else int(snap.state)

    def _update_epsilon_chart(self, snap: Snapshot) -> None:
        session = self.training.session
        schedule = session.schedule if session is not None else None
        if schedule is None or session.agent.kind == "dqn":
            return
        episode = snap.episode
        decay = float(session.agent.hyperparameters().get("epsilon_decay", 0.0))
        horizon = max(100.0, episode * 1.25, min(5.0 / decay, 50_000.0) if decay > 0 else 0.0)
        x = np.linspace(0.0, horizon, 160)
        eps = np.array([schedule.value(0, int(e)) for e in x])
        self.charts.epsilon.set_epsilon(x, eps, (float(episode), float(snap.epsilon)))

    def _refresh_hover(self, now: float, force: bool = False) -> None:
        v = self._v
        cell = self.board.hover
        if not force and cell == v.hover_cell and now - v.hover_time < 0.2:
            return
        v.hover_cell, v.hover_time = cell, now
        values = v.values
        if cell is None or values is None or v.snap is None:
            self.info.set_hover([])
            return
        r, c = cell
        if r >= values.value.shape[0] or c >= values.value.shape[1]:
            self.info.set_hover([])
            return
        session = self.training.session
        grid = session.grid if session is not None else None
        state = int(grid.states_in_layer(v.layer)[r * grid.ncols + c]) \
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
        v, training, worlds = self._v, self.training, self.worlds
        valid = training.valid
        snap = v.snap if valid else None
        ov = Overlays(**{k: bool(on) for k, on in self.controls.state.overlays.items()})
        agent_pos = None
        eaten: frozenset[tuple[int, int]] = frozenset()
        trail: list[tuple[int, int]] = []
        optimal_mask = None
        grid = training.session.grid if training.session is not None else None
        if snap is not None and grid is not None and not self.editor.drawing:
            move = training.move
            agent_pos = move.position() if move is not None else snap.position
            follow = v.layer_follows_agent or worlds.view_kind == "taxi"
            eaten = self.eaten_cells(int(grid.layer[self._display_state(snap)]) if follow
                                     else v.layer)
            if ov.trail:
                trail = v.trail_cells
            if ov.optimal:
                optimal_mask = self.optimal.mask(grid, v.layer)
        problems = self.edits.problem_cells if worlds.world is None else []
        return BoardView(tiles=worlds.world_tiles(), values=v.values if valid else None,
                         agent_pos=agent_pos, eaten=eaten, trail=trail,
                         optimal_mask=optimal_mask, problem_cells=problems,
                         overlays=ov, quiet_tiles=worlds.quiet_tiles(),
                         traces=v.traces if valid else None,
                         model_known=v.model_known if valid else None,
                         planned=v.planned if valid else None, **self._reward_fields())

    def lane_base_view(self) -> BoardView:
        """What compare mode's second board shares with the first: map, rewards, overlays,
        situation."""
        ov = Overlays(**{k: bool(on) for k, on in self.controls.state.overlays.items()})
        return BoardView(tiles=self.worlds.world_tiles(), eaten=self.eaten_cells(self._v.layer),
                         overlays=ov, quiet_tiles=self.worlds.quiet_tiles(),
                         **self._reward_fields())

    def _reward_fields(self) -> dict[str, Any]:
        """The rewards a board writes in its cells: the level's (drawn here, or a GridMaze world
        opened by id, e.g. in image mode), or the Gymnasium world's."""
        world = self.worlds.world
        level = self.editor.level if world is None else world.resolved.level
        if level is None:
            return {"rewards": self.worlds.world_rewards(), "reward_cells": ()}
        return {"rewards": level.rewards_array(), "reward_cells": level.cell_rewards}


@dataclass(frozen=True)
class Charts:
    """The charts under the panel: learning curve, epsilon schedule, a DQN's loss and mean Q."""

    returns: LineChart
    epsilon: LineChart
    loss: LineChart
    meanq: LineChart


def lane_label(training: TrainingControl, layout: ScreenLayout, i: int) -> str:
    """Compare mode's name for the first (0) or second (1) agent."""
    assert training.session is not None and training.lane is not None
    kinds = [training.session.agent.kind, training.lane.session.agent.kind]
    name = label(kinds[i])
    return f"{name} ({layout.lane_places()[i]})" if kinds[0] == kinds[1] else name
