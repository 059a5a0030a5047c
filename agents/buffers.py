"""Replay memory for DQN: a preallocated ring on the agent's device, and an n-step accumulator.

Why a ring of fixed tensors rather than a list of tuples: an agent that takes millions of steps
must not allocate a Python object per step, and a gradient step should gather its batch with one
``index_select`` per field on the device that trains.  On the CPU the ring's tensors share memory
with numpy arrays, so storing a transition is a few numpy writes and no torch call at all; on a
GPU transitions are staged in host arrays and copied over in one transfer per field just before a
batch is drawn (one copy per training round instead of five tiny ones per env step).

Each stored row is ``(obs, action, ret, next_obs, discount)`` where ``ret`` is the (n-step)
return and ``discount`` is ``gamma**k`` for a bootstrapped row or ``0`` when the episode
terminated, so the TD target is always ``ret + discount * V(next_obs)``: time-limit truncation
keeps its discount and therefore still bootstraps.
"""

from __future__ import annotations

from collections import deque
from typing import Any, NamedTuple

import numpy as np
import torch


class Batch(NamedTuple):
    """A sampled mini-batch; every field lives on the buffer's device."""

    obs: torch.Tensor
    actions: torch.Tensor
    returns: torch.Tensor
    next_obs: torch.Tensor
    discounts: torch.Tensor


_FIELDS = ("obs", "actions", "returns", "next_obs", "discounts")


class ReplayBuffer:
    """Fixed-capacity ring of transitions, sampled uniformly with replacement.

    Args:
        capacity: number of rows; once full, each new row overwrites the oldest.
        obs_shape: shape of one observation as stored (``()`` for a Discrete index).
        obs_dtype: numpy dtype of stored observations (int64 for Discrete, float32 for Box).
        device: torch device of the ring and of sampled batches.
        generator: torch generator on ``device`` that draws the batch indices, so sampling
            depends only on the agent's seed.
        stage_rows: on a non-CPU device, how many rows to stage on the host before a copy.
        staged: force host staging on or off (default: on for every device but the CPU); tests
            turn it on to exercise the GPU path's bookkeeping on a CPU-only machine.
    """

    def __init__(
        self,
        capacity: int,
        obs_shape: tuple[int, ...],
        obs_dtype: np.dtype | type,
        device: torch.device | str,
        generator: torch.Generator,
        stage_rows: int = 4096,
        staged: bool | None = None,
    ) -> None:
        if capacity < 1:
            raise ValueError(f"a replay buffer needs a capacity of at least 1, got {capacity}")
        self.capacity = int(capacity)
        self.device = torch.device(device)
        self.generator = generator
        self.pos = 0
        self.size = 0
        dtypes = (np.dtype(obs_dtype), np.int64, np.float32, np.dtype(obs_dtype), np.float32)
        shapes = (tuple(obs_shape), (), (), tuple(obs_shape), ())
        # direct: the ring itself is host memory that numpy writes into (CPU, unless staged)
        self._direct = self.device.type == "cpu" if staged is None else not staged
        rows = self.capacity if self._direct else min(self.capacity, stage_rows)
        host = [np.zeros((rows, *shape), dtype=dtype) for shape, dtype in zip(shapes, dtypes)]
        if self._direct:
            self.storage = [torch.from_numpy(array) for array in host]  # shares memory
        else:
            host = [torch.from_numpy(a).pin_memory().numpy() for a in host] if (
                self.device.type == "cuda") else host
            self.storage = [torch.zeros((self.capacity, *s), dtype=torch.from_numpy(a).dtype,
                                        device=self.device) for s, a in zip(shapes, host)]
        self._host = host
        self._staged = 0  # rows waiting in the host arrays (non-CPU devices only)
        self._stage_start = 0  # ring position of the first staged row

    def __len__(self) -> int:
        return self.size

    def add(self, obs: Any, action: int, ret: float, next_obs: Any, discount: float) -> None:
        """Store one transition; ``discount`` is 0 for a terminated one (see module docstring)."""
        if self._direct:
            row = self.pos
        else:
            if self._staged == len(self._host[0]):
                self.flush()
            if self._staged == 0:
                self._stage_start = self.pos
            row = self._staged
            self._staged += 1
        obs_h, act_h, ret_h, next_h, disc_h = self._host
        obs_h[row] = obs
        act_h[row] = action
        ret_h[row] = ret
        next_h[row] = next_obs
        disc_h[row] = discount
        self.pos = (self.pos + 1) % self.capacity
        self.size = min(self.size + 1, self.capacity)

    def flush(self) -> None:
        """Copy staged rows to the device ring (a no-op on the CPU, where nothing is staged)."""
        count, start = self._staged, self._stage_start
        if count == 0:
            return
        self._staged = 0
        first = min(count, self.capacity - start)
        for host, ring in zip(self._host, self.storage):
            ring[start:start + first].copy_(torch.from_numpy(host[:first]), non_blocking=True)
            if first < count:  # the staged rows wrap past the end of the ring
                ring[:count - first].copy_(torch.from_numpy(host[first:count]), non_blocking=True)
        if self.device.type == "cuda":
            torch.cuda.current_stream(self.device).synchronize()  # host rows get reused next

    def sample(self, batch_size: int) -> Batch:
        """Draw ``batch_size`` rows uniformly (with replacement) from what is stored."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        self.flush()
        index = torch.randint(0, self.size, (batch_size,), generator=self.generator,
                              device=self.device)
        return Batch(*(ring.index_select(0, index) for ring in self.storage))

    def clear(self) -> None:
        """Forget every stored row (the memory stays allocated)."""
        self.pos = self.size = self._staged = 0

    def rows(self, index: Any) -> dict[str, np.ndarray]:
        """Stored rows at ring positions ``index`` as numpy arrays (for tests and inspection)."""
        self.flush()
        idx = torch.as_tensor(np.asarray(index, dtype=np.int64), device=self.device)
        return {name: ring.index_select(0, idx).cpu().numpy()
                for name, ring in zip(_FIELDS, self.storage)}


class NStepAccumulator:
    """Turns one-step transitions into n-step ones: ``(s_t, a_t, sum_k gamma^k r_{t+k}, s_{t+n})``.

    A transition leaves once ``n`` rewards are collected.  When an episode ends (terminated *or*
    truncated) every pending transition leaves at once with the rewards it has: after termination
    with discount 0 (nothing to bootstrap from), after truncation with discount ``gamma**k`` onto
    the last observation (the time limit is not part of the task, so the future still counts).
    """

    def __init__(self, n: int, gamma: float) -> None:
        if n < 1:
            raise ValueError(f"n-step returns need n of at least 1, got {n}")
        self.n = int(n)
        self.gamma = float(gamma)
        self._pending: deque[tuple[Any, int, float]] = deque()

    def __len__(self) -> int:
        return len(self._pending)

    def clear(self) -> None:
        """Drop pending transitions (a new episode starts without finishing the last)."""
        self._pending.clear()

    def push(
        self, state: Any, action: int, reward: float, next_state: Any, terminated: bool,
        truncated: bool,
    ) -> list[tuple[Any, int, float, Any, float]]:
        """Add one step; return the ``(obs, action, ret, next_obs, discount)`` rows now complete."""
        self._pending.append((np.array(state, copy=True), int(action), float(reward)))
        if not (terminated or truncated):
            if len(self._pending) < self.n:
                return []
            return [self._emit(next_state, terminated=False)]
        out = []
        while self._pending:
            out.append(self._emit(next_state, terminated=bool(terminated)))
        return out

    def _emit(self, next_state: Any, terminated: bool) -> tuple[Any, int, float, Any, float]:
        """Pop the oldest pending step with the discounted sum of the rewards after it."""
        ret = 0.0
        for _, _, reward in reversed(self._pending):
            ret = reward + self.gamma * ret
        k = len(self._pending)
        state, action, _ = self._pending.popleft()
        discount = 0.0 if terminated else self.gamma ** k
        return state, action, ret, next_state, discount
