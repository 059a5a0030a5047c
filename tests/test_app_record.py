"""Agents as files and pictures from the app: save / load agents, F12, GIFs of greedy episodes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pygame_gui
import pytest
from apphelp import click, play_until, press, small_dqn, stop, train, train_until
from PIL import Image

from agents.evaluation import greedy_rollout
from agents.planning import value_iteration
from agents.storage import save_agent
from agents.tabular import QLearning
from app import colors as C
from app.app import App
from app.board import LEGEND_STRIP
from app.boardfilm import FILM_WIDTH, MAX_FILM_CELL
from app.commands import ChooseLevel
from app.envfactory import open_world

ROOT = str(Path(__file__).resolve().parents[1])
LAKE = "FrozenLake-v1:is_slippery=True"


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RL_SANDBOX_CAPTURE_DIR", str(tmp_path / "captures"))
    monkeypatch.chdir(tmp_path)
    app = App("mouse", offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def pick_file(app: App, path: Path) -> None:
    """Answer the open file dialog as pygame_gui does when the user presses OK."""
    dialog = list(app.dialogs._file_callbacks)[-1]
    pygame.event.post(pygame.event.Event(pygame_gui.UI_FILE_DIALOG_PATH_PICKED,
                                         {"text": str(path), "ui_element": dialog}))
    dialog.kill()
    app.run_frames(3)


def rollout(spec: str, agent, seed: int = 5) -> list[tuple[int, float]]:
    """A greedy episode on a fresh env of ``spec``: (action, reward) per step."""
    world = open_world(spec)
    try:
        return [(s.action, s.reward) for s in greedy_rollout(world.env, agent, seed)]
    finally:
        world.close()


def test_f12_saves_a_screenshot_and_shows_its_path(app, tmp_path):
    press(app, pygame.K_F12)
    shots = list((tmp_path / "captures").glob("*.png"))
    assert len(shots) == 1 and str(shots[0]) in app.status.message
    assert pygame.image.load(str(shots[0])).get_size() == app.screen.get_size()


def test_record_gif_films_a_greedy_episode_without_disturbing_training(app, tmp_path):
    app.worlds.open_spec("FrozenLake-v1:is_slippery=False")
    train_until(app, 50_000)  # enough to learn the six-step path, however fast a frame is
    stop(app)
    session = app.session
    # How far 20 frames train depends on the machine; the film needs a solved lake, so plant one.
    session.agent.q[:] = value_iteration(session.env.unwrapped.P, 0.99)
    q = session.agent.q.copy()
    rng_state = session.agent.rng.bit_generator.state
    steps, state = session.total_steps, session.state
    click(app, app.controls.agent_buttons["record"])
    # The episode is filmed a step or more per frame, then the GIF is written on a worker
    # thread: wait by counting frames and joining the thread, never by the clock.
    flow = app.agent_files
    assert play_until(app, lambda: flow.gif_job is not None or flow.last_gif is not None)
    if flow.gif_job is not None:
        flow.gif_job.join(timeout=600)  # a hang guard only: writing takes milliseconds
    assert play_until(app, lambda: flow.last_gif is not None, max_frames=5)
    gif_path = app.agent_files.last_gif
    assert gif_path is not None and str(gif_path) in app.status.message
    with Image.open(gif_path) as gif:
        assert gif.n_frames >= 7  # the start, six moves to the goal (consecutive frames differ)
        cell = min(MAX_FILM_CELL, FILM_WIDTH // 4)  # drawn by the board, not the env's 256 px
        assert gif.size == (4 * cell, 4 * cell + LEGEND_STRIP)
        gif.seek(0)
        colours = np.array([c for _n, c in gif.convert("RGB").getcolors(1 << 16)])
        assert (np.abs(colours - np.array(C.BACKGROUND)).sum(axis=1) <= 9).any()  # app palette
    assert "return 1 in 6 steps" in app.status.message
    # training is exactly where it was: same Q, same Generator state, same episode
    assert np.array_equal(session.agent.q, q)
    assert session.agent.rng.bit_generator.state == rng_state
    assert (session.total_steps, session.state) == (steps, state)


def test_saved_tabular_agent_reloads_with_its_env_and_the_same_greedy_run(app, tmp_path):
    app.worlds.open_spec(LAKE)
    train(app, 30, speed=None)
    stop(app)
    agent = app.session.agent
    before = rollout(LAKE, agent)
    click(app, app.controls.agent_buttons["save_agent"])
    pick_file(app, tmp_path / "lake")  # the suffix is added: a Q-table is an .npz
    assert (tmp_path / "lake.npz").exists() and "lake.npz" in app.status.message
    app.command(ChooseLevel("mouse"))
    app.run_frames(2)
    assert app.world is None
    click(app, app.controls.agent_buttons["load_agent"])
    pick_file(app, tmp_path / "lake.npz")
    assert app.world is not None and app.world.spec == LAKE  # the file's env came back
    loaded = app.session.agent
    assert loaded is not agent and np.array_equal(loaded.q, agent.q)
    assert rollout(LAKE, loaded) == before
    assert "G watches it" in app.status.message


def test_saved_dqn_reloads_and_plays_the_same_greedy_episode(app, tmp_path):
    app.worlds.open_spec("CartPole-v1")
    small_dqn(app)
    train_until(app, 200)  # past learning_starts, however many steps a frame gets
    stop(app)
    agent = app.session.agent
    assert agent.num_updates > 0
    before = rollout("CartPole-v1", agent)
    assert app.agent_files.save_agent_to(tmp_path / "pole")
    assert (tmp_path / "pole.pt").exists()
    app.worlds.open_spec("Acrobot-v1")
    assert app.agent_files.load_agent_from(tmp_path / "pole.pt")
    assert app.world.spec == "CartPole-v1" and app.session.agent.kind == "dqn"
    assert rollout("CartPole-v1", app.session.agent) == before


def test_an_agent_trained_by_the_cli_opens_and_can_be_watched(app, tmp_path):
    """Margin, measured on seeds 0-9 (the CLI's default is 0): the greedy run reaches the goal
    from 25-175 episodes on; the CLI trains 400."""
    out = tmp_path / "cli.npz"
    proc = subprocess.run(
        [sys.executable, "main.py", "train", "--env", "FrozenLake-v1:is_slippery=False",
         "--agent", "q-learning", "--episodes", "400", "--epsilon-decay", "0.01",
         "--alpha", "0.5", "--out", str(out)], cwd=ROOT, capture_output=True, text=True,
        timeout=120)
    assert proc.returncode == 0, proc.stderr[-500:]
    assert app.agent_files.load_agent_from(out)
    assert app.world is not None and app.world.resolved.env_id == "FrozenLake-v1"
    assert app.session.agent.q.any()
    press(app, pygame.K_g)  # watch a greedy run
    assert app.demo
    for _ in range(300):
        if not app.demo:
            break
        app.run_frames(1)
    assert not app.demo and "Greedy run: return 1" in app.status.message


def test_agent_files_that_do_not_fit_are_refused_in_one_sentence(app, tmp_path):
    stray = tmp_path / "stray.npz"
    save_agent(stray, QLearning(7, 3), {})  # no env named, and 7 x 3 fits nothing here
    session = app.session
    assert not app.agent_files.load_agent_from(stray)
    message = app.status.message
    assert "does not fit this env" in message and message.count(". ") == 0
    assert app.session is session and app.dialogs.messages
    junk = tmp_path / "junk.pt"
    junk.write_bytes(b"not a torch file")
    assert not app.agent_files.load_agent_from(junk)
    assert "junk.pt" in app.status.message and app.session is session


def test_the_last_update_box_is_cleared_when_the_world_or_agent_changes(app, tmp_path):
    from app.statusbar import STEP_NOTE

    def stepped() -> None:
        press(app, pygame.K_n)
        assert app.arithmetic_text != STEP_NOTE and "Q(" in app.arithmetic_text

    stepped()
    app.worlds.open_spec("FrozenLake-v1:is_slippery=False")
    assert app.arithmetic_text == STEP_NOTE
    stepped()
    assert app.agent_files.save_agent_to(tmp_path / "lake")
    app.worlds.open_spec("CliffWalking-v1")
    stepped()
    assert app.agent_files.load_agent_from(tmp_path / "lake.npz")
    assert app.world.resolved.env_id == "FrozenLake-v1" and app.arithmetic_text == STEP_NOTE
    stepped()
    assert app.training.change_agent("sarsa")
    assert "Q(" not in app.arithmetic_text
