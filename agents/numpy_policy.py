"""Greedy actions of a CPU MLP Q-network computed by numpy, one observation at a time.

Why: acting takes one observation per env step, where a dozen torch calls at ~2 us of dispatch
each cost three times the arithmetic; numpy does the same three small matrix products in a third
of the time, and on CartPole acting was a sixth of the training loop.  The arrays are views of
the network's CPU parameters (``Tensor.numpy()`` shares memory), so every optimizer step and
every ``load_state_dict`` is seen without a copy.  Only ``QNetwork`` on the CPU qualifies; other
networks and devices act through torch (see :func:`numpy_greedy_for`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.qnetwork import QNetwork


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


def numpy_greedy_for(net: torch.nn.Module) -> NumpyGreedy | None:
    """A ``NumpyGreedy`` for a CPU ``QNetwork``; None where torch must act."""
    if type(net) is not QNetwork or next(net.parameters()).device.type != "cpu":
        return None
    return NumpyGreedy(net)
