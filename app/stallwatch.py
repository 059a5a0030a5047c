"""Noticing that learning has stalled, and saying what to try (numpy only, no pygame).

An agent that found a small reward near the start often stops looking for a big one farther away:
ε has decayed, the greedy path is walked again and again, and the values along it are all that
improves, until even they stop. The watch compares the greedy policy's expected return from the
start (policy evaluation on the env's model) with the optimum (value iteration's), and the
distance to Q* over time: when neither has improved for a while and the greedy return is still
short of the best possible, learning has stalled, and one line says so and suggests a remedy.

Policy evaluation on a 50x50 maze takes 100-200 ms and on a 64x64 level with cheeses seconds, so
:class:`StallJudge` works the figures out on a worker thread (numpy releases the GIL in its
loops over big arrays) and the frame loop only hands it a Q-table and picks the answer up; each
evaluation starts from the previous one's values, so once learning settles it takes few sweeps.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

MIN_WINDOW_STEPS = 100_000  #: at least this many steps without progress before speaking up
WINDOW_STEPS_PER_STATE = 50  #: ... and this many per state of the env
EVAL_SWEEPS = 1000  #: policy-evaluation sweeps at most (discounting makes later ones tiny)
#: the distance to Q* must shrink below this fraction of its best so far to count as progress:
#: the odd exploratory visit nudging one far-off value is not learning the way to a reward
DISTANCE_PROGRESS = 0.9


def greedy_values(arrays: dict[str, np.ndarray], q: np.ndarray, gamma: float,
                  tol: float = 1e-9, warm: np.ndarray | None = None) -> np.ndarray:
    """``[S]`` expected discounted return from each state of the greedy policy of ``q`` (ties
    broken toward the first action), by iterative policy evaluation on the model arrays
    ``prob`` / ``next_state`` / ``reward`` / ``terminated`` of shape ``[S, A, K]``, starting
    from ``warm`` (an earlier answer: fewer sweeps) or zeros."""
    s = np.arange(q.shape[0])
    pi = np.argmax(q, axis=1)
    prob = arrays["prob"][s, pi]  # [S, K]
    nxt = arrays["next_state"][s, pi]
    reward = np.sum(prob * arrays["reward"][s, pi], axis=1)
    cont = prob * gamma * (~arrays["terminated"][s, pi])
    v = np.zeros(q.shape[0]) if warm is None or warm.shape != (q.shape[0],) else warm.copy()
    for _ in range(EVAL_SWEEPS):
        new = reward + np.sum(cont * v[nxt], axis=1)
        done = float(np.max(np.abs(new - v))) < tol
        v = new
        if done:
            break
    return v


def greedy_value(arrays: dict[str, np.ndarray], q: np.ndarray, gamma: float,
                 start: np.ndarray, tol: float = 1e-9) -> float:
    """Expected discounted return from the start distribution of the greedy policy of ``q``."""
    return float(np.dot(start, greedy_values(arrays, q, gamma, tol)))


@dataclass(frozen=True)
class StallFigures:
    """What the watch compares, at one look: the greedy policy's return from the start, the
    best possible, and max |Q - Q*| over the reachable states.

    Attributes:
        steps: the session's step count when ``q`` was read.
        generation: the training generation ``q`` belongs to (a reset starts a new one).
        values: the greedy policy's values, the next evaluation's starting point.
    """

    steps: int
    generation: int
    greedy: float
    best: float
    distance: float
    values: np.ndarray


def stall_figures(arrays: dict[str, np.ndarray], q: np.ndarray, q_star: np.ndarray,
                  reachable: np.ndarray | None, gamma: float, start: np.ndarray, steps: int,
                  generation: int, warm: np.ndarray | None = None) -> StallFigures:
    """The figures of one look at ``q`` (a copy nobody writes while this runs)."""
    values = greedy_values(arrays, q, gamma, warm=warm)
    mask = reachable if reachable is not None else slice(None)
    diff = np.abs(q[mask] - q_star[mask])
    return StallFigures(steps, generation, float(np.dot(start, values)),
                        float(np.dot(start, q_star.max(axis=1))),
                        float(diff.max()) if diff.size else 0.0, values)


class StallJudge:
    """Works out :func:`stall_figures` on one worker thread, one look at a time, so the frame
    loop never waits for a policy evaluation however big the world."""

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._future: Future | None = None
        self._warm: np.ndarray | None = None

    @property
    def busy(self) -> bool:
        """A look is being worked out."""
        return self._future is not None and not self._future.done()

    def submit(self, arrays: dict[str, np.ndarray], q: np.ndarray, q_star: np.ndarray,
               reachable: np.ndarray | None, gamma: float, start: np.ndarray, steps: int,
               generation: int) -> bool:
        """Start a look at ``q`` (which the caller no longer writes); False while one runs."""
        if self._future is not None:
            return False
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="stall-watch")
        self._future = self._pool.submit(stall_figures, arrays, q, q_star, reachable, gamma,
                                         start, steps, generation, self._warm)
        return True

    def take(self) -> StallFigures | None:
        """The finished look's figures (once), or None while it runs or when none was asked."""
        future = self._future
        if future is None or not future.done():
            return None
        self._future = None
        figures: StallFigures = future.result()
        self._warm = figures.values
        return figures

    def forget(self) -> None:
        """The world changed: drop a look in progress and the warm start."""
        self._future, self._warm = None, None

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


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
