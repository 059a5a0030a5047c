"""Training, seen from the app: the commands that drive the session, and handing it new levels.

A mixin of :class:`app.app.App` (it uses the app's session, panel, status bar and info strip):
kept apart so the window/loop code and the "what does Space / N / R / an edit do to learning"
code can each be read in one sitting. Nothing here computes a TD update; every step goes through
``agents.session.TrainingSession``.
"""

from __future__ import annotations

from typing import Any

from agents.config import ConfigError
from agents.schedules import make_schedule
from agents.session import TrainingSession
from agents.tabular import make_tabular
from app.controls import AGENTS
from app.editor import EditResult, changed_cells
from app.statusbar import format_td_update
from levels.gridmaze import GridMazeEnv
from levels.level import Level

SLOW_SPEED = 20.0  # at or below this many steps/s every step is recorded and animated
DEMO_SPEED = 6.0  # greedy demonstration, steps per second


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

    def _can_train(self) -> bool:
        if not self.valid or self.session is None:
            self.status.notify("Fix the level first: training needs a valid level.", "error")
            return False
        if self.session.error:
            self.status.notify(self.session.error, "error")
            return False
        return True

    def step_once(self) -> None:
        """One recorded step (N / Right arrow): pauses training and shows the arithmetic."""
        if not self._can_train():
            return
        self._pause()
        assert self.session is not None
        report = self.session.advance(1, record=True)
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
        self.session.reset()
        self.info.set_arithmetic([], "Learning reset. Press Space to train or N to step.")
        self.rate.reset()
        self._anim = None
        self._chart_episode = -1
        self._need_refresh = True
        self.status.notify("Learning reset: fresh Q-table", "info")

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
            outcome = "reached a goal" if result.success else "did not reach a goal"
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

    def _cmd_agent(self, kind: str) -> None:
        self.state.agent_kind = kind
        if self.session is None or kind == self.session.agent.kind:
            return
        self._pause()
        env = self.session.env
        self.session = self._new_session(env)
        self._chart_episode = -1
        self._need_refresh = True
        label = next(lbl for lbl, k in AGENTS if k == kind)
        self.info.set_arithmetic([], f"{label}: learning starts fresh.")
        self.status.notify(f"Switched to {label}: fresh Q-table", "info")

    def _cmd_hyper(self, value: tuple[str, float]) -> None:
        name, number = value
        if self.session is None:
            return
        try:
            self.session.set_hyperparameters(**{name: number})
        except ConfigError as exc:
            self.status.notify(str(exc), "error")
            return
        if name == "gamma":
            self.optimal.invalidate()
        self._need_refresh = True

    def _cmd_speed(self, speed: float | None) -> None:
        self._step_acc = 0.0

    def _cmd_overlay(self, value: tuple[str, bool]) -> None:
        self._need_refresh = True

    def _cmd_tool(self, key: str) -> None:
        self.editor.set_tool(key)
        self.state.tool = key
        self.controls.sync()

    # ==== training ================================================================================
    def _new_session(self, env: Any) -> TrainingSession:
        hp = self.state.hyper
        n_states, n_actions = int(env.observation_space.n), int(env.action_space.n)
        agent = make_tabular(self.state.agent_kind, n_states, n_actions, alpha=hp["alpha"],
                             gamma=hp["gamma"], epsilon=hp["epsilon"])
        schedule = make_schedule("exponential", hp["epsilon"], self.epsilon_min,
                                 hp["epsilon_decay"])
        self.rate.reset()
        return TrainingSession(env, agent, schedule=schedule, seed=self.seed, turbo=True)

    def _train(self, dt: float, budget_s: float) -> None:
        session = self.session
        if session is None or not self.valid or not (self.playing or self.demo):
            return
        speed = DEMO_SPEED if self.demo else self.state.speed
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
        report = session.advance(n, time_budget_s=budget_s, record=record,
                                 max_episodes=1 if self.demo else None)
        slow = speed is not None and speed <= SLOW_SPEED
        self._after_steps(report.transitions, report.episodes,
                          animate_s=min(0.9 / speed, 0.25) if slow else 0.0)
        if report.error:
            self._pause()
            self.status.notify(report.error, "error", 15)

    def _after_steps(self, transitions: list, episodes: list, animate_s: float) -> None:
        """Show what the session just did: arithmetic, animation, end of a greedy run."""
        session = self.session
        assert session is not None
        self._need_refresh = True
        if transitions:
            last = transitions[-1]
            if last.update is not None and hasattr(last.update, "td_error"):
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

    # ==== level flow ==============================================================================
    def _on_edit(self, result: EditResult) -> None:
        """The editor committed a change (stroke, undo, redo, new, resize, load)."""
        fresh = result.action in ("load", "new")
        if not fresh:
            self._pause("Training paused while you edit")
        self._apply_level(result.new, fresh=fresh)
        self._update_caption()
        if self.editor.dirty:
            self.recovery.note_edit(result.new, self.files.source)
        else:
            self.recovery.clear()

    def _apply_level(self, level: Level, fresh: bool) -> None:
        """Hand a level to the session: keep learning when only some cells changed."""
        problems = level.problems()
        self.problem_cells = [p.cell for p in problems if p.cell is not None]
        self.board.set_grid(level.nrows, level.ncols)
        self._need_refresh = True
        if problems:
            self.valid = False
            self._pause()
            self.status.set_problem(f"Level not usable: {problems[0].message}. Training is off "
                                    "until it is fixed.")
            self.info.set_problem([f"{problems[0].message}.",
                                   "Training is off until the level is valid: fix it with the "
                                   "paint tools (keys 1-9) or undo (Ctrl+Z)."])
            self.controls.set_training_enabled(False)
            return
        self.valid = True
        self.status.set_problem(None)
        self.info.set_problem(None)
        self.controls.set_training_enabled(True)
        env = GridMazeEnv(level)
        notice = ""
        old_level = self.session_level
        self.session_level = level
        self.optimal.invalidate()
        self._anim = None
        if self.session is None or fresh or old_level is None:
            old = self.session.env if self.session is not None else None
            self._pause()
            self.session = self._new_session(env)
            self._chart_episode = -1
            self.info.set_arithmetic([], "Press N or Right arrow to take one step and see its "
                                         "update here.")
            if old is not None:
                old.close()
        else:
            same_shape = (old_level.nrows, old_level.ncols) == (level.nrows, level.ncols)
            keep = same_shape and old_level.n_states == level.n_states
            changed = changed_cells(old_level, level) if same_shape else frozenset()
            n = level.n_cells
            states = [r * level.ncols + c + n * m for r, c in changed
                      for m in range(level.n_states // n)]
            old = self.session.replace_env(env, keep_q=keep, changed_states=states)
            old.close()
            if not keep:
                self._chart_episode = -1
                notice = (f"The level now has {level.n_states} states (was "
                          f"{old_level.n_states}): the Q-table was reset")
            elif changed:
                notice = (f"Level edited: Q-values of {len(changed)} changed cell(s) reset, "
                          "the rest kept")
        warnings = level.warnings()
        if warnings:
            notice = f"{notice}. Note: {warnings[0]}" if notice else f"Note: {warnings[0]}"
        if notice:
            self.status.notify(notice, "warn" if warnings or "Q-table was reset" in notice
                               else "info", 8)
