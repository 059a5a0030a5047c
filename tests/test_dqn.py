"""DQN: targets by hand, bootstrapping rules, target sync, divergence, devices, saving, learning."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from agents import build
from agents.config import ConfigError, DQNConfig
from agents.dqn import (
    DQN,
    DQNStats,
    QNetwork,
    SpaceError,
    TrainingDiverged,
    resolve_device,
    td_targets,
)
from agents.dqn_storage import DQNFileError, is_dqn_file, load_dqn, save_dqn
from agents.presets import (
    PRESETS,
    ZOO,
    add_dqn_arguments,
    dqn_hyperparameters,
    from_zoo,
    preset_for,
)

BOX = gym.spaces.Box(-1.0, 1.0, shape=(3,), dtype=np.float32)


def lake(**kw) -> gym.Env:
    return gym.make("FrozenLake-v1", is_slippery=False, **kw)


def agent_for(env: gym.Env, **hp) -> DQN:
    return DQN(env.observation_space, env.action_space, device="cpu", **hp)


class Table(nn.Module):
    """A 'network' that returns a fixed row of Q-values per (integer) observation."""

    def __init__(self, rows: list[list[float]]) -> None:
        super().__init__()
        self.rows = torch.tensor(rows)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        return self.rows[obs]


# -- the TD target -----------------------------------------------------------------------------

def test_double_dqn_target_equals_the_formula_by_hand():
    online = Table([[1.0, 5.0], [3.0, 2.0], [0.0, 9.0]])
    target = Table([[10.0, 20.0], [30.0, 40.0], [7.0, 8.0]])
    next_obs = torch.tensor([0, 1, 2])
    returns = torch.tensor([1.0, 0.5, -1.0])
    discounts = torch.tensor([0.9, 0.99, 0.0])  # bootstrapped, truncated, terminated
    double = td_targets(online, target, next_obs, returns, discounts, double=True)
    # online argmax: a' = 1, 0, 1; target values them: 20, 30, (8, but discount 0)
    assert double.tolist() == pytest.approx([1 + 0.9 * 20, 0.5 + 0.99 * 30, -1.0])
    plain = td_targets(online, target, next_obs, returns, discounts, double=False)
    assert plain.tolist() == pytest.approx([1 + 0.9 * 20, 0.5 + 0.99 * 40, -1.0])


def test_a_training_round_reports_the_hand_computed_huber_loss():
    """The loss the agent reports is Huber(Q(s, a), r + gamma * Q_target(s', argmax Q(s', .)))."""
    env = lake()
    agent = agent_for(env, seed=3, learning_starts=10**6, batch_size=8, gamma=0.9)
    rows = [(0, 2, 0.0, 1, False, False), (14, 2, 1.0, 15, True, False),
            (5, 1, 0.0, 5, True, False), (3, 0, 0.0, 3, False, True)]
    for row in rows:
        agent.update(*row[:5], truncated=row[5])
    stored = agent.buffer.rows(range(4))
    assert stored["discounts"].tolist() == pytest.approx([0.9, 0.0, 0.0, 0.9])
    state = agent.buffer.generator.get_state()
    index = torch.randint(0, 4, (8,), generator=agent.buffer.generator)
    agent.buffer.generator.set_state(state)
    s, a, r, s2, d = (torch.as_tensor(stored[k])[index] for k in
                      ("obs", "actions", "returns", "next_obs", "discounts"))
    q_online = torch.as_tensor(agent.q_values(np.arange(16)), dtype=torch.float32)
    with torch.no_grad():
        q_target = agent.target_net(torch.arange(16))
    best = q_online[s2].argmax(dim=1)
    y = r + d * q_target[s2, best]
    expected = F.smooth_l1_loss(q_online[s, a], y).item()
    stats = agent.train(1)
    assert isinstance(stats, DQNStats)
    assert stats.loss == pytest.approx(expected, rel=1e-5)
    assert stats.td_error == pytest.approx((y - q_online[s, a]).abs().mean().item(), rel=1e-5)


def test_termination_stops_bootstrapping_and_truncation_does_not():
    agent = DQN(BOX, gym.spaces.Discrete(2), device="cpu", seed=0, gamma=0.95,
                learning_starts=10**6)
    s = np.zeros(3, np.float32)
    agent.update(s, 0, 1.0, s + 0.1, False)
    agent.update(s, 1, 1.0, s + 0.2, True)
    agent.update(s, 0, 1.0, s + 0.3, False, truncated=True)
    agent.update(s, 1, 1.0, s + 0.4, True, truncated=True)  # both: termination wins
    assert agent.buffer.rows(range(4))["discounts"].tolist() == pytest.approx(
        [0.95, 0.0, 0.95, 0.0])


def test_n_step_transitions_by_hand_through_the_agent():
    env = lake()
    agent = agent_for(env, seed=0, n_step=2, gamma=0.5, learning_starts=10**6)
    agent.update(0, 2, 1.0, 1, False)
    assert len(agent.buffer) == 0  # waits for a second reward
    agent.update(1, 2, 2.0, 2, False)
    agent.update(2, 1, 4.0, 6, False, truncated=True)  # flush: 2 rows, both still bootstrap
    rows = agent.buffer.rows(range(3))
    assert rows["obs"].tolist() == [0, 1, 2]
    assert rows["returns"].tolist() == pytest.approx([1 + 0.5 * 2, 2 + 0.5 * 4, 4.0])
    assert rows["next_obs"].tolist() == [2, 6, 6]
    assert rows["discounts"].tolist() == pytest.approx([0.25, 0.25, 0.5])
    agent.update(0, 1, 3.0, 4, False)
    agent.update(4, 1, 5.0, 5, True)  # terminated: returns stop at the end of the episode
    rows = agent.buffer.rows(range(3, 5))
    assert rows["returns"].tolist() == pytest.approx([3 + 0.5 * 5, 5.0])
    assert rows["discounts"].tolist() == [0.0, 0.0]


# -- target network ----------------------------------------------------------------------------

def _params(net: nn.Module) -> list[torch.Tensor]:
    return [p.detach().clone() for p in net.parameters()]


def _train_on_lake(agent: DQN, steps: int, seed: int = 0) -> None:
    env = lake()
    state, _ = env.reset(seed=seed)
    for _ in range(steps):
        action = agent.act(state)
        next_state, reward, terminated, truncated, _ = env.step(action)
        agent.update(state, action, reward, next_state, terminated, truncated=truncated)
        state = next_state if not (terminated or truncated) else env.reset()[0]


def test_hard_target_sync_copies_every_interval():
    agent = agent_for(lake(), seed=1, learning_starts=5, train_freq=1, target_update_interval=20)
    start = _params(agent.target_net)
    _train_on_lake(agent, 19)
    assert all(torch.equal(a, b) for a, b in zip(start, _params(agent.target_net)))
    assert not all(torch.equal(a, b) for a, b in zip(start, _params(agent.q_net)))
    before_sync = _params(agent.q_net)
    _train_on_lake(agent, 1)  # step 20: sync first, then this step's gradient step
    assert all(torch.equal(a, b) for a, b in zip(before_sync, _params(agent.target_net)))


def test_soft_target_update_blends_by_tau():
    agent = agent_for(lake(), seed=1, tau=0.25)
    with torch.no_grad():
        for p in agent.q_net.parameters():
            p.add_(1.0)
    online, old = _params(agent.q_net), _params(agent.target_net)
    agent.sync_target()
    for o, t, new in zip(online, old, _params(agent.target_net)):
        assert torch.allclose(new, 0.25 * o + 0.75 * t, atol=1e-6)


# -- divergence --------------------------------------------------------------------------------

def test_a_huge_learning_rate_stops_training_with_one_clear_sentence(tmp_path):
    env = gym.make("CartPole-v1")
    agent = agent_for(env, seed=0, learning_rate=1e6, learning_starts=50, train_freq=1)
    with pytest.raises(TrainingDiverged) as err:
        state, _ = env.reset(seed=0)
        for _ in range(1000):
            action = agent.act(state)
            next_state, reward, terminated, truncated, _ = env.step(action)
            agent.update(state, action, reward, next_state, terminated, truncated=truncated)
            state = next_state if not (terminated or truncated) else env.reset()[0]
    message = str(err.value)
    assert message.startswith("training diverged at step ")
    assert "learning rate 1e+06 is probably too high" in message and "\n" not in message
    with pytest.raises(TrainingDiverged):  # it stays stopped
        agent.update(state, 0, 1.0, state, False)
    # a diverged agent is never written over a good file
    good = tmp_path / "good.pt"
    save_dqn(good, agent_for(env, seed=0))
    before = good.read_bytes()
    with pytest.raises(DQNFileError, match="diverged"):
        save_dqn(good, agent)
    assert good.read_bytes() == before


def test_an_injected_nan_is_caught_at_the_next_training_round():
    agent = agent_for(lake(), seed=0, learning_starts=0, train_freq=1)
    agent.update(0, 1, 0.0, 4, False)
    with torch.no_grad():
        agent.q_net.layers[0].weight[0, 0] = float("nan")
    with pytest.raises(TrainingDiverged, match="became nan"):
        agent.update(4, 1, 0.0, 8, False)


# -- devices, spaces, encoding -----------------------------------------------------------------

def test_device_resolution(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_device("auto") == "cpu"
    assert resolve_device(" CPU ") == "cpu"
    with pytest.raises(ConfigError, match="no CUDA GPU"):
        resolve_device("cuda")
    with pytest.raises(ConfigError, match="auto, cpu, cuda or cuda:N"):
        resolve_device("tpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    assert resolve_device("auto") == "cuda"
    assert resolve_device("cuda:0") == "cuda:0"
    assert resolve_device("cpu") == "cpu"
    with pytest.raises(ConfigError, match="torch sees 1 GPU"):
        resolve_device("cuda:1")


def test_agent_reports_its_device():
    agent = DQN(BOX, gym.spaces.Discrete(2), seed=0)
    assert agent.device == ("cuda" if torch.cuda.is_available() else "cpu")
    assert next(agent.q_net.parameters()).device.type == agent.device.split(":")[0]


def test_discrete_observations_are_one_hot():
    net = QNetwork(5, 3, (4,), dueling=False, one_hot=True)
    obs = torch.tensor([0, 3, 4])
    eye = torch.eye(5)[obs]
    hidden = F.relu(eye @ net.layers[0].weight.T + net.layers[0].bias)
    expected = hidden @ net.head.weight.T + net.head.bias
    assert torch.allclose(net(obs), expected, atol=1e-6)


def test_discrete_observation_with_offset_and_q_values_in_batch():
    agent = DQN(gym.spaces.Discrete(4, start=10), gym.spaces.Discrete(3, start=1), seed=0,
                device="cpu")
    q = agent.q_values([10, 11, 12, 13])
    assert q.shape == (4, 3) and q.dtype == np.float64
    assert agent.greedy(12) == int(np.argmax(q[2])) + 1
    with pytest.raises(ValueError, match="outside this agent's 4 observations"):
        agent.q_values([14])


def test_dueling_head_is_v_plus_centred_advantage():
    net = QNetwork(3, 4, (8,), dueling=True, one_hot=False)
    x = torch.randn(5, 3)
    h = F.relu(net.layers[0](x))
    adv = net.head(h)
    expected = net.value(h) + adv - adv.mean(dim=1, keepdim=True)
    assert torch.allclose(net(x), expected, atol=1e-6)


def test_non_discrete_action_space_is_refused():
    with pytest.raises(SpaceError, match="needs a Discrete action space"):
        DQN(BOX, gym.spaces.Box(-1, 1, shape=(1,)))
    with pytest.raises(SpaceError, match="Box or Discrete observation space"):
        DQN(gym.spaces.Dict({"a": BOX}), gym.spaces.Discrete(2))


# -- protocol and hyperparameters --------------------------------------------------------------

def test_protocol_acting_and_schedule():
    agent = agent_for(lake(), seed=0, learning_starts=4, train_freq=2, total_steps=100,
                      exploration_fraction=0.5, epsilon_start=1.0, epsilon_end=0.1)
    assert agent.kind == "dqn" and agent.needs_next_action is False and agent.epsilon == 1.0
    assert {agent.act(0) for _ in range(200)} == {0, 1, 2, 3}
    results = [agent.update(0, 1, 0.0, 4, False) for _ in range(8)]
    # trains when more than learning_starts steps are done and the count divides by train_freq
    assert [r is not None for r in results] == [False] * 5 + [True, False, True]
    assert agent.epsilon == pytest.approx(1.0 - 0.9 * 8 / 50)
    agent.epsilon = 0.0
    assert all(agent.act(s) == agent.greedy(s) for s in range(16))
    assert agent.stats_history()["loss"].shape == (2,)


def test_set_hyperparameters_applies_or_refuses():
    agent = agent_for(lake(), seed=0)
    agent.set_hyperparameters(learning_rate=0.01, gamma=0.5, epsilon=0.2)
    assert agent.optimizer.param_groups[0]["lr"] == pytest.approx(0.01)
    assert agent.nstep.gamma == 0.5 and agent.epsilon == 0.2
    agent.update(0, 1, 0.0, 4, False)
    assert agent.epsilon == 0.2  # pinned: start = end
    with pytest.raises(ConfigError, match="hidden can only be chosen when"):
        agent.set_hyperparameters(hidden=(8,))
    with pytest.raises(ConfigError, match="no hyperparameter 'alpha'"):
        agent.set_hyperparameters(alpha=0.1)
    with pytest.raises(ConfigError, match="gamma must be between 0 and 1"):
        agent.set_hyperparameters(gamma=2.0)
    assert agent.config.gamma == 0.5


def test_every_config_field_has_a_range_and_help():
    for f in dataclasses.fields(DQNConfig):
        assert "range" in f.metadata and f.metadata["help"], f.name
    with pytest.raises(ConfigError, match="loss must be one of huber, mse"):
        DQNConfig(loss="l1")


def test_same_seed_same_parameters_on_cpu():
    def trained(seed: int) -> list[torch.Tensor]:
        agent = agent_for(lake(), seed=seed, learning_starts=20, train_freq=1,
                          target_update_interval=25, n_step=2)
        _train_on_lake(agent, 300, seed=5)
        return _params(agent.q_net)

    a, b, c = trained(11), trained(11), trained(12)
    assert all(torch.equal(x, y) for x, y in zip(a, b))
    assert not all(torch.equal(x, y) for x, y in zip(a, c))


def test_torch_is_not_imported_by_the_light_modules():
    code = ("import sys, agents, agents.config, agents.presets, agents.session, agents.cli; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


# -- presets and CLI helpers -------------------------------------------------------------------

def test_presets_are_valid_configs():
    for env_id, preset in PRESETS.items():
        DQNConfig(**preset)  # raises if a value is out of range
        assert preset_for(env_id) == preset and preset_for(env_id) is not preset
    assert preset_for("FrozenLake-v1:is_slippery=False") == PRESETS["FrozenLake-v1"]
    assert preset_for("NoSuchEnv-v0") is None
    assert from_zoo(ZOO["Acrobot-v1"])["gradient_steps"] == ZOO["Acrobot-v1"]["train_freq"]
    assert PRESETS["MountainCar-v0"]["hidden"] == (256, 256)


def test_cli_flags_overlay_the_preset():
    parser = argparse.ArgumentParser()
    add_dqn_arguments(parser)
    args = parser.parse_args(["--learning-rate", "0.01", "--no-double", "--dueling",
                              "--n-step", "3", "--hidden", "32,16", "--target-update", "77",
                              "--loss", "mse", "--device", "cpu"])
    hp = dqn_hyperparameters(args, "CartPole-v1")
    assert hp["learning_rate"] == 0.01 and hp["double"] is False and hp["dueling"] is True
    assert hp["n_step"] == 3 and hp["hidden"] == (32, 16) and hp["loss"] == "mse"
    assert hp["target_update_interval"] == 77
    assert hp["batch_size"] == PRESETS["CartPole-v1"]["batch_size"]  # from the preset
    agent = build("dqn", gym.make("CartPole-v1"), hp, seed=0, device="cpu", total_steps=500)
    assert agent.config.total_steps == 500 and agent.device == "cpu"
    defaults = dqn_hyperparameters(parser.parse_args(["--preset", "none"]), "CartPole-v1")
    assert defaults == {}
    with pytest.raises(ConfigError, match="no DQN preset for 'Pong'"):
        dqn_hyperparameters(parser.parse_args(["--preset", "Pong"]), "CartPole-v1")
    with pytest.raises(ConfigError, match="--hidden must be comma-separated"):
        dqn_hyperparameters(parser.parse_args(["--hidden", "wide"]), "CartPole-v1")


# -- saving ------------------------------------------------------------------------------------

def test_save_load_round_trip_gives_the_same_greedy_actions(tmp_path):
    env = lake()
    agent = agent_for(env, seed=2, learning_starts=10, train_freq=1, dueling=True)
    _train_on_lake(agent, 200)
    path = tmp_path / "lake.pt"
    save_dqn(path, agent, {"env_spec": "FrozenLake-v1:is_slippery=False"})
    assert is_dqn_file(path)
    loaded, meta = load_dqn(path, expect_env=env, device="cpu")
    states = np.arange(16)
    assert np.array_equal(loaded.q_values(states), agent.q_values(states))
    assert [loaded.greedy(s) for s in states] == [agent.greedy(s) for s in states]
    assert meta["env_spec"] == "FrozenLake-v1:is_slippery=False"
    assert meta["hyperparameters"]["dueling"] is True
    assert meta["observation_space"] == {"type": "Discrete", "n": 16, "start": 0}
    assert loaded.num_steps == 200 and loaded.epsilon == agent.epsilon
    for name, p in agent.target_net.state_dict().items():
        assert torch.equal(loaded.target_net.state_dict()[name], p)


def test_foreign_pickled_truncated_and_mismatched_files_are_refused(tmp_path):
    env = lake()
    good = tmp_path / "good.pt"
    save_dqn(good, agent_for(env, seed=0))

    text = tmp_path / "notes.pt"
    text.write_text("hello")
    with pytest.raises(DQNFileError, match="notes.pt is not an RL Sandbox DQN file"):
        load_dqn(text)

    other = tmp_path / "other.pt"
    torch.save({"weights": torch.zeros(2)}, other)
    with pytest.raises(DQNFileError, match="a torch file but not an RL Sandbox DQN file"):
        load_dqn(other)

    pickled = tmp_path / "pickled.pt"
    torch.save({"format": "rl-sandbox-dqn", "version": 1, "x": argparse.Namespace(a=1)},
               pickled)
    with pytest.raises(DQNFileError, match="carries pickled Python objects"):
        load_dqn(pickled)

    truncated = tmp_path / "truncated.pt"
    truncated.write_bytes(good.read_bytes()[: len(good.read_bytes()) // 2])
    with pytest.raises(DQNFileError, match="truncated or damaged"):
        load_dqn(truncated)

    npz = tmp_path / "table.npz"
    np.savez(npz, q=np.zeros((2, 2)))
    assert not is_dqn_file(npz)
    with pytest.raises(DQNFileError, match="table.npz is not an RL Sandbox DQN file"):
        load_dqn(npz)

    with pytest.raises(DQNFileError, match="missing.pt: no such file"):
        load_dqn(tmp_path / "missing.pt")

    big = lake(map_name="8x8")
    with pytest.raises(DQNFileError, match=r"holds a DQN that was made for 16 discrete "
                                           r"observations and 4 actions, but this env has 64 "
                                           r"discrete observations"):
        load_dqn(good, expect_env=big)
    with pytest.raises(DQNFileError, match=r"this env has observations of shape \(4,\) and 2"):
        load_dqn(good, expect_env=gym.make("CartPole-v1"))


# -- learning ----------------------------------------------------------------------------------

def _lake_sweeps(agent: DQN, sweeps: int, seed: int) -> None:
    """Feed every transition of the deterministic lake (from its model ``P``) through
    ``agent.update``, ``sweeps`` times in a shuffled order: learning without exploration luck."""
    model = lake().unwrapped.P
    pairs = [(s, a) for s in LAKE_LIVE for a in range(4)]
    rng = np.random.default_rng(seed)
    for _ in range(sweeps):
        for i in rng.permutation(len(pairs)):
            s, a = pairs[i]
            ((_, s2, r, term),) = model[s][a]
            agent.update(s, a, r, s2, term)


LAKE_LIVE = [s for s in range(16) if s not in (5, 7, 11, 12, 15)]  # not a hole, not the goal


@pytest.mark.slow
@pytest.mark.parametrize("seed", [0, 1])
def test_dqn_learns_the_optimal_policy_of_the_deterministic_lake(seed):
    """Every lake transition replayed through ``update``: the greedy policy becomes optimal in
    every state and Q close to Q* (value iteration).

    Budget with margin, measured on seeds 0-9 (tests use 0 and 1): greedy is optimal everywhere
    from sweep 11-17 on, the test gives 40 sweeps (2.3x the slowest seed), where every seed's
    largest |Q - Q*| is below 1e-3 and the bar is 0.05.
    """
    from agents.planning import value_iteration

    gamma = 0.9
    q_star = value_iteration(lake().unwrapped.P, gamma)
    agent = agent_for(lake(), seed=seed, gamma=gamma, learning_rate=1e-3, learning_starts=0,
                      train_freq=1, batch_size=32, target_update_interval=100, total_steps=1760)
    assert any(agent.greedy(s) != int(np.argmax(q_star[s])) for s in LAKE_LIVE)  # not by luck
    _lake_sweeps(agent, 40, seed)
    q = agent.q_values(np.arange(16))
    for s in LAKE_LIVE:
        assert np.isclose(q_star[s, agent.greedy(s)], q_star[s].max()), s
    assert np.abs(q[LAKE_LIVE] - q_star[LAKE_LIVE]).max() < 0.05


# -- driven by TrainingSession -----------------------------------------------------------------

def test_training_session_drives_a_dqn_and_reset_replays_the_run():
    from agents.session import TrainingSession

    env = lake()
    agent = agent_for(env, seed=0, learning_starts=50, train_freq=1, total_steps=400,
                      exploration_fraction=0.5)
    session = TrainingSession(env, agent, seed=3)
    report = session.advance(300)
    assert report.steps == 300 and report.error is None and agent.num_steps == 300
    assert session.epsilon == pytest.approx(agent.epsilon_at(300))
    assert session.snapshot().q.shape == (16, 4)
    first = _params(agent.q_net)
    session.reset()
    assert agent.num_steps == 0 and agent.replay_size == 0
    session.advance(300)
    assert all(torch.equal(a, b) for a, b in zip(first, _params(agent.q_net)))
    session.set_hyperparameters(learning_rate=0.01, batch_size=16)
    assert agent.learning_rate == 0.01 and agent.config.batch_size == 16
    with pytest.raises(ConfigError):
        session.set_hyperparameters(batch_size=0)


def test_session_reports_divergence_and_keeps_running():
    from agents.session import TrainingSession

    env = gym.make("CartPole-v1")
    agent = agent_for(env, seed=0, learning_rate=1e6, learning_starts=50, train_freq=1)
    session = TrainingSession(env, agent, seed=0)
    report = session.advance(2000)
    assert report.error is not None and report.error.startswith("training diverged at step")
    assert report.steps < 2000
    assert session.advance(10).steps == 0  # stopped until the caller resets
    session.reset()
    assert session.error is None and agent.diverged is None


def test_building_an_agent_leaves_torch_global_rng_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    DQN(BOX, gym.spaces.Discrete(2), seed=0, device="cpu")
    assert torch.equal(torch.rand(3), expected)


@pytest.mark.slow
def test_cli_trains_saves_and_evaluates_a_dqn(tmp_path, capsys):
    """The CLI's train -> file -> eval round trip (what the net learnt in 300 steps does not
    matter: eval must report exactly what the saved agent's greedy policy scores)."""
    import json

    from agents.cli import main
    from agents.evaluation import evaluate

    out = tmp_path / "lake.pt"
    args = ["train", "--env", "FrozenLake-v1:is_slippery=False", "--agent", "dqn",
            "--steps", "300", "--learning-starts", "100", "--train-freq", "1",
            "--target-update", "100", "--batch-size", "32", "--device", "cpu", "--out", str(out),
            "--json"]
    assert main(args) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["agent"] == "dqn" and summary["steps"] == 300 and out.exists()
    agent, meta = load_dqn(out, device="cpu")
    assert agent.num_steps == 300 and meta["env"] == "FrozenLake-v1:is_slippery=False"
    assert main(["eval", "--agent-file", str(out), "--episodes", "3", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    expected = evaluate(lake(), agent, [16, 54, 165])  # the course's first three eval seeds
    assert (reported["mean_reward"], reported["success_rate"], reported["mean_length"]) == (
        expected.mean_reward, expected.success_rate, expected.mean_length)
    assert main(["eval", "--agent-file", str(out), "--env", "CartPole-v1"]) == 2
    assert "made for 16 discrete observations" in capsys.readouterr().err
    assert main([*args[:-3], "--out", str(tmp_path / "x.pt"), "--n-step", "0"]) == 2
    assert "n step must be between 1 and 100" in capsys.readouterr().err
