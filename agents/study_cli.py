"""``main.py study``: a parameter study from the command line, written as CSV, JSON and a PNG.

Registered by ``agents.cli``; everything heavy (numba, matplotlib) is imported when the command
runs. Bad input raises ``ConfigError`` (one sentence, exit status 2) before any run starts, and
every file is written to a temporary name first, so an interrupted study leaves no half file.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

from agents.argtypes import positive_int
from agents.config import ConfigError
from levels.atomic import atomic_write_text

OUT_FILES = ("returns.csv", "study.json", "study.png")


def add_study_parser(sub: Any) -> None:
    """Add the ``study`` subcommand to ``main.py``'s subparsers."""
    p = sub.add_parser(
        "study", help="sweep one hyperparameter over many runs (Sutton & Barto's Figure 6.3)",
        description="Train every (agent, value, run) combination in compiled lockstep and write "
                    "returns.csv (one row per run), study.json (settings, summary per point, "
                    "mean learning curves) and study.png (mean and 95%% band per agent).")
    p.add_argument("--env", required=True, help="bundled level, level file or tabular "
                   "Gymnasium id, e.g. CliffWalking-v1")
    p.add_argument("--agents", default="sarsa,expected-sarsa,q-learning",
                   help="comma-separated agent kinds (default all three)")
    p.add_argument("--param", required=True, metavar="NAME=LO:HI:N",
                   help="the swept hyperparameter: name=lo:hi:count (evenly spaced, add :log for "
                        "log spacing) or name=v1,v2,...; any of alpha, gamma, epsilon, "
                        "epsilon_min, epsilon_decay (decay), initial_q")
    p.add_argument("--runs", type=positive_int, default=100, help="runs per point (default 100)")
    p.add_argument("--episodes", type=positive_int, default=100,
                   help="episodes per run (default 100)")
    p.add_argument("--last", type=positive_int, default=None, metavar="K",
                   help="score a run by its last K episodes (default: all of them)")
    p.add_argument("--fixed", default="", metavar="NAME=V,...",
                   help="other settings, e.g. epsilon=0.1,gamma=1,schedule=exponential; a study "
                        "defaults to TabularConfig's values except a constant epsilon of 0.1")
    p.add_argument("--seed", type=int, default=0, help="run i of every point uses seed+i")
    p.add_argument("--max-steps", type=positive_int, default=None,
                   help="episode step limit (default: the env's own, else 10000)")
    p.add_argument("--out", default="study", metavar="DIR",
                   help="folder for returns.csv, study.json, study.png (default ./study)")
    p.add_argument("--ymin", type=float, default=None,
                   help="clip the figure's y axis from below (the book clips at -160)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar on stderr")


def spec_from_args(args: argparse.Namespace) -> Any:
    """The ``StudySpec`` the flags describe (ConfigError on any bad value)."""
    from agents.study import StudySpec, parse_agents, parse_fixed, parse_param

    param, values = parse_param(args.param)
    return StudySpec(env=args.env, agents=parse_agents(args.agents), param=param, values=values,
                     runs=args.runs, episodes=args.episodes, fixed=parse_fixed(args.fixed),
                     last=args.last, seed=args.seed, max_steps=args.max_steps)


def _check_out(folder: Path) -> None:
    if folder.exists() and not folder.is_dir():
        raise ConfigError(f"--out {folder} is a file, not a folder")
    folder.mkdir(parents=True, exist_ok=True)
    if not os.access(folder, os.W_OK):
        raise ConfigError(f"cannot write into --out {folder}: permission denied")


def cmd_study(args: argparse.Namespace) -> int:
    """Run the study, write its files, print one line per point."""
    from tqdm import tqdm

    from agents.study import run_study, summary_line
    from agents.studyplot import plot_study

    spec = spec_from_args(args)
    folder = Path(args.out)
    _check_out(folder)
    total = len(spec.agents) * len(spec.values) * spec.runs * spec.episodes
    with tqdm(total=total, unit="episode", unit_scale=True, file=sys.stderr, mininterval=0.3,
              dynamic_ncols=True, leave=False, disable=args.no_progress) as bar:
        def progress(_result: Any, episodes_done: int) -> None:
            bar.update(episodes_done - bar.n)

        result = run_study(spec, on_progress=progress)
    atomic_write_text(folder / "returns.csv", returns_csv(result))
    atomic_write_text(folder / "study.json", json.dumps(study_json(result), indent=1))
    plot_study(result, folder / "study.png", ymin=args.ymin)
    rate = spec.runs * len(spec.agents) * len(spec.values) * spec.episodes / max(result.seconds,
                                                                                 1e-9)
    print(f"{result.env_spec}: {len(spec.agents)} agents x {len(spec.values)} values x "
          f"{spec.runs} runs x {spec.episodes} episodes in {result.seconds:.2f} s "
          f"({rate:,.0f} episodes/s); files in {folder}/")
    for point in result.points():
        print(summary_line(point, spec.param))
    return 0


def returns_csv(result: Any) -> str:
    """One row per run: agent, parameter, value, run, seed, its score."""
    spec = result.spec
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["agent", "param", "value", "run", "seed", "mean_return"])
    for a, kind in enumerate(spec.agents):
        for v, value in enumerate(spec.values):
            for i in range(spec.runs):
                score = result.scores[a, v, i]
                w.writerow([kind, spec.param, repr(value), i, spec.seed + i,
                            "" if score != score else repr(float(score))])
    return buf.getvalue()


def study_json(result: Any) -> dict[str, Any]:
    """Settings, per-point summary and mean learning curve, and totals of a study."""
    spec = result.spec
    points = result.points()
    for point, curve in zip(points, result.curves.reshape(len(points), -1), strict=True):
        point["mean_curve"] = [round(float(x), 6) for x in curve]
    return {
        "env": result.env_spec, "agents": spec.agents, "param": spec.param,
        "values": spec.values, "runs": spec.runs, "episodes": spec.episodes,
        "scored_episodes": [spec.window.start + 1, spec.window.stop], "seed": spec.seed,
        "episode_step_limit": result.step_cap,
        "settings": {kind: [spec.settings(v) for v in spec.values] for kind in spec.agents},
        "points": points, "steps": result.steps, "seconds": round(result.seconds, 4),
    }
