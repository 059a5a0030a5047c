"""What the app benchmarks share: headless SDL, the frame loop as ``App.run`` drives it, and the
like-for-like headless rate of the same session.

Importing this module sets SDL's dummy drivers (before pygame is imported anywhere) and puts the
repository on ``sys.path``, so the benchmarks run as ``python benchmarks/x.py`` or
``python -m benchmarks.x``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q)) if values else float("nan")


def drive(app: Any, seconds: float) -> float:
    """Run the app's frame loop for ``seconds`` as ``App.run`` does (``clock.tick(60)`` between
    frames); returns the elapsed time."""
    import pygame

    clock = pygame.time.Clock()
    t0 = time.perf_counter()
    end = t0 + seconds
    while time.perf_counter() < end:
        app.run_frames(1, dt=min(clock.tick(60) / 1000.0, 0.1))
    return time.perf_counter() - t0


def headless_rate(session: Any, seconds: float) -> float:
    """Steps per second of the very session the app just trained, now with nothing else to do
    (same agent, same stage of learning): back-to-back ``advance`` calls exactly as the app's
    training worker makes them (its time budget and compiled chunk length), so both pay the
    same per-call costs and the ratio is the cost of watching alone."""
    from agents.worker import CHUNK_SECONDS

    steps0, t0 = session.total_steps, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        session.advance(10**9, time_budget_s=CHUNK_SECONDS, chunk_s=CHUNK_SECONDS)
    return (session.total_steps - steps0) / (time.perf_counter() - t0)


@contextlib.contextmanager
def busy_neighbour(on: bool = True) -> Iterator[None]:
    """One CPU-bound process beside the benchmark while the block runs (``on``), like a second
    program a person runs while watching the app; it is killed, by its own pid, on the way out."""
    if not on:
        yield
        return
    hog = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.2)  # let it get going
        yield
    finally:
        hog.kill()
        hog.wait()


def load_note() -> str:
    """The machine's 1-minute load average, printed beside each figure (2 cores here)."""
    return f"load average {os.getloadavg()[0]:.1f}"
