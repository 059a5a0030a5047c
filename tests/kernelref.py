"""The reference side of the kernel-equals-Python tests: a scripted uniform stream and the
epsilon-greedy choice written out the way the compiled kernel consumes its numbers."""

from __future__ import annotations

import numpy as np


class ScriptedRandom:
    """Hands out a fixed stream of uniforms; the reference consumes it as the kernel does."""

    def __init__(self, uniforms: np.ndarray) -> None:
        self.u, self.pos = uniforms, 0

    def random(self) -> float:
        self.pos += 1
        return float(self.u[self.pos - 1])


def reference_act(row: np.ndarray, eps: float, u1: float, u2: float) -> int:
    """Epsilon-greedy with random tie-breaks from two uniforms, in the kernel's order."""
    if u1 < eps:
        return min(int(u2 * len(row)), len(row) - 1)
    ties = [i for i, v in enumerate(row.tolist()) if v == max(row.tolist())]
    return ties[int(u2 * len(ties))]
