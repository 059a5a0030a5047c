"""Edited levels, seen from the training side: every committed edit reaches the session here.

A mixin of :class:`app.app.App`. The editor reports each committed change (a stroke, undo, redo,
new, resize, load) as an :class:`app.editor.EditResult`; :meth:`LevelEdits._apply_level` then
hands the level to the session, keeping what was learnt where it still applies (only the changed
cells' Q-values are reset when the number of states is unchanged), or greys training out while the
level is invalid. The panel's size entries and the board's caption row follow the level's shape.
"""

from __future__ import annotations

from typing import Any

from agents.config import ConfigError
from app.agentfactory import kinds_for, label
from app.editor import EditResult
from app.statusbar import STEP_NOTE
from levels.gridmaze import GridMazeEnv
from levels.level import Level


class LevelEdits:
    """What an edit, a new level or a loaded one does to the session and the views."""

    session: Any
    state: Any

    def _on_edit(self, result: EditResult) -> None:
        """The editor committed a change (stroke, undo, redo, new, resize, load)."""
        fresh = result.action in ("load", "new")
        if not fresh:
            self._pause("Training paused while you edit")
        self._apply_level(result.new, fresh=fresh)
        old, new = result.old, result.new
        if result.action in ("load", "new", "resize") or (old.nrows, old.ncols) != (
                new.nrows, new.ncols):
            self.controls.show_size(new.nrows, new.ncols)
        if self.layered() != self.layered_layout:  # cheeses came or went: caption row or not
            self._layout()
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
        if self.world is not None:  # a level replaces the Gymnasium env: start afresh on it
            fresh = True
            if problems:
                self.leave_world()
                self.session = None
        if problems:
            self.valid = False
            self._pause()
            self.status.set_problem(f"Level not usable: {problems[0].message}. Training is off "
                                    "until it is fixed.")
            message = problems[0].message
            self.info.set_problem([f"{message[:1].upper()}{message[1:]}.",
                                   "Training is off until the level is valid: fix it with the "
                                   "paint tools (keys 1-9) or undo (Ctrl+Z)."])
            self.controls.set_training_enabled(False)
            return
        self.valid = True
        self.status.set_problem(None)
        self.info.set_problem(None)
        self.controls.set_training_enabled(True)
        notice, reset = "", False
        old_level = self.session_level
        self.session_level = level
        self.optimal.invalidate()
        self._anim = None
        if self.session is None or fresh or old_level is None:
            env = GridMazeEnv(level)
            old = self.session.env if self.session is not None else None
            self._pause()
            kinds = kinds_for(env)
            if self.state.agent_kind not in kinds:
                notice = (f"{label(self.state.agent_kind)} cannot learn a level of "
                          f"{level.n_states:,} states: switched to Q-learning")
                self.state.agent_kind = "q-learning"
            try:
                session = self._new_session(env)
            except (ConfigError, ValueError) as exc:
                notice = f"{exc}: switched to Q-learning"
                self.state.agent_kind = "q-learning"
                session = self._new_session(env)
            self._install_session(session)
            self.info.set_arithmetic([], STEP_NOTE)
            if self.world is not None:
                self.leave_world()
            else:
                if old is not None:
                    old.close()
                self.state.agent_options = kinds
                self.rebuild_panel()
                self.reopen_compare()
        else:
            change = self.session.set_level(level)
            change.old_env.close()
            if self.compare is not None:
                self.compare.set_level(level)
            if not change.kept:
                self._chart_episode = -1
            notice, reset = change.reason, not change.kept
        warnings = level.warnings()
        if warnings:
            notice = f"{notice}. Note: {warnings[0]}" if notice else f"Note: {warnings[0]}"
        if notice:
            self.status.notify(notice, "warn" if warnings or reset else "info", 8)
