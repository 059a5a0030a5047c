"""Gymnasium envs in the app: the picker, every listed env training, failures keeping the app."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pygame
import pytest
from apphelp import click, key, press, small_dqn, stop, train, train_until

from app.app import App
from app.commands import ChooseLevel
from app.envfactory import APP_ENVS

ROOT = str(Path(__file__).resolve().parents[1])
GYM_ENVS = [e for e in APP_ENVS if not e.label.startswith("Level:")]


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("RL_SANDBOX_CAPTURE_DIR", str(tmp_path / "captures"))
    app = App("mouse", offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def test_every_listed_env_is_offered():
    labels = {e.label for e in GYM_ENVS}
    assert {"FrozenLake 4x4", "FrozenLake 8x8", "Taxi", "CliffWalking", "CartPole",
            "MountainCar", "Acrobot"} <= labels


@pytest.mark.parametrize("entry", [
    pytest.param(e, marks=pytest.mark.slow) if e.spec.startswith("ALE/") else e for e in GYM_ENVS
], ids=[e.label for e in GYM_ENVS])  # an Atari game trains a CNN: seconds per step here
def test_each_listed_env_loads_and_trains_a_few_hundred_steps(app, entry):
    app.worlds.open_spec(entry.spec)
    world = app.world
    assert world is not None and app.worlds.view_kind == world.kind
    assert app.session.env is world.env
    if app.state.agent_kind == "dqn":
        small_dqn(app)
    # steps, not frames: a busy machine trains fewer per frame
    steps = train_until(app, 200, speed=None if app.state.agent_kind == "dqn" else 1200.0)
    stop(app)
    assert steps >= 200, f"only {steps} steps"
    assert app.session.error is None and app.status.message.find("error") < 0
    snap = app.session.snapshot()
    assert snap.episode_step >= 0 and app.session.total_steps == snap.total_steps
    if world.kind in ("grid", "taxi"):
        values = app.live.values
        assert values is not None and np.isfinite(values.value).any()
        # the board shows the env's own map (FrozenLake holes, the cliff, Taxi's depots)
        assert app.board.nrows == world.grid.nrows and app.board.ncols == world.grid.ncols
    if world.kind in ("taxi", "frame"):
        view = app.gym_view
        assert view.q is not None and len(view.q) == world.env.action_space.n
        assert view.image_rect.width > 50  # the env's own frame is on screen
        frame = pygame.surfarray.array3d(app.screen)
        r = view.image_rect
        assert frame[r.left:r.right, r.top:r.bottom].std() > 5  # a picture, not a blank box
    if app.state.agent_kind == "dqn":
        assert app.session.agent.num_updates > 0  # gradient steps ran inside the frame loop


def test_unknown_env_id_shows_the_message_and_keeps_the_previous_env(app):
    app.worlds.open_spec("FrozenLake-v1:is_slippery=False")
    session, world = app.session, app.world
    press(app, pygame.K_e)
    picker = app.worlds.picker
    assert picker is not None and picker.alive()
    picker.entry.set_text("NoSuchEnv-v9")
    click(app, picker.open_button)
    assert picker.alive()
    assert picker.error_text.startswith("unknown environment 'NoSuchEnv-v9'")
    assert app.world is world and app.session is session and not world.closed
    click(app, picker.cancel_button)
    assert not picker.alive()
    train(app, 5, speed=500.0)  # the previous env still trains
    stop(app)
    assert app.session is session and session.total_steps > 0
    press(app, pygame.K_e)
    picker = app.worlds.picker
    picker.entry.set_text("CliffWalking-v1")
    click(app, picker.open_button)
    assert not picker.alive() and app.world.resolved.env_id == "CliffWalking-v1"
    assert world.closed and pygame.display.get_init() and pygame.font.get_init()


def test_failures_of_other_kinds_keep_the_app_as_it_was(app):
    level_session = app.session
    for spec, words in (("Pendulum-v1", "continuous action space"),
                        ("levels/nope.txt", "nope.txt")):
        with pytest.raises(ValueError, match=words):
            app.worlds.open_spec(spec)
        assert app.world is None and app.session is level_session
    app.run_frames(2)
    assert app.editor.enabled


def test_grid_env_is_not_editable_and_a_level_brings_editing_back(app):
    app.worlds.open_spec("FrozenLake8x8-v1")
    assert not app.editor.enabled and not app.controls.tool_buttons
    assert not app.controls.file_buttons["save"].is_enabled
    tiles = app.worlds.world_tiles()
    assert tiles[0][0] == "S" and "H" in "".join(tiles) and len(tiles) == 8
    cell = app.board.cell_rect(2, 2).center  # painting does nothing on a Gymnasium map
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONDOWN, pos=cell, button=1)])
    app.run_frames(1, [pygame.event.Event(pygame.MOUSEBUTTONUP, pos=cell, button=1)])
    assert app.worlds.world_tiles() == tiles
    press(app, pygame.K_s, pygame.KMOD_CTRL)  # Ctrl+S: nothing to save, and it says so
    assert "not editable" in app.status.message and app.running
    app.command(ChooseLevel("mouse"))  # the level drop-down
    app.run_frames(2)
    assert app.world is None and app.editor.enabled and app.controls.tool_buttons
    assert app.level.name == "mouse" and app.session.env.unwrapped.level.name == "mouse"


def test_env_button_and_shortcut_open_the_picker_with_the_current_world(app):
    click(app, app.controls.env_button)
    assert app.worlds.picker_open() and app.worlds.picker.entry.get_text() == "mouse"
    app.run_frames(2, key(pygame.K_ESCAPE))
    assert not app.worlds.picker_open()
    app.worlds.open_spec("Taxi-v4")
    press(app, pygame.K_e)
    assert app.worlds.picker.entry.get_text() == "Taxi-v4"
    assert app.worlds.picker.env_list.get_single_selection() == "Taxi"


def test_taxi_shows_frame_bars_and_the_situation_board(app):
    app.worlds.open_spec("Taxi-v4")
    train(app, 20, speed=2000.0)
    stop(app)
    assert app.board.nrows == 5 and app.board.ncols == 5
    assert app.live.taxi_caption.startswith("Q arrows for: passenger ")
    layer = int(app.session.grid.layer[app.session.state])
    assert app.live.layer == layer  # the board shows the taxi's own situation
    assert app.gym_view.rect.right <= app.board.rect.left
    assert app.gym_view.action_names[-2:] == ("pickup", "dropoff")


def test_gymnasium_id_on_the_command_line_opens_that_env(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    app = App("CliffWalking-v1", offer_recovery=False)
    try:
        assert app.world is not None and app.world.kind == "grid"
    finally:
        app.close()


def test_start_up_and_tabular_envs_stay_torch_free_until_a_dqn_is_chosen(tmp_path):
    code = (
        "import os, sys; os.environ['SDL_VIDEODRIVER'] = 'dummy'; "
        "os.environ['SDL_AUDIODRIVER'] = 'dummy'; "
        f"os.environ['RL_SANDBOX_STATE_DIR'] = {str(tmp_path)!r}; "
        "from app.app import App; from app.commands import ChooseAgent; "
        "a = App('mouse', offer_recovery=False); a.run_frames(3); "
        "a.worlds.open_spec('FrozenLake-v1'); a.command(ChooseAgent('sarsa')); a.run_frames(3); "
        "before = 'torch' in sys.modules; a.command(ChooseAgent('dqn')); "
        "sys.path.insert(0, 'tests'); from apphelp import dqn_built; dqn_built(a); "
        "print(before, 'torch' in sys.modules, a.session.agent.kind); a.close()"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-800:]
    assert out.stdout.split()[-3:] == ["False", "True", "dqn"]


def test_picker_entries_do_not_share_slippery_and_the_title_names_the_variant(app):
    press(app, pygame.K_e)
    picker = app.worlds.picker
    for label in ("FrozenLake 8x8", "CliffWalking"):
        item = next(i for i in picker.env_list.item_list if i["text"] == label)
        click(app, item["button_element"])
    click(app, picker.open_button)
    assert app.world.spec == "CliffWalking-v1:is_slippery=False"
    assert pygame.display.get_caption()[0] == "RL Sandbox \u2014 CliffWalking-v1"
    app.worlds.open_spec("CliffWalking-v1:is_slippery=True")
    assert pygame.display.get_caption()[0] == "RL Sandbox \u2014 CliffWalking-v1 \u00b7 slippery"
    assert "Opened CliffWalking-v1 \u00b7 slippery" in app.status.message


@pytest.mark.parametrize(("spec", "cell", "colour", "plain"), [
    ("FrozenLake-v1:map_name='8x8'", (7, 7), (150, 226, 140), (0, 7)),
    ("CliffWalking-v1", (3, 5), (240, 130, 140), (2, 5)),
])
def test_grid_envs_write_their_rewards_in_the_cells(app, spec, cell, colour, plain):
    """FrozenLake's goal says "+1", each cliff cell "-100", as a level's reward cells do; a cell
    that pays what every move pays says nothing."""
    app.worlds.open_spec(spec)
    app.run_frames(3)
    rewards = app.live.board_view().rewards
    assert rewards is not None and rewards[cell] in (1.0, -100.0) and rewards[plain] == 0

    def written(at) -> int:
        px = pygame.surfarray.array3d(app.screen.subsurface(app.board.cell_rect(*at)))
        return int((np.abs(px.astype(int) - colour).sum(axis=2) < 30).sum())

    assert written(cell) > 8 and written(plain) == 0


def test_an_image_maze_with_short_episodes_says_how_to_give_them_room(app):
    app.worlds.open_spec("GridMaze-v0:level=maze_small,observation=image")
    app.run_frames(2)
    assert "100-step episodes: reopen it with max_steps=10000 (E)" in app.status.message
    rewards = app.live.board_view().rewards  # the level's, written in the cells as when drawn
    assert rewards is not None and (rewards > 0).sum() == 3  # two small cheeses and the goal
    app.worlds.open_spec("GridMaze-v0:level=maze_small,observation=image,max_steps=10000")
    app.run_frames(2)
    assert app.session.env.unwrapped.level.max_steps == 10_000
    assert "max_steps" not in app.status.message and "from pixels" in app.status.message


def test_files_are_named_after_the_world_shown(app, monkeypatch):
    asked = []
    monkeypatch.setattr(app.dialogs, "pick_file", lambda title, path, *a, **k: asked.append(path))
    app.worlds.open_spec("GridMaze-v0:level=maze_small,observation=image")
    app.agent_files.save_agent_dialog()
    app.worlds.open_spec("FrozenLake-v1")
    app.agent_files.save_agent_dialog()
    assert [p.name for p in asked] == ["maze-small-dqn.pt", "frozenlake-v1-slippery-dqn.pt"]
