"""DQN from images: network choice, CNN shapes and scaling, reward clipping; device handling."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents import cli
from agents.adam import has_fused_adam
from agents.config import ConfigError
from agents.dqn import DQN, resolve_device
from agents.frame_replay import FrameReplay
from agents.qnetwork import ConvQNetwork, choose_network

FRAMES = gym.spaces.Box(0, 255, (4, 84, 84), np.uint8)
GRID = gym.spaces.Box(0, 1, (9, 7, 9), np.uint8)
ACTIONS = gym.spaces.Discrete(6)


@pytest.mark.parametrize("shape, kind", [
    ((4, 84, 84), "nature_cnn"), ((9, 7, 9), "grid_cnn"), ((3, 36, 40), "nature_cnn"),
    ((4,), "mlp"), ((84, 84, 200), "mlp"), ((2, 3), "mlp"),
])
def test_network_is_chosen_from_the_observation_shape(shape, kind):
    assert choose_network(shape) == kind


def test_an_impossible_network_choice_is_one_sentence():
    with pytest.raises(ConfigError, match="at least 36x36 pixels, got 7x9; use grid_cnn"):
        DQN(GRID, ACTIONS, device="cpu", network="nature_cnn")
    with pytest.raises(ConfigError, match="needs image observations"):
        DQN(gym.spaces.Discrete(5), ACTIONS, device="cpu", network="grid_cnn")
    with pytest.raises(ConfigError, match="network must be one of"):
        DQN(GRID, ACTIONS, device="cpu", network="resnet")


def test_frames_go_to_the_nature_cnn_as_uint8_and_are_scaled_on_the_device():
    agent = DQN(FRAMES, ACTIONS, device="cpu", seed=0, hidden=(512,), buffer_size=100)
    net = agent.q_net
    assert isinstance(net, ConvQNetwork) and net.kind == "nature_cnn"
    assert net.scale == pytest.approx(1 / 255)
    assert agent.uses_frame_replay and agent.buffer is None  # allocated by the first update
    shapes = {k: tuple(v.shape) for k, v in net.state_dict().items()}
    assert shapes["cnn.0.weight"] == (32, 4, 8, 8) and shapes["cnn.4.weight"] == (64, 64, 3, 3)
    assert shapes["layers.0.weight"] == (512, 3136) and shapes["head.weight"] == (6, 512)
    obs = np.random.default_rng(0).integers(0, 256, (2, 4, 84, 84), dtype=np.uint8)
    assert agent._obs_batch(obs).dtype == torch.uint8  # scaling happens inside the network
    by_hand = net.cnn(torch.from_numpy(obs).float() / 255).flatten(1)
    by_hand = net.head(torch.relu(net.layers[0](by_hand)))
    assert torch.allclose(net(torch.from_numpy(obs)), by_hand, atol=1e-5)


def test_grid_images_use_the_plain_replay_and_unit_scale():
    agent = DQN(GRID, gym.spaces.Discrete(4), device="cpu", seed=0, dueling=True)
    assert agent.network_kind == "grid_cnn" and agent.q_net.scale == 1.0
    agent.update(np.zeros((9, 7, 9), np.uint8), 0, 0.0, np.zeros((9, 7, 9), np.uint8), False)
    assert agent.buffer.size == 1 and not isinstance(agent.buffer, FrameReplay)
    q = agent.q_values(np.zeros((3, 9, 7, 9), np.uint8))
    assert q.shape == (3, 4)


def test_the_same_seed_gives_the_same_cnn():
    a = DQN(GRID, ACTIONS, device="cpu", seed=4)
    b = DQN(GRID, ACTIONS, device="cpu", seed=4)
    for pa, pb in zip(a.q_net.parameters(), b.q_net.parameters(), strict=True):
        assert torch.equal(pa, pb)


def test_rewards_are_clipped_for_learning_only():
    agent = DQN(gym.spaces.Discrete(3), gym.spaces.Discrete(2), device="cpu", seed=0,
                clip_rewards=True, learning_starts=100)
    agent.update(0, 1, 25.0, 1, False)
    agent.update(1, 0, -0.5, 2, True)
    assert agent.buffer.rows(range(2))["returns"].tolist() == [1.0, -1.0]


def test_discrete_states_are_checked_before_they_reach_the_device():
    agent = DQN(gym.spaces.Discrete(4, start=2), gym.spaces.Discrete(2), device="cpu", seed=0)
    with pytest.raises(ValueError, match="state 6 is outside this agent's 4 observations"):
        agent.update(2, 0, 0.0, 6, False)
    assert agent.replay_size == 0 and agent.buffer is None


def test_cuda_device_names_are_normalised_or_refused(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 2)
    assert resolve_device("cuda:01") == "cuda:1"
    assert resolve_device("CUDA:0") == "cuda:0"
    with pytest.raises(ConfigError, match="torch sees 2 GPU"):
        resolve_device("cuda:002")


def test_fused_adam_is_asked_for_only_where_a_kernel_exists():
    assert has_fused_adam(torch.device("cpu"))
    assert not has_fused_adam(torch.device("meta"))


def test_soft_target_update_in_one_foreach_call_matches_the_formula():
    agent = DQN(GRID, ACTIONS, device="cpu", seed=0, tau=0.25)
    with torch.no_grad():
        for p in agent.q_net.parameters():
            p.add_(1.0)
    before = [p.clone() for p in agent.target_net.parameters()]
    agent.sync_target()
    for old, new, online in zip(before, agent.target_net.parameters(), agent.q_net.parameters(),
                                strict=True):
        assert torch.allclose(new, old + 0.25 * (online - old), atol=1e-6)


def test_loading_honours_the_chosen_device(tmp_path, monkeypatch):
    from agents import dqn_storage
    from agents.storage import load_agent, save_agent

    agent = DQN(gym.spaces.Discrete(3), gym.spaces.Discrete(2), device="cpu", seed=0)
    path = tmp_path / "a.pt"
    save_agent(path, agent, {"env": "mouse"})
    asked = []
    real = dqn_storage.load_dqn
    monkeypatch.setattr(dqn_storage, "load_dqn",
                        lambda p, device="auto", **kw: asked.append(device) or real(p, **kw))
    load_agent(path, device="cpu")
    assert asked == ["cpu"]


def test_eval_device_flag_refuses_a_missing_gpu(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    from agents.storage import save_agent

    agent = DQN(gym.spaces.Discrete(16), gym.spaces.Discrete(4), device="cpu", seed=0)
    path = tmp_path / "lake.pt"
    save_agent(path, agent, {"env": "FrozenLake-v1"})
    assert cli.main(["eval", "--agent-file", str(path), "--episodes", "2", "--device", "cuda",
                     "--json"]) == 2
    err = capsys.readouterr().err
    assert "torch sees no CUDA GPU" in err and len(err.strip().splitlines()) == 1
    assert cli.main(["eval", "--agent-file", str(path), "--episodes", "2", "--device", "cpu",
                     "--json"]) == 0


def test_an_image_maze_snapshot_has_the_networks_q_on_every_cell():
    from agents.session import TrainingSession
    from levels.envs import make_env

    env, _ = make_env("GridMaze-v0:level=maze_small,observation=image")
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=0,
                learning_starts=10, batch_size=8)
    session = TrainingSession(env, agent, seed=0)
    report = session.advance(40, record=True)
    snap = session.snapshot()
    base = env.unwrapped
    assert snap.q.shape == (base.n_states, 4)
    np.testing.assert_allclose(snap.q[17], agent.q_values(base.images([17]))[0], atol=1e-6)
    assert snap.state == base.s and snap.position == divmod(base.s % base.n_cells, base.ncol)
    last = report.transitions[-1]
    assert isinstance(last.next_state, int) and last.next_state == base.s
    assert base.state_of(base.images([base.n_cells * 3 + 40])[0]) == base.n_cells * 3 + 40
