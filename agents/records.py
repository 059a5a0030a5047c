"""What a TrainingSession reports: transitions, finished episodes, advance reports, snapshots.

Plain records shared by the session (which fills them), the app (which draws them) and the CLI.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
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
    """A finished episode; ``success`` as :mod:`levels.success` judges it for the env.

    A NamedTuple: turbo reports tens of thousands of these per second.
    """

    index: int
    ret: float
    length: int
    success: bool


class EpisodeLog(Sequence[EpisodeResult]):
    """The episodes one ``advance`` call finished: a read-only sequence of :class:`EpisodeResult`.

    The turbo path finishes tens of thousands of episodes per frame on a tiny level; building one
    Python record for each cost 1-2 ms a frame and fed the cyclic garbage collector enough to stall
    frames for ~50 ms. So its episodes are kept as the arrays the kernel wrote and the records are
    built only when someone reads them; :meth:`returns`, :meth:`lengths` and :meth:`successes`
    give the arrays without building anything. The Python path appends one record per episode.
    """

    def __init__(self) -> None:
        self._chunks: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self._records: list[EpisodeResult] = []
        self._n = 0
        self._built: list[EpisodeResult] | None = None

    def append(self, episode: EpisodeResult) -> None:
        """Add one finished episode (the Python path)."""
        self._records.append(episode)
        self._n += 1
        self._built = None

    def add_arrays(self, first_index: int, returns: np.ndarray, lengths: np.ndarray,
                   successes: np.ndarray) -> None:
        """Add consecutive episodes ``first_index, first_index + 1, ...`` (kept, not copied)."""
        if len(returns):
            self._chunks.append((first_index, returns, lengths, successes))
            self._n += len(returns)
            self._built = None

    def _cat(self, pos: int, dtype: Any) -> np.ndarray:
        parts = [chunk[pos] for chunk in self._chunks]
        if self._records:
            parts.append(np.array([r[pos] for r in self._records], dtype=dtype))
        return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)

    def returns(self) -> np.ndarray:
        """Returns of the finished episodes, in order (float64)."""
        return self._cat(1, np.float64)

    def lengths(self) -> np.ndarray:
        """Lengths of the finished episodes, in order (int64)."""
        return self._cat(2, np.int64)

    def successes(self) -> np.ndarray:
        """Whether each finished episode succeeded, in order (bool)."""
        return self._cat(3, bool)

    def _records_list(self) -> list[EpisodeResult]:
        if self._built is None:
            built: list[EpisodeResult] = []
            for first, rets, lengths, wins in self._chunks:
                built.extend(map(EpisodeResult, range(first, first + len(rets)), rets.tolist(),
                                 lengths.tolist(), wins.tolist()))
            built.extend(self._records)
            self._built = built
        return self._built

    def __len__(self) -> int:
        return self._n

    def __getitem__(self, index: Any) -> Any:
        return self._records_list()[index]

    def __iter__(self) -> Iterator[EpisodeResult]:
        return iter(self._records_list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, EpisodeLog | list | tuple):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"EpisodeLog({self._n} episodes)"


@dataclass
class AdvanceReport:
    """What one ``advance`` call did."""

    steps: int = 0
    transitions: list[Transition] = field(default_factory=list)
    episodes: EpisodeLog = field(default_factory=EpisodeLog)
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
    last_action: int | None = None  # the action of the newest Python-path step (bar highlight)
    traces: np.ndarray | None = None  # [S] largest eligibility trace per state now
    model_known: np.ndarray | None = None  # [S] bool: states Dyna's model knows
    planned: np.ndarray | None = None  # [S] planning updates of the last step per state


class EpisodeHistory:
    """The last ``maxlen`` finished episodes' returns, lengths and successes, in numpy rings (a
    ten-million-step run does not grow memory, and recording an episode allocates nothing)."""

    def __init__(self, maxlen: int) -> None:
        self.maxlen = int(maxlen)
        self._ret = np.zeros(self.maxlen, dtype=np.float64)
        self._len = np.zeros(self.maxlen, dtype=np.int64)
        self._win = np.zeros(self.maxlen, dtype=bool)
        self._count = 0  # episodes ever recorded; the newest sits at (count - 1) % maxlen

    def __len__(self) -> int:
        return min(self._count, self.maxlen)

    def add(self, episode: EpisodeResult) -> None:
        """Record one finished episode."""
        i = self._count % self.maxlen
        self._ret[i], self._len[i], self._win[i] = episode.ret, episode.length, episode.success
        self._count += 1

    def extend(self, rets: Any, lengths: Any, successes: Any) -> None:
        """Record many finished episodes (the turbo path's output arrays)."""
        rets = np.asarray(rets, dtype=np.float64)
        k = len(rets)
        if k == 0:
            return
        keep = min(k, self.maxlen)
        idx = (self._count + k - keep + np.arange(keep)) % self.maxlen
        self._ret[idx] = rets[k - keep:]
        self._len[idx] = np.asarray(lengths)[k - keep:]
        self._win[idx] = np.asarray(successes)[k - keep:]
        self._count += k

    def _ordered(self, ring: np.ndarray, n: int | None = None) -> np.ndarray:
        size = len(self)
        n = size if n is None else max(0, min(int(n), size))
        idx = (self._count - n + np.arange(n)) % self.maxlen
        return ring[idx]

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Copies as arrays, oldest first: returns (float64), lengths (int64), successes (bool)."""
        return self._ordered(self._ret), self._ordered(self._len), self._ordered(self._win)

    def recent_returns(self, n: int) -> np.ndarray:
        """Returns of the last ``n`` episodes."""
        return self._ordered(self._ret, n)
