"""What a TrainingSession shows: snapshots, the current state's Q-values, rendered frames.

A mixin of :class:`agents.session.TrainingSession`, kept apart from the stepping: everything here
reads the session and copies what a view draws, nothing here steps or learns. It reads the
session's bookkeeping (``_istate``, ``_ring``, ``_visits``, ``_last_td``, ``_ep_return``,
``history``) and its ``agent``, ``env``, ``grid``, ``discrete``, ``n_states``, ``mode``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.fast import (
    I_CUR_START,
    I_EP_STEP,
    I_LAST_END,
    I_LAST_START,
    I_RPOS,
    I_STATE,
    place_env,
)  # fmt: skip
from agents.protocol import Agent
from agents.records import Snapshot

PATH_RING = 1 << 14  # states kept for the trail of the last episode and the current path


class SessionViews:
    """Read-only views of a session (mixed into ``TrainingSession``)."""

    agent: Agent
    env: Any
    grid: Any
    discrete: bool
    n_states: int | None
    mode: str
    error: str | None
    last_action: int | None
    history: Any
    _istate: np.ndarray
    _ring: np.ndarray
    _visits: np.ndarray
    _last_td: np.ndarray
    _ep_return: np.ndarray
    _episode: int
    _total_steps: int
    _obs: Any
    _env_stale: bool

    # provided by TrainingSession
    state: Any
    epsilon: float

    def _sync_env(self) -> None:
        """After compiled steps, put the Gymnasium env where the session is."""
        place_env(self.env, int(self._istate[I_STATE]), int(self._istate[I_EP_STEP]))
        self._obs = int(self._istate[I_STATE])
        self._env_stale = False

    def _ring_slice(self, start: int, end: int) -> list[int]:
        start = max(start, int(self._istate[I_RPOS]) - PATH_RING)
        return [int(self._ring[i % PATH_RING]) for i in range(start, end)]

    def snapshot(self, include_q: bool = True) -> Snapshot:
        """Copies of what a view draws. For a DQN, Q-values are computed (one batched forward pass
        over every state) only for Discrete observations and only when ``include_q``."""
        st = self._istate
        q = None
        if include_q:
            table = self.agent.q_table
            if table is not None:
                q = table.copy()
            elif self.discrete:
                q = np.asarray(self.agent.q_values(np.arange(self.n_states)), dtype=np.float64)
        position = None
        if self.grid is not None and self.discrete:
            position = self.grid.position(self.state)
        returns, lengths, successes = self.history.arrays()
        traces = model = None
        if self.discrete:
            traces = self.agent.eligibility_by_state()
            model = self.agent.model_by_state()
        return Snapshot(
            q=q, state=self.state, position=position, episode=self._episode,
            total_steps=self._total_steps, epsilon=self.epsilon,
            returns=returns, lengths=lengths, successes=successes,
            visits=self._visits.copy() if self.discrete else None,
            last_td=self._last_td.copy() if self.discrete else None,
            trail=self._ring_slice(int(st[I_LAST_START]), int(st[I_LAST_END])),
            current_path=self._ring_slice(int(st[I_CUR_START]), int(st[I_RPOS])),
            mode=self.mode,
            episode_step=int(st[I_EP_STEP]), episode_return=float(self._ep_return[0]),
            error=self.error, last_action=self.last_action, traces=traces,
            model_known=model[0] if model is not None else None,
            planned=model[1] if model is not None else None,
        )

    def state_q(self) -> np.ndarray:
        """Q-values of the current state, one per action (a table row, or one forward pass of a
        network)."""
        table = self.agent.q_table
        if table is not None and self.discrete:
            return table[self.state].copy()
        batch = np.asarray([self.state]) if self.discrete else self._obs
        return np.asarray(self.agent.q_values(batch), dtype=np.float64).reshape(-1)

    def render_frame(self) -> Any:
        """``env.render()`` of where the session is (after compiled steps the env is moved there
        first, so the picture is never a stale one)."""
        if self._env_stale:
            self._sync_env()
        return self.env.render()

    @property
    def episode(self) -> int:
        """Finished episodes so far (learning and greedy)."""
        return self._episode

    @property
    def total_steps(self) -> int:
        """Env steps so far."""
        return self._total_steps

    @property
    def training_episodes(self) -> int:
        """Finished episodes that were training, not greedy demonstrations."""
        return self._episode - self.greedy_episodes

    @property
    def training_steps(self) -> int:
        """Env steps that were training, not greedy demonstrations."""
        return self._total_steps - self.greedy_steps

    def recent_returns(self, n: int = 100) -> np.ndarray:
        """Returns of the last ``n`` finished episodes."""
        return self.history.recent_returns(n)
