"""Compare mode: two agents side by side on the same world, one speed control, overlaid curves."""

from __future__ import annotations

import numpy as np
import pygame
import pygame_gui
import pytest
from apphelp import choose, click, press, stop, train, train_until

from app.app import App
from app.commands import ChooseLevel
from app.controls import COMPARE_OFF


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("cliff", offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def test_sarsa_vs_q_learning_on_the_cliff_share_one_speed_and_both_learn(app):
    choose(app, app.controls.compare_menu, "vs SARSA")
    lane = app.training.lane
    assert lane is not None and lane.session.agent.kind == "sarsa"
    assert app.session.agent.kind == "q-learning"
    assert lane.session.env is not app.session.env  # its own env, the same level and seed
    assert lane.session.env.unwrapped.level == app.session.env.unwrapped.level
    assert lane.session.seed == app.session.seed
    steps = train_until(app, 501, speed=2000.0)  # one speed setting drives both
    stop(app)
    assert steps > 500
    assert lane.session.total_steps == app.session.total_steps
    q1, q2 = app.session.agent.q, lane.session.agent.q
    assert np.abs(q1).sum() > 0 and np.abs(q2).sum() > 0  # both Q-tables changed
    assert not np.array_equal(q1, q2)  # ... differently: different update rules
    # two boards, one above the other (the cliff is wide: bigger cells than side by side),
    # one learning-curve chart with both agents in its legend
    assert app.layout.lanes_stacked and app.board.rect.bottom <= lane.board.rect.top
    assert app.board.cell > (app.board.rect.width // 2) // 12  # bigger than half the width gives
    labels = [s.label for s in app.charts.returns.series if s.label]
    assert labels == ["Q-learning", "SARSA"]
    assert "Q-learning vs SARSA" in app.status.stats_text
    # both boards write the cliff's -100 in its cells
    main, second = app.live.board_view(), app.live.lane_base_view()
    assert np.array_equal(second.rewards, main.rewards) and (main.rewards == -100).sum() == 10


def test_max_speed_keeps_both_agents_in_step(app):
    choose(app, app.controls.compare_menu, "vs Expected SARSA")
    train(app, 20, speed=None)
    stop(app)
    assert app.session.total_steps > 1000
    assert abs(app.training.lane.session.total_steps - app.session.total_steps) <= 20_000


def test_step_reset_and_sliders_apply_to_both(app):
    choose(app, app.controls.compare_menu, "vs SARSA")
    lane = app.training.lane
    press(app, pygame.K_n)
    assert app.session.total_steps == lane.session.total_steps == 1
    slider = app.controls.sliders["alpha"]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
                                         {"value": 0.5, "ui_element": slider}))
    app.run_frames(2)
    assert app.session.agent.alpha == lane.session.agent.alpha == 0.5
    train(app, 10, speed=1000.0)
    stop(app)
    press(app, pygame.K_r)
    assert app.session.total_steps == lane.session.total_steps == 0
    assert not lane.session.agent.q.any()


def test_turning_compare_off_closes_the_second_lane(app):
    choose(app, app.controls.compare_menu, "vs SARSA")
    lane = app.training.lane
    closed = []
    release = lane._close_env
    lane._close_env = lambda: (closed.append(True), release())
    choose(app, app.controls.compare_menu, COMPARE_OFF)
    assert app.training.lane is None and closed == [True]
    assert app.board.rect.width > 600  # the whole world area again


def test_compare_follows_the_world_and_level_edits(app):
    choose(app, app.controls.compare_menu, "vs SARSA")
    app.worlds.open_spec("FrozenLake-v1")
    lane = app.training.lane
    assert lane is not None and lane.session.env.spec.id == "FrozenLake-v1"
    assert lane.session.env is not app.session.env
    train(app, 10, speed=1000.0)
    stop(app)
    assert lane.session.total_steps == app.session.total_steps > 0
    app.command(ChooseLevel("cliff"))
    app.run_frames(2)
    lane = app.training.lane
    assert app.world is None and lane.session.env.unwrapped.level.name == "cliff"
    cell = app.board.cell_rect(0, 5).center  # paint a wall: the second agent gets it too
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=cell, button=1)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=cell, button=1)])
    assert app.level.tile(0, 5) == "#"
    assert lane.session.env.unwrapped.level == app.session.env.unwrapped.level


def test_compare_on_a_frame_env_shows_two_frames(app):
    app.worlds.open_spec("CartPole-v1")
    click(app, app.controls.compare_menu)
    options = app.controls.compare_menu.current_state.options_selection_list \
        .item_list_container.elements
    assert [b.text for b in options] == [COMPARE_OFF, "vs DQN"]  # only what can learn it
    click(app, options[1])
    lane = app.training.lane
    assert lane is not None and lane.kind == "frame"
    app.run_frames(3)
    assert app.gym_view.rect.right <= lane.gym_view.rect.left
    assert lane.gym_view.image_rect.width > 50
