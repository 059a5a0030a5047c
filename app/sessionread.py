"""What the views read of a session, copied in one go by whichever thread owns the session.

While training runs on the worker thread (``agents.worker.SessionWorker``) nothing else may touch
the session: the worker copies this readout when it publishes a snapshot. While the app's own
thread owns the session (paused, stepping, slow speeds) the live view reads it directly through
the same function. Either way the views draw copies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from agents.config import DQNConfig
from agents.records import Snapshot


@dataclass(frozen=True)
class DQNReadout:
    """A DQN's training statistics and counters, for its charts and info strip."""

    stats: dict[str, np.ndarray]
    device: str
    config: DQNConfig
    learning_rate: float
    num_steps: int
    num_updates: int
    replay_size: int


@dataclass(frozen=True)
class SessionReadout:
    """One consistent reading of a session.

    Attributes:
        snap: the session's snapshot (Q-values only when they were asked for).
        state_q: Q-values of the current state (None when not asked for).
        frame: the env's rendered picture (None when not asked for or when rendering failed).
        frame_error: one sentence when rendering failed.
        dqn: the DQN's statistics (None for a tabular agent or when not asked for).
    """

    snap: Snapshot
    state_q: np.ndarray | None = None
    frame: Any = None
    frame_error: str | None = None
    dqn: DQNReadout | None = None


@dataclass(frozen=True)
class Extras:
    """The parts of a readout beyond ``snapshot()`` (the worker's ``view`` returns these)."""

    frame: Any = None
    frame_error: str | None = None
    dqn: DQNReadout | None = None


def read_extras(session: Any, frame: bool, dqn: bool) -> Extras:
    """The rendered frame and the DQN statistics, as asked for."""
    picture, error = None, None
    if frame:
        try:
            picture = session.render_frame()
        except Exception as exc:  # third-party render code: the view keeps its last picture
            error = f"The env failed to render: {exc}"
    agent = session.agent
    stats = None
    if dqn and agent.kind == "dqn":
        stats = DQNReadout(agent.stats_history(), str(agent.device), agent.config,
                           float(agent.current_learning_rate), int(agent.num_steps),
                           int(agent.num_updates), agent.replay_size)
    return Extras(picture, error, stats)


def read_session(session: Any, include_q: bool, frame: bool, dqn: bool) -> SessionReadout:
    """Everything a view may draw of ``session``, read on the thread that owns it."""
    extras = read_extras(session, frame, dqn)
    return SessionReadout(session.snapshot(include_q=include_q),
                          session.state_q() if frame else None,
                          extras.frame, extras.frame_error, extras.dqn)
