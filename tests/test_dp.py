"""Step-by-step dynamic programming: hand-computed sweeps on a 2x2 level, and convergence to the
values exact planning finds."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest

from agents.dp import DynamicProgramming
from agents.planning import optimal_actions, state_values, value_iteration
from levels.envs import make_env
from levels.gridmaze import GridMazeEnv
from levels.level import Level

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3


def two_by_two() -> GridMazeEnv:
    """States 0 (start), 1 (top right), 2 (bottom left), 3 (goal: +10, terminal); each move
    costs 1, so entering the goal pays 9."""
    return GridMazeEnv(Level.from_text("name: t\nreward.step: -1\nreward.goal: 10\nS.\n.G\n"))


def test_one_sweep_of_policy_evaluation_on_a_2x2_level() -> None:
    dp = DynamicProgramming(two_by_two(), gamma=0.9)
    step = dp.evaluate_sweep()
    # uniform policy, V0 = 0: the mean immediate reward of the four moves
    assert dp.v.tolist() == pytest.approx([-1.0, (-1 + 9 - 1 - 1) / 4, (-1 - 1 + 9 - 1) / 4, 0.0])
    assert (step.kind, step.sweeps, step.delta) == ("evaluation", 1, pytest.approx(1.5))
    dp.evaluate_sweep()
    # state 0: left/up bump (-1 + .9 * -1), down/right reach a 1.5 (-1 + .9 * 1.5)
    # state 1: left -1 + .9 * -1, down 9, right/up bump -1 + .9 * 1.5
    assert dp.v.tolist() == pytest.approx([(2 * -1.9 + 2 * 0.35) / 4, (-1.9 + 9 + 0.7) / 4,
                                           (-1.9 + 9 + 0.7) / 4, 0.0])
    assert dp.delta == pytest.approx(1.95 - 1.5) and dp.sweeps == 2
    assert dp.policy.tolist() == [[0.25] * 4] * 4  # evaluation leaves the policy alone


def test_policy_improvement_is_greedy_with_ties_split() -> None:
    dp = DynamicProgramming(two_by_two(), gamma=0.9)
    dp.evaluate_sweep()
    dp.evaluate_sweep()
    step = dp.improve()
    assert dp.policy[0].tolist() == [0.0, 0.5, 0.5, 0.0]  # down and right tie
    assert dp.policy[1].tolist() == [0.0, 1.0, 0.0, 0.0]
    assert dp.policy[2].tolist() == [0.0, 0.0, 1.0, 0.0]
    assert dp.policy[3].tolist() == [0.25] * 4  # the goal: every action ties at 0
    assert step.kind == "improvement" and step.policy_changes == 3 and step.sweeps == 2
    assert dp.improve().converged  # nothing changes the second time


def test_value_iteration_sweeps_on_a_2x2_level() -> None:
    dp = DynamicProgramming(two_by_two(), gamma=0.9)
    dp.value_iteration_sweep()
    assert dp.v.tolist() == pytest.approx([-1.0, 9.0, 9.0, 0.0])
    dp.value_iteration_sweep()
    assert dp.v.tolist() == pytest.approx([-1 + 0.9 * 9, 9.0, 9.0, 0.0])
    assert dp.delta == pytest.approx(8.1)
    assert dp.run_to_convergence().converged and dp.delta == 0.0 and dp.sweeps == 3


@pytest.mark.parametrize("make", [
    lambda: make_env("maze_ice")[0],
    lambda: make_env("maze_small")[0],
    lambda: gym.make("FrozenLake-v1", map_name="8x8", is_slippery=True),
], ids=["maze_ice", "maze_small", "frozenlake8x8"])
def test_convergence_reaches_the_optimal_values(make) -> None:
    env = make()
    q_star = value_iteration(env, 0.95)
    dp = DynamicProgramming(env, gamma=0.95, theta=1e-10)
    step = dp.run_to_convergence()
    assert step.converged and step.sweeps > 5
    np.testing.assert_allclose(dp.v, state_values(q_star), atol=1e-8)
    assert np.array_equal(dp.policy > 0, optimal_actions(q_star, atol=1e-6))


def test_policy_iteration_by_hand_reaches_the_same_values() -> None:
    env = make_env("maze_small")[0]
    dp = DynamicProgramming(env, gamma=0.9, theta=1e-10)
    for _ in range(100):
        while not dp.evaluate_sweep().converged:
            pass
        if dp.improve().converged:
            break
    np.testing.assert_allclose(dp.v, state_values(value_iteration(env, 0.9)), atol=1e-8)


def test_run_to_convergence_is_capped() -> None:
    dp = DynamicProgramming(make_env("maze_small")[0], gamma=1.0)
    step = dp.run_to_convergence(max_sweeps=3)
    assert step.sweeps == 3 and not step.converged
    step = dp.run_to_convergence(time_budget_s=0.0)  # a spent budget: one sweep, then stop
    assert step.sweeps == 4 and not step.converged
    dp.reset()
    assert dp.sweeps == 0 and not dp.v.any() and np.isnan(dp.delta)
