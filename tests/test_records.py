"""Episode records kept as arrays (EpisodeLog, EpisodeHistory); greedy rollouts on a second env."""

from __future__ import annotations

import numpy as np

from agents.evaluation import greedy_rollout
from agents.records import EpisodeHistory, EpisodeLog, EpisodeResult
from agents.session import TrainingSession
from agents.tabular import QLearning
from levels.gridmaze import GridMazeEnv


def test_turbo_episodes_read_back_as_the_records_they_stand_for():
    env = GridMazeEnv("mouse")
    agent = QLearning(env.observation_space.n, 4, epsilon=0.5)
    session = TrainingSession(env, agent, seed=3, turbo=True)
    report = session.advance(20_000)
    assert report.turbo
    log = report.episodes
    assert isinstance(log, EpisodeLog) and len(log) == session.episode > 100
    records = list(log)
    assert [r.index for r in records] == list(range(len(log)))
    np.testing.assert_array_equal(log.returns(), [r.ret for r in records])
    np.testing.assert_array_equal(log.lengths(), [r.length for r in records])
    np.testing.assert_array_equal(log.successes(), [r.success for r in records])
    assert log[-1] == records[-1] and log == records
    assert sum(log.lengths()) <= report.steps  # the unfinished episode is not in the log


def test_python_path_appends_records():
    log = EpisodeLog()
    log.append(EpisodeResult(0, 1.5, 3, True))
    log.add_arrays(1, np.array([2.0]), np.array([4]), np.array([False]))
    assert len(log) == 2 and bool(log)
    assert log.returns().tolist() == [2.0, 1.5]  # chunks first, then appended records
    assert not EpisodeLog()


def test_history_rings_keep_the_newest_in_order():
    history = EpisodeHistory(5)
    reference = []
    for k in range(3):
        history.add(EpisodeResult(k, float(k), k + 1, k % 2 == 0))
        reference.append((float(k), k + 1, k % 2 == 0))
    rets = np.arange(3, 11, dtype=float)
    history.extend(rets, np.arange(4, 12), rets % 2 == 0)
    reference += [(float(v), int(v) + 1, v % 2 == 0) for v in rets]
    r, lengths, wins = history.arrays()
    assert len(history) == 5
    assert list(zip(r.tolist(), lengths.tolist(), wins.tolist(), strict=True)) == reference[-5:]
    assert history.recent_returns(2).tolist() == [9.0, 10.0]
    history.extend(np.arange(100.0), np.arange(100), np.zeros(100, dtype=bool))  # > maxlen
    assert history.arrays()[0].tolist() == [95.0, 96.0, 97.0, 98.0, 99.0]


def test_greedy_rollout_leaves_the_agent_and_its_generator_alone():
    env = GridMazeEnv("mouse")
    agent = QLearning(env.observation_space.n, 4, seed=1)
    session = TrainingSession(env, agent, seed=1, turbo=True)
    session.advance(5_000)
    state = agent.rng.bit_generator.state
    q = agent.q.copy()
    second = GridMazeEnv("mouse")
    seen = []
    steps = greedy_rollout(second, agent, seed=4, on_step=lambda s: seen.append(s.action))
    assert steps and seen == [s.action for s in steps]
    assert steps[-1].terminated or steps[-1].truncated
    assert agent.rng.bit_generator.state == state and np.array_equal(agent.q, q)
    again = greedy_rollout(GridMazeEnv("mouse"), agent, seed=4)
    assert [(s.action, s.reward) for s in again] == [(s.action, s.reward) for s in steps]
