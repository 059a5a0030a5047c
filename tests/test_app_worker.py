"""Training flat out runs on the worker thread: off the frame loop, drawn from its snapshots,
stopped between two steps for every command, and joined when the window closes."""

from __future__ import annotations

import threading
import time

import numpy as np
import pygame
import pytest

from app import commands as cmd
from app.app import App
from tests.apphelp import press

WAIT = 30.0  # seconds at most (a busy machine is slow, not stuck)


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("frozenlake8x8")
    app.run_frames(2)
    yield app
    app.close()


def _workers() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "session-worker"]


def _flat_out(app: App, frames: int = 3) -> None:
    app.state.speed = None
    app.controls.sync()
    press(app, pygame.K_SPACE, frames=frames)
    assert app.training.worker is not None and app.training.worker.alive


def _steps_without_frames(app: App) -> int:
    """Steps the session takes while no frame runs (read without taking the session over)."""
    session = app.training.session
    before = session.total_steps
    deadline = time.monotonic() + WAIT
    while session.total_steps == before and time.monotonic() < deadline:
        time.sleep(0.01)
    return session.total_steps - before


def test_flat_out_training_runs_off_the_frame_loop_and_is_drawn_from_snapshots(app):
    _flat_out(app)
    assert _steps_without_frames(app) > 0  # no frame ran meanwhile
    first = None
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:  # the view re-reads ~15 times a second
        app.run_frames(1)
        snap = app.live.snap
        if snap is not None and first is None:
            first = snap.total_steps
        elif snap is not None and snap.total_steps > first:
            break
        time.sleep(0.005)
    assert snap.total_steps > first  # the board follows the worker's snapshots
    assert np.isfinite(snap.q).all()


def test_commands_stop_the_worker_between_steps_and_land(app):
    _flat_out(app)
    app.command(cmd.SetHyperparameter("alpha", 0.25))  # a slider while training flat out
    assert app.training.session.agent.alpha == 0.25
    app.run_frames(2)
    assert app.training.worker is not None  # training went on
    press(app, pygame.K_SPACE, frames=1)  # pause
    assert app.training.worker is None and not app.playing
    session = app.training.session
    paused_at = session.total_steps
    time.sleep(0.05)
    assert session.total_steps == paused_at  # nothing runs behind the pause
    press(app, pygame.K_n, frames=1)  # one recorded step, its arithmetic shown
    assert session.total_steps == paused_at + 1
    assert "Q(" in app.arithmetic_text or "=" in app.arithmetic_text


def test_frames_between_snapshots_take_input_and_draw_nothing(app, monkeypatch):
    """While the worker trains, a frame draws when the view has something new to show, when the
    mouse moves (at most every WATCH_HOVER_S) and at once for a click or a key; the frames in
    between handle their input and leave the CPU to learning."""
    import app.app as app_module

    _flat_out(app)
    due = [False]
    monkeypatch.setattr(app.live, "refresh_due", lambda now: due[0])
    monkeypatch.setattr(app_module, "WATCH_IDLE_S", 1e9)
    monkeypatch.setattr(app_module, "WATCH_HOVER_S", 1e9)
    drawn = len(app.draw_times)
    app.run_frames(5)
    assert len(app.draw_times) == drawn and len(app.frame_times) >= 5
    cell = app.board.cell_rect(2, 3).center
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=cell, rel=(1, 1),
                                          buttons=(0, 0, 0))])
    assert len(app.draw_times) == drawn  # not drawn yet ...
    assert app.board.hover == (2, 3)  # ... but the hover was taken in
    assert app.training.worker is not None  # hovering leaves the worker alone
    monkeypatch.setattr(app_module, "WATCH_HOVER_S", 0.0)
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEMOTION, pos=cell, rel=(1, 1),
                                          buttons=(0, 0, 0))])
    assert len(app.draw_times) == drawn + 1  # the mouse moves: drawn at the hover rate
    due[0] = True
    app.run_frames(1)
    assert len(app.draw_times) == drawn + 2  # the view has something new: drawn
    due[0] = False
    press(app, pygame.K_g, frames=1)  # a key: drawn at once (a greedy run starts)
    assert len(app.draw_times) == drawn + 3 and app.demo


def test_stopping_play_from_code_stops_the_worker_at_once(app):
    """A benchmark or a test that stops playing and then steps the session itself must find it
    idle: no frame runs in between."""
    _flat_out(app)
    app.training.play(False)
    assert app.training.worker is None
    session = app.training.session
    before = session.total_steps
    time.sleep(0.05)
    assert session.total_steps == before
    assert session.advance(10).steps == 10


def test_reset_while_training_flat_out_starts_learning_over(app):
    _flat_out(app)
    app.run_frames(5)
    press(app, pygame.K_r, frames=1)
    session = app.training.session
    assert app.training.worker is None and session.total_steps == 0
    assert (session.agent.q == session.agent.q.flat[0]).all()  # a fresh table


def test_closing_the_window_mid_training_exits_cleanly(app):
    _flat_out(app)
    assert _workers()
    app.run_frames(1, [pygame.event.Event(pygame.QUIT)])
    assert not app.running
    app.close()
    assert not _workers()  # joined, not left running behind a closed window


def test_a_dqn_board_keeps_its_values_between_forward_passes(tmp_path, monkeypatch):
    """Flat out, a DQN's Q-values over the board are read ~4 times a second, and the worker's
    latest snapshot may predate the request: the board keeps the last values meanwhile, so the
    heat map and arrows of an image maze never blink off."""
    from tests.apphelp import dqn_built, small_dqn

    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("GridMaze-v0:level=maze_small,observation=image")
    try:
        app.run_frames(2)
        dqn_built(app)
        assert app.session.agent.kind == "dqn"
        small_dqn(app)
        _flat_out(app)
        start, reads, blank = app.training.session.total_steps, 0, []
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline and (reads < 12 or app.live.snap.total_steps < start
                                                + 2000):
            app.run_frames(1)
            view = app.live.board_view()
            if app.live.snap is not None and app.live.snap.q is not None:
                reads += 1
            if reads:
                blank.append(view.values is None)
            time.sleep(0.01)
        assert reads >= 2 and blank and not any(blank)
    finally:
        app.close()
