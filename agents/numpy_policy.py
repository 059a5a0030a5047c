"""Greedy actions of a CPU MLP or grid-CNN Q-network computed by numpy, one observation at a time.

Why: acting takes one observation per env step, where a dozen torch calls at ~2 us of dispatch
each cost three times the arithmetic; numpy does the same three small matrix products in a third
of the time, and on CartPole acting was a sixth of the training loop.  The arrays are views of
the network's CPU parameters (``Tensor.numpy()`` shares memory), so every optimizer step and
every ``load_state_dict`` is seen without a copy.  ``QNetwork`` and the grid CNN on the CPU
qualify; the Nature CNN (its 84x84 frames are real work) and other devices act through torch
(see :func:`numpy_greedy_for`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.qnetwork import ConvQNetwork, QNetwork


class NumpyGreedy:
    """``argmax_a Q(obs, a)`` for one observation of a CPU ``QNetwork``.

    A dueling head's ``V + A - mean(A)`` has the argmax of ``A``, so only the advantage head is
    evaluated.  Values agree with the torch forward pass to float32 rounding; a near-tie can
    break the other way, as it can between any two BLAS libraries.
    """

    def __init__(self, net: QNetwork) -> None:
        self.one_hot = net.one_hot
        # weight.T views: numpy multiplies a row vector by [in, out] without copying.
        self._hidden = [(weight.detach().numpy().T, bias.detach().numpy())
                        for bias, weight in net._hidden]
        self._head = (net._head[1].detach().numpy().T, net._head[0].detach().numpy())

    def __call__(self, obs: Any) -> int:
        """Index of the best action for one stored observation (an index when one-hot)."""
        layers = iter(self._hidden)
        weight_t, bias = next(layers, self._head)
        if self.one_hot:
            h = weight_t[int(obs)] + bias
        else:
            h = np.asarray(obs, dtype=np.float32).reshape(-1) @ weight_t
            h += bias
        for weight_t, bias in layers:
            np.maximum(h, 0.0, out=h)
            h = h @ weight_t
            h += bias
        if self._hidden:
            np.maximum(h, 0.0, out=h)
            h = h @ self._head[0]
            h += self._head[1]
        return int(h.argmax())


class NumpyGridGreedy:
    """``argmax_a Q(obs, a)`` for one image of a CPU grid CNN (``ConvQNetwork``, ``grid_cnn``).

    Each padded 3x3 convolution is one gather of the image's 3x3 patches (indices computed once)
    and one matrix product: a maze image has a few dozen cells, and torch's dispatch through
    its convolution layers costs more than that arithmetic.  The convolution weights are
    reshaped on every call (a few thousand floats), because they live in channels-last memory,
    where a reshaped view cannot be kept and a copy kept would miss the optimizer's updates.
    """

    def __init__(self, net: ConvQNetwork, shape: tuple[int, int, int]) -> None:
        self.scale = np.float32(net.scale)
        self._convs = []
        channels, height, width = shape
        for conv in net.cnn:
            if isinstance(conv, torch.nn.Conv2d):
                self._convs.append((conv.weight.detach().numpy(), conv.bias.detach().numpy(),
                                    _patch_index(channels, height, width)))
                channels = conv.out_channels
        self._hidden = [(layer.weight.detach().numpy().T, layer.bias.detach().numpy())
                        for layer in net.layers]
        self._head = (net.head.weight.detach().numpy().T, net.head.bias.detach().numpy())

    def __call__(self, obs: Any) -> int:
        """Index of the best action for one stored ``(channels, height, width)`` image."""
        x = np.asarray(obs, dtype=np.float32)
        if self.scale != 1:
            x = x * self.scale
        for weight, bias, index in self._convs:
            padded = np.zeros((x.shape[0], x.shape[1] + 2, x.shape[2] + 2), np.float32)
            padded[:, 1:-1, 1:-1] = x
            # [cells, 9 * channels] patches (row, column, channel order) x [9 * channels, out]
            w = np.ascontiguousarray(weight.transpose(0, 2, 3, 1)).reshape(len(weight), -1)
            h = padded.reshape(-1)[index] @ w.T
            h += bias
            np.maximum(h, 0.0, out=h)
            x = h.T.reshape(-1, *x.shape[1:])  # torch's [out, rows, columns], as it flattens
        h = x.reshape(-1)
        for weight_t, bias in self._hidden:
            h = h @ weight_t
            h += bias
            np.maximum(h, 0.0, out=h)
        q = h @ self._head[0]
        q += self._head[1]
        return int(q.argmax())  # a dueling head's V + A - mean(A) has the argmax of A


def _patch_index(channels: int, height: int, width: int) -> np.ndarray:
    """``[height * width, 9 * channels]`` flat indices into a zero-padded ``[channels, height + 2,
    width + 2]`` image: row p holds cell p's 3x3 neighbourhood, ordered (row, column, channel)."""
    rows, cols = np.divmod(np.arange(height * width), width)
    di, dj, c = np.meshgrid(np.arange(3), np.arange(3), np.arange(channels), indexing="ij")
    return (c.reshape(1, -1) * (height + 2) * (width + 2)
            + (rows[:, None] + di.reshape(1, -1)) * (width + 2)
            + cols[:, None] + dj.reshape(1, -1))


def numpy_greedy_for(net: torch.nn.Module, obs_shape: tuple[int, ...] = (),
                     ) -> NumpyGreedy | NumpyGridGreedy | None:
    """A numpy policy for a CPU ``QNetwork``, or grid CNN on ``obs_shape`` images; None where
    torch must act."""
    if next(net.parameters()).device.type != "cpu":
        return None
    if type(net) is QNetwork:
        return NumpyGreedy(net)
    if type(net) is ConvQNetwork and net.kind == "grid_cnn":
        return NumpyGridGreedy(net, obs_shape)
    return None
