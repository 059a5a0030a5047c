"""TrainingSession: one env, one agent, stepped by its caller (the app each frame, the CLI).

``advance`` runs steps until a step count, an episode count or a time budget runs out and reports
what happened; ``snapshot`` gives a view what it needs to draw. Two paths run the same MDP:

* the Python path (``env.step`` + ``agent.update``): used for recording the update arithmetic,
  for greedy demonstration and watching (no update at all), for a human driving
  (``manual_step``), for DQN and whenever turbo is off or the env has no tabular model;
* the turbo path (``agents.fast``, driven by ``agents.turbodrive``): chunks of compiled steps
  (~1 ms, or the caller's ``chunk_s``), the time budget checked between chunks.

The episode bookkeeping (state, step in episode, SARSA's chosen next action, schedule counters,
the path ring, visits, history) is a :class:`agents.sessionbook.SessionBook` both paths read and
write, so they hand over mid-episode. Agents satisfy :class:`agents.protocol.Agent`; the agent
owns its epsilon schedule and the session counts the learning steps and episodes it is evaluated
at. What a view reads is built from the book by ``agents.sessionviews``.
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np

from agents.evaluation import check_play_epsilon, play_action
from agents.fast import (
    I_DIVERGED,
    I_EP_STEP,
    I_EPISODE,
    I_NEXT_ACTION,
    I_STATE,
    I_STEP,
    TurboKernel,
    place_env,
)  # fmt: skip
from agents.optimism import auto_initial_q
from agents.protocol import Agent, TrainingDiverged
from agents.records import AdvanceReport, EpisodeHistory, EpisodeResult, Snapshot, Transition
from agents.schedules import Schedule
from agents.sessionbook import HISTORY, PATH_RING, SessionBook
from agents.sessionviews import state_q, take_snapshot
from agents.tabular import TabularAgent, TDUpdate
from agents.turbodrive import CHUNK_SECONDS as TURBO_CHUNK_SECONDS
from agents.turbodrive import TurboDriver, jit_kernel
from levels.gridinfo import grid_info
from levels.gridmaze import GridMazeEnv
from levels.level import Level, changed_cells
from levels.success import success_judge

__all__ = ["HISTORY", "AdvanceReport", "EpisodeResult", "LevelChange", "PATH_RING", "Snapshot",
           "TrainingSession", "Transition"]

MODES = ("learn", "greedy", "watch")
"""What a step does: learn (explore, update), a greedy demonstration, or watching (greedy or
at the watch epsilon, no update); the last two are not training and are counted apart."""

_DIVERGED = ("Q-values diverged (a value became infinite or NaN) at step {step}; "
             "lower alpha or gamma and reset the agent.")


@dataclass(frozen=True)
class LevelChange:
    """What :meth:`TrainingSession.set_level` did with what the agent had learnt.

    Attributes:
        kept: True when the agent learns on (only the changed cells' states forgotten); False
            when the state count or the grid's shape changed and a fresh agent took over, or
            when the edit changed what an initial Q of "auto" stands for and the table started
            over from it.
        changed_cells: the (row, col) cells whose tile changed (empty when the shape changed).
        reason: one sentence saying what happened and why, for the status bar ("" when the level
            is the same).
        old_env: the env the session left, not closed: the caller decides when.
    """

    kept: bool
    changed_cells: frozenset[tuple[int, int]]
    reason: str
    old_env: gymnasium.Env


class TrainingSession:
    """Owns one env and one agent; the caller decides when and how much to step.

    Args:
        env: any Gymnasium env with a Discrete action space (tabular agents also need Discrete
            observations).
        agent: any :class:`agents.protocol.Agent` (a tabular agent or a DQN); its
            ``epsilon_schedule`` decides epsilon at each learning step.
        seed: seeds the agent's Generator and the env; same seed, same run, bit for bit.
        turbo: use the compiled path when it can (learning mode, tabular, env with a model).
        env_spec: the ``ResolvedEnv`` (or spec string) the env came from, kept for agent files.
        turbo_kernel: returns the compiled kernel the turbo path calls (default numba's JIT one,
            which releases the GIL; the CLI asks for the ahead-of-time build).
    """

    def __init__(self, env: gymnasium.Env, agent: Agent, *, seed: int = 0, turbo: bool = False,
                 env_spec: Any = None,
                 turbo_kernel: Callable[[], TurboKernel] = jit_kernel) -> None:
        self.agent = agent
        self.turbo = bool(turbo)
        self._turbo_kernel = turbo_kernel
        self.env_spec = env_spec
        self.mode = "learn"
        self.watch_epsilon = 0.0
        self.agent_notice: str | None = None
        self._bind_env(env)
        self._seed_everything(seed)
        self._clear_history()
        self._start_episode(seed=self._env_seed)

    # ---- set-up ---------------------------------------------------------------------------------
    def _bind_env(self, env: gymnasium.Env) -> None:
        self.env = env
        self._judge = success_judge(env)
        self.discrete = isinstance(env.observation_space, gymnasium.spaces.Discrete)
        self.n_states = int(env.observation_space.n) if self.discrete else None
        self._turbo = TurboDriver(env, self._turbo_kernel)
        self._env_stale = False
        self.grid = grid_info(env)
        # A grid shown as images (GridMaze in image mode): views still draw cells and Q arrows.
        pictured = self.grid is not None and not self.discrete
        self._grid_pictures = getattr(env.unwrapped, "images", None) if pictured else None
        self._grid_index = getattr(env.unwrapped, "state_of", None) if pictured else None

    def _seed_everything(self, seed: int) -> None:
        self.seed = int(seed)
        agent_seq, env_seq, watch_seq = np.random.SeedSequence(self.seed).spawn(3)
        self.agent.reseed(agent_seq)
        self._watch_rng = np.random.default_rng(watch_seq)  # the watch epsilon's draws
        self._env_seed = int(env_seq.generate_state(1)[0])
        self._turbo.discard_uniforms()

    def _clear_history(self) -> None:
        self.book = SessionBook(self.n_states, int(self.env.action_space.n))
        # A loaded DQN explores where its own schedule is, not from its first step again.
        self.book.istate[I_STEP] = self.agent.steps_learnt
        self.error: str | None = None

    def _start_episode(self, seed: int | None = None) -> None:
        obs, _ = self.env.reset(seed=seed)
        self.agent.start_episode()
        self._env_stale = False
        self.book.begin_episode(obs)

    def _sync_env(self) -> None:
        """After compiled steps, put the Gymnasium env where the session is."""
        st = self.book.istate
        place_env(self.env, int(st[I_STATE]), int(st[I_EP_STEP]))
        self.book.obs = int(st[I_STATE])
        self._env_stale = False

    @property
    def state(self) -> Any:
        """The current observation (an int for Discrete envs)."""
        return self.book.state

    @property
    def history(self) -> EpisodeHistory:
        """Returns, lengths and successes of the last finished episodes."""
        return self.book.history

    @property
    def last_action(self) -> int | None:
        """The action of the last Python-path step (None after compiled steps)."""
        return self.book.last_action

    @property
    def episode(self) -> int:
        """Finished episodes so far (learning and greedy)."""
        return self.book.episode

    @property
    def total_steps(self) -> int:
        """Env steps so far."""
        return self.book.total_steps

    @property
    def greedy_episodes(self) -> int:
        """Finished episodes that were not training (modes "greedy" and "watch")."""
        return self.book.greedy_episodes

    @property
    def greedy_steps(self) -> int:
        """Env steps that were not training (greedy demonstrations and watching)."""
        return self.book.greedy_steps

    @property
    def training_episodes(self) -> int:
        """Finished episodes that were training, not greedy demonstrations or watching."""
        return self.book.episode - self.book.greedy_episodes

    @property
    def training_steps(self) -> int:
        """Env steps that were training, not greedy demonstrations or watching."""
        return self.book.total_steps - self.book.greedy_steps

    def recent_returns(self, n: int = 100) -> np.ndarray:
        """Returns of the last ``n`` finished episodes."""
        return self.book.history.recent_returns(n)

    # ---- views ----------------------------------------------------------------------------------
    def snapshot(self, include_q: bool = True) -> Snapshot:
        """Copies of what a view draws (see :func:`agents.sessionviews.take_snapshot`)."""
        return take_snapshot(self.book, self.agent, grid=self.grid, n_states=self.n_states,
                             epsilon=self.epsilon, mode=self.mode, error=self.error,
                             include_q=include_q, pictures=self._grid_pictures,
                             index_of=self._grid_index)

    def state_q(self) -> np.ndarray:
        """Q-values of the current state, one per action (a table row, or one forward pass of a
        network)."""
        return state_q(self.book, self.agent)

    def render_frame(self) -> Any:
        """``env.render()`` of where the session is (after compiled steps the env is moved there
        first, so the picture is never a stale one)."""
        if self._env_stale:
            self._sync_env()
        return self.env.render()

    # ---- epsilon --------------------------------------------------------------------------------
    @property
    def schedule(self) -> Schedule:
        """The epsilon schedule the next step follows: the agent's, as it is now."""
        return self.agent.epsilon_schedule

    def _eps(self, step: int, episode: int) -> float:
        return float(self.agent.epsilon_schedule.value(step, episode))

    @property
    def epsilon(self) -> float:
        """Exploration rate of the next step (0 in greedy mode, the watch epsilon watching)."""
        if self.mode == "watch":
            return self.watch_epsilon
        if self.mode != "learn":
            return 0.0
        return self._eps(int(self.book.istate[I_STEP]), int(self.book.istate[I_EPISODE]))

    # ---- turbo ----------------------------------------------------------------------------------
    @property
    def turbo_available(self) -> bool:
        """True when the compiled path can run this agent on this env."""
        return self._turbo.available(self.agent, self.discrete, self.book.last_td.shape)

    # ---- stepping -------------------------------------------------------------------------------
    def advance(self, max_steps: int, time_budget_s: float | None = None, record: bool = False,
                max_episodes: int | None = None,
                chunk_s: float = TURBO_CHUNK_SECONDS) -> AdvanceReport:
        """Run up to ``max_steps`` steps (and ``max_episodes`` finished episodes) within the budget.

        At least one step runs when ``max_steps >= 1``, whatever the budget, so a caller always
        makes progress. ``record`` returns every transition with its update (Python path).
        ``chunk_s`` is how long one compiled call aims to run (turbo path): the budget is kept to
        within about that, and a training thread that shares the GIL with a drawing one wants
        it longer. How steps are cut into chunks never changes what is learnt.
        """
        t0 = time.perf_counter()
        report = AdvanceReport(error=self.error)
        if self.error is not None or max_steps <= 0 or (max_episodes is not None
                                                        and max_episodes <= 0):
            return report
        deadline = None if time_budget_s is None else t0 + time_budget_s
        eps_left = max_episodes if max_episodes is not None else sys.maxsize
        if self.turbo and self.mode == "learn" and not record and self.turbo_available:
            report.turbo = True
            self.book.last_action = None  # the compiled path does not report its actions
            self._advance_turbo(int(max_steps), deadline, eps_left, report, chunk_s)
        else:
            learn = self.mode == "learn"
            while report.steps < max_steps and len(report.episodes) < eps_left:
                transition, finished = self._python_step(learn)
                report.steps += 1
                if record:
                    report.transitions.append(transition)
                if finished is not None:
                    report.episodes.append(finished)
                if self.error is not None:
                    break
                if deadline is not None and time.perf_counter() >= deadline:
                    break
        report.error = self.error
        report.seconds = time.perf_counter() - t0
        return report

    def _advance_turbo(self, max_steps: int, deadline: float | None, eps_left: int,
                       report: AdvanceReport, chunk_s: float) -> None:
        def on_chunk(steps: int, rets: np.ndarray, lengths: np.ndarray,
                     successes: np.ndarray) -> None:
            report.steps += steps
            if steps:
                self._env_stale = True
            first = self.book.book_chunk(steps, rets, lengths, successes)
            if len(rets):  # arrays all the way: no per-episode Python object (records.EpisodeLog)
                report.episodes.add_arrays(first, rets, lengths, successes)

        self._turbo.run(self.agent, self.schedule, max_steps, deadline, eps_left,
                        self.book.buffers(), on_chunk, chunk_s)
        if self.book.istate[I_DIVERGED]:
            self.error = _DIVERGED.format(step=self.book.total_steps)

    def _python_step(self, learn: bool, forced: int | None = None
                     ) -> tuple[Transition, EpisodeResult | None]:
        """One env step on the Python path: act, step the env, learn (in learning mode), book."""
        if self._env_stale:
            self._sync_env()
        s = self.state
        a = self._choose_action(s, learn, forced)
        obs, r, term, trunc, _ = self.env.step(a)
        r, term, trunc = float(r), bool(term), bool(trunc)
        update = self._learn(s, a, r, obs, term, trunc) if learn else None
        finished = self._book_step(s, r, obs, term, trunc, learn)
        if self._grid_index is not None:  # views draw grid cells: give them the state's index
            s, obs = self._grid_index(s), self._grid_index(obs)
        return Transition(s, a, r, obs, term, trunc, update), finished

    def _choose_action(self, s: Any, learn: bool, forced: int | None) -> int:
        """A human's action, the one of an agent playing without learning (greedy demonstration,
        watching: :func:`agents.evaluation.play_action`), SARSA's already chosen one, or the
        agent's epsilon-greedy choice at the schedule's epsilon."""
        agent, st = self.agent, self.book.istate
        if learn:
            agent.epsilon = self._eps(int(st[I_STEP]), int(st[I_EPISODE]))
        if forced is not None:
            a = forced
        elif not learn:
            a = play_action(agent, s, self.env.action_space, self.epsilon, self._watch_rng)
        elif st[I_NEXT_ACTION] >= 0:
            a = int(st[I_NEXT_ACTION])
        else:
            a = int(agent.act(s))
        st[I_NEXT_ACTION] = -1
        self.book.last_action = a
        return a

    def _learn(self, s: Any, a: int, r: float, obs: Any, term: bool, trunc: bool) -> Any:
        """The agent's update for one transition; divergence becomes ``self.error``.

        SARSA's next action is chosen here, at the next step's epsilon, and kept for that step
        (unless the episode was cut short: the next step starts a new episode).
        """
        agent, st = self.agent, self.book.istate
        step, episode = int(st[I_STEP]), int(st[I_EPISODE])
        next_action = None
        if agent.needs_next_action and not term:
            agent.epsilon = self._eps(step + 1, episode)
            next_action = int(agent.act(obs))
            agent.epsilon = self._eps(step, episode)
        update = None
        try:
            update = agent.update(s, a, r, obs, term, next_action=next_action, truncated=trunc)
        except TrainingDiverged as exc:
            self.error = str(exc)  # the agent's own sentence (step, cause, learning rate)
        st[I_STEP] += 1
        if next_action is not None and not trunc:
            st[I_NEXT_ACTION] = next_action
        if self.discrete and isinstance(update, TDUpdate):
            self.book.last_td[s, a] = update.td_error
        q = agent.q_table
        if self.discrete and q is not None and not math.isfinite(q[s, a]):
            self.error = _DIVERGED.format(step=self.book.total_steps + 1)
        return update

    def _book_step(self, s: Any, r: float, obs: Any, term: bool, trunc: bool,
                   learn: bool) -> EpisodeResult | None:
        """Counters, visits, path and return of one step; at an episode's end its result (which
        goes into the history) and a fresh episode."""
        done = term or trunc
        self.book.book_step(s, r, obs, done, learn)
        if not done:
            return None
        finished = self.book.end_episode(self._judge(term, trunc, r, obs), learn)
        self._start_episode()
        return finished

    def manual_step(self, action: int) -> Transition:
        """A human chooses the action; the agent learns from it (off-policy for Q-learning)."""
        if self.error is not None:
            raise RuntimeError(self.error)
        if not self.env.action_space.contains(action):
            raise ValueError(f"action must be one of 0..{self.env.action_space.n - 1}, "
                             f"got {action!r}")
        transition, _ = self._python_step(True, forced=int(action))
        return transition

    # ---- commands -------------------------------------------------------------------------------
    def set_mode(self, mode: str) -> None:
        """One of :data:`MODES`: "learn" (explore and update), "greedy" (demonstrate: no
        exploration, no updates) or "watch" (play at :attr:`watch_epsilon`, no updates).

        Neither "greedy" nor "watch" changes the agent's parameters, Q-table, replay or counters,
        so going back to "learn" resumes learning where it stopped. Switching starts a fresh
        episode, so a demonstration starts from the start (and no learnt transition spans two
        modes).
        """
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
        if mode != self.mode:
            self.mode = mode
            self._start_episode()

    def set_watch_epsilon(self, epsilon: float) -> None:
        """The exploration rate while watching (0: greedy), in [0, 1].

        Raises:
            ValueError: a value outside [0, 1] (nothing is changed).
        """
        self.watch_epsilon = check_play_epsilon(epsilon)

    def set_hyperparameters(self, **kw: Any) -> None:
        """Change the agent's hyperparameters live (validated by the agent, all or nothing);
        epsilon knobs change the agent's schedule, which the next step follows.

        Raises:
            ConfigError: an unknown name or a value outside its range (nothing is changed).
        """
        self.agent.set_hyperparameters(**kw)

    def hyperparameters(self) -> dict[str, Any]:
        """The live hyperparameters, as stored in agent files."""
        return self.agent.hyperparameters()

    def reset(self, seed: int | None = None) -> None:
        """Forget everything learnt: fresh Q-table, counters and env seed (same seed if None)."""
        self.agent.reset_q()
        self._seed_everything(self.seed if seed is None else seed)
        self._clear_history()
        self._start_episode(seed=self._env_seed)

    @property
    def level(self) -> Level | None:
        """The level the session's env plays, or None for another kind of env."""
        base = self.env.unwrapped
        return base.level if isinstance(base, GridMazeEnv) else None

    def set_level(self, level: Level) -> LevelChange:
        """Go on training on an edited ``level`` (the session must be on a level already).

        With the same grid shape and state count the agent learns on and forgets only the
        states of the changed cells; otherwise the states mean something else and a fresh agent
        (same hyperparameters) takes over. Episode history and counters carry on.

        Raises:
            ValueError: the session's env is not a level.
        """
        old = self.level
        if old is None:
            raise ValueError("set_level needs a session training on a level")
        env = GridMazeEnv(level)
        same_shape = (old.nrows, old.ncols) == (level.nrows, level.ncols)
        keep = same_shape and old.n_states == level.n_states
        changed = changed_cells(old, level) if same_shape else frozenset()
        states = [s for row, col in changed for s in env.states_of_cell(row, col)]
        old_env = self.replace_env(env, keep_q=keep, changed_states=states)
        restarted = (isinstance(self.agent, TabularAgent)
                     and self.agent.follow_auto_initial_q(auto_initial_q(env)))
        if not keep:
            reason = (f"The level now has {level.n_states} states (was {old.n_states}): "
                      f"{self.agent_notice}")
        elif restarted:
            keep = False
            reason = (f"The level's largest reward changed, so initial Q auto is now "
                      f"{self.agent.initial_q:g}: every Q-value starts over from it")
        elif changed:
            reason = (f"Level edited: Q-values of {len(changed)} changed cell(s) reset, "
                      "the rest kept")
        else:
            reason = ""
        return LevelChange(keep, changed, reason, old_env)

    def replace_env(self, env: gymnasium.Env, keep_q: bool,
                    changed_states: Sequence[int] | None = None) -> gymnasium.Env:
        """Swap in an edited env; returns the old one (not closed: the caller decides when).

        With ``keep_q`` and an env the agent fits unchanged (same state and action counts; for a
        DQN the same spaces) the agent learns on, forgetting only the Q-table rows of
        ``changed_states``. Otherwise the agent's ``for_spaces`` makes a fresh one with the same
        hyperparameters (a DQN: also its device and seed; its own epsilon schedule restarts with
        the new network), the old agent's divergence error goes with it, and ``agent_notice``
        says what happened ("the Q-table was reset") for the caller to show; it is None when
        the agent was kept. Episode history and counters carry on.
        """
        old_env = self.env
        agent = self.agent
        same = keep_q and agent.fits(env.observation_space, env.action_space)
        self._bind_env(env)
        self.agent_notice = None
        if same:
            rows = np.asarray([] if changed_states is None else changed_states, dtype=np.int64)
            agent.forget_states(rows)
            self.book.forget_states(rows)
        else:
            self.agent = agent.for_spaces(env.observation_space, env.action_space)
            self.agent_notice = agent.reset_notice
            self.error = None
            if agent.restarts_schedule:
                self.book.istate[I_STEP] = self.book.istate[I_EPISODE] = 0
            self.book.resize(self.n_states, int(env.action_space.n))
        self.book.clear_path()
        self._start_episode(seed=self._env_seed)
        return old_env
