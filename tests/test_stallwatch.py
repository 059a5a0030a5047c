"""The stall watch on big worlds: its figures are worked out off the frame loop, on any size."""

from __future__ import annotations

import time

import numpy as np
import pygame
import pytest
from apphelp import press, stop

from agents.planning import value_iteration
from app.app import App
from app.commands import SetHyperparameter
from app.stallwatch import StallJudge, stall_figures
from levels.generate import generate_maze
from levels.gridmaze import GridMazeEnv
from levels.levelfile import save_level

GAMMA = 0.99


@pytest.fixture(scope="module")
def big_maze():
    """A 50x50 maze with 3 small cheeses: 20,000 states (ten times what the watch once took)."""
    level = generate_maze(50, 50, seed=7)
    env = GridMazeEnv(level)
    assert env.n_states == 20_000
    arrays = env.transition_arrays()
    return level, env, arrays, value_iteration(arrays, GAMMA)


def wait_for(judge: StallJudge, deadline_s: float = 300.0):
    """The judge's answer (a hang guard far above a busy machine's time)."""
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        figures = judge.take()
        if figures is not None:
            return figures
        time.sleep(0.01)
    raise AssertionError("the stall judge gave no answer")


def test_the_judge_gives_the_figures_of_a_big_level_from_its_worker(big_maze):
    _, env, arrays, q_star = big_maze
    start = env.initial_state_distrib
    judge = StallJudge()
    try:
        q = np.zeros_like(q_star)  # ties go left: into the wall at the start for ever
        assert judge.submit(arrays, q, q_star, None, GAMMA, start, steps=10, generation=3)
        assert not judge.submit(arrays, q, q_star, None, GAMMA, start, 11, 3)  # one at a time
        figures = wait_for(judge)
        direct = stall_figures(arrays, q, q_star, None, GAMMA, start, 10, 3)
        assert (figures.steps, figures.generation) == (10, 3)
        assert figures.greedy == pytest.approx(direct.greedy)
        assert figures.greedy == pytest.approx(-0.01 / (1 - GAMMA), rel=1e-3)  # step costs only
        assert figures.best == pytest.approx(float(q_star[np.argmax(start)].max()))
        assert figures.greedy < figures.best and figures.distance == direct.distance > 0
        assert judge.take() is None  # each answer once
        # the next look starts from the last one's values and reaches the same figures
        assert judge.submit(arrays, q_star.copy(), q_star, None, GAMMA, start, 20, 3)
        optimal = wait_for(judge)
        assert optimal.greedy == pytest.approx(optimal.best, abs=1e-6)
        assert optimal.distance == 0.0
    finally:
        judge.close()


@pytest.mark.slow
def test_the_app_watches_a_big_level_and_says_when_it_stalls(tmp_path, monkeypatch, big_maze):
    """A 50x50 maze with cheeses in the app, alpha typed to 0 so nothing can be learnt: after
    the watch's window (50 steps per state) without progress the hint comes, while frames go on
    (each look is worked out on the judge's thread; the frame loop only picks it up)."""
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    level = big_maze[0]
    path = tmp_path / "maze50.txt"
    save_level(level, path)
    app = App(str(path), size=(1280, 800), seed=0, offer_recovery=False)
    try:
        app.run_frames(2)
        app.live.stall_check_s = 0.0
        assert app.session.env.unwrapped.n_states == 20_000
        app.command(SetHyperparameter("alpha", 0.0))
        app.optimal.request(app.session.env, app.session.agent.gamma)
        deadline = time.monotonic() + 600  # value iteration on 20,000 states: seconds
        while not app.optimal.ready and time.monotonic() < deadline:
            time.sleep(0.05)
        assert app.optimal.ready
        app.state.speed = 20_000 * 60.0
        app.controls.sync()
        press(app, pygame.K_SPACE, frames=1)
        window = 50 * 20_000
        for _ in range(2 * window // 20_000 + 2000):  # frames: the window's twice, and room
            if app.live.stall_hint is not None:      # for the looks still being worked out
                break
            app.run_frames(1)
            time.sleep(0.002)  # let the judge's thread run
        stop(app)
        hint = app.live.stall_hint
        assert hint is not None and hint.startswith("Learning has stalled")
        assert app.session.total_steps >= window
    finally:
        app.close()

