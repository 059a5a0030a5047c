"""Epsilon schedules: the course's formula, clamping, validation, and the kernel-facing params."""

import dataclasses
import math

import numpy as np
import pytest

from agents.config import ConfigError
from agents.schedules import (
    ConstantSchedule,
    ExponentialSchedule,
    LinearSchedule,
    make_schedule,
    schedule_value,
)


def test_constant_is_constant():
    sched = ConstantSchedule(0.1)
    assert sched.epsilon == 0.1
    assert {sched.value(step, ep) for step in (0, 5, 10**7) for ep in (0, 3, 10**5)} == {0.1}
    assert sched.kind == 0 and sched.params() == (0.1, 0.0, 0.0)


def test_linear_goes_from_start_to_end_and_clamps():
    sched = LinearSchedule(1.0, 0.05, 100)
    assert sched.value(0, 0) == 1.0
    assert sched.value(50, 0) == pytest.approx(0.525, abs=1e-15)
    assert sched.value(25, 99) == pytest.approx(1.0 - 0.95 * 0.25, abs=1e-15)
    # Exactly end (not 0.05000000000000004) once the ramp is over, however long training runs.
    assert sched.value(100, 0) == 0.05
    assert sched.value(10**9, 7) == 0.05
    values = [sched.value(step, 0) for step in range(120)]
    assert all(a >= b for a, b in zip(values, values[1:], strict=False))
    assert sched.kind == 1 and sched.params() == (1.0, 0.05, 100.0)


def test_exponential_is_the_course_formula_per_episode():
    sched = ExponentialSchedule(1.0, 0.05, 0.0005)
    for episode in (0, 1, 10, 1000, 5000, 25_000):
        course = 0.05 + (1.0 - 0.05) * np.exp(-0.0005 * episode)
        assert sched.value(0, episode) == pytest.approx(course, rel=1e-15)
        assert sched.value(123_456, episode) == sched.value(0, episode)  # steps do not matter
    assert sched.value(0, 0) == 1.0
    assert sched.value(0, 10**6) == pytest.approx(0.05)
    assert sched.kind == 2 and sched.params() == (1.0, 0.05, 0.0005)


@pytest.mark.parametrize(
    "sched",
    [ConstantSchedule(0.3), LinearSchedule(0.9, 0.1, 37), ExponentialSchedule(1.0, 0.05, 0.005)],
)
def test_kernel_formula_matches_value_exactly(sched):
    for step in (0, 1, 18, 36, 37, 38, 1000):
        for episode in (0, 1, 7, 400, 10_000):
            assert schedule_value(sched.kind, *sched.params(), step, episode) == sched.value(
                step, episode
            )


def test_numba_compiles_the_kernel_formula_to_the_same_numbers():
    import numba

    compiled = numba.njit(cache=False)(schedule_value)
    for sched in (ConstantSchedule(0.3), LinearSchedule(0.9, 0.1, 37),
                  ExponentialSchedule(1.0, 0.05, 0.005)):
        for step, episode in ((0, 0), (20, 3), (37, 9), (500, 600)):
            assert compiled(sched.kind, *sched.params(), step, episode) == sched.value(
                step, episode
            )


def test_schedules_are_frozen():
    sched = ExponentialSchedule(1.0, 0.05, 0.001)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sched.decay = 0.5


@pytest.mark.parametrize(
    "build, words",
    [
        (lambda: ConstantSchedule(1.5), "epsilon must be between 0 and 1, got 1.5"),
        (lambda: LinearSchedule(1.0, -0.1, 10), "epsilon min must be between 0 and 1"),
        (lambda: LinearSchedule(1.0, 0.1, 0), "at least 1, got 0"),
        (lambda: LinearSchedule(1.0, 0.1, 2.5), "whole number"),
        (lambda: ExponentialSchedule(1.0, 0.05, -0.01), "epsilon decay must be between"),
        (lambda: ExponentialSchedule(float("nan"), 0.05, 0.01), "finite"),
        (lambda: make_schedule("cosine", 1.0, 0.05, 0.001), "schedule must be one of"),
    ],
)
def test_bad_parameters_raise_one_clear_sentence(build, words):
    with pytest.raises(ConfigError, match=words) as err:
        build()
    assert "\n" not in str(err.value)


def test_make_schedule_from_config_values():
    assert make_schedule("constant", 0.2, 0.05, 0.001) == ConstantSchedule(0.2)
    assert make_schedule("exponential", 1.0, 0.05, 0.005) == ExponentialSchedule(1.0, 0.05, 0.005)
    assert make_schedule("linear", 1.0, 0.05, 0.001, total_steps=5000) == LinearSchedule(
        1.0, 0.05, 5000
    )
    # No run length known: the decay is the drop per step, (1 - 0.05) / 0.0005 = 1900 steps.
    assert make_schedule("linear", 1.0, 0.05, 0.0005) == LinearSchedule(1.0, 0.05, 1900)
    # A zero decay keeps epsilon constant, as the knob's help text says.
    assert make_schedule("linear", 0.3, 0.05, 0.0) == ConstantSchedule(0.3)
    assert make_schedule("exponential", 0.3, 0.05, 0.0).value(0, 10**6) == 0.3
    assert math.isclose(make_schedule("linear", 1.0, 0.0, 0.3).steps, 4)
