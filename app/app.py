"""The sandbox window: main loop, frame clock and the wiring between components.

Each frame: events go to the pygame_gui manager first, then to the dialogs and the side panel
(widget events), then — if nobody consumed them — to the keyboard shortcuts, the board and the
editor. The session then gets only what is left of the frame's 16.7 ms after the previous frame's
drawing time, so no speed setting can freeze the window; at <= 20 steps/s every step is recorded
and animated, above that the board shows the learning (arrows, heat map) rather than every step.

The app never computes a TD update: it sends commands to ``agents.session.TrainingSession`` and
draws what ``snapshot()`` reports. :class:`App` builds the parts, hands each the others it
talks to, and dispatches the panel's typed commands (:mod:`app.commands`). Each part owns its
state (docs/ARCHITECTURE.md lists who owns what):

* ``app.training.TrainingControl``: the session(s), play / step / reset / greedy / drive;
* ``app.leveledits.LevelEdits``: handing edited levels to the session;
* ``app.liveview.LiveView``: reading snapshots into the board, charts and hover card;
* ``app.input.InputRouting``: events to dialogs, panel, shortcuts, board and editor;
* ``app.levelflow.LevelFlow``: the level as a file (open, save, new, generate, recovery);
* ``app.worldflow.WorldFlow``: Gymnasium envs from the env picker (E), and back;
* ``app.screen.ScreenLayout``: where everything goes, and drawing a frame;
* ``app.compare.CompareMode``: a second agent side by side, same world, same seed;
* ``app.agentflow.AgentFlow``: save / load agent files, F12 screenshots, GIFs;
* ``app.controls.Controls``: the side panel; ``app.editor.Editor``: the level being edited.

A DQN trains in the same frame loop: one of its steps can cost a gradient step (1-3 ms), so while
it trains flat out the frame is allowed :data:`DQN_FRAME_S` (30 fps, the issue's 33 ms p95) and the
session stops at the budget after whichever step crosses it; the UI never waits for more than one
step. torch is imported only when a DQN is chosen.
"""

from __future__ import annotations

import collections
import os
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pygame
import pygame_gui

from agents.config import AUTO
from agents.session import TrainingSession
from app import commands as cmd
from app.agentfactory import label
from app.agentflow import AgentFlow
from app.agentsettings import INITIAL_Q_USED, AgentSettings
from app.board import Board
from app.charts import LineChart
from app.compare import CompareMode
from app.controls import PANEL_WIDTH, Controls, PanelState
from app.dialogs import Dialogs
from app.display import APP_NAME, name_the_window_class, set_window_mode
from app.dynprog import DynamicProgrammingControl
from app.editor import TOOLS, Editor
from app.envfactory import World, close_env
from app.gymview import GymView
from app.input import InputRouting
from app.leveledits import LevelEdits
from app.levelflow import LevelFlow
from app.levelsettings import describe_changes
from app.liveview import Charts, LiveView
from app.optimal import OptimalValues
from app.recovery import RecoveryStore
from app.rewardtool import CellRewardTool
from app.screen import ScreenLayout
from app.startup import StartError, load_fonts, load_theme, resolve_start, warm_up_turbo
from app.statusbar import InfoStrip, StatusBar
from app.studyflow import StudyFlow
from app.torchloading import TorchLoading
from app.training import TrainingControl
from app.worldflow import WorldFlow, is_level_spec
from levels.level import Level
from levels.levelfile import bundled_level_names
from levels.settings import get_setting, with_setting

FIRST_FRAME_ENV = "RL_SANDBOX_EXIT_AFTER_FIRST_FRAME"
FRAME_BUDGET_S = 1.0 / 60.0
SAFETY_S = 0.002  # left unused each frame: the session overshoots by up to one ~1 ms chunk
DQN_FRAME_S = 1.0 / 30.0  # a DQN training flat out: longer frames, more learning per frame
DQN_SAFETY_S = 0.004  # ... and its last step may run one gradient step past the budget
WATCH_HOVER_S = 1.0 / 30.0  # while the worker trains: redraw interval when the mouse moves
WATCH_IDLE_S = 0.25  # ... and at least this often (widgets' own animations)
DEFAULT_SPEED = 5.0
# What the board shows while dynamic programming runs: V (heat map, numbers) and its policy.
DP_OVERLAYS = {"heatmap": True, "policy": True, "numbers": True, "arrows": False}
# What waits while the DQN is being built: the agent on screen is not the one the user chose.
HELD_WHILE_BUILDING = (cmd.Play, cmd.Step, cmd.GreedyRun, cmd.Drive, cmd.Watch)


_PASSIVE_EVENTS = frozenset((pygame.WINDOWENTER, pygame.WINDOWLEAVE, pygame.WINDOWFOCUSGAINED,
                             pygame.WINDOWFOCUSLOST, pygame.WINDOWEXPOSED, pygame.WINDOWMOVED,
                             pygame.ACTIVEEVENT, pygame.VIDEOEXPOSE))


def _passive(event: pygame.event.Event) -> bool:
    """Events no part answers by touching the session: hovering, the window moving or showing."""
    if event.type == pygame.MOUSEMOTION:
        return not any(getattr(event, "buttons", (0,)))
    return event.type in _PASSIVE_EVENTS


def _second_largest(values: collections.deque[float], default: float) -> float:
    """A cautious estimate that one freak sample (the OS took the CPU away) does not ruin."""
    if len(values) < 2:
        return default
    return sorted(values)[-2]


class App:
    """The RL Sandbox window.

    Args:
        spec_or_level: a bundled level name, a level file path, a :class:`Level`, or a
            Gymnasium id with arguments (``"CartPole-v1"``, ``"FrozenLake-v1:map_name='8x8'"``).
        size: initial window size (the window is resizable).
        device: torch device for a DQN ("auto", "cpu", "cuda"); unused by tabular agents.
        seed: seeds every session the app creates (same seed, same run).
        offer_recovery: look for autosaved edits from a previous run and offer them.
    """

    def __init__(self, spec_or_level: str | Level = "mouse", size: tuple[int, int] = (1280, 800),
                 device: str | None = None, *, seed: int = 0, offer_recovery: bool = True) -> None:
        world_spec = None
        if isinstance(spec_or_level, str) and not is_level_spec(spec_or_level) \
                and not spec_or_level.lower().endswith(".txt"):
            world_spec, spec_or_level = spec_or_level, "mouse"  # a Gymnasium id: opened below
        level, level_path, level_label = resolve_start(spec_or_level)
        self._open_window(size)
        self._build_widgets(level, level_label)
        self._build_parts(level_path, level_label, seed=seed, device=device)
        self.running = True
        self.frames = 0
        self.frame_times: collections.deque[float] = collections.deque(maxlen=2000)
        self.draw_times: collections.deque[float] = collections.deque(maxlen=2000)
        self._plain_draws: collections.deque[float] = collections.deque(maxlen=30)
        self._refresh_costs: collections.deque[float] = collections.deque(maxlen=12)
        self._drawn_at = 0.0  # when the screen was last drawn
        self._ui_dt = 0.0  # time the widgets have not been updated for (frames not drawn)
        self.edits.apply_level(level, fresh=True)
        self.layout.rebuild_panel()
        if world_spec is not None:
            self._open_first_world(world_spec)
        self._update_caption()
        if offer_recovery:
            self.files.offer_recovery()

    # ==== start-up ================================================================================
    def _open_window(self, size: tuple[int, int]) -> None:
        name_the_window_class()
        pygame.display.init()
        pygame.font.init()
        self.screen = set_window_mode(size)
        pygame.display.set_caption(APP_NAME)
        self.manager = pygame_gui.UIManager(self.screen.get_size(), load_theme(TOOLS),
                                            enable_live_theme_updates=False)
        fonts = load_fonts()
        self.font, self.small_bold = fonts["font"], fonts["small_bold"]
        self.mono, self.mono_small = fonts["mono"], fonts["mono_small"]

    def _build_widgets(self, level: Level, level_label: str) -> None:
        """The parts that only draw or hold input: panel, board, editor, charts, bars."""
        self.dialogs = Dialogs(self.manager)
        self.status = StatusBar(self.font)
        self.info = InfoStrip(self.mono, self.small_bold, self.mono_small)
        self.board = Board((0, 0, 100, 100), level.nrows, level.ncols)
        self.editor = Editor(level, self.board)
        self.editor.set_tool("3")
        state = PanelState(
            level_options=bundled_level_names(), level_choice=level_label,
            speed=DEFAULT_SPEED, tool=self.editor.tool.key, rows=level.nrows, cols=level.ncols,
        )
        self.settings = AgentSettings()
        self.controls = Controls(self.manager, pygame.Rect(0, 0, PANEL_WIDTH, 600), state,
                                 [(t.key, t.label, t.tooltip) for t in TOOLS], self.command,
                                 self.settings.values)
        self.charts = Charts(
            returns=LineChart((0, 0, 10, 10), "return per episode"),
            epsilon=LineChart((0, 0, 10, 10), "epsilon per episode", empty_text=""),
            loss=LineChart((0, 0, 10, 10), "TD loss", empty_text="no training yet"),
            meanq=LineChart((0, 0, 10, 10), "mean Q", empty_text="no training yet"))
        self.gym_view = GymView((0, 0, 10, 10), self.font)
        self.recovery = RecoveryStore()
        self.optimal = OptimalValues()

    def _build_parts(self, level_path: Path | None, level_label: str, *, seed: int,
                     device: str | None) -> None:
        """The parts that act: each is handed the others it talks to."""
        self.files = LevelFlow(self.editor, self.dialogs, self.status, self.controls,
                               self.recovery, level_path, level_label, self._update_caption)
        self.training = TrainingControl(self.controls, self.status, self.info, self.optimal,
                                        self.settings, seed=seed, device=device)
        self.worlds = WorldFlow(
            self.training, self.files, manager=self.manager, dialogs=self.dialogs,
            editor=self.editor, board=self.board, controls=self.controls, status=self.status,
            info=self.info, gym_view=self.gym_view, optimal=self.optimal,
            on_change=self._agents_changed, on_caption=self._update_caption)
        self.layout = ScreenLayout(
            self.controls, self.charts, board=self.board, editor=self.editor,
            gym_view=self.gym_view, info=self.info, status=self.status, training=self.training,
            worlds=self.worlds, small_bold=self.small_bold)
        self.layout.resize(self.screen.get_size())
        self.edits = LevelEdits(
            self.training, self.worlds, self.files, editor=self.editor, board=self.board,
            controls=self.controls, status=self.status, info=self.info, optimal=self.optimal,
            recovery=self.recovery, on_change=self._agents_changed,
            on_reshape=self.layout.follow_level, on_caption=self._update_caption)
        self.editor.on_change(self.edits.on_edit)
        self.cell_rewards = CellRewardTool(self.editor, self.dialogs, self.status, self.board)
        self.editor.on_reward_click(self.cell_rewards.pick)
        self.compare = CompareMode(self.training, self.worlds, self.controls, self.status,
                                   self.font)
        self._overlays_before_dp: dict[str, bool] = {}
        self.dp = DynamicProgrammingControl(self.training, self.status, self.info,
                                            show_values=self._dp_overlays)
        self.live = LiveView(
            self.training, self.worlds, self.edits, self.layout, self.charts, board=self.board,
            editor=self.editor, gym_view=self.gym_view, info=self.info, status=self.status,
            controls=self.controls, optimal=self.optimal, dp=self.dp)
        self.agent_files = AgentFlow(
            self.training, self.worlds, self.files, editor=self.editor, dialogs=self.dialogs,
            status=self.status, controls=self.controls, screen=lambda: self.screen,
            on_loaded=lambda: self.layout.rebuild_panel(force=True),
            on_caption=self._update_caption)
        self.torch = TorchLoading()
        self.study = StudyFlow(self.manager, self.small_bold, self.training, self.worlds,
                               self.editor, self.command,
                               on_loaded=lambda: self.layout.rebuild_panel(force=True))
        self.input = InputRouting(
            self.manager, self.dialogs, self.controls, self.board, self.editor, self.files,
            self.training, self.worlds, self.status, quit=self._quit, resize=self._resize,
            screenshot=self.agent_files.screenshot, command=self.command)
        self._handlers = self._command_table()

    def _open_first_world(self, spec: str) -> None:
        try:
            self.worlds.open_spec(spec)
        except ValueError as exc:
            pygame.display.quit()
            raise StartError(str(exc)) from None

    # ==== the panel's commands ===================================================================
    def _command_table(self) -> dict[type, Callable[[Any], object]]:
        training, files = self.training, self.files
        return {
            cmd.Play: lambda c: training.play(c.on),
            cmd.Step: lambda _c: training.step_once(),
            cmd.ResetLearning: lambda _c: training.reset_learning(),
            cmd.GreedyRun: lambda _c: training.toggle_demo(),
            cmd.Drive: lambda c: training.set_drive(c.on),
            cmd.Watch: lambda c: training.watch(c.on),
            cmd.ChooseAgent: lambda c: self._choose_agent(c.kind),
            cmd.RebuildDQN: lambda c: self._rebuild_dqn(c.name, c.value),
            cmd.SetHyperparameter: lambda c: self._set_hyperparameter(c.name, c.value),
            cmd.ShowNotice: lambda c: self.status.notify(c.text, c.kind, 10),
            cmd.OpenLevelSettings: lambda _c: self.open_level_settings(),
            cmd.SetSpeed: lambda _c: training.set_speed(),
            cmd.SetOverlay: lambda _c: self.live.invalidate(),
            cmd.DynamicProgrammingStep: lambda c: self.dp.run(c.kind),
            cmd.ChooseTool: lambda c: self._choose_tool(c.key),
            cmd.ChooseLevel: lambda c: self._choose_level(c.name),
            cmd.NewLevel: lambda c: files.new(c.size),
            cmd.GenerateLevel: lambda c: files.generate(c.size),
            cmd.ResizeLevel: lambda c: files.resize(c.size),
            cmd.OpenLevel: lambda _c: files.open_dialog(),
            cmd.SaveLevel: lambda _c: files.save(),
            cmd.OpenEnvPicker: lambda _c: self._open_env_picker(),
            cmd.Compare: lambda c: self._compare(c.kind),
            cmd.RecordGif: lambda _c: self.agent_files.record_gif(),
            cmd.SaveAgent: lambda _c: self.agent_files.save_agent_dialog(),
            cmd.LoadAgent: lambda _c: self._load_agent_dialog(),
            cmd.OpenStudy: lambda _c: self.study.open(),
        }

    def command(self, command: cmd.Command) -> None:
        """Do what the panel (or a test, or a shortcut) asks (between two training steps)."""
        self.training.quiesce()
        if self.torch.waiting and isinstance(command, HELD_WHILE_BUILDING):
            self.status.notify("Still building the DQN\u2026 (loading PyTorch)", "info", 60)
            return
        self._handlers[type(command)](command)

    def _choose_agent(self, kind: str) -> None:
        session = self.training.session
        previous = session.agent.kind if session is not None else kind
        self.torch.cancel()
        if kind == "dqn" and previous != "dqn" and session is not None and not self.torch.ready:
            self.controls.show_agent(previous)  # until the DQN exists, the panel shows this one
            self._build_dqn_later(lambda: self._choose_agent(kind), "Building the DQN")
            return
        if self.training.change_agent(kind):
            self.layout.rebuild_panel()  # the agent menu shows the new agent (a command from
            # the Study window or a test sends no widget event), and a DQN has its own knobs

    def _build_dqn_later(self, build: Callable[[], None], what: str) -> None:
        """torch is not in yet: ``build`` waits for it, the agent on screen pauses, and the
        status bar and the box under the board say so at once; the window keeps responding."""
        self.training.pause()
        self.torch.when_ready(build, self.training.session)
        self.status.notify(f"{what}\u2026 (loading PyTorch: a few seconds the first time)",
                           "info", 60)
        self.info.set_title("DQN")
        self.info.set_arithmetic([], f"{what}: PyTorch is loading. The window keeps working; "
                                     "the DQN starts as soon as PyTorch is in.")

    def _follow_torch(self) -> None:
        """Each frame: start importing torch when a menu offering the DQN is open, and build a
        DQN that was waiting for it."""
        if self.controls.dqn_menu_open():
            self.torch.start()
        error = self.torch.poll(self.training.session)
        if error is not None:
            self.status.notify(error, "error", 15)
            self.layout.rebuild_panel(force=True)

    def _open_env_picker(self) -> None:
        self.torch.start()  # many envs in the picker are learnt by a DQN only
        self.worlds.open_env_picker()

    def _load_agent_dialog(self) -> None:
        self.torch.start()  # a .pt file is a DQN
        self.agent_files.load_agent_dialog()

    def _set_hyperparameter(self, name: str, value: cmd.HyperValue) -> None:
        """A knob moved; the initial Q only means something from an empty Q-table, so changing
        it starts learning over."""
        self.training.set_hyperparameter(name, value)
        if name == "initial_q" and self.training.session is not None:
            self.training.reset_learning()
            used = self.settings.values().get(INITIAL_Q_USED, value)
            shown = f"{used:g}" + (" (auto)" if value == AUTO else "")
            self.status.notify(f"Learning starts over with every Q-value at {shown}"
                               + (" (optimistic: every untried action looks worth a try)"
                                  if used > 0 else ""), "info", 10)

    def open_level_settings(self) -> None:
        """The level settings window (a level only: a Gymnasium env brings its own)."""
        if self.worlds.world is not None:
            self.status.notify("A Gymnasium env has its own settings: open a level to change "
                               "its rewards and step limit", "info")
            return
        self.dialogs.level_settings(self.editor.level, self._apply_level_settings)

    def _apply_level_settings(self, values: dict[str, Any]) -> None:
        """Settings from the window, as one undoable edit; the session keeps its Q-table (the
        states are the same)."""
        old = level = self.editor.level
        changed = [key for key, value in values.items() if get_setting(old, key) != value]
        if not changed:
            self.status.notify("Level settings unchanged", "info")
            return
        for key in changed:
            level = with_setting(level, key, values[key])
        self.editor.edit(level, "settings")
        self.status.notify("Level settings: " + describe_changes(old, level, changed), "info", 8)

    def _rebuild_dqn(self, name: str, value: cmd.HyperValue) -> None:
        if self.training.rebuild_dqn(name, value):
            self.layout.rebuild_panel()

    def _choose_tool(self, key: str) -> None:
        self.editor.set_tool(key)
        self.controls.show_tool(key)

    def _choose_level(self, name: str) -> None:
        """The level drop-down: a level replaces a Gymnasium env even if it is the same one."""
        world, files = self.worlds.world, self.files
        if world is not None and name == files.level_label and files.level_path is None:
            files.ask_unsaved(lambda: files.open_level(name))
            return
        if world is not None and name == world.title:
            return
        files.choose(name)

    def _compare(self, kind: str | None) -> None:
        """The compare menu: both agents start together from scratch, same seed."""
        self.torch.cancel()
        if kind == "dqn" and self.training.session is not None and not self.torch.ready:
            self.compare.choose(None)
            self._build_dqn_later(lambda: self._compare(kind), "Building the DQN to compare")
            return
        opened = self.compare.choose(kind)
        self.layout.layout()
        if opened:
            self.training.reset_learning()
            session, lane = self.training.session, self.training.lane
            assert session is not None and lane is not None
            first, second = self.layout.lane_places()
            self.status.notify(f"Compare: {label(session.agent.kind)} ({first}) vs "
                               f"{label(lane.session.agent.kind)} ({second}), same world, same "
                               "seed; Space trains both", "info", 10)

    def _dp_overlays(self, on: bool) -> None:
        """Dynamic programming shows V (heat map, numbers) and its policy; leaving it puts back
        the overlays it changed, unless the user has switched them since."""
        overlays = self.controls.state.overlays
        if on:
            self._overlays_before_dp = {k: overlays.get(k, False) for k in DP_OVERLAYS}
            self.controls.show_overlays(**DP_OVERLAYS)
        else:
            self.controls.show_overlays(**{k: was for k, was in self._overlays_before_dp.items()
                                           if overlays.get(k, False) == DP_OVERLAYS[k]})
        self.live.invalidate()

    def _agents_changed(self) -> None:
        """The world (or the agents it offers) changed: panel, compare lane and layout follow."""
        self.layout.rebuild_panel()
        self.compare.reopen()
        self.layout.layout()

    # ==== window ==================================================================================
    def _resize(self, size: tuple[int, int]) -> None:
        """Follow the window: pygame resizes the display surface, the UI and layout follow."""
        surface = pygame.display.get_surface()
        if surface is None or surface.get_size() != tuple(size):
            surface = set_window_mode(size)  # a synthetic resize (tests)
        self.screen = surface
        self.manager.set_window_resolution(self.screen.get_size())
        self.layout.resize(self.screen.get_size())

    def _update_caption(self) -> None:
        self.dialogs.settings_follow(self.editor.level, editable=self.worlds.world is None)
        world = self.worlds.world
        if world is not None:
            pygame.display.set_caption(f"{APP_NAME} \u2014 {world.title}")
            return
        star = " *" if self.editor.dirty else ""
        pygame.display.set_caption(f"{APP_NAME} \u2014 {self.files.level_label}{star}")

    def _quit(self) -> None:
        self.running = False

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

    def run_frames(self, n: int = 1, events: Iterable[pygame.event.Event] = (),
                   dt: float = 1.0 / 60.0) -> None:
        """Run ``n`` frames now (tests): ``events`` go into the first frame, then the queue's."""
        for i in range(n):
            batch = list(events) if i == 0 else []
            batch.extend(pygame.event.get())
            self._frame(batch, dt)
            if not self.running:
                break

    def close(self) -> None:
        """Stop training, finish the last autosave and release the window."""
        self.training.close()
        self.recovery.close()
        self.study.close()
        self.optimal.close()
        self.live.close()
        self.training.close_lane()
        self.agent_files.close()
        if self.worlds.world is not None:
            self.worlds.close()
        elif self.training.session is not None:
            close_env(self.training.session.env)
        pygame.display.quit()

    def _frame(self, events: list[pygame.event.Event], dt: float) -> None:
        t0 = time.perf_counter()
        acted = False
        for event in events:
            if not _passive(event):  # the session is this thread's while the event is handled
                self.training.quiesce()
                acted = True
            self.input.process_event(event)
        draw = self._draw_due(t0, acted, bool(events))
        self._ui_dt += dt
        if draw:
            self.manager.update(self._ui_dt)
            self._ui_dt = 0.0
        self.board.update(dt)
        self.status.update(dt)
        self.recovery.tick()
        self.training.update(dt)
        self._follow_torch()
        self.dp.follow()
        # Plan for the slowest recent drawing of the same kind: frames that re-read the session
        # (every ~67 ms while training fast) also redraw the arrows, heat map and charts, so
        # they cost more; they train less, and the frames in between do not pay for them.
        now = time.perf_counter()
        recent = self._refresh_costs if self.live.refresh_due(now + 0.008) else self._plain_draws
        draw_est = _second_largest(recent, default=0.006)
        frame_s, safety_s = self.frame_plan()
        budget = max(frame_s - (now - t0) - draw_est - safety_s, 0.0005)
        if self.agent_files.busy():
            self.training.quiesce()
            self.agent_files.tick_recording(budget)
        self.training.train(dt, budget, frame_view=self.worlds.view_kind == "frame",
                            hold=self.agent_files.recording is not None)
        t1 = time.perf_counter()
        if draw:
            refreshed = self.live.refresh(t1)
            self.layout.draw(self.screen, self.live,
                             recording=self.agent_files.recording is not None)
            self.manager.draw_ui(self.screen)
            pygame.display.flip()
            drawing = time.perf_counter() - t1
            (self._refresh_costs if refreshed else self._plain_draws).append(drawing)
            self.draw_times.append(drawing)
            self._drawn_at = t1
        self.frame_times.append(time.perf_counter() - t0)
        if self.frames == 0:
            threading.Thread(target=warm_up_turbo, name="turbo-warm-up", daemon=True).start()
        self.frames += 1

    def _draw_due(self, now: float, acted: bool, moved: bool) -> bool:
        """Whether this frame draws.

        While the worker trains flat out, the picture changes when the view re-reads the
        session (~15/s), so that is when the screen is redrawn; also at once after a click or a
        key, up to every :data:`WATCH_HOVER_S` while the mouse moves, and every
        :data:`WATCH_IDLE_S` regardless. The frames in between only take input: drawing holds
        the GIL and a core that learning would otherwise have. A window in front (a dialog,
        the Study figure) is drawn every frame: it has its own life.
        """
        windows = self.manager.get_window_stack().get_full_stack()
        if acted or self.training.worker is None or windows:
            return True
        since = now - self._drawn_at + FRAME_BUDGET_S / 2  # this frame or the next one
        return (since >= WATCH_IDLE_S or (moved and since >= WATCH_HOVER_S)
                or self.live.refresh_due(now))

    def frame_plan(self) -> tuple[float, float]:
        """(frame length, safety margin) to plan for: a DQN training flat out gets 30 fps."""
        training = self.training
        dqn = any(s.agent.kind == "dqn" for s in training.sessions())
        if dqn and training.playing and training.training_fast():
            return DQN_FRAME_S, DQN_SAFETY_S
        return FRAME_BUDGET_S, SAFETY_S

    # ==== for tests and benchmarks ================================================================
    @property
    def session(self) -> TrainingSession | None:
        """The session on screen, for the caller to use: training on the worker thread stops
        between two steps first (the next frame starts it again if it is still meant to run)."""
        self.training.quiesce()
        return self.training.session

    @property
    def playing(self) -> bool:
        return self.training.playing

    @property
    def demo(self) -> bool:
        return self.training.demo

    @property
    def valid(self) -> bool:
        return self.training.valid

    @property
    def world(self) -> World | None:
        """The Gymnasium env on screen (None: the editor's level)."""
        return self.worlds.world

    @property
    def state(self) -> PanelState:
        """What the panel shows."""
        return self.controls.state

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
