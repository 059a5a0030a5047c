"""Level settings as the app edits them: specs, typed values, defaults for new levels, resizing."""

import dataclasses

import pytest

from levels.generate import generate_maze
from levels.level import MAX_STEPS_LIMIT, Level, LevelError, Rewards, default_max_steps
from levels.settings import (
    SPECS,
    changed_settings,
    get_setting,
    name_for_save_as,
    parse_cell_reward,
    resized_level,
    with_setting,
)


def test_every_file_setting_has_a_spec():
    from levels.level import SETTING_KEYS

    assert [s.key for s in SPECS] == list(SETTING_KEYS)
    assert all(s.help and s.label for s in SPECS)


def test_a_typed_cell_reward_has_the_level_files_range():
    assert parse_cell_reward(" -2.5 ") == -2.5 and parse_cell_reward("1e6") == 1e6
    assert parse_cell_reward("") is None  # no reward of its own
    level = Level(("S.G",)).with_cell_reward(0, 1, parse_cell_reward("-1000000"))
    assert Level.from_text(level.to_text()) == level  # what the tool accepts, a file accepts
    for bad in ("1000001", "x", "inf", "nan", "1,5"):
        with pytest.raises(LevelError, match="from -1,000,000 to 1,000,000, got"):
            parse_cell_reward(bad)


def test_typed_values_are_checked_against_the_range():
    spec = {s.key: s for s in SPECS}
    assert spec["max_steps"].parse(" 250 ") == 250
    assert spec["reward.step"].parse("-0.01") == -0.01
    assert spec["slippery"].parse("Yes") is True
    assert spec["name"].parse("  my maze ") == "my maze"
    for key, text, message in [("max_steps", "0", "whole number from 1 to 100000"),
                               ("max_steps", "2.5", "whole number"),
                               ("reward.goal", "lots", "number from -1000 to 1000"),
                               ("reward.goal", "nan", "number from"),
                               ("reward.goal", "1e9", "number from"),
                               ("slippery", "maybe", "true or false"),
                               ("name", "  ", "must not be empty")]:
        with pytest.raises(LevelError, match=message):
            spec[key].parse(text)


def test_with_setting_changes_one_value_and_keeps_the_grid():
    lv = Level.blank(4, 4)
    new = with_setting(with_setting(lv, "reward.big_cheese", 25), "max_steps", 40)
    assert new.rewards.big_cheese == 25.0 and new.max_steps == 40 and new.grid == lv.grid
    assert get_setting(new, "reward.big_cheese") == 25.0
    assert changed_settings(lv, new) == ["max_steps", "reward.big_cheese"]
    assert with_setting(lv, "slippery", True).slippery is True
    with pytest.raises(LevelError, match="unknown setting"):
        with_setting(lv, "gamma", 0.9)
    with pytest.raises(LevelError, match="max_steps"):
        with_setting(lv, "max_steps", MAX_STEPS_LIMIT + 1)
    assert Level.from_text(new.to_text()) == new


def test_new_and_generated_levels_get_a_step_limit_from_their_own_grid():
    blank = Level.blank(8, 8)
    assert blank.max_steps == default_max_steps(blank) == 4 * 64
    assert blank.name == "untitled" and blank.rewards == Rewards() and not blank.slippery
    corridor = Level.from_text("S" + "." * 30 + "G\n")
    assert default_max_steps(corridor) == 4 * 32
    maze = generate_maze(15, 15, seed=2)
    open_cells = sum(ch != "#" for row in maze.grid for ch in row)
    assert maze.max_steps == 4 * open_cells
    assert maze.max_steps >= 2 * int(maze.distances_from_start().max())
    assert default_max_steps(Level.blank(64, 64)) == min(MAX_STEPS_LIMIT, 4 * 64 * 64)


def test_resizing_keeps_chosen_settings_and_says_what_it_changed():
    small = Level.blank(4, 4)
    big, notes = resized_level(small, 10, 10)
    assert big.max_steps == default_max_steps(big)
    assert notes == ["max_steps 64 \u2192 400 (4x the open cells)"]
    chosen = dataclasses.replace(small, max_steps=1000)
    kept, notes = resized_level(chosen, 10, 10)
    assert kept.max_steps == 1000 and notes == []
    short = dataclasses.replace(small, max_steps=5).with_cell_reward(3, 3, 2.0)
    fixed, notes = resized_level(short, 10, 3)
    assert fixed.max_steps == default_max_steps(fixed)
    assert notes == [f"max_steps 5 \u2192 {fixed.max_steps} (4x the open cells)",
                     "1 cell reward outside the new size removed"]


def test_save_as_names_the_level_after_its_file():
    untitled = Level.blank(3, 3)
    assert name_for_save_as(untitled, None, "/home/u/my8x8.txt") == "my8x8"
    opened = dataclasses.replace(untitled, name="old")
    assert name_for_save_as(opened, "/x/old.txt", "/x/new one.txt") == "new one"
    named = dataclasses.replace(untitled, name="Ada's maze")
    assert name_for_save_as(named, "/x/old.txt", "/x/new.txt") == "Ada's maze"
    assert name_for_save_as(generate_maze(5, 5, seed=1), None, "m.txt") == "m"
