"""What do eligibility traces cost in the compiled path, and what would a full trace table cost?

On a generated 64x64 maze (4 actions, ~16,000 Q entries), measured in one process:

* ``one-step``: the session's kernel with lambda = 0 (the one-step agent);
* ``sparse``: the same kernel with SARSA(lambda), lambda 0.9, gamma 0.99 (traces kept as the list
  of pairs above ``agents.traces.TRACE_FLOOR``, the project's implementation);
* ``dense``: the textbook loop for reference, written here: the same SARSA(lambda) step but every
  step decays and applies a full ``[S, A]`` trace table (what the sparse list avoids);
* ``dyna n=5``: Q-learning with 5 planning steps per real step.

Prints nanoseconds per env step (best of a few calls) and the ratios to one-step. Run:
``python benchmarks/traces_speed.py [--steps 200000]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np
from numba import njit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from agents.fast import (  # noqa: E402
    I_NEXT_ACTION,
    N_ISTATE,
    TabularModel,
    TurboRunner,
)
from agents.tabular import make_tabular  # noqa: E402
from agents.turbokernel import _act, _sample, run_steps  # noqa: E402
from levels.generate import generate_maze  # noqa: E402
from levels.gridmaze import GridMazeEnv  # noqa: E402

GAMMA, LAM, EPS, ALPHA = 0.99, 0.9, 0.1, 0.1


@njit(cache=True)
def dense_sarsa_lambda(q, e, cdf, next_state, reward, terminated, start, max_steps, uniforms,
                       n_steps):
    """SARSA(lambda) with a full trace table: every step touches all S x A entries."""
    s, pos, ep_step = start, 0, 0
    a = _act(q[s], EPS, uniforms[pos], uniforms[pos + 1])
    pos += 2
    for _ in range(n_steps):
        k = _sample(cdf[s, a], uniforms[pos])
        pos += 1
        s2, r, term = next_state[s, a, k], reward[s, a, k], terminated[s, a, k]
        ep_step += 1
        a2 = _act(q[s2], EPS, uniforms[pos], uniforms[pos + 1])
        pos += 2
        delta = r + (0.0 if term else GAMMA * q[s2, a2]) - q[s, a]
        e[s, a] = 1.0
        step = ALPHA * delta
        decay = GAMMA * LAM
        for i in range(q.shape[0]):
            for j in range(q.shape[1]):
                q[i, j] += step * e[i, j]
                e[i, j] *= decay
        if term or ep_step >= max_steps:
            e[:] = 0.0
            s, ep_step = start, 0
            a = _act(q[s], EPS, uniforms[pos], uniforms[pos + 1])
            pos += 2
        else:
            s, a = s2, a2
    return pos


def kernel_ns(env: GridMazeEnv, kind: str, steps: int, repeats: int, **knobs: float) -> float:
    runner = TurboRunner(TabularModel.from_env(env), run_steps, capacity=1 << 20)
    n = env.observation_space.n
    agent = make_tabular(kind, n, 4, alpha=ALPHA, gamma=GAMMA, seed=0, **knobs)
    istate = np.zeros(N_ISTATE, dtype=np.int64)
    istate[I_NEXT_ACTION] = -1
    buffers = (np.zeros(1), np.zeros(n, dtype=np.int64), np.full((n, 4), np.nan),
               np.zeros(4096, dtype=np.int64))
    params = (0, EPS, 0.0, 0.0)
    runner.run(agent, params, 1000, 1 << 20, istate, *buffers)  # compile, warm up
    best = float("inf")
    for _ in range(repeats):
        t = time.perf_counter()
        done, _ = runner.run(agent, params, steps, 1 << 20, istate, *buffers)
        best = min(best, (time.perf_counter() - t) / done)
    return best * 1e9


def dense_ns(env: GridMazeEnv, steps: int, repeats: int) -> float:
    model = TabularModel.from_env(env)
    n = env.observation_space.n
    q, e = np.zeros((n, 4)), np.zeros((n, 4))
    cdf = np.ascontiguousarray(model.cdf)
    start = int(np.argmax(model.initial))
    rng = np.random.default_rng(0)
    args = (cdf, model.next_state, model.reward, model.terminated, start,
            int(model.max_steps or 10**9))
    dense_sarsa_lambda(q, e, *args, rng.random(10_000), 100)
    best = float("inf")
    for _ in range(repeats):
        u = rng.random(6 * steps + 6)
        t = time.perf_counter()
        dense_sarsa_lambda(q, e, *args, u, steps)
        best = min(best, (time.perf_counter() - t) / steps)
    return best * 1e9


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=200_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    env = GridMazeEnv(generate_maze(64, 64, seed=1))
    rows = [
        ("one-step", kernel_ns(env, "sarsa", args.steps, args.repeats)),
        ("sparse", kernel_ns(env, "sarsa", args.steps, args.repeats, lam=LAM)),
        ("dense", dense_ns(env, max(1, args.steps // 200), args.repeats)),
        ("dyna n=5", kernel_ns(env, "q-learning", args.steps, args.repeats, planning_steps=5)),
    ]
    base = rows[0][1]
    print(f"64x64 maze, {env.observation_space.n} states; SARSA(lambda) lambda {LAM}, "
          f"gamma {GAMMA}")
    for name, ns in rows:
        print(f"{name:>10}: {ns:10.1f} ns/step  {ns / base:8.1f}x one-step")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
