"""Turn what a user typed into an environment: the one place env ids are resolved.

A spec is one of:

- a bundled level name: ``mouse``;
- a level file: anything ending in ``.txt``, containing a path separator, or existing on disk
  (``levels/my_maze.txt``); Gymnasium's namespaced ids such as ``phys2d/CartPole-v1`` win over
  the separator rule when they are registered;
- a Gymnasium id with optional keyword arguments after a colon, values read as Python literals
  (falling back to plain strings): ``FrozenLake-v1:is_slippery=False,map_name=8x8``.
- an Atari game, ``ALE/SpaceInvaders-v5`` or ``SpaceInvadersNoFrameskip-v4``: ale-py is
  registered the first time one is asked for, and the game comes preprocessed for a DQN
  (``levels.atari``).

Ids Gymnasium has since bumped (``Taxi-v3``, ``CliffWalking-v0``, ``FrozenLake-v0``...) run the
current version with a notice; unknown ids get "did you mean ...?" suggestions.
"""

from __future__ import annotations

import ast
import dataclasses
import difflib
import os
from dataclasses import dataclass, field
from typing import Any

import gymnasium as gym
from gymnasium.envs.registration import parse_env_id

import levels  # noqa: F401  (registers GridMaze-v0)
from levels import atari
from levels.level import MAX_STEPS_LIMIT, Level, LevelError
from levels.levelfile import bundled_level_names, load_level, path_exists

GRIDMAZE_ID = "GridMaze-v0"


class EnvSpecError(ValueError):
    """An env spec that names nothing runnable, or an env that could not be built."""


@dataclass(frozen=True)
class ResolvedEnv:
    """What a spec turned out to mean.

    Attributes:
        spec: canonical spec to store in agent files (resolving it again gives the same env).
        env_id: the Gymnasium id actually made.
        kwargs: keyword arguments passed to ``gymnasium.make`` (a Level for GridMaze).
        level: the level for GridMaze envs, else None.
        notice: one sentence to show the user when the spec was adjusted, else None.
    """

    spec: str
    env_id: str
    kwargs: dict[str, Any] = field(default_factory=dict)
    level: Level | None = None
    notice: str | None = None


def make_env(spec: str, *, render_mode: str | None = None,
             max_steps: int | None = None) -> tuple[gym.Env, ResolvedEnv]:
    """Build the env a spec names (see the module docstring); ``max_steps`` overrides its limit.

    Raises:
        EnvSpecError: the spec names nothing, its arguments are malformed, or making it failed.
        LevelError: the spec is a level with a problem (it carries the line and column).
    """
    if max_steps is not None and (isinstance(max_steps, bool) or not isinstance(max_steps, int)
                                  or max_steps < 1):
        raise EnvSpecError(f"max_steps must be a whole number of at least 1, got "
                           f"{_cut(repr(max_steps))}")
    text = str(spec).strip()
    if not text:
        raise EnvSpecError("no environment given; name a bundled level, a level file or a "
                           "Gymnasium id")
    if text in bundled_level_names():
        return _make_level(load_level(text), text, render_mode, max_steps)
    if atari.is_atari_id(text.partition(":")[0]):
        _register_atari()
    if _looks_like_path(text):
        return _make_level(load_level(text), text, render_mode, max_steps)
    env_id, _, arg_text = text.partition(":")
    env_id = env_id.strip()
    if env_id in bundled_level_names():
        raise EnvSpecError(f"{env_id} is a level, and a level takes no arguments after ':' "
                           f"(got {_shorten(arg_text.strip())}); its settings live in the level "
                           "file, the step limit in --max-steps")
    kwargs = parse_kwargs(arg_text)
    env_id, notice = _resolve_id(env_id, text)
    if env_id == GRIDMAZE_ID:
        level = kwargs.get("level")
        observation = kwargs.get("observation", "index")
        steps = kwargs.get("max_steps")
        if (not isinstance(level, str | Level)
                or not set(kwargs) <= {"level", "observation", "max_steps"}
                or observation not in ("index", "image")):
            raise EnvSpecError("GridMaze-v0 takes level=<bundled name or file> and optionally "
                               "observation=index or observation=image, and max_steps=N")
        if steps is not None and (isinstance(steps, bool) or not isinstance(steps, int)
                                  or steps < 1):
            raise EnvSpecError(f"max_steps must be a whole number of at least 1, got "
                               f"{_cut(repr(steps))}")
        lv = level if isinstance(level, Level) else load_level(level)
        return _make_level(lv, _canonical(env_id, kwargs), render_mode,
                           max_steps if max_steps is not None else steps, notice, observation)
    if atari.is_atari_env(env_id):
        env = _construct(env_id, kwargs, render_mode, maker=lambda: atari.make_atari(
            env_id, kwargs, render_mode=render_mode, max_steps=max_steps))
        return env, ResolvedEnv(_canonical(env_id, kwargs), env_id, dict(kwargs), None, notice)
    if max_steps is not None:
        kwargs_make = {**kwargs, "max_episode_steps": max_steps}
    else:
        kwargs_make = kwargs
    env = _construct(env_id, kwargs_make, render_mode)
    return env, ResolvedEnv(_canonical(env_id, kwargs), env_id, dict(kwargs), None, notice)


def parse_kwargs(text: str) -> dict[str, Any]:
    """``"a=1,b=x,c=[1, 2]"`` -> ``{"a": 1, "b": "x", "c": [1, 2]}``; commas inside brackets or
    quotes do not split; a value that is not a Python literal is kept as a string."""
    kwargs: dict[str, Any] = {}
    for part in _split_top_level(text):
        if not part.strip():
            continue
        key, eq, value = part.partition("=")
        key = key.strip()
        if not eq or not key.isidentifier():
            raise EnvSpecError(f"environment arguments are written key=value, got "
                               f"{_shorten(part.strip())}")
        if key in kwargs:
            raise EnvSpecError(f"environment argument {_shorten(key)} is given twice")
        value = value.strip()
        try:
            kwargs[key] = ast.literal_eval(value)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            kwargs[key] = value
    return kwargs


def _split_top_level(text: str) -> list[str]:
    parts, depth, quote, current = [], 0, "", []
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "'\"":
            quote = ch
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth = max(0, depth - 1)
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _looks_like_path(text: str) -> bool:
    if text.lower().endswith(".txt") or path_exists(text):
        return True
    has_sep = os.sep in text or "/" in text or (os.altsep is not None and os.altsep in text)
    head = text.partition(":")[0].strip()
    return (has_sep and head not in gym.registry and not _known_name(text)
            and not atari.is_atari_id(head))


def _known_name(text: str) -> bool:
    """A namespaced Gymnasium id (``phys2d/CartPole-v0``), even an outdated version of one."""
    try:
        ns, name, _ = parse_env_id(text.partition(":")[0].strip())
    except gym.error.Error:
        return False
    return any(s.namespace == ns and s.name == name for s in gym.registry.values())


def _resolve_id(env_id: str, spec: str) -> tuple[str, str | None]:
    """The registered id to make, and a notice when an outdated or unversioned id was upgraded."""
    if env_id in gym.registry:
        return env_id, None
    try:
        ns, name, version = parse_env_id(env_id)
    except gym.error.Error:
        ns, name, version = None, None, None
    versions = sorted(s.version for s in gym.registry.values()
                      if s.name == name and s.namespace == ns and s.version is not None)
    if versions and (version is None or version < versions[-1]):
        new_id = gym.envs.registration.get_env_id(ns, name, versions[-1])
        what = "has no version" if version is None else "was renamed"
        return new_id, f"{env_id} {what}; running {new_id}"
    candidates = list(gym.registry.keys()) + bundled_level_names()
    lowered = {c.lower(): c for c in candidates}
    near = (difflib.get_close_matches(env_id.lower(), list(lowered), n=3, cutoff=0.6)
            if len(env_id) <= 100 else [])
    hint = ("; did you mean " + " or ".join(lowered[n] for n in near) + "?") if near else (
        "; use a bundled level (" + ", ".join(bundled_level_names()) + "), a level file or a "
        "Gymnasium id")
    raise EnvSpecError(f"unknown environment {_shorten(env_id)}{hint}")


def _register_atari() -> None:
    try:
        atari.register()
    except ImportError as err:
        raise EnvSpecError(f"Atari games need ale-py ({err}); run pip install -r "
                           "requirements.txt") from None


def _construct(env_id: str, kwargs: dict[str, Any], render_mode: str | None,
               maker: Any = None) -> gym.Env:
    try:
        if maker is not None:
            return maker()
        return gym.make(env_id, render_mode=render_mode, **kwargs)
    except LevelError:
        raise
    except Exception as err:  # any failure of third-party construction becomes one sentence
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        reason = _cut(reason.split(" was raised from the environment creator")[0], 200)
        if isinstance(err, KeyError):
            reason = f"there is no {reason}"
        args = _cut(", ".join(f"{k}={v!r}" for k, v in kwargs.items()
                              if not isinstance(v, Level) and k != "max_episode_steps"))
        with_args = f" with {args}" if args else ""
        raise EnvSpecError(f"could not create {env_id}{with_args}: {reason}") from err


def _make_level(level: Level, spec: str, render_mode: str | None, max_steps: int | None,
                notice: str | None = None,
                observation: str = "index") -> tuple[gym.Env, ResolvedEnv]:
    if max_steps is not None and max_steps > MAX_STEPS_LIMIT:
        raise EnvSpecError(f"max_steps of a level must be from 1 to {MAX_STEPS_LIMIT}, got "
                           f"{max_steps if max_steps < 10**15 else f'{max_steps:.3g}'}")
    if max_steps is not None:
        level = dataclasses.replace(level, max_steps=max_steps)
    kwargs: dict[str, Any] = {"level": level}
    if observation != "index":
        kwargs["observation"] = observation
    env = _construct(GRIDMAZE_ID, kwargs, render_mode)
    return env, ResolvedEnv(spec, GRIDMAZE_ID, kwargs, level, notice)


def _cut(text: str, limit: int = 60) -> str:
    """``text`` cut to at most ``limit`` characters (messages quote input, not pages of it)."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _shorten(text: str, limit: int = 60) -> str:
    """``text`` quoted like ``repr``, cut to about ``limit`` characters."""
    return repr(_cut(text, limit))


def _canonical(env_id: str, kwargs: dict[str, Any]) -> str:
    if not kwargs:
        return env_id
    return env_id + ":" + ",".join(f"{k}={v!r}" for k, v in sorted(kwargs.items()))
