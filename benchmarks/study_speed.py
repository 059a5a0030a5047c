"""How much faster is a lockstep study than the same study as a loop over TrainingSession?

The study is Sutton & Barto's Figure 6.3 (interim): SARSA, Expected SARSA and Q-learning on
CliffWalking-v1, alpha 0.1..1.0 (10 values), epsilon 0.1, gamma 1, 100 episodes per run. Measured
in one process, on the same points:

* ``lockstep``: ``agents.study.run_study`` (every run a row of one Q-table array, numba);
* ``session``: one ``TrainingSession`` per (agent, alpha, run), its plain Python path
  (``turbo=False``, the session's default), ``advance(max_episodes=100)``;
* ``session+turbo``: the same loop with the session's compiled path on, for reference.

The session loops run fewer runs per point (their per-run cost does not depend on how many
runs there are). Prints runs x episodes per second of each and the ratios; the target is
lockstep >= 50x the plain session loop. It also checks that lockstep and the turbo session
give the very same returns for the runs both did. Run: ``python benchmarks/study_speed.py
[--runs 500] [--session-runs 3]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from agents.session import TrainingSession  # noqa: E402
from agents.study import DEFAULT_CAP, StudySpec, run_study  # noqa: E402
from agents.tabular import make_tabular  # noqa: E402
from levels.envs import make_env  # noqa: E402

AGENTS = ["sarsa", "expected-sarsa", "q-learning"]
ALPHAS = [round(a, 1) for a in np.linspace(0.1, 1.0, 10)]
EPISODES = 100


def session_loop(runs: int, turbo: bool) -> tuple[float, np.ndarray]:
    """Seconds for ``runs`` runs at every point through TrainingSession; returns [A, V, R, E]."""
    out = np.zeros((len(AGENTS), len(ALPHAS), runs, EPISODES))
    start = time.perf_counter()
    for a, kind in enumerate(AGENTS):
        for v, alpha in enumerate(ALPHAS):
            for i in range(runs):
                env, _ = make_env("CliffWalking-v1", max_steps=DEFAULT_CAP)
                agent = make_tabular(kind, 48, 4, alpha=alpha, gamma=1.0, epsilon=0.1)
                session = TrainingSession(env, agent, seed=i, turbo=turbo)  # epsilon 0.1 fixed
                report = session.advance(sys.maxsize, max_episodes=EPISODES)
                out[a, v, i] = report.episodes.returns()
    return time.perf_counter() - start, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=500, help="lockstep runs per point")
    parser.add_argument("--session-runs", type=int, default=3, help="session runs per point")
    args = parser.parse_args()
    points = len(AGENTS) * len(ALPHAS)
    spec = StudySpec(env="CliffWalking-v1", agents=AGENTS, param="alpha", values=ALPHAS,
                     runs=args.runs, episodes=EPISODES, fixed={"gamma": 1.0})
    warm = StudySpec(env="CliffWalking-v1", agents=AGENTS, param="alpha", values=ALPHAS,
                     runs=1, episodes=2, fixed={"gamma": 1.0})
    run_study(warm)  # numba compiles (or loads its cache) outside the timing
    t = time.perf_counter()
    result = run_study(spec)
    lock_s = time.perf_counter() - t
    py_s, py_out = session_loop(args.session_runs, turbo=False)
    tb_s, tb_out = session_loop(args.session_runs, turbo=True)

    lock_rate = points * args.runs * EPISODES / lock_s
    py_rate = points * args.session_runs * EPISODES / py_s
    tb_rate = points * args.session_runs * EPISODES / tb_s
    print(f"study: 3 agents x 10 alphas x {EPISODES} episodes on CliffWalking-v1, "
          f"{result.steps:,} env steps in the lockstep study")
    print(f"{'lockstep':>15}: {args.runs:4d} runs/point  {lock_s:8.2f} s  "
          f"{lock_rate:12,.0f} run-episodes/s")
    print(f"{'session':>15}: {args.session_runs:4d} runs/point  {py_s:8.2f} s  "
          f"{py_rate:12,.0f} run-episodes/s")
    print(f"{'session+turbo':>15}: {args.session_runs:4d} runs/point  {tb_s:8.2f} s  "
          f"{tb_rate:12,.0f} run-episodes/s")
    print(f"lockstep / session: {lock_rate / py_rate:.1f}x (target >= 50x); "
          f"lockstep / session+turbo: {lock_rate / tb_rate:.1f}x")
    # Lockstep's run i is TrainingSession(seed=i) on the compiled path: the same returns.
    n = min(args.runs, args.session_runs)
    same = bool(np.all(result.scores[:, :, :n] == tb_out[:, :, :n].mean(axis=3)))
    print(f"lockstep scores equal the turbo session's for the {n} shared runs per point: {same}")


if __name__ == "__main__":
    main()
