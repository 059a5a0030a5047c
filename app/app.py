"""The sandbox window: main loop, frame clock and the wiring between components.

Each frame: events go to the pygame_gui manager first, then to the dialogs and the side panel
(widget events), then — if nobody consumed them — to the keyboard shortcuts, the board and the
editor. The session then gets only what is left of the frame's 16.7 ms after the previous frame's
drawing time, so no speed setting can freeze the window; at <= 20 steps/s every step is recorded
and animated, above that the board shows the learning (arrows, heat map) rather than every step.

The app never computes a TD update: it sends commands to ``agents.session.TrainingSession`` and
draws what ``snapshot()`` reports. The level being edited lives in ``app.editor.Editor``; the
level file, recovery and dialogs flows live in :class:`app.levelflow.LevelFlow`-like methods here.
"""

from __future__ import annotations

import collections
import json
import os
import time
from pathlib import Path
from typing import Any

import numpy as np
import pygame
import pygame_gui

from agents.config import ConfigError, TabularConfig
from agents.schedules import make_schedule
from agents.session import TrainingSession
from agents.tabular import make_tabular
from app import colors as C
from app.board import Board, BoardView, Overlays
from app.charts import LineChart
from app.controls import AGENTS, PANEL_WIDTH, Controls, PanelState
from app.dialogs import Dialogs
from app.editor import TOOLS, EditResult, Editor, changed_cells
from app.optimal import OptimalValues
from app.qview import cell_values, states_to_cells
from app.recovery import RecoveryStore
from app.statusbar import ARROWS, InfoStrip, RateMeter, StatusBar, format_td_update
from levels.gridmaze import GridMazeEnv
from levels.level import Level, LevelError, bundled_level_names, load_level

THEME_PATH = Path(__file__).with_name("theme.json")
FIRST_FRAME_ENV = "RL_SANDBOX_EXIT_AFTER_FIRST_FRAME"
FRAME_BUDGET_S = 1.0 / 60.0
SAFETY_S = 0.0015  # left unused each frame for the flip and the event queue
SLOW_SPEED = 20.0  # at or below this many steps/s every step is recorded and animated
DEMO_SPEED = 6.0  # greedy demonstration, steps per second
FAST_REFRESH_S = 1.0 / 15.0  # how often the view re-reads the session while training fast
INFO_HEIGHT = 96
DEFAULT_SPEED = 5.0


class StartError(Exception):
    """The app cannot start on what it was asked to open (one sentence, with an exit code)."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _theme(tools: Any) -> dict:
    """The JSON theme plus one border colour per tool button (the tile's own colour)."""
    theme = json.loads(THEME_PATH.read_text(encoding="utf-8"))
    for tool in tools:
        colour = C.TILE_COLORS.get(tool.tile, C.TEXT_DIM)
        if tool.tile in ".F" or tool.label.lower() == "eraser":
            colour = C.TEXT_FAINT
        hexc = C.hex_color(colour)
        theme[f"#tool_{tool.key}"] = {
            "colours": {"normal_border": hexc, "hovered_border": hexc, "selected_border": hexc},
            "misc": {"border_width": "2"},
        }
    return theme


class App:
    """The RL Sandbox window.

    Args:
        spec_or_level: a bundled level name, a level file path, or a :class:`Level`.
        size: initial window size (the window is resizable).
        device: torch device for a DQN (issue 6); unused by the tabular agents.
        seed: seeds every session the app creates (same seed, same run).
        offer_recovery: look for autosaved edits from a previous run and offer them.
    """

    def __init__(self, spec_or_level: str | Level = "mouse", size: tuple[int, int] = (1280, 800),
                 device: str | None = None, *, seed: int = 0, offer_recovery: bool = True) -> None:
        level, self.level_path, self.level_label = self._resolve(spec_or_level)
        self.device = device
        self.seed = seed
        pygame.display.init()
        pygame.font.init()
        self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        self.manager = pygame_gui.UIManager(size, _theme(TOOLS), enable_live_theme_updates=False)
        self._load_fonts()
        self.running = True
        self.dialogs = Dialogs(self.manager)
        self.status = StatusBar(self.font)
        self.info = InfoStrip(self.mono, self.small_bold, self.mono_small)
        self.board = Board((0, 0, 100, 100), level.nrows, level.ncols)
        self.editor = Editor(level, self.board)
        self.editor.set_tool("3")
        self.editor.on_change(self._on_edit)
        defaults = TabularConfig()
        self.state = PanelState(
            level_options=bundled_level_names(), level_choice=self.level_label,
            hyper={"alpha": defaults.alpha, "gamma": defaults.gamma,
                   "epsilon": defaults.epsilon, "epsilon_decay": 0.01},
            speed=DEFAULT_SPEED, tool=self.editor.tool.key,
        )
        self.epsilon_min = defaults.epsilon_min
        self.controls = Controls(self.manager, pygame.Rect(0, 0, PANEL_WIDTH, 600), self.state,
                                 [(t.key, t.label, t.tooltip) for t in TOOLS], self._command)
        self.returns_chart = LineChart((0, 0, 10, 10), "return per episode")
        self.epsilon_chart = LineChart((0, 0, 10, 10), "epsilon per episode", empty_text="")
        self.recovery = RecoveryStore()
        self.optimal = OptimalValues()
        self.rate = RateMeter()
        self.frame_times: collections.deque[float] = collections.deque(maxlen=2000)
        self.draw_times: collections.deque[float] = collections.deque(maxlen=2000)
        self._draw_s = 0.004
        self.frames = 0
        # training and view state
        self.session: TrainingSession | None = None
        self.session_level: Level | None = None
        self.valid = False
        self.problem_cells: list[tuple[int, int]] = []
        self.playing = False
        self.demo = False
        self.drive = False
        self._step_acc = 0.0
        self._snap: Any = None
        self._values: Any = None
        self._snap_time = -1.0
        self._need_refresh = True
        self._hover_cell: tuple[int, int] | None = None
        self._hover_time = -1.0
        self._anim: tuple[tuple[float, float], tuple[float, float], float, float] | None = None
        self._shown_state: int | None = None
        self._chart_episode = -1
        self._commands = {
            "play": self._cmd_play, "step": lambda _v: self.step_once(),
            "reset": lambda _v: self.reset_learning(), "greedy": lambda _v: self.toggle_demo(),
            "drive": self._cmd_drive, "agent": self._cmd_agent, "hyper": self._cmd_hyper,
            "speed": self._cmd_speed, "overlay": self._cmd_overlay, "tool": self._cmd_tool,
            "level": self._cmd_level, "new": self._cmd_new, "open": lambda _v: self.open_dialog(),
            "save": lambda _v: self.save(), "generate": self._cmd_generate,
            "resize": self._cmd_resize,
        }
        self._apply_level(level, fresh=True)
        self._layout()
        self._update_caption()
        if offer_recovery:
            self._offer_recovery()

    # ==== start-up ================================================================================
    @staticmethod
    def _resolve(spec: str | Level) -> tuple[Level, Path | None, str]:
        if isinstance(spec, Level):
            return spec, None, spec.name
        try:
            level = load_level(spec)
        except LevelError as exc:
            raise StartError(str(exc)) from None
        text = str(spec)
        if text in bundled_level_names():
            return level, None, text
        return level, Path(text), Path(text).stem

    def _load_fonts(self) -> None:
        data = Path(pygame_gui.__file__).with_name("data")
        regular, bold = data / "NotoSans-Regular.ttf", data / "NotoSans-Bold.ttf"
        self.font = pygame.font.Font(str(regular), 14)
        self.small_bold = pygame.font.Font(str(bold), 12)
        self.mono = pygame.font.Font(str(data / "FiraCode-Regular.ttf"), 14)
        self.mono_small = pygame.font.Font(str(data / "FiraCode-Regular.ttf"), 13)

    # ==== layout ==================================================================================
    def _layout(self) -> None:
        w, h = self.screen.get_size()
        status_h = StatusBar.HEIGHT
        panel_x = max(0, w - PANEL_WIDTH)
        panel_h = min(self.controls.content_height, h - status_h)
        self.controls.set_rect(pygame.Rect(panel_x, 0, PANEL_WIDTH, panel_h))
        self.chart_area = pygame.Rect(panel_x, panel_h, PANEL_WIDTH, max(0, h - status_h - panel_h))
        inner = self.chart_area.inflate(-24, -16)
        eps_h = max(0, min(90, inner.height // 3))
        self.returns_chart.set_rect((inner.x, inner.y, inner.width, max(10, inner.height - eps_h
                                                                        - 8)))
        self.epsilon_chart.set_rect((inner.x, inner.bottom - eps_h, inner.width, max(10, eps_h)))
        board_area = pygame.Rect(0, 0, panel_x, h - status_h - INFO_HEIGHT)
        self.board.set_rect(board_area.inflate(-24, -24))
        self.info.rect = pygame.Rect(12, board_area.bottom, max(0, panel_x - 24), INFO_HEIGHT - 10)
        self.status.rect = pygame.Rect(0, h - status_h, w, status_h)

    def _resize(self, size: tuple[int, int]) -> None:
        size = (max(640, size[0]), max(480, size[1]))
        if pygame.display.get_surface() is None or self.screen.get_size() != size:
            self.screen = pygame.display.set_mode(size, pygame.RESIZABLE)
        else:
            self.screen = pygame.display.get_surface()
        self.manager.set_window_resolution(size)
        self._layout()

    def _update_caption(self) -> None:
        star = " *" if self.editor.dirty else ""
        pygame.display.set_caption(f"RL Sandbox \u2014 {self.level_label}{star}")

    # ==== main loop ===============================================================================
    def run(self) -> int:
        """Run until the window is closed; returns the exit code (0)."""
        clock = pygame.time.Clock()
        first = True
        while self.running:
            dt = clock.tick(60) / 1000.0
            self._frame(pygame.event.get(), 0.0 if first else min(dt, 0.1))
            if first and os.environ.get(FIRST_FRAME_ENV):
                print(f"first_frame_at {time.time():.6f}", flush=True)
                break
            first = False
        self.close()
        return 0

    def run_frames(self, n: int = 1, events: Any = (), dt: float = 1.0 / 60.0) -> None:
        """Run ``n`` frames now (tests): ``events`` go into the first frame, then the queue's."""
        for i in range(n):
            batch = list(events) if i == 0 else []
            batch.extend(pygame.event.get())
            self._frame(batch, dt)
            if not self.running:
                break

    def close(self) -> None:
        """Finish the last autosave and release the window."""
        self.recovery.close()
        self.optimal.close()
        if self.session is not None:
            self.session.env.close()
        pygame.display.quit()

    def _frame(self, events: list[pygame.event.Event], dt: float) -> None:
        t0 = time.perf_counter()
        for event in events:
            self._handle(event)
        self.manager.update(dt)
        self.board.update(dt)
        self.status.update(dt)
        self.recovery.tick()
        if self._anim is not None:
            start, end, t, dur = self._anim
            self._anim = None if t + dt >= dur else (start, end, t + dt, dur)
        budget = FRAME_BUDGET_S - (time.perf_counter() - t0) - self._draw_s - SAFETY_S
        self._train(dt, max(budget, 0.0005))
        t1 = time.perf_counter()
        self._refresh_view(t1)
        self._draw()
        t2 = time.perf_counter()
        self._draw_s = t2 - t1
        self.draw_times.append(self._draw_s)
        self.frame_times.append(t2 - t0)
        self.frames += 1

    # ==== events ==================================================================================
    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.request_close()
            return
        if event.type == pygame.VIDEORESIZE:
            self._resize(event.size)
            return
        if event.type == pygame.USEREVENT and hasattr(event, "user_type"):
            return  # pygame_gui's old-style duplicate of a widget event
        consumed = self.manager.process_events(event)
        if self.dialogs.process_event(event) or self.controls.process_event(event):
            return
        if event.type >= pygame.USEREVENT:
            return
        modal = self.dialogs.modal_open()
        if event.type == pygame.KEYDOWN and not consumed:
            if event.key == pygame.K_ESCAPE and self.dialogs.close_top():
                return
            if modal or self._text_focused():
                return
            if self._shortcut(event):
                return
        if consumed or modal:
            if event.type == pygame.MOUSEMOTION:
                self.board.hover = None
            return
        self.board.process_event(event)
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEBUTTONUP, pygame.MOUSEMOTION,
                          pygame.KEYDOWN):
            was_tool = self.editor.tool
            used = self.editor.process_event(event, self.board)
            if used and self.editor.drawing and self.playing:
                self._pause("Training paused while you edit")
            if self.editor.tool is not was_tool:
                self.state.tool = self.editor.tool.key
                self.controls.sync()

    def _text_focused(self) -> bool:
        return any(e.is_focused for e in (self.controls.rows_entry, self.controls.cols_entry))

    def _shortcut(self, event: pygame.event.Event) -> bool:
        key, mod = event.key, event.mod
        ctrl = bool(mod & (pygame.KMOD_CTRL | pygame.KMOD_META))
        if ctrl:
            if key == pygame.K_s:
                self.save(save_as=bool(mod & pygame.KMOD_SHIFT))
            elif key == pygame.K_o:
                self.open_dialog()
            elif key == pygame.K_n:
                self._cmd_new(self.controls._size())
            else:
                return False  # Ctrl+Z / Ctrl+Y go to the editor
            return True
        if mod & pygame.KMOD_ALT:
            return False
        plain = {
            pygame.K_SPACE: lambda: self._cmd_play(not self.playing),
            pygame.K_n: self.step_once,
            pygame.K_r: self.reset_learning,
            pygame.K_g: self.toggle_demo,
            pygame.K_m: lambda: self._cmd_drive(not self.drive),
            pygame.K_F1: self.dialogs.toggle_help,
            pygame.K_w: lambda: self.drive_step((-1, 0)),
            pygame.K_a: lambda: self.drive_step((0, -1)),
            pygame.K_s: lambda: self.drive_step((1, 0)),
            pygame.K_d: lambda: self.drive_step((0, 1)),
        }
        arrows = {pygame.K_UP: (-1, 0), pygame.K_DOWN: (1, 0), pygame.K_LEFT: (0, -1),
                  pygame.K_RIGHT: (0, 1)}
        if key in arrows and self.drive:
            self.drive_step(arrows[key])
            return True
        if key == pygame.K_RIGHT:
            self.step_once()
            return True
        handler = plain.get(key)
        if handler is None:
            return False
        handler()
        return True

    def _command(self, name: str, value: Any) -> None:
        """A widget asked for something (see ``Controls``)."""
        self._commands[name](value)

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
        self._step_acc = 1.0
        self._anim = None
        self.info.set_arithmetic([], "Greedy demonstration: the agent follows its best "
                                     "actions and does not learn.")
        self.status.notify("Greedy run: following the learnt policy", "info")
        self.controls.sync()

    def _end_demo(self, result: Any) -> None:
        self.demo = False
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
            self.recovery.note_edit(result.new, str(self.level_path) if self.level_path else
                                    self.level_label)
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
                self.status.notify(f"The level now has {level.n_states} states (was "
                                   f"{old_level.n_states}): the Q-table was reset", "warn", 8)
            elif changed:
                self.status.notify(f"Level edited: Q-values of {len(changed)} changed cell(s) "
                                   "reset, the rest kept", "info")
        for warning in level.warnings()[:1]:
            self.status.notify(f"Note: {warning}", "warn", 8)

    def _ask_unsaved(self, then: Any) -> None:
        """Run ``then()`` now, or after Save / Discard when there are unsaved edits."""
        if not self.editor.dirty:
            then()
            return

        def answer(choice: str) -> None:
            if choice == "save":
                self.save(then=then)
            elif choice == "discard":
                self.recovery.clear()
                then()
            else:
                self.controls.set_level_choice(self.level_label)

        self.dialogs.ask_save_discard_cancel(f"Level '{self.level_label}'", answer)

    def request_close(self) -> None:
        """The window's close button: ask about unsaved edits, then stop the loop."""
        if self.dialogs.modal_open():
            return

        def quit_now() -> None:
            self.recovery.clear()
            self.running = False

        self._ask_unsaved(quit_now)

    def _cmd_level(self, name: str) -> None:
        if name == self.level_label and self.level_path is None:
            return
        self._ask_unsaved(lambda: self.open_level(name))

    def open_level(self, name_or_path: str | Path) -> bool:
        """Load a bundled level or a file; on a LevelError show it and keep the current level."""
        try:
            level = load_level(name_or_path)
        except LevelError as exc:
            self.dialogs.error("Could not open the level", str(exc))
            self.status.notify(str(exc), "error", 12)
            self.controls.set_level_choice(self.level_label)
            return False
        text = str(name_or_path)
        bundled = text in bundled_level_names()
        self.level_path = None if bundled else Path(text)
        self.level_label = text if bundled else Path(text).stem
        self.editor.set_level(level, reset_history=True, saved=True)
        self.recovery.clear()
        self.controls.set_level_choice(self.level_label)
        self._update_caption()
        self.status.notify(f"Opened {self.level_label}", "info")
        return True

    def open_dialog(self) -> None:
        """Ctrl+O: pick a level file."""
        if self.dialogs.modal_open():
            return
        start = self.level_path.parent if self.level_path else Path.cwd()
        self._ask_unsaved(lambda: self.dialogs.open_level(start, self.open_level))

    def save(self, save_as: bool = False, then: Any = None) -> None:
        """Ctrl+S: write the level to its file (asks for a name the first time)."""
        level = self.editor.level
        problems = level.problems()
        if problems:
            self.dialogs.error("Cannot save this level",
                               f"The level cannot be saved yet: {problems[0].message}.")
            return
        if self.level_path is None or save_as:
            name = self.level_path.name if self.level_path else f"{self.level_label}.txt"
            folder = self.level_path.parent if self.level_path else Path.cwd()
            self.dialogs.save_level(folder / name, lambda p: self.save_to(p, then))
            return
        self.save_to(self.level_path, then)

    def save_to(self, path: Path, then: Any = None) -> bool:
        """Save atomically to ``path`` (".txt" added when missing); runs ``then`` on success."""
        from levels.level import save_level

        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(".txt")
        try:
            save_level(self.editor.level, path)
        except (LevelError, OSError) as exc:
            self.dialogs.error("Could not save the level", str(exc))
            return False
        self.editor.mark_saved()
        self.level_path = path
        self.level_label = path.stem
        self.recovery.clear()
        self.controls.set_level_choice(self.level_label)
        self._update_caption()
        self.status.notify(f"Saved {path}", "info")
        if then is not None:
            then()
        return True

    def _size_ok(self, size: tuple[int, int]) -> bool:
        rows, cols = size
        if not (2 <= rows <= 64 and 2 <= cols <= 64):
            self.status.notify(f"Size must be 2 to 64 rows and columns, got {rows} x {cols}",
                               "error")
            return False
        return True

    def _cmd_new(self, size: tuple[int, int]) -> None:
        if not self._size_ok(size):
            return

        def make() -> None:
            self.level_path, self.level_label = None, "untitled"
            self.editor.new(*size)
            self.controls.set_level_choice(self.level_label)
            self._update_caption()

        self._ask_unsaved(make)

    def _cmd_generate(self, size: tuple[int, int]) -> None:
        if not self._size_ok(size):
            return
        from levels import generate_maze

        def make() -> None:
            seed = int(np.random.default_rng().integers(1 << 31))
            level = generate_maze(*size, seed=seed)
            self.level_path, self.level_label = None, f"maze {size[0]}x{size[1]}"
            self.editor.set_level(level, reset_history=False, saved=False)
            self.controls.set_level_choice(self.level_label)
            self._update_caption()
            self.status.notify(f"Generated a {size[0]} x {size[1]} maze (seed {seed})", "info")

        self._ask_unsaved(make)

    def _cmd_resize(self, size: tuple[int, int]) -> None:
        if not self._size_ok(size):
            return
        try:
            self.editor.resize(*size)
        except LevelError as exc:
            self.status.notify(str(exc), "error")

    def _offer_recovery(self) -> None:
        found = self.recovery.load()
        if found is None:
            return

        def answer(choice: str) -> None:
            if choice == "restore":
                source = found.source
                if source and source not in bundled_level_names() and Path(source).exists():
                    self.level_path, self.level_label = Path(source), Path(source).stem
                else:
                    self.level_path, self.level_label = None, source or found.level.name
                self.editor.set_level(found.level, reset_history=True, saved=False)
                self.controls.set_level_choice(self.level_label)
                self._update_caption()
                self.recovery.note_edit(found.level, source)
                self.status.notify("Recovered your unsaved edits", "info")
            else:
                self.recovery.clear()

        self.dialogs.ask("Recover unsaved edits?", found.describe() + " Restore them?",
                         (("restore", "Restore", "Bring the recovered level back"),
                          ("discard", "Discard", "Delete the recovered edits for good")), answer)

    # ==== view ====================================================================================
    def _refresh_view(self, now: float) -> None:
        """Re-read the session when something changed (throttled while training fast)."""
        session = self.session
        if session is None:
            return
        fast = self.playing and (self.state.speed is None or self.state.speed > SLOW_SPEED)
        if not self._need_refresh or (fast and now - self._snap_time < FAST_REFRESH_S):
            self._refresh_hover(now)
            return
        self._need_refresh = False
        self._snap_time = now
        snap = session.snapshot()
        self._snap = snap
        self.rate.add(snap.total_steps, now)
        grid = session.grid
        if self.valid and grid is not None and snap.q is not None:
            layer = 0 if fast else int(grid.layer[self._display_state(snap)])
            self._values = cell_values(snap.q, grid, layer, snap.visits, snap.last_td)
            self._layer = layer
        else:
            self._values = None
        if self.state.overlays.get("optimal") and self.valid and grid is not None:
            self.optimal.request(session.env, float(session.agent.gamma))
            self.controls.set_readout(self.optimal.readout(snap.q))
        else:
            self.controls.set_readout("")
        if snap.episode != self._chart_episode:
            self._chart_episode = snap.episode
            returns = snap.returns
            self.returns_chart.set_learning_curve(returns, snap.episode - len(returns) + 1)
            self._update_epsilon_chart(snap)
        self._refresh_hover(now, force=True)

    def _display_state(self, snap: Any) -> int:
        if self._anim is not None and self._shown_state is not None:
            return self._shown_state
        return int(snap.state)

    def _update_epsilon_chart(self, snap: Any) -> None:
        schedule = self.session.schedule if self.session is not None else None
        if schedule is None:
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
        state = int(grid.states_in_layer(getattr(self, "_layer", 0))[r * grid.ncols + c]) \
            if grid is not None else -1
        visits = int(values.visits[r, c]) if values.visits is not None else 0
        q = values.q_dir[r, c].tolist()
        dirs = ("left", "down", "right", "up")

        def fmt(v: float) -> str:
            return "\u2014" if not np.isfinite(v) else f"{v:+.3f}"

        head = f"cell ({r}, {c})  \u00b7  s{state}  \u00b7  visits {visits:,}" if state >= 0 \
            else f"cell ({r}, {c})  \u00b7  no state here"
        td = values.last_td[r, c].tolist() if values.last_td is not None else [np.nan] * 4
        lines = [head, "     Q-value    last TD error"]
        for d, qv, tv in zip(dirs, q, td, strict=True):
            lines.append(f" {ARROWS[d]}  {fmt(qv):>8}    {fmt(tv):>8}")
        self.info.set_hover(lines)

    def board_view(self) -> BoardView:
        """What the board draws this frame."""
        level = self.editor.level
        snap = self._snap if self.valid else None
        ov = Overlays(**{k: bool(v) for k, v in self.state.overlays.items()})
        agent_pos = None
        eaten: list[tuple[int, int]] = []
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
            layer = int(grid.layer[self._display_state(snap)])
            cheeses = level.small_cheeses
            eaten = [cell for i, cell in enumerate(cheeses) if layer >> i & 1]
            if ov.trail and snap.trail:
                trail = states_to_cells(snap.trail, grid)
            if ov.optimal:
                optimal_mask = self.optimal.mask(grid, getattr(self, "_layer", 0))
        return BoardView(tiles=level.grid, values=self._values if self.valid else None,
                         agent_pos=agent_pos, eaten=frozenset(eaten), trail=trail,
                         optimal_mask=optimal_mask, problem_cells=self.problem_cells,
                         overlays=ov)

    def _draw(self) -> None:
        screen = self.screen
        screen.fill(C.BACKGROUND)
        self.board.draw(screen, self.board_view())
        self.editor.draw(screen)
        if not self.valid:
            self._draw_problem_banner(screen)
        self.info.draw(screen)
        if self.board.hover is not None and not self.editor.drawing:
            self.info.draw_hover_card(screen, self.board.cell_rect(*self.board.hover),
                                      self.board.rect.union(self.info.rect))
        screen.fill(C.PANEL, self.chart_area)
        pygame.draw.line(screen, C.PANEL_BORDER, self.chart_area.topleft,
                         self.chart_area.bottomleft)
        if self.chart_area.height > 60:
            self.returns_chart.draw(screen)
            self.epsilon_chart.draw(screen)
        snap = self._snap
        if snap is not None:
            label = next((lbl for lbl, k in AGENTS if k == self.state.agent_kind), "")
            mode = "greedy run" if self.demo else ("training" if self.playing else "paused")
            self.status.set_stats(episode=snap.episode, steps=snap.total_steps,
                                  steps_per_s=self.rate.rate if self.playing else 0.0,
                                  epsilon=snap.epsilon, extra=f"{label} \u00b7 {mode}")
        self.status.draw(screen)
        self.manager.draw_ui(screen)
        pygame.display.flip()

    def _draw_problem_banner(self, screen: pygame.Surface) -> None:
        """An invalid level: a red frame around the board (the problem is written below it)."""
        frame = self.board.board_rect.inflate(6, 6)
        pygame.draw.rect(screen, C.PROBLEM, frame, 3, border_radius=4)

    # ==== for tests and benchmarks ================================================================
    @property
    def arithmetic_text(self) -> str:
        """What the "last update" box shows."""
        return self.info.arithmetic_text

    @property
    def level(self) -> Level:
        """The level on screen (as edited)."""
        return self.editor.level
