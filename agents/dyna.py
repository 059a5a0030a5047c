"""Dyna: a learnt model of the transitions seen so far, replayed as simulated one-step updates.

Tabular Dyna-Q (Sutton & Barto 2nd ed., section 8.2): after every real step the model remembers
what (state, action) led to (reward, next state, terminated), and ``planning_steps`` times a
previously observed state is drawn uniformly, then an action already taken in it, and the agent
applies its own one-step TD rule to the remembered outcome. The model keeps the last outcome of
each pair, which is exact for a deterministic level and a sample model for a slippery one, and it
only learns of a change by experiencing it (the book's blocking and shortcut mazes).

Sampling is written as plain functions on arrays (``record_transition``, ``sample_pair``) that
the Python agents call directly and ``agents.fast`` compiles with numba, so both paths plan alike.
Each planning step uses two uniform numbers (state, action), and SARSA two more for the next
action its target needs (none after a terminal outcome).
"""

from __future__ import annotations

from typing import Any

import numpy as np

# Planning updates remembered for an overlay ("what did the agent just imagine"), as s * A + a.
PLAN_RING = 512

# Slots of ``DynaModel.counters``.
C_STATES = 0  # observed states listed in ``states``
C_PLANNED = 1  # planning updates written to the ring so far


def record_transition(next_state: np.ndarray, reward: np.ndarray, terminated: np.ndarray,
                      states: np.ndarray, actions: np.ndarray, n_tried: np.ndarray,
                      counters: np.ndarray, s: int, a: int, r: float, s2: int,
                      term: bool) -> None:
    """Remember that ``a`` in ``s`` gave ``(r, s2, term)`` (replacing an older outcome)."""
    if n_tried[s] == 0:
        states[counters[C_STATES]] = s
        counters[C_STATES] += 1
    if next_state[s, a] < 0:
        actions[s, n_tried[s]] = a
        n_tried[s] += 1
    next_state[s, a] = s2
    reward[s, a] = r
    terminated[s, a] = term


def sample_pair(states: np.ndarray, actions: np.ndarray, n_tried: np.ndarray,
                counters: np.ndarray, u1: float, u2: float) -> tuple[int, int]:
    """A uniformly drawn observed state (from ``u1``) and an action tried in it (from ``u2``)."""
    n = counters[C_STATES]
    i = int(u1 * n)
    s = states[i if i < n else n - 1]
    m = n_tried[s]
    j = int(u2 * m)
    return s, actions[s, j if j < m else m - 1]


class DynaModel:
    """The learnt model of one agent; its arrays are shared with the compiled kernel in place.

    Args:
        n_states, n_actions: shape of the Q-table the model belongs to.
    """

    def __init__(self, n_states: int, n_actions: int) -> None:
        self.n_actions = n_actions
        self.next_state = np.full((n_states, n_actions), -1, dtype=np.int64)  # -1: never tried
        self.reward = np.zeros((n_states, n_actions))
        self.terminated = np.zeros((n_states, n_actions), dtype=np.bool_)
        self.states = np.zeros(n_states, dtype=np.int64)
        self.actions = np.zeros((n_states, n_actions), dtype=np.int64)
        self.n_tried = np.zeros(n_states, dtype=np.int64)
        self.counters = np.zeros(2, dtype=np.int64)
        self.planned = np.zeros(PLAN_RING, dtype=np.int64)

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The arrays the kernel takes, in ``record_transition``'s order, then ``planned``."""
        return (self.next_state, self.reward, self.terminated, self.states, self.actions,
                self.n_tried, self.counters, self.planned)

    def record(self, s: int, a: int, r: float, s2: int, term: bool) -> None:
        """``record_transition`` on this model."""
        record_transition(self.next_state, self.reward, self.terminated, self.states,
                          self.actions, self.n_tried, self.counters, s, a, r, s2, term)

    def sample(self, u1: float, u2: float) -> tuple[int, int, float, int, bool]:
        """A remembered transition ``(s, a, r, s2, terminated)`` drawn with two uniforms."""
        s, a = sample_pair(self.states, self.actions, self.n_tried, self.counters, u1, u2)
        return (int(s), int(a), float(self.reward[s, a]), int(self.next_state[s, a]),
                bool(self.terminated[s, a]))

    def note_planned(self, s: int, a: int) -> None:
        """Append one planning update to the ring the overlay reads."""
        self.planned[self.counters[C_PLANNED] % PLAN_RING] = s * self.n_actions + a
        self.counters[C_PLANNED] += 1

    def __len__(self) -> int:
        """Number of observed states (planning needs at least one)."""
        return int(self.counters[C_STATES])

    def known(self) -> np.ndarray:
        """Boolean ``[S, A]``: the pairs the model has an outcome for."""
        return self.next_state >= 0

    def last_planned(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """The last ``n`` (at most ``PLAN_RING``) planning updates as ``(states, actions)``."""
        total = int(self.counters[C_PLANNED])
        n = max(0, min(n, total, PLAN_RING))
        keys = self.planned[(np.arange(total - n, total)) % PLAN_RING]
        return keys // self.n_actions, keys % self.n_actions

    def forget(self, states: Any) -> None:
        """Drop what was learnt about ``states`` (cells an edit changed); the rest is kept."""
        drop = {int(s) for s in np.asarray(states, dtype=np.int64).ravel()}
        drop &= {int(s) for s in self.states[: len(self)]}
        if not drop:
            return
        keep = [int(s) for s in self.states[: len(self)] if int(s) not in drop]
        for s in drop:
            self.next_state[s] = -1
            self.n_tried[s] = 0
        self.states[: len(keep)] = keep
        self.counters[C_STATES] = len(keep)

    def clear(self) -> None:
        """Forget the whole model."""
        self.forget(self.states[: len(self)])
