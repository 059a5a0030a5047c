"""Atari games through ale-py with the DQN paper's preprocessing: one builder for every caller.

The CLI, the app, ``eval`` and the benchmark all reach Atari through ``levels.envs.make_env``,
which calls :func:`make_atari` here, so a model trained in one place sees exactly the frames it
will be evaluated on elsewhere.  The pipeline is Gymnasium's own: ``AtariPreprocessing`` (up to 30
no-op actions after reset, frame skip 4 with a max-pool over the last two frames, 84x84 grayscale,
optionally a terminal on every lost life) and ``FrameStackObservation`` of 4, giving ``uint8``
observations of shape ``(4, 84, 84)`` -- channels first, as Stable-Baselines3's CNN policies see
them.  Rewards are left as the game scores them: clipping is a learning choice
(``DQNConfig.clip_rewards``), so episode returns stay on the raw game score.

ale-py registers its envs only when :func:`register` runs, which ``make_env`` calls the first time
an ``ALE/...`` or ``...NoFrameskip-v4`` id is asked for: importing ale-py costs start-up time that
maze users should not pay.
"""

from __future__ import annotations

import re
from typing import Any

import gymnasium as gym

# Preprocessing arguments a spec may carry (``ALE/Pong-v5:terminal_on_life_loss=True``); any
# other keyword goes to ale-py's env.
PREPROCESSING_DEFAULTS: dict[str, Any] = {
    "noop_max": 30, "frame_skip": 4, "screen_size": 84, "terminal_on_life_loss": False,
    "stack": 4,
}

# The games the env picker offers: the course's Space Invaders and the two classic benchmarks.
PICKER_GAMES = ("ALE/SpaceInvaders-v5", "ALE/Pong-v5", "ALE/Breakout-v5")

_ATARI_ID = re.compile(r"^ALE/.+|.+NoFrameskip-v4$")
_registered = False


def is_atari_id(env_id: str) -> bool:
    """Whether ``env_id`` is spelled like an ale-py id (``ALE/...`` or ``...NoFrameskip-v4``)."""
    return bool(_ATARI_ID.match(env_id.strip()))


def register() -> None:
    """Register ale-py's envs with Gymnasium (once; imports ale-py, which loads the emulator).

    Raises:
        ImportError: ale-py is not installed (``pip install -r requirements.txt`` installs it).
    """
    global _registered
    if _registered:
        return
    import ale_py

    gym.register_envs(ale_py)
    _registered = True


def is_atari_env(env_id: str) -> bool:
    """Whether a registered id is one of ale-py's envs."""
    spec = gym.registry.get(env_id)
    return spec is not None and "ale_py" in str(spec.entry_point)


def split_kwargs(kwargs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(preprocessing arguments, ale-py arguments)`` of a spec's keyword arguments."""
    pre = {k: v for k, v in kwargs.items() if k in PREPROCESSING_DEFAULTS}
    ale = {k: v for k, v in kwargs.items() if k not in PREPROCESSING_DEFAULTS}
    return pre, ale


def make_atari(env_id: str, kwargs: dict[str, Any] | None = None, *,
               render_mode: str | None = None, max_steps: int | None = None) -> gym.Env:
    """An ale-py game wrapped for a DQN: ``AtariPreprocessing`` + ``FrameStackObservation``.

    Args:
        env_id: a registered ale-py id (``ALE/SpaceInvaders-v5``, ``PongNoFrameskip-v4``...).
        kwargs: the spec's keyword arguments; the keys of ``PREPROCESSING_DEFAULTS`` set the
            preprocessing (``stack=1`` turns stacking off), the rest go to ale-py.  A RAM
            observation (``obs_type="ram"``) gets no preprocessing: it is a vector already.
        render_mode: ``"rgb_array"`` to see the full-colour game frame with ``env.render()``.
        max_steps: episode limit in agent steps (each is ``frame_skip`` emulator frames); the
            game's own limit (108,000 frames) applies regardless.

    The v5 ids skip 4 frames inside the emulator; the preprocessing does its own skipping (it
    needs every frame to max-pool the last two), so the emulator is made with ``frameskip=1``.
    v5's sticky actions (``repeat_action_probability=0.25``) stay, as Gymnasium defines v5;
    ``NoFrameskip-v4`` already has ``frameskip=1`` and no sticky actions.
    """
    from gymnasium.wrappers import AtariPreprocessing, FrameStackObservation, TimeLimit

    pre, ale = split_kwargs(dict(kwargs or {}))
    settings = {**PREPROCESSING_DEFAULTS, **pre}
    if ale.get("obs_type", "rgb") == "ram":
        env = gym.make(env_id, render_mode=render_mode, **ale)
        return TimeLimit(env, max_steps) if max_steps is not None else env
    ale.setdefault("frameskip", 1)
    if ale["frameskip"] != 1:
        raise ValueError("frameskip must stay 1 for the preprocessed game; set frame_skip "
                         "instead (the preprocessing skips frames and max-pools the last two)")
    env = gym.make(env_id, render_mode=render_mode, **ale)
    env = AtariPreprocessing(
        env, noop_max=int(settings["noop_max"]), frame_skip=int(settings["frame_skip"]),
        screen_size=int(settings["screen_size"]),
        terminal_on_life_loss=bool(settings["terminal_on_life_loss"]),
    )
    if int(settings["stack"]) > 1:
        env = FrameStackObservation(env, int(settings["stack"]))
    if max_steps is not None:
        env = TimeLimit(env, max_steps)
    return env


def action_names(env: gym.Env) -> tuple[str, ...] | None:
    """The game's names for its actions (``NOOP``, ``FIRE``, ``RIGHT``...), or None if not Atari."""
    meanings = getattr(env.unwrapped, "get_action_meanings", None)
    return tuple(meanings()) if callable(meanings) else None
