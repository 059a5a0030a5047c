"""Preset files: an agent kind, an env and the hyperparameters ``main.py tune`` found best.

A preset is a small JSON file::

    {"rl_sandbox_preset": 1, "agent": "q-learning", "env": "mouse",
     "hyperparameters": {"alpha": 0.52, "gamma": 0.97, ...},
     "budget": {"episodes": 300}, "score": 11.0, "study": "q-learning-mouse", "trial": 14,
     "agent_file": "best.npz"}

``train --preset FILE.json`` trains with it, ``eval --preset FILE.json`` evaluates the agent
saved beside it, and ``play --preset FILE.json`` opens the app with that agent (its settings in
the sliders). The command line is handled
by rewriting the arguments (:func:`expand_preset_argv`): the preset becomes ordinary flags placed
before the user's own, so any flag the user types still wins. Plain data, no optuna.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from agents.config import ConfigError, DQNConfig, TabularConfig
from levels.atomic import atomic_write_text
from levels.fileread import FileRefused, read_regular_file

MAX_PRESET_BYTES = 2**20
"""A preset is a few hundred bytes of JSON; anything past 1 MiB is not one."""

FORMAT_KEY = "rl_sandbox_preset"
VERSION = 1
TABULAR = ("q-learning", "sarsa", "expected-sarsa")


@dataclass(frozen=True)
class Preset:
    """A loaded preset; ``agent_file`` is resolved against the preset's folder (None if absent)."""

    agent: str
    env: str
    hyperparameters: dict[str, Any]
    budget: dict[str, int] = field(default_factory=dict)
    score: float | None = None
    study: str | None = None
    trial: int | None = None
    agent_file: str | None = None

    def config(self) -> TabularConfig | DQNConfig:
        """The validated config dataclass of the hyperparameters."""
        if self.agent == "dqn":
            hp = dict(self.hyperparameters)
            if isinstance(hp.get("hidden"), list):
                hp["hidden"] = tuple(hp["hidden"])
            return DQNConfig(**hp)
        return TabularConfig(**self.hyperparameters)


def save_preset(path: str | Path, preset: Preset) -> None:
    """Write ``preset`` as JSON (atomically); ``agent_file`` is stored relative to its folder."""
    data = {FORMAT_KEY: VERSION, **asdict(preset)}
    if preset.agent_file is not None:
        try:
            data["agent_file"] = str(Path(preset.agent_file).resolve()
                                     .relative_to(Path(path).resolve().parent))
        except ValueError:
            data["agent_file"] = str(Path(preset.agent_file).resolve())
    atomic_write_text(path, json.dumps(data, indent=1) + "\n")


def load_preset(path: str | Path) -> Preset:
    """Read and validate a preset file.

    Raises:
        ConfigError: missing or unreadable file, not a preset, unknown agent, bad values.
    """
    p = Path(path)
    try:
        data = json.loads(read_regular_file(p, MAX_PRESET_BYTES).decode("utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"preset file {p} does not exist") from None
    except FileRefused as exc:
        raise ConfigError(f"{p} is not a preset file: {exc}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read preset file {p}: {exc}") from None
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{p}, line {exc.lineno}, column {exc.colno}: not valid JSON "
                          f"({exc.msg})") from None
    except RecursionError:
        raise ConfigError(f"{p} is not a preset file: its JSON is nested too deeply") from None
    if not isinstance(data, dict) or data.get(FORMAT_KEY) != VERSION:
        raise ConfigError(f"{p} is not an RL Sandbox preset file (no \"{FORMAT_KEY}\": "
                          f"{VERSION})")
    agent, env, hp = data.get("agent"), data.get("env"), data.get("hyperparameters")
    if agent not in (*TABULAR, "dqn"):
        raise ConfigError(f"{p}: unknown agent {str(agent)[:40]!r}")
    if not isinstance(env, str) or not isinstance(hp, dict):
        raise ConfigError(f"{p}: a preset needs an \"env\" string and a \"hyperparameters\" "
                          "object")
    agent_file, budget = data.get("agent_file"), data.get("budget") or {}
    if not isinstance(agent_file, str | None) or not isinstance(budget, dict):
        raise ConfigError(f"{p}: \"agent_file\" must be a file name and \"budget\" an object")
    if agent_file is not None:
        agent_file = str(p.parent / agent_file)
    preset = Preset(agent, env, hp, dict(budget), data.get("score"),
                    data.get("study"), data.get("trial"), agent_file)
    try:
        preset.config()
    except (ConfigError, TypeError) as exc:
        raise ConfigError(f"{p}: {exc}") from None
    return preset


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def preset_flags(preset: Preset) -> list[str]:
    """The ``train`` flags that reproduce ``preset`` (agent, env and every hyperparameter)."""
    flags = ["--agent", preset.agent, "--env", preset.env]
    hp = asdict(preset.config())
    if preset.agent in TABULAR:
        for name, value in hp.items():
            flags += [_flag(name), str(value)]
        return flags
    from agents.presets import _FLAGS

    for name in _FLAGS:
        flags += ["--target-update" if name == "target_update_interval" else _flag(name),
                  repr(hp[name])]
    flags += ["--gamma", repr(hp["gamma"]), "--epsilon", repr(hp["epsilon_start"]),
              "--epsilon-min", repr(hp["epsilon_end"]), "--loss", hp["loss"],
              "--hidden", ",".join(str(w) for w in hp["hidden"]), "--preset", "none"]
    if not hp["double"]:
        flags.append("--no-double")
    if hp["dueling"]:
        flags.append("--dueling")
    return flags


def _take_preset(rest: list[str]) -> tuple[str | None, list[str]]:
    """Find a ``--preset FILE.json`` (or ``--preset=FILE.json``) and remove it from ``rest``."""
    for i, token in enumerate(rest):
        if token == "--preset" and i + 1 < len(rest) and rest[i + 1].lower().endswith(".json"):
            return rest[i + 1], rest[:i] + rest[i + 2:]
        if token.startswith("--preset=") and token.lower().endswith(".json"):
            return token.split("=", 1)[1], rest[:i] + rest[i + 1:]
    return None, rest


def expand_preset_argv(argv: list[str]) -> list[str]:
    """Rewrite ``train|eval --preset FILE.json ...`` into plain flags (others pass unchanged).

    ``train``: the preset's agent, env and hyperparameters go first, so flags the user typed
    override them. ``eval`` and ``play``: ``--agent-file`` becomes the agent saved beside the
    preset (the app opens it with its settings in the sliders).
    ``--preset`` with an env id (the DQN's built-in presets) is left alone.

    Raises:
        ConfigError: the preset file is missing or invalid, or (eval) names no agent file.
    """
    if not argv or argv[0] not in ("train", "eval", "play"):
        return argv
    command, rest = argv[0], argv[1:]
    path, rest = _take_preset(rest)
    if path is None:
        return argv
    preset = load_preset(path)
    if command == "train":
        return [command, *preset_flags(preset), *rest]
    if preset.agent_file is None:
        raise ConfigError(f"preset {path} names no agent file; pass --agent-file")
    if command == "play":  # the app opens the agent's own world
        return [command, preset.env, "--agent-file", preset.agent_file, *rest]
    return [command, "--agent-file", preset.agent_file, *rest]
