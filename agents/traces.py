"""Eligibility traces for the tabular agents, stored sparsely: only the entries still credited.

A trace ``e(s, a)`` says how much of the current TD error the pair (s, a) still earns. Every
update marks the pair just tried (replacing: ``e = 1``; accumulating: ``e += 1``), moves every
traced entry ``Q += alpha * delta * e`` and then decays every trace by ``gamma * lambda``
(Sutton & Barto 2nd ed., section 12.7). A full table of traces would decay S x A numbers per step;
here the live entries sit in a compact list (``index`` holds ``s * n_actions + a``, ``value``
its trace, ``slot`` the reverse map) and an entry leaves the list once its trace falls below
``TRACE_FLOOR``, so a step costs the length of the recent path, not the size of the maze.

``trace_update`` and ``clear_traces`` are plain Python on scalars and arrays: the Python agents
call them directly and ``agents.fast`` compiles the very same functions with numba, so both paths
do the same arithmetic in the same order. With lambda = 0 the only entry is the pair just tried
with ``e = 1``, and ``Q += (alpha * delta) * 1.0`` is bit for bit the one-step update.
"""

from __future__ import annotations

import numpy as np

# A trace below this is dropped: after ~log(1e-4)/log(gamma*lambda) steps (87 for 0.9 * 0.9).
TRACE_FLOOR = 1e-4


def trace_update(q: np.ndarray, index: np.ndarray, value: np.ndarray, slot: np.ndarray,
                 count: np.ndarray, state: int, action: int, step: float, decay: float,
                 replacing: bool) -> None:
    """Mark (state, action), add ``step * e`` to every traced Q entry, decay, prune.

    ``step`` is ``alpha * delta``; ``decay`` is ``gamma * lambda``. ``count[0]`` is the number of
    live entries; entries keep their order, so both paths prune identically.
    """
    n_actions = q.shape[1]
    n = count[0]
    key = state * n_actions + action
    j = slot[key]
    if j < 0:
        j = n
        index[n] = key
        value[n] = 0.0
        slot[key] = n
        n += 1
    if replacing:
        value[j] = 1.0
    else:
        value[j] += 1.0
    kept = 0
    for i in range(n):
        key = index[i]
        s, a = key // n_actions, key % n_actions
        q[s, a] += step * value[i]
        e = value[i] * decay
        if e >= TRACE_FLOOR:
            index[kept] = key
            value[kept] = e
            slot[key] = kept
            kept += 1
        else:
            slot[key] = -1
    count[0] = kept


def clear_traces(index: np.ndarray, slot: np.ndarray, count: np.ndarray) -> None:
    """Drop every trace (an episode ended, or Watkins's Q(lambda) took an exploratory action)."""
    for i in range(count[0]):
        slot[index[i]] = -1
    count[0] = 0


class EligibilityTraces:
    """The live traces of one agent; the arrays are shared with the compiled kernel in place.

    Args:
        n_states, n_actions: shape of the Q-table the traces belong to.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        size = n_states * n_actions
        self.n_actions = n_actions
        self.index = np.zeros(size, dtype=np.int64)
        self.value = np.zeros(size, dtype=np.float64)
        self.slot = np.full(size, -1, dtype=np.int64)
        self.count = np.zeros(1, dtype=np.int64)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(index, value, slot, count)`` as the kernel takes them."""
        return self.index, self.value, self.slot, self.count

    def update(self, q: np.ndarray, state: int, action: int, step: float, decay: float,
               replacing: bool) -> None:
        """``trace_update`` on these traces."""
        trace_update(q, self.index, self.value, self.slot, self.count, state, action, step,
                     decay, replacing)

    def clear(self) -> None:
        """Forget every trace."""
        clear_traces(self.index, self.slot, self.count)

    def __len__(self) -> int:
        return int(self.count[0])

    def active(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies of the credited entries now: ``(states, actions, traces)``, for an overlay."""
        n = int(self.count[0])
        keys = self.index[:n].copy()
        return keys // self.n_actions, keys % self.n_actions, self.value[:n].copy()
