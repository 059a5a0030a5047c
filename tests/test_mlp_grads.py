"""The hand-written chain rule of the MLP gives autograd's loss, Q-values and gradients."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from agents.mlp_grads import supports, td_loss_grads
from agents.qnetwork import QNetwork, init_network


def _autograd(net, obs, actions, target, loss):
    q = net(obs).gather(1, actions.unsqueeze(1)).squeeze(1)
    value = (F.smooth_l1_loss if loss == "huber" else F.mse_loss)(q, target)
    return value, q, torch.autograd.grad(value, list(net.parameters()))


def _case(one_hot: bool, dueling: bool, hidden: tuple[int, ...], seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    n_inputs, n_actions, batch = (12 if one_hot else 5), 3, 32
    net = QNetwork(n_inputs, n_actions, hidden, dueling, one_hot)
    init_network(net, gen)
    obs = (torch.randint(0, n_inputs, (batch,), generator=gen) if one_hot
           else torch.randn(batch, n_inputs, generator=gen))
    actions = torch.randint(0, n_actions, (batch,), generator=gen)
    target = 3 * torch.randn(batch, generator=gen)  # differences both inside and beyond 1
    return net, obs, actions, target


@pytest.mark.parametrize("loss", ["huber", "mse"])
@pytest.mark.parametrize("one_hot,dueling,hidden", [
    (False, False, (16, 16)), (True, False, (16,)), (False, True, (8, 16, 8)), (True, True, (16,)),
])
def test_gradients_equal_autograds(loss, one_hot, dueling, hidden):
    net, obs, actions, target = _case(one_hot, dueling, hidden)
    want_loss, want_q, want = _autograd(net, obs, actions, target, loss)
    got_loss, got_q, got = td_loss_grads(net, obs, actions, target, loss)
    assert torch.equal(got_q, want_q.detach()) and torch.equal(got_loss, want_loss.detach())
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert g.shape == w.shape
        assert torch.allclose(g, w, rtol=1e-5, atol=1e-7)
    assert not any(g.requires_grad for g in got)


def test_plain_mlp_matches_autograd_bit_for_bit():
    """Same kernels in the same order: not merely close."""
    net, obs, actions, target = _case(False, False, (32, 32), seed=3)
    _, _, want = _autograd(net, obs, actions, target, "huber")
    _, _, got = td_loss_grads(net, obs, actions, target, "huber")
    assert all(torch.equal(g, w) for g, w in zip(got, want))


def test_only_the_mlp_is_supported():
    assert supports(QNetwork(3, 2, (4,), False, False))
    assert not supports(torch.nn.Linear(3, 2))
