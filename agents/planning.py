"""Exact planning on a known transition model: the Q* that tests and the "optimal" overlay use.

A model is either a Gymnasium toy-text ``P`` (``P[s][a] = [(prob, next_state, reward,
terminated), ...]``, as a dict or a list), a dict (or object) of arrays ``prob`` / ``next_state``
/ ``reward`` / ``terminated`` shaped ``[S, A, K]`` (``GridMazeEnv.transition_arrays()``,
``fast.TabularModel``), or an env exposing either. ``P`` is turned into arrays once and value
iteration then runs as whole-array numpy sweeps.

A transition flagged ``terminated`` contributes its reward and nothing after it, exactly as the
agents bootstrap; a non-terminated transition bootstraps from its next state.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

_KEYS = ("prob", "next_state", "reward", "terminated")


class PlanningError(ValueError):
    """A transition model that cannot be planned on, or value iteration that did not converge."""


def _rows(container: Any, n: int, what: str) -> list[Any]:
    """Entries 0..n-1 of a dict or sequence, refusing gaps."""
    try:
        return [container[i] for i in range(n)]
    except (KeyError, IndexError):
        raise PlanningError(
            f"the transition model has no entry for every {what} 0..{n - 1}"
        ) from None


def _arrays_from_p(P: Any) -> dict[str, np.ndarray]:
    n_states = len(P)
    if n_states == 0:
        raise PlanningError("the transition model has no states")
    states = _rows(P, n_states, "state")
    n_actions = len(states[0])
    table = [_rows(row, n_actions, "action") for row in states]
    if any(len(row) != n_actions for row in states):
        raise PlanningError("every state of the transition model must have the same actions")
    k = max(len(outcomes) for row in table for outcomes in row)
    if k == 0:
        raise PlanningError("the transition model has an action with no outcomes")
    prob = np.zeros((n_states, n_actions, k))
    next_state = np.zeros((n_states, n_actions, k), dtype=np.int64)
    reward = np.zeros((n_states, n_actions, k))
    terminated = np.zeros((n_states, n_actions, k), dtype=bool)
    for s, row in enumerate(table):
        for a, outcomes in enumerate(row):
            for i, outcome in enumerate(outcomes):
                try:
                    p, s2, r, term = outcome
                except (TypeError, ValueError):
                    raise PlanningError(
                        f"P[{s}][{a}][{i}] must be (prob, next_state, reward, terminated), "
                        f"got {outcome!r}"
                    ) from None
                prob[s, a, i], next_state[s, a, i] = p, s2
                reward[s, a, i], terminated[s, a, i] = r, term
    return {"prob": prob, "next_state": next_state, "reward": reward, "terminated": terminated}


def model_arrays(model: Any) -> dict[str, np.ndarray]:
    """The model as ``prob``/``next_state``/``reward``/``terminated`` arrays ``[S, A, K]``, checked.

    Raises:
        PlanningError: missing keys, mismatched shapes, next states out of range, or outcome
            probabilities of a (state, action) that do not sum to 1.
    """
    env = getattr(model, "unwrapped", None)
    if env is not None:
        model = env.transition_arrays() if hasattr(env, "transition_arrays") else env.P
    if isinstance(model, Mapping) and all(key in model for key in _KEYS):
        raw = {key: model[key] for key in _KEYS}
    elif not isinstance(model, Mapping) and all(hasattr(model, key) for key in _KEYS):
        raw = {key: getattr(model, key) for key in _KEYS}
    else:
        raw = _arrays_from_p(model)
    arrays = {
        "prob": np.asarray(raw["prob"], dtype=np.float64),
        "next_state": np.asarray(raw["next_state"], dtype=np.int64),
        "reward": np.asarray(raw["reward"], dtype=np.float64),
        "terminated": np.asarray(raw["terminated"], dtype=bool),
    }
    shape = arrays["prob"].shape
    if len(shape) != 3 or any(arr.shape != shape for arr in arrays.values()):
        shapes = ", ".join(f"{k} {v.shape}" for k, v in arrays.items())
        raise PlanningError(f"transition arrays must all be shaped [S, A, K]; got {shapes}")
    n_states = shape[0]
    ns = arrays["next_state"]
    if ns.size and (ns.min() < 0 or ns.max() >= n_states):
        raise PlanningError(f"a next state lies outside the {n_states} states of the model")
    if not np.all(np.isfinite(arrays["prob"])) or not np.all(np.isfinite(arrays["reward"])):
        raise PlanningError("transition probabilities and rewards must be finite numbers")
    if np.any(arrays["prob"] < 0):
        raise PlanningError("the transition model has a negative probability")
    totals = arrays["prob"].sum(axis=2)
    bad = np.argwhere(np.abs(totals - 1.0) > 1e-9)
    if len(bad):
        s, a = bad[0]
        raise PlanningError(
            f"outcome probabilities of state {s}, action {a} sum to {totals[s, a]:.6g}, not 1"
        )
    return arrays


def value_iteration(
    model: Any, gamma: float, tol: float = 1e-10, max_iter: int = 100_000
) -> np.ndarray:
    """Optimal action values Q* ``[S, A]`` by synchronous value iteration.

    Each sweep computes ``Q(s,a) = sum_k p_k (r_k + gamma * (not term_k) * max_a' Q(s'_k, a'))``
    and stops when no entry moved by more than ``tol``. With ``gamma = 1`` this converges on
    episodic problems where reward cannot be collected for ever; otherwise it raises.

    Raises:
        PlanningError: a malformed model, gamma outside [0, 1], or no convergence in ``max_iter``.
    """
    if not 0.0 <= gamma <= 1.0:
        raise PlanningError(f"gamma must be between 0 and 1, got {gamma}")
    arrays = model_arrays(model)
    prob, next_state = arrays["prob"], arrays["next_state"]
    expected_reward = (prob * arrays["reward"]).sum(axis=2)
    weight = gamma * prob * ~arrays["terminated"]
    q = np.zeros(expected_reward.shape)
    change = np.inf
    for _ in range(max_iter):
        v = q.max(axis=1)
        new_q = expected_reward + (weight * v[next_state]).sum(axis=2)
        change = float(np.max(np.abs(new_q - q)))
        q = new_q
        if change <= tol:
            return q
        if not np.isfinite(change):
            break
    raise PlanningError(
        f"value iteration did not converge in {max_iter} sweeps (last change {change:.3g}); "
        "with gamma = 1 some policy must be collecting reward without ever terminating"
    )


def bellman_residual(model: Any, q: np.ndarray, gamma: float) -> float:
    """Largest ``|T q - q|`` of the Bellman optimality operator T: 0 exactly at Q*."""
    arrays = model_arrays(model)
    prob, next_state = arrays["prob"], arrays["next_state"]
    v = np.asarray(q).max(axis=1)
    backup = (prob * (arrays["reward"] + gamma * ~arrays["terminated"] * v[next_state])).sum(2)
    return float(np.max(np.abs(backup - q)))


def evaluate_policy(model: Any, policy: np.ndarray, gamma: float) -> np.ndarray:
    """Exact state values ``V^pi`` ``[S]`` of a deterministic policy, by one linear solve.

    Solves ``(I - gamma P_pi) V = r_pi``; with ``gamma = 1`` the policy must reach a terminal
    transition from every state, else the system is singular and this raises.
    """
    arrays = model_arrays(model)
    n_states = arrays["prob"].shape[0]
    policy = np.asarray(policy, dtype=np.int64)
    if policy.shape != (n_states,):
        raise PlanningError(f"a policy needs one action per state ({n_states}), got {policy.shape}")
    rows = np.arange(n_states)
    prob = arrays["prob"][rows, policy]
    r_pi = (prob * arrays["reward"][rows, policy]).sum(axis=1)
    keep = prob * ~arrays["terminated"][rows, policy]
    p_pi = np.zeros((n_states, n_states))
    np.add.at(p_pi, (np.repeat(rows, prob.shape[1]), arrays["next_state"][rows, policy].ravel()),
              keep.ravel())
    try:
        return np.linalg.solve(np.eye(n_states) - gamma * p_pi, r_pi)
    except np.linalg.LinAlgError:
        raise PlanningError(
            "the policy never terminates from some state, so its value is infinite"
        ) from None


def greedy_policy(q: np.ndarray) -> np.ndarray:
    """First maximising action per state ``[S]`` (deterministic, for drawing and evaluation)."""
    return np.asarray(q).argmax(axis=1)


def optimal_actions(q: np.ndarray, atol: float = 1e-9) -> np.ndarray:
    """Boolean ``[S, A]``: actions within ``atol`` of the best, i.e. every optimal choice."""
    q = np.asarray(q)
    return q >= q.max(axis=1, keepdims=True) - atol


def state_values(q: np.ndarray) -> np.ndarray:
    """``V(s) = max_a Q(s, a)`` ``[S]``."""
    return np.asarray(q).max(axis=1)
