"""The reward tool: a person gives a cell its own reward in the app (key 0, click, type or slide)
and the running env pays it there; undo, redo, save and load keep it. Headless, driven with
synthetic events through the same paths as a user's."""

from __future__ import annotations

import pygame
import pytest
from apphelp import cell_click, click, drag, press

from app.app import App
from app.editor import REWARD
from app.rewardwindow import SLIDER_VALUES
from levels.gridmaze import GridMazeEnv
from levels.levelfile import load_level

DOWN = 1  # GridMaze actions: left, down, right, up
FLOOR = (1, 0)  # the mouse level: "Sc." / ".PC"; this cell is floor, right below the start


@pytest.fixture
def app(tmp_path, monkeypatch):
    monkeypatch.setenv("RL_SANDBOX_STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    (tmp_path / "home").mkdir()
    app = App("mouse", size=(1280, 800), offer_recovery=False)
    app.run_frames(2)
    yield app
    app.close()


def type_reward(app: App, text: str) -> None:
    """Type into the focused entry of the cell reward window and press Enter."""
    entry = app.dialogs.reward_window.entry
    assert entry.is_focused
    entry.set_text("")
    app.run_frames(1, [pygame.event.Event(pygame.TEXTINPUT, text=ch) for ch in text])
    assert entry.get_text() == text
    press(app, pygame.K_RETURN)


def paid_stepping_down_from_the_start(app: App) -> float:
    """The running env, stepped from the start onto FLOOR: what it pays."""
    env = app.session.env.unwrapped
    assert isinstance(env, GridMazeEnv)
    env.reset(seed=0)
    _obs, reward, _term, _trunc, info = env.step(DOWN)
    assert divmod(info["cell"], env.ncol) == FLOOR
    return reward


def test_key_0_then_a_click_and_a_typed_reward_pays_it_there_undo_and_redo(app):
    press(app, pygame.K_0)
    assert app.editor.tool is REWARD and app.state.tool == "0"
    assert app.controls.tool_buttons["0"].is_selected
    app.session.agent.q[4, 2] = 0.75  # something learnt: the states stay, so it is kept
    cell_click(app, FLOOR)
    window = app.dialogs.reward_window
    assert window is not None and window.alive() and window.cell == FLOOR
    assert "Floor" in window.about.text and app.level.grid[1] == ".PC"  # nothing painted
    type_reward(app, "-5")
    assert not window.alive()  # Enter took the value and closed the window: the app has the keys
    assert app.level.cell_reward(*FLOOR) == -5.0 and app.editor.dirty
    assert app.session.env.unwrapped.level.cell_reward(*FLOOR) == -5.0  # the env follows at once
    assert app.session.agent.q[4, 2] == 0.75
    assert paid_stepping_down_from_the_start(app) == -5.0 + app.level.rewards.step
    assert "(1, 0)" in app.status.message and "-5" in app.status.message
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert app.level.cell_rewards == () and not app.editor.dirty
    assert paid_stepping_down_from_the_start(app) == app.level.rewards.step
    press(app, pygame.K_y, pygame.KMOD_CTRL)
    assert app.level.cell_reward(*FLOOR) == -5.0
    assert paid_stepping_down_from_the_start(app) == -5.0 + app.level.rewards.step


def test_the_palette_button_picks_the_tool_and_its_tooltip_says_what_it_does(app):
    button = app.controls.tool_buttons["0"]
    assert "reward" in button.text.lower()
    assert "open cell" in REWARD.tooltip and "right-click clears" in REWARD.tooltip
    click(app, button)
    assert app.editor.tool is REWARD


def test_a_cell_reward_is_saved_and_loads_back_identically(app, tmp_path):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    type_reward(app, "2.5")
    cell_click(app, (0, 1))  # the small cheese: its own reward replaces reward.cheese
    type_reward(app, "-0.5")
    path = tmp_path / "mine.txt"
    app.files.save_to(path)
    text = path.read_text()
    assert "reward at 0,1: -0.5\n" in text and "reward at 1,0: 2.5\n" in text
    assert not app.editor.dirty
    assert load_level(path) == app.level
    app.files.open_level(str(path))
    app.run_frames(2)
    assert app.level.cell_rewards == (((0, 1), -0.5), ((1, 0), 2.5))
    assert app.session.env.unwrapped.level.cell_rewards == app.level.cell_rewards


@pytest.mark.parametrize("text", ["lots", "2e6", "nan"])
def test_a_bad_value_is_refused_in_one_sentence_and_changes_nothing(app, text):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    type_reward(app, "3")
    cell_click(app, FLOOR)
    type_reward(app, text)
    assert app.level.cell_reward(*FLOOR) == 3.0 and app.dialogs.reward_window.alive()
    message = app.status.message
    assert "a cell reward must be a number from -1,000,000 to 1,000,000" in message
    assert repr(text) in message and message.count(". ") == 0


def test_a_wall_click_says_why_nothing_happened(app):
    press(app, pygame.K_3)
    cell_click(app, FLOOR)
    assert app.level.grid[1][0] == "#"
    press(app, pygame.K_0)
    before = app.level
    cell_click(app, FLOOR)
    assert app.level == before and app.dialogs.reward_window is None
    assert "wall" in app.status.message and "(1, 0)" in app.status.message


def test_right_click_clears_and_the_slider_is_one_undo_step(app):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    window = app.dialogs.reward_window
    edits = []
    app.editor.on_change(edits.append)
    drag(app, window.slider.sliding_button.rect.center, (16, 32, 48, 64))
    app.run_frames(2)
    value = app.level.cell_reward(*FLOOR)
    assert value in SLIDER_VALUES and value > 0 and window.entry.get_text() == f"{value:g}"
    assert len(edits) >= 2 and {e.action for e in edits} == {"reward"}
    assert app.session.env.unwrapped.level.cell_reward(*FLOOR) == value
    press(app, pygame.K_z, pygame.KMOD_CTRL)  # the whole slide is one edit
    assert app.level.cell_rewards == ()
    press(app, pygame.K_y, pygame.KMOD_CTRL)
    cell_click(app, FLOOR, button=3)
    assert app.level.cell_rewards == () and "tile's reward" in app.status.message
    cell_click(app, FLOOR, button=3)
    assert "no reward of its own" in app.status.message


def test_the_entry_keeps_its_keys_and_shortcuts_act_once_the_value_is_in(app):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    entry = app.dialogs.reward_window.entry
    assert entry.is_focused
    app.run_frames(2, [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_SPACE, mod=0,
                                          unicode=" ", scancode=0),
                       pygame.event.Event(pygame.KEYDOWN, key=pygame.K_3, mod=0,
                                          unicode="3", scancode=0)])
    assert not app.playing and app.editor.tool is REWARD  # typed, not shortcuts
    type_reward(app, "7")
    assert not entry.is_focused and app.level.cell_reward(*FLOOR) == 7.0
    assert not app.manager.get_focus_set()
    press(app, pygame.K_SPACE)
    assert app.playing
    press(app, pygame.K_SPACE)
    press(app, pygame.K_3)
    assert app.editor.tool.label == "Wall"


def test_set_keeps_the_window_open_and_it_follows_undo_and_another_cell(app):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    window = app.dialogs.reward_window
    window.entry.set_text("4")
    click(app, window.set_button)
    assert window.alive() and app.level.cell_reward(*FLOOR) == 4.0
    assert "+4 of its own" in window.about.text
    press(app, pygame.K_z, pygame.KMOD_CTRL)
    assert window.entry.get_text() == "" and "its tile's reward" in window.about.text
    cell_click(app, (0, 2))
    assert app.dialogs.reward_window is window and window.cell == (0, 2)
    assert window.entry.is_focused


def test_the_window_closes_when_its_cell_goes_or_an_env_opens(app):
    press(app, pygame.K_0)
    cell_click(app, FLOOR)
    window = app.dialogs.reward_window
    press(app, pygame.K_ESCAPE)
    assert not window.alive()
    cell_click(app, FLOOR)
    window = app.dialogs.reward_window
    assert window.alive()
    app.worlds.open_spec("FrozenLake-v1")
    app.run_frames(2)
    assert not window.alive()
