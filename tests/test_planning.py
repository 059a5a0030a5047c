"""Value iteration: Bellman optimality, closed forms on deterministic maps, formats, errors."""

from collections import deque

import gymnasium as gym
import numpy as np
import pytest

from agents.planning import (
    PlanningError,
    bellman_residual,
    evaluate_policy,
    greedy_policy,
    model_arrays,
    optimal_actions,
    state_values,
    value_iteration,
)
from levels.gridmaze import GridMazeEnv


def frozen_lake(**kwargs):
    return gym.make("FrozenLake-v1", **kwargs).unwrapped


def test_slippery_frozen_lake_optimum_is_consistent():
    env = frozen_lake()
    q = value_iteration(env.P, 0.99)
    v = state_values(q)
    # Q* is the fixed point of the Bellman optimality operator ...
    assert bellman_residual(env.P, q, 0.99) < 1e-8
    # ... and the greedy policy's exact value (a linear solve, not iteration) matches it.
    v_pi = evaluate_policy(env.P, greedy_policy(q), 0.99)
    assert np.max(np.abs(v_pi - v)) < 1e-7
    # The well-known V*(start) of slippery 4x4 FrozenLake at gamma 0.99, checked by the two above.
    assert v[0] == pytest.approx(0.5420, abs=5e-5)
    # Holes and the goal are absorbing: nothing more to collect there.
    desc = "".join(ch.decode() for row in env.desc for ch in row)
    for s, ch in enumerate(desc):
        if ch in "HG":
            assert v[s] == 0.0


def test_gamma_one_converges_on_an_episodic_problem():
    env = frozen_lake()
    q = value_iteration(env, 1.0)
    assert bellman_residual(env, q, 1.0) < 1e-8
    v_pi = evaluate_policy(env, greedy_policy(q), 1.0)
    assert np.max(np.abs(v_pi - state_values(q))) < 1e-6
    assert 0.5420 < q[0].max() < 1.0  # without discounting, more patience pays
    # CliffWalking at gamma 1: 13 steps of -1 along the cliff edge.
    cliff = gym.make("CliffWalking-v1")
    assert state_values(value_iteration(cliff, 1.0))[36] == -13.0


def shortest_steps(desc):
    """Moves from every cell to the goal (BFS over non-hole cells, backwards); None if none."""
    nrow, ncol = len(desc), len(desc[0])
    goal = next((r, c) for r in range(nrow) for c in range(ncol) if desc[r][c] == "G")
    dist = {goal: 0}
    todo = deque([goal])
    while todo:
        r, c = todo.popleft()
        for dr, dc in ((0, 1), (0, -1), (1, 0), (-1, 0)):
            nr, nc = r + dr, c + dc
            if 0 <= nr < nrow and 0 <= nc < ncol and (nr, nc) not in dist \
                    and desc[nr][nc] not in "HG":
                dist[(nr, nc)] = dist[(r, c)] + 1
                todo.append((nr, nc))
    return dist


@pytest.mark.parametrize("map_name", ["4x4", "8x8"])
def test_deterministic_map_matches_the_closed_form(map_name):
    env = frozen_lake(is_slippery=False, map_name=map_name)
    desc = ["".join(ch.decode() for ch in row) for row in env.desc]
    gamma = 0.95
    q = value_iteration(env.P, gamma)
    v = state_values(q)
    dist = shortest_steps(desc)
    ncol = len(desc[0])
    checked = 0
    for r, row in enumerate(desc):
        for c, ch in enumerate(row):
            s = r * ncol + c
            if ch in "HG":
                assert v[s] == 0.0
            elif (r, c) in dist:
                # The only reward is 1 on the last of `steps` moves: gamma ** (steps - 1).
                assert v[s] == pytest.approx(gamma ** (dist[(r, c)] - 1), rel=1e-12)
                checked += 1
            else:
                assert v[s] == 0.0
    assert checked >= 8
    start = dist[(0, 0)]
    assert v[0] == pytest.approx(gamma ** (start - 1), rel=1e-12)
    # Following Q* greedily walks a shortest path.
    s, moves = 0, 0
    while desc[s // ncol][s % ncol] != "G":
        (_, s, _, _), = env.P[s][int(greedy_policy(q)[s])]
        moves += 1
        assert moves <= start
    assert moves == start


def test_all_model_formats_give_the_same_q():
    env = frozen_lake()
    from_p = value_iteration(env.P, 0.9)
    arrays = model_arrays(env.P)
    assert arrays["prob"].shape == (16, 4, 3)
    assert np.array_equal(value_iteration(arrays, 0.9), from_p)
    as_lists = [[env.P[s][a] for a in range(4)] for s in range(16)]
    assert np.array_equal(value_iteration(as_lists, 0.9), from_p)
    assert np.array_equal(value_iteration(gym.make("FrozenLake-v1"), 0.9), from_p)

    class Model:  # fast.TabularModel-style object with array attributes
        pass

    obj = Model()
    for key, value in arrays.items():
        setattr(obj, key, value)
    assert np.array_equal(value_iteration(obj, 0.9), from_p)
    # Zero-probability padding (K = 3 for a deterministic move) changes nothing.
    det = frozen_lake(is_slippery=False)
    padded = model_arrays(det.P)
    padded = {k: np.concatenate([v, np.zeros_like(v[:, :, :1].repeat(2, axis=2))], axis=2)
              for k, v in padded.items()}
    assert np.array_equal(value_iteration(padded, 0.9), value_iteration(det.P, 0.9))


def test_gridmaze_arrays_match_its_p():
    env = GridMazeEnv("mouse")
    q = value_iteration(env.transition_arrays(), 0.99)
    assert np.allclose(q, value_iteration(env.P, 0.99), atol=1e-12)
    assert bellman_residual(env.P, q, 0.99) < 1e-8


def test_non_terminating_reward_with_gamma_one_raises():
    # One state, one action: +1 for ever without terminating.
    loop = {0: {0: [(1.0, 0, 1.0, False)]}}
    with pytest.raises(PlanningError, match="did not converge in 50 sweeps") as err:
        value_iteration(loop, 1.0, max_iter=50)
    assert "\n" not in str(err.value)
    assert value_iteration(loop, 0.5)[0, 0] == pytest.approx(2.0)


@pytest.mark.parametrize(
    "model, words",
    [
        ({0: {0: [(0.5, 0, 0.0, True)]}}, "state 0, action 0 sum to 0.5, not 1"),
        ({0: {0: [(1.0, 3, 0.0, True)]}}, "next state lies outside the 1 states"),
        ({0: {0: [(1.0, 0, 0.0)]}}, r"P\[0\]\[0\]\[0\] must be \(prob, next_state"),
        ({0: {0: [(1.0, 0, 0.0, True)]}, 2: {0: [(1.0, 0, 0.0, True)]}}, "every state 0..1"),
        ({"prob": np.ones((2, 2, 1)), "next_state": np.zeros((2, 2), int),
          "reward": np.zeros((2, 2, 1)), "terminated": np.ones((2, 2, 1), bool)}, "shaped"),
        ({}, "no states"),
    ],
)
def test_malformed_models_raise_one_clear_sentence(model, words):
    with pytest.raises(PlanningError, match=words) as err:
        value_iteration(model, 0.9)
    assert "\n" not in str(err.value)


def test_gamma_out_of_range():
    with pytest.raises(PlanningError, match="gamma must be between 0 and 1"):
        value_iteration(frozen_lake().P, 1.5)


def test_helpers():
    q = np.array([[0.0, 1.0, 1.0 - 1e-12, -2.0], [3.0, 3.0, 3.0, 3.0]])
    assert greedy_policy(q).tolist() == [1, 0]
    assert state_values(q).tolist() == [1.0, 3.0]
    assert optimal_actions(q).tolist() == [[False, True, True, False], [True] * 4]
    with pytest.raises(PlanningError, match="one action per state"):
        evaluate_policy(frozen_lake().P, [0, 1], 0.9)
