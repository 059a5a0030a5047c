"""Slider scales of the side panel: positions of a pygame_gui slider <-> hyperparameter values.

A slider moves in even steps; many knobs do not (speed spans 1 to 100,000 steps/s, a learning
rate 1e-6 to 1e6), so those sliders move along a log scale and show short, readable numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Speed slider: positions 0..98 are 1 .. 100,000 steps/s on a log scale; the last one is "max".
SPEED_POSITIONS = 100
SPEED_MAX_FINITE = 100_000.0
# Epsilon-decay slider: position 0 is "no decay", 1..100 span 1e-5 .. 1e-1 on a log scale.
DECAY_POSITIONS = 100
DECAY_LO, DECAY_HI = 1e-5, 1e-1
# Planning-steps slider: one position per value, the book's 0, 5 and 50 among them.
PLANNING_VALUES = (0, 1, 2, 3, 5, 10, 20, 30, 50, 100, 200, 500, 1000)


def planning_from_position(pos: float) -> int:
    """Planning steps at a slider position (0 .. len(PLANNING_VALUES) - 1)."""
    i = min(max(int(round(pos)), 0), len(PLANNING_VALUES) - 1)
    return PLANNING_VALUES[i]


def position_from_planning(steps: float) -> int:
    """The position whose planning steps are closest to ``steps``."""
    return min(range(len(PLANNING_VALUES)), key=lambda i: abs(PLANNING_VALUES[i] - steps))


def speed_from_position(pos: float) -> float | None:
    """Steps per second for a speed-slider position; None means "as fast as the frame allows"."""
    pos = int(round(pos))
    if pos >= SPEED_POSITIONS:
        return None
    pos = max(0, pos)
    return 10 ** (math.log10(SPEED_MAX_FINITE) * pos / (SPEED_POSITIONS - 1))


def position_from_speed(speed: float | None) -> int:
    """Inverse of :func:`speed_from_position` (nearest position)."""
    if speed is None:
        return SPEED_POSITIONS
    speed = min(max(speed, 1.0), SPEED_MAX_FINITE)
    return round(math.log10(speed) / math.log10(SPEED_MAX_FINITE) * (SPEED_POSITIONS - 1))


def speed_label(speed: float | None) -> str:
    """The speed slider's value: 5.0/s, 316/s, 3.2k/s, 20k/s, max."""
    if speed is None:
        return "max"
    if speed < 9.95:
        return f"{speed:.1f}/s"
    return f"{format_count(round(speed))}/s"


def format_count(n: float) -> str:
    """Whole numbers the short way: 7, 950, 1.2k, 34k, 5.6M (a bounded set of strings, so the
    board can cache the rendered visit counts)."""
    n = int(n)
    if n < 1000:
        return str(n)
    if n < 10_000:
        return f"{n / 1000:.1f}k"
    if n < 1_000_000:
        return f"{n // 1000}k"
    return f"{n / 1_000_000:.1f}M"


def decay_from_position(pos: float) -> float:
    """Epsilon decay per episode for a slider position (0 = constant epsilon)."""
    pos = int(round(pos))
    if pos <= 0:
        return 0.0
    t = (min(pos, DECAY_POSITIONS) - 1) / (DECAY_POSITIONS - 1)
    return 10 ** (math.log10(DECAY_LO) + t * (math.log10(DECAY_HI) - math.log10(DECAY_LO)))


def position_from_decay(decay: float) -> int:
    if decay <= 0:
        return 0
    decay = min(max(decay, DECAY_LO), DECAY_HI)
    t = (math.log10(decay) - math.log10(DECAY_LO)) / (math.log10(DECAY_HI) - math.log10(DECAY_LO))
    return 1 + round(t * (DECAY_POSITIONS - 1))


def format_number(value: float) -> str:
    """Short, readable slider values: 0.1, 0.99, 0.0005."""
    if value == 0:
        return "0"
    if abs(value) < 0.01:
        return f"{value:.0e}" if abs(value) < 1e-4 else f"{value:.4f}".rstrip("0")
    return f"{value:.3f}".rstrip("0").rstrip(".")


@dataclass(frozen=True)
class LogScale:
    """Integer slider positions 0..``positions`` spread evenly over ``lo``..``hi`` in log space.

    ``integer`` rounds values to whole numbers (batch sizes, step counts); ``base`` 2 with
    ``per_step`` 1 gives powers of two.
    """

    lo: float
    hi: float
    positions: int
    integer: bool = False

    def value(self, pos: float) -> float:
        t = min(max(int(round(pos)), 0), self.positions) / self.positions
        v = 10 ** (math.log10(self.lo) + t * (math.log10(self.hi) - math.log10(self.lo)))
        return float(round(v)) if self.integer else float(f"{v:.3g}")

    def position(self, value: float) -> int:
        value = min(max(float(value), self.lo), self.hi)
        t = (math.log10(value) - math.log10(self.lo)) / (math.log10(self.hi) - math.log10(self.lo))
        return round(t * self.positions)


def format_rate(value: float) -> str:
    """A learning rate, short: 5e-4, 2.3e-3, 0.05, 1e6."""
    if value == 0:
        return "0"
    if 0.01 <= abs(value) < 1000:
        return format_number(value)
    mantissa, exponent = f"{value:.1e}".split("e")
    mantissa = mantissa.rstrip("0").rstrip(".")
    return f"{mantissa}e{int(exponent)}"
