"""GridInfo: grid shape, state -> cell and action -> direction for every grid-shaped env."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.wrappers import RecordEpisodeStatistics

import levels  # noqa: F401  (registers GridMaze-v0)
from levels.gridinfo import grid_info
from levels.level import Level


def _make(env_id, **kwargs):
    return gym.make(env_id, **kwargs)


# (env id, kwargs, an open cell whose four neighbours are open too: no wall, cliff or edge)
DETERMINISTIC = [
    ("GridMaze-v0", {"level": Level.blank(5, 5)}, (2, 2)),
    ("FrozenLake-v1", {"is_slippery": False, "desc": ["FFFFF", "FFFFF", "FFSFF", "FFFFF", "FFFFG"]},
     (2, 2)),
    ("CliffWalking-v1", {}, (1, 2)),
    ("Taxi-v4", {}, (2, 2)),
]


def _put_agent(env, row, col):
    """Place the agent on an interior cell, bypassing reset (tests only)."""
    base = env.unwrapped
    if hasattr(base, "encode"):  # Taxi: passenger at R, destination G
        base.s = base.encode(row, col, 0, 1)
    else:
        base.s = row * grid_info(env).ncols + col
    return base.s


@pytest.mark.parametrize(("env_id", "kwargs", "cell"), DETERMINISTIC)
def test_each_action_moves_the_way_its_direction_says(env_id, kwargs, cell):
    env = _make(env_id, **kwargs)
    info = grid_info(env)
    env.reset(seed=0)
    moved = 0
    for action, direction in enumerate(info.action_dirs):
        if direction is None:
            continue
        row, col = cell
        state = _put_agent(env, row, col)
        next_state = env.step(action)[0]
        assert info.position(state) == (row, col)
        expected = (row + direction[0], col + direction[1])
        assert info.position(next_state) == expected, (action, direction)
        assert info.layer[next_state] == info.layer[state]
        moved += 1
    assert moved == 4


@pytest.mark.parametrize(("env_id", "kwargs", "cell"), DETERMINISTIC)
def test_right_is_one_column_right(env_id, kwargs, cell):
    env = _make(env_id, **kwargs)
    info = grid_info(env)
    right = info.action_dirs.index((0, 1))
    env.reset(seed=0)
    state = _put_agent(env, *cell)
    next_state = env.step(right)[0]
    assert info.position(next_state) == (cell[0], cell[1] + 1) != info.position(state)


def test_action_orders_differ_between_envs():
    assert grid_info(_make("FrozenLake-v1")).action_names == ("left", "down", "right", "up")
    assert grid_info(_make("CliffWalking-v1")).action_dirs == ((-1, 0), (0, 1), (1, 0), (0, -1))
    taxi = grid_info(_make("Taxi-v4"))
    assert taxi.action_dirs[4:] == (None, None)
    assert taxi.action_names == ("south", "north", "east", "west", "pickup", "dropoff")


def test_gridmaze_layers_are_cheese_masks():
    level = Level.from_text("S.c\nc.G\n")
    env = _make("GridMaze-v0", level=level)
    info = grid_info(env)
    assert (info.nrows, info.ncols, info.n_layers, info.n_states) == (2, 3, 4, 24)
    assert info.tiles == ("S.c", "c.G")
    np.testing.assert_array_equal(info.states_in_layer(2), np.arange(6) + 12)
    assert info.position(6 * 3 + 5) == (1, 2) and info.layer[6 * 3 + 5] == 3


def test_taxi_cells_and_layers_match_decode():
    env = _make("Taxi-v4")
    info = grid_info(env)
    assert info.n_states == 500 and info.n_layers == 20
    for s in range(500):
        row, col, passenger, dest = env.unwrapped.decode(s)
        assert info.position(s) == (row, col)
        assert info.layer[s] == passenger * 4 + dest
    per_cell = info.states_in_layer(7)
    assert (per_cell >= 0).all()
    assert all(info.layer[s] == 7 for s in per_cell)
    assert [info.tiles[r][c] for r, c in env.unwrapped.locs] == ["G"] * 4


def test_frozenlake_and_cliff_tiles():
    lake = grid_info(_make("FrozenLake-v1", map_name="4x4"))
    assert lake.tiles == ("SFFF", "FHFH", "FFFH", "HFFG")
    cliff = grid_info(_make("CliffWalking-v1"))
    assert cliff.tiles[3] == "S" + "P" * 10 + "G" and cliff.tiles[0] == "." * 12
    np.testing.assert_array_equal(cliff.states_in_layer(0), np.arange(48))
    assert (cliff.states_in_layer(1) == -1).all()


def test_wrappers_are_looked_through_and_others_give_none():
    wrapped = RecordEpisodeStatistics(_make("FrozenLake-v1"))
    assert grid_info(wrapped).nrows == 4
    assert grid_info(_make("CartPole-v1")) is None


# ---- rewards written in the cells of Gymnasium grid envs ----------------------------------------
@pytest.mark.parametrize(("env_id", "kwargs"), [
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}),
    ("FrozenLake-v1", {"map_name": "4x4", "is_slippery": False, "reward_schedule": (2, -1, 0)}),
    ("CliffWalking-v1", {}),
])
def test_cell_rewards_are_what_stepping_into_each_cell_pays(env_id, kwargs):
    """Every move from every open state, stepped in the env: the reward it pays is the one the
    board writes in the cell it moves into, or the ordinary move's when nothing is written."""
    env = _make(env_id, **kwargs)
    info = grid_info(env)
    rewards = info.rewards
    assert rewards is not None and rewards.shape == (info.nrows, info.ncols)
    base = env.unwrapped
    env.reset(seed=0)
    ordinary = set()
    for state in range(info.n_states):
        row, col = info.position(state)
        if info.tiles[row][col] in "GHP":
            continue  # terminal (or the cliff, never stood on)
        for action, (dr, dc) in enumerate(info.action_dirs):
            base.s = state
            reward = env.step(action)[1]
            target = (min(max(row + dr, 0), info.nrows - 1), min(max(col + dc, 0), info.ncols - 1))
            if rewards[target] != 0:
                assert reward == rewards[target], (state, action)
            else:
                ordinary.add(reward)
    assert len(ordinary) == 1  # one ordinary reward, written nowhere


def test_frozen_lake_goal_and_cliff_rewards_slippery_or_not():
    for slippery in (False, True):
        lake = grid_info(gym.make("FrozenLake-v1", map_name="8x8", is_slippery=slippery))
        assert lake.rewards[7, 7] == 1 and np.count_nonzero(lake.rewards) == 1
        cliff = grid_info(gym.make("CliffWalking-v1", is_slippery=slippery))
        assert (cliff.rewards[3, 1:11] == -100).all() and np.count_nonzero(cliff.rewards) == 10
    assert grid_info(gym.make("Taxi-v4")).rewards is None  # Taxi pays for actions, not cells
    holes = grid_info(gym.make("FrozenLake-v1", is_slippery=True, reward_schedule=(1, -1, 0)))
    assert holes.rewards[1, 1] == -1 and holes.rewards[3, 3] == 1
