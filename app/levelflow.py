"""The level as a document: its file, unsaved edits, open / save / new / generate, recovery.

Everything here happens through the editor (``Editor.set_level``, ``new``, ``resize``), whose
change listeners tell the app to hand the new level to the session; this class only decides
*which* level, asks the user about unsaved edits first, and shows what went wrong (a level that
fails to load keeps the current one and shows the error with its line and column).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import numpy as np

from app.controls import Controls
from app.dialogs import Dialogs
from app.editor import Editor
from app.recovery import RecoveryStore
from app.statusbar import StatusBar
from app.userfolder import remember_folder, user_folder
from levels import generate_maze
from levels.level import Level, LevelError
from levels.levelfile import bundled_level_names, load_level, save_level
from levels.settings import name_for_save_as, resized_level

MIN_SIDE, MAX_SIDE = 2, 64


class LevelFlow:
    """Which level file is open, and the flows that replace or write it.

    Args:
        editor: holds the level and its undo history.
        dialogs, status, controls: where questions, notices and the level name show.
        recovery: the autosave store.
        path: the file the level came from (None for a bundled, new or generated level).
        label: the name shown in the drop-down and the window title.
        on_change: called when the label or the saved state changed (window title).
    """

    def __init__(self, editor: Editor, dialogs: Dialogs, status: StatusBar, controls: Controls,
                 recovery: RecoveryStore, path: Path | None, label: str,
                 on_change: Callable[[], None]) -> None:
        self.editor = editor
        self.dialogs = dialogs
        self.status = status
        self.controls = controls
        self.recovery = recovery
        self.level_path = path
        self.level_label = label
        self.on_change = on_change

    @property
    def source(self) -> str:
        """Where the level came from, as stored in the recovery file."""
        return str(self.level_path) if self.level_path else self.level_label

    def adopt(self, level: Level) -> None:
        """``level`` is about to be opened from elsewhere (an agent file): no file, its name."""
        self.level_path, self.level_label = None, level.name

    def ask_unsaved(self, then: Callable[[], None]) -> None:
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

        self.dialogs.ask_save_discard_cancel(f"'{self.level_label}'", answer)

    def request_close(self, quit_now: Callable[[], None]) -> None:
        """The window's close button: ask about unsaved edits, then ``quit_now()``."""
        if self.dialogs.modal_open():
            return

        def clean_quit() -> None:
            self.recovery.clear()
            quit_now()

        self.ask_unsaved(clean_quit)

    def choose(self, name: str) -> None:
        """A level picked in the drop-down."""
        if name == self.level_label and self.level_path is None:
            return
        self.ask_unsaved(lambda: self.open_level(name))

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
        if self.level_path is not None:
            remember_folder(self.level_path.parent)
        self.editor.set_level(level, reset_history=True, saved=True)
        self.recovery.clear()
        self.controls.set_level_choice(self.level_label)
        self.on_change()
        self.status.notify(f"Opened {self.level_label}", "info")
        return True

    def open_dialog(self) -> None:
        """Ctrl+O: pick a level file."""
        if self.dialogs.modal_open():
            return
        start = self.level_path.parent if self.level_path else user_folder()
        self.ask_unsaved(lambda: self.dialogs.open_level(start, self.open_level))

    def save(self, save_as: bool = False, then: Callable[[], None] | None = None) -> None:
        """Ctrl+S: write the level to its file (asks for a name the first time)."""
        level = self.editor.level
        problems = level.problems()
        if problems:
            self.dialogs.error("Cannot save this level",
                               f"The level cannot be saved yet: {problems[0].message}.")
            return
        if self.level_path is None or save_as:
            name = self.level_path.name if self.level_path else f"{self.level_label}.txt"
            folder = self.level_path.parent if self.level_path else user_folder()
            self.dialogs.save_level(folder / name, lambda p: self.save_to(p, then))
            return
        self.save_to(self.level_path, then)

    def save_to(self, path: Path, then: Callable[[], None] | None = None) -> bool:
        """Save atomically to ``path`` (".txt" added when missing); runs ``then`` on success."""
        path = Path(path)
        if path.suffix == "":
            path = path.with_suffix(".txt")
        level = self.editor.level
        name = name_for_save_as(level, self.level_path, path)
        if name != level.name:
            level = dataclasses.replace(level, name=name)
        try:
            save_level(level, path)
        except (LevelError, OSError) as exc:
            self.dialogs.error("Could not save the level", str(exc))
            return False
        if level is not self.editor.level:
            self.editor.edit(level, "name")
        self.editor.mark_saved()
        remember_folder(path.parent)
        self.level_path = path
        self.level_label = path.stem
        self.recovery.clear()
        self.controls.set_level_choice(self.level_label)
        self.on_change()
        self.status.notify(f"Saved {path}", "info")
        if then is not None:
            then()
        return True

    def _size_ok(self, size: tuple[int, int]) -> bool:
        rows, cols = size
        if not (MIN_SIDE <= rows <= MAX_SIDE and MIN_SIDE <= cols <= MAX_SIDE):
            self.status.notify(f"Size must be {MIN_SIDE} to {MAX_SIDE} rows and columns, got "
                               f"{rows} x {cols}", "error")
            return False
        return True

    def new(self, size: tuple[int, int]) -> None:
        """A blank level of ``size`` (undoable; asks about unsaved edits first)."""
        if not self._size_ok(size):
            return

        def make() -> None:
            self.level_path, self.level_label = None, "untitled"
            self.editor.new(*size)
            self.editor.mark_saved()  # nothing of the user's to lose until they draw
            self.controls.set_level_choice(self.level_label)
            self.on_change()

        self.ask_unsaved(make)

    def generate(self, size: tuple[int, int]) -> None:
        """A random solvable maze of ``size`` (asks about unsaved edits first)."""
        if not self._size_ok(size):
            return
        def make() -> None:
            seed = int(np.random.default_rng().integers(1 << 31))
            level = generate_maze(*size, seed=seed)
            self.level_path, self.level_label = None, f"maze {size[0]}x{size[1]}"
            self.editor.set_level(level, reset_history=False, saved=True)
            self.controls.set_level_choice(self.level_label)
            self.on_change()
            self.status.notify(f"Generated a {size[0]} x {size[1]} maze (seed {seed})", "info")

        self.ask_unsaved(make)

    def resize(self, size: tuple[int, int]) -> None:
        """Crop or pad the level to ``size`` (undoable)."""
        if not self._size_ok(size):
            return
        try:
            level, notes = resized_level(self.editor.level, *size)
        except LevelError as exc:
            self.status.notify(str(exc), "error")
            return
        before = self.status.notice_text
        self.editor.edit(level, "resize")
        if notes:
            said = self.status.notice_text if self.status.notice_text != before else "Resized"
            self.status.notify(f"{said}; " + "; ".join(notes), "info", 10)

    def offer_recovery(self) -> None:
        """At start-up: if a previous run left unsaved edits, ask whether to restore them."""
        found = self.recovery.load()
        if found is None:
            if self.recovery.last_error:
                self.status.notify(self.recovery.last_error, "warn")
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
                self.on_change()
                self.recovery.note_edit(found.level, source)
                self.status.notify("Recovered your unsaved edits", "info")
            else:
                self.recovery.clear()

        self.dialogs.ask("Recover unsaved edits?", found.describe() + " Restore them?",
                         (("restore", "Restore", "Bring the recovered level back"),
                          ("discard", "Discard", "Delete the recovered edits for good")), answer)
