"""How many training steps each level needs, with the default knobs, before the greedy run is
optimal: with every Q-value starting at 0 and with the "auto" initial Q.

For each level (the bundled ones and the maze issue 10's test paints in the app) and each seed,
Q-learning with ``TabularConfig``'s defaults trains in turbo, in slices of ``--check`` steps; after
each slice the greedy policy's expected return from the start (policy evaluation on the level's
model) is compared with value iteration's optimum. The first step count where it is within 0.1%
of the optimum is printed (``>CAP`` when the cap came first), per seed, per initial Q. Run:
``python -m benchmarks.default_knobs [--seeds 5] [--cap 2000000] [--levels mouse,cliff]``.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

from agents import build
from agents.config import TabularConfig
from agents.planning import model_arrays, value_iteration
from agents.session import TrainingSession
from app.stallwatch import greedy_value
from levels.envs import make_env
from levels.level import Level, default_max_steps
from levels.levelfile import bundled_level_names

#: the maze tests/test_app_ux.py paints from scratch: goal 14 steps away, big cheese 20
BUILT = ("S.......", ".######.", ".#....#.", ".#.##.#.", ".#C#P.#.", ".###..#.", ".....##.",
         "#######G")


def built_level() -> Level:
    """The painted maze with the step limit New gives it."""
    level = Level(grid=BUILT, name="built")
    return Level(grid=BUILT, name="built", max_steps=default_max_steps(level))


def steps_to_optimal(env, initial_q: float | str, seed: int, cap: int, check: int) -> int | None:
    """Training steps until the greedy run from the start is worth the optimum (None: not by
    ``cap``)."""
    config = TabularConfig(initial_q=initial_q)
    agent = build("q-learning", env, config, seed=seed)
    arrays = model_arrays(env.unwrapped)
    start = np.asarray(env.unwrapped.initial_state_distrib, dtype=np.float64)
    best = float(np.dot(start, value_iteration(env.unwrapped, config.gamma).max(axis=1)))
    tol = 1e-3 * max(1.0, abs(best))
    session = TrainingSession(env, agent, seed=seed, turbo=True)
    while session.total_steps < cap:
        session.advance(check)
        if greedy_value(arrays, agent.q_table, config.gamma, start) >= best - tol:
            return session.total_steps
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--cap", type=int, default=2_000_000)
    parser.add_argument("--check", type=int, default=2_000, help="steps between two looks")
    parser.add_argument("--levels", default="built," + ",".join(bundled_level_names()))
    parser.add_argument("--initial-q", default="0,auto",
                        help="comma-separated initial Q settings to compare")
    args = parser.parse_args()
    settings = [s if s == "auto" else float(s) for s in args.initial_q.split(",")]
    for name in args.levels.split(","):
        env, _ = make_env(name) if name != "built" else make_env_from(built_level())
        for setting in settings:
            t0 = time.process_time()
            runs = [steps_to_optimal(env, setting, seed, args.cap, args.check)
                    for seed in range(args.seeds)]
            found = [r for r in runs if r is not None]
            shown = " ".join(f"{r:>9,}" if r is not None else f">{args.cap:,}" for r in runs)
            worst = f"{max(found):,}" if len(found) == len(runs) else "-"
            median = f"{statistics.median(found):,.0f}" if found else "-"
            used = build("q-learning", env, TabularConfig(initial_q=setting)).initial_q
            print(f"{name:14} initial Q {str(setting):5} (= {used:g}): {shown}  median {median}"
                  f"  worst {worst}  [{time.process_time() - t0:.1f} s CPU]", flush=True)


def make_env_from(level: Level):
    """An env for a level given as a ``Level`` (no file)."""
    from levels.gridmaze import GridMazeEnv

    return GridMazeEnv(level), None


if __name__ == "__main__":
    main()
