"""The DQN's learning step: TD targets, gradient steps, target-network sync, divergence checks.

``agents/dqn.py`` holds the agent (spaces, seeding, acting, storing transitions, live knobs);
this module holds what happens when it is time to learn, read top to bottom: the target (the one
formula every switch changes), a training round on replay batches, the target update, and the
check that stops learning for good when values blow up. :class:`DQNTraining` is mixed into
``DQN``; it reads the agent's ``config``, ``q_net``, ``target_net``, ``optimizer``, ``buffer``
and counters. Imported only by ``agents/dqn.py`` (torch stays out of start-up paths).
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from agents import mlp_grads
from agents.protocol import TrainingDiverged

HISTORY_LEN = 10_000  # training rounds kept for the charts


@dataclass(frozen=True)
class DQNStats:
    """What a training round did, measured on its last batch (for the app's charts)."""

    loss: float
    mean_q: float
    td_error: float
    step: int
    updates: int
    learning_rate: float


def td_targets(online: nn.Module, target: nn.Module, next_obs: torch.Tensor,
               returns: torch.Tensor, discounts: torch.Tensor, double: bool) -> torch.Tensor:
    """``y = ret + discount * V(s')``, with no gradient.

    Double DQN: the online network picks ``a' = argmax Q_online(s', .)`` and the target network
    values it, ``V(s') = Q_target(s', a')``; plain DQN takes ``max Q_target(s', .)``.  A terminated
    row has ``discount = 0``; a truncated one keeps ``gamma**k`` and so still bootstraps.
    """
    with torch.no_grad():
        next_q = target(next_obs).float()
        if double:
            best = online(next_obs).argmax(dim=1, keepdim=True)
            next_v = next_q.gather(1, best).squeeze(1)
        else:
            next_v = next_q.max(dim=1).values
        return torch.addcmul(returns, discounts, next_v)


def clip_grad_norm(grads: Sequence[torch.Tensor], max_norm: float) -> None:
    """Scale ``grads`` in place so their joint L2 norm is at most ``max_norm``.

    ``torch.nn.utils.clip_grad_norm_``'s rule (coefficient ``max_norm / (norm + 1e-6)``, capped
    at 1) on a list of gradients rather than on ``param.grad``; the norm stays a tensor, so no
    device sync.
    """
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    torch._foreach_mul_(grads, (max_norm / (norm + 1e-6)).clamp_(max=1.0))


def new_history() -> dict[str, deque[float]]:
    """Empty rings of the per-round statistics (``step``, ``loss``, ``mean_q``, ``td_error``)."""
    return {name: deque(maxlen=HISTORY_LEN) for name in ("step", "loss", "mean_q", "td_error")}


class DQNTraining:
    """Training rounds of a DQN (mixed into ``agents.dqn.DQN``)."""

    config: Any
    q_net: nn.Module
    target_net: nn.Module
    optimizer: torch.optim.Optimizer
    _adam: Any
    buffer: Any
    num_steps: int
    num_updates: int
    diverged: str | None
    history: dict[str, deque[float]]
    _params: list[torch.Tensor]
    _target_params: list[torch.Tensor]
    _max_abs_reward: float
    autocast: Any

    @property
    def current_learning_rate(self) -> float:
        """Step size now: falls linearly to ``learning_rate * learning_rate_end`` at total steps."""
        cfg = self.config
        progress = min(1.0, self.num_steps / cfg.total_steps)
        return cfg.learning_rate * (1.0 - (1.0 - cfg.learning_rate_end) * progress)

    def sync_target(self) -> None:
        """Target <- online (``tau = 1``) or target <- tau * online + (1 - tau) * target."""
        tau = self.config.tau
        with torch.no_grad():  # one multi-tensor kernel for all parameters, not one per tensor
            if tau >= 1.0:
                torch._foreach_copy_(self._target_params, self._params)
            else:
                torch._foreach_lerp_(self._target_params, self._params, tau)

    def train(self, gradient_steps: int) -> DQNStats:
        """Run ``gradient_steps`` gradient steps on uniform replay batches.

        Statistics are read back once per round, from its last batch, so a GPU is not stalled
        on every step.  Gradients go straight to the clip and to Adam as a list, never through
        ``param.grad``: on a small network each torch call costs more than its arithmetic, so a
        step makes as few as it can.
        """
        cfg = self.config
        lr = self.current_learning_rate
        for group in self.optimizer.param_groups:
            group["lr"] = lr
        for _ in range(gradient_steps):
            batch = self.buffer.sample(cfg.batch_size)
            with self.autocast():
                target = td_targets(self.q_net, self.target_net, batch.next_obs, batch.returns,
                                    batch.discounts, cfg.double)
                loss, q, grads = self._loss_and_grads(batch.obs, batch.actions, target)
            if cfg.max_grad_norm > 0:
                clip_grad_norm(grads, cfg.max_grad_norm)
            self._adam.step(grads)
        self.num_updates += gradient_steps
        # Statistics of the round's last batch: a NaN or overflow anywhere in the round has
        # reached the parameters, and so this batch, by now.
        stats = torch.stack((loss, q.mean(), (target - q).abs().mean(), q.abs().max()))
        loss_v, q_v, td_v, peak_v = stats.cpu().tolist()
        self._check_divergence(loss_v, peak_v, lr)
        for name, value in zip(self.history, (self.num_steps, loss_v, q_v, td_v)):
            self.history[name].append(value)
        return DQNStats(loss_v, q_v, td_v, self.num_steps, self.num_updates, lr)

    def _loss_and_grads(self, obs: torch.Tensor, actions: torch.Tensor, target: torch.Tensor,
                        ) -> tuple[torch.Tensor, torch.Tensor, Sequence[torch.Tensor]]:
        """The TD loss, ``Q(obs, actions)`` and the loss's gradient (all without a graph).

        The MLP's chain rule is written out in ``agents/mlp_grads.py`` (a fifth faster than
        autograd on small networks, same numbers) for float32; other networks and bf16 passes go
        through autograd.  Q-values, the loss and the gradients are float32 in either precision.
        """
        if mlp_grads.supports(self.q_net) and self.config.precision == "fp32":
            return mlp_grads.td_loss_grads(self.q_net, obs, actions, target, self.config.loss)
        q = self.q_net(obs).gather(1, actions.unsqueeze(1)).squeeze(1).float()
        loss_fn = F.smooth_l1_loss if self.config.loss == "huber" else F.mse_loss
        loss = loss_fn(q, target)
        return loss.detach(), q.detach(), torch.autograd.grad(loss, self._params)

    def _check_divergence(self, loss: float, peak_q: float, lr: float) -> None:
        """Stop learning for good when the loss or a Q-value is NaN, infinite or absurdly large.

        Huber loss with Adam rarely overflows: a far too large step size sends Q-values to
        millions while the loss stays finite.  No Q-value can exceed the largest return the
        rewards seen so far allow, ``max|r| / (1 - gamma)``; a hundred times that (plus one) is a
        generous margin that only a diverging network crosses.
        """
        problem = None
        if not math.isfinite(loss):
            problem = f"the loss became {loss}"
        elif not math.isfinite(peak_q):
            problem = f"a Q-value became {peak_q}"
        elif self.config.gamma < 1.0:
            bound = self._max_abs_reward / (1.0 - self.config.gamma)
            if peak_q > 100.0 * (bound + 1.0):
                problem = (f"a Q-value reached {peak_q:.3g}, far beyond the {bound:.3g} that "
                           f"rewards of at most {self._max_abs_reward:g} allow")
        if problem is not None:
            self.diverged = (f"training diverged at step {self.num_steps}: {problem} (learning "
                             f"rate {lr:g} is probably too high), so learning stopped")
            raise TrainingDiverged(self.diverged)

    def stats_history(self) -> dict[str, np.ndarray]:
        """The last ``HISTORY_LEN`` rounds: ``step``, ``loss``, ``mean_q``, ``td_error`` arrays."""
        return {name: np.fromiter(ring, dtype=np.float64, count=len(ring))
                for name, ring in self.history.items()}
