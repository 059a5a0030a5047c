"""A CNN DQN learning ``maze_small`` from pixels: how many env steps each seed needs.

Run ``python -m benchmarks.dqn_maze_image [--seeds 10] [--budget N]``.  The maze is
``GridMaze-v0:level=maze_small,observation=image`` (11 channels, one pixel per cell), the network
the grid CNN and the hyperparameters the ``grid-image`` preset, which ``main.py train`` and the
app give any maze in image mode.  Every ``--check-every`` env steps the agent plays one greedy
episode on a fresh copy of the level (its own 100-step limit); per seed the benchmark prints the
first step count at which that episode ends on the goal, whether the greedy episode after the
whole budget (what ``tests/test_dqn_maze_image.py`` asserts) still does, the wall and CPU
seconds, and env steps per second.

Training episodes end at the goal or after ``TRAIN_MAX_STEPS`` steps, not the level's 100
(``main.py train --max-steps 10000``): the goal is 24 steps down a winding corridor, and a random
walk from the start reaches it within 100 steps once in ~2,500 episodes (0.04%; 400 steps: 9%,
1,000 steps: 40%), so with 100-step episodes nothing about the goal is ever learnt (0 of 4 seeds
in 8,000 steps, 0 of 2 in 20,000 here), and every restart sends the agent back to the first
cheese, which a young greedy policy circles.
``--observation index`` runs the same agent (an MLP on one-hot states) for comparison.

Measured here (2 shared cores, load average 11-16, each run under ``setsid -w``), oneDNN, one
thread: seeds 0-9 first reached the goal greedily after 12,000-23,000 steps (seed 5 the
slowest; seeds 10-12: 16,000, 11,000, 18,000) and all ten took the optimal 38-step path (both
cheeses, then the goal) after 30,000 and after 45,000 steps; 840-1,260 env steps/s, 21-27 s of
CPU per 30,000 steps.  Two threads: seeds 0 and 1 at 16,000 and 13,000 (seed 0 took another
path than with one thread), both on the goal at 45,000.  With oneDNN off (torch's own kernels,
``--no-mkldnn``): seeds 0-2 at 17,000, 16,000 and 19,000, all on the goal at 45,000 (while the
CNN still took channels-last tensors there, 36,000, never and 27,000).

In bf16 mixed precision (``--precision bf16``, quiet machine with AVX512-BF16): seeds 0-4 at
11,000, 9,000, 12,000, 11,000 and 19,000, all on the optimal path after 45,000; 1,225-1,407 env
steps/s.

Cost, busy machine: a second convolution in the grid CNN (32 filters after 16) doubled a gradient
step (4.8 against 2.6 ms at batch 32); with one 16-filter layer and plain targets a step of 64
takes ~2.8 ms (Double: ~3.8 ms), and numpy acts in 60 us where torch took 150 us.
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import dataclass

import torch

from agents.dqn import DQN
from agents.evaluation import greedy_rollout
from agents.presets import preset_for
from agents.session import TrainingSession
from levels.envs import make_env
from levels.success import success_judge

LEVEL = "maze_small"
TRAIN_MAX_STEPS = 10_000
"""Step limit of a training episode (the level's own 100 steps judge the greedy episodes)."""
BUDGET = 45_000
"""Env steps the test trains for: ~2x the most any of seeds 0-9 needed here (the preset's
epsilon schedule spans its own ``total_steps``, 30,000, whatever the budget, as in the app)."""


@dataclass(frozen=True)
class MazeRun:
    """One seed's run: when the greedy episode first reached the goal, and where it ended."""

    seed: int
    first_goal: int | None
    final_goal: bool
    final_length: int
    steps: int
    wall: float
    cpu: float


def train_on_maze(seed: int, budget: int = BUDGET, check_every: int | None = None,
                  observation: str = "image", stop_at_goal: bool = False,
                  threads: int = 1, precision: str = "fp32") -> MazeRun:
    """Train a DQN with the preset (its own schedules) on ``maze_small`` for ``budget`` env
    steps, seeded.

    A greedy episode (the level's 100-step limit) is played every ``check_every`` steps (default:
    once, after the budget) and after the budget; ``stop_at_goal`` ends the run at the first
    greedy episode that reaches the goal.  ``threads`` torch threads (the preset's is 1).
    """
    spec = f"GridMaze-v0:level={LEVEL},observation={observation}"
    env, _ = make_env(spec, max_steps=TRAIN_MAX_STEPS)
    judge_env, _ = make_env(spec)
    judge = success_judge(judge_env)
    hp = dict(preset_for("GridMaze-v0", env.observation_space.shape), threads=threads,
              precision=precision)
    agent = DQN(env.observation_space, env.action_space, device="cpu", seed=seed, **hp)
    session = TrainingSession(env, agent, seed=seed)

    def greedy_reaches_goal() -> tuple[bool, int]:
        steps = greedy_rollout(judge_env, agent, 0)
        last = steps[-1]
        return judge(last.terminated, last.truncated, last.reward, last.next_obs), len(steps)

    wall, cpu = time.perf_counter(), time.process_time()
    first = None
    every = check_every or budget
    while session.total_steps < budget:
        session.advance(min(every, budget - session.total_steps))
        if session.error is not None:
            raise RuntimeError(session.error)
        reached, length = greedy_reaches_goal()
        if reached and first is None:
            first = session.total_steps
            if stop_at_goal:
                break
    reached, length = greedy_reaches_goal()
    return MazeRun(seed, first, reached, length, session.total_steps,
                   time.perf_counter() - wall, time.process_time() - cpu)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=10, help="how many seeds")
    parser.add_argument("--first-seed", type=int, default=0)
    parser.add_argument("--budget", type=int, default=BUDGET)
    parser.add_argument("--check-every", type=int, default=1_000)
    parser.add_argument("--stop-at-goal", action="store_true",
                        help="end each seed at its first greedy success (faster)")
    parser.add_argument("--observation", choices=("image", "index"), default="image")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads (other CPUs round differently: try 1 and 2)")
    parser.add_argument("--precision", choices=("fp32", "bf16"), default="fp32",
                        help="the network's arithmetic (bf16: mixed precision)")
    parser.add_argument("--no-mkldnn", action="store_true",
                        help="torch's own convolution kernels instead of oneDNN's")
    args = parser.parse_args(argv)
    torch.backends.mkldnn.enabled = not args.no_mkldnn
    env, _ = make_env(f"GridMaze-v0:level={LEVEL},observation={args.observation}")
    hp = preset_for("GridMaze-v0", env.observation_space.shape)
    print(f"{LEVEL} ({args.observation}), budget {args.budget:,} env steps, training episodes "
          f"of up to {TRAIN_MAX_STEPS} steps, torch {torch.__version__}, {args.threads} "
          f"thread(s), {args.precision}, oneDNN {'off' if args.no_mkldnn else 'on'}; load average "
          "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"settings: {hp}")
    runs = []
    for seed in range(args.first_seed, args.first_seed + args.seeds):
        run = train_on_maze(seed, args.budget, args.check_every, args.observation,
                            args.stop_at_goal, args.threads, args.precision)
        runs.append(run)
        first = f"goal first at {run.first_goal:>6,}" if run.first_goal else "goal never     "
        end = (f"at the end: goal in {run.final_length} steps" if run.final_goal
               else f"at the end: no goal ({run.final_length} steps)")
        print(f"seed {seed}: {first}  {end}  {run.wall:5.1f} s wall  {run.cpu:5.1f} s CPU  "
              f"{run.steps / run.wall:,.0f} steps/s", flush=True)
    reached = [r.first_goal for r in runs if r.first_goal is not None]
    worst = max(reached) if len(reached) == len(runs) else None
    print(f"reached the goal: {len(reached)}/{len(runs)} seeds; at the end: "
          f"{sum(r.final_goal for r in runs)}/{len(runs)}; slowest seed: "
          f"{'never' if worst is None else f'{worst:,} steps'} (budget {args.budget:,}, "
          f"{args.budget / worst if worst else 0:.1f}x); load average now "
          "{:.2f}".format(os.getloadavg()[0]))


if __name__ == "__main__":
    main()
