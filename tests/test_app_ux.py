"""Your own maze must learn: a level built in the app from scratch learns, settings follow the
level, shortcuts act on the app whatever was clicked last, and the board reads. Headless, driven
with synthetic events through the same paths as a user's."""

from __future__ import annotations

import json
import time

import pygame
import pytest
from apphelp import cell_click, click, drag, press, stop, train_until

from agents import cli
from agents.evaluation import greedy_rollout
from app.app import App
from levels.gridmaze import GridMazeEnv
from levels.level import Level, default_max_steps
from levels.levelfile import load_level


@pytest.fixture
def state_dir(tmp_path, monkeypatch):
    folder = tmp_path / "state"
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(folder))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    return folder


@pytest.fixture
def app(state_dir):
    app = App("mouse", size=(1280, 800), offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def paint(app: App, tool: int, cells: list[tuple[int, int]]) -> None:
    press(app, tool)
    for cell in cells:
        cell_click(app, cell)


def new_level(app: App, rows: int, cols: int) -> None:
    app.controls.rows_entry.set_text(str(rows))
    app.controls.cols_entry.set_text(str(cols))
    click(app, app.controls.file_buttons["new"])


# ---- 1. a new level gets its own settings; Save As names it after the file ----------------------
def test_new_level_does_not_inherit_max_steps_and_save_as_names_it(app, tmp_path):
    assert app.level.max_steps == 5  # the mouse level's
    new_level(app, 8, 8)
    level = app.level
    assert (level.nrows, level.ncols) == (8, 8) and level.max_steps == default_max_steps(level)
    assert level.max_steps >= 4 * 64 and app.session.env.level.max_steps == level.max_steps
    app.files.save_to(tmp_path / "my8x8.txt")
    assert "name: my8x8\n" in (tmp_path / "my8x8.txt").read_text()
    assert app.level.name == "my8x8" and not app.editor.dirty


def test_new_and_generate_on_an_untouched_level_do_not_ask(app):
    new_level(app, 6, 6)
    assert not app.dialogs.modal_open()
    click(app, app.controls.file_buttons["generate"])
    assert not app.dialogs.modal_open() and not app.editor.dirty
    paint(app, pygame.K_6, [(0, 1)])  # now the user has drawn something: New asks, clearly
    assert app.editor.dirty
    click(app, app.controls.file_buttons["new"])
    assert app.dialogs.modal_open()
    titles = [d.window_display_title for d in app.dialogs._choice_callbacks if d.alive()]
    assert titles and titles[0].startswith("Discard edits to")


# ---- 3. shortcuts act on the app whatever widget was clicked last ------------------------------
def test_space_plays_after_a_check_box_was_clicked(app):
    box = app.controls.overlay_boxes["trail"]
    click(app, box)
    assert app.state.overlays["trail"] is False and box.is_focused
    press(app, pygame.K_SPACE)
    assert app.playing and app.state.overlays["trail"] is False  # the box kept its state
    press(app, pygame.K_SPACE)
    assert not app.playing
    press(app, pygame.K_m)
    assert app.training.drive


def test_a_focused_text_entry_keeps_its_keys(app):
    entry = app.controls.rows_entry
    click(app, entry)
    assert entry.is_focused
    app.run_frames(2, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0,
                                          unicode=" ", scancode=0)])
    assert not app.playing


# ---- done when: a level built from scratch in the app learns ----------------------------------
WALLS = [(1, c) for c in range(1, 7)] + [(2, 1), (2, 6), (3, 1), (3, 3), (3, 4), (3, 6),
                                         (4, 1), (4, 3), (4, 6), (5, 1), (5, 2), (5, 3), (5, 6),
                                         (6, 5), (6, 6)] + [(7, c) for c in range(7)]
START, GOAL, BIG_CHEESE, POISON = (0, 0), (7, 7), (4, 2), (4, 4)
LEARN_STEPS = 120_000  # with the default knobs every seed of 0-9 goes to the cheese by 50k steps
STALL_STEPS = 600_000  # with every Q-value at 0 the hint came by ~120k steps on every seed tried


def build_from_scratch(app: App) -> Level:
    """New 8x8, walls, start, goal 14 steps away, big cheese 20 steps away, poison beside the
    way to it: all with the paint tools, as a person would."""
    new_level(app, 8, 8)
    paint(app, pygame.K_2, [(7, 7)])  # the blank level's goal becomes floor
    paint(app, pygame.K_3, WALLS)
    paint(app, pygame.K_1, [START])
    paint(app, pygame.K_5, [GOAL])
    paint(app, pygame.K_6, [BIG_CHEESE])
    paint(app, pygame.K_8, [POISON])
    return app.level


def build_checked(app: App) -> None:
    """The level built from scratch is valid and is the maze the test means."""
    level = build_from_scratch(app)
    assert level.problems() == [] and app.valid and level.max_steps >= 2 * 20
    dist = level.distances_from_start()
    assert dist[GOAL] == 14 and dist[BIG_CHEESE] == 20


def train_paced(app: App, steps: int, per_frame: int = 5_000) -> int:
    """Play at a set speed (``per_frame`` steps per 1/60 s frame) until ``steps`` ran.

    At full speed a fast machine trains hundreds of thousands of steps between two looks of
    the stall watch (which looks when the view re-reads the session, ~15 times a second); a
    set speed makes how much learning it sees between looks the same on any machine.
    """
    app.state.speed = per_frame * 60.0
    app.controls.sync()
    before = app.session.total_steps
    if not app.playing:
        press(app, pygame.K_SPACE, frames=1)
    for _ in range(4 * steps // per_frame):
        if app.session.total_steps - before >= steps:
            break
        app.run_frames(1)
        time.sleep(0.002)  # let the view's refresh clock move on (and the watch's worker run)
    return app.session.total_steps - before


def greedy_end(app: App) -> tuple[tuple[int, int], int]:
    """Where the greedy run from the start ends, and in how many steps."""
    env = GridMazeEnv(app.level)
    run = greedy_rollout(env, app.session.agent, seed=0, max_steps=app.level.max_steps)
    return divmod(int(run[-1].next_obs) % env.n_cells, env.ncol), len(run)


def wait_for_optimum(app: App) -> None:
    """Q* (what the stall watch compares with) is planned in the background: wait for it, so
    every step trained is watched."""
    app.optimal.request(app.session.env, app.session.agent.gamma)
    deadline = time.monotonic() + 60
    while not app.optimal.ready and time.monotonic() < deadline:
        time.sleep(0.01)
    assert app.optimal.ready


@pytest.mark.parametrize("seed", range(5))
def test_a_level_built_in_the_app_learns_to_reach_the_big_cheese(state_dir, seed):
    """Built from scratch, Play at max speed with the default knobs: the panel shows the initial
    Q the agent uses, "auto", optimistic at the level's largest reward (the big cheese's 10), and
    within LEARN_STEPS the greedy run goes past the near goal to the big cheese.

    Margin, measured in the app on seeds 0-9, looking every 2k steps to 150k: the greedy run
    ends on the cheese at every look from 38-50k steps on (headless, with the same knobs, it
    stays there to 1.5M steps); LEARN_STEPS is 2.4x the slowest seed.
    """
    app = App("mouse", size=(1280, 800), seed=seed, offer_recovery=False)
    try:
        app.run_frames(2)
        build_checked(app)
        learns_the_cheese_from_auto(app)
    finally:
        app.close()


def learns_the_cheese_from_auto(app: App) -> None:
    """Initial Q "auto" stands for 10 here; LEARN_STEPS at max speed, then the greedy run eats
    the big cheese in 20 steps."""
    assert app.controls.value_labels["initial_q"].get_text() == "auto (10)"
    assert app.session.agent.initial_q == 10.0 and (app.session.agent.q == 10.0).all()
    assert train_until(app, LEARN_STEPS, max_frames=20_000) >= LEARN_STEPS
    stop(app)
    assert greedy_end(app) == (BIG_CHEESE, 20)


@pytest.mark.parametrize("seed", range(5))
def test_with_every_q_value_at_0_learning_stalls_and_the_app_says_what_to_try(state_dir, seed):
    """The same level with initial Q typed to 0 (the knob before it was "auto"): the agent
    settles for the near goal, the stall watch says so and what to try; typing "auto" back
    (the optimistic initial Q it suggests) and training on, the greedy run goes to the cheese."""
    app = App("mouse", size=(1280, 800), seed=seed, offer_recovery=False)
    try:
        app.run_frames(2)
        app.live.stall_check_s = 0.0  # look at every refresh: independent of the machine's speed
        build_checked(app)
        type_value(app, "initial_q", "0")
        assert app.session.agent.initial_q == 0.0 and not app.session.agent.q.any()
        assert app.controls.value_labels["initial_q"].get_text() == "0"
        wait_for_optimum(app)
        assert train_paced(app, STALL_STEPS) >= STALL_STEPS
        stop(app)
        assert greedy_end(app)[0] == GOAL  # it settled for the goal...
        hint = app.live.stall_hint  # ...and the app says so, and what to try
        assert hint is not None and hint.startswith("Learning has stalled")
        assert "optimistic initial Q (e.g. 10)" in hint
        type_value(app, "initial_q", "auto")
        learns_the_cheese_from_auto(app)
    finally:
        app.close()


def test_the_app_and_the_cli_start_the_built_level_from_the_same_initial_q(app, tmp_path,
                                                                              capsys):
    build_checked(app)
    app.files.save_to(tmp_path / "built.txt")
    assert cli.main(["train", "--env", str(tmp_path / "built.txt"), "--steps", "10", "--out",
                     str(tmp_path / "built.npz"), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["initial_q"] == app.session.agent.initial_q == 10
    assert app.controls.value_labels["initial_q"].get_text() == "auto (10)"
    type_value(app, "initial_q", "2.5")  # a number typed is used as it is...
    assert app.session.agent.initial_q == 2.5 and (app.session.agent.q == 2.5).all()
    assert app.controls.value_labels["initial_q"].get_text() == "2.5"
    type_value(app, "initial_q", "lots")  # ...and what is neither a number nor auto refused
    assert "not a number" in app.status.message and app.session.agent.initial_q == 2.5


def test_the_built_level_is_the_one_in_the_test_data():
    """The maze the test paints, as text, so a reader can see it."""
    grid = ["S.......", ".######.", ".#....#.", ".#.##.#.", ".#C#P.#.", ".###..#.",
            ".....##.", "#######G"]
    level = Level(grid=tuple(grid))
    assert level.distances_from_start()[GOAL] == 14
    assert load_level("mouse").max_steps == 5


# ---- 4. exact knobs ----------------------------------------------------------------------------
def type_value(app: App, name: str, text: str) -> None:
    entry = app.controls.value_labels[name]
    click(app, entry)
    entry.set_text(text)
    press(app, pygame.K_RETURN)


def test_typed_values_are_used_exactly_and_checked_like_the_cli(app):
    type_value(app, "gamma", "0.987")
    assert app.session.agent.gamma == 0.987
    assert app.controls.value_labels["gamma"].get_text() == "0.987"
    assert app.controls.sliders["gamma"].get_current_value() == pytest.approx(0.987)
    type_value(app, "gamma", "0.99")  # back to exactly 0.99, which a drag could not reach
    assert app.session.agent.gamma == 0.99
    type_value(app, "alpha", "2")
    assert app.session.agent.alpha == pytest.approx(0.1)  # refused, nothing changed
    assert "alpha" in app.status.message and "2" in app.status.message
    assert app.controls.value_labels["alpha"].get_text() == "0.1"
    type_value(app, "epsilon", "lots")
    assert "not a number" in app.status.message


def test_slider_drags_snap_to_round_values(app):
    slider = app.controls.sliders["gamma"]
    handle = slider.sliding_button.rect.center
    drag(app, handle, (-5, -11, -17))
    app.run_frames(2)
    gamma = app.session.agent.gamma
    assert gamma < 0.99 and round(gamma / 0.005, 6) == round(gamma / 0.005)
    assert app.controls.value_labels["gamma"].get_text() == f"{gamma:g}"


# ---- level settings in the app -----------------------------------------------------------------
def test_level_settings_window_changes_the_running_level_undoably_and_saves(app, tmp_path):
    new_level(app, 6, 6)
    press(app, pygame.K_l)
    window = app.dialogs.settings_window
    assert window is not None and window.alive()
    assert window.entries["max_steps"].get_text() == str(app.level.max_steps)
    q_before = app.session.agent.q.copy()
    q_before[3, 1] = 0.5
    app.session.agent.q[3, 1] = 0.5  # something learnt: the same states, so it is kept
    window.entries["reward.big_cheese"].set_text("25")
    window.entries["max_steps"].set_text("77")
    window.entries["name"].set_text("my level")
    click(app, window.slippery)
    click(app, window.apply_button)
    level = app.level
    assert (level.rewards.big_cheese, level.max_steps, level.name, level.slippery) == \
        (25.0, 77, "my level", True)
    env = app.session.env.unwrapped
    assert env.level.max_steps == 77 and env.level.slippery  # the running env follows at once
    assert app.session.agent.q[3, 1] == 0.5
    assert "max_steps" in app.status.message and "77" in app.status.message
    window.entries["max_steps"].set_text("0")  # a bad value: named, nothing changes
    click(app, window.apply_button)
    assert app.level.max_steps == 77 and "Max steps" in window.message.text
    press(app, pygame.K_z, pygame.KMOD_CTRL)  # one undo takes the whole change back
    assert app.level.max_steps == default_max_steps(app.level) and not app.level.slippery
    assert window.entries["max_steps"].get_text() == str(app.level.max_steps)
    press(app, pygame.K_y, pygame.KMOD_CTRL)
    app.files.save_to(tmp_path / "mine.txt")
    text = (tmp_path / "mine.txt").read_text()
    assert "max_steps: 77\n" in text and "reward.big_cheese: 25\n" in text
    assert "slippery: true\n" in text


def test_grid_only_controls_are_disabled_on_a_gymnasium_env(app):
    app.worlds.open_spec("CartPole-v1")
    app.run_frames(2)
    buttons = app.controls.level_section.file_buttons
    assert not buttons["new"].is_enabled and not buttons["generate"].is_enabled
    assert not app.controls.level_section.settings_button.is_enabled
    assert buttons["open"].is_enabled
