"""agents.build and the Agent protocol: every kind is made one way and speaks one protocol."""

from __future__ import annotations

import dataclasses

import gymnasium as gym
import numpy as np
import pytest

import agents
from agents.config import ConfigError, TabularConfig
from agents.schedules import ConstantSchedule, ExponentialSchedule, LinearSchedule
from agents.session import TrainingSession


def test_every_tabular_kind_is_an_agent_with_its_configs_schedule() -> None:
    env = gym.make("FrozenLake-v1")
    for kind in agents.TABULAR_KINDS:
        agent = agents.build(kind, env, seed=0)
        assert isinstance(agent, agents.Agent) and agent.kind == kind
        assert agent.q_table.shape == (16, 4)
        defaults = TabularConfig()
        assert agent.epsilon_schedule == ExponentialSchedule(
            defaults.epsilon, defaults.epsilon_min, defaults.epsilon_decay)
        assert agent.hyperparameters() == dataclasses.asdict(defaults)


def test_build_takes_a_config_or_some_of_its_fields() -> None:
    env = gym.make("FrozenLake-v1")
    agent = agents.build("sarsa", env, TabularConfig(alpha=0.3, schedule="linear"),
                         total_steps=400)
    assert agent.alpha == 0.3 and agent.epsilon_schedule == LinearSchedule(1.0, 0.05, 400)
    agent = agents.build("q-learning", env, {"schedule": "constant", "epsilon": 0.2})
    assert agent.epsilon_schedule == ConstantSchedule(0.2)


def test_build_refuses_in_one_sentence() -> None:
    lake, cartpole = gym.make("FrozenLake-v1"), gym.make("CartPole-v1")
    with pytest.raises(ConfigError, match="unknown agent kind 'ppo'"):
        agents.build("ppo", lake)
    with pytest.raises(ConfigError, match="sarsa needs a Discrete observation space"):
        agents.build("sarsa", cartpole)
    with pytest.raises(ConfigError, match="alpha must be between 0 and 1"):
        agents.build("q-learning", lake, {"alpha": 2.0})
    with pytest.raises(ConfigError, match="unknown hyperparameter 'lr'"):
        agents.build("q-learning", lake, {"lr": 0.1})


def test_a_dqn_is_an_agent_and_owns_its_schedule() -> None:
    env = gym.make("CartPole-v1")
    agent = agents.build("dqn", env, {"hidden": (8,), "exploration_fraction": 0.5}, seed=0,
                         device="cpu", total_steps=200)
    assert isinstance(agent, agents.Agent) and agent.q_table is None
    assert agent.epsilon_schedule == LinearSchedule(1.0, 0.05, 100)
    assert agent.hyperparameters()["total_steps"] == 200
    assert agent.fits(env.observation_space, env.action_space)
    assert not agent.fits(gym.spaces.Discrete(4), env.action_space)
    session = TrainingSession(env, agent, seed=1)
    session.advance(10)
    assert session.schedule is agent.epsilon_schedule
    assert session.epsilon == pytest.approx(agent.epsilon_schedule.value(10, 0))


def test_session_seed_decides_a_built_agents_run() -> None:
    env = gym.make("FrozenLake-v1")
    runs = []
    for seed in (5, 5, 6):
        session = TrainingSession(gym.make("FrozenLake-v1"),
                                  agents.build("q-learning", env, seed=seed), seed=3)
        session.advance(300)
        runs.append(session.agent.q.copy())
    assert np.array_equal(runs[0], runs[1]) and np.array_equal(runs[1], runs[2])


@pytest.mark.parametrize("spec, expected", [
    ("mouse", 10.0),  # the big cheese
    ("built", 10.0),
    ("dyna_maze", 1.0),  # the goal; a big cheese's reward counts only where one lies
    ("maze_large", 9.99),  # the big cheese plus the step's -0.01
    ("cliff", 0.0),  # every move costs: never below 0
    ("FrozenLake-v1", 0.0),  # Gymnasium's own envs keep the references' zeros
    ("Taxi-v4", 0.0),
])
def test_initial_q_auto_is_optimistic_on_a_maze_level_and_0_elsewhere(spec, expected) -> None:
    from agents.optimism import auto_initial_q
    from levels.envs import make_env
    from levels.gridmaze import GridMazeEnv
    from levels.level import Level

    if spec == "built":  # a level as a person draws it: +1 goal near, +10 cheese far
        env = GridMazeEnv(Level(grid=("S.......", ".######.", ".#....#.", ".#.##.#.",
                                      ".#C#P.#.", ".###..#.", ".....##.", "#######G")))
    else:
        env = make_env(spec)[0]
    assert auto_initial_q(env) == pytest.approx(expected)
    agent = agents.build("q-learning", env, seed=0)
    assert agent.hyperparameters()["initial_q"] == "auto"
    assert agent.initial_q == pytest.approx(expected) and (agent.q == agent.initial_q).all()
    fixed = agents.build("sarsa", env, {"initial_q": 3.0})
    assert fixed.initial_q == 3.0 and fixed.hyperparameters()["initial_q"] == 3.0


def test_an_edit_that_changes_the_largest_reward_restarts_an_auto_table() -> None:
    from levels.gridmaze import GridMazeEnv
    from levels.level import Level

    level = Level(grid=("S...", "...G"))
    env = GridMazeEnv(level)
    session = TrainingSession(env, agents.build("q-learning", env, seed=0), seed=0)
    assert session.agent.initial_q == 1.0  # the goal's
    session.advance(200)
    change = session.set_level(level.with_tile(0, 2, "C"))  # a big cheese: +10
    assert not change.kept and "initial Q auto is now 10" in change.reason
    assert (session.agent.q == 10.0).all()
    fixed = agents.build("q-learning", env, {"initial_q": 0.5}, seed=0)
    session = TrainingSession(env, fixed, seed=0)
    session.advance(200)
    learnt = session.agent.q.copy()
    change = session.set_level(level.with_tile(0, 2, "C"))
    assert change.kept and session.agent.initial_q == 0.5  # a number the user chose stays
    assert (session.agent.q[[0, 1, 3, 4, 5, 6, 7]] == learnt[[0, 1, 3, 4, 5, 6, 7]]).all()
