"""How much faster is turbo than the course's own Python loop, at the same evaluation score?

Runs, in one process, for Taxi-v4 (the course's Taxi-v3) and FrozenLake 8x8 (slippery and not):

* the Hugging Face Deep RL course's training as the course writes it (unit 2): a numpy Q-table,
  ``random.uniform`` epsilon-greedy with ``np.argmax`` / ``env.action_space.sample()``, a Python
  loop over ``env.step`` of ``gym.make(...)``, ``max_steps`` per episode, the course's
  hyperparameters;
* the same training through ``TrainingSession`` in turbo (``--episodes`` as the course counts
  them, the env made with the same step limit), and through its Python path for reference;

and prints env steps per second of each, their ratio, and both greedy evaluation scores (the
course's 100 evaluation seeds).  Then the whole CLI, ``python main.py train --env Taxi-v4 ...``
with the course's settings, is timed end to end (interpreter start, imports, the compiled
kernel's start, the training, the saved file) next to the course loop's own time, both wall
clock and CPU (the CPU figures hold on a busy machine, where the wall clock swells).  Target: the
CLI at least 10x faster than the course loop end to end.
Run: ``python -m benchmarks.tabular_speed [--quick]``.

Measured here (2 shared cores, caches warm), Taxi, 25,000 episodes, CLI median of 5 runs: with
numba's JIT kernel loaded from its cache, at a load of ~10, the CLI took 0.78 s wall / 0.75 s CPU
against the course loop's 5.9 s (7.6x); loading the kernel without numba's target refresh and
without NRT, 0.62 s (8.8x); with the kernel compiled ahead of time (``agents.turbo_aot``: the
process never imports numba), at a load of ~18, 0.33 s wall / 0.31 s CPU against 5.9 s (18.1x by
the wall clock, 17.7x by CPU time); turbo in process 0.033 s (180x).
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

from agents.course import EVAL_SEEDS, FROZENLAKE, TAXI
from agents.evaluation import evaluate
from agents.schedules import ExponentialSchedule
from agents.session import TrainingSession
from agents.tabular import make_tabular

CASES = [
    ("Taxi-v4", {}, TAXI),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": False}, FROZENLAKE),
    ("FrozenLake-v1", {"map_name": "8x8", "is_slippery": True}, FROZENLAKE),
]


def course_train(env: gym.Env, hp: dict, episodes: int) -> tuple[np.ndarray, int]:
    """The course's ``train`` (unit 2), counting env steps on the side."""
    qtable = np.zeros((env.observation_space.n, env.action_space.n))
    lr, gamma = hp["learning_rate"], hp["gamma"]
    max_eps, min_eps, decay = hp["max_epsilon"], hp["min_epsilon"], hp["decay_rate"]
    steps = 0
    for episode in range(episodes):
        epsilon = min_eps + (max_eps - min_eps) * np.exp(-decay * episode)
        state, info = env.reset()
        for _ in range(hp["max_steps"]):
            if random.uniform(0, 1) > epsilon:
                action = np.argmax(qtable[state])
            else:
                action = env.action_space.sample()
            new_state, reward, terminated, truncated, info = env.step(action)
            qtable[state][action] = qtable[state][action] + lr * (
                reward + gamma * np.max(qtable[new_state]) - qtable[state][action]
            )
            steps += 1
            if terminated or truncated:
                break
            state = new_state
    return qtable, steps


def course_eval(env: gym.Env, qtable: np.ndarray, max_steps: int) -> float:
    """The course's ``evaluate_agent`` with its evaluation seeds (argmax, first maximum)."""
    rewards = []
    for seed in EVAL_SEEDS:
        state, info = env.reset(seed=seed)
        total = 0.0
        for _ in range(max_steps):
            state, reward, terminated, truncated, info = env.step(int(np.argmax(qtable[state])))
            total += reward
            if terminated or truncated:
                break
        rewards.append(total)
    return float(np.mean(rewards))


def run_case(env_id: str, kwargs: dict, hp: dict, episodes: int, seed: int) -> dict:
    max_steps = hp["max_steps"]
    random.seed(seed)
    env = gym.make(env_id, **kwargs)
    env.reset(seed=seed)
    env.action_space.seed(seed)
    t, cpu = time.perf_counter(), time.process_time()
    qtable, course_steps = course_train(env, hp, episodes)
    course_s = time.perf_counter() - t
    course_cpu = time.process_time() - cpu
    course_score = course_eval(gym.make(env_id, **kwargs), qtable, max_steps)

    out = {"name": env_id + "".join(f" {k}={v}" for k, v in kwargs.items()),
           "episodes": episodes, "course_sps": course_steps / course_s,
           "course_score": course_score, "course_s": course_s, "course_cpu": course_cpu}
    for label, turbo in (("turbo", True), ("python", False)):
        env = gym.make(env_id, max_episode_steps=max_steps, **kwargs)
        agent = make_tabular("q-learning", env.observation_space.n, env.action_space.n,
                             alpha=hp["learning_rate"], gamma=hp["gamma"])
        agent.epsilon_schedule = ExponentialSchedule(hp["max_epsilon"], hp["min_epsilon"],
                                                     hp["decay_rate"])
        session = TrainingSession(env, agent, seed=seed, turbo=turbo)
        session.advance(1, max_episodes=1)  # compile (or load the cached kernel) untimed
        session.reset(seed)
        t = time.perf_counter()
        report = session.advance(sys.maxsize, max_episodes=episodes)
        seconds = time.perf_counter() - t
        assert report.turbo is turbo and len(report.episodes) == episodes
        eval_env = gym.make(env_id, max_episode_steps=max_steps, **kwargs)
        out[f"{label}_sps"] = report.steps / seconds
        out[f"{label}_s"] = seconds
        out[f"{label}_score"] = evaluate(eval_env, agent, list(EVAL_SEEDS)).mean_reward
    return out


def cli_end_to_end(hp: dict, episodes: int, seed: int, runs: int = 5) -> tuple[float, float]:
    """Median wall and CPU seconds of ``python main.py train`` on Taxi with the course's settings,
    as a person types it (a separate process: interpreter start and imports included)."""
    main_py = Path(__file__).resolve().parent.parent / "main.py"
    # Python's bytecode cache on, as on a person's machine (an environment that turns it off
    # recompiles the project's ~40 modules on every start).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    walls, cpus = [], []
    with tempfile.TemporaryDirectory() as tmp:
        command = [sys.executable, str(main_py), "train", "--env", "Taxi-v4", "--agent",
                   "q-learning", "--episodes", str(episodes), "--alpha", str(hp["learning_rate"]),
                   "--gamma", str(hp["gamma"]), "--epsilon-decay", str(hp["decay_rate"]),
                   "--max-steps", str(hp["max_steps"]), "--seed", str(seed),
                   "--out", os.path.join(tmp, "taxi.npz")]
        for i in range(runs + 1):  # the first run may build the kernel and fill Python's cache
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            t = time.perf_counter()
            subprocess.run(command, check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=600, env=env)
            wall = time.perf_counter() - t
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if i:
                walls.append(wall)
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a tenth of the episodes")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rows = []
    for env_id, kwargs, hp in CASES:
        episodes = hp["n_training_episodes"] // (10 if args.quick else 1)
        rows.append(run_case(env_id, kwargs, hp, episodes, args.seed))
        r = rows[-1]
        print(f"done {r['name']}: course {r['course_s']:.1f} s, turbo {r['turbo_s']:.3f} s",
              file=sys.stderr)
    header = (f"{'env':<44} {'episodes':>8} {'course steps/s':>15} {'turbo steps/s':>14} "
              f"{'ratio':>6} {'course eval':>11} {'turbo eval':>10} {'session python':>15}")
    print(header)
    print("-" * len(header))
    for r in rows:
        print(f"{r['name']:<44} {r['episodes']:>8} {r['course_sps']:>15,.0f} "
              f"{r['turbo_sps']:>14,.0f} {r['turbo_sps'] / r['course_sps']:>5.0f}x "
              f"{r['course_score']:>11.2f} {r['turbo_score']:>10.2f} "
              f"{r['python_sps']:>8,.0f} ({r['python_score']:.2f})")
    print("session python = TrainingSession without turbo (the app's recording path): "
          "steps/s (eval)")
    taxi = rows[0]
    wall, cpu = cli_end_to_end(TAXI, taxi["episodes"], args.seed)
    print(f"\nTaxi-v4, {taxi['episodes']} episodes, end to end (median of 5 CLI runs; load "
          "average {:.1f}):".format(os.getloadavg()[0]))
    print(f"  course loop (in process, training only): {taxi['course_s']:7.2f} s wall "
          f"{taxi['course_cpu']:6.2f} s CPU")
    print(f"  python main.py train (whole process):     {wall:7.2f} s wall {cpu:6.2f} s CPU  "
          f"-> {taxi['course_s'] / wall:.1f}x faster by the wall clock, "
          f"{taxi['course_cpu'] / cpu:.1f}x by CPU time")
    print(f"  turbo in process (training only):         {taxi['turbo_s']:7.3f} s wall "
          f"-> {taxi['course_s'] / taxi['turbo_s']:.0f}x")

if __name__ == "__main__":
    main()
