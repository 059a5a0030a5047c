"""Training, seen from the app: the commands that drive the session.

A mixin of :class:`app.app.App` (it uses the app's session, panel, status bar and info strip):
kept apart so the window/loop code and the "what does Space / N / R / an edit do to learning"
code can each be read in one sitting. Nothing here computes a TD update; every step goes through
``agents.session.TrainingSession``. Edited levels reach the session through
:mod:`app.leveledits`.
"""

from __future__ import annotations

import time
from typing import Any

from agents.config import ConfigError
from agents.session import TrainingSession
from app.agentfactory import dqn_settings, env_id_of, label, make_agent
from app.dqncontrols import dqn_values
from app.statusbar import STEP_NOTE, format_td_update

SLOW_SPEED = 20.0  # at or below this many steps/s every step is recorded and animated
DEMO_SPEED = 6.0  # greedy demonstration, steps per second
DEMO_SPEED_FRAME = 50.0  # ... for envs shown as frames (CartPole runs at 50 frames/s)
COMPARE_LEAD = 20_000  # compare mode: how far the faster agent may run ahead of the slower
FAST_NOTE = ("Training fast: too many updates to show one by one. Slow down to 20 steps/s or "
             "less, or pause (Space) and step (N), to see each update here.")


class TrainingControl:
    """What the play / step / reset / greedy / drive controls and level edits do to learning."""

    # Provided by App: session, session_level, state, controls, status, info, editor, board,
    # optimal, rate, seed, epsilon_min, valid, playing, demo, drive, problem_cells and the view
    # bookkeeping (_anim, _shown_state, _step_acc, _need_refresh, _chart_episode).
    session: Any
    state: Any

    # ==== training commands =======================================================================
    def _pause(self, notice: str | None = None) -> None:
        if self.playing and notice:
            self.status.notify(notice, "info")
        self.playing = False
        self.state.playing = False
        if self.demo:
            self._end_demo(None)
        self.controls.sync()

    def _cmd_play(self, play: bool) -> None:
        if play and not self._can_train():
            return
        if self.demo:
            self._end_demo(None)
        self.playing = bool(play)
        self.state.playing = self.playing
        self._step_acc = 0.0
        self.controls.sync()
        self._explain_speed()

    def _explain_speed(self) -> None:
        """Fast training records no steps: say so where the arithmetic of a step would show."""
        fast = self.state.speed is None or self.state.speed > SLOW_SPEED
        if self.session is None or self.session.agent.kind == "dqn":
            return  # a DQN's box shows its training statistics instead
        if self.playing and fast:
            self.info.set_arithmetic([], FAST_NOTE)
        elif self.info.arithmetic_text == FAST_NOTE:
            self.info.set_arithmetic([], STEP_NOTE)

    def _can_train(self) -> bool:
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
        if not self._can_train():
            return
        self._pause()
        assert self.session is not None
        report = self.session.advance(1, record=True)
        if self.compare is not None:
            self.compare.session.advance(1)
        self._after_steps(report.transitions, report.episodes, animate_s=0.15)

    def drive_step(self, direction: tuple[int, int]) -> None:
        """Move the agent by hand; the session learns from the move (off-policy for Q-learning)."""
        if not self._can_train():
            return
        assert self.session is not None
        grid = self.session.grid
        if grid is None or direction not in grid.action_dirs:
            return
        self._pause("Paused: you are driving")
        if self.session.mode != "learn":
            self.session.set_mode("learn")
        transition = self.session.manual_step(grid.action_dirs.index(direction))
        self._after_steps([transition], [], animate_s=0.12)

    def reset_learning(self) -> None:
        """R: forget everything learnt (fresh Q-table, episode 0)."""
        if self.session is None:
            return
        self._pause()
        for session in self.sessions():
            session.reset()
        self.info.set_arithmetic([], "Learning reset. Press Space to train or N to step.")
        self.rate.reset()
        self._anim = None
        self._chart_episode = -1
        self._need_refresh = True
        self._q_time = -1e9
        fresh = "fresh network" if self.session.agent.kind == "dqn" else "fresh Q-table"
        self.status.notify(f"Learning reset: {fresh}", "info")

    def toggle_demo(self) -> None:
        """G: run one greedy episode at a watchable speed (no exploration, no learning)."""
        if self.demo:
            self._end_demo(None)
            return
        if not self._can_train():
            return
        assert self.session is not None
        self.playing = False
        self.session.set_mode("greedy")
        self.demo = True
        self.state.demo = True
        self._step_acc = 1.0
        self._anim = None
        self.info.set_arithmetic([], "Greedy demonstration: the agent follows its best "
                                     "actions and does not learn.")
        self.status.notify("Greedy run: following the learnt policy", "info")
        self.controls.sync()

    def _end_demo(self, result: Any) -> None:
        self.demo = False
        self.state.demo = False
        self.controls.sync()
        if self.session is not None and self.session.mode != "learn":
            self.session.set_mode("learn")
        if result is not None:
            outcome = "a success" if result.success else "not a success"
            self.status.notify(f"Greedy run: return {result.ret:g} in {result.length} steps, "
                               f"{outcome}", "info" if result.success else "warn", 10)
        self._need_refresh = True

    def _cmd_drive(self, on: bool) -> None:
        self.drive = bool(on)
        self.state.drive = self.drive
        self.controls.sync()
        if self.drive:
            self.status.notify("Drive mode: arrow keys move the agent and it learns from your "
                               "moves (M leaves; N steps)", "info", 8)
        else:
            self.status.notify("Drive mode off: Right arrow steps again", "info")

    def _cmd_agent(self, kind: str, dqn: dict[str, Any] | None = None) -> None:
        """A new agent of ``kind`` on the same env (``dqn``: its settings, else the preset)."""
        previous = self.session.agent.kind if self.session is not None else kind
        self.state.agent_kind = kind
        if self.session is None or (kind == previous and dqn is None):
            return
        self._pause()
        try:
            session = self._new_session(self.session.env, kind, env_spec=self.session.env_spec,
                                        dqn=dqn)
        except (ConfigError, ValueError) as exc:  # a device that does not exist, ...
            self.state.agent_kind = previous
            self.controls.rebuild()
            self.status.notify(str(exc), "error", 10)
            return
        self._install_session(session)
        if kind == "dqn" or previous == "dqn":
            self.rebuild_panel()
        self.reset_compare()
        self.info.set_arithmetic([], f"{label(kind)}: learning starts fresh.")
        if kind == "dqn":
            self.status.notify(f"Switched to DQN on {session.agent.device.upper()} "
                               f"({self._dqn_note})", "info", 10)
        else:
            self.status.notify(f"Switched to {label(kind)}: fresh Q-table", "info")

    def _cmd_dqn_rebuild(self, value: tuple[str, Any]) -> None:
        """A structural DQN switch (dueling): a fresh network with every other knob kept."""
        name, setting = value
        if self.session is None or self.session.agent.kind != "dqn":
            return
        settings = dict(dqn_values(self.session.agent.config), **{name: setting})
        config = self.session.agent.config
        for field in ("hidden", "buffer_size", "learning_starts", "train_freq", "gradient_steps",
                      "total_steps", "max_grad_norm", "adam_eps", "learning_rate_end"):
            settings[field] = getattr(config, field)
        settings["threads"] = 1
        self._cmd_agent("dqn", dqn=settings)

    def _cmd_hyper(self, value: tuple[str, Any]) -> None:
        name, number = value
        if self.session is None:
            return
        for i, session in enumerate(self.sessions()):
            try:
                session.set_hyperparameters(**{name: number})
            except ConfigError as exc:
                if i == 0:
                    self.status.notify(str(exc), "error")
                    return
                continue  # compare mode: a knob the other agent does not have
        if name == "gamma":
            self.optimal.invalidate()
        self._need_refresh = True

    def _cmd_speed(self, speed: float | None) -> None:
        self._step_acc = 0.0
        self._explain_speed()

    def _cmd_overlay(self, value: tuple[str, bool]) -> None:
        self._need_refresh = True

    def _cmd_tool(self, key: str) -> None:
        self.editor.set_tool(key)
        self.state.tool = key
        self.controls.sync()

    # ==== training ================================================================================
    def _new_session(self, env: Any, kind: str | None = None, *, env_spec: Any = None,
                     dqn: dict[str, Any] | None = None, agent: Any = None) -> TrainingSession:
        """A session on ``env`` with a fresh agent of ``kind`` (or the given ``agent``).

        Raises:
            ConfigError: a DQN setting out of range or a device that does not exist.
        """
        if agent is None:
            kind = kind or self.state.agent_kind
            if kind == "dqn" and dqn is None:
                dqn, self._dqn_note = dqn_settings(env_id_of(env))
            elif kind == "dqn":
                self._dqn_note = "your settings"
            agent = make_agent(kind, env, tabular=self.state.hyper, epsilon_min=self.epsilon_min,
                               dqn=dqn, device=self.device)
        return TrainingSession(env, agent, seed=self.seed, turbo=True, env_spec=env_spec)

    def _install_session(self, session: TrainingSession) -> None:
        """Make ``session`` the one the app trains and shows (views start over)."""
        self.session = session
        if session.agent.kind == "dqn":
            self.state.dqn = dqn_values(session.agent.config)
        else:
            self.info.title = "LAST UPDATE"
        self.rate.reset()
        self._chart_episode = -1
        self._need_refresh = True
        self._values = None
        self._snap = None
        self._anim = None
        self._q_time = -1e9

    def sessions(self) -> list[TrainingSession]:
        """The session on screen, plus the compared one in compare mode."""
        out = [self.session] if self.session is not None else []
        if self.compare is not None:
            out.append(self.compare.session)
        return out

    def _train(self, dt: float, budget_s: float) -> None:
        session = self.session
        if session is None or not self.valid or not (self.playing or self.demo):
            return
        if self.recording is not None:
            return  # a GIF is being recorded with this agent: hold it still meanwhile
        demo_speed = DEMO_SPEED_FRAME if self.view_kind == "frame" else DEMO_SPEED
        speed = demo_speed if self.demo else self.state.speed
        if speed is None:
            n, record = 50_000_000, False
        else:
            self._step_acc = min(self._step_acc + speed * dt, max(2.0, speed * 0.1))
            n = int(self._step_acc)
            self._step_acc -= n
            record = speed <= SLOW_SPEED
        if n <= 0:
            return
        if record and self._anim is not None:
            self._step_acc += n  # let the current move finish before the next one starts
            return
        lane = self.compare if not self.demo else None
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
        self._pause()
        self.status.notify(f"Training stopped: {error}. Press R to reset.", "error", 30)
        self.info.set_arithmetic([], f"Training stopped: {error}. Press R to reset the agent "
                                     "(or lower the learning rate).")

    def _after_steps(self, transitions: list, episodes: list, animate_s: float) -> None:
        """Show what the session just did: arithmetic, animation, end of a greedy run."""
        session = self.session
        assert session is not None
        self._need_refresh = True
        if transitions:
            last = transitions[-1]
            if last.update is not None and hasattr(last.update, "old_q"):  # a TDUpdate
                names = session.grid.action_names if session.grid else ()
                self.info.set_arithmetic(format_td_update(last.update, names, session.agent.kind))
            if animate_s > 0 and session.grid is not None:
                self._layer_follows_agent = True
                start = session.grid.position(last.state)
                end = session.grid.position(last.next_state)
                self._anim = ((float(start[0]), float(start[1])),
                              (float(end[0]), float(end[1])), 0.0, animate_s)
                self._shown_state = int(last.next_state)
        if self.demo and episodes:
            self._end_demo(episodes[-1])
