"""Playing without learning: a session's watch mode, evaluation's epsilon, a DQN's lazy replay."""

from __future__ import annotations

import json

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import build, cli
from agents.buffers import ReplayBuffer
from agents.evaluation import evaluate, play_action
from agents.frame_replay import FrameReplay
from agents.session import TrainingSession
from agents.storage import load_agent, save_agent
from levels.envs import make_env

LAKE = "FrozenLake-v1:is_slippery=False"


def _lake() -> gym.Env:
    return make_env(LAKE)[0]


def _state_bytes(agent) -> bytes:
    """Everything a learning step changes, as bytes: parameters and Adam's moments (a DQN) or
    the Q-table, traces and model (a tabular agent)."""
    if agent.q_table is not None:
        return agent.q_table.tobytes() + np.asarray(agent.eligibility_by_state()).tobytes()
    tensors = [p.detach().cpu() for p in agent.q_net.parameters()]
    tensors += [p.detach().cpu() for p in agent.target_net.parameters()]
    for state in agent.optimizer.state.values():
        tensors += [v.detach().cpu() for v in state.values() if torch.is_tensor(v)]
    return b"".join(t.numpy().tobytes() for t in tensors)


@pytest.mark.parametrize("kind", ["q-learning", "sarsa", "expected-sarsa"])
def test_watching_a_table_changes_nothing_learnt_and_training_resumes(kind):
    env = _lake()
    session = TrainingSession(env, build(kind, env, {"alpha": 0.5}, seed=0), seed=1,
                              turbo=True)
    session.advance(2_000)
    agent, steps, episodes = session.agent, session.training_steps, session.training_episodes
    before = _state_bytes(agent)
    session.set_mode("watch")
    report = session.advance(500)
    assert report.steps == 500 and not report.turbo
    assert _state_bytes(agent) == before
    assert session.training_steps == steps and session.training_episodes == episodes
    assert session.greedy_steps == 500 and session.epsilon == 0.0
    session.set_mode("learn")
    session.advance(500)
    assert session.training_steps == steps + 500 and _state_bytes(agent) != before


def test_watch_actions_are_the_greedy_ones_at_epsilon_0_and_random_at_1():
    env = _lake()
    session = TrainingSession(env, build("q-learning", env, seed=0), seed=0)
    session.advance(3_000)
    session.set_mode("watch")
    for _ in range(30):
        row = session.agent.q_table[session.state]
        report = session.advance(1, record=True)
        assert report.transitions[0].action in np.flatnonzero(row == row.max())
    session.set_watch_epsilon(1.0)
    assert session.epsilon == 1.0 and session.snapshot().epsilon == 1.0
    actions = {t.action for t in session.advance(200, record=True).transitions}
    assert actions == {0, 1, 2, 3}
    with pytest.raises(ValueError, match="between 0 and 1"):
        session.set_watch_epsilon(1.5)
    assert session.watch_epsilon == 1.0
    with pytest.raises(ValueError, match="mode must be one of learn, greedy, watch"):
        session.set_mode("sleep")


def test_play_action_draws_nothing_at_epsilon_0():
    env = _lake()
    agent = build("q-learning", env, seed=0)
    rng = np.random.default_rng(5)
    state = rng.bit_generator.state
    for _ in range(10):
        play_action(agent, 0, env.action_space, 0.0, rng)
    assert rng.bit_generator.state == state
    starts = gym.spaces.Discrete(3, start=-1)
    picks = {play_action(agent, 0, starts, 1.0, rng) for _ in range(100)}
    assert picks == {-1, 0, 1}


def _cartpole_dqn(tmp_path, **hp):
    env = make_env("CartPole-v1")[0]
    agent = build("dqn", env, {"learning_starts": 16, "batch_size": 8, "train_freq": 1,
                               "hidden": (16,), **hp}, seed=0, device="cpu")
    session = TrainingSession(env, agent, seed=0)
    session.advance(100)
    assert agent.num_updates > 0 and agent.replay_size > 0
    path = tmp_path / "cartpole.pt"
    save_agent(path, agent, {"env": "CartPole-v1"})
    return env, path


def test_a_loaded_dqn_is_watched_without_replay_and_then_trains(tmp_path):
    env, path = _cartpole_dqn(tmp_path)
    agent, _ = load_agent(path, device="cpu")
    assert agent.device == "cpu" and agent.buffer is None and agent.replay_size == 0
    session = TrainingSession(env, agent, seed=3)
    session.set_mode("watch")
    before, num_steps, updates = _state_bytes(agent), agent.num_steps, agent.num_updates
    assert session.advance(300).steps == 300
    assert agent.buffer is None  # nothing stored: no ring was even allocated
    assert _state_bytes(agent) == before
    assert (agent.num_steps, agent.num_updates) == (num_steps, updates)
    session.set_mode("learn")
    session.advance(16)  # learning_starts transitions of its own before the first batch
    assert isinstance(agent.buffer, ReplayBuffer) and agent.num_updates == updates
    session.advance(20)
    assert agent.num_updates > updates and agent.num_steps == num_steps + 36
    assert _state_bytes(agent) != before


def test_switching_modes_mid_episode_leaves_no_n_step_leftovers(tmp_path):
    env = make_env("CartPole-v1")[0]
    agent = build("dqn", env, {"n_step": 3, "learning_starts": 10**6}, seed=0, device="cpu")
    session = TrainingSession(env, agent, seed=0)
    session.advance(2)
    assert len(agent.nstep) == 2  # two steps wait for their third reward
    session.set_mode("watch")
    session.set_mode("learn")
    assert len(agent.nstep) == 0  # the abandoned episode's steps are not chained to a new one


def test_an_atari_dqn_loaded_for_watching_allocates_no_replay(tmp_path, monkeypatch):
    env, _ = make_env("ALE/SpaceInvaders-v5", max_steps=60)
    agent = build("dqn", env, {"buffer_size": 100_000}, seed=0, device="cpu")
    assert agent.buffer is None  # a fresh agent claims its ring when it first learns, too
    path = tmp_path / "si.pt"
    save_agent(path, agent, {"env": "ALE/SpaceInvaders-v5"})
    loaded, _ = load_agent(path, device="cpu")

    def refuse(*_a, **_k):
        raise AssertionError("a replay ring was allocated while watching")

    monkeypatch.setattr(FrameReplay, "__init__", refuse)
    session = TrainingSession(env, loaded, seed=0)
    session.set_mode("watch")
    before = _state_bytes(loaded)
    report = session.advance(80)
    assert report.steps == 80 and len(report.episodes) >= 1
    assert loaded.buffer is None and _state_bytes(loaded) == before
    monkeypatch.undo()
    session.set_mode("learn")
    session.advance(5)
    assert isinstance(loaded.buffer, FrameReplay) and loaded.buffer.size == 5
    env.close()


def test_cli_eval_allocates_no_replay_and_takes_an_epsilon(tmp_path, monkeypatch, capsys):
    _, path = _cartpole_dqn(tmp_path)

    def refuse(*_a, **_k):
        raise AssertionError("eval allocated a replay ring")

    monkeypatch.setattr(ReplayBuffer, "__init__", refuse)
    args = ["eval", "--agent-file", str(path), "--episodes", "3", "--seed", "0", "--json",
            "--device", "cpu"]
    assert cli.main(args) == 0
    greedy = json.loads(capsys.readouterr().out)
    assert greedy["greedy"] is True and greedy["epsilon"] == 0.0
    assert cli.main(args + ["--epsilon", "1"]) == 0
    random = json.loads(capsys.readouterr().out)
    assert random["greedy"] is False and random["epsilon"] == 1.0
    assert random["mean_length"] != greedy["mean_length"]
    assert cli.main(args + ["--epsilon", "2"]) == 2
    assert "must be a number from 0 to 1, got '2'" in capsys.readouterr().err


def test_evaluate_at_epsilon_0_is_greedy_and_reproducible():
    env = _lake()
    agent = build("q-learning", env, seed=0)
    session = TrainingSession(env, agent, seed=0, turbo=True)
    session.advance(5_000)
    first = evaluate(env, agent, [0, 1, 2])
    assert first == evaluate(env, agent, [0, 1, 2], epsilon=0.0)
    noisy = evaluate(env, agent, [0, 1, 2], epsilon=0.5)
    assert noisy == evaluate(env, agent, [0, 1, 2], epsilon=0.5)
    with pytest.raises(ValueError, match="between 0 and 1"):
        evaluate(env, agent, [0], epsilon=-0.1)


def test_a_loaded_dqn_explores_where_its_schedule_left_off(tmp_path):
    env = make_env("CartPole-v1")[0]
    agent = build("dqn", env, {"learning_starts": 10**6, "exploration_fraction": 0.5},
                  seed=0, device="cpu", total_steps=400)
    TrainingSession(env, agent, seed=0).advance(150)
    path = tmp_path / "explored.pt"
    save_agent(path, agent, {"env": "CartPole-v1"})
    loaded, _ = load_agent(path, device="cpu")
    session = TrainingSession(env, loaded, seed=1)
    assert loaded.num_steps == 150 and session.epsilon == pytest.approx(loaded.epsilon_at(150))
    assert session.epsilon < loaded.config.epsilon_start
    session.set_mode("watch")
    session.advance(30)
    session.set_mode("learn")
    assert session.epsilon == pytest.approx(loaded.epsilon_at(150))  # watching moved nothing
    session.advance(10)
    assert loaded.num_steps == 160 and session.epsilon == pytest.approx(loaded.epsilon_at(160))
    session.reset()
    assert loaded.num_steps == 0 and session.epsilon == loaded.config.epsilon_start
