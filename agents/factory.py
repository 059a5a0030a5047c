"""``build(kind, env, config, seed)``: the one way the CLI and the app make an agent.

The config is the kind's hyperparameter dataclass (``TabularConfig`` or ``DQNConfig``) or a
mapping of some of its fields; the agent validates the values (one sentence per refusal,
``ConfigError``) and brings its own epsilon schedule. torch is imported only when a DQN is built.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from agents.config import ConfigError, DQNConfig, TabularConfig
from agents.protocol import Agent

if TYPE_CHECKING:
    import gymnasium

TABULAR_KINDS: tuple[str, ...] = ("q-learning", "sarsa", "expected-sarsa")
KINDS: tuple[str, ...] = (*TABULAR_KINDS, "dqn")


def build(kind: str, env: gymnasium.Env, config: TabularConfig | DQNConfig | Mapping[str, Any]
          | None = None, seed: int | None = None, *, device: str = "auto",
          total_steps: int | None = None) -> Agent:
    """A fresh agent of ``kind`` for ``env``'s spaces.

    Args:
        kind: one of ``KINDS``.
        env: the env it will learn (only its spaces are read).
        config: hyperparameters; None gives the config dataclass's defaults. A mapping may name
            any subset of the fields.
        seed: seeds the agent's random numbers (a ``TrainingSession`` reseeds it with its own).
        device: torch device of a DQN ("auto": CUDA when torch sees a GPU).
        total_steps: the planned run length: a DQN's schedules span it, and so does a tabular
            "linear" epsilon schedule.

    A tabular agent's initial Q "auto" (the default) becomes
    :func:`agents.optimism.auto_initial_q` of ``env``: optimistic on a maze level, 0 elsewhere.

    Raises:
        ConfigError: an unknown kind, an unknown name or a value out of range, a tabular agent
            for non-Discrete observations, or a device that does not exist.
    """
    import gymnasium

    values = _as_dict(config)
    if kind == "dqn":
        from agents.dqn import DQN, SpaceError

        if total_steps is not None:
            values["total_steps"] = int(total_steps)
        try:
            return DQN(env.observation_space, env.action_space, device=device, seed=seed,
                       **values)
        except SpaceError as err:  # an env a DQN cannot run is the caller's choice: ConfigError
            raise ConfigError(str(err)) from None
    if kind not in TABULAR_KINDS:
        raise ConfigError(f"unknown agent kind {kind!r}; choose one of {', '.join(KINDS)}")
    if not isinstance(env.observation_space, gymnasium.spaces.Discrete):
        raise ConfigError(f"{kind} needs a Discrete observation space (one Q-table row per "
                          f"state), got {env.observation_space}")
    from agents.optimism import auto_initial_q
    from agents.tabular import make_tabular

    full = {**dataclasses.asdict(TabularConfig()), **values}
    return make_tabular(kind, int(env.observation_space.n), int(env.action_space.n), seed=seed,
                        total_steps=total_steps, auto_initial_q=auto_initial_q(env), **full)


def _as_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if dataclasses.is_dataclass(config) and not isinstance(config, type):
        return dataclasses.asdict(config)
    return dict(config)
