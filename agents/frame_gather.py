"""Stacks of stored frames gathered straight into a CPU network's input: float, scaled, NHWC.

A replay batch of 32 Atari stacks is 900 KB of uint8 frames; the Nature CNN on the CPU wants
3.6 MB of float32 in ``[0, 1]``, channels-last (oneDNN's convolutions run fastest on it).  In
torch that takes a gather, a cast, a scale and a transposing copy, four passes over the batch; this
kernel reads each stored frame once and writes each float once, interleaving the ``k`` frames of a
stack as it goes (~0.4 ms for 32 stacks here, against ~1-2 ms).  The values are bit-identical to
``frames.to(torch.float32).mul_(scale)``: the same float32 product of a byte and the scale.
Imported by ``agents.frame_replay`` on its first CPU batch, so numba loads only with a frame DQN.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.numbastart import load_cached_without_refresh


@njit(cache=True, nogil=True, boundscheck=False, _nrt=False)
def gather_nhwc(frames: np.ndarray, ends: np.ndarray, stack: int, scale: np.float32,
                out: np.ndarray) -> None:  # pragma: no cover - compiled by numba
    """``out[b, p, k] = frames[(ends[b] - (stack - 1 - k)) % len(frames), p] * scale``.

    ``frames`` is the replay's frame ring ``[F, H*W]`` (uint8), ``ends`` the ring slot of each
    stack's newest frame, ``out`` ``[n, H*W, stack]`` float32: channels-last ``[n, H, W, k]``.
    """
    n_frames = frames.shape[0]
    pixels = frames.shape[1]
    for b in range(ends.shape[0]):
        for k in range(stack):
            src = frames[(ends[b] - (stack - 1 - k)) % n_frames]
            for p in range(pixels):
                out[b, p, k] = src[p] * scale


load_cached_without_refresh(gather_nhwc)
