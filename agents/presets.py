"""Per-environment DQN hyperparameters, and the CLI flags that override them.

Plain data, no torch: the CLI builds its parser from this module on every start, and the app
lists presets before anyone has chosen a DQN.

The classic-control presets start from RL Baselines3 Zoo's ``hyperparams/dqn.yml``
(DLR-RM/rl-baselines3-zoo; SB3 names mapped to ours: ``exploration_final_eps`` ->
``epsilon_end``, ``n_timesteps`` -> ``total_steps``, ``net_arch`` -> ``hidden``).  Where a value
differs from the Zoo the entry says so and why; ``ZOO`` keeps the published values untouched for
the benchmark's Stable-Baselines3 baseline.  Grid worlds have no Zoo entry: their presets were
chosen here (one-hot input, small net, fast sync); what they reach is noted beside them.
"""

from __future__ import annotations

import argparse
from typing import Any

from agents.config import (
    DQN_LOSSES,
    DQN_NETWORKS,
    DQN_PRECISIONS,
    ConfigError,
    DQNConfig,
    TabularConfig,
    choose_network,
    field_help,
    field_range,
)

# RL Baselines3 Zoo, hyperparams/dqn.yml, as published (Stable-Baselines3 names).
ZOO: dict[str, dict[str, Any]] = {
    "CartPole-v1": dict(
        n_timesteps=50_000, learning_rate=2.3e-3, batch_size=64, buffer_size=100_000,
        learning_starts=1000, gamma=0.99, target_update_interval=10, train_freq=256,
        gradient_steps=128, exploration_fraction=0.16, exploration_final_eps=0.04,
        policy_kwargs=dict(net_arch=[256, 256]),
    ),
    "MountainCar-v0": dict(
        n_timesteps=120_000, learning_rate=4e-3, batch_size=128, buffer_size=10_000,
        learning_starts=1000, gamma=0.98, target_update_interval=600, train_freq=16,
        gradient_steps=8, exploration_fraction=0.2, exploration_final_eps=0.07,
        policy_kwargs=dict(net_arch=[256, 256]),
    ),
    "Acrobot-v1": dict(
        n_timesteps=100_000, learning_rate=6.3e-4, batch_size=128, buffer_size=50_000,
        learning_starts=0, gamma=0.99, target_update_interval=250, train_freq=4,
        gradient_steps=-1, exploration_fraction=0.12, exploration_final_eps=0.1,
        policy_kwargs=dict(net_arch=[256, 256]),
    ),
    # Every Atari game: CnnPolicy (NatureCNN, then a linear head), AtariWrapper, 4 frames.
    "atari": dict(
        n_timesteps=10_000_000, learning_rate=1e-4, batch_size=32, buffer_size=100_000,
        learning_starts=100_000, gamma=0.99, target_update_interval=1000, train_freq=4,
        gradient_steps=1, exploration_fraction=0.1, exploration_final_eps=0.01,
    ),
}


def from_zoo(zoo: dict[str, Any]) -> dict[str, Any]:
    """Translate a Zoo entry into ``DQNConfig`` names (``gradient_steps=-1`` = ``train_freq``)."""
    out = {
        "total_steps": int(zoo["n_timesteps"]),
        "epsilon_end": zoo["exploration_final_eps"],
        "hidden": tuple(zoo.get("policy_kwargs", {}).get("net_arch", (64, 64))),
    }
    for name in ("learning_rate", "batch_size", "buffer_size", "learning_starts", "gamma",
                 "target_update_interval", "train_freq", "gradient_steps",
                 "exploration_fraction"):
        out[name] = zoo[name]
    if out["gradient_steps"] == -1:
        out["gradient_steps"] = out["train_freq"]
    return out


# Grid worlds (one-hot input).  Measured with 2 seeds: the mouse maze and CliffWalking end on the
# optimal path; slippery FrozenLake 4x4 succeeds 52-58% greedily (optimal policy: 73%); the
# non-slippery 8x8 lake is not solved in 20,000 steps (epsilon-greedy rarely finds its goal).
# Taxi is slow for a DQN: lr 3e-3 over 200,000 steps reached 65% greedy success (1 seed; 1e-3
# over 100,000: 0%).
_GRID = dict(
    hidden=(64, 64), learning_rate=1e-3, batch_size=64, buffer_size=50_000, learning_starts=500,
    gamma=0.99, target_update_interval=250, train_freq=4, gradient_steps=1,
    exploration_fraction=0.4, epsilon_end=0.05, total_steps=20_000,
)

# CartPole-v1: the Zoo's buffer, start, gamma, exploration and run length, with changes measured
# by benchmarks/dqn_cartpole.py (50,000 steps, greedy eval of 10 episodes every 2,500).  Our DQN
# with the Zoo's settings (128 gradient steps of batch 64 per 256 env steps, 256x256 net) reached
# 475 on 5/5 seeds but ended there on 2/5, at ~1 ms a gradient step.  A 128x128 net, one step of
# batch 128 every 4 env steps, 3-step returns, Polyak tau 0.01 every 4 steps, a learning rate
# falling from 2e-3 to 2e-4 and Adam eps 3e-4 (damps the steps once TD errors are small: the
# collapses came after solving) reached 475 on 20/20 seeds (0-19) and ended there on 18/20, in a
# third of SB3's wall time.  Adam eps 1e-8 instead: 14/15 and 11/15.
_CARTPOLE = dict(
    from_zoo(ZOO["CartPole-v1"]), hidden=(128, 128), learning_rate=2e-3, learning_rate_end=0.1,
    batch_size=128, train_freq=4, gradient_steps=1, target_update_interval=4, tau=0.01, n_step=3,
    adam_eps=3e-4,
)

# Atari (any ale-py id, 84x84x4 frames): the Zoo's values with the Nature CNN's 512-unit layer
# as our one hidden layer and reward clipping (the Zoo's AtariWrapper clips), except
# learning_starts 10,000 instead of 100,000 so that a run of 20,000 steps learns at all.
_ATARI = dict(from_zoo(ZOO["atari"]), hidden=(512,), clip_rewards=True, learning_starts=10_000)

# Grid worlds as images (GridMaze in image mode, the grid CNN), measured on maze_small by
# benchmarks/dqn_maze_image.py (seeds and margins in its BUDGET).  What made it reliable is the
# exploration: epsilon falls over 80% of the run, not 10-20%, with training episodes long enough
# to wander (the benchmark's TRAIN_MAX_STEPS).  With a fast fall (20% of 30,000 steps to 0.1) a
# greedy policy pushing into a wall at the start, or circling the first cheese, held 1 seed in 5
# away from the goal for the whole run.  Plain (not Double) DQN targets: Double's second forward
# pass cost a third of a gradient step here.
_GRID_IMAGE = dict(
    hidden=(64,), learning_rate=1e-3, batch_size=64, buffer_size=30_000, learning_starts=500,
    gamma=0.99, target_update_interval=250, train_freq=4, gradient_steps=1, n_step=10,
    double=False, exploration_fraction=0.8, epsilon_end=0.05, total_steps=30_000,
)

PRESETS: dict[str, dict[str, Any]] = {
    "CartPole-v1": _CARTPOLE,
    "MountainCar-v0": from_zoo(ZOO["MountainCar-v0"]),
    "Acrobot-v1": from_zoo(ZOO["Acrobot-v1"]),
    "GridMaze-v0": dict(_GRID),
    "FrozenLake-v1": dict(_GRID),
    "CliffWalking-v1": dict(_GRID, total_steps=30_000),
    "Taxi-v4": dict(_GRID, hidden=(128, 128), learning_rate=3e-3, total_steps=200_000,
                    exploration_fraction=0.3),
    "grid-image": _GRID_IMAGE,
}


def preset_name(env_id: str, observation_shape: tuple[int, ...] | None = None) -> str | None:
    """Which preset a world gets: a key of ``PRESETS``, ``"atari"``, or None.

    The Gymnasium id decides (kwargs after ``:`` ignored), except that every Atari game
    (``ALE/...``, ``...NoFrameskip-v4``) shares the ``atari`` preset and every world whose
    observations are small images (an ``observation_shape`` the grid CNN reads: a maze in image
    mode) the ``grid-image`` one: a CNN learns at another pace than an MLP on one-hot states.
    """
    from levels.atari import is_atari_id

    env_id = env_id.split(":", 1)[0].strip()
    if is_atari_id(env_id):
        return "atari"
    if observation_shape is not None and choose_network(tuple(observation_shape)) == "grid_cnn":
        return "grid-image"
    return env_id if env_id in PRESETS else None


def preset_for(env_id: str, observation_shape: tuple[int, ...] | None = None,
               ) -> dict[str, Any] | None:
    """A copy of the preset :func:`preset_name` picks, or None."""
    name = preset_name(env_id, observation_shape)
    preset = _ATARI if name == "atari" else PRESETS.get(name or "")
    return None if preset is None else dict(preset)


# -- CLI ------------------------------------------------------------------------------------------

_FLAGS = ("learning_rate", "learning_rate_end", "batch_size", "buffer_size", "learning_starts",
          "train_freq", "gradient_steps", "target_update_interval", "tau", "n_step",
          "exploration_fraction", "max_grad_norm", "adam_eps")


def add_dqn_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the DQN flags (all default to "not given", so a preset or the defaults apply)."""
    group = parser.add_argument_group("DQN (with --agent dqn)")
    for name in _FLAGS:
        flag = "--target-update" if name == "target_update_interval" else (
            "--" + name.replace("_", "-"))
        kind = float if isinstance(getattr(DQNConfig, name, None), float) else int
        lo, hi = field_range(DQNConfig, name)
        group.add_argument(flag, dest=f"dqn_{name}", type=kind, default=None,
                           metavar="X" if kind is float else "N",
                           help=f"{field_help(DQNConfig, name)} [{lo:g}..{hi:g}]")
    group.add_argument("--no-double", dest="dqn_double", action="store_false", default=None,
                       help="plain DQN targets (max over the target network) instead of Double DQN")
    group.add_argument("--dueling", dest="dqn_dueling", action="store_true", default=None,
                       help=field_help(DQNConfig, "dueling"))
    group.add_argument("--loss", dest="dqn_loss", choices=DQN_LOSSES, default=None,
                       help=field_help(DQNConfig, "loss"))
    group.add_argument("--network", dest="dqn_network", choices=DQN_NETWORKS, default=None,
                       help=field_help(DQNConfig, "network"))
    group.add_argument("--precision", dest="dqn_precision", choices=DQN_PRECISIONS, default=None,
                       help=field_help(DQNConfig, "precision"))
    group.add_argument("--clip-rewards", dest="dqn_clip_rewards",
                       action=argparse.BooleanOptionalAction, default=None,
                       help=field_help(DQNConfig, "clip_rewards"))
    group.add_argument("--hidden", dest="dqn_hidden", default=None, metavar="W,W",
                       help="hidden layer widths, comma-separated, e.g. 256,256")
    group.add_argument("--device", dest="dqn_device", default="auto", metavar="DEVICE",
                       help="auto (cuda if torch sees a GPU, else cpu), cpu, cuda or cuda:N")
    group.add_argument("--preset", dest="dqn_preset", default="auto", metavar="ENV",
                       help="auto (the env's preset if there is one, grid-image for small "
                            "image observations), none, an env id, grid-image, or a preset "
                            "file FILE.json written by main.py tune (any agent)")


# Flags the tabular agents already define; a DQN takes them when they differ from their default.
_SHARED = {"gamma": "gamma", "epsilon": "epsilon_start", "epsilon_min": "epsilon_end"}


def dqn_hyperparameters(args: argparse.Namespace, env_id: str,
                        observation_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Preset (per ``--preset``) overlaid with every DQN flag the user gave.

    ``--preset auto`` looks the preset up by ``env_id`` and ``observation_shape`` (see
    :func:`preset_for`).

    ``--gamma``, ``--epsilon`` and ``--epsilon-min`` belong to the tabular flags and always have
    a value, so they override the preset only when they differ from their default.
    """
    choice = getattr(args, "dqn_preset", "auto") or "auto"
    if choice == "none":
        hp: dict[str, Any] = {}
    else:
        preset = (preset_for(env_id, observation_shape) if choice == "auto"
                  else preset_for(choice))
        if preset is None and choice != "auto":
            raise ConfigError(f"there is no DQN preset for {choice!r}; presets: "
                              f"{', '.join(PRESETS)}")
        hp = preset or {}
    tabular = TabularConfig()
    for flag, name in _SHARED.items():
        value = getattr(args, flag, None)
        if value is not None and value != getattr(tabular, flag):
            hp[name] = value
    for name in (*_FLAGS, "double", "dueling", "loss", "network", "precision", "clip_rewards"):
        value = getattr(args, f"dqn_{name}", None)
        if value is not None:
            hp[name] = value
    hidden = getattr(args, "dqn_hidden", None)
    if hidden is not None:
        try:
            hp["hidden"] = tuple(int(part) for part in str(hidden).split(",") if part.strip())
        except ValueError:
            raise ConfigError(
                f"--hidden must be comma-separated layer widths such as 256,256, got {hidden!r}"
            ) from None
    return hp


def check_dqn_arguments(args: argparse.Namespace) -> None:
    """Refuse out-of-range DQN flags before any env is built (ConfigError, one sentence)."""
    DQNConfig(**dqn_hyperparameters(args, env_id=""))
