"""Exploration schedules: how epsilon moves as training goes on.

Three shapes, each a frozen dataclass so a schedule can be stored, compared and handed to the
compiled turbo kernel as plain numbers (``kind`` code plus ``params()``):

* ``ConstantSchedule(epsilon)`` - the fixed epsilon of Sutton & Barto's cliff-walking example;
* ``LinearSchedule(start, end, steps)`` - CleanRL's per-step linear decay, clamped at ``end``;
* ``ExponentialSchedule(eps_max, eps_min, decay)`` - the Hugging Face Deep RL course's per-episode
  ``eps_min + (eps_max - eps_min) * exp(-decay * episode)``.

``schedule_value(kind, p0, p1, p2, step, episode)`` is the one formula for all three written with
``math`` only, so numba can compile the very same function for the turbo loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, ClassVar

from agents.config import ConfigError, TabularConfig, check_range

CONSTANT, LINEAR, EXPONENTIAL = 0, 1, 2


def schedule_value(kind: int, p0: float, p1: float, p2: float, step: int, episode: int) -> float:
    """Epsilon of schedule ``kind`` with parameters ``params()`` at ``step`` / ``episode``.

    Pure arithmetic on scalars so ``numba.njit(schedule_value)`` gives the turbo kernel the same
    numbers as the dataclasses' ``value`` methods (a test checks they agree exactly).
    """
    if kind == LINEAR:
        if step >= p2:
            return p1
        return p0 + (p1 - p0) * (step / p2)
    if kind == EXPONENTIAL:
        return p1 + (p0 - p1) * math.exp(-p2 * episode)
    return p0


def _probability(name: str, value: float) -> float:
    return float(check_range(TabularConfig, name, value))


@dataclass(frozen=True)
class ConstantSchedule:
    """The same epsilon at every step (``ConstantSchedule(0.1)``).

    The field is called ``epsilon`` rather than ``value`` because ``value`` is the method every
    schedule shares.
    """

    epsilon: float
    kind: ClassVar[int] = CONSTANT

    def __post_init__(self) -> None:
        object.__setattr__(self, "epsilon", _probability("epsilon", self.epsilon))

    def value(self, step: int, episode: int) -> float:
        """Epsilon for the given global step and episode index (both ignored)."""
        return self.epsilon

    def params(self) -> tuple[float, float, float]:
        """``(epsilon, 0, 0)`` for the compiled kernel."""
        return (self.epsilon, 0.0, 0.0)


@dataclass(frozen=True)
class LinearSchedule:
    """From ``start`` at step 0 to ``end`` at step ``steps``, then ``end``; counted in env steps."""

    start: float
    end: float
    steps: int
    kind: ClassVar[int] = LINEAR

    def __post_init__(self) -> None:
        object.__setattr__(self, "start", _probability("epsilon", self.start))
        object.__setattr__(self, "end", _probability("epsilon_min", self.end))
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 1:
            raise ConfigError(
                f"a linear schedule needs a whole number of steps of at least 1, got {self.steps!r}"
            )

    def value(self, step: int, episode: int) -> float:
        """Epsilon after ``step`` environment steps (``episode`` is ignored)."""
        if step >= self.steps:
            return self.end
        return self.start + (self.end - self.start) * (step / self.steps)

    def params(self) -> tuple[float, float, float]:
        """``(start, end, steps)`` for the compiled kernel."""
        return (self.start, self.end, float(self.steps))


@dataclass(frozen=True)
class ExponentialSchedule:
    """The course's per-episode decay: ``eps_min + (eps_max - eps_min) * exp(-decay * episode)``."""

    eps_max: float
    eps_min: float
    decay: float
    kind: ClassVar[int] = EXPONENTIAL

    def __post_init__(self) -> None:
        object.__setattr__(self, "eps_max", _probability("epsilon", self.eps_max))
        object.__setattr__(self, "eps_min", _probability("epsilon_min", self.eps_min))
        decay = check_range(TabularConfig, "epsilon_decay", self.decay)
        object.__setattr__(self, "decay", float(decay))

    def value(self, step: int, episode: int) -> float:
        """Epsilon during episode ``episode`` (0-based; ``step`` is ignored)."""
        return self.eps_min + (self.eps_max - self.eps_min) * math.exp(-self.decay * episode)

    def params(self) -> tuple[float, float, float]:
        """``(eps_max, eps_min, decay)`` for the compiled kernel."""
        return (self.eps_max, self.eps_min, self.decay)


Schedule = ConstantSchedule | LinearSchedule | ExponentialSchedule


def make_schedule(
    name: str,
    epsilon: float,
    epsilon_min: float,
    epsilon_decay: float,
    total_steps: int | None = None,
) -> Schedule:
    """Build a schedule from ``TabularConfig``-style values (``config.schedule`` etc.).

    ``"linear"`` spans ``total_steps`` when the caller knows the run length (``train --steps``);
    otherwise it reads ``epsilon_decay`` as the drop per step, reaching ``epsilon_min`` after
    ``ceil((epsilon - epsilon_min) / epsilon_decay)`` steps, and a zero decay keeps epsilon
    constant, as the decay knob's help text promises.
    """
    check_range(TabularConfig, "schedule", name)  # one of config.SCHEDULES
    if name == "constant":
        return ConstantSchedule(epsilon)
    if name == "exponential":
        return ExponentialSchedule(epsilon, epsilon_min, epsilon_decay)
    if total_steps is not None:  # linear
        return LinearSchedule(epsilon, epsilon_min, total_steps)
    epsilon = _probability("epsilon", epsilon)
    epsilon_min = _probability("epsilon_min", epsilon_min)
    check_range(TabularConfig, "epsilon_decay", epsilon_decay)
    if epsilon_decay == 0 or epsilon == epsilon_min:
        return ConstantSchedule(epsilon)
    steps = max(1, math.ceil(abs(epsilon - epsilon_min) / epsilon_decay))
    return LinearSchedule(epsilon, epsilon_min, steps)


def schedule_knobs(schedule: Schedule) -> dict[str, Any]:
    """The ``TabularConfig`` knobs (schedule, epsilon, epsilon_min, epsilon_decay) that
    ``make_schedule`` turns back into ``schedule`` (a constant one: default min and decay)."""
    if isinstance(schedule, ExponentialSchedule):
        return {"schedule": "exponential", "epsilon": schedule.eps_max,
                "epsilon_min": schedule.eps_min, "epsilon_decay": schedule.decay}
    if isinstance(schedule, LinearSchedule):
        return {"schedule": "linear", "epsilon": schedule.start, "epsilon_min": schedule.end,
                "epsilon_decay": abs(schedule.start - schedule.end) / schedule.steps}
    defaults = TabularConfig()
    return {"schedule": "constant", "epsilon": schedule.epsilon,
            "epsilon_min": defaults.epsilon_min, "epsilon_decay": defaults.epsilon_decay}
