"""The sandbox window: main loop, frame clock and the wiring between components.

Each frame: events go to the pygame_gui manager first, then to the dialogs and the side panel
(widget events), then — if nobody consumed them — to the keyboard shortcuts, the board and the
editor. The session then gets only what is left of the frame's 16.7 ms after the previous frame's
drawing time, so no speed setting can freeze the window; at <= 20 steps/s every step is recorded
and animated, above that the board shows the learning (arrows, heat map) rather than every step.

The app never computes a TD update: it sends commands to ``agents.session.TrainingSession`` and
draws what ``snapshot()`` reports. Where the rest lives:

* ``app.training.TrainingControl`` (mixin): play / step / reset / greedy / drive, agent and
  hyperparameter changes, and handing edited levels to the session;
* ``app.liveview.LiveView`` (mixin): reading snapshots into the board, charts and hover card;
* ``app.levelflow.LevelFlow``: the level as a file (open, save, new, generate, recovery);
* ``app.controls.Controls``: the side panel; ``app.editor.Editor``: the level being edited.

Issue 6 (Gymnasium envs, DQN, compare mode) plugs in at ``TrainingControl._new_session`` (which
agent), ``Controls.build_sliders`` (which config class), and ``App._layout`` (one board or two).
"""

from __future__ import annotations

import collections
import gc
import json
import os
import threading
import time
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from agents.config import TabularConfig
from agents.session import TrainingSession
from app import colors as C
from app.board import Board
from app.charts import LineChart
from app.controls import AGENTS, PANEL_WIDTH, Controls, PanelState
from app.dialogs import Dialogs
from app.editor import TOOLS, Editor
from app.levelflow import LevelFlow
from app.liveview import LiveView
from app.optimal import OptimalValues
from app.recovery import RecoveryStore
from app.statusbar import InfoStrip, RateMeter, StatusBar
from app.training import TrainingControl
from levels.level import Level, LevelError, bundled_level_names, load_level

THEME_PATH = Path(__file__).with_name("theme.json")
FIRST_FRAME_ENV = "RL_SANDBOX_EXIT_AFTER_FIRST_FRAME"
FRAME_BUDGET_S = 1.0 / 60.0
SAFETY_S = 0.002  # left unused each frame: the session overshoots by up to one ~1 ms chunk
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


def _second_largest(values: collections.deque[float], default: float) -> float:
    """A cautious estimate that one freak sample (the OS took the CPU away) does not ruin."""
    if len(values) < 2:
        return default
    return sorted(values)[-2]


def _warm_up_turbo() -> None:
    """Load the compiled training kernel off the frame loop (it takes ~0.25 s the first time),
    with a throwaway session, so the first press of Play at full speed does not stall a frame."""
    try:
        from agents.session import TrainingSession
        from agents.tabular import make_tabular
        from levels.gridmaze import GridMazeEnv

        env = GridMazeEnv("mouse")
        agent = make_tabular("q-learning", env.observation_space.n, env.action_space.n)
        TrainingSession(env, agent, seed=0, turbo=True).advance(1000)
    except Exception:  # only a speed-up: the real session loads the kernel itself if this fails
        pass


class App(TrainingControl, LiveView):
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
        level, level_path, level_label = self._resolve(spec_or_level)
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
            level_options=bundled_level_names(), level_choice=level_label,
            hyper={"alpha": defaults.alpha, "gamma": defaults.gamma,
                   "epsilon": defaults.epsilon, "epsilon_decay": defaults.epsilon_decay},
            speed=DEFAULT_SPEED, tool=self.editor.tool.key,
        )
        self.epsilon_min = defaults.epsilon_min
        self.controls = Controls(self.manager, pygame.Rect(0, 0, PANEL_WIDTH, 600), self.state,
                                 [(t.key, t.label, t.tooltip) for t in TOOLS], self._command)
        self.returns_chart = LineChart((0, 0, 10, 10), "return per episode")
        self.epsilon_chart = LineChart((0, 0, 10, 10), "epsilon per episode", empty_text="")
        self.recovery = RecoveryStore()
        self.files = LevelFlow(self.editor, self.dialogs, self.status, self.controls,
                               self.recovery, level_path, level_label, self._update_caption)
        self.optimal = OptimalValues()
        self.rate = RateMeter()
        self.frame_times: collections.deque[float] = collections.deque(maxlen=2000)
        self.draw_times: collections.deque[float] = collections.deque(maxlen=2000)
        self._plain_draws: collections.deque[float] = collections.deque(maxlen=30)
        self._refresh_costs: collections.deque[float] = collections.deque(maxlen=12)
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
        self._trail_cells: list[tuple[int, int]] = []
        self._layer = 0
        self._layer_follows_agent = True
        self._commands = {
            "play": self._cmd_play, "step": lambda _v: self.step_once(),
            "reset": lambda _v: self.reset_learning(), "greedy": lambda _v: self.toggle_demo(),
            "drive": self._cmd_drive, "agent": self._cmd_agent, "hyper": self._cmd_hyper,
            "speed": self._cmd_speed, "overlay": self._cmd_overlay, "tool": self._cmd_tool,
            "level": lambda v: self.files.choose(v), "new": lambda v: self.files.new(v),
            "open": lambda _v: self.files.open_dialog(), "save": lambda _v: self.files.save(),
            "generate": lambda v: self.files.generate(v), "resize": lambda v: self.files.resize(v),
        }
        self._apply_level(level, fresh=True)
        self._layout()
        # Training at full speed allocates tens of thousands of small records a second; with the
        # start-up objects frozen and a larger first generation, the collector no longer stalls
        # frames for tens of milliseconds (measured on the mouse level: frame p95 64 -> 15 ms).
        gc.collect()
        gc.freeze()
        gc.set_threshold(20_000, 20, 50)
        self._update_caption()
        if offer_recovery:
            self.files.offer_recovery()

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
        # Both charts when there is room; in a short window only the learning curve.
        self.show_epsilon_chart = inner.height >= 170
        self.show_returns_chart = inner.height >= 60
        eps_h = min(90, inner.height // 3) if self.show_epsilon_chart else 0
        returns_h = inner.height - eps_h - (8 if eps_h else 0)
        self.returns_chart.set_rect((inner.x, inner.y, inner.width, max(10, returns_h)))
        self.epsilon_chart.set_rect((inner.x, inner.bottom - eps_h, inner.width, max(10, eps_h)))
        board_area = pygame.Rect(0, 0, panel_x, h - status_h - INFO_HEIGHT)
        self.board.set_rect(board_area.inflate(-24, -24))
        self.info.rect = pygame.Rect(12, board_area.bottom, max(0, panel_x - 24), INFO_HEIGHT - 10)
        self.status.rect = pygame.Rect(0, h - status_h, w, status_h)

    def _resize(self, size: tuple[int, int]) -> None:
        """Follow the window: pygame resizes the display surface, the UI and layout follow."""
        surface = pygame.display.get_surface()
        if surface is None or surface.get_size() != tuple(size):
            surface = pygame.display.set_mode(size, pygame.RESIZABLE)  # synthetic resize (tests)
        self.screen = surface
        self.manager.set_window_resolution(self.screen.get_size())
        self._layout()

    def _update_caption(self) -> None:
        star = " *" if self.editor.dirty else ""
        pygame.display.set_caption(f"RL Sandbox \u2014 {self.files.level_label}{star}")

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
        # Plan for the slowest recent drawing of the same kind: frames that re-read the session
        # (every ~67 ms while training fast) also redraw the arrows, heat map and charts, so
        # they cost more; they train less, and the frames in between do not pay for them.
        now = time.perf_counter()
        recent = self._refresh_costs if self._refresh_due(now + 0.008) else self._plain_draws
        draw_est = _second_largest(recent, default=0.006)
        budget = FRAME_BUDGET_S - (now - t0) - draw_est - SAFETY_S
        self._train(dt, max(budget, 0.0005))
        t1 = time.perf_counter()
        refreshed = self._refresh_view(t1)
        self._draw()
        t3 = time.perf_counter()
        (self._refresh_costs if refreshed else self._plain_draws).append(t3 - t1)
        self.draw_times.append(t3 - t1)
        self.frame_times.append(t3 - t0)
        if self.frames == 0:
            threading.Thread(target=_warm_up_turbo, name="turbo-warm-up", daemon=True).start()
        self.frames += 1

    # ==== events ==================================================================================
    def _handle(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.files.request_close(self._quit)
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
                self.files.save(save_as=bool(mod & pygame.KMOD_SHIFT))
            elif key == pygame.K_o:
                self.files.open_dialog()
            elif key == pygame.K_n:
                self.files.new(self.controls.size())
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

    def _quit(self) -> None:
        self.running = False

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
        if self.show_returns_chart:
            self.returns_chart.draw(screen)
        if self.show_epsilon_chart:
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

    @property
    def level_path(self) -> Path | None:
        """The file the level is saved in (None until it has one)."""
        return self.files.level_path
