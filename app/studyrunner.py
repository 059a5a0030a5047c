"""A parameter study on a worker thread, so the window keeps drawing and training meanwhile.

:class:`StudyRunner` starts ``agents.study.run_study`` on a daemon thread and keeps the latest
partial result as a private copy the frame loop may read at any time (the compiled kernel
releases the GIL, so the study and the frame loop run side by side). ``stop()`` asks the study
to end after its current compiled call.
"""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

from agents.study import StudyResult, StudySpec, run_study

BATCH_RUNS = 10  # runs per point stepped together: a few points a second reach the figure


class StudyRunner:
    """One study at a time; ``result`` is the latest copy, ``error`` a sentence or None."""

    def __init__(self) -> None:
        self.result: StudyResult | None = None
        self.error: str | None = None
        self.revision = 0  # bumped whenever ``result`` or ``error`` changes
        self.spec: StudySpec | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._episodes = 0
        self.started = 0.0

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def episodes_done(self) -> int:
        """Run-episodes finished so far."""
        return self._episodes

    def start(self, spec: StudySpec) -> None:
        """Run ``spec`` (a running study is stopped first)."""
        self.stop(wait=True)
        self.spec, self.result, self.error, self._episodes = spec, None, None, 0
        self._stop = threading.Event()
        self.started = time.perf_counter()
        self._thread = threading.Thread(target=self._run, args=(spec, self._stop),
                                        name="study", daemon=True)
        self._thread.start()

    def stop(self, wait: bool = False) -> None:
        """Ask the study to end; with ``wait``, until its thread has (a compiled call or so)."""
        self._stop.set()
        if wait and self._thread is not None:
            self._thread.join(timeout=10)

    def _run(self, spec: StudySpec, stop: threading.Event) -> None:
        try:
            final = run_study(spec, on_progress=self._progress, should_stop=stop.is_set,
                              batch_runs=BATCH_RUNS)
            self._publish(final)
        except Exception as exc:  # shown in the window: the app must keep running
            self.error = str(exc) or type(exc).__name__
            self.revision += 1

    def _progress(self, result: StudyResult, episodes: int) -> None:
        self._episodes = episodes
        self._publish(result)

    def _publish(self, result: StudyResult) -> None:
        copy = dataclasses.replace(result, scores=result.scores.copy(),
                                   curves=result.curves.copy(),
                                   finished=result.finished.copy(),
                                   diverged=result.diverged.copy())
        self.result = copy
        self.revision += 1

    def summary(self) -> dict[str, Any]:
        """Progress numbers for the window's status line."""
        spec = self.spec
        total = 0 if spec is None else (len(spec.agents) * len(spec.values) * spec.runs
                                        * spec.episodes)
        runs = 0 if self.result is None else int(self.result.finished.sum())
        return {"episodes": self._episodes, "total": total, "runs": runs,
                "seconds": time.perf_counter() - self.started if self.started else 0.0}
