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
