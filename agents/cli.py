"""The headless face of RL Sandbox: ``main.py train | eval | levels``; ``main.py`` hands ``play``
(the app) in as a function, so nothing here imports the app.

Flags for hyperparameters are built from the config dataclasses, so their defaults, ranges and
help are the ones the app's sliders use; agents are made by ``agents.build``. Exit status: 0
success, 2 bad input (one sentence on stderr), 1 anything else. Bad input is caught before
training starts and files are written atomically, so no failure leaves a partial file. Heavy
modules (gymnasium, numba, torch) are imported inside the commands, which keeps ``--help``
instant.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sys
import tempfile
import textwrap
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from agents.argtypes import number_or_auto, positive_int, seed, unit_interval
from agents.config import ConfigError, TabularConfig
from agents.factory import KINDS, build
from agents.presetfile import expand_preset_argv
from agents.presets import add_dqn_arguments, check_dqn_arguments, dqn_hyperparameters
from agents.study_cli import add_study_parser, cmd_study
from agents.tune_cli import add_tune_parser, cmd_tune

PROG = "main.py"


class BadInput(ValueError):
    """A command-line mistake; the message is one sentence."""


# What argparse must read as a value, not as a flag: "-1", "-1e-3", "-inf", "-nan" (its own test
# only knows "-1" and "-.5", so "--alpha -inf" was "expected one argument").
_NEGATIVE_NUMBER = re.compile(r"^-(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$|^-(inf|infinity|nan)$",
                              re.IGNORECASE)


class _Parser(argparse.ArgumentParser):
    """argparse that reports a mistake in one line (no usage dump) and exits 2."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._negative_number_matcher = _NEGATIVE_NUMBER

    def error(self, message: str) -> None:  # type: ignore[override]
        if len(message) > 200:  # "unrecognized arguments: ..." repeats whatever was typed
            message = message[:197] + "..."
        self.exit(2, f"{self.prog}: error: {message}\n")


def _add_config_flags(parser: argparse.ArgumentParser, cls: type, seen: set[str]) -> None:
    """One ``--name`` flag per field of ``cls``, with its default, range and help text (a field
    another config already turned into a flag is skipped: the first class's default wins)."""
    for f in dataclasses.fields(cls):
        if f.name in seen:
            continue
        seen.add(f.name)
        flag = f.metadata.get("flag") or "--" + f.name.replace("_", "-")
        lo, hi = f.metadata.get("range", (None, None))
        choices = f.metadata.get("choices")
        text = f.metadata.get("help", "")
        if choices:
            parser.add_argument(flag, dest=f.name, choices=choices, default=f.default,
                                help=f"{text} (default {f.default})")
        elif f.metadata.get("auto"):
            parser.add_argument(flag, dest=f.name, type=number_or_auto, default=f.default,
                                metavar="X", help=f"{text} (default {f.default}, or a number "
                                                  f"from {lo:g} to {hi:g})")
        else:
            span = f", range [{lo:g}, {hi:g}]" if lo is not None and hi is not None else ""
            parser.add_argument(flag, dest=f.name, type=float, default=f.default,
                                metavar="X", help=f"{text} (default {f.default:g}{span})")


# ---- agents --------------------------------------------------------------------------------------
def _tabular_config(args: argparse.Namespace) -> TabularConfig:
    """The tabular flags as a validated config (one sentence for the first bad value)."""
    return TabularConfig(**{f.name: getattr(args, f.name)
                            for f in dataclasses.fields(TabularConfig)})


def _build_agent(args: argparse.Namespace, env: Any) -> tuple[Any, dict]:
    """The agent the flags describe, and the hyperparameters its file records."""
    import gymnasium

    if args.agent == "dqn":
        if args.export_hf:
            raise ConfigError("--export-hf writes the course's Q-table format; a DQN is saved "
                              "as a .pt file only")
        env_id = env.spec.id if env.spec is not None else str(args.env)
        hp = dqn_hyperparameters(args, env_id, env.observation_space.shape)
        agent = build("dqn", env, hp, seed=args.seed,
                      device=args.dqn_device or "auto", total_steps=args.steps)
        hyper = {name: list(value) if isinstance(value, tuple) else value
                 for name, value in vars(agent.config).items()}
        return agent, {**hyper, "device": agent.device}
    if not isinstance(env.observation_space, gymnasium.spaces.Discrete):
        raise BadInput("tabular agents need a Discrete observation space; try --agent dqn")
    config = _tabular_config(args)
    agent = build(args.agent, env, config, seed=args.seed, total_steps=args.steps)
    return agent, dataclasses.asdict(config)


def build_parser() -> argparse.ArgumentParser:
    """The ``main.py`` argument parser (subcommands play, train, eval, levels)."""
    parser = _Parser(prog=PROG, description="RL Sandbox: draw a maze, watch agents learn it.")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    play = sub.add_parser("play", help="open the app (the default with no command)")
    play.add_argument("env", nargs="?", default="mouse",
                      help="level or Gymnasium id (default mouse)")
    play.add_argument("--device", default=None, help="torch device for DQN (default auto)")
    play.add_argument("--agent-file", default=None,
                      help="open with this agent (a file saved by train, tune or the app); "
                           "--preset FILE.json opens the agent tune saved")
    play.add_argument("--watch", action="store_true",
                      help="start watching: the agent plays greedily and learns nothing (T in "
                           "the app trains it)")

    train = sub.add_parser("train", help="train an agent headless and save it")
    train.add_argument("--env", required=True,
                       help="bundled level, level file, or Gymnasium id with keyword arguments, "
                            "e.g. FrozenLake-v1:is_slippery=False,map_name=8x8")
    train.add_argument("--agent", choices=list(KINDS), default="q-learning")
    length = train.add_mutually_exclusive_group(required=True)
    length.add_argument("--episodes", type=positive_int, help="train this many episodes")
    length.add_argument("--steps", type=positive_int, help="train this many env steps")
    _add_config_flags(train, TabularConfig, set())
    add_dqn_arguments(train)
    train.add_argument("--max-steps", type=positive_int, default=None,
                       help="episode step limit (default: the env's own)")
    train.add_argument("--seed", type=seed, default=0, help="seed of agent and env (default 0)")
    train.add_argument("--turbo", action=argparse.BooleanOptionalAction, default=True,
                       help="compiled stepping when the env has a tabular model (default on)")
    train.add_argument("--out", required=True,
                       help="agent file to write (.npz for tabular, .pt for dqn)")
    train.add_argument("--export-hf", metavar="DIR", default=None,
                       help="also write the Hugging Face Deep RL course's model folder")
    train.add_argument("--json", action="store_true", help="print one JSON summary on stdout")

    ev = sub.add_parser("eval", help="evaluate a saved agent greedily")
    ev.add_argument("--agent-file", required=True)
    ev.add_argument("--env", default=None, help="env to evaluate on (default: the one trained on)")
    ev.add_argument("--episodes", type=positive_int, default=100)
    ev.add_argument("--seed", type=seed, default=None,
                    help="episode i is seeded seed+i (default: the course's 100 evaluation seeds)")
    ev.add_argument("--epsilon", type=unit_interval, default=0.0,
                    help="evaluation epsilon: the chance of a random action each step "
                         "(default 0: greedy); nothing is learnt either way")
    ev.add_argument("--device", default="auto",
                    help="torch device for a DQN: auto (cuda if torch sees a GPU), cpu, cuda or "
                         "cuda:N (default auto)")
    ev.add_argument("--json", action="store_true")

    lv = sub.add_parser("levels", help="list the bundled levels")
    lv.add_argument("--json", action="store_true")
    add_study_parser(sub)
    add_tune_parser(sub)
    return parser


PlayCommand = Callable[[argparse.Namespace], int]


def main(argv: list[str] | None = None, play: PlayCommand | None = None) -> int:
    """Run one command; returns the exit status.

    ``play`` opens the app on ``args.env`` (``main.py`` passes it; without it ``play`` is refused,
    which keeps this module free of the app).
    """
    parser = build_parser()
    try:
        argv = expand_preset_argv(sys.argv[1:] if argv is None else list(argv))
    except ValueError as exc:  # ConfigError: the preset file is missing or invalid
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 2
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return int(exc.code or 0)
    command = args.command or "play"
    if args.command is None:
        args.env, args.device, args.watch = "mouse", None, False
    from agents.storage import AgentFileError

    bad_input: tuple[type[BaseException], ...] = (BadInput, ConfigError, AgentFileError)
    try:
        from levels.envs import EnvSpecError
        from levels.level import LevelError
        bad_input += (EnvSpecError, LevelError)
        if command == "play" and play is None:
            raise BadInput("the app opens from main.py (python main.py play)")
        return {"play": play, "train": cmd_train, "eval": cmd_eval,
                "levels": cmd_levels, "study": cmd_study,
                "tune": cmd_tune}[command](args)
    except bad_input as exc:
        print(f"{PROG} {command}: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG} {command}: interrupted; nothing was saved", file=sys.stderr)
        return 1
    except Exception as exc:  # anything unexpected: one line, status 1
        print(f"{PROG} {command}: error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


# ---- commands ------------------------------------------------------------------------------------
def _check_writable(path: Path, what: str) -> None:
    """Refuse an output path that cannot be written, before any training time is spent."""
    parent = path.parent if str(path.parent) else Path(".")
    longest = _longest_name(parent)
    if len(os.fsencode(path.name)) > longest:
        raise BadInput(f"{what} file name is too long ({len(os.fsencode(path.name))} bytes; "
                       f"at most {longest} here)")
    if path.is_dir():
        raise BadInput(f"{what} {path} is a folder; give a file name")
    if not parent.is_dir():
        raise BadInput(f"cannot write {what} {path}: folder {parent} does not exist")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise BadInput(f"cannot write {what} {path}: permission denied")
    try:  # access() trusts mode bits; /proc, read-only mounts and full disks need a real try
        tempfile.TemporaryFile(dir=parent).close()
    except OSError as exc:
        raise BadInput(f"cannot write {what} {path}: {exc.strerror or exc}") from None


def _longest_name(folder: Path) -> int:
    """The longest file name ``folder`` takes, less the room the atomic write's temporary name
    (``.NAME.XXXXXXXX.tmp``) needs."""
    try:
        limit = os.pathconf(folder if folder.is_dir() else ".", "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        limit = 255
    return max(1, limit - len("..XXXXXXXX.tmp"))


def _check_folder(path: Path, what: str) -> None:
    if path.exists() and not path.is_dir():
        raise BadInput(f"{what} {path} is a file, not a folder")
    probe = path
    while not probe.exists():
        probe = probe.parent
    if not os.access(probe, os.W_OK):
        raise BadInput(f"cannot write {what} {path}: permission denied")


def cmd_train(args: argparse.Namespace) -> int:
    """Train, save, optionally export for the Hugging Face course, report."""
    from agents.storage import save_agent, suffix_for_kind

    out = Path(args.out)
    _check_writable(out, "--out")
    suffix = suffix_for_kind(args.agent)
    if suffix and out.suffix.lower() != suffix:
        raise BadInput(f"--out {out}: {args.agent} agents are saved as {suffix} files")
    if args.export_hf:
        _check_folder(Path(args.export_hf), "--export-hf")
    # Validate every hyperparameter before building anything (one sentence for the first problem).
    _tabular_config(args)
    if args.agent == "dqn":
        check_dqn_arguments(args)

    from levels.envs import make_env

    env, resolved = make_env(args.env, max_steps=args.max_steps)
    if resolved.notice:
        print(resolved.notice, file=sys.stderr)
    if args.export_hf and resolved.level is not None:
        raise BadInput("--export-hf needs a Gymnasium env such as Taxi-v4; the course's tools "
                       "cannot load RL Sandbox levels")
    agent, hyper = _build_agent(args, env)

    from agents.session import TrainingSession
    from agents.turbo_aot import ahead_of_time_kernel

    session = TrainingSession(env, agent, seed=args.seed, turbo=args.turbo, env_spec=resolved,
                              turbo_kernel=ahead_of_time_kernel)
    if args.agent == "dqn" and agent.config.learning_starts > 0 and not args.json:
        print(f"the first {agent.config.learning_starts:,} steps fill the replay buffer; "
              "learning (and so a slower pace) starts after them", file=sys.stderr)
    seconds = _train_loop(session, args.episodes, args.steps)
    recent = session.recent_returns(100)
    turbo_used = bool(session.turbo and session.turbo_available)  # a DQN never runs compiled
    meta = {"env": resolved.spec, "env_id": resolved.env_id, "max_steps": args.max_steps,
            "seed": args.seed, "episodes": session.episode, "steps": session.total_steps,
            "hyperparameters": hyper, "turbo": turbo_used}
    save_agent(out, session.agent, meta)
    summary = {
        "agent": args.agent, "env": resolved.spec, "episodes": session.episode,
        "steps": session.total_steps, "seconds": round(seconds, 4),
        "steps_per_second": round(session.total_steps / seconds, 1) if seconds > 0 else None,
        "mean_return_last_100": float(recent.mean()) if len(recent) else None,
        "out": str(out), "seed": args.seed, "turbo": turbo_used,
    }
    if args.agent != "dqn":  # what the initial-Q setting ("auto" by default) meant here
        summary["initial_q"] = session.agent.initial_q
    else:  # where and in what arithmetic the network learnt
        summary["device"] = session.agent.device
        summary["precision"] = session.agent.config.precision
    if args.export_hf:
        summary.update(_export(args, session, resolved, hyper))
    _report(summary, args.json)
    return 0


def _train_loop(session: Any, episodes: int | None, steps: int | None) -> float:
    """Advance in ~0.2 s slices so a progress bar can move; returns the training seconds.

    The bar (and tqdm's import) starts only when the first slice did not finish the run: a run
    shorter than that would only flash an empty bar.
    """
    total = episodes if episodes is not None else steps
    done = 0
    bar = None
    start = time.perf_counter()
    try:
        while done < total:
            if episodes is not None:
                report = session.advance(sys.maxsize, 0.2, max_episodes=total - done)
                n = len(report.episodes)
            else:
                report = session.advance(total - done, 0.2)
                n = report.steps
            if report.error:
                raise RuntimeError(report.error)
            done += n
            if bar is not None:
                bar.update(n)
            elif done < total:
                bar = _progress_bar(total, done, "episode" if episodes is not None else "step")
    finally:
        if bar is not None:
            bar.close()
    return time.perf_counter() - start


def _progress_bar(total: int, done: int, unit: str) -> Any:
    from tqdm import tqdm

    return tqdm(total=total, initial=done, unit=unit, file=sys.stderr, mininterval=0.5,
                dynamic_ncols=True, leave=False)


def _export(args: argparse.Namespace, session: Any, resolved: Any, hyper: dict) -> dict:
    from agents.course import eval_seeds
    from agents.evaluation import evaluate
    from agents.storage import export_hf
    from levels.envs import make_env

    seeds = eval_seeds(100)
    eval_env, _ = make_env(args.env, max_steps=args.max_steps)
    result = evaluate(eval_env, session.agent, seeds)
    _notice_capped(result)
    export_hf(
        args.export_hf, qtable=session.agent.q, env_id=resolved.env_id, env_kwargs=resolved.kwargs,
        max_steps=result.max_steps,
        n_training_episodes=session.episode, n_eval_episodes=len(seeds), eval_seed=seeds,
        learning_rate=hyper["alpha"], gamma=hyper["gamma"], max_epsilon=hyper["epsilon"],
        min_epsilon=hyper["epsilon_min"], decay_rate=hyper["epsilon_decay"],
        mean_reward=result.mean_reward, std_reward=result.std_reward, algorithm=args.agent,
    )
    return {"export_hf": str(args.export_hf), "hf_mean_reward": result.mean_reward,
            "hf_std_reward": result.std_reward}


def cmd_eval(args: argparse.Namespace) -> int:
    """Greedy evaluation of a saved agent on seeded episodes."""
    from agents.course import eval_seeds
    from agents.evaluation import evaluate
    from agents.storage import check_fits, load_agent
    from levels.envs import make_env

    agent, meta = load_agent(args.agent_file, device=args.device)
    spec = args.env or meta.get("env")
    if not spec:
        raise BadInput(f"{args.agent_file} does not say which env it was trained on; pass --env")
    env, resolved = make_env(spec, max_steps=meta.get("max_steps"))
    if resolved.notice:
        print(resolved.notice, file=sys.stderr)
    check_fits(args.agent_file, agent, meta, env)
    trained_on = meta.get("env")
    if args.env and trained_on and resolved.spec != trained_on:
        print(f"note: {Path(args.agent_file).name} was trained on {trained_on}; it is evaluated "
              f"on {resolved.spec}, whose observations and actions have the same shape",
              file=sys.stderr)
    seeds = eval_seeds(args.episodes, args.seed)
    result = evaluate(env, agent, seeds, epsilon=args.epsilon)
    _notice_capped(result)
    summary = {
        "agent": meta.get("kind"), "env": resolved.spec, "agent_file": str(args.agent_file),
        "greedy": args.epsilon == 0.0, "epsilon": args.epsilon,
        "mean_reward": result.mean_reward, "std_reward": result.std_reward,
        "success_rate": result.success_rate, "mean_length": result.mean_length,
        "episodes": result.episodes,
        "seeds": "course" if args.seed is None else f"{args.seed}..{args.seed + args.episodes - 1}",
    }
    _report(summary, args.json)
    return 0


def _notice_capped(result: Any) -> None:
    if result.capped:
        print(f"{result.capped} of {result.episodes} greedy episodes did not end within "
              f"{result.max_steps} steps (the policy loops) and count as failures", file=sys.stderr)


def cmd_levels(args: argparse.Namespace) -> int:
    """List the bundled levels: name, size, one line of description."""
    from levels.levelfile import bundled_level_names, bundled_level_path, load_level

    rows = []
    for name in bundled_level_names():
        level = load_level(name)
        rows.append({"name": name, "size": f"{level.nrows}x{level.ncols}",
                     "description": _describe(bundled_level_path(name), level)})
    if args.json:
        print(json.dumps(rows))
    else:
        width = max((len(r["name"]) for r in rows), default=4)
        for r in rows:
            first = r["description"].split(". ")[0].rstrip(".")
            print(f"{r['name']:<{width}}  {r['size']:>5}  "
                  f"{textwrap.shorten(first, width=72, placeholder='...')}")
    return 0


def _describe(path: Path, level: Any) -> str:
    """The level file's ``;`` comment in full, else a summary of its settings."""
    comment = " ".join(line.lstrip(";").strip() for line in path.read_text("utf-8").splitlines()
                       if line.startswith(";"))
    if comment:
        return comment
    kind = "slippery" if level.slippery else "deterministic"
    return f"{kind}, up to {level.max_steps} steps"


def _report(summary: dict, as_json: bool) -> None:
    if as_json:
        print(json.dumps(summary))
        return
    for key, value in summary.items():
        print(f"{key:>22}: {_number(value) if isinstance(value, float) else value}")


def _number(value: float) -> str:
    """A figure as a person reads it: 10000 and 126.3, not 1e+04 and 126.29999."""
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return f"{value:.1f}" if abs(value) >= 1000 else f"{value:.4g}"
