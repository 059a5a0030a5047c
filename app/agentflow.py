"""Agents as files, and pictures: save / load agents, F12 screenshots, GIFs of greedy episodes.

:class:`AgentFlow` owns the recording in progress and the GIF being written.

* **Save agent** writes the files the CLI writes (``agents.storage.save_agent``: ``.npz`` for a
  Q-table, ``.pt`` for a DQN) with the world's spec in the metadata, plus the level's text when
  the level exists only in the editor, so the file can always be reopened with its world.
* **Load agent** reads any such file, ``python main.py train --out`` ones included. If it names
  another world than the one on screen, that world opens first; then the agent must fit it
  (``check_fits``) and its session replaces the current one. Every refusal is the
  ``AgentFileError``'s one sentence. Press G to watch the loaded agent.
* **Record GIF** films one greedy episode on a second env opened for the purpose
  (:class:`app.recorder.GreedyRecording`), a slice per frame while training holds still, then
  writes the GIF on a worker thread. **F12** saves the window as a PNG. The status bar shows
  each file's path.

Files go to ``$RL_SANDBOX_CAPTURE_DIR`` (default: ``captures`` in the working directory).
"""

from __future__ import annotations

import datetime
import os
import re
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pygame

from agents import Agent
from agents.storage import AgentFileError, check_fits, load_agent, save_agent, suffix_for_kind
from app.agentfactory import label
from app.board import Overlays, blank_tiles
from app.boardfilm import BoardFilm
from app.controls import Controls
from app.dialogs import Dialogs
from app.editor import Editor
from app.envfactory import World, WorldError, open_world
from app.levelflow import LevelFlow
from app.recorder import GreedyRecording, RecordingError, save_screenshot, write_gif
from app.statusbar import StatusBar
from app.training import TrainingControl
from app.userfolder import user_folder
from app.worldflow import WorldFlow, is_level_spec
from levels.gridmaze import GridMazeEnv
from levels.level import Level, LevelError
from levels.levelfile import bundled_level_names, load_level

AGENT_SUFFIXES = {".npz", ".pt"}
# A Stable-Baselines3 DQN .zip is read, never written.
LOADABLE_SUFFIXES = AGENT_SUFFIXES | {".zip"}
CAPTURE_DIR_ENV = "RL_SANDBOX_CAPTURE_DIR"
GIF_MAX_FRAMES = 500
GIF_FPS = {"frame": 30, "taxi": 4}  # frames per second of the GIF, by view kind (else 5)


def capture_dir() -> Path:
    """Where screenshots and GIFs go."""
    return Path(os.environ.get(CAPTURE_DIR_ENV) or Path.cwd() / "captures")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", Path(text).stem if text.endswith(".txt") else text)\
        .strip("-").lower() or "world"


class AgentFlow:
    """Save / load agent files, screenshots and GIF recordings.

    Args:
        training: the agent on screen (saved, replaced, filmed).
        worlds: the world it learns (named in files; a loaded file may open another).
        files: the level as a file (a loaded agent's level opens through it).
        screen: the window surface, for screenshots.
        on_loaded: a loaded agent replaced the one on screen (the panel is rebuilt).
        on_caption: the window title should change.
    """

    def __init__(self, training: TrainingControl, worlds: WorldFlow, files: LevelFlow, *,
                 editor: Editor, dialogs: Dialogs, status: StatusBar, controls: Controls,
                 screen: Callable[[], pygame.Surface], on_loaded: Callable[[], None],
                 on_caption: Callable[[], None]) -> None:
        self.training = training
        self.worlds = worlds
        self.files = files
        self.editor = editor
        self.dialogs = dialogs
        self.status = status
        self.controls = controls
        self.screen = screen
        self.on_loaded = on_loaded
        self.on_caption = on_caption
        self.recording: GreedyRecording | None = None
        self.gif_job: threading.Thread | None = None
        self.last_gif: Path | None = None
        self._recording_close: Callable[[], None] = lambda: None
        self._gif_result: dict[str, Any] = {}
        self._gif_summary = ""

    def busy(self) -> bool:
        """A recording or a GIF write is under way."""
        return self.recording is not None or self.gif_job is not None

    # ==== agent files =============================================================================
    def save_agent_dialog(self) -> None:
        """"Save agent": pick a file name (the suffix follows the agent kind)."""
        session = self.training.session
        if session is None or self.dialogs.modal_open():
            return
        kind = session.agent.kind
        suffix = suffix_for_kind(kind) or ".npz"
        name = f"{self._world_slug()}-{kind}{suffix}"
        self.dialogs.pick_file("Save agent as", user_folder() / name, AGENT_SUFFIXES,
                               self.save_agent_to, existing_only=False)

    def _world_slug(self) -> str:
        """The world in a file name: a level's name (also of a GridMaze opened by id), else the
        env id with its variant ("frozenlake-v1-slippery")."""
        world = self.worlds.world
        return _slug(world.title if world is not None
                     else self.worlds.world_spec().split(":")[0])

    def agent_meta(self) -> dict[str, Any]:
        """What an agent file says about where and how the agent learnt."""
        session = self.training.session
        assert session is not None
        world = self.worlds.world
        meta: dict[str, Any] = {"env": self.worlds.world_spec(), "seed": self.training.seed,
                                "episodes": session.training_episodes,
                                "steps": session.training_steps,
                                "saved_by": "app"}
        if world is not None:
            meta["env_id"] = world.resolved.env_id
        else:
            meta["env_id"] = "GridMaze-v0"
            level = self.editor.level
            label_ = self.files.level_label
            if self.editor.dirty or (self.files.level_path is None
                                     and label_ not in bundled_level_names()):
                meta["level"] = level.to_text()  # the level lives only in the editor
        hyper = session.hyperparameters()
        meta["hyperparameters"] = {k: v for k, v in hyper.items()
                                   if isinstance(v, (int, float, str, bool))}
        return meta

    def save_agent_to(self, path: Path | str) -> bool:
        """Write the agent to ``path`` (its suffix added when missing); True when saved."""
        path = Path(path)
        session = self.training.session
        assert session is not None
        kind = session.agent.kind
        if path.suffix == "":
            path = path.with_suffix(suffix_for_kind(kind) or ".npz")
        try:
            save_agent(path, session.agent, self.agent_meta())
        except AgentFileError as exc:
            self._agent_file_error("Could not save the agent", exc)
            return False
        self.status.notify(f"Saved the {label(kind)} agent to {path}", "info", 10)
        return True

    def load_agent_dialog(self) -> None:
        """"Load agent": pick an agent file."""
        if self.dialogs.modal_open():
            return
        self.dialogs.pick_file("Open agent", user_folder(), LOADABLE_SUFFIXES,
                               self.load_agent_from,
                               existing_only=True)

    def load_agent_from(self, path: Path | str) -> bool:
        """Load an agent file, open its world if it names another, and make it the agent.

        Returns True when the agent is on screen (or will be, after an unsaved-edits question).
        """
        path = Path(path)
        self.training.pause()
        try:
            agent, meta = load_agent(path, device=self.training.device or "auto")
            spec = meta.get("env")
            target = self._world_for(path, agent, meta, spec)
        except AgentFileError as exc:
            self._agent_file_error("Could not load the agent", exc)
            return False
        if target is None:  # the world on screen
            return self._install_loaded(path, agent, meta, switched=False)
        if isinstance(target, Level):
            def open_level() -> None:
                if spec in bundled_level_names() or (spec and Path(spec).is_file()
                                                     and "level" not in meta):
                    self.files.open_level(spec)
                else:
                    self.files.adopt(target)
                    self.editor.set_level(target, reset_history=True, saved=False)
                    self.controls.set_level_choice(target.name)
                    self.on_caption()
                self._install_loaded(path, agent, meta, switched=True)
            self.files.ask_unsaved(open_level)
            return True
        self.worlds.enter_world(target)
        return self._install_loaded(path, agent, meta, switched=True)

    def _world_for(self, path: Path, agent: Agent, meta: dict,
                   spec: str | None) -> Level | World | None:
        """None (the world on screen), a Level to open in the editor, or an opened World.

        Raises:
            AgentFileError: the file's world cannot be opened or the agent does not fit it.
        """
        session = self.training.session

        def here() -> None:
            if session is None:
                raise AgentFileError(f"{path.name}: open a valid level or env first")
            check_fits(path, agent, meta, session.env)

        if not spec and "level" not in meta:
            return here()
        if "level" in meta or is_level_spec(spec):
            try:
                level = Level.from_text(meta["level"]) if "level" in meta else load_level(spec)
            except LevelError as exc:
                raise AgentFileError(f"{path.name} was trained on a level that cannot be opened "
                                     f"({exc})") from None
            if self.worlds.world is None and level == self.training.session_level:
                return here()
            env = GridMazeEnv(level)
            check_fits(path, agent, meta, env)
            return level
        if spec == self.worlds.world_spec():
            return here()
        try:
            world = open_world(spec)
        except WorldError as exc:
            raise AgentFileError(f"{path.name} was trained on {spec}, which cannot be opened "
                                 f"here: {exc}") from None
        try:
            check_fits(path, agent, meta, world.env)
        except BaseException:
            world.close()
            raise
        return world

    def _install_loaded(self, path: Path, agent: Agent, meta: dict, switched: bool) -> bool:
        """Make the loaded agent the session's; ``switched``: its world replaced the one that
        was on screen (both notes say so: a file names the world it was trained on)."""
        if self.training.session is None:
            return False
        where = meta.get("env") or "this world"
        opened = " (its world, now open)" if switched else ""
        self.training.install_loaded(agent, note=f"loaded from {path.name}, trained on "
                                                 f"{where}{opened}")
        self.on_loaded()
        trained = meta.get("episodes")
        self.status.notify(f"Loaded {path.name}: {label(agent.kind)}"
                           + (f", {trained:,} episodes" if isinstance(trained, int) else "")
                           + f" on {where}{' (now open)' if switched else ''}. G watches it, "
                           "Space trains on", "info", 12)
        return True

    def _agent_file_error(self, title: str, exc: Exception) -> None:
        message = str(exc)
        self.status.notify(message, "error", 12)
        self.dialogs.error(title, message)

    # ==== pictures ================================================================================
    def screenshot(self) -> Path | None:
        """F12: the window as a PNG in the capture folder; the status bar shows the path."""
        try:
            path = save_screenshot(self.screen(), capture_dir())
        except RecordingError as exc:
            self.status.notify(str(exc), "error", 10)
            return None
        self.status.notify(f"Screenshot saved: {path}", "info", 10)
        return path

    def record_gif(self) -> None:
        """"Record GIF": film one greedy episode of the agent on screen."""
        training = self.training
        if training.session is None or not training.valid or self.recording is not None:
            return
        if self.gif_job is not None and self.gif_job.is_alive():
            self.status.notify("Still writing the last GIF\u2026", "info")
            return
        if training.demo:
            training.end_demo(None)
        try:
            if self.worlds.world is not None:
                world = open_world(self.worlds.world.spec)
                env, close = world.env, world.close
            else:
                env = GridMazeEnv(training.session_level, render_mode="rgb_array")
                close = env.close
        except (ValueError, LevelError) as exc:
            self.status.notify(f"Cannot record: {exc}", "error", 10)
            return
        self._recording_close = close
        self.recording = GreedyRecording(env, training.session.agent, seed=training.seed,
                                         max_frames=GIF_MAX_FRAMES, render=self._board_film())
        self.status.notify("Recording a greedy episode\u2026", "info", 30)

    def _board_film(self) -> BoardFilm | None:
        """Frames drawn as the board shows the world (None: a world without a board)."""
        session, worlds = self.training.session, self.worlds
        if session is None or session.grid is None or worlds.view_kind == "frame":
            return None
        level = self.editor.level if worlds.world is None else None
        tiles = worlds.world_tiles() or blank_tiles(session.grid.nrows, session.grid.ncols)
        cheeses = level.small_cheeses if level is not None else ()
        overlays = Overlays(**{k: bool(v) for k, v in self.controls.state.overlays.items()})
        return BoardFilm(
            session.grid, tiles, session.snapshot().q, replace(overlays, optimal=False),
            quiet_tiles=worlds.quiet_tiles(),
            rewards=level.rewards_array() if level is not None else None,
            reward_cells=level.cell_rewards if level is not None else (),
            eaten=lambda layer: [c for i, c in enumerate(cheeses) if layer >> i & 1])

    def tick_recording(self, budget_s: float) -> None:
        """Record for ``budget_s`` of this frame; when the episode is over, write the GIF."""
        recording = self.recording
        if recording is None:
            self._poll_gif()
            return
        try:
            done = recording.advance(budget_s)
        except Exception as exc:  # the env or agent failed mid-episode: say so, keep the app
            self.recording = None
            self._recording_close()
            self.status.notify(f"Recording failed: {exc}", "error", 10)
            return
        if not done:
            return
        self.recording = None
        self._recording_close()
        session = self.training.session
        kind = session.agent.kind if session is not None else "agent"
        name = f"{self._world_slug()}-{kind}"
        folder = capture_dir()
        stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = folder / f"rl-sandbox-{name}-{stamp}.gif"
        fps = GIF_FPS.get(self.worlds.view_kind, 5)
        frames = recording.frames
        summary = (f"return {recording.episode_return:g} in {recording.length} steps"
                   + ("" if recording.ended else f" (stopped at {GIF_MAX_FRAMES} frames)"))
        self._gif_result = {}
        result = self._gif_result

        def write() -> None:
            try:
                folder.mkdir(parents=True, exist_ok=True)
                result["path"] = write_gif(frames, path, fps=fps)
            except (RecordingError, OSError, ValueError) as exc:
                result["error"] = str(exc)

        self._gif_summary = summary
        self.gif_job = threading.Thread(target=write, name="gif-writer", daemon=True)
        self.gif_job.start()
        self.status.notify(f"Greedy episode recorded ({summary}); writing the GIF\u2026",
                           "info", 30)

    def _poll_gif(self) -> None:
        job = self.gif_job
        if job is None or job.is_alive():
            return
        self.gif_job = None
        result = self._gif_result
        if "path" in result:
            self.last_gif = result["path"]
            self.status.notify(f"GIF saved: {result['path']} ({self._gif_summary})", "info", 12)
        else:
            self.status.notify(f"Could not write the GIF: {result.get('error')}", "error", 12)

    def close(self) -> None:
        """Stop a recording and wait for a GIF being written (the app is closing)."""
        if self.recording is not None:
            self._recording_close()
            self.recording = None
        if self.gif_job is not None:
            self.gif_job.join(timeout=10)
