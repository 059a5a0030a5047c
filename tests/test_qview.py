"""app.qview: Q-tables onto screen directions, whatever the env's action order."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from app.qview import DOWN, LEFT, RIGHT, UP, cell_values, mask_from_dirs, states_to_cells
from levels.gridinfo import GridInfo, grid_info

L, D, R, U = (0, -1), (1, 0), (0, 1), (-1, 0)


def plain(nrows: int, ncols: int, dirs) -> GridInfo:
    n = nrows * ncols
    return GridInfo(nrows, ncols, tuple(dirs), cell=np.arange(n), layer=np.zeros(n, dtype=int))


@pytest.mark.parametrize(
    "dirs",
    [
        (L, D, R, U),  # FrozenLake / GridMaze
        (U, R, D, L),  # CliffWalking
        (D, U, R, L, None, None),  # Taxi
    ],
)
def test_each_action_lands_on_its_screen_direction(dirs):
    info = plain(2, 3, dirs)
    n_actions = len(dirs)
    q = np.zeros((6, n_actions))
    for a in range(n_actions):
        q[:, a] = 10 + a  # a distinct value per action
    cv = cell_values(q, info, 0)
    screen = {L: LEFT, D: DOWN, R: RIGHT, U: UP}
    for a, d in enumerate(dirs):
        if d is not None:
            assert np.all(cv.q_dir[:, :, screen[d]] == 10 + a)
    assert np.all(cv.value == 10 + n_actions - 1)


def test_greedy_direction_follows_action_dirs_not_action_index():
    info = plain(1, 2, (U, R, D, L))  # CliffWalking order: action 1 is RIGHT
    q = np.array([[0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 2.0]])  # cell 0 right, cell 1 left
    cv = cell_values(q, info, 0)
    assert cv.greedy_dirs.tolist() == [[RIGHT, LEFT]]
    assert cv.greedy_mask.tolist() == [[1 << RIGHT, 1 << LEFT]]


def test_ties_and_non_moves():
    info = plain(1, 3, (D, U, R, L, None, None))  # Taxi order
    q = np.array([
        [0.0, 0.0, 0.0, 0.0, 0.0, 0.0],  # nothing learnt: all tie -> no arrow
        [1.0, 0.0, 1.0, 0.0, 0.0, 0.0],  # down and right tie
        [0.0, 0.0, 0.0, 0.0, 5.0, 0.0],  # pickup is best: not a move
    ])
    cv = cell_values(q, info, 0)
    assert cv.greedy_dirs.tolist() == [[-1, -1, -1]]
    assert cv.greedy_mask.tolist() == [[0, (1 << DOWN) | (1 << RIGHT), 0]]
    assert cv.value.tolist() == [[0.0, 1.0, 5.0]]


def test_layers_pick_states_and_missing_cells_are_nan():
    # 2 cells x 2 layers; state = layer * 2 + cell; layer 1 has no state in cell 1
    info = GridInfo(1, 2, (L, D, R, U), cell=np.array([0, 1, 0]), layer=np.array([0, 0, 1]),
                    n_layers=2)
    q = np.array([[1.0, 0, 0, 0], [2.0, 0, 0, 0], [3.0, 0, 0, 0]])
    visits = np.array([5, 7, 11])
    last_td = np.full((3, 4), np.nan)
    last_td[2, 0] = -0.5
    cv = cell_values(q, info, 1, visits=visits, last_td=last_td)
    assert cv.q_dir[0, 0, LEFT] == 3.0
    assert np.isnan(cv.q_dir[0, 1]).all() and np.isnan(cv.value[0, 1])
    assert cv.greedy_dirs[0, 1] == -1
    assert cv.visits.tolist() == [[16.0, 7.0]]  # summed over layers: where the agent went
    assert cv.last_td[0, 0, LEFT] == -0.5 and np.isnan(cv.last_td[0, 0, RIGHT])


def test_real_cliffwalking_and_taxi_infos():
    env = gym.make("CliffWalking-v1")
    info = grid_info(env)
    q = np.zeros((info.n_states, 4))
    start = 36  # (3, 0)
    q[start, 0] = 1.0  # action 0 is UP in CliffWalking
    cv = cell_values(q, info, 0)
    assert cv.greedy_dirs[3, 0] == UP
    env.close()

    taxi = gym.make("Taxi-v4")
    info = grid_info(taxi)
    q = np.zeros((info.n_states, 6))
    s = taxi.unwrapped.encode(2, 3, 1, 0)  # row 2, col 3, passenger at 1, destination 0
    q[s, 2] = 1.0  # action 2 is east
    cv = cell_values(q, info, int(info.layer[s]))
    assert cv.greedy_dirs[2, 3] == RIGHT
    other = cell_values(q, info, (int(info.layer[s]) + 1) % info.n_layers)
    assert other.greedy_dirs[2, 3] == -1
    taxi.close()


def test_bad_q_shape_is_one_clear_sentence():
    with pytest.raises(ValueError, match="Q-table has shape .* but the env has 4 actions"):
        cell_values(np.zeros((4, 3)), plain(2, 2, (L, D, R, U)), 0)


def test_states_to_cells_and_mask_from_dirs():
    info = plain(2, 3, (L, D, R, U))
    assert states_to_cells([0, 1, 1, 4, 5], info) == [(0, 0), (0, 1), (1, 1), (1, 2)]
    assert mask_from_dirs(np.array([-1, 0, 3])).tolist() == [0, 1, 8]
