"""Watching in the app: the agent plays at the set speed, learns nothing, and training resumes."""

from __future__ import annotations

import numpy as np
import pygame
import pytest
import torch
from apphelp import click, press, stop, train_until

import main
from agents import build, cli
from agents.session import TrainingSession
from agents.storage import save_agent
from app.agentsection import WATCHING
from app.app import App
from app.commands import Watch
from app.qview import cell_values
from levels.envs import make_env
from levels.level import Level

MAZE = Level.from_text("name: watch maze\nmax_steps: 30\nS..#\n.#..\n...#\n#..G\n")


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App(MAZE, offer_recovery=False, device="cpu")
    app.run_frames(2)
    yield app
    app.close()


def watch_until(app: App, steps: int, max_frames: int = 3000) -> int:
    """Run frames until the session has played ``steps`` more watched steps (frames bound it)."""
    before = app.session.greedy_steps
    for _ in range(max_frames):
        if app.session.greedy_steps - before >= steps:
            break
        app.run_frames(1)
    app.training.quiesce()
    return app.session.greedy_steps - before


def dqn_bytes(agent) -> bytes:
    tensors = [*agent.q_net.parameters(), *agent.target_net.parameters()]
    for state in agent.optimizer.state.values():
        tensors += [v for v in state.values() if torch.is_tensor(v)]
    return b"".join(t.detach().cpu().numpy().tobytes() for t in tensors)


def test_t_watches_a_table_without_learning_and_t_again_trains_on(app):
    assert train_until(app, 400, speed=1200.0) >= 400
    stop(app)
    session = app.session
    table, trained = session.agent.q_table.copy(), session.training_steps
    press(app, pygame.K_t)
    section = app.controls.agent_section
    assert app.training.watching and app.playing and session.mode == "watch"
    assert section.watch_banner.visible and section.watch_banner.text == WATCHING.upper()
    assert section.watch_button.is_selected and section.watch_button.text == "Train (T)"
    assert watch_until(app, 200) >= 200
    app.run_frames(1)
    assert "Watching (not learning)" in app.status.stats_text
    assert session.agent.q_table.tobytes() == table.tobytes()
    assert session.training_steps == trained
    # the board still draws the agent's arrows while it is watched
    app.board.arrow_interval = 0.0
    app.state.overlays.update(arrows=True)
    app.live.invalidate()
    app.run_frames(2)
    expected = cell_values(session.agent.q_table, session.grid, app.live.layer)
    np.testing.assert_allclose(app.live.values.q_dir, expected.q_dir, equal_nan=True)
    press(app, pygame.K_t)
    assert not app.training.watching and session.mode == "learn" and app.playing
    assert not section.watch_banner.visible and section.watch_button.text == "Watch (T)"
    assert train_until(app, 200, speed=1200.0) >= 200
    assert session.training_steps >= trained + 200
    assert session.agent.q_table.tobytes() != table.tobytes()


def test_the_watch_button_and_the_speed_slider(app):
    click(app, app.controls.agent_section.watch_button)
    assert app.training.watching and app.playing
    app.state.speed = 60.0  # steps per second; frames here are 1/60 s
    app.controls.sync()
    app.command(Watch(True))  # already on: stays on
    assert app.training.watching
    before = app.session.greedy_steps
    app.run_frames(60)
    paced = app.session.greedy_steps - before
    assert 50 <= paced <= 70, paced
    assert app.session.training_steps == 0
    click(app, app.controls.agent_section.watch_button)
    assert not app.training.watching


def test_a_greedy_run_or_driving_while_watching(app):
    app.command(Watch(True))
    press(app, pygame.K_g)
    assert app.training.demo and app.session.mode == "greedy"
    press(app, pygame.K_g)  # the run ends: back to watching, not to learning
    assert app.training.watching and app.session.mode == "watch"
    press(app, pygame.K_m)  # driving teaches the agent: watching ends
    assert not app.training.watching and app.training.drive and app.session.mode == "learn"


def _cartpole_file(tmp_path) -> str:
    env = make_env("CartPole-v1")[0]
    agent = build("dqn", env, {"learning_starts": 16, "batch_size": 8, "train_freq": 1,
                               "hidden": (16,)}, seed=0, device="cpu")
    TrainingSession(env, agent, seed=0).advance(60)
    path = tmp_path / "cartpole.pt"
    save_agent(path, agent, {"env": "CartPole-v1"})
    return str(path)


def test_a_loaded_dqn_is_watched_without_replay_then_trained(app, tmp_path):
    assert app.agent_files.load_agent_from(_cartpole_file(tmp_path))
    app.run_frames(2)
    # the file's world replaced the maze on screen, and both notes say so
    assert "on CartPole-v1 (now open)." in app.status.message
    assert "trained on CartPole-v1 (its world, now open)" in app.info.arithmetic_text
    agent = app.session.agent
    assert agent.kind == "dqn" and agent.device == "cpu" and agent.buffer is None
    before, steps = dqn_bytes(agent), agent.num_steps
    app.command(Watch(True))
    app.state.speed = None
    app.controls.sync()
    assert watch_until(app, 300) >= 300  # flat out: the training worker plays it
    app.run_frames(2)
    assert agent.buffer is None and dqn_bytes(agent) == before and agent.num_steps == steps
    assert "return" in app.status.stats_text and "Watching (not learning)" in app.status.stats_text
    assert "watching (not learning)" in app.info.arithmetic_text.lower()
    view = app.gym_view
    assert view.q is not None and len(view.q) == 2  # Q bars of the watched network
    app.command(Watch(False))
    assert train_until(app, 60) >= 60
    stop(app)
    assert agent.replay_size > 0 and agent.num_updates > 0 and dqn_bytes(agent) != before


def test_play_watch_on_the_command_line(monkeypatch):
    seen = {}

    def fake_run_app(spec, device=None, agent_file=None, watch=False):
        seen.update(spec=spec, device=device, agent_file=agent_file, watch=watch)
        return 0

    monkeypatch.setattr("app.main.run_app", fake_run_app)
    assert main.main(["play", "CartPole-v1", "--agent-file", "m.pt", "--watch",
                      "--device", "cpu"]) == 0
    assert seen == {"spec": "CartPole-v1", "device": "cpu", "agent_file": "m.pt", "watch": True}
    assert cli.build_parser().parse_args(["play"]).watch is False


@pytest.mark.slow
def test_watching_an_atari_game_shows_frame_network_view_and_q_bars(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    env, _ = make_env("ALE/SpaceInvaders-v5")
    agent = build("dqn", env, {"buffer_size": 100_000}, seed=0, device="cpu")
    path = tmp_path / "si.pt"
    save_agent(path, agent, {"env": "ALE/SpaceInvaders-v5"})
    env.close()
    app = App("mouse", offer_recovery=False, device="cpu")
    try:
        app.run_frames(2)
        assert app.agent_files.load_agent_from(path)
        app.command(Watch(True))
        app.state.speed = 120.0
        app.controls.sync()
        assert watch_until(app, 40) >= 40
        app.run_frames(3)
        loaded = app.session.agent
        assert loaded.uses_frame_replay and loaded.buffer is None and loaded.num_steps == 0
        view = app.gym_view
        assert view.q is not None and len(view.q) == 6
        assert view.inputs_rect.height > 0  # what the network sees
        frame = pygame.surfarray.array3d(app.screen)
        r = view.image_rect
        assert frame[r.left:r.right, r.top:r.bottom].std() > 5
        assert "Watching (not learning)" in app.status.stats_text
    finally:
        app.close()


def test_load_agent_honours_the_apps_device_on_a_gpu_machine(app, tmp_path, monkeypatch):
    path = _cartpole_file(tmp_path)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)  # "auto" would pick cuda now
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert app.training.device == "cpu"
    assert app.agent_files.load_agent_from(path)
    assert app.session.agent.device == "cpu"
    app.command(Watch(True))
    app.run_frames(3)
    assert "DQN on CPU" in app.status.stats_text and app.session.agent.buffer is None


def test_watching_can_be_switched_off_while_there_is_no_session(app):
    app.command(Watch(True))
    app.training.drop_session()  # what an invalid level does to an env's session
    app.command(Watch(False))
    app.run_frames(2)
    assert not app.training.watching and app.running
