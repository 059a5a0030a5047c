"""Lockstep runs are TrainingSession runs: same seed, same returns and Q-table, bit for bit."""

from __future__ import annotations

import dataclasses
import sys

import numpy as np
import pytest

import agents
from agents.config import TabularConfig
from agents.fast import TabularModel
from agents.lockstep import UNIFORM_BLOCK, LockstepBatch, RunSpec
from agents.session import TrainingSession
from levels.envs import make_env

CASES = [
    ("CliffWalking-v1", dict(alpha=0.5, gamma=1.0, epsilon=0.1, schedule="constant"), 30),
    ("FrozenLake-v1:is_slippery=True", dict(alpha=0.3, gamma=0.95, epsilon=1.0,
                                            epsilon_min=0.05, epsilon_decay=0.01,
                                            schedule="exponential", initial_q=0.5), 300),
    ("Taxi-v4", dict(alpha=0.7, gamma=0.95, epsilon=0.3, schedule="linear",
                     epsilon_min=0.1, epsilon_decay=1e-4), 40),  # random start states
    ("mouse", dict(alpha=0.1, gamma=0.99, epsilon=0.2, schedule="constant"), 200),
    ("maze_small", dict(alpha=0.2, gamma=0.95, epsilon=0.2, schedule="constant", lam=0.8,
                        trace="accumulating", planning_steps=3), 30),  # traces and Dyna
    ("CliffWalking-v1", dict(alpha=0.5, gamma=1.0, epsilon=0.1, schedule="constant",
                             planning_steps=1200), 3),  # a uniform block bigger than usual
]


def settings(**kw) -> dict:
    return dataclasses.asdict(TabularConfig(**kw))


def session_returns(spec: str, kind: str, hp: dict, seed: int, episodes: int):
    env, _ = make_env(spec, max_steps=10_000 if spec.startswith("Cliff") else None)
    agent = agents.build(kind, env, hp)  # its epsilon schedule from hp's schedule knobs
    session = TrainingSession(env, agent, seed=seed, turbo=True)
    report = session.advance(sys.maxsize, max_episodes=episodes)
    return report.episodes.returns(), report.episodes.lengths(), agent.q


@pytest.mark.slow
@pytest.mark.parametrize(("spec", "kw", "episodes"), CASES, ids=[c[0] for c in CASES])
def test_every_run_equals_its_training_session(spec: str, kw: dict, episodes: int) -> None:
    hp = settings(**kw)
    env, _ = make_env(spec, max_steps=10_000 if spec.startswith("Cliff") else None)
    runs = [RunSpec(kind, hp, seed) for kind in ("q-learning", "sarsa", "expected-sarsa")
            for seed in (0, 7)]
    batch = LockstepBatch(env, TabularModel.from_env(env), runs, episodes)
    while not batch.done:
        batch.advance(5_000)  # small calls: many top-ups and budget stops mid-episode
    assert not batch.diverged.any()
    assert (batch.finished == episodes).all()
    for r, run in enumerate(runs):
        returns, lengths, q = session_returns(spec, run.kind, hp, run.seed, episodes)
        np.testing.assert_array_equal(batch.out_return[r], returns)
        np.testing.assert_array_equal(batch.out_length[r], lengths)
        np.testing.assert_array_equal(batch.q[r], q)


def test_results_do_not_depend_on_call_sizes() -> None:
    env, _ = make_env("CliffWalking-v1", max_steps=10_000)
    model = TabularModel.from_env(env)
    runs = [RunSpec("sarsa", settings(alpha=0.4, epsilon=0.1, schedule="constant"), s)
            for s in range(4)]
    one = LockstepBatch(env, model, runs, 50)
    while not one.done:
        one.advance()
    many = LockstepBatch(env, model, runs, 50)
    calls = 0
    while not many.done:
        many.advance(97)
        calls += 1
    assert calls > 10 * len(runs) and one.steps == many.steps
    assert one.steps > 2 * UNIFORM_BLOCK  # the blocks of random numbers were topped up
    np.testing.assert_array_equal(one.out_return, many.out_return)


def test_divergence_stops_only_that_run() -> None:
    env, _ = make_env("CliffWalking-v1", max_steps=100)
    model = TabularModel.from_env(env)
    huge = settings(alpha=1.0, gamma=1.0, epsilon=0.1, schedule="constant", initial_q=-1e6)
    runs = [RunSpec("q-learning", settings(alpha=0.5, epsilon=0.1, schedule="constant"), 0),
            RunSpec("q-learning", dict(huge, initial_q=float("inf")), 0)]
    batch = LockstepBatch(env, model, runs, 20)
    while not batch.done:
        batch.advance()
    assert batch.diverged.tolist() == [False, True]
    assert batch.finished[0] == 20
