"""SessionWorker: a TrainingSession stepped on its own thread, watched through snapshots.

Why a thread: when training runs inside a window's frame loop it gets what the drawing leaves
over, and that share collapses when the machine is busy.  Here the session steps on a worker
thread (the turbo kernel releases the GIL, torch releases it inside its ops) and whoever watches
reads snapshots the worker publishes.

The two sides share no mutable state:

* the watcher sends **commands** (small frozen dataclasses, applied in order between two steps,
  never inside one): play at a pace, pause, run exactly N steps, or call a function on the
  session (hyperparameters, edits, reset, a manual step, ...), whose result comes back in a
  ``concurrent.futures.Future``;
* the worker publishes a **snapshot** when asked (``request_snapshot``, once per frame): a new
  immutable :class:`WorkerSnapshot` built on the worker thread and published by swapping one
  reference, so nobody holds a lock while the other side draws or steps;
* what each batch of steps did (finished episodes, recorded transitions, errors) waits in a
  bounded outbox the watcher drains (``take_reports``).

A run's result depends on the seed and on where between steps each command landed, never on
how often snapshots were taken or how the steps were cut into chunks.  Nothing here knows of
pygame; the CLI keeps stepping its session directly.
"""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from agents.records import AdvanceReport, Snapshot
from agents.session import TrainingSession

CHUNK_SECONDS = 0.005  # one advance() call at full speed, one compiled call: what commands wait
SWITCH_INTERVAL = 0.0005  # the interpreter's thread switch interval while a worker runs
BACKLOG_SECONDS = 0.1  # a paced run catches up at most this much lost time
OUTBOX = 512  # reports kept for the watcher; the oldest go first when it does not drain


@dataclass(frozen=True)
class Pace:
    """How the worker steps while playing.

    Attributes:
        steps_per_second: target speed; None runs as fast as the session goes.
        record: return every transition (the Python path), for a view that shows each update.
        max_episodes: pause by itself after this many finished episodes (a greedy demo: 1).
    """

    steps_per_second: float | None = None
    record: bool = False
    max_episodes: int | None = None


@dataclass(frozen=True)
class Play:
    """Step continuously at ``pace`` until paused."""

    pace: Pace = field(default_factory=Pace)


@dataclass(frozen=True)
class Pause:
    """Stop stepping after the current step (a pending ``Steps`` still finishes)."""


@dataclass(frozen=True)
class Steps:
    """Run exactly ``n`` steps (in chunks, commands and snapshots served between them)."""

    n: int
    record: bool = True
    result: Future = field(default_factory=Future, compare=False)


@dataclass(frozen=True)
class Call:
    """Run ``fn(session)`` between two steps; its value (or exception) lands in ``result``."""

    fn: Callable[[TrainingSession], Any]
    result: Future = field(default_factory=Future, compare=False)


@dataclass(frozen=True)
class _Publish:
    """Build and publish a snapshot now (queued by ``request_snapshot``)."""

    include_q: bool = True


@dataclass(frozen=True)
class _Stop:
    """End the worker's loop."""


@dataclass(frozen=True)
class WorkerSnapshot:
    """What a watcher draws, copied on the worker thread.

    Attributes:
        session: the session's own :class:`Snapshot` (Q-table copy, counters, history arrays).
        state_q: Q-values of the current state, one per action.
        view: what the worker's ``view`` function returned (a rendered frame, chart data...).
        playing: whether the worker is stepping continuously.
        steps_per_second: measured over the last play interval (0 while paused).
        serial: increases with every published snapshot.
    """

    session: Snapshot
    state_q: np.ndarray
    view: Any
    playing: bool
    steps_per_second: float
    serial: int


class _SwitchInterval:
    """Shortens the interpreter's thread switch interval while any worker runs.

    The turbo kernel releases the GIL, but between two kernel calls the worker needs it back, and
    a thread that wants the GIL waits up to the switch interval (5 ms by default) for a busy
    thread, such as one drawing frames, to let go: with ~1 ms kernel calls the worker then spent
    most of its time waiting.  Half a millisecond keeps that wait short; the cost is a few more
    thread switches.  The previous interval comes back when the last worker stops.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._users = 0
        self._saved = sys.getswitchinterval()

    def acquire(self) -> None:
        with self._lock:
            if self._users == 0:
                self._saved = sys.getswitchinterval()
                sys.setswitchinterval(min(self._saved, SWITCH_INTERVAL))
            self._users += 1

    def release(self) -> None:
        with self._lock:
            self._users -= 1
            if self._users == 0:
                sys.setswitchinterval(self._saved)


_switch_interval = _SwitchInterval()


class SessionWorker:
    """Steps ``session`` on a daemon thread; every other thread talks to it by commands.

    Args:
        session: the session to step; do not touch it from another thread while the worker runs
            (send a ``call`` instead).
        view: called on the worker thread with the session when a snapshot is built; whatever it
            returns is published as ``WorkerSnapshot.view`` (for example a rendered env frame).
        chunk_seconds: time budget of one ``advance`` call at full speed, and how long one
            compiled call within it aims to run: each return from the kernel costs the worker the
            GIL, which a drawing thread may hold for a while, so it should be several times the
            interpreter's switch interval; commands wait up to about this long.
    """

    def __init__(self, session: TrainingSession,
                 view: Callable[[TrainingSession], Any] | None = None,
                 chunk_seconds: float = CHUNK_SECONDS) -> None:
        self.session = session
        self._view = view
        self._chunk = float(chunk_seconds)
        self._commands: queue.SimpleQueue = queue.SimpleQueue()
        self._outbox: deque[AdvanceReport] = deque(maxlen=OUTBOX)
        self._latest: WorkerSnapshot | None = None
        self._publish_queued = threading.Event()
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None
        # worker-thread state
        self._pace: Pace | None = None
        self._steps: deque[tuple[Steps, AdvanceReport]] = deque()  # with what ran so far
        self._credit = 0.0
        self._last_tick = 0.0
        self._episodes_in_play = 0
        self._rate = 0.0
        self._serial = 0

    # ---- lifecycle ------------------------------------------------------------------------------
    def start(self) -> SessionWorker:
        """Start the thread (once); returns self."""
        if self._thread is not None:
            raise RuntimeError("this worker was started already")
        self._publish()  # on the caller's thread, which still owns the session: never None
        _switch_interval.acquire()
        self._thread = threading.Thread(target=self._run, name="session-worker", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """Stop after the current chunk and join the thread; pending commands are cancelled.

        Raises:
            RuntimeError: the thread did not end within ``timeout`` seconds.
        """
        thread = self._thread
        if thread is None or not thread.is_alive():
            return
        self._commands.put(_Stop())
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"the training worker did not stop within {timeout:g} s")

    @property
    def alive(self) -> bool:
        """True while the thread runs."""
        return self._thread is not None and self._thread.is_alive()

    @property
    def failure(self) -> BaseException | None:
        """The exception that ended the worker's loop, if one did (it also ends up in a report)."""
        return self._failure

    # ---- commands -------------------------------------------------------------------------------
    def play(self, pace: Pace | None = None) -> None:
        """Step continuously at ``pace`` (default: as fast as possible, not recorded)."""
        self._commands.put(Play(pace or Pace()))

    def pause(self) -> None:
        """Stop stepping continuously."""
        self._commands.put(Pause())

    def step(self, n: int = 1, record: bool = True) -> Future:
        """Run exactly ``n`` steps; the future gets their merged :class:`AdvanceReport`."""
        command = Steps(int(n), record)
        self._commands.put(command)
        return command.result

    def call(self, fn: Callable[[TrainingSession], Any]) -> Future:
        """Run ``fn(session)`` on the worker between two steps; the future gets its value."""
        command = Call(fn)
        self._commands.put(command)
        return command.result

    def request_snapshot(self, include_q: bool = True) -> None:
        """Ask for a fresh snapshot, built after the current chunk (at most one is queued).

        ``include_q=False`` leaves the Q-values out (``TrainingSession.snapshot``): a DQN then
        skips its forward pass over every state.
        """
        if not self._publish_queued.is_set():
            self._publish_queued.set()
            self._commands.put(_Publish(include_q))

    @property
    def latest(self) -> WorkerSnapshot | None:
        """The newest published snapshot (``start`` publishes the first; None before it)."""
        return self._latest

    def take_reports(self) -> list[AdvanceReport]:
        """Reports of the steps run since the last call, oldest first."""
        out = []
        while True:
            try:
                out.append(self._outbox.popleft())
            except IndexError:
                return out

    # ---- the worker thread ----------------------------------------------------------------------
    def _run(self) -> None:
        try:
            while self._serve(self._wait_time()):
                if self._steps:
                    self._run_steps(*self._steps[0])
                elif self._pace is not None:
                    self._run_paced(self._pace)
        except BaseException as exc:  # noqa: BLE001 - reported to the watcher, not swallowed
            self._failure = exc
            self._outbox.append(AdvanceReport(error=f"the training worker stopped: {exc!r}"))
        finally:
            self._cancel_pending()
            if self._failure is None:
                self._publish()  # the final state, for a watcher that reads it after stop()
            _switch_interval.release()

    def _wait_time(self) -> float | None:
        """How long the loop may block on the command queue: forever when idle, 0 when busy,
        until the next step is due when paced."""
        if self._steps or (self._pace is not None and self.session.error is None
                           and self._pace.steps_per_second is None):
            return 0.0
        if self._pace is None or self.session.error is not None:
            return None
        self._tick()
        if self._credit >= 1.0:
            return 0.0
        return (1.0 - self._credit) / self._pace.steps_per_second

    def _serve(self, wait: float | None) -> bool:
        """Apply queued commands (blocking up to ``wait`` for the first); False on stop."""
        try:
            command = self._commands.get(timeout=wait) if wait != 0.0 else (
                self._commands.get_nowait())
        except queue.Empty:
            return True
        while True:
            if isinstance(command, _Stop):
                return False
            self._apply(command)
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return True

    def _apply(self, command: Any) -> None:
        if isinstance(command, _Publish):
            self._publish_queued.clear()
            self._publish(command.include_q)
        elif isinstance(command, Play):
            self._pace = command.pace
            self._credit, self._last_tick = 0.0, time.perf_counter()
            self._episodes_in_play = 0
        elif isinstance(command, Pause):
            self._pace = None
            self._rate = 0.0
        elif isinstance(command, Steps):
            if command.result.set_running_or_notify_cancel():
                self._steps.append((command, AdvanceReport()))
        elif isinstance(command, Call):
            if command.result.set_running_or_notify_cancel():
                try:
                    command.result.set_result(command.fn(self.session))
                except Exception as exc:  # noqa: BLE001 - handed to the caller's future
                    command.result.set_exception(exc)
        else:
            raise TypeError(f"unknown worker command {command!r}")

    def _tick(self) -> None:
        """Turn the time since the last tick into step credit (paced play)."""
        now = time.perf_counter()
        speed = self._pace.steps_per_second if self._pace is not None else None
        if speed is not None:
            self._credit = min(self._credit + speed * (now - self._last_tick),
                               max(1.0, speed * BACKLOG_SECONDS))
        self._last_tick = now

    def _run_steps(self, command: Steps, merged: AdvanceReport) -> None:
        left = command.n - merged.steps
        report = self.session.advance(left, time_budget_s=self._chunk, record=command.record,
                                      chunk_s=self._chunk)
        self._merge(merged, report)
        self._outbox.append(report)
        if merged.steps >= command.n or report.steps == 0 or self.session.error is not None:
            self._steps.popleft()
            command.result.set_result(merged)

    def _run_paced(self, pace: Pace) -> None:
        if self.session.error is not None:
            self._pace = None  # a diverged session waits for a reset
            return
        episodes_left = (None if pace.max_episodes is None
                         else pace.max_episodes - self._episodes_in_play)
        if pace.steps_per_second is None:
            n = 1 << 40
        else:
            self._tick()
            n = int(self._credit)
            if n <= 0:
                return
        t0 = time.perf_counter()
        report = self.session.advance(n, time_budget_s=self._chunk, record=pace.record,
                                      max_episodes=episodes_left, chunk_s=self._chunk)
        self._credit -= report.steps
        self._episodes_in_play += len(report.episodes)
        seconds = max(time.perf_counter() - t0, 1e-9)
        self._rate = report.steps / seconds if pace.steps_per_second is None else (
            pace.steps_per_second)
        if report.steps:
            self._outbox.append(report)
        if (episodes_left is not None and self._episodes_in_play >= pace.max_episodes) or (
                self.session.error is not None):
            self._pace = None
            self._rate = 0.0

    @staticmethod
    def _merge(into: AdvanceReport, report: AdvanceReport) -> None:
        into.steps += report.steps
        into.transitions.extend(report.transitions)
        for episode in report.episodes:
            into.episodes.append(episode)
        into.seconds += report.seconds
        into.error = report.error
        into.turbo = into.turbo or report.turbo

    def _publish(self, include_q: bool = True) -> None:
        session = self.session
        self._serial += 1
        self._latest = WorkerSnapshot(
            session=session.snapshot(include_q=include_q), state_q=session.state_q(),
            view=self._view(session) if self._view is not None else None,
            playing=self._pace is not None, steps_per_second=self._rate, serial=self._serial,
        )

    def _cancel_pending(self) -> None:
        """Nothing runs after the loop ends: cancel what is still waiting."""
        while self._steps:
            command, merged = self._steps.popleft()
            command.result.set_result(merged)
        while True:
            try:
                command = self._commands.get_nowait()
            except queue.Empty:
                return
            if isinstance(command, (Steps, Call)):
                command.result.cancel()
