"""Training, seen from the app: the object that owns the session and drives it.

:class:`TrainingControl` owns the session on screen (and compare mode's second one), whether it
plays, runs a greedy demonstration, is watched (plays without learning) or is driven by hand,
the step accumulator that turns a speed into steps per frame, and the agent's move being
animated. It is handed the panel, status bar, info strip and optimal-values service it reports
to; it never draws. Views learn that something changed by reading
:attr:`TrainingControl.revision` (anything new to show) and
:attr:`TrainingControl.generation` (learning started over: curves and rates restart).

Nothing here computes a TD update; every step goes through ``agents.session.TrainingSession``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import gymnasium

from agents import Agent
from agents.config import ConfigError
from agents.records import EpisodeResult
from agents.session import LevelChange, TrainingSession, Transition
from agents.worker import Pace, SessionWorker
from app.agentfactory import dqn_settings, env_id_of, label, make_agent
from app.agentsettings import AgentSettings
from app.commands import HyperValue
from app.compare import CompareLane
from app.controls import Controls
from app.optimal import OptimalValues
from app.sessionread import SessionReadout, read_extras, read_session
from app.statusbar import STEP_NOTE, InfoStrip, StatusBar, format_td_update
from levels.level import Level

SLOW_SPEED = 20.0  # at or below this many steps/s every step is recorded and animated
DEMO_SPEED = 6.0  # greedy demonstration, steps per second
DEMO_SPEED_FRAME = 50.0  # ... for envs shown as frames (CartPole runs at 50 frames/s)
COMPARE_LEAD = 20_000  # compare mode: how far the faster agent may run ahead of the slower
STOP_WAIT_S = 120.0  # the worker's chunk may be its first, which loads or compiles the kernel
FAST_NOTE = ("Training fast: too many updates to show one by one. Slow down to 20 steps/s or "
             "less, or pause (Space) and step (N), to see each update here.")


@dataclass(frozen=True)
class Move:
    """The agent gliding from one cell to the next (slow speeds, steps, driving)."""

    start: tuple[float, float]
    end: tuple[float, float]
    t: float
    duration: float
    state: int  # the state it arrives in (the board shows that state's situation meanwhile)

    def position(self) -> tuple[float, float]:
        f = min(1.0, self.t / self.duration) if self.duration > 0 else 1.0
        f = f * f * (3 - 2 * f)  # ease in and out
        (r0, c0), (r1, c1) = self.start, self.end
        return r0 + (r1 - r0) * f, c0 + (c1 - c0) * f


class TrainingControl:
    """What play / step / reset / greedy / drive, agent and hyperparameter changes do to learning.

    Args:
        controls: the side panel (its state says the speed, agent kind and hyperparameters).
        status, info: where notices and the arithmetic of a step go.
        optimal: value iteration for the Optimal overlay (invalidated when gamma changes).
        settings: told which agent is on screen (the panel reads its hyperparameters there).
        seed: seeds every session (same seed, same run).
        device: torch device for a DQN (None: auto).
    """

    def __init__(self, controls: Controls, status: StatusBar, info: InfoStrip,
                 optimal: OptimalValues, settings: AgentSettings, *, seed: int,
                 device: str | None) -> None:
        self.controls = controls
        self.status = status
        self.info = info
        self.optimal = optimal
        self.settings = settings
        self.seed = seed
        self.device = device
        self.session: TrainingSession | None = None
        self.session_level: Level | None = None  # the level the session learns (None: an env)
        self.valid = False  # a session exists and its level is usable
        self.lane: CompareLane | None = None  # compare mode's second agent
        self.playing = False
        self.demo = False
        self.drive = False
        self.watching = False  # the agent plays (greedy, at the set speed) and learns nothing
        self.watch_start = 0  # the session's episode count when watching began
        self.move: Move | None = None
        self.moves_started = 0  # views follow the agent's situation when a new glide starts
        self.dqn_note = ""  # where a DQN's settings came from (preset, file, the user)
        self.revision = 0
        self.generation = 0
        self._step_acc = 0.0
        self.worker: SessionWorker | None = None  # steps the session while playing flat out
        self._want = (False, False)  # what the worker's snapshots carry: (frame, dqn stats)

    # ==== what views read =========================================================================
    def sessions(self) -> list[TrainingSession]:
        """The session on screen, plus the compared one in compare mode."""
        out = [self.session] if self.session is not None else []
        if self.lane is not None:
            out.append(self.lane.session)
        return out

    def training_fast(self) -> bool:
        """Playing faster than every step can be shown."""
        speed = self.controls.state.speed
        return self.playing and (speed is None or speed > SLOW_SPEED)

    def changed(self) -> None:
        """Something the views show changed (a hyperparameter, an overlay's inputs)."""
        self.revision += 1

    def _restarted(self) -> None:
        self.revision += 1
        self.generation += 1

    def update(self, dt: float) -> None:
        """Advance the agent's glide."""
        move = self.move
        if move is not None:
            self.move = None if move.t + dt >= move.duration else \
                Move(move.start, move.end, move.t + dt, move.duration, move.state)

    def readout(self, include_q: bool, frame: bool, dqn: bool) -> SessionReadout | None:
        """What the views draw of the session: read directly while this thread owns it, from the
        worker's latest snapshot while the worker trains (None until it published one)."""
        session = self.session
        assert session is not None
        worker = self.worker
        if worker is None:
            return read_session(session, include_q, frame, dqn)
        self._want = (frame, dqn)
        worker.request_snapshot(include_q)
        latest = worker.latest
        if latest is None:
            return None
        extras = latest.view
        return SessionReadout(latest.session, latest.state_q, extras.frame, extras.frame_error,
                              extras.dqn)

    # ==== the training worker =====================================================================
    def _worker_wanted(self, hold: bool) -> bool:
        """Training flat out on the main session alone: that runs on the worker thread.

        A set speed is what the frame loop paces (in frame time, so a paused or slow frame never
        makes the agent rush to catch up), and it needs a small share of the CPU; single steps,
        driving, greedy demos and compare mode show every step, which the loop paces anyway.
        """
        session = self.session
        return (session is not None and self.valid and self.playing and not self.demo
                and not hold and self.lane is None and session.error is None
                and self.controls.state.speed is None)

    def _run_worker(self) -> None:
        """Start the worker flat out and take in what it did since the last frame."""
        session = self.session
        assert session is not None
        if self.worker is None:
            self.worker = SessionWorker(
                session, view=lambda s: read_extras(s, *self._want)).start()
            self.worker.play(Pace())
        reports = self.worker.take_reports()
        if any(report.steps for report in reports):
            self.changed()
        errors = [r.error for r in reports if r.error] + ([session.error] if session.error
                                                          else [])
        if errors:
            self._stop_on_error(errors[0])

    def quiesce(self) -> None:
        """Stop the worker between two steps and join it: the session is this thread's again.

        Every command of the app that touches the session comes here first (the input router
        calls it before handling an event), so a command always lands between two steps; the
        next frame starts the worker again if training is still meant to run fast.
        """
        worker = self.worker
        if worker is None:
            return
        self.worker = None
        worker.stop(timeout=STOP_WAIT_S)
        for report in worker.take_reports():
            if report.error:
                self.status.notify(report.error, "error", 15)
        if worker.failure is not None:
            self.pause()
        self.changed()

    def close(self) -> None:
        """The window is closing: the worker stops and is joined."""
        self.quiesce()

    # ==== training commands =======================================================================
    def _show_training(self) -> None:
        self.controls.show_training(playing=self.playing, demo=self.demo, drive=self.drive,
                                    watching=self.watching)

    def _mode(self) -> str:
        """The session's mode outside a greedy run: watching, or learning."""
        return "watch" if self.watching else "learn"

    def pause(self, notice: str | None = None) -> None:
        self.quiesce()
        if self.playing and notice:
            self.status.notify(notice, "info")
        self.playing = False
        if self.demo:
            self.end_demo(None)
        self._show_training()

    def play(self, on: bool) -> None:
        self.quiesce()
        if on and not self.can_train():
            return
        if self.demo:
            self.end_demo(None)
        self.playing = bool(on)
        self._step_acc = 0.0
        self._show_training()
        self.explain_speed()

    def explain_speed(self) -> None:
        """Fast training records no steps: say so where the arithmetic of a step would show."""
        speed = self.controls.state.speed
        fast = speed is None or speed > SLOW_SPEED
        if self.session is None or self.session.agent.kind == "dqn" or self.watching:
            return  # a DQN's box shows its training statistics instead
        if self.playing and fast:
            self.info.set_arithmetic([], FAST_NOTE)
        elif self.info.arithmetic_text == FAST_NOTE:
            self.info.set_arithmetic([], STEP_NOTE)

    def can_train(self) -> bool:
        if not self.valid or self.session is None:
            self.status.notify("Fix the level first: training needs a valid level.", "error")
            return False
        for session in self.sessions():
            if session.error:
                self.status.notify(f"{session.error}. Press R to reset.", "error", 15)
                return False
        return True

    def step_once(self) -> None:
        """One recorded step (N / Right arrow): pauses training and shows the arithmetic."""
        self.quiesce()
        if not self.can_train():
            return
        self.pause()
        assert self.session is not None
        report = self.session.advance(1, record=True)
        if self.lane is not None:
            self.lane.session.advance(1)
        self._after_steps(report.transitions, report.episodes, animate_s=0.15)

    def drive_step(self, direction: tuple[int, int]) -> None:
        """Move the agent by hand; the session learns from the move (off-policy for Q-learning)."""
        if not self.can_train():
            return
        assert self.session is not None
        grid = self.session.grid
        if grid is None or direction not in grid.action_dirs:
            return
        self.pause("Paused: you are driving")
        if self.watching:
            self.watch(False)  # a driven agent learns from the moves
        if self.session.mode != "learn":
            self.session.set_mode("learn")
        transition = self.session.manual_step(grid.action_dirs.index(direction))
        self._after_steps([transition], [], animate_s=0.12)

    def reset_learning(self) -> None:
        """R: forget everything learnt (fresh Q-table, episode 0)."""
        self.quiesce()
        if self.session is None:
            return
        self.pause()
        for session in self.sessions():
            session.reset()
        self.watch_start = 0
        self.info.set_arithmetic([], "Learning reset. Press Space to train or N to step.")
        self.move = None
        self._restarted()
        fresh = "fresh network" if self.session.agent.kind == "dqn" else "fresh Q-table"
        self.status.notify(f"Learning reset: {fresh}", "info")

    def toggle_demo(self) -> None:
        """G: run one greedy episode at a watchable speed (no exploration, no learning)."""
        self.quiesce()
        if self.demo:
            self.end_demo(None)
            return
        if not self.can_train():
            return
        assert self.session is not None
        self.playing = False
        self.session.set_mode("greedy")
        self.demo = True
        self._step_acc = 1.0
        self.move = None
        self.info.set_arithmetic([], "Greedy demonstration: the agent follows its best "
                                     "actions and does not learn.")
        self.status.notify("Greedy run: following the learnt policy", "info")
        self._show_training()

    def end_demo(self, result: EpisodeResult | None) -> None:
        """The greedy run is over (``result``: its last episode, None when it was cut short)."""
        self.quiesce()
        self.demo = False
        self._show_training()
        if self.session is not None and self.session.mode != self._mode():
            self.session.set_mode(self._mode())
        if result is not None:
            outcome = "a success" if result.success else "not a success"
            self.status.notify(f"Greedy run: return {result.ret:g} in {result.length} steps, "
                               f"{outcome}", "info" if result.success else "warn", 10)
        self.changed()

    def watch(self, on: bool) -> None:
        """T: watch the agent play (greedy, at the speed slider's pace, learning nothing), or
        train again: parameters, replay and counters are where watching found them."""
        self.quiesce()
        if on and not self.can_train():
            return
        if self.demo:
            self.end_demo(None)
        self.watching = bool(on)
        if self.session is not None:  # (none while an invalid level replaced an env)
            self.session.set_mode(self._mode())  # a fresh episode either way
            self.watch_start = self.session.episode
        self.move = None
        self._step_acc = 0.0
        if on:
            self.drive = False
            self.playing = True
            self.info.set_arithmetic([], "Watching (not learning): the agent follows its best "
                                         "actions at the set speed; nothing is stored or "
                                         "learnt. T trains again.")
            self.status.notify("Watching (not learning): the speed slider sets the pace, "
                               "T trains again", "info", 10)
        else:
            self.info.set_arithmetic([], STEP_NOTE)
            self.status.notify("Training again from where it stopped" if self.playing else
                               "Back to training: Space plays", "info")
        self._show_training()
        self.explain_speed()
        self.changed()

    def set_drive(self, on: bool) -> None:
        if on and self.watching:
            self.watch(False)  # a driven agent learns from the moves
        self.drive = bool(on)
        self._show_training()
        if self.drive:
            self.status.notify("Drive mode: arrow keys move the agent and it learns from your "
                               "moves (M leaves; N steps)", "info", 8)
        else:
            self.status.notify("Drive mode off: Right arrow steps again", "info")

    def set_speed(self) -> None:
        """The speed slider moved (the panel holds the value)."""
        self._step_acc = 0.0
        self.explain_speed()

    def set_hyperparameter(self, name: str, value: HyperValue) -> None:
        """A live change for every agent on screen; refused values are the agent's sentence."""
        self.quiesce()
        if self.session is None:
            self.settings.set_tabular(name, value)
            return
        for i, session in enumerate(self.sessions()):
            try:
                session.set_hyperparameters(**{name: value})
            except ConfigError as exc:
                if i == 0:
                    self.status.notify(str(exc), "error")
                    return
                continue  # compare mode: a knob the other agent does not have
        if name == "gamma":
            self.optimal.invalidate()
        self.changed()

    # ==== agents ==================================================================================
    def change_agent(self, kind: str, dqn: dict[str, Any] | None = None) -> bool:
        """A new agent of ``kind`` on the same env (``dqn``: its settings, else the preset).

        Returns True when a new session replaced the old one.
        """
        previous = self.session.agent.kind if self.session is not None else kind
        self.controls.show_agent(kind)
        if self.session is None or (kind == previous and dqn is None):
            return False
        self.pause()
        try:
            session = self.new_session(self.session.env, kind, env_spec=self.session.env_spec,
                                       dqn=dqn)
        except (ConfigError, ValueError) as exc:  # a device that does not exist, ...
            self.controls.show_agent(previous)
            self.controls.rebuild()
            self.status.notify(str(exc), "error", 10)
            return False
        self.install_session(session)
        self.reset_lane()
        self.info.set_arithmetic([], f"{label(kind)}: learning starts fresh.")
        if kind == "dqn":
            self.status.notify(f"Switched to DQN on {session.agent.device.upper()} "
                               f"({self.dqn_note})", "info", 10)
        else:
            self.status.notify(f"Switched to {label(kind)}: fresh Q-table", "info")
        return True

    def rebuild_dqn(self, name: str, setting: HyperValue) -> bool:
        """A structural DQN switch (dueling): a fresh network with every other knob kept."""
        if self.session is None or self.session.agent.kind != "dqn":
            return False
        settings = dict(self.session.agent.hyperparameters(), **{name: setting}, threads=1)
        return self.change_agent("dqn", dqn=settings)

    def new_session(self, env: gymnasium.Env, kind: str | None = None, *,
                    env_spec: Any = None, dqn: dict[str, Any] | None = None,
                    agent: Agent | None = None) -> TrainingSession:
        """A session on ``env`` with a fresh agent of ``kind`` (or the given ``agent``).

        Raises:
            ConfigError: a DQN setting out of range or a device that does not exist.
        """
        if agent is None:
            kind = kind or self.controls.state.agent_kind
            if kind == "dqn" and dqn is None:
                dqn, self.dqn_note = dqn_settings(env_id_of(env),
                                                  env.observation_space.shape)
            elif kind == "dqn":
                self.dqn_note = "your settings"
            agent = make_agent(kind, env, tabular=self.settings.tabular(),
                               epsilon_min=self.settings.epsilon_min, dqn=dqn, device=self.device)
        return TrainingSession(env, agent, seed=self.seed, turbo=True, env_spec=env_spec)

    def install_session(self, session: TrainingSession, note: str | None = None) -> None:
        """Make ``session`` the one the app trains and shows (views start over)."""
        self.quiesce()
        self.session = session
        if self.watching:  # watching lasts until switched off: a loaded agent is watched too
            session.set_mode("watch")
            self.watch_start = session.episode
        self.settings.follow(session.agent)
        self.valid = True
        if note is not None:
            self.dqn_note = note
        self.controls.show_agent(session.agent.kind)
        self.controls.sync()
        if session.agent.kind != "dqn":
            self.info.set_title("LAST UPDATE")
        self.info.set_arithmetic([], STEP_NOTE)  # the last update was another agent's
        self.explain_speed()
        self.move = None
        self._restarted()

    def install_loaded(self, agent: Agent, note: str) -> None:
        """An agent read from a file replaces the agent on screen (same env)."""
        assert self.session is not None
        session = self.new_session(self.session.env, agent=agent,
                                   env_spec=self.session.env_spec)
        self.install_session(session, note=note)
        self.reset_lane()

    # ==== the level the session learns ============================================================
    def level_unusable(self) -> None:
        """The level has problems: training stops until it is fixed."""
        self.valid = False
        self.pause()

    def drop_session(self) -> None:
        """No session (an invalid level replaced a Gymnasium env)."""
        self.quiesce()
        self.session = None
        self.settings.follow(None)
        self.changed()

    def learn_level(self, level: Level) -> None:
        """The session (about to be) built or edited is on ``level``, a usable one."""
        self.session_level = level
        self.valid = True
        self.move = None
        self.changed()

    def set_level(self, level: Level) -> LevelChange:
        """Both agents go on learning on the edited ``level`` (what they keep: the result)."""
        self.quiesce()
        assert self.session is not None
        change = self.session.set_level(level)
        change.old_env.close()
        if self.lane is not None:
            self.lane.set_level(level)
        if not change.kept:
            self._restarted()
            self.controls.sync()  # a fresh table may start from another initial Q ("auto")
        return change

    # ==== compare mode's second agent =============================================================
    def open_lane(self, lane: CompareLane) -> None:
        self.quiesce()
        self.close_lane()
        self.lane = lane
        self._restarted()

    def close_lane(self) -> None:
        if self.lane is not None:
            self.lane.close()
            self.lane = None
            self._restarted()

    def reset_lane(self) -> None:
        """The first agent starts over: so does the second, so they stay comparable."""
        if self.lane is not None:
            self.lane.session.reset()
            self._restarted()

    # ==== the frame's training ====================================================================
    def train(self, dt: float, budget_s: float, *, frame_view: bool, hold: bool) -> None:
        """Run this frame's steps within ``budget_s`` (``hold``: a recording holds it still)."""
        session = self.session
        if self._worker_wanted(hold):
            self._run_worker()
            return
        self.quiesce()
        if session is None or not self.valid or not (self.playing or self.demo) or hold:
            return
        demo_speed = DEMO_SPEED_FRAME if frame_view else DEMO_SPEED
        speed = demo_speed if self.demo else self.controls.state.speed
        if speed is None:
            n, record = 50_000_000, False
        else:
            self._step_acc = min(self._step_acc + speed * dt, max(2.0, speed * 0.1))
            n = int(self._step_acc)
            self._step_acc -= n
            record = speed <= SLOW_SPEED
        if n <= 0:
            return
        if record and self.move is not None:
            self._step_acc += n  # let the current move finish before the next one starts
            return
        lane = self.lane if not (self.demo or self.watching) else None
        t0 = time.perf_counter()
        if lane is not None:  # the faster agent waits for the slower one
            n = min(n, max(0, lane.session.total_steps + COMPARE_LEAD - session.total_steps))
        report = session.advance(n, time_budget_s=budget_s * (0.5 if lane else 1.0),
                                 record=record, max_episodes=1 if self.demo else None) \
            if n > 0 else None
        if lane is not None:
            left = budget_s - (time.perf_counter() - t0)
            lane.follow(session.total_steps, max(left, 0.0005))
        errors = [s.error for s in self.sessions() if s.error]
        if report is not None:
            slow = speed is not None and speed <= SLOW_SPEED
            self._after_steps(report.transitions, report.episodes,
                              animate_s=min(0.9 / speed, 0.25) if slow else 0.0)
        if errors:
            self._stop_on_error(errors[0])

    def _stop_on_error(self, error: str) -> None:
        """Training diverged (a NaN or an overflow): stop, and say so where it cannot be missed."""
        self.pause()
        self.status.notify(f"Training stopped: {error}. Press R to reset.", "error", 30)
        self.info.set_arithmetic([], f"Training stopped: {error}. Press R to reset the agent "
                                     "(or lower the learning rate).")

    def _after_steps(self, transitions: list[Transition], episodes: list,
                     animate_s: float) -> None:
        """Show what the session just did: arithmetic, animation, end of a greedy run."""
        session = self.session
        assert session is not None
        self.changed()
        if transitions:
            last = transitions[-1]
            if last.update is not None and hasattr(last.update, "old_q"):  # a TDUpdate
                names = session.grid.action_names if session.grid else ()
                self.info.set_arithmetic(format_td_update(last.update, names, session.agent.kind))
            if animate_s > 0 and session.grid is not None:
                start = session.grid.position(last.state)
                end = session.grid.position(last.next_state)
                self.moves_started += 1
                self.move = Move((float(start[0]), float(start[1])),
                                 (float(end[0]), float(end[1])), 0.0, animate_s,
                                 int(last.next_state))
        if self.demo and episodes:
            self.end_demo(episodes[-1])
