"""GridMazeEnv: Gymnasium's API, FrozenLake's dynamics, cheese memory, truncation, rendering."""

import subprocess
import sys
import warnings
from collections import defaultdict

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.envs.toy_text.frozen_lake import MAPS, FrozenLakeEnv
from gymnasium.utils.env_checker import check_env

import levels
from levels.generate import generate_maze
from levels.gridmaze import DOWN, LEFT, RIGHT, UP, GridMazeEnv, TransitionModel
from levels.level import Level, Rewards
from levels.levelfile import bundled_level_names, load_level


def _fl_level(map_name: str, slippery: bool) -> Level:
    return Level(grid=tuple(MAPS[map_name]), slippery=slippery)


def _distribution(outcomes):
    """Aggregate duplicate outcomes: {(next_state, reward, terminated): total probability}."""
    dist = defaultdict(float)
    for p, s, r, t in outcomes:
        if p > 0:
            dist[(int(s), float(r), bool(t))] += p
    return dist


@pytest.mark.parametrize("name", bundled_level_names())
def test_check_env_passes_on_bundled_levels(name):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # check_env reports problems as warnings: make them fail
        for mode in (None, "ansi", "rgb_array"):  # made through gymnasium so it has a spec
            env = gym.make("GridMaze-v0", level=name, render_mode=mode)
            check_env(env.unwrapped, skip_render_check=mode is None)


def test_check_env_passes_through_gymnasium_make():
    env = gym.make("GridMaze-v0", level=generate_maze(9, 11, 3), render_mode="rgb_array")
    check_env(env.unwrapped)
    assert env.spec.max_episode_steps is None  # the level carries its own limit


@pytest.mark.parametrize("map_name", ["4x4", "8x8"])
@pytest.mark.parametrize("slippery", [True, False])
def test_transitions_match_frozenlake(map_name, slippery):
    ours = GridMazeEnv(_fl_level(map_name, slippery))
    theirs = FrozenLakeEnv(map_name=map_name, is_slippery=slippery)
    assert len(ours.P) == len(theirs.P) == ours.observation_space.n
    np.testing.assert_array_equal(ours.initial_state_distrib, theirs.initial_state_distrib)
    for s in range(len(theirs.P)):
        for a in range(4):
            mine, gold = _distribution(ours.P[s][a]), _distribution(theirs.P[s][a])
            assert mine.keys() == gold.keys(), (s, a)
            for key in gold:
                assert mine[key] == pytest.approx(gold[key], abs=1e-12), (s, a, key)
            assert sum(p for p, *_ in ours.P[s][a]) == pytest.approx(1.0)


@pytest.mark.parametrize("name", ["frozenlake4x4", "frozenlake8x8"])
def test_same_seed_same_trajectory_as_frozenlake(name):
    ours = GridMazeEnv(name)
    theirs = FrozenLakeEnv(map_name="4x4" if "4" in name else "8x8", is_slippery=True)
    actions = np.random.default_rng(0).integers(0, 4, size=400)
    for episode_seed in range(5):
        a_obs, _ = ours.reset(seed=episode_seed)
        b_obs, _ = theirs.reset(seed=episode_seed)
        assert a_obs == b_obs
        for action in actions:
            a = ours.step(int(action))
            b = theirs.step(int(action))
            assert (a[0], float(a[1]), a[2]) == (b[0], float(b[1]), b[2])
            assert a[4]["prob"] == b[4]["prob"]
            if a[2] or a[3]:
                break


def _arrays_as_outcomes(arrays, s, a):
    return zip(arrays["prob"][s, a], arrays["next_state"][s, a], arrays["reward"][s, a],
               arrays["terminated"][s, a], strict=True)


@pytest.mark.parametrize("name", ["mouse", "maze_ice", "maze_small", "cliff", "frozenlake8x8"])
def test_transition_arrays_agree_with_P(name):
    env = GridMazeEnv(name)
    arrays = env.transition_arrays()
    k = 3 if env.level.slippery else 1
    for key in ("prob", "next_state", "reward", "terminated"):
        assert arrays[key].shape == (env.n_states, 4, k)
        assert not arrays[key].flags.writeable
    np.testing.assert_allclose(arrays["prob"].sum(axis=2), 1.0)
    for s in range(env.n_states):
        for a in range(4):
            assert _distribution(_arrays_as_outcomes(arrays, s, a)) == pytest.approx(
                _distribution(env.P[s][a]))
    assert env.transition_arrays() is arrays  # built once


def test_mouse_course_example():
    env = gym.make("GridMaze-v0", level="mouse")
    s, info = env.reset(seed=0)
    assert s == 0 and info["prob"] == 1.0
    s1, r1, term, trunc, _ = env.step(RIGHT)  # onto the small cheese
    assert (r1, term) == (1.0, False)
    s2, r2, term, trunc, _ = env.step(DOWN)  # into the poison
    assert (r2, term, trunc) == (-10.0, True, False)
    env.reset()
    rewards = [env.step(a)[1] for a in (RIGHT, RIGHT, DOWN)]  # the optimal path
    assert rewards == [1.0, 0.0, 10.0]


def test_cheese_is_eaten_once_and_encoded_in_the_state():
    lv = Level.from_text("max_steps: 50\nS.c.G\n..c..\n")
    env = GridMazeEnv(lv)
    n = lv.n_cells
    assert env.observation_space.n == n * 4 and lv.small_cheeses == ((0, 2), (1, 2))
    env.reset(seed=1)
    env.step(RIGHT)
    s, r, *_ = env.step(RIGHT)
    assert (s, r) == (2 + n * 0b01, 1.0)  # bit 0: the first cheese in reading order
    s, r, *_ = env.step(LEFT)
    s, r, *_ = env.step(RIGHT)
    assert (s, r) == (2 + n * 0b01, 0.0)  # already eaten: no reward, same mask
    s, r, *_ = env.step(DOWN)
    assert (s, r) == (7 + n * 0b11, 1.0)
    s, r, *_ = env.step(UP)
    assert (s, r) == (2 + n * 0b11, 0.0)
    env.reset()
    env.step(RIGHT)
    s, r, *_ = env.step(RIGHT)
    assert (s, r) == (2 + n, 1.0), "a new episode brings the cheese back"


def test_living_reward_walls_and_terminal_states():
    lv = Level.from_text("reward.step: -1\nreward.hole: -5\nS#\nHG\n")
    env = GridMazeEnv(lv)
    assert env.P[0][RIGHT] == [(1.0, 0, -1.0, False)]  # bumping a wall still costs a step
    assert env.P[0][UP] == [(1.0, 0, -1.0, False)]  # so does the border
    assert env.P[0][DOWN] == [(1.0, 2, -6.0, True)]
    for terminal in (2, 3):
        for a in range(4):
            assert env.P[terminal][a] == [(1.0, terminal, 0.0, True)]


def test_cell_rewards_replace_tile_rewards():
    lv = Level.from_text("reward.step: -0.5\nreward at 0,1: -1\nreward at 1,0: 3\n"
                         "reward at 1,1: 7\nS.G\ncC.\n")
    env = GridMazeEnv(lv)
    n = lv.n_cells
    assert env.P[0][RIGHT] == [(1.0, 1, -1.5, False)]  # floor with its own reward
    assert env.P[0][DOWN] == [(1.0, 3 + n, 2.5, False)]  # small cheese: 3 instead of 1, once
    assert env.P[3 + n][UP] == [(1.0, 0 + n, -0.5, False)]
    assert env.P[0 + n][DOWN] == [(1.0, 3 + n, -0.5, False)]  # eaten: nothing any more
    assert env.P[1][DOWN] == [(1.0, 4, 6.5, True)]  # big cheese pays 7, not 10
    assert env.reward_range == (-10.5, 9.5)
    arrays = env.transition_arrays()
    for s in range(env.n_states):
        for a in range(4):
            assert _distribution(_arrays_as_outcomes(arrays, s, a)) == pytest.approx(
                _distribution(env.P[s][a]))


def test_cliff_costs_and_optimal_return():
    env = GridMazeEnv("cliff")
    env.reset(seed=0)
    assert env.step(RIGHT)[1:3] == (-101.0, True)
    env.reset()
    path = [UP] + [RIGHT] * 11 + [DOWN]
    total, done = 0.0, False
    for a in path:
        _, r, done, _, _ = env.step(a)
        total += r
    assert (total, done) == (-13.0, True)


def test_truncation_at_max_steps():
    env = gym.make("GridMaze-v0", level=Level.from_text("max_steps: 3\nS..G\n"))
    env.reset(seed=0)
    results = [env.step(LEFT) for _ in range(3)]
    assert [(t, tr) for _, _, t, tr, _ in results] == [(False, False)] * 2 + [(False, True)]
    env.reset()
    assert env.unwrapped.elapsed_steps == 0
    assert env.step(RIGHT)[3] is False


def test_reset_is_deterministic_per_seed_on_slippery_levels():
    env = GridMazeEnv("maze_ice")

    def run(seed):
        obs = [env.reset(seed=seed)[0]]
        obs += [env.step(i % 4)[0] for i in range(60)]
        return obs

    assert run(3) == run(3)
    assert run(3) != run(4)


def test_P_is_a_lazy_read_only_mapping():
    env = GridMazeEnv("mouse")
    assert isinstance(env.P, TransitionModel)
    assert len(env.P) == 12 and list(env.P) == list(range(12))
    assert list(env.P[0]) == [0, 1, 2, 3] and len(env.P[0]) == 4
    assert np.int64(1) in env.P and 12 not in env.P and -1 not in env.P
    with pytest.raises(KeyError):
        env.P[12]
    with pytest.raises(KeyError):
        env.P[0][4]
    big = Level(grid=tuple("S" + "c" * 8 + "." * 55 if r == 0 else "." * 64 for r in range(64)))
    env = GridMazeEnv(big)  # a million states: cheap to make, P answers at once
    assert len(env.P) == 64 * 64 * 256
    assert env.P[len(env.P) - 1][RIGHT][0][1] == len(env.P) - 1  # bottom-right corner, all eaten


def test_invalid_level_and_action_are_refused():
    with pytest.raises(levels.LevelError, match="no start"):
        GridMazeEnv(Level(grid=("..",)))
    env = GridMazeEnv("mouse")
    env.reset(seed=0)
    with pytest.raises(ValueError, match="action"):
        env.step(4)


def test_rgb_array_shows_tiles_cheese_and_agent():
    env = GridMazeEnv("mouse", render_mode="rgb_array")
    env.reset(seed=0)
    frame = env.render()
    px = 32
    assert frame.shape == (2 * px, 3 * px, 3) and frame.dtype == np.uint8
    centre = px // 2
    agent = tuple(frame[centre, centre])
    cheese = tuple(frame[centre, px + centre])
    assert agent != cheese
    env.step(RIGHT)  # eat the small cheese; the agent now stands on it
    frame2 = env.render()
    assert tuple(frame2[centre, px + centre]) == agent
    env.step(RIGHT)
    frame3 = env.render()
    floor_now = tuple(frame3[centre, px + centre])
    assert floor_now != cheese and floor_now == tuple(frame3[centre + px, centre])  # eaten
    colours = {tuple(frame3[r * px + 3, c * px + 3]) for r in range(2) for c in range(3)}
    assert len(colours) >= 4  # start, floor, poison, big cheese in distinct colours


def test_ansi_render_and_close():
    env = GridMazeEnv("mouse", render_mode="ansi")
    env.reset(seed=0)
    env.step(RIGHT)
    text = env.render()
    assert "(Right)" in text and "S" in text and "P" in text and text.count("\n") == 3
    env.close()
    with pytest.warns(UserWarning, match="without specifying any render mode"):
        assert GridMazeEnv("mouse").render() is None


def test_levels_import_without_pygame_or_torch():
    code = ("import sys; sys.modules['pygame'] = None\n"
            "import levels, levels.envs, levels.gridinfo\n"
            "from levels.gridmaze import GridMazeEnv\n"
            "e = GridMazeEnv('mouse', render_mode='rgb_array')\n"
            "e.reset(seed=0); e.render(); e.close(); assert 'torch' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_registration_accepts_name_path_and_level():
    path = levels.bundled_level_path("cliff")
    for level in ("cliff", str(path), load_level("cliff")):
        env = gym.make("GridMaze-v0", level=level)
        assert env.unwrapped.level == load_level("cliff")
    assert gym.make("GridMaze-v0", level="mouse").unwrapped.level.rewards == Rewards()


# ---- image observations ---------------------------------------------------------------------
def test_image_mode_shows_layout_agent_and_eaten_cheese():
    from levels.gridmaze import AGENT_CHANNEL, EATEN_CHANNEL, IMAGE_CHANNELS

    env = GridMazeEnv("maze_small", observation="image")
    check_env(env, skip_render_check=True)
    index = GridMazeEnv("maze_small")
    obs, info = env.reset(seed=3)
    assert obs.shape == (len(IMAGE_CHANNELS), 7, 9) and obs.dtype == np.uint8
    tiles = env.level.tiles_array()
    for i, ch in enumerate(IMAGE_CHANNELS[:AGENT_CHANNEL]):
        np.testing.assert_array_equal(obs[i], tiles == ch)
    assert obs[AGENT_CHANNEL].sum() == 1 and obs[AGENT_CHANNEL, 0, 0] == 1
    assert obs[EATEN_CHANNEL].sum() == 0 and info["state"] == 0
    # The same walk in both modes: the image is always the picture of the index state.
    index.reset(seed=3)
    for action in [RIGHT, DOWN, DOWN, LEFT, DOWN, DOWN, RIGHT, RIGHT, DOWN, DOWN, LEFT, LEFT]:
        obs, r, term, _, info = env.step(action)
        s, r2, term2, _, _ = index.step(action)
        assert (info["state"], r, term) == (s, r2, term2)
        np.testing.assert_array_equal(obs, env.images([s])[0])
        row, col = divmod(s % env.n_cells, env.ncol)
        assert obs[AGENT_CHANNEL, row, col] == 1 and obs[AGENT_CHANNEL].sum() == 1
    assert s // env.n_cells == 0b10  # the bottom-left cheese (second in reading order) was eaten
    assert obs[EATEN_CHANNEL].sum() == 1 and obs[EATEN_CHANNEL, 6, 0] == 1


def test_image_mode_through_the_resolver_and_the_success_judge():
    from levels.envs import EnvSpecError, make_env
    from levels.success import success_judge

    env, resolved = make_env("GridMaze-v0:level=maze_small,observation=image")
    assert env.observation_space.shape == (11, 7, 9)
    assert resolved.kwargs["observation"] == "image" and resolved.level.name == "maze_small"
    judge = success_judge(env)
    goal = env.unwrapped.images([6 * 9 + 8])[0]
    poison = env.unwrapped.images([4 * 9 + 5])[0]
    assert judge(True, False, 1.0, goal) and not judge(True, False, -10.0, poison)
    with pytest.raises(EnvSpecError, match="observation=index or observation=image"):
        make_env("GridMaze-v0:level=maze_small,observation=pixels")
