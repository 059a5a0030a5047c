"""``main.py tune``: Optuna search for an agent's hyperparameters; the best become a preset file.

Registered by ``agents.cli``; optuna is imported only when the command runs. Start the same
command on as many machines as you like with one ``--storage postgresql://...`` URL and they
share the study (see ``agents.tuning``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import socket
from pathlib import Path
from typing import Any

from agents.argtypes import positive_int
from agents.config import ConfigError

KINDS = ("q-learning", "sarsa", "expected-sarsa", "dqn")


def add_tune_parser(sub: Any) -> None:
    """Add the ``tune`` subcommand to ``main.py``'s subparsers."""
    p = sub.add_parser(
        "tune", help="search hyperparameters with Optuna; many workers can share one study",
        description="Each trial trains --seeds runs with sampled settings and scores their "
                    "greedy policies; poor trials are pruned on their learning curve. The best "
                    "settings are written as a preset file (train/eval --preset FILE.json) with "
                    "an agent trained on them beside it.")
    p.add_argument("--env", required=True, help="bundled level, level file or Gymnasium id")
    p.add_argument("--agent", choices=KINDS, default="q-learning")
    p.add_argument("--trials", type=positive_int, required=True,
                   help="finished (complete or pruned) trials the whole study should reach")
    p.add_argument("--storage", default=None, metavar="URL",
                   help="Optuna storage: default an SQLite file beside --out; "
                        "postgresql://user:password@host/db to share one study between machines")
    p.add_argument("--study-name", default=None, help="default: <agent>-<env>")
    budget = p.add_mutually_exclusive_group()
    budget.add_argument("--episodes", type=positive_int, default=None,
                        help="episodes per run, tabular agents (default 2000)")
    budget.add_argument("--steps", type=positive_int, default=None,
                        help="env steps per run, DQN (default: the env's DQN preset's)")
    p.add_argument("--seeds", type=positive_int, default=3, help="runs per trial (default 3)")
    p.add_argument("--seed", type=int, default=0, help="sampler seed and base of run seeds")
    p.add_argument("--checkpoints", type=positive_int, default=5,
                   help="points of the learning curve where a trial may be pruned (default 5)")
    p.add_argument("--heartbeat", type=positive_int, default=None, metavar="SECONDS",
                   help="worker heartbeat; a trial silent for twice this is retried (default 10)")
    p.add_argument("--device", default="auto", help="torch device for DQN (default auto)")
    p.add_argument("--out", default=None, metavar="FILE.json",
                   help="preset file to write (default tuned/<study-name>.json)")
    # Documentation only: agents.presetfile rewrites ``--preset FILE.json`` before parsing.
    sub.choices["eval"].add_argument(
        "--preset", metavar="FILE.json",
        help="evaluate the agent saved beside a preset file written by main.py tune")


def spec_from_args(args: argparse.Namespace) -> Any:
    """The ``TuneSpec`` the flags describe, and the preset path."""
    from agents import tuning
    from levels.envs import make_env

    name = args.study_name or tuning.default_study_name(args.agent, args.env)
    out = Path(args.out) if args.out else Path("tuned") / f"{name}.json"
    if out.suffix.lower() != ".json":
        raise ConfigError(f"--out {out}: a preset file ends in .json")
    if args.agent == "dqn":
        if args.episodes is not None:
            raise ConfigError("a DQN is tuned by env steps; use --steps")
        budget = args.steps
        if budget is None:
            from agents.presets import preset_for

            env, resolved = make_env(args.env)
            preset = preset_for(resolved.env_id, env.observation_space.shape) or {}
            budget = int(preset.get("total_steps", 20_000))
    else:
        if args.steps is not None:
            raise ConfigError("tabular agents are tuned by episodes; use --episodes")
        budget = args.episodes or 2000
    storage = args.storage or f"sqlite:///{(out.parent / 'optuna.db').as_posix()}"
    spec = tuning.TuneSpec(env=args.env, agent=args.agent, trials=args.trials, storage=storage,
                           study_name=name, budget=budget, seeds=args.seeds, seed=args.seed,
                           checkpoints=args.checkpoints, device=args.device)
    return spec, out


def cmd_tune(args: argparse.Namespace) -> int:
    """Run this worker's trials, then write the study's best settings as a preset."""
    from agents import tuning

    spec, out = spec_from_args(args)
    out.parent.mkdir(parents=True, exist_ok=True)
    if not os.access(out.parent, os.W_OK):
        raise ConfigError(f"cannot write --out {out}: permission denied")
    if args.heartbeat is not None:
        spec = dataclasses.replace(spec, heartbeat=args.heartbeat)
    spec = dataclasses.replace(spec, worker=f"{socket.gethostname()}:{os.getpid()}")

    def report(study: Any, trial: Any) -> None:
        value = "" if trial.value is None else f" {trial.value:.4g}"
        tuning.log(f"trial {trial.number} {trial.state.name.lower()}{value} "
                   f"(best {study.best_value:.4g})" if _has_best(study) else
                   f"trial {trial.number} {trial.state.name.lower()}{value}")

    study = tuning.tune(spec, on_trial=report)
    if not _has_best(study):
        raise ConfigError(f"study {spec.study_name!r} has no complete trial yet; run more trials")
    preset = write_best(study, spec, out)
    best = study.best_trial
    print(f"study {spec.study_name}: {len(study.trials)} trials in {spec.storage_label}; "
          f"best trial {best.number} scored {best.value:.4g}")
    if preset.get("optimal") is not None:
        print(f"value iteration's optimal policy scores {preset['optimal']:.4g} here (greedy, "
              "exact expected return within the step limit)")
    print(f"preset: {out} (train --preset {out}, eval --preset {out}); "
          f"agent: {preset['agent_file']}")
    return 0


def _has_best(study: Any) -> bool:
    try:
        study.best_trial  # noqa: B018
    except ValueError:
        return False
    return True


def write_best(study: Any, spec: Any, out: Path) -> dict[str, Any]:
    """Train one agent with the best settings (first seed of the best trial), save it beside
    ``out`` and write the preset; returns what was written plus the env's optimal score."""
    from agents import tuning
    from agents.presetfile import Preset, save_preset
    from agents.storage import save_agent, suffix_for_kind

    hp = tuning.best_hyperparameters(study)
    best = study.best_trial
    seed = int(best.user_attrs.get("seeds", [spec.seed])[0])
    agent, meta, optimal = tuning.train_with(spec, hp, seed)
    agent_path = out.with_suffix(suffix_for_kind(spec.agent) or ".npz")
    save_agent(agent_path, agent, meta)
    unit = "steps" if spec.agent == "dqn" else "episodes"
    preset = Preset(spec.agent, spec.env, hp, {unit: spec.budget}, float(best.value),
                    spec.study_name, int(best.number), str(agent_path))
    save_preset(out, preset)
    return {"agent_file": str(agent_path), "optimal": optimal}

