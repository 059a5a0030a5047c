"""Noticing that learning has stalled, and saying what to try (numpy only, no pygame).

An agent that found a small reward near the start often stops looking for a big one farther away:
ε has decayed, the greedy path is walked again and again, and the values along it are all that
improves, until even they stop. The watch compares the greedy policy's expected return from the
start (policy evaluation on the env's model) with the optimum (value iteration's), and the
distance to Q* over time: when neither has improved for a while and the greedy return is still
short of the best possible, learning has stalled, and one line says so and suggests a remedy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_WINDOW_STEPS = 100_000  #: at least this many steps without progress before speaking up
WINDOW_STEPS_PER_STATE = 50  #: ... and this many per state of the env
EVAL_SWEEPS = 1000  #: policy-evaluation sweeps at most (discounting makes later ones tiny)
#: the distance to Q* must shrink below this fraction of its best so far to count as progress:
#: the odd exploratory visit nudging one far-off value is not learning the way to a reward
DISTANCE_PROGRESS = 0.9


def greedy_value(arrays: dict[str, np.ndarray], q: np.ndarray, gamma: float,
                 start: np.ndarray, tol: float = 1e-9) -> float:
    """Expected discounted return from the start distribution of the greedy policy of ``q``
    (ties broken toward the first action), by iterative policy evaluation on the model arrays
    ``prob`` / ``next_state`` / ``reward`` / ``terminated`` of shape ``[S, A, K]``."""
    s = np.arange(q.shape[0])
    pi = np.argmax(q, axis=1)
    prob = arrays["prob"][s, pi]  # [S, K]
    nxt = arrays["next_state"][s, pi]
    reward = np.sum(prob * arrays["reward"][s, pi], axis=1)
    cont = prob * gamma * (~arrays["terminated"][s, pi])
    v = np.zeros(q.shape[0])
    for _ in range(EVAL_SWEEPS):
        new = reward + np.sum(cont * v[nxt], axis=1)
        done = float(np.max(np.abs(new - v))) < tol
        v = new
        if done:
            break
    return float(np.dot(start, v))


@dataclass
class StallWatch:
    """Tracks progress by env steps; :meth:`update` says whether learning has stalled.

    Attributes:
        window: steps without progress that count as a stall.
    """

    window: int = MIN_WINDOW_STEPS
    _best_distance: float = float("inf")
    _best_greedy: float = float("-inf")
    _progress_at: int = 0

    def reset(self, n_states: int = 0) -> None:
        """A fresh start (new agent, new env, reset learning)."""
        self.window = max(MIN_WINDOW_STEPS, WINDOW_STEPS_PER_STATE * int(n_states))
        self._best_distance, self._best_greedy, self._progress_at = float("inf"), float("-inf"), 0

    def update(self, steps: int, greedy: float, best: float, distance: float) -> bool:
        """Record the figures at ``steps``; True when stalled short of the optimum."""
        tol = 1e-3 * max(1.0, abs(best))
        if distance < DISTANCE_PROGRESS * self._best_distance or greedy > self._best_greedy + tol:
            self._progress_at = steps
        self._best_distance = min(self._best_distance, distance)
        self._best_greedy = max(self._best_greedy, greedy)
        return greedy < best - tol and steps - self._progress_at >= self.window


def stall_hint(greedy: float, best: float, initial_q: float, top_reward: float) -> str:
    """The one line shown while learning has stalled."""
    tips = []
    if initial_q < top_reward:
        tips.append(f"an optimistic initial Q (e.g. {top_reward:g}) so untried moves look "
                    "worth trying")
    tips.append("a higher \u03b5 or a slower \u03b5 decay")
    return (f"Learning has stalled: the greedy run is worth {greedy:.3g}, the best possible is "
            f"{best:.3g}. Try " + ", or ".join(tips) + ", then Reset (R).")
