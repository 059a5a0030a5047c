"""Edited levels, seen from the training side: every committed edit reaches the session here.

The editor reports each committed change (a stroke, undo, redo, new, resize, load) as an
:class:`app.editor.EditResult`; :meth:`LevelEdits.apply_level` then hands the level to the
session, keeping what was learnt where it still applies (only the changed cells' Q-values are
reset when the number of states is unchanged), or greys training out while the level is invalid.
:class:`LevelEdits` owns the cells flagged as problems. The panel's size entries and the board's
caption row follow the level's shape.
"""

from __future__ import annotations

from collections.abc import Callable

from agents.config import ConfigError
from app.agentfactory import kinds_for, label
from app.board import Board
from app.controls import Controls
from app.editor import Editor, EditResult
from app.levelflow import LevelFlow
from app.optimal import OptimalValues
from app.recovery import RecoveryStore
from app.statusbar import STEP_NOTE, InfoStrip, StatusBar
from app.training import TrainingControl
from app.worldflow import WorldFlow
from levels.gridmaze import GridMazeEnv
from levels.level import Level, LevelError


class LevelEdits:
    """What an edit, a new level or a loaded one does to the session and the views.

    Args:
        training: the session the level goes to.
        worlds: a level replaces a Gymnasium env on screen.
        on_change: the agents on offer changed (the app rebuilds the panel, reopens compare).
        on_reshape: the level's shape may have changed (the layout follows when it must).
        on_caption: the window title should change.
    """

    def __init__(self, training: TrainingControl, worlds: WorldFlow, files: LevelFlow, *,
                 editor: Editor, board: Board, controls: Controls, status: StatusBar,
                 info: InfoStrip, optimal: OptimalValues, recovery: RecoveryStore,
                 on_change: Callable[[], None],
                 on_reshape: Callable[[], None], on_caption: Callable[[], None]) -> None:
        self.training = training
        self.worlds = worlds
        self.files = files
        self.editor = editor
        self.board = board
        self.controls = controls
        self.status = status
        self.info = info
        self.optimal = optimal
        self.recovery = recovery
        self.on_change = on_change
        self.on_reshape = on_reshape
        self.on_caption = on_caption
        self.problem_cells: list[tuple[int, int]] = []

    def on_edit(self, result: EditResult) -> None:
        """The editor committed a change (stroke, undo, redo, new, resize, load)."""
        fresh = result.action in ("load", "new")
        if not fresh:
            self.training.pause("Training paused while you edit")
        self.apply_level(result.new, fresh=fresh)
        old, new = result.old, result.new
        if result.action in ("load", "new", "resize") or (old.nrows, old.ncols) != (
                new.nrows, new.ncols):
            self.controls.show_size(new.nrows, new.ncols)
        self.on_reshape()
        self.on_caption()
        if self.editor.dirty:
            self.recovery.note_edit(result.new, self.files.source)
        else:
            self.recovery.clear()

    def apply_level(self, level: Level, fresh: bool) -> None:
        """Hand a level to the session: keep learning when only some cells changed."""
        problems = level.problems()
        self.problem_cells = [p.cell for p in problems if p.cell is not None]
        self.board.set_grid(level.nrows, level.ncols)
        training = self.training
        training.changed()
        if self.worlds.world is not None:  # a level replaces the Gymnasium env: start afresh
            fresh = True
            if problems:
                self.worlds.leave_world()
                training.drop_session()
        if problems:
            self._refuse(problems[0])
            return
        self.status.set_problem(None)
        self.info.set_problem(None)
        self.controls.set_training_enabled(True)
        old_level = training.session_level
        training.learn_level(level)
        self.optimal.invalidate()
        reset = False
        if training.session is None or fresh or old_level is None:
            notice = self._fresh_session(level)
        else:
            change = training.set_level(level)
            notice, reset = change.reason, not change.kept
        warnings = level.warnings()
        if warnings:
            notice = f"{notice}. Note: {warnings[0]}" if notice else f"Note: {warnings[0]}"
        if notice:
            self.status.notify(notice, "warn" if warnings or reset else "info", 8)

    def _refuse(self, problem: LevelError) -> None:
        """The level cannot be trained on: say why, grey training out."""
        self.training.level_unusable()
        self.status.set_problem(f"Level not usable: {problem.message}. Training is off "
                                "until it is fixed.")
        message = problem.message
        self.info.set_problem([f"{message[:1].upper()}{message[1:]}.",
                               "Training is off until the level is valid: fix it with the "
                               "paint tools (keys 1-9) or undo (Ctrl+Z)."])
        self.controls.set_training_enabled(False)

    def _fresh_session(self, level: Level) -> str:
        """A new agent on a new level (loaded, new, or replacing an env); returns a notice."""
        training = self.training
        env = GridMazeEnv(level)
        old = training.session.env if training.session is not None else None
        training.pause()
        kinds = kinds_for(env)
        notice = ""
        kind = self.controls.state.agent_kind
        if kind not in kinds:
            notice = (f"{label(kind)} cannot learn a level of "
                      f"{level.n_states:,} states: switched to Q-learning")
            kind = "q-learning"
        try:
            session = training.new_session(env, kind)
        except (ConfigError, ValueError) as exc:
            notice = f"{exc}: switched to Q-learning"
            session = training.new_session(env, "q-learning")
        training.install_session(session)
        self.info.set_arithmetic([], STEP_NOTE)
        if self.worlds.world is not None:
            self.worlds.leave_world()
        else:
            if old is not None:
                old.close()
            self.controls.show_world(kinds, editable=True, board=True)
            self.on_change()
        return notice
