"""What a TrainingSession reports: transitions, finished episodes, advance reports, snapshots.

Plain records shared by the session (which fills them), the app (which draws them) and the CLI.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np


@dataclass(frozen=True)
class Transition:
    """One env step; ``update`` is the agent's report (``TDUpdate`` for tabular agents, DQN
    stats or None for a DQN, None in greedy mode)."""

    state: Any
    action: int
    reward: float
    next_state: Any
    terminated: bool
    truncated: bool
    update: Any = None


class EpisodeResult(NamedTuple):
    """A finished episode; ``success`` = it terminated with a positive final reward.

    A NamedTuple: turbo reports tens of thousands of these per second.
    """

    index: int
    ret: float
    length: int
    success: bool


@dataclass
class AdvanceReport:
    """What one ``advance`` call did."""

    steps: int = 0
    transitions: list[Transition] = field(default_factory=list)
    episodes: list[EpisodeResult] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None
    turbo: bool = False


@dataclass(frozen=True)
class Snapshot:
    """What a view needs to draw; arrays are copies the caller may keep."""

    q: np.ndarray | None
    state: Any
    position: tuple[int, int] | None
    episode: int
    total_steps: int
    epsilon: float
    returns: np.ndarray
    visits: np.ndarray | None
    last_td: np.ndarray | None
    trail: list[int]
    current_path: list[int]
    mode: str
    lengths: np.ndarray = field(default_factory=lambda: np.empty(0))
    successes: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=bool))
    episode_step: int = 0
    episode_return: float = 0.0
    error: str | None = None


class EpisodeHistory:
    """The last ``maxlen`` finished episodes' returns, lengths and successes (bounded rings, so
    a ten-million-step run does not grow memory)."""

    def __init__(self, maxlen: int) -> None:
        self.returns: deque[float] = deque(maxlen=maxlen)
        self.lengths: deque[int] = deque(maxlen=maxlen)
        self.successes: deque[bool] = deque(maxlen=maxlen)

    def add(self, episode: EpisodeResult) -> None:
        """Record one finished episode."""
        self.returns.append(episode.ret)
        self.lengths.append(episode.length)
        self.successes.append(episode.success)

    def extend(self, rets: list[float], lengths: list[int], successes: list[bool]) -> None:
        """Record many finished episodes (the turbo path's output)."""
        self.returns.extend(rets)
        self.lengths.extend(lengths)
        self.successes.extend(successes)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies as arrays: returns (float64), lengths (int64), successes (bool)."""
        n = len(self.returns)
        return (np.fromiter(self.returns, dtype=np.float64, count=n),
                np.fromiter(self.lengths, dtype=np.int64, count=n),
                np.fromiter(self.successes, dtype=bool, count=n))

    def recent_returns(self, n: int) -> np.ndarray:
        """Returns of the last ``n`` episodes."""
        start = max(0, len(self.returns) - n)
        return np.array([self.returns[i] for i in range(start, len(self.returns))])
