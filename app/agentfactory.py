"""Which agents the app can make for an env, with which settings, and making them.

Pure functions (no pygame). Agents are made by ``agents.build``, which imports torch only when a
DQN is asked for, so choosing Q-learning never loads it and ``python main.py`` starts torch-free.

A DQN in the app gets its env's preset (:func:`agents.presets.preset_for`, RL Baselines3 Zoo
values for the classic-control envs) with one change, :func:`pace_for_frames`: some presets train
in bursts (CartPole: 128 gradient steps every 256 env steps, ~0.3 s of work in one env step),
which would freeze the window for a frame. The app spreads each burst evenly (one gradient step
every two env steps) and keeps the target network fixed for as many gradient steps as the burst
did, so the update-to-data ratio and the target period are the preset's while no single env step
costs more than one gradient step.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents import Agent, build

LABELS: dict[str, str] = {"q-learning": "Q-learning", "sarsa": "SARSA",
                          "expected-sarsa": "Expected SARSA", "dqn": "DQN"}
#: A DQN one-hot encodes discrete observations: beyond this many states its input layer alone
#: would hold millions of weights, so bigger state spaces are left to the tabular agents.
MAX_DQN_STATES = 50_000


def label(kind: str) -> str:
    """What the panel calls an agent kind."""
    return LABELS.get(kind, kind)


def kinds_for(env: Any) -> tuple[str, ...]:
    """Agent kinds that can learn ``env`` in the app (tabular needs Discrete observations)."""
    from app.envfactory import supported_agents

    kinds = supported_agents(env.observation_space, env.action_space)
    n = getattr(env.observation_space, "n", None)
    if n is not None and int(n) > MAX_DQN_STATES:
        kinds = tuple(k for k in kinds if k != "dqn")
    return kinds


def pace_for_frames(hp: dict[str, Any]) -> tuple[dict[str, Any], str | None]:
    """Spread bursts of gradient steps (``gradient_steps > 1``) over the env steps between them.

    ``train_freq`` F and ``gradient_steps`` G become ``F / G`` and 1 (when G <= F), and the
    target network is refreshed at most once per old burst (``target_update_interval`` >= F), so
    it stays fixed for as many gradient steps as under the bursty settings. Returns the new
    settings and a sentence saying what changed (None if nothing did).
    """
    from agents.config import DQNConfig

    defaults = DQNConfig()
    freq = int(hp.get("train_freq", defaults.train_freq))
    grads = int(hp.get("gradient_steps", defaults.gradient_steps))
    if grads <= 1 or grads > freq:
        return dict(hp), None
    target = int(hp.get("target_update_interval", defaults.target_update_interval))
    paced = dict(hp, train_freq=max(1, round(freq / grads)), gradient_steps=1,
                 target_update_interval=max(target, freq))
    every = "step" if paced["train_freq"] == 1 else f"{paced['train_freq']} steps"
    note = f"{grads} gradient steps per {freq} env steps spread out as 1 every {every}"
    return paced, note


def dqn_settings(env_id: str, observation_shape: tuple[int, ...] | None = None,
                 ) -> tuple[dict[str, Any], str]:
    """The DQN hyperparameters the app starts with on ``env_id``, and a sentence naming them.

    The env's preset if it has one (else ``DQNConfig``'s defaults; small images get the
    grid-image preset, see :func:`agents.presets.preset_for`), paced for the frame loop, with
    one torch thread (STYLE.md: two threads stall beside the UI on two cores).
    """
    from agents.config import DQNConfig
    from agents.presets import preset_for, preset_name

    preset = preset_for(env_id, observation_shape)
    base = dataclasses.asdict(DQNConfig())
    if preset is None:
        hp, where = base, "DQN defaults (no preset for this env)"
    else:
        hp, where = {**base, **preset}, f"{preset_name(env_id, observation_shape)} preset"
    hp["threads"] = 1
    hp, note = pace_for_frames(hp)
    return hp, where + (f"; {note}" if note else "")


def make_agent(kind: str, env: Any, *, tabular: dict[str, float], epsilon_min: float,
               dqn: dict[str, Any] | None = None, device: str | None = None) -> Agent:
    """A fresh agent of ``kind`` for ``env`` with the panel's settings (its own epsilon schedule).

    Args:
        kind: "q-learning", "sarsa", "expected-sarsa" or "dqn".
        env: the env it will learn.
        tabular: alpha, gamma, epsilon, epsilon_decay, and when set lam, trace,
            planning_steps, initial_q (the tabular sliders; initial Q "auto" is worked out for
            ``env`` by ``agents.build``, as the CLI's is).
        epsilon_min: where the tabular schedule decays to.
        dqn: DQNConfig fields (see :func:`dqn_settings`); None uses the env's preset.
        device: torch device for a DQN ("auto" when None).

    Raises:
        ConfigError: a hyperparameter out of range or a device that does not exist.
    """
    if kind == "dqn":
        config = dqn if dqn is not None else dqn_settings(
            env_id_of(env), env.observation_space.shape)[0]
    else:
        config = {"alpha": tabular["alpha"], "gamma": tabular["gamma"],
                  "epsilon": tabular["epsilon"], "epsilon_decay": tabular["epsilon_decay"],
                  "epsilon_min": epsilon_min, "schedule": "exponential",
                  **{k: tabular[k] for k in ("lam", "trace", "planning_steps", "initial_q")
                     if k in tabular}}
    return build(kind, env, config, device=device or "auto")


def env_id_of(env: Any) -> str:
    """The Gymnasium id presets are looked up by (our levels made directly: GridMaze-v0)."""
    spec = getattr(env, "spec", None)
    if spec is not None:
        return str(spec.id)
    from levels.gridmaze import GridMazeEnv

    return "GridMaze-v0" if isinstance(env.unwrapped, GridMazeEnv) else ""
