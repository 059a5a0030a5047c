"""The frame loop's promise, checked without a stopwatch: the session only ever gets what is left
of a 60 Hz frame, whatever the speed slider says, and slow speeds record every step."""

from __future__ import annotations

import pygame
import pytest

from app.app import FRAME_BUDGET_S, App
from app.training import SLOW_SPEED


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("frozenlake8x8")
    app.run_frames(2)
    calls: list[dict] = []
    advance = app.session.advance

    def spy(max_steps, time_budget_s=None, record=False, **kw):
        calls.append({"n": max_steps, "budget": time_budget_s, "record": record})
        return advance(max_steps, time_budget_s=time_budget_s, record=record, **kw)

    app.session.advance = spy
    app.calls = calls
    yield app
    app.close()


@pytest.mark.parametrize("speed", [1.0, 15.0, 500.0, 50_000.0, None])
def test_every_advance_gets_a_budget_inside_one_frame(app, speed):
    app.state.speed = speed
    app.controls.sync()
    app.run_frames(1, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0,
                                          unicode=" ", scancode=0)])
    app.run_frames(90)
    assert app.calls, "training never ran"
    for call in app.calls:
        assert 0 < call["budget"] < FRAME_BUDGET_S
        slow = speed is not None and speed <= SLOW_SPEED
        assert call["record"] == slow  # slow: every step recorded; fast: turbo, unrecorded
    steps = app.session.total_steps
    if speed is not None:
        # never more than `speed` steps per simulated second (91 frames of 1/60 s)
        assert steps <= speed * 91 / 60 + 2
    else:  # max speed asks for far more than a frame can run; the budget is what stops it
        assert all(call["n"] > 1_000_000 for call in app.calls) and steps >= len(app.calls)


def test_pausing_at_max_speed_takes_effect_on_the_next_frame(app):
    app.state.speed = None
    app.training.play(True)
    app.run_frames(10)
    app.run_frames(1, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0,
                                          unicode=" ", scancode=0)])
    steps = app.session.total_steps
    app.run_frames(10)
    assert app.session.total_steps == steps
