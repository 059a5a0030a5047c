"""Dynamic programming one step at a time, for watching values propagate sweep by sweep.

Sutton & Barto chapter 4 on a known model (any level, or a tabular Gymnasium env with ``P``; the
arrays come from ``agents.planning.model_arrays``):

* ``evaluate_sweep`` - one sweep of iterative policy evaluation of the current policy,
  ``V(s) <- sum_a pi(a|s) sum_k p_k (r_k + gamma V(s'_k))``;
* ``improve`` - policy improvement: the policy becomes greedy in the one-step lookahead of V,
  probability split evenly among tied actions (as REINFORCEjs draws it);
* ``value_iteration_sweep`` - one sweep of ``V(s) <- max_a sum_k p_k (r_k + gamma V(s'_k))``,
  after which the shown policy is greedy in the new V;
* ``run_to_convergence`` - value iteration sweeps until the largest change is at most ``theta``.

Sweeps are synchronous (every new value computed from the previous sweep's V, as REINFORCEjs
and CS188's gridworld do), so "V after k sweeps" is well defined. A terminated transition
contributes its reward and nothing after it, as in the agents. The module knows nothing of
drawing: a view reads ``v``, ``policy``, ``sweeps`` and ``delta``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.planning import PlanningError, model_arrays

TIE_TOLERANCE = 1e-9  # actions whose lookahead values lie this close to the best count as tied


@dataclass(frozen=True)
class DPStep:
    """What one command did: ``kind`` ("evaluation", "improvement", "value iteration"), the
    sweep count so far, the largest value change ``delta`` of the last sweep, and how many
    states' policy changed."""

    kind: str
    sweeps: int
    delta: float
    policy_changes: int
    converged: bool = False


class DynamicProgramming:
    """Value function, policy and counters of a step-by-step DP run on one model.

    Args:
        model: anything ``agents.planning.model_arrays`` accepts (an env, ``P``, arrays).
        gamma: discount in [0, 1].
        theta: ``run_to_convergence`` stops once a sweep changes no value by more than this.

    Raises:
        PlanningError: a malformed model or gamma outside [0, 1].
    """

    def __init__(self, model: Any, gamma: float, theta: float = 1e-8) -> None:
        if not 0.0 <= gamma <= 1.0:
            raise PlanningError(f"gamma must be between 0 and 1, got {gamma}")
        arrays = model_arrays(model)
        prob = arrays["prob"]
        self.gamma = float(gamma)
        self.theta = float(theta)
        self._next_state = arrays["next_state"]
        self._expected_reward = (prob * arrays["reward"]).sum(axis=2)
        self._weight = self.gamma * prob * ~arrays["terminated"]
        self.n_states, self.n_actions = self._expected_reward.shape
        self.reset()

    def reset(self) -> None:
        """V = 0 everywhere, the uniformly random policy, no sweeps."""
        self.v = np.zeros(self.n_states)
        self.policy = np.full((self.n_states, self.n_actions), 1.0 / self.n_actions)
        self.sweeps = 0
        self.delta = float("nan")
        self.last: DPStep | None = None

    def lookahead(self, v: np.ndarray | None = None) -> np.ndarray:
        """``Q(s, a) = sum_k p_k (r_k + gamma (not term_k) V(s'_k))`` ``[S, A]`` for V (default
        the current one)."""
        v = self.v if v is None else v
        return self._expected_reward + (self._weight * v[self._next_state]).sum(axis=2)

    def greedy(self, v: np.ndarray | None = None) -> np.ndarray:
        """The policy greedy in the lookahead of V: ``[S, A]`` probabilities, ties split."""
        q = self.lookahead(v)
        best = q >= q.max(axis=1, keepdims=True) - TIE_TOLERANCE
        return best / best.sum(axis=1, keepdims=True)

    def _sweep(self, kind: str, new_v: np.ndarray) -> DPStep:
        self.delta = float(np.max(np.abs(new_v - self.v))) if self.n_states else 0.0
        self.v = new_v
        self.sweeps += 1
        changes = 0
        if kind == "value iteration":
            policy = self.greedy()
            changes = self._count_changes(policy)
            self.policy = policy
        self.last = DPStep(kind, self.sweeps, self.delta, changes, self.delta <= self.theta)
        return self.last

    def _count_changes(self, policy: np.ndarray) -> int:
        return int(np.count_nonzero(np.any(np.abs(policy - self.policy) > 1e-12, axis=1)))

    def evaluate_sweep(self) -> DPStep:
        """One synchronous sweep of policy evaluation for the current policy."""
        return self._sweep("evaluation", (self.policy * self.lookahead()).sum(axis=1))

    def improve(self) -> DPStep:
        """Policy improvement: greedy in the current V. ``converged`` when nothing changed."""
        policy = self.greedy()
        changes = self._count_changes(policy)
        self.policy = policy
        self.last = DPStep("improvement", self.sweeps, self.delta, changes, changes == 0)
        return self.last

    def value_iteration_sweep(self) -> DPStep:
        """One synchronous sweep of value iteration; the policy becomes greedy in the new V."""
        return self._sweep("value iteration", self.lookahead().max(axis=1))

    def run_to_convergence(self, max_sweeps: int = 10_000,
                           time_budget_s: float | None = None) -> DPStep:
        """Value iteration sweeps until a sweep changes no value by more than ``theta``, at most
        ``max_sweeps`` of them and, given a budget, until ``time_budget_s`` has passed after the
        first (``converged`` False then: with gamma = 1 some policy may never end an episode, a
        huge level may need longer; a caller can call again to continue)."""
        step = self.last
        deadline = None if time_budget_s is None else time.perf_counter() + time_budget_s
        for _ in range(max(1, int(max_sweeps))):
            step = self.value_iteration_sweep()
            if step.converged or not np.isfinite(step.delta):
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
        assert step is not None
        return step
