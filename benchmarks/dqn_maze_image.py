"""A CNN DQN learning ``maze_small`` from pixels: how many env steps each seed needs.

Run ``python -m benchmarks.dqn_maze_image [--seeds 5] [--budget 20000]``.  The maze is
``GridMaze-v0:level=maze_small,observation=image`` (11 channels, one pixel per cell) and the
network the small grid CNN.  Every ``--check-every`` env steps the agent plays one greedy episode
on a fresh copy of the level (its own 100-step limit); the first step count at which that
episode ends on the goal is printed per seed, with the wall and CPU seconds it took.  Training
episodes may run longer (``--train-max-steps``, default 400): within the level's 100 steps an
epsilon-greedy walk almost never reaches the far goal, and nothing is learnt about it.
``--observation index`` runs the same agent on one-hot states, for comparison.
"""

from __future__ import annotations

import argparse
import time

import torch

from agents.dqn import DQN
from agents.evaluation import greedy_rollout
from agents.session import TrainingSession
from levels.envs import make_env

SETTINGS = dict(hidden=(64,), learning_rate=2e-3, batch_size=32, buffer_size=20_000,
                learning_starts=500, target_update_interval=100, train_freq=4,
                exploration_fraction=0.3, epsilon_end=0.05, n_step=10, threads=1)


def steps_to_goal(seed: int, args: argparse.Namespace) -> tuple[int | None, float, float]:
    """First checked step count at which the greedy episode reaches the goal (None: never)."""
    spec = f"GridMaze-v0:level=maze_small,observation={args.observation}"
    env, _ = make_env(spec, max_steps=args.train_max_steps)
    judge_env, _ = make_env(spec)
    agent = DQN(env.observation_space, env.action_space, device="cpu",
                total_steps=args.budget, **SETTINGS)
    session = TrainingSession(env, agent, seed=seed)
    base = judge_env.unwrapped
    goal = base.level.tiles_array().ravel() == "G"
    wall, cpu = time.perf_counter(), time.process_time()
    while session.total_steps < args.budget:
        session.advance(args.check_every)
        steps = greedy_rollout(judge_env, agent, 0, max_steps=100)
        if steps[-1].terminated and goal[base.s % base.n_cells]:
            return session.total_steps, time.perf_counter() - wall, time.process_time() - cpu
    return None, time.perf_counter() - wall, time.process_time() - cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--budget", type=int, default=20_000)
    parser.add_argument("--check-every", type=int, default=500)
    parser.add_argument("--train-max-steps", type=int, default=400)
    parser.add_argument("--observation", choices=("image", "index"), default="image")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    for seed in range(args.seeds):
        steps, wall, cpu = steps_to_goal(seed, args)
        found = f"goal after {steps:,} steps" if steps else f"no goal in {args.budget:,} steps"
        print(f"seed {seed}: {found} ({wall:.1f} s wall, {cpu:.1f} s CPU)", flush=True)


if __name__ == "__main__":
    main()
