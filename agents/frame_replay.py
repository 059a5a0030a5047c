"""Replay memory for stacked frames that stores each frame once.

A naive buffer keeps ``obs`` and ``next_obs`` of every transition: with 4 stacked 84x84 frames
that is 8 frames (56 KB) per transition, ~5.6 GB for 100,000 transitions, although consecutive
observations share 3 of their 4 frames.  Here the frames an agent sees are written once, in order,
into a ring (a *stream*); a stacked observation is the position of its newest frame, and its stack
is the ``k`` positions ending there.  A transition row stores two positions, the action, the
(n-step) return and the discount; stacks are rebuilt with one gather when a batch is drawn.

Episode boundaries cannot leak frames: when an observation does not continue the last one (a reset,
or any observation that is not the previous one shifted by a frame), all ``k`` of its frames are
written, so the ``k`` positions ending at any observation hold exactly that observation's frames,
whatever padding the frame stacker used.  That costs ``k`` extra frames per episode (the reset
stack's older frames and the final observation have no row of their own), which is why the stream
holds ``capacity + capacity // 50 + 2k`` frames: at Atari episode lengths (hundreds of steps) every
one of ``capacity`` rows stays valid; with very short episodes the oldest rows are dropped as their
frames are overwritten, so ``size`` can stay below ``capacity``.

The ring, the rows and the batch gathering all live on the agent's device; on a GPU, frames and
rows are staged in host arrays and copied over in one transfer per field before a batch is drawn
(as ``agents.buffers.ReplayBuffer`` does).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from agents.buffers import Batch


class _DeviceRing:
    """A ring of fixed-shape rows on a device, written strictly in order (slot after slot).

    On the CPU the ring is host memory numpy writes into; elsewhere rows are staged in a (pinned)
    host array and copied over by :meth:`flush`, one transfer per contiguous run.
    """

    def __init__(self, capacity: int, shape: tuple[int, ...], dtype: type, device: torch.device,
                 direct: bool, stage_rows: int) -> None:
        self.capacity = capacity
        self.device = device
        self.direct = direct
        if direct:
            self.host = np.zeros((capacity, *shape), dtype=dtype)
            self.storage = torch.from_numpy(self.host)  # shares memory
        else:
            host = np.zeros((min(capacity, stage_rows), *shape), dtype=dtype)
            if device.type == "cuda":
                host = torch.from_numpy(host).pin_memory().numpy()
            self.host = host
            self.storage = torch.zeros((capacity, *shape), dtype=torch.from_numpy(host).dtype,
                                       device=device)
        self._staged = 0
        self._start = 0

    def put(self, slot: int, value: Any) -> None:
        """Write ``value`` at ring slot ``slot`` (the slot after the previous ``put``)."""
        if self.direct:
            self.host[slot] = value
            return
        if self._staged == len(self.host):
            self.flush()
        if self._staged == 0:
            self._start = slot
        self.host[self._staged] = value
        self._staged += 1

    def flush(self) -> None:
        """Copy staged rows to the device (a no-op when the ring is host memory)."""
        count, start = self._staged, self._start
        if count == 0:
            return
        self._staged = 0
        first = min(count, self.capacity - start)
        src = torch.from_numpy(self.host)
        self.storage[start:start + first].copy_(src[:first], non_blocking=True)
        if first < count:  # the staged rows wrap past the end of the ring
            self.storage[:count - first].copy_(src[first:count], non_blocking=True)
        if self.device.type == "cuda":
            torch.cuda.current_stream(self.device).synchronize()  # the host rows get reused

    def reset(self) -> None:
        self._staged = 0

    @property
    def nbytes(self) -> int:
        return self.storage.numel() * self.storage.element_size() + (
            0 if self.direct else self.host.nbytes)


class FrameReplay:
    """Uniform replay of transitions between stacked-frame observations, each frame stored once.

    Used like :class:`agents.buffers.ReplayBuffer`, in two calls per env step: :meth:`register`
    puts the step's observations into the frame stream and returns their positions, which then
    travel (through n-step accumulation, if any) to :meth:`add` in place of the observations.

    Args:
        capacity: transition rows kept; once full, each new row overwrites the oldest.
        obs_shape: ``(k, H, W)``: ``k`` stacked frames, oldest first (FrameStackObservation's
            order).
        device: where the frames, the rows and sampled batches live.
        generator: torch generator on ``device`` that draws batch indices.
        stage_rows: on a non-CPU device, rows staged on the host between copies.
        staged: force host staging on or off (default: on for every device but the CPU); tests
            turn it on to exercise the GPU path's bookkeeping on a CPU-only machine.
        scale: when given, batches hold float32 stacks multiplied by it (the network's input
            scaling) instead of the stored uint8, so the network does not convert them again.
        channels_last: with ``scale``, lay those float stacks out channels-last (NHWC), the
            layout the network's convolutions take.
    """

    def __init__(self, capacity: int, obs_shape: tuple[int, ...], device: torch.device | str,
                 generator: torch.Generator, stage_rows: int = 1024,
                 staged: bool | None = None, scale: float | None = None,
                 channels_last: bool = False) -> None:
        if capacity < 1:
            raise ValueError(f"a replay buffer needs a capacity of at least 1, got {capacity}")
        if len(obs_shape) < 2 or obs_shape[0] < 1:
            raise ValueError(f"frame replay needs observations of shape (frames, ...), got "
                             f"{obs_shape}")
        self.capacity = int(capacity)
        self.obs_shape = tuple(int(d) for d in obs_shape)
        self.stack = self.obs_shape[0]
        self.device = torch.device(device)
        self.generator = generator
        self.frame_capacity = self.capacity + self.capacity // 50 + 2 * self.stack
        direct = self.device.type == "cpu" if staged is None else not staged
        ring = lambda n, shape, dtype: _DeviceRing(n, shape, dtype, self.device, direct,  # noqa: E731
                                                   stage_rows)
        self._frames = ring(self.frame_capacity, self.obs_shape[1:], np.uint8)
        self._rows = [ring(self.capacity, (), dtype)
                      for dtype in (np.int64, np.int64, np.float32, np.int64, np.float32)]
        self._row_obs = np.zeros(self.capacity, dtype=np.int64)  # stream position of each obs
        self._offsets = torch.arange(self.stack - 1, -1, -1, device=self.device)
        self.scale = scale
        self.memory_format = torch.channels_last if channels_last else torch.contiguous_format
        self.clear()

    # -- bookkeeping --------------------------------------------------------------------------

    def clear(self) -> None:
        """Forget every frame and row (the memory stays allocated)."""
        self._written = 0  # frames written to the stream so far (positions 0 .. _written-1)
        self._head = 0  # rows written so far
        self._tail = 0  # oldest row still held
        self._last: np.ndarray | None = None  # the last registered observation...
        self._last_pos = -1  # ...and its stream position
        for ring in (self._frames, *self._rows):
            ring.reset()

    @property
    def size(self) -> int:
        """Transition rows held (and sampled from)."""
        return self._head - self._tail

    def __len__(self) -> int:
        return self.size

    @property
    def nbytes(self) -> int:
        """Memory allocated for frames and rows (the host staging arrays included)."""
        return (self._frames.nbytes + sum(r.nbytes for r in self._rows) + self._row_obs.nbytes)

    # -- writing ------------------------------------------------------------------------------

    def _write_frames(self, frames: np.ndarray) -> int:
        """Append frames to the stream; the position of the last one."""
        for frame in frames:
            self._frames.put(self._written % self.frame_capacity, frame)
            self._written += 1
        oldest = self._written - self.frame_capacity  # frames before this are overwritten
        while self._tail < self._head and (
                self._row_obs[self._tail % self.capacity] - (self.stack - 1) < oldest):
            self._tail += 1
        return self._written - 1

    def register(self, obs: Any, next_obs: Any) -> tuple[int, int]:
        """Put one step's observations into the stream; their positions ``(obs, next_obs)``.

        ``obs`` continuing the last registered ``next_obs`` (the usual case) costs nothing, and
        ``next_obs`` being ``obs`` shifted by one new frame costs that one frame; anything else
        (a reset observation, a frame stack that did not shift) is written in full.
        """
        obs = np.asarray(obs)
        next_obs = np.asarray(next_obs)
        if obs.shape != self.obs_shape or next_obs.shape != self.obs_shape:
            raise ValueError(f"this replay stores observations of shape {self.obs_shape}, got "
                             f"{obs.shape} and {next_obs.shape}")
        if self._last is not None and np.array_equal(obs, self._last):
            obs_pos = self._last_pos
        else:
            obs_pos = self._write_frames(obs)
        if np.array_equal(next_obs[:-1], obs[1:]):
            next_pos = self._write_frames(next_obs[-1:])
        else:
            next_pos = self._write_frames(next_obs)
        self._last = next_obs.copy()
        self._last_pos = next_pos
        return obs_pos, next_pos

    def add(self, obs_pos: Any, action: int, ret: float, next_pos: Any, discount: float) -> None:
        """Store one transition between two registered positions (see :meth:`register`)."""
        obs_pos, next_pos = int(obs_pos), int(next_pos)
        if obs_pos - (self.stack - 1) < self._written - self.frame_capacity:
            raise ValueError(f"stream position {obs_pos} was overwritten; register the step again")
        if self.size == self.capacity:
            self._tail += 1
        slot = self._head % self.capacity
        self._row_obs[slot] = obs_pos
        for ring, value in zip(self._rows, (obs_pos % self.frame_capacity, action, ret,
                                            next_pos % self.frame_capacity, discount)):
            ring.put(slot, value)
        self._head += 1

    # -- reading ------------------------------------------------------------------------------

    def _stacks(self, positions: torch.Tensor) -> torch.Tensor:
        """``[n, k, H, W]`` stacks ending at the given ring slots: uint8 as stored, or float32
        times ``scale`` when the replay was given one."""
        if self.scale is not None and self._frames.direct and len(self.obs_shape) == 3 \
                and self.memory_format == torch.channels_last:
            return self._nhwc_float_stacks(positions)
        index = (positions.unsqueeze(1) - self._offsets) % self.frame_capacity
        frames = self._frames.storage.index_select(0, index.reshape(-1))
        stacks = frames.view(len(positions), *self.obs_shape)
        if self.scale is None:
            return stacks
        return stacks.to(torch.float32).mul_(self.scale).contiguous(
            memory_format=self.memory_format)

    def _nhwc_float_stacks(self, positions: torch.Tensor) -> torch.Tensor:
        """The CPU's float stacks, gathered, scaled and interleaved in one numba pass."""
        from agents.frame_gather import gather_nhwc

        k, height, width = self.obs_shape
        out = np.empty((len(positions), height * width, k), dtype=np.float32)
        gather_nhwc(self._frames.host.reshape(self.frame_capacity, -1), positions.numpy(), k,
                    np.float32(self.scale), out)
        return torch.from_numpy(out).view(len(positions), height, width, k).permute(0, 3, 1, 2)

    def _gather(self, slots: torch.Tensor) -> Batch:
        obs, actions, returns, nxt, discounts = (r.storage.index_select(0, slots)
                                                 for r in self._rows)
        return Batch(self._stacks(obs), actions, returns, self._stacks(nxt), discounts)

    def _flush(self) -> None:
        for ring in (self._frames, *self._rows):
            ring.flush()

    def sample(self, batch_size: int) -> Batch:
        """Draw ``batch_size`` rows uniformly (with replacement) from those held."""
        if self.size == 0:
            raise ValueError("cannot sample from an empty replay buffer")
        self._flush()
        index = torch.randint(0, self.size, (batch_size,), generator=self.generator,
                              device=self.device)
        return self._gather((index + self._tail) % self.capacity)

    def transitions(self) -> dict[str, np.ndarray]:
        """Every row held, oldest first, with stacks rebuilt (for tests and inspection)."""
        self._flush()
        slots = torch.arange(self._tail, self._head, device=self.device) % self.capacity
        batch = self._gather(slots)
        return {name: value.cpu().numpy() for name, value in zip(batch._fields, batch)}
