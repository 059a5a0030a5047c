"""make_env: bundled names, level files, Gymnasium ids with arguments, renamed and unknown ids."""

import gymnasium as gym
import pytest

from levels.envs import EnvSpecError, make_env, parse_kwargs
from levels.gridmaze import GridMazeEnv
from levels.level import LevelError
from levels.levelfile import load_level


def test_bundled_name():
    env, resolved = make_env("mouse")
    assert isinstance(env.unwrapped, GridMazeEnv)
    assert (resolved.spec, resolved.env_id, resolved.notice) == ("mouse", "GridMaze-v0", None)
    assert resolved.level == load_level("mouse") == env.unwrapped.level


def test_level_path_and_max_steps(tmp_path):
    path = tmp_path / "corridor.txt"
    path.write_text("S...G\n")
    env, resolved = make_env(str(path), max_steps=2)
    assert resolved.spec == str(path) and resolved.level.name == "corridor"
    assert env.unwrapped.level.max_steps == 2
    env.reset(seed=0)
    env.step(0)
    assert env.step(0)[3] is True  # truncated at the overridden limit
    plain = tmp_path / "plain"  # no .txt and no separator in the name, but it exists
    plain.write_text("SG\n")
    assert make_env(str(plain))[1].level.grid == ("SG",)


def test_level_problems_propagate_with_line_and_column(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("name: bad\nS.\n.x\n")
    with pytest.raises(LevelError) as info:
        make_env(str(path))
    assert (info.value.line, info.value.column) == (3, 2)
    with pytest.raises(LevelError, match="no such file"):
        make_env("levels/missing.txt")


def test_gymnasium_id_with_kwargs():
    env, resolved = make_env("FrozenLake-v1:is_slippery=False,map_name=8x8")
    assert env.unwrapped.nrow == 8 and not env.unwrapped.spec.kwargs.get("is_slippery", True)
    assert resolved.kwargs == {"is_slippery": False, "map_name": "8x8"}
    assert resolved.spec == "FrozenLake-v1:is_slippery=False,map_name='8x8'"
    again, resolved2 = make_env(resolved.spec)  # the canonical spec resolves to the same env
    assert resolved2 == resolved and again.unwrapped.nrow == 8
    assert env.spec.max_episode_steps == 100  # gymnasium.make keeps its TimeLimit


def test_parse_kwargs():
    assert parse_kwargs("a=1, b=x ,c=[1, 2],d='p,q',e=None,f=-0.5") == {
        "a": 1, "b": "x", "c": [1, 2], "d": "p,q", "e": None, "f": -0.5}
    assert parse_kwargs("") == {}
    for bad in ("x", "=3", "1a=2", "a=1,a=2"):
        with pytest.raises(EnvSpecError):
            parse_kwargs(bad)


def test_desc_list_argument():
    env, _ = make_env('FrozenLake-v1:desc=["SF", "HG"],is_slippery=False')
    assert env.unwrapped.desc.shape == (2, 2)


@pytest.mark.parametrize(("old", "new"), [("Taxi-v3", "Taxi-v4"),
                                          ("CliffWalking-v0", "CliffWalking-v1"),
                                          ("FrozenLake8x8-v0", "FrozenLake8x8-v1"),
                                          ("FrozenLake-v0", "FrozenLake-v1")])
def test_renamed_ids_run_with_a_notice(old, new):
    assert old not in gym.registry and new in gym.registry
    env, resolved = make_env(old)
    assert resolved.env_id == new and resolved.spec == new
    assert resolved.notice == f"{old} was renamed; running {new}"
    assert env.spec.id == new


def test_unversioned_id_runs_latest():
    _, resolved = make_env("Taxi")
    assert resolved.env_id == "Taxi-v4" and "no version" in resolved.notice


def test_cliffwalking_gets_no_time_limit_unless_asked():
    env, _ = make_env("CliffWalking-v1")
    assert env.spec.max_episode_steps is None
    env, _ = make_env("CliffWalking-v1", max_steps=30)
    assert env.spec.max_episode_steps == 30


@pytest.mark.parametrize(("spec", "suggestion"), [("FrozenLak-v1", "FrozenLake-v1"),
                                                  ("Taxi-v9", "Taxi-v4"), ("mose", "mouse"),
                                                  ("frozenlake4x", "frozenlake4x4")])
def test_unknown_ids_suggest_close_names(spec, suggestion):
    with pytest.raises(EnvSpecError, match="did you mean") as info:
        make_env(spec)
    assert suggestion in str(info.value) and f"'{spec}'" in str(info.value)


def test_construction_failures_are_one_sentence():
    with pytest.raises(EnvSpecError) as info:
        make_env("FrozenLake-v1:bogus=1")
    message = str(info.value)
    assert message.startswith("could not create FrozenLake-v1 with bogus=1: ")
    assert "bogus" in message.split(": ", 1)[1] and "\n" not in message
    with pytest.raises(EnvSpecError, match="map_name='9x9'"):
        make_env("FrozenLake-v1:map_name=9x9")


def test_bad_arguments():
    with pytest.raises(EnvSpecError, match="no environment"):
        make_env("  ")
    with pytest.raises(EnvSpecError, match="max_steps"):
        make_env("mouse", max_steps=0)
    with pytest.raises(EnvSpecError, match="GridMaze-v0 takes level=<bundled name or file> and"):
        make_env("GridMaze-v0:level=mouse,speed=3")


def test_a_gridmaze_id_may_carry_its_step_limit():
    env, resolved = make_env("GridMaze-v0:level=maze_small,observation=image,max_steps=10000")
    assert resolved.level.max_steps == 10_000 and "max_steps=10000" in resolved.spec
    assert make_env(resolved.spec)[1].level.max_steps == 10_000  # the spec reopens it alike
    env.reset(seed=0)
    steps, truncated = 0, False
    while steps < 200 and not truncated:  # a random walk: past the level's own 100 steps
        *_, terminated, truncated, _ = env.step(int(env.action_space.sample()))
        steps += 1
        if terminated:
            env.reset()
    assert steps == 200 and not truncated
    assert make_env("GridMaze-v0:level=cliff,max_steps=50", max_steps=7)[1].level.max_steps == 7
    for bad in ("0", "2.5", "True", "'ten'"):
        with pytest.raises(EnvSpecError, match="max_steps must be a whole number"):
            make_env(f"GridMaze-v0:level=cliff,max_steps={bad}")


def test_gridmaze_id_and_render_mode():
    env, resolved = make_env("GridMaze-v0:level=cliff", render_mode="rgb_array", max_steps=7)
    assert resolved.spec == "GridMaze-v0:level='cliff'" and resolved.level.max_steps == 7
    env.reset(seed=0)
    assert env.render().shape[2] == 3
