"""NumpyGreedy: numpy's greedy action is torch's, and follows every change of the parameters."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
import torch

from agents.dqn import DQN
from agents.numpy_policy import NumpyGreedy, numpy_greedy_for
from agents.qnetwork import QNetwork, init_network

BOX = gym.spaces.Box(-2.0, 2.0, shape=(2, 3), dtype=np.float32)


def _net(n_inputs: int, dueling: bool, one_hot: bool, hidden=(16, 8)) -> QNetwork:
    net = QNetwork(n_inputs, 5, hidden, dueling, one_hot)
    init_network(net, torch.Generator().manual_seed(7))
    return net


@pytest.mark.parametrize("dueling", [False, True])
@pytest.mark.parametrize("hidden", [(16,), (16, 8, 4)])
def test_box_observations_pick_torchs_argmax(dueling, hidden):
    net = _net(6, dueling, one_hot=False, hidden=hidden)
    greedy = NumpyGreedy(net)
    obs = np.random.default_rng(0).uniform(-2, 2, size=(200, 2, 3)).astype(np.float32)
    with torch.no_grad():
        q = net(torch.from_numpy(obs)).numpy()
    assert [greedy(o) for o in obs] == q.argmax(axis=1).tolist()


def test_one_hot_indices_pick_torchs_argmax():
    net = _net(30, dueling=True, one_hot=True)
    greedy = NumpyGreedy(net)
    with torch.no_grad():
        q = net(torch.arange(30)).numpy()
    assert [greedy(i) for i in range(30)] == q.argmax(axis=1).tolist()


def test_the_views_follow_training_and_loading():
    agent = DQN(BOX, gym.spaces.Discrete(3, start=1), device="cpu", seed=0, learning_starts=8,
                batch_size=8, train_freq=1, learning_rate=0.05)
    rng = np.random.default_rng(1)
    states = rng.uniform(-2, 2, size=(64, 2, 3)).astype(np.float32)

    def torch_greedy() -> list[int]:
        return (agent.q_values(states).argmax(axis=1) + 1).tolist()

    before = torch_greedy()
    for i in range(40):
        agent.update(states[i], int(rng.integers(1, 4)), float(rng.normal()), states[i + 1], False)
    after = torch_greedy()
    assert after != before  # learning changed the policy ...
    assert [agent.greedy(s) for s in states] == after  # ... and numpy sees the new weights
    agent.reset_q()
    assert [agent.greedy(s) for s in states] == torch_greedy()


def test_only_a_cpu_mlp_gets_a_numpy_policy():
    assert isinstance(numpy_greedy_for(_net(4, False, False)), NumpyGreedy)

    class Other(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.w = torch.nn.Parameter(torch.zeros(1))

    assert numpy_greedy_for(Other()) is None
