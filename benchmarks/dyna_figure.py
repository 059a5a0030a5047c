"""Sutton & Barto's Figure 8.2: Dyna-Q on the Dyna maze, steps per episode for 0, 5 and 50
planning steps, averaged over many runs.

The book's set-up (Example 8.1): the bundled ``dyna_maze`` level (9x6, +1 at the goal, 0
elsewhere, shortest path 14 steps), tabular Dyna-Q with alpha 0.1, epsilon 0.1 (constant),
gamma 0.95, Q initialised to 0, ties broken at random; every run starts with an empty model and
plays 50 episodes. The first episode is a random walk for every n (no value moves before the
goal is first reached); from the second on, 50 planning steps find the shortest path within a
few episodes, 0 planning steps take about 25. Runs go through ``agents.lockstep`` (the session's
compiled kernel, bit for bit), run i seeded ``seed + i``.

Run: ``python benchmarks/dyna_figure.py [--runs 30] [--out docs/figures/figure_8_2_dyna.png]``;
prints mean steps per episode and writes the PNG (matplotlib, imported only to draw).
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from agents.config import TabularConfig  # noqa: E402
from agents.fast import TabularModel  # noqa: E402
from agents.lockstep import LockstepBatch, RunSpec  # noqa: E402
from levels.atomic import atomic_write_bytes  # noqa: E402
from levels.envs import make_env  # noqa: E402

PLANNING_STEPS = (0, 5, 50)
EPISODES = 50
BOOK = dict(alpha=0.1, gamma=0.95, epsilon=0.1, schedule="constant", initial_q=0.0)
OUT = os.path.join("docs", "figures", "figure_8_2_dyna.png")


def steps_per_episode(planning_steps: int, runs: int, seed: int = 0,
                      episodes: int = EPISODES) -> np.ndarray:
    """Episode lengths ``[runs, episodes]`` of Dyna-Q with ``planning_steps`` on the Dyna maze."""
    env, _ = make_env("dyna_maze")
    settings = dataclasses.asdict(TabularConfig(**BOOK, planning_steps=planning_steps))
    specs = [RunSpec("q-learning", settings, seed + i) for i in range(runs)]
    batch = LockstepBatch(env, TabularModel.from_env(env), specs, episodes)
    while not batch.done:
        batch.advance()
    if batch.diverged.any():
        raise RuntimeError("a Dyna-Q run diverged, which the book's settings never do")
    return batch.out_length.copy()


def plot(curves: dict[int, np.ndarray], runs: int, path: str) -> None:
    """Write the figure as the book draws it (episodes 2 onward, steps per episode)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6.4, 4.4), dpi=110)
    ax = fig.add_subplot()
    for n, mean in curves.items():
        x = np.arange(2, len(mean) + 1)
        ax.plot(x, mean[1:], label=f"{n} planning steps" if n else "0 planning steps "
                "(direct RL only)")
    ax.axhline(14, color="grey", linewidth=0.8, linestyle=":", label="shortest path (14)")
    ax.set_ylim(0, 800)
    ax.set_xlim(2, len(next(iter(curves.values()))))
    ax.set_xlabel("episodes")
    ax.set_ylabel("steps per episode")
    ax.set_title(f"Dyna-Q on the Dyna maze (Sutton & Barto Fig. 8.2), mean of {runs} runs",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="runs per curve (the book: 30)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=OUT, help=f"PNG to write (default {OUT})")
    args = parser.parse_args(argv)
    curves = {}
    for n in PLANNING_STEPS:
        t = time.perf_counter()
        lengths = steps_per_episode(n, args.runs, args.seed)
        curves[n] = lengths.mean(axis=0)
        first = int(np.argmax(curves[n][1:] <= 20)) + 2 if (curves[n][1:] <= 20).any() else None
        print(f"n={n:>2}: episodes 1-6 {np.round(curves[n][:6]).astype(int).tolist()}, "
              f"last 10 {curves[n][-10:].mean():.1f}, first episode <= 20 steps: {first} "
              f"({time.perf_counter() - t:.1f} s)")
    plot(curves, args.runs, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
