"""The session's compiled path: turbo steps in chunks (~1 ms unless asked otherwise), the time
budget checked between.

``agents.fast.TurboRunner`` runs N steps of env + tabular agent + schedule in one numba call; it
cannot look at the clock. :class:`TurboDriver` sizes each call from the speed measured on the
calls before, so a frame's time budget is kept to within about a chunk, and hands every chunk's
finished episodes to the caller as arrays (no per-episode Python object). It also decides, once
per env, whether the env has a faithful tabular model at all.

Short chunks keep a frame loop's budget; a training thread asks for longer ones, since every
return from the kernel costs it the GIL, which a drawing thread may hold for a while.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import gymnasium
import numpy as np

from agents.fast import I_DIVERGED, RULES, TurboKernel, TurboRunner, turbo_model
from agents.protocol import Agent
from levels.success import success_judge

CHUNK_SECONDS = 1e-3  # aimed length of one compiled call, unless the caller asks otherwise
MIN_CHUNK, MAX_CHUNK = 256, 1 << 18

# on_chunk(steps, returns, lengths, successes) after every compiled call (arrays are copies)
ChunkCallback = Callable[[int, np.ndarray, np.ndarray, np.ndarray], None]


def jit_kernel() -> TurboKernel:
    """numba's JIT-compiled ``run_steps``: it releases the GIL, so the app's worker thread runs
    it while the UI thread draws."""
    from agents.turbokernel import run_steps

    return run_steps


class TurboDriver:
    """Runs the compiled path for one env; the session keeps the bookkeeping arrays.

    Args:
        env: the env whose transition model the kernel steps (tabulated lazily, on first use).
        kernel: returns the compiled ``run_steps`` to use, asked only once the env turns out to
            have a tabular model (default: numba's JIT kernel).
    """

    def __init__(self, env: gymnasium.Env,
                 kernel: Callable[[], TurboKernel] = jit_kernel) -> None:
        self.env = env
        self.kernel = kernel
        self.runner: TurboRunner | None = None
        self._tried = False
        self.step_seconds = 2.5e-7  # per step, re-measured after every call

    def available(self, agent: Agent, discrete: bool, td_shape: tuple[int, ...]) -> bool:
        """True when the kernel can run ``agent`` on this env (the model is built on first ask)."""
        q = agent.q_table
        if not (discrete and agent.kind in RULES
                and q is not None and q.dtype == np.float64 and q.flags.c_contiguous
                and q.shape == td_shape):
            return False
        if not self._tried:
            model = turbo_model(self.env)
            self.runner = (TurboRunner(model, self.kernel(), judge=success_judge(self.env))
                           if model is not None else None)
            self._tried = True
        return self.runner is not None

    def discard_uniforms(self) -> None:
        """After a reseed: forget numbers drawn from the old seed."""
        if self.runner is not None:
            self.runner.discard_uniforms()

    def run(self, agent: Agent, schedule: Any, max_steps: int, deadline: float | None,
            max_episodes: int, buffers: tuple[np.ndarray, ...], on_chunk: ChunkCallback,
            chunk_s: float = CHUNK_SECONDS) -> None:
        """Run chunks of about ``chunk_s`` seconds each until ``max_steps`` steps,
        ``max_episodes`` episodes, the deadline or a divergence (``istate[I_DIVERGED]``, the
        caller's to check).

        ``buffers`` are the session's ``(istate, ep_return, visits, last_td, ring)``; the runner
        reads and writes them in place, so the Python path carries on where this one stops.
        """
        runner = self.runner
        assert runner is not None, "call available() first"
        istate = buffers[0]
        params = (schedule.kind, *schedule.params())
        done = 0
        while done < max_steps and max_episodes > 0:
            n = min(int(min(MAX_CHUNK, max(MIN_CHUNK, chunk_s / self.step_seconds))),
                    max_steps - done)
            t = time.perf_counter()
            steps, n_eps = runner.run(agent, params, n, max_episodes, *buffers)
            elapsed = time.perf_counter() - t
            if steps:
                self.step_seconds = max(elapsed / steps, 1e-9)
            done += steps
            max_episodes -= n_eps
            # copies: the runner reuses its output arrays on the next call
            on_chunk(steps, runner.out_return[:n_eps].copy(), runner.out_length[:n_eps].copy(),
                     runner.out_success[:n_eps].copy())
            if istate[I_DIVERGED] or steps == 0:
                return
            if deadline is not None and time.perf_counter() >= deadline:
                return
