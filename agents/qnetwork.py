"""The Q-networks: an MLP for vectors and indices, CNNs for images; one Q-value per action.

Kept apart from the agent (as Stable-Baselines3 keeps policies apart from algorithms) so the
learning rule in ``agents/dqn.py`` reads on its own.  Imported only by the DQN: it imports torch.
:func:`choose_network` picks one from the observation shape (``DQNConfig.network`` overrides it).
"""

from __future__ import annotations

import math
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from agents.config import DQN_NETWORKS, NATURE_MIN_SIZE, choose_network

__all__ = ["NATURE_MIN_SIZE", "NETWORKS", "ConvQNetwork", "QNetwork", "choose_network",
           "init_network"]


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


NETWORKS = DQN_NETWORKS


class ConvQNetwork(nn.Module):
    """A convolutional encoder, then fully connected layers to one Q-value per action.

    ``nature_cnn`` is the DQN paper's encoder (Mnih et al. 2015: 32 8x8 filters stride 4, 64 4x4
    stride 2, 64 3x3 stride 1), laid out as Stable-Baselines3's ``NatureCNN`` (``cnn.0/2/4``) so
    its checkpoints map onto it.  ``grid_cnn`` is one padded 3x3 convolution of 16 filters for
    small grid images, where every pixel is a cell and striding would throw cells away: each
    filter sees a cell's neighbours and the fully connected layer where the cell is.  A second
    convolution (32 filters) doubled the cost of a gradient step on a 7x9 maze without making
    ``benchmarks/dqn_maze_image.py`` learn in fewer steps.  Observations arrive as stored
    (uint8) and are scaled to ``[0, 1]`` on the device by ``scale`` (1/255 for frames); float
    input is taken as scaled already (a frame replay hands batches over that way, see
    ``agents.frame_replay``).
    """

    def __init__(self, obs_shape: tuple[int, ...], n_actions: int, hidden: tuple[int, ...],
                 dueling: bool, kind: str, scale: float) -> None:
        super().__init__()
        channels, height, width = obs_shape
        if kind == "nature_cnn":
            self.cnn = nn.Sequential(
                nn.Conv2d(channels, 32, 8, stride=4), nn.ReLU(),
                nn.Conv2d(32, 64, 4, stride=2), nn.ReLU(),
                nn.Conv2d(64, 64, 3, stride=1), nn.ReLU(),
            )
            height, width = _nature_size(height), _nature_size(width)
        else:
            self.cnn = nn.Sequential(nn.Conv2d(channels, 16, 3, padding=1), nn.ReLU())
        self.kind = kind
        self.scale = float(scale)
        widths = (self.cnn[-2].out_channels * height * width, *hidden)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.head = nn.Linear(widths[-1], n_actions)
        self.value = nn.Linear(widths[-1], 1) if dueling else None

        # oneDNN's convolutions run a few percent faster on channels-last (NHWC) tensors; the
        # parameters keep their logical shapes, so state dicts are unchanged.  Without oneDNN
        # (torch's own kernels) the default layout: on channels-last tensors those made
        # benchmarks/dqn_maze_image.py learn far slower (seeds 0-2 late or never, against
        # 17,000 / 16,000 / 19,000 steps in the default layout, like oneDNN's).
        self.memory_format = (torch.channels_last if _onednn_convolutions()
                              else torch.contiguous_format)
        self.cnn.to(memory_format=self.memory_format)

    def forward(self, obs: torch.Tensor) -> torch.Tensor:
        """Q-values ``[batch, n_actions]`` of a batch of stored (uint8) or scaled (float) images."""
        x = obs if obs.is_floating_point() else obs.to(torch.float32).mul_(self.scale)
        x = x.contiguous(memory_format=self.memory_format)
        h = self.cnn(x).flatten(1)
        for layer in self.layers:
            h = F.relu(layer(h))
        q = self.head(h)
        if self.value is not None:  # Q = V + A - mean(A)
            q = self.value(h) + q - q.mean(dim=1, keepdim=True)
        return q


def _onednn_convolutions() -> bool:
    """Whether torch runs CPU convolutions through oneDNN (available and not switched off)."""
    return bool(torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled)


def _nature_size(pixels: int) -> int:
    """Rows (or columns) left after the Nature CNN's three unpadded convolutions."""
    pixels = (pixels - 8) // 4 + 1
    pixels = (pixels - 4) // 2 + 1
    return pixels - 2


def init_network(net: nn.Module, generator: torch.Generator) -> None:
    """PyTorch's default Linear and Conv2d initialisation, drawn from the agent's own generator.

    torch's default draws from the global RNG; drawing from ours keeps "same seed, same
    parameters" true whatever else the process does.
    """
    with torch.no_grad():
        for module in net.modules():
            if isinstance(module, (nn.Linear, nn.Conv2d)):
                nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
                bound = 1.0 / math.sqrt(module.weight[0].numel())
                nn.init.uniform_(module.bias, -bound, bound, generator=generator)
