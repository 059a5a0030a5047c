"""AdamSteps: the direct fused-kernel call takes exactly the steps ``torch.optim.Adam`` takes."""

from __future__ import annotations

import copy

import pytest
import torch

from agents.adam import AdamSteps, make_adam
from agents.dqn_training import clip_grad_norm


def _params(seed: int) -> list[torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return [torch.randn(8, 5, generator=gen).requires_grad_(),
            torch.randn(5, generator=gen).requires_grad_()]


def _grads(params: list[torch.Tensor], step: int) -> tuple[torch.Tensor, ...]:
    gen = torch.Generator().manual_seed(100 + step)
    return tuple(torch.randn(p.shape, generator=gen) for p in params)


@pytest.mark.slow
def test_direct_steps_equal_optimizer_steps_bit_for_bit():
    mine, reference = _params(0), _params(0)
    steps = AdamSteps(make_adam(mine, lr=1e-2, eps=3e-4), mine)
    optimizer = make_adam(reference, lr=1e-2, eps=3e-4)
    for step in range(5):
        if step == 3:  # a live learning-rate change reaches the direct path too
            steps.optimizer.param_groups[0]["lr"] = optimizer.param_groups[0]["lr"] = 1e-3
        steps.step(_grads(mine, step))
        for param, grad in zip(reference, _grads(reference, step)):
            param.grad = grad
        optimizer.step()
        for a, b in zip(mine, reference):
            assert torch.equal(a, b)
    for a, b in zip(steps.optimizer.state.values(), optimizer.state.values()):
        assert torch.equal(a["exp_avg_sq"], b["exp_avg_sq"]) and torch.equal(a["step"], b["step"])
    assert all(p.grad is None for p in mine)


def test_steps_continue_from_a_loaded_state_dict():
    first, second = _params(1), _params(1)
    steps = AdamSteps(make_adam(first, lr=1e-2, eps=1e-8), first)
    for step in range(3):
        steps.step(_grads(first, step))
    saved = steps.optimizer.state_dict()
    with torch.no_grad():
        for a, b in zip(second, first):
            a.copy_(b)
    resumed = AdamSteps(make_adam(second, lr=1e-2, eps=1e-8), second)
    resumed.optimizer.load_state_dict(copy.deepcopy(saved))
    # the state is replaced: the cached moments must follow it
    steps.optimizer.load_state_dict(copy.deepcopy(saved))
    steps.step(_grads(first, 3))
    resumed.step(_grads(second, 3))
    for a, b in zip(first, second):
        assert torch.equal(a, b)
    assert float(steps.optimizer.state[first[0]]["step"]) == 4.0


def test_clip_grad_norm_matches_torch_rule():
    params = _params(2)
    grads = tuple(10 * g for g in _grads(params, 0))
    for param, grad in zip(params, grads):
        param.grad = grad.clone()
    torch.nn.utils.clip_grad_norm_(params, 1.5)
    clip_grad_norm(grads, 1.5)
    for param, grad in zip(params, grads):
        assert torch.allclose(param.grad, grad, rtol=1e-6, atol=0)
    small = tuple(1e-3 * g for g in _grads(params, 1))
    before = [g.clone() for g in small]
    clip_grad_norm(small, 1.5)  # already inside the norm: untouched
    assert all(torch.equal(a, b) for a, b in zip(small, before))
