"""The exact optimum, for comparison: Q* by value iteration, computed off the frame loop.

Value iteration on a big level (64x64 with cheeses: up to a million states) takes seconds, so it
runs on a worker thread (numpy releases the GIL in its loops) and the app polls for the result; the
readout says "computing" meanwhile. Only states reachable from the start count toward the
"distance to Q*": the agent can never learn the others, so they would keep the distance above 0.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np

from app.qview import cell_values


def reachable_states(arrays: dict[str, np.ndarray], start: np.ndarray) -> np.ndarray:
    """Boolean mask of the states some policy can reach from the start distribution."""
    prob, next_state = arrays["prob"], arrays["next_state"]
    reach = np.zeros(prob.shape[0], dtype=bool)
    frontier = np.flatnonzero(start > 0)
    reach[frontier] = True
    while frontier.size:
        nxt = next_state[frontier][prob[frontier] > 0]
        nxt = np.unique(nxt[~reach[nxt]])
        reach[nxt] = True
        frontier = nxt
    return reach


def _solve(env: Any, gamma: float) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
    from agents.planning import model_arrays, value_iteration

    base = env.unwrapped
    arrays = model_arrays(env)  # our levels' arrays, or a toy-text env's P (FrozenLake, Taxi)
    q_star = value_iteration(arrays, gamma)
    return q_star, reachable_states(arrays, np.asarray(base.initial_state_distrib)), arrays


class OptimalValues:
    """Q* of the session's env, computed in the background on request; cached per env and gamma."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._key: tuple[int, float] | None = None
        self.q_star: np.ndarray | None = None
        self.reachable: np.ndarray | None = None
        self.arrays: dict[str, np.ndarray] | None = None  #: the model Q* was planned on
        self.error: str | None = None
        self._masks: dict[int, np.ndarray] = {}

    def invalidate(self) -> None:
        """The env or gamma changed: forget the old answer (a running job is left to finish)."""
        self._key = None
        self._future = None
        self.q_star = None
        self.reachable = None
        self.arrays = None
        self.error = None
        self._masks = {}

    def request(self, env: Any, gamma: float) -> None:
        """Start computing Q* for ``env`` and ``gamma`` unless it is known or being computed."""
        base = env.unwrapped
        if not (hasattr(base, "transition_arrays") or hasattr(base, "P")) or not hasattr(
                base, "initial_state_distrib"):
            self.error = "no model to plan with"
            return
        key = (id(env.unwrapped), round(gamma, 6))
        if key == self._key:
            self._collect()
            return
        self.invalidate()
        self._key = key
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="q-star")
        self._future = self._pool.submit(_solve, env, gamma)

    def _collect(self) -> None:
        future = self._future
        if future is None or not future.done():
            return
        self._future = None
        try:
            self.q_star, self.reachable, self.arrays = future.result()
        except Exception as exc:  # PlanningError and anything numpy raises
            self.error = str(exc)

    @property
    def ready(self) -> bool:
        self._collect()
        return self.q_star is not None

    def distance(self, q: np.ndarray | None) -> float | None:
        """max |Q - Q*| over reachable states, or None while Q* is unknown."""
        if q is None or not self.ready or self.q_star is None or q.shape != self.q_star.shape:
            return None
        mask = self.reachable if self.reachable is not None else slice(None)
        diff = np.abs(q[mask] - self.q_star[mask])
        return float(diff.max()) if diff.size else 0.0

    def readout(self, q: np.ndarray | None) -> str:
        """The panel's one-line "distance to Q*" text."""
        if self.error:
            return f"Q* unavailable: {self.error}"
        d = self.distance(q)
        if d is None:
            return "distance to Q*: computing\u2026"
        return f"distance to Q*  max |Q \u2212 Q*| = {d:.4f}"

    def mask(self, grid: Any, layer: int) -> np.ndarray | None:
        """Bit mask of optimal screen directions per cell for one layer (for the board)."""
        if not self.ready or self.q_star is None:
            return None
        cached = self._masks.get(layer)
        if cached is None:
            cached = cell_values(self.q_star, grid, layer, atol=1e-9).greedy_mask
            self._masks[layer] = cached
        return cached

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
