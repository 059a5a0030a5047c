"""The app's lambda / trace / planning knobs, the Traces and Dyna overlays, and dynamic
programming step by step (buttons and keys): state and pixels, driven by synthetic input."""

from __future__ import annotations

import numpy as np
import pygame
import pygame_gui
import pytest
from apphelp import click, press

from app.app import App
from app.commands import DynamicProgrammingStep, SetHyperparameter
from app.scales import PLANNING_VALUES


@pytest.fixture()
def app():
    app = App("dyna_maze", offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def slide(app: App, name: str, position: float) -> None:
    """Move a panel slider as pygame_gui reports it (the widget's own event)."""
    slider = app.controls.sliders[name]
    slider.set_current_value(position)
    app.run_frames(2, [pygame.event.Event(pygame_gui.UI_HORIZONTAL_SLIDER_MOVED,
                                          ui_element=slider, value=position)])


def cell_pixel(app: App, row: int, col: int) -> tuple[int, int, int]:
    """Colour of the left edge, mid-height, of a cell (clear of arrows and numbers)."""
    rect = app.board.cell_rect(row, col)
    return tuple(app.screen.get_at((rect.x + 3, rect.centery)))[:3]


def test_the_knobs_reach_the_agent(app) -> None:
    slide(app, "lam", 0.8)
    slide(app, "planning_steps", PLANNING_VALUES.index(50))
    click(app, app.controls.hyper_sliders.trace_button)
    agent = app.session.agent
    assert (agent.lam, agent.planning_steps, agent.trace) == (0.8, 50, "accumulating")
    assert app.controls.value_labels["planning_steps"].text == "50"
    assert app.controls.hyper_sliders.trace_button.text == "\u03bb accum."
    press(app, pygame.K_r)  # a reset keeps the knobs
    assert (app.session.agent.lam, app.session.agent.planning_steps) == (0.8, 50)


def test_traces_and_dyna_overlays_colour_the_cells_they_mark(app) -> None:
    slide(app, "lam", 0.9)
    slide(app, "planning_steps", PLANNING_VALUES.index(5))
    for _ in range(6):
        press(app, pygame.K_n, frames=1)  # six recorded steps (the agent explores from S)
    app.run_frames(3)
    snap = app.session.snapshot()
    traced = np.flatnonzero(snap.traces > 0)
    assert len(traced) >= 1 and snap.model_known.any()
    grid = app.session.grid
    r, c = grid.position(int(traced[0]))
    before = cell_pixel(app, r, c)
    click(app, app.controls.overlay_boxes["traces"])
    assert app.state.overlays["traces"]
    after = cell_pixel(app, r, c)
    assert after[0] > before[0] + 40  # orange laid over the cell
    known = np.flatnonzero(snap.model_known & (snap.traces == 0))
    click(app, app.controls.overlay_boxes["traces"])
    if len(known):
        r, c = grid.position(int(known[0]))
        before = cell_pixel(app, r, c)
        click(app, app.controls.overlay_boxes["dyna"])
        assert cell_pixel(app, r, c)[1] > before[1]  # teal tint where the model knows


def test_dp_buttons_step_value_iteration_and_show_v(app) -> None:
    near_goal = (1, 8)  # one step below the goal: V = 1 after the first sweep
    far = (5, 0)  # V = 0 after it
    assert cell_pixel(app, *near_goal) == cell_pixel(app, *far)  # a fresh table: one value
    click(app, app.controls.dp_section.buttons["value"])
    dp = app.dp.dp
    assert app.dp.active and dp.sweeps == 1 and dp.v.max() == pytest.approx(1.0)
    assert "sweep 1" in app.arithmetic_text and "\u0394 = 1" in app.arithmetic_text
    assert app.state.overlays["heatmap"] and app.state.overlays["policy"]
    assert cell_pixel(app, *near_goal) != cell_pixel(app, *far)  # the heat map shows V
    press(app, pygame.K_v)
    assert dp.sweeps == 2 and "sweep 2" in app.arithmetic_text
    press(app, pygame.K_c)
    assert dp.last.converged and "converged" in app.arithmetic_text
    start = app.session.grid.position(app.session.state)
    s = app.session.state
    assert dp.v[s] == pytest.approx(0.99 ** 13)  # 14 steps to the goal at the panel's gamma
    assert start == (2, 0)


def test_policy_evaluation_and_improvement_by_key(app) -> None:
    press(app, pygame.K_p)
    dp = app.dp.dp
    assert dp.last.kind == "evaluation" and dp.sweeps == 1
    assert np.allclose(dp.policy, 0.25)  # the uniformly random policy is evaluated
    press(app, pygame.K_i)
    assert dp.last.kind == "improvement" and "policy improvement" in app.arithmetic_text
    assert dp.last.policy_changes > 0


def test_training_hands_the_board_back_to_the_agent(app) -> None:
    shown = dict(app.state.overlays)
    press(app, pygame.K_v)
    assert app.dp.active and app.state.overlays["numbers"] and app.state.overlays["heatmap"]
    press(app, pygame.K_n)  # one step of training
    assert not app.dp.active
    assert {k: app.state.overlays.get(k, False) for k in shown} == shown  # as they were
    assert "DYNAMIC PROGRAMMING" not in app.info.title
    press(app, pygame.K_v)
    assert app.dp.active and app.dp.dp.sweeps == 2  # the run goes on where it was
    app.command(SetHyperparameter("gamma", 0.5))
    app.run_frames(2)
    assert not app.dp.active  # another gamma: another problem
    press(app, pygame.K_v)
    assert app.dp.dp.sweeps == 1 and app.dp.dp.gamma == 0.5


def test_dp_without_a_model_says_why(app) -> None:
    app.worlds.open_spec("CartPole-v1")
    app.run_frames(2)
    press(app, pygame.K_v)  # no board there: the key does nothing
    assert not app.dp.active
    app.command(DynamicProgrammingStep("value"))
    assert not app.dp.active and "model" in app.status.notice_text
