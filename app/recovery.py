"""Autosave of level edits to a recovery file, offered again at the next start.

A crash, a killed terminal or a power cut must not cost the user the maze they were drawing. Each
edit marks the level dirty; a short while after the last edit the level is written (atomically, on
a worker thread so the frame loop never waits for the disk) to ``recovery.json`` in the state
directory. A clean exit (saved or explicitly discarded) deletes the file; finding it at start-up
means the previous session ended with unsaved edits.

The file is JSON rather than level text because the editor holds invalid levels (no start, two
starts) too, and ``Level.from_text`` refuses those: the recovery must bring back exactly what was on
screen, valid or not.

A recovery file must never stop the app from starting. Reading it checks every field's type and
range (:func:`parse_recovery`); a file that fails is set aside, renamed and not deleted (the user
may still want what is in it), and ``last_error`` says so in one sentence for the status bar.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from levels.atomic import atomic_write_text
from levels.fileread import FileRefused, read_regular_file

ENV_VAR = "RL_SANDBOX_STATE_DIR"
FILE_NAME = "recovery.json"
FORMAT_VERSION = 1
MAX_FILE_BYTES = 4 * 2**20
"""A recovery file holds one level of at most 64x64 cells: anything larger is not ours."""
LATEST_SAVE = 1e11
"""``saved_at`` beyond this (the year 5138) is damage, not a date."""


class RecoveryDamaged(ValueError):
    """The recovery file is not what this app writes; the message says which part is wrong."""


def state_dir() -> Path:
    """Where the app keeps state between runs: ``$RL_SANDBOX_STATE_DIR``, else the XDG state dir."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "state"
    return base / "rl-sandbox"


@dataclass(frozen=True)
class Recovered:
    """A level found in the recovery file, with where it came from and when it was saved."""

    level: object  # levels.level.Level (kept loose so this module imports without levels' extras)
    source: str | None
    saved_at: float

    def describe(self) -> str:
        """One sentence for the "restore?" dialog."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.saved_at))
        name = getattr(self.level, "name", "untitled")
        origin = f" (from {self.source})" if self.source else ""
        return f"Unsaved edits of level '{name}'{origin} were recovered from {when}."


def level_to_dict(level: object) -> dict:
    """A JSON-ready dict of every field of a Level (grid, name, settings, rewards)."""
    data = dataclasses.asdict(level)  # type: ignore[call-overload]
    data["grid"] = list(data["grid"])
    return data


def parse_recovery(data: bytes) -> Recovered | None:
    """The level in a recovery file's bytes; None for a file of a newer format version.

    Raises:
        RecoveryDamaged: not UTF-8 JSON, or any field of the wrong type or out of range (NaN, a
            400-digit number, a list where a mapping belongs, nesting hundreds deep...).
    """
    try:
        data = json.loads(data.decode("utf-8"), parse_constant=_refuse_constant,
                          parse_int=_bounded_int)
    except RecoveryDamaged:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError):
        raise RecoveryDamaged("it is not JSON") from None
    if not isinstance(data, dict):
        raise RecoveryDamaged("it is not a JSON object")
    version = data.get("version")
    if isinstance(version, int) and not isinstance(version, bool) and version > FORMAT_VERSION:
        return None  # written by a newer RL Sandbox: leave it for that one
    if version != FORMAT_VERSION:
        raise RecoveryDamaged("it has no valid version")
    source, saved_at = data.get("source"), data.get("saved_at", 0.0)
    if source is not None and (not isinstance(source, str) or len(source) > 4096):
        raise RecoveryDamaged("its source is not a file name")
    if (isinstance(saved_at, bool) or not isinstance(saved_at, int | float)
            or not 0 <= saved_at <= LATEST_SAVE):
        raise RecoveryDamaged("its saved_at is not a time")
    level = data.get("level")
    if not isinstance(level, dict):
        raise RecoveryDamaged("it holds no level")
    _check_level_fields(level)
    try:
        return Recovered(level_from_dict(level), source, float(saved_at))
    except (ValueError, TypeError, KeyError, OverflowError) as exc:
        raise RecoveryDamaged(f"its level cannot be rebuilt ({type(exc).__name__})") from None


def _refuse_constant(name: str) -> float:
    raise RecoveryDamaged(f"it holds {name}")


def _bounded_int(text: str) -> int:
    if len(text.lstrip("-")) > 18:
        raise RecoveryDamaged("it holds a number of more than 18 digits")
    return int(text)


def _check_level_fields(level: dict[str, Any]) -> None:
    """Types and sizes of a saved level's fields; the level may still be invalid (no start...)."""
    from levels.level import MAX_SIDE, Rewards

    grid = level.get("grid")
    if (not isinstance(grid, list) or not 1 <= len(grid) <= MAX_SIDE
            or not all(isinstance(row, str) and len(row) <= MAX_SIDE for row in grid)):
        raise RecoveryDamaged("its grid is not a list of at most 64 rows of text")
    name = level.get("name", "untitled")
    if not isinstance(name, str) or len(name) > 200:
        raise RecoveryDamaged("its level name is not a short text")
    steps = level.get("max_steps", 100)
    if isinstance(steps, bool) or not isinstance(steps, int):
        raise RecoveryDamaged("its max_steps is not a whole number")
    if not isinstance(level.get("slippery", False), bool):
        raise RecoveryDamaged("its slippery is not true or false")
    rewards = level.get("rewards", {})
    names = {f.name for f in dataclasses.fields(Rewards)}
    if not isinstance(rewards, dict) or not all(
            key in names and _is_number(value) for key, value in rewards.items()):
        raise RecoveryDamaged("its rewards are not a mapping of reward names to numbers")
    cells = level.get("cell_rewards", [])
    if not isinstance(cells, list) or len(cells) > MAX_SIDE * MAX_SIDE or not all(
            isinstance(item, list) and len(item) == 2 and isinstance(item[0], list)
            and len(item[0]) == 2 and all(_is_whole(v) for v in item[0]) and _is_number(item[1])
            for item in cells):
        raise RecoveryDamaged("its cell rewards are not [[row, col], reward] pairs")


def _is_number(value: object) -> bool:
    return (isinstance(value, int | float) and not isinstance(value, bool)
            and math.isfinite(value))


def _is_whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def level_from_dict(data: dict) -> object:
    """Rebuild a Level without validating it (the editor may have held an invalid one)."""
    from levels.level import Level, Rewards

    fields = {f.name for f in dataclasses.fields(Level)}
    kwargs = {k: v for k, v in data.items() if k in fields}
    kwargs["grid"] = tuple(str(row) for row in kwargs["grid"])
    if isinstance(kwargs.get("rewards"), dict):
        reward_fields = {f.name for f in dataclasses.fields(Rewards)}
        kwargs["rewards"] = Rewards(
            **{k: float(v) for k, v in kwargs["rewards"].items() if k in reward_fields}
        )
    return Level(**kwargs)


class RecoveryStore:
    """Reads, writes and clears the recovery file; writes happen on one worker thread."""

    def __init__(self, directory: Path | None = None, delay_s: float = 1.0) -> None:
        self.directory = Path(directory) if directory is not None else state_dir()
        self.path = self.directory / FILE_NAME
        self.delay_s = delay_s
        self._pool: ThreadPoolExecutor | None = None
        self._pending: tuple[object, str | None] | None = None
        self._last_edit = 0.0
        self._future: Future | None = None
        self.last_error: str | None = None

    # -- reading -------------------------------------------------------------------------------
    def load(self) -> Recovered | None:
        """The recovered level, or None when there is none or it cannot be used.

        A damaged file is renamed (``recovery.damaged-<time>.json``, never deleted) and
        ``last_error`` says so, so the next start is not bothered by it again.
        """
        try:
            data = read_regular_file(self.path, MAX_FILE_BYTES)
        except FileNotFoundError:
            return None
        except (OSError, FileRefused) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else exc
            self.last_error = f"The recovery file {self.path} could not be read ({reason})"
            return None
        try:
            return parse_recovery(data)
        except RecoveryDamaged as exc:
            self.last_error = f"The recovery file was damaged ({exc}); {self._set_aside()}"
            return None

    def _set_aside(self) -> str:
        """Rename the damaged file out of the way; the end of a sentence saying where it went."""
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(100):
            aside = self.path.with_name(f"recovery.damaged-{stamp}{f'-{n}' if n else ''}.json")
            if aside.exists():
                continue
            try:
                os.replace(self.path, aside)
            except OSError as exc:
                return f"it could not be set aside ({exc.strerror or exc}) and was ignored"
            return f"it was set aside as {aside}"
        return "it was ignored"

    # -- writing -------------------------------------------------------------------------------
    def note_edit(self, level: object, source: str | None, now: float | None = None) -> None:
        """Remember the newest edited level; it is written once edits pause for ``delay_s``."""
        self._pending = (level, source)
        self._last_edit = time.monotonic() if now is None else now

    def tick(self, now: float | None = None) -> None:
        """Called every frame: start the write when the user has stopped editing for a moment."""
        if self._pending is None:
            return
        now = time.monotonic() if now is None else now
        if now - self._last_edit < self.delay_s:
            return
        if self._future is not None and not self._future.done():
            return  # the previous write is still running: try again next frame
        level, source = self._pending
        self._pending = None
        self._future = self._executor().submit(self._write, level, source)

    def flush(self) -> None:
        """Write any pending edit now and wait for it (tests, and just before the app exits)."""
        if self._pending is not None:
            self.tick(now=float("inf"))
        if self._future is not None:
            self._future.result()

    def clear(self) -> None:
        """Forget pending edits and delete the file: the work was saved or knowingly discarded."""
        self._pending = None
        if self._future is not None:
            self._future.result()
        try:
            self.path.unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            self.last_error = f"The recovery file {self.path} could not be removed: {exc}"

    def close(self) -> None:
        """Finish the last write and stop the worker thread."""
        if self._pool is not None:
            if self._future is not None:
                self._future.result()
            self._pool.shutdown(wait=True)
            self._pool = None

    def _executor(self) -> ThreadPoolExecutor:
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="recovery")
        return self._pool

    def _write(self, level: object, source: str | None) -> None:
        payload = {
            "version": FORMAT_VERSION,
            "source": source,
            "saved_at": time.time(),
            "level": level_to_dict(level),
        }
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            atomic_write_text(self.path, json.dumps(payload, indent=1))
            self.last_error = None
        except OSError as exc:
            self.last_error = f"Autosave to {self.path} failed: {exc}"
