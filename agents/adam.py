"""Adam steps that go straight to torch's fused kernel, for networks small enough that Python
around the kernel, not arithmetic, is what a step costs.

``torch.optim.Adam.step`` spends ~90 us on the CPU (optimizer hooks, a profiler record,
regrouping the state by device and dtype) around a ~25 us fused kernel; the CartPole DQN takes
one step per four env steps, so that wrapper would be a tenth of its training time.  The
``torch.optim.Adam`` object still owns the moments and the hyperparameters, so its
``state_dict`` / ``load_state_dict`` (agent files) and ``param_groups`` (live learning-rate
changes) behave as with torch's own ``step``; only the call that applies a step is shorter.
Imported only by the DQN.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch


def make_adam(params: list[torch.Tensor], lr: float, eps: float) -> torch.optim.Adam:
    """Adam with torch's fused kernel where the device has one, the for-each kernel elsewhere."""
    fused = bool(params) and has_fused_adam(params[0].device)
    return torch.optim.Adam(params, lr=lr, eps=eps, fused=fused or None)


def has_fused_adam(device: torch.device) -> bool:
    """Whether torch has a fused Adam kernel for ``device``.

    ``torch.optim.Adam(fused=True)`` checks the device only at its first ``step()``, so asking
    for it on a device without the kernel would fail mid-training, not at construction: decide
    up front.
    """
    try:
        from torch.utils._foreach_utils import _get_fused_kernels_supported_devices
        return device.type in _get_fused_kernels_supported_devices()
    except ImportError:  # pragma: no cover - a torch without the helper
        return device.type in ("cpu", "cuda")


class AdamSteps:
    """Applies Adam steps from gradients handed over as a list (``torch.autograd.grad``'s output).

    Taking the gradients as arguments, rather than reading ``param.grad``, spares the
    zero-and-accumulate round trip through ``.grad`` on every step.

    Args:
        optimizer: the ``torch.optim.Adam`` that owns the state (one parameter group).
        params: the parameters, in the order the gradients will come.
    """

    def __init__(self, optimizer: torch.optim.Adam, params: Sequence[torch.Tensor]) -> None:
        if len(optimizer.param_groups) != 1:
            raise ValueError("AdamSteps drives an optimizer with exactly one parameter group")
        self.optimizer = optimizer
        self.params = list(params)
        self._moments: tuple[dict, list, list, list] | None = None

    def step(self, grads: Sequence[torch.Tensor]) -> None:
        """One Adam step of every parameter along ``grads`` (which the kernel may overwrite)."""
        group = self.optimizer.param_groups[0]
        moments = self._fused_moments(group)
        if moments is None:
            self._step_through_optimizer(grads)
            return
        _, exp_avgs, exp_avg_sqs, steps = moments
        beta1, beta2 = group["betas"]
        torch._foreach_add_(steps, 1)
        torch._fused_adam_(
            self.params, list(grads), exp_avgs, exp_avg_sqs, [], steps, amsgrad=False,
            lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
            eps=group["eps"], maximize=False, grad_scale=None, found_inf=None,
        )

    def _fused_moments(self, group: dict) -> tuple[dict, list, list, list] | None:
        """The optimizer's state tensors when the fused kernel can take the step, else None.

        None before the first step (``Optimizer.step`` creates the moments), for options the
        direct call does not implement, and off the fused kernel.  The lists are rebuilt when
        the optimizer's state was replaced (``load_state_dict``).
        """
        if (not group.get("fused") or group["amsgrad"] or group["maximize"]
                or group.get("decoupled_weight_decay", False)
                or any(isinstance(group[k], torch.Tensor) for k in ("lr", "betas"))):
            return None
        first = self.optimizer.state.get(self.params[0])
        if not first:
            return None
        if self._moments is None or self._moments[0] is not first:
            states = [self.optimizer.state[p] for p in self.params]
            self._moments = (first, [s["exp_avg"] for s in states],
                             [s["exp_avg_sq"] for s in states], [s["step"] for s in states])
        return self._moments

    def _step_through_optimizer(self, grads: Sequence[torch.Tensor]) -> None:
        """The general path: hand the gradients over as ``.grad`` and call ``Optimizer.step``."""
        for param, grad in zip(self.params, grads, strict=True):
            param.grad = grad
        self.optimizer.step()
        for param in self.params:
            param.grad = None
