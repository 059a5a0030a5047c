"""What a TrainingSession shows: snapshots and the current state's Q-values.

Functions of a :class:`agents.sessionbook.SessionBook` and an agent, handed explicitly: they read
and copy what a view draws, nothing here steps or learns.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from agents.fast import I_EP_STEP
from agents.protocol import Agent
from agents.records import Snapshot
from agents.sessionbook import SessionBook


def take_snapshot(book: SessionBook, agent: Agent, *, grid: Any, n_states: int | None,
                  epsilon: float, mode: str, error: str | None, include_q: bool = True,
                  pictures: Any = None, index_of: Any = None) -> Snapshot:
    """Copies of what a view draws. For a DQN, Q-values are computed (one batched forward pass
    over every state) only for Discrete observations, or a grid shown as images, and only when
    ``include_q``.

    ``pictures(states)`` and ``index_of(obs)`` are a grid env's maps between state indices and
    image observations (GridMaze in image mode): the network is then evaluated with the agent
    placed on every cell, and the snapshot's state is the index, so views draw it as a cell."""
    q = None
    if include_q:
        table = agent.q_table
        if table is not None:
            q = table.copy()
        elif book.discrete:
            q = np.asarray(agent.q_values(np.arange(n_states)), dtype=np.float64)
        elif pictures is not None:
            q = np.asarray(agent.q_values(pictures(np.arange(grid.n_states))), dtype=np.float64)
    state = book.state if index_of is None else index_of(book.obs)
    cells = grid is not None and (book.discrete or index_of is not None)
    position = grid.position(state) if cells else None
    returns, lengths, successes = book.history.arrays()
    traces = model = None
    if book.discrete:
        traces = agent.eligibility_by_state()
        model = agent.model_by_state()
    return Snapshot(
        q=q, state=state, position=position, episode=book.episode,
        total_steps=book.total_steps, epsilon=epsilon,
        returns=returns, lengths=lengths, successes=successes,
        visits=book.visits.copy() if book.discrete else None,
        last_td=book.last_td.copy() if book.discrete else None,
        trail=book.trail(), current_path=book.current_path(), mode=mode,
        episode_step=int(book.istate[I_EP_STEP]), episode_return=float(book.ep_return[0]),
        error=error, last_action=book.last_action, traces=traces,
        model_known=model[0] if model is not None else None,
        planned=model[1] if model is not None else None,
    )


def state_q(book: SessionBook, agent: Agent) -> np.ndarray:
    """Q-values of the current state, one per action (a table row, or one forward pass of a
    network)."""
    table = agent.q_table
    if table is not None and book.discrete:
        return table[book.state].copy()
    batch = np.asarray([book.state]) if book.discrete else book.obs
    return np.asarray(agent.q_values(batch), dtype=np.float64).reshape(-1)
