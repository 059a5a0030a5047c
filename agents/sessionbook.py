"""SessionBook: the episode bookkeeping a TrainingSession's two stepping paths share.

The Python path and the compiled path (``agents.fast`` through ``agents.turbodrive``) both read
and write the same arrays in place (``buffers()``), so either can take over mid-episode. Views
(``agents.sessionviews``) read the book and copy what they draw; they never write it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.fast import (
    I_CUR_START,
    I_EP_STEP,
    I_EPISODE,
    I_LAST_END,
    I_LAST_START,
    I_NEXT_ACTION,
    I_RPOS,
    I_STATE,
    N_ISTATE,
)  # fmt: skip
from agents.records import EpisodeHistory, EpisodeResult

PATH_RING = 1 << 14  # states kept for the trail of the last episode and the current path
HISTORY = 10_000  # finished episodes kept for charts and the "recent returns" statistics


class SessionBook:
    """Counters, the current observation, visits, last TD errors, the path ring and the history.

    Args:
        n_states: the env's state count (None for non-Discrete observations: no per-state arrays).
        n_actions: the env's action count.

    Attributes:
        istate: the int64 array the compiled kernel shares (``agents.fast.I_*`` name its slots:
            state, step in episode, SARSA's chosen next action, schedule counters, ring cursors).
        ep_return: the running episode's return (a one-element array the kernel writes).
        ring: the last ``PATH_RING`` states visited, for trails.
        visits, last_td: per state (and action) counts and TD errors (empty without a state count).
        episode, total_steps: finished episodes and env steps, learning and greedy.
        greedy_episodes, greedy_steps: the part of those that were greedy demonstrations.
        history: returns, lengths and successes of the last ``HISTORY`` finished episodes.
        obs: the current observation as the env gave it.
        last_action: the action of the last Python-path step (None after compiled steps).
    """

    def __init__(self, n_states: int | None, n_actions: int) -> None:
        self.discrete = n_states is not None
        self.istate = np.zeros(N_ISTATE, dtype=np.int64)
        self.istate[I_NEXT_ACTION] = -1
        self.ep_return = np.zeros(1)
        self.ring = np.zeros(PATH_RING, dtype=np.int64)
        self.episode = 0
        self.total_steps = 0
        self.greedy_steps = 0
        self.greedy_episodes = 0
        self.history = EpisodeHistory(HISTORY)
        self.obs: Any = None
        self.last_action: int | None = None
        self.visits = np.zeros(0, dtype=np.int64)
        self.last_td = np.full((0, n_actions), np.nan)
        self.resize(n_states, n_actions)

    def resize(self, n_states: int | None, n_actions: int) -> None:
        """Fresh visits and TD errors for an env with other counts (nothing learnt carries)."""
        self.discrete = n_states is not None
        self.visits = np.zeros(n_states or 0, dtype=np.int64)
        self.last_td = np.full((n_states or 0, n_actions), np.nan)

    def forget_states(self, rows: np.ndarray) -> None:
        """Visits and TD errors of ``rows`` (states whose cell was edited) back to none."""
        self.visits[rows] = 0
        self.last_td[rows] = np.nan

    def buffers(self) -> tuple[np.ndarray, ...]:
        """``(istate, ep_return, visits, last_td, ring)``: what the compiled path steps in place."""
        return self.istate, self.ep_return, self.visits, self.last_td, self.ring

    @property
    def state(self) -> Any:
        """The current observation (an int for Discrete envs)."""
        return int(self.istate[I_STATE]) if self.discrete else self.obs

    def set_obs(self, obs: Any) -> None:
        if self.discrete:
            self.istate[I_STATE] = int(obs)
        self.obs = obs

    def clear_path(self) -> None:
        """Empty trail and current path (the states visited mean something else now)."""
        st = self.istate
        st[I_RPOS] = st[I_CUR_START] = st[I_LAST_START] = st[I_LAST_END] = 0

    def begin_episode(self, obs: Any) -> None:
        """The first observation of a new episode: its return, step count and path start over."""
        self.set_obs(obs)
        st = self.istate
        st[I_EP_STEP] = 0
        st[I_NEXT_ACTION] = -1
        self.ep_return[0] = 0.0
        st[I_CUR_START] = st[I_RPOS]
        self._ring_write(obs)

    def _ring_write(self, obs: Any) -> None:
        if self.discrete:
            st = self.istate
            self.ring[st[I_RPOS] % PATH_RING] = int(obs)
            st[I_RPOS] += 1

    def ring_slice(self, start: int, end: int) -> list[int]:
        """States at ring positions ``start..end`` (only the last ``PATH_RING`` are kept)."""
        start = max(start, int(self.istate[I_RPOS]) - PATH_RING)
        return [int(self.ring[i % PATH_RING]) for i in range(start, end)]

    def trail(self) -> list[int]:
        """The states of the last finished episode."""
        return self.ring_slice(int(self.istate[I_LAST_START]), int(self.istate[I_LAST_END]))

    def current_path(self) -> list[int]:
        """The states of the running episode so far."""
        return self.ring_slice(int(self.istate[I_CUR_START]), int(self.istate[I_RPOS]))

    def book_step(self, s: Any, r: float, obs: Any, done: bool, learn: bool) -> None:
        """Counters, visits, path and return of one Python-path step; the observation becomes
        the current state unless the episode ended (then ``end_episode`` follows)."""
        if self.discrete:
            self.visits[s] += 1
        self._ring_write(obs)
        self.total_steps += 1
        self.greedy_steps += int(not learn)
        self.istate[I_EP_STEP] += 1
        self.ep_return[0] += r
        if not done:
            self.set_obs(obs)

    def end_episode(self, success: bool, learn: bool) -> EpisodeResult:
        """Close the running episode: its result goes into the history and is returned."""
        st = self.istate
        finished = EpisodeResult(self.episode, float(self.ep_return[0]), int(st[I_EP_STEP]),
                                 success)
        self.episode += 1
        self.greedy_episodes += int(not learn)
        self.history.add(finished)
        if learn:
            st[I_EPISODE] += 1
        st[I_LAST_START], st[I_LAST_END] = st[I_CUR_START], st[I_RPOS]
        return finished

    def book_chunk(self, steps: int, returns: np.ndarray, lengths: np.ndarray,
                   successes: np.ndarray) -> int:
        """Counters and history after a compiled chunk; returns the first finished episode's
        index (the kernel has already moved the arrays)."""
        first = self.episode
        self.total_steps += steps
        self.episode += len(returns)
        if len(returns):
            self.history.extend(returns, lengths, successes)
        return first
