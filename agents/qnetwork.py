"""The Q-network: an MLP from an observation to one Q-value per action.

Kept apart from the agent (as Stable-Baselines3 keeps policies apart from algorithms) so the
learning rule in ``agents/dqn.py`` reads on its own.  Imported only by the DQN: it imports torch.
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn


class QNetwork(nn.Module):
    """MLP from an observation to one Q-value per action, optionally with a dueling head.

    Discrete observations arrive as integer indices and are one-hot encoded on the device
    (``F.one_hot``), so the same network plays FrozenLake, Taxi and the sandbox's mazes.  The
    forward pass calls ``addmm`` on the layers' parameters directly: on small batches torch's
    per-call overhead, not arithmetic, is what a gradient step spends its time on.
    """

    def __init__(self, n_inputs: int, n_actions: int, hidden: tuple[int, ...], dueling: bool,
                 one_hot: bool) -> None:
        super().__init__()
        self.n_inputs = n_inputs
        self.one_hot = one_hot
        widths = (n_inputs, *hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.head = nn.Linear(widths[-1], n_actions)
        self.value = nn.Linear(widths[-1], 1) if dueling else None
        self._collect()

    def _collect(self) -> None:
        """Plain references to (bias, weight) pairs: ``nn.Module.__getattr__`` is slow."""
        self._hidden = [(layer.bias, layer.weight) for layer in self.layers]
        self._head = (self.head.bias, self.head.weight)
        self._value = None if self.value is None else (self.value.bias, self.value.weight)

    def _apply(self, fn: Any, recurse: bool = True) -> QNetwork:
        out = super()._apply(fn, recurse)  # .to(device) may swap the parameters
        self._collect()
        return out

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values ``[batch, n_actions]`` of a batch of stored observations."""
        if self.one_hot:
            h = F.one_hot(obs, self.n_inputs).to(torch.float32)
        else:
            h = obs.to(torch.float32).flatten(1)
        for bias, weight in self._hidden:
            h = torch.addmm(bias, h, weight.t()).relu_()
        q = torch.addmm(self._head[0], h, self._head[1].t())
        if self._value is not None:  # Q = V + A - mean(A)
            value = torch.addmm(self._value[0], h, self._value[1].t())
            q = value + q - q.mean(dim=1, keepdim=True)
        return q


def init_network(net: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear initialisation, drawn from the agent's own generator.

    torch's default draws from the global RNG; drawing from ours keeps "same seed, same
    parameters" true whatever else the process does.
    """
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, nn.Linear):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                bound = 1.0 / math.sqrt(module.weight.shape[1])
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
