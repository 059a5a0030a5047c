"""Autosave of level edits to a recovery file, offered again at the next start.

A crash, a killed terminal or a power cut must not cost the user the maze they were drawing. Each
edit marks the level dirty; a short while after the last edit the level is written (atomically, on
a worker thread so the frame loop never waits for the disk) to ``recovery.json`` in the state
directory. A clean exit (saved or explicitly discarded) deletes the file; finding it at start-up
means the previous session ended with unsaved edits.

The file is JSON rather than level text because the editor holds invalid levels (no start, two
starts) too, and ``Level.from_text`` refuses those: the recovery must bring back exactly what was on
screen, valid or not.
"""

from __future__ import annotations

import dataclasses
import json
import os
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from levels.atomic import atomic_write_text

ENV_VAR = "RL_SANDBOX_STATE_DIR"
FILE_NAME = "recovery.json"
FORMAT_VERSION = 1


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
        """The recovered level, or None when there is none or the file cannot be understood."""
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            if data.get("version") != FORMAT_VERSION:
                return None
            level = level_from_dict(data["level"])
            return Recovered(level, data.get("source"), float(data.get("saved_at", 0.0)))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, KeyError, TypeError) as exc:
            self.last_error = f"The recovery file {self.path} could not be read: {exc}"
            return None

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
