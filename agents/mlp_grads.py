"""The TD loss's gradient for the MLP Q-network, written out layer by layer.

Why not autograd: on a network as small as CartPole's (two layers of 128) a gradient step is a
dozen matrix products of ~40 us each, and autograd's graph recording and engine add a fifth on
top.  The chain rule of an MLP is short, so it is spelt out here with the very kernels autograd
would call (same products, same order: the gradients match autograd's to the last bit on the
plain MLP, see ``tests/test_mlp_grads.py``).  Only ``QNetwork`` qualifies; every other network
trains through ``torch.autograd.grad``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

from agents.qnetwork import QNetwork

_relu_backward = torch.ops.aten.threshold_backward  # autograd's own kernel for ReLU


def supports(net: torch.nn.Module) -> bool:
    """True for the networks :func:`td_loss_grads` knows the chain rule of."""
    return type(net) is QNetwork


def td_loss_grads(
    net: QNetwork, obs: torch.Tensor, actions: torch.Tensor, target: torch.Tensor, loss: str,
) -> tuple[torch.Tensor, torch.Tensor, list[torch.Tensor]]:
    """Loss of ``Q(obs, actions)`` against ``target``, those Q-values, and the loss's gradient.

    Args:
        net: the online network (its parameters are read, not changed).
        obs: stored observations ``[batch, ...]`` (indices when the network one-hot encodes).
        actions: ``[batch]`` int64 action indices.
        target: ``[batch]`` TD targets (no gradient flows into them).
        loss: ``"huber"`` (smooth L1, beta 1) or ``"mse"``, both averaged over the batch.

    Returns:
        ``(loss, q, grads)`` with ``grads`` in ``net.parameters()`` order.
    """
    with torch.no_grad():
        if net.one_hot:
            x = F.one_hot(obs, net.n_inputs).to(torch.float32)
        else:
            x = obs.to(torch.float32).flatten(1)
        inputs = [x]
        for bias, weight in net._hidden:
            inputs.append(torch.addmm(bias, inputs[-1], weight.t()).relu_())
        h = inputs[-1]
        advantage = torch.addmm(net._head[0], h, net._head[1].t())
        q_all = advantage
        if net._value is not None:
            value = torch.addmm(net._value[0], h, net._value[1].t())
            q_all = value + advantage - advantage.mean(dim=1, keepdim=True)
        index = actions.unsqueeze(1)
        q = q_all.gather(1, index).squeeze(1)
        diff = q - target
        if loss == "huber":
            loss_value = F.smooth_l1_loss(q, target)
            dq = diff.clamp(-1.0, 1.0).mul_(1.0 / len(diff))
        else:
            loss_value = F.mse_loss(q, target)
            dq = diff.mul(2.0 / len(diff))
        d_out = torch.zeros_like(q_all).scatter_(1, index, dq.unsqueeze(1))
        return loss_value, q, _backward(net, inputs, d_out)


def _backward(net: QNetwork, inputs: list[torch.Tensor], d_out: torch.Tensor,
              ) -> list[torch.Tensor]:
    """Gradients of every parameter from ``d_out = dLoss/dQ`` (``[batch, n_actions]``)."""
    h = inputs[-1]
    head_weight = net._head[1]
    if net._value is None:
        d_adv = d_out
        head = [d_adv.t().mm(h), d_adv.sum(0)]
        d_h = d_adv.mm(head_weight)
    else:  # Q = V + A - mean(A): dA = dQ - mean(dQ), dV = sum(dQ)
        d_adv = d_out - d_out.mean(dim=1, keepdim=True)
        d_value = d_out.sum(dim=1, keepdim=True)
        head = [d_adv.t().mm(h), d_adv.sum(0), d_value.t().mm(h), d_value.sum(0)]
        d_h = d_adv.mm(head_weight).add_(d_value.mm(net._value[1]))
    hidden: list[torch.Tensor] = []
    for i in range(len(net._hidden) - 1, -1, -1):
        d_z = _relu_backward(d_h, inputs[i + 1], 0)
        hidden[:0] = [d_z.t().mm(inputs[i]), d_z.sum(0)]
        if i > 0:
            d_h = d_z.mm(net._hidden[i][1])
    return hidden + head
