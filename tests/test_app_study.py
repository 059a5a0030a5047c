"""The Study window: opened from the panel, runs off the frame loop, fills its figure, and a
clicked point becomes the agent and the sliders."""

from __future__ import annotations

import time

import numpy as np
import pygame
import pytest
from apphelp import click

from app.app import App
from app.studyfigure import AGENT_COLOURS

pytestmark = pytest.mark.app


@pytest.fixture()
def app():
    application = App("cliff", offer_recovery=False)
    application.run_frames(2)
    yield application
    application.close()


def study_button(app: App):
    return next(w for w in app.controls.kit.widgets() if getattr(w, "text", "") == "Study...")


def run_to_end(app: App, window, max_seconds: float = 900.0) -> int:
    """Frames until the study thread ends. It runs beside the frame loop, so no frame count
    bounds it; ``max_seconds`` only guards against a hang, far above a run on a busy machine."""
    frames, start = 0, time.monotonic()
    while window.runner.running and time.monotonic() - start < max_seconds:
        app.run_frames(1)
        frames += 1
    app.run_frames(2)
    assert not window.runner.running
    return frames


def test_study_fills_the_figure_while_the_board_trains(app: App) -> None:
    click(app, study_button(app))
    window = app.study.window
    assert window is not None and window.alive()
    window.entries["runs"].set_text("12")
    window.entries["episodes"].set_text("60")
    app.state.speed = None  # the board trains flat out meanwhile
    app.controls.sync()
    app.run_frames(1, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0,
                                          unicode=" ", scancode=0)])
    steps_before = app.session.total_steps
    click(app, window.run_button, frames=1)
    frames = run_to_end(app, window)
    assert window.runner.error is None
    result = window.runner.result
    assert result.finished.tolist() == [[12] * 10] * 3
    assert np.isfinite(result.scores).all()
    assert frames > 0 and app.session.total_steps > steps_before  # the board kept training
    assert len(window.figure.points) == 30
    assert "done" in window.status.text and "other settings" in window.fixed_label.text
    pixels = pygame.surfarray.array3d(window.plot.image).reshape(-1, 3)
    for colour in AGENT_COLOURS.values():
        assert (np.abs(pixels - np.array(colour)).sum(axis=1) < 30).any(), colour


def test_clicking_a_point_loads_its_agent_and_settings(app: App) -> None:
    click(app, study_button(app))
    window = app.study.window
    window.entries["runs"].set_text("3")
    window.entries["episodes"].set_text("20")
    click(app, window.run_button, frames=1)
    run_to_end(app, window)
    spec = window.runner.result.spec
    # a point the mouse resolves to an agent other than the one on screen (Q-learning)
    point = next(window.figure.hit(p.pos) for p in window.figure.points
                 if spec.agents[window.figure.hit(p.pos).agent] != "q-learning")
    kind, alpha = spec.agents[point.agent], spec.values[point.value]
    rect = window.plot.get_abs_rect()
    pos = (rect.x + point.pos[0], rect.y + point.pos[1])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=pos, button=1)])
    app.run_frames(2, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=pos, button=1)])
    assert app.session.agent.kind == kind and app.state.agent_kind == kind
    assert app.session.agent.hyperparameters()["alpha"] == pytest.approx(alpha)
    assert app.controls.hyper_sliders.sliders["alpha"].get_current_value() == pytest.approx(alpha)
    assert f"with alpha = {alpha:g}" in window.status.text


def test_bad_input_and_envs_without_a_model_are_one_sentence(app: App) -> None:
    click(app, study_button(app))
    window = app.study.window
    window.entries["runs"].set_text("many")
    click(app, window.run_button)
    assert window.status.text.startswith("Cannot run:") and not window.runner.running
    window.entries["runs"].set_text("2")
    window.entries["from"].set_text("2")
    click(app, window.run_button)
    assert "alpha must be between 0 and 1" in window.status.text
    app.worlds.open_spec("CartPole-v1")
    app.run_frames(2)
    window = app.study.open()
    window.entries["from"].set_text("0.1")
    window.entries["runs"].set_text("2")
    click(app, window.run_button, frames=1)
    run_to_end(app, window)
    assert "cannot be studied" in window.status.text
    assert app.running


def test_a_tuned_preset_opens_in_the_app_with_its_settings(tmp_path, capsys) -> None:
    from agents import cli
    from agents.presetfile import Preset, expand_preset_argv, save_preset

    agent_file = tmp_path / "best.npz"
    assert cli.main(["train", "--env", "mouse", "--agent", "sarsa", "--alpha", "0.37",
                     "--episodes", "30", "--out", str(agent_file)]) == 0
    capsys.readouterr()
    preset = tmp_path / "best.json"
    save_preset(preset, Preset("sarsa", "mouse", {"alpha": 0.37}, agent_file=str(agent_file)))
    argv = expand_preset_argv(["play", "--preset", str(preset)])
    assert argv == ["play", "mouse", "--agent-file", str(agent_file)]
    application = App("cliff", offer_recovery=False)
    try:
        application.run_frames(2)
        assert application.agent_files.load_agent_from(argv[3])
        application.run_frames(3)
        assert application.session.agent.kind == "sarsa"
        assert application.level.name == "mouse"
        assert application.controls.hyper_sliders.sliders["alpha"].get_current_value() \
            == pytest.approx(0.37)
    finally:
        application.close()
