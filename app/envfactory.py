"""Open any world for the app, or say in one sentence why not.

The app opens worlds the user picks (a bundled level, a level file, a Gymnasium id), and a world
that cannot be shown or learnt must leave the app as it was. So :func:`open_world` builds the env
through :func:`levels.envs.make_env` (ids are resolved there and nowhere else), then checks, before
the app switches to it, that some agent of the sandbox can learn it and that it renders an RGB
frame. Every failure is a :class:`WorldError` with one sentence.

Closing is the other trap: Gymnasium envs that render with pygame (CartPole, MountainCar, Acrobot,
the toy-text envs) call ``pygame.quit()`` in ``close()``, even in ``rgb_array`` mode, which would
take the app's window and fonts with them. :func:`close_env` closes them without that.
Gymnasium's classic-control modules are imported by ``gymnasium.make`` only when such an env is
opened, never when this module loads.
"""

from __future__ import annotations

import contextlib
import inspect
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gymnasium as gym
import numpy as np

from levels.envs import EnvSpecError, ResolvedEnv, make_env, parse_kwargs
from levels.gridinfo import GridInfo, grid_info
from levels.level import LevelError
from levels.levelfile import bundled_level_names

TABULAR_AGENTS: tuple[str, ...] = ("q-learning", "sarsa", "expected-sarsa")
DQN_AGENT = "dqn"

# Action names for envs that do not name their actions (grid envs get theirs from GridInfo).
_ACTION_NAMES: dict[str, tuple[str, ...]] = {
    "CartPole": ("push left", "push right"),
    "MountainCar": ("left", "none", "right"),
    "Acrobot": ("torque -1", "torque 0", "torque +1"),
    "LunarLander": ("nothing", "left engine", "main engine", "right engine"),
    "Blackjack": ("stick", "hit"),
}
# Attributes in which Gymnasium's envs keep their pygame window or canvas.
_PYGAME_ATTRS = ("window_surface", "window", "screen")


class WorldError(ValueError):
    """A world the app cannot open; the message is one sentence for the status bar or picker."""


@dataclass(frozen=True)
class AppEnv:
    """One entry of the env picker.

    Attributes:
        label: what the list shows.
        spec: what :func:`open_world` receives.
        slippery: the slippery toggle's state for this entry; None leaves it to the env's own
            default (:func:`default_slippery`).
    """

    label: str
    spec: str
    slippery: bool | None = None


def _app_envs() -> list[AppEnv]:
    envs = [
        AppEnv("FrozenLake 4x4", "FrozenLake-v1", slippery=True),
        AppEnv("FrozenLake 8x8", "FrozenLake8x8-v1", slippery=True),
        AppEnv("Taxi", "Taxi-v4"),
        AppEnv("CliffWalking", "CliffWalking-v1"),
        AppEnv("CartPole", "CartPole-v1"),
        AppEnv("MountainCar", "MountainCar-v0"),
        AppEnv("Acrobot", "Acrobot-v1"),
        AppEnv("Space Invaders (Atari)", "ALE/SpaceInvaders-v5"),
        AppEnv("Pong (Atari)", "ALE/Pong-v5"),
        AppEnv("Breakout (Atari)", "ALE/Breakout-v5"),
    ]
    envs += [AppEnv(f"Level: {name}", name) for name in bundled_level_names()]
    return envs


#: What the env picker offers: the listed Gymnasium envs, then every bundled level.
APP_ENVS: list[AppEnv] = _app_envs()


@dataclass(eq=False)
class World:
    """An opened env and what the app needs to know to show and train it.

    Attributes:
        env: the env, made with ``render_mode="rgb_array"``.
        resolved: what the spec turned out to mean (its ``spec`` goes into agent files).
        grid: the grid behind the env (GridMaze, FrozenLake, CliffWalking, Taxi), else None.
        kind: "grid" (drawn as a board), "taxi" (frame plus a 5x5 board) or "frame" (env frame).
        agents: agent kinds that can learn it, e.g. ``("q-learning", "sarsa", "expected-sarsa",
            "dqn")``.
        action_names: one short name per action, for the Q-value bars.
        first_frame: the frame rendered after ``reset(seed=0)`` while checking the env.
    """

    env: gym.Env
    resolved: ResolvedEnv
    grid: GridInfo | None
    kind: str
    agents: tuple[str, ...]
    action_names: tuple[str, ...]
    first_frame: np.ndarray = field(repr=False)
    closed: bool = False

    @property
    def spec(self) -> str:
        """The canonical spec (store this; opening it again gives the same world)."""
        return self.resolved.spec

    @property
    def notice(self) -> str | None:
        """A sentence to show when the spec was adjusted ("Taxi-v3 was renamed; ...")."""
        return self.resolved.notice

    @property
    def title(self) -> str:
        """A short name for window titles and the status bar, with the slippery variant when it
        is not the env's plain default ("CliffWalking-v1 \u00b7 slippery")."""
        level = self.resolved.level
        if level is not None:
            return level.name
        env_id = self.resolved.env_id
        default = default_slippery(env_id)
        slippery = self.resolved.kwargs.get("is_slippery", default)
        if default is None or not isinstance(slippery, bool):
            return env_id
        if slippery:
            return f"{env_id} \u00b7 slippery"
        return f"{env_id} \u00b7 not slippery" if default else env_id

    def supports(self, agent_kind: str) -> bool:
        """True when an agent of ``agent_kind`` can learn this world."""
        return agent_kind in self.agents

    def close(self) -> None:
        """Release the env without closing pygame (safe to call twice)."""
        if not self.closed:
            self.closed = True
            close_env(self.env)


def open_world(spec: str, slippery: bool | None = None) -> World:
    """Open the world ``spec`` names, ready to show and train, or raise one clear sentence.

    Args:
        spec: a bundled level name, a level file, or a Gymnasium id with optional arguments
            (``"FrozenLake-v1:map_name='8x8'"``), as :func:`levels.envs.make_env` reads them.
        slippery: for envs with an ``is_slippery`` argument (FrozenLake, CliffWalking), overrides
            it; None keeps the spec's own choice.

    Raises:
        WorldError: the id is unknown, a level is invalid, no agent supports the env's spaces,
            or the env does not render an RGB frame.
    """
    if slippery is not None:
        spec = with_slippery(spec, slippery)
    try:
        env, resolved = make_env(spec, render_mode="rgb_array")
    except (EnvSpecError, LevelError) as err:
        raise WorldError(str(err)) from err
    name = resolved.level.name if resolved.level is not None else resolved.env_id
    try:
        agents = supported_agents(env.observation_space, env.action_space, name)
        frame = _first_frame(env, name)
        grid = grid_info(env)
    except BaseException:
        close_env(env)
        raise
    return World(env=env, resolved=resolved, grid=grid, kind=_kind(env), agents=agents,
                 action_names=action_names(env, grid), first_frame=frame)


def supported_agents(observation_space: gym.Space, action_space: gym.Space,
                     name: str = "this env") -> tuple[str, ...]:
    """Agent kinds that can learn an env with these spaces.

    Tabular agents need Discrete observations and actions; the DQN needs Discrete actions and Box
    or Discrete observations.

    Raises:
        WorldError: no agent can (the sentence names the space at fault).
    """
    if not isinstance(action_space, gym.spaces.Discrete):
        what = ("a continuous" if isinstance(action_space, gym.spaces.Box)
                else f"a {type(action_space).__name__}")
        raise WorldError(f"{name} has {what} action space; the sandbox's agents need Discrete "
                         f"actions")
    if isinstance(observation_space, gym.spaces.Discrete):
        return (*TABULAR_AGENTS, DQN_AGENT)
    if isinstance(observation_space, gym.spaces.Box):
        return (DQN_AGENT,)
    raise WorldError(f"{name} has a {type(observation_space).__name__} observation space; the "
                     f"sandbox's agents need Discrete or Box observations")


def action_names(env: gym.Env, grid: GridInfo | None = None) -> tuple[str, ...]:
    """One short name per action: the grid's, the env's own meanings, a table or "action i"."""
    n = int(getattr(env.action_space, "n", 0))
    if grid is not None and len(grid.action_names) == n:
        return tuple(grid.action_names)
    meanings = getattr(env.unwrapped, "get_action_meanings", None)
    if callable(meanings):
        with contextlib.suppress(Exception):
            names = tuple(str(m).lower() for m in meanings())
            if len(names) == n:
                return names
    spec = env.spec
    known = _ACTION_NAMES.get(spec.name if spec is not None else "", ())
    if len(known) == n:
        return known
    return tuple(f"action {a}" for a in range(n))


def accepts_slippery(spec: str) -> bool:
    """True when ``spec`` names a registered Gymnasium env whose constructor has ``is_slippery``."""
    env_id = str(spec).strip().partition(":")[0].strip()
    if env_id not in gym.registry:
        return False
    entry = gym.spec(env_id).entry_point
    try:
        creator = gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry
        return "is_slippery" in inspect.signature(creator).parameters
    except (ImportError, AttributeError, TypeError, ValueError, gym.error.Error):
        return False


def default_slippery(spec: str) -> bool | None:
    """The ``is_slippery`` value ``spec``'s env gets when the spec does not set it (its
    registration's, else its constructor's default), or None for envs without the argument."""
    env_id = str(spec).strip().partition(":")[0].strip()
    if not accepts_slippery(env_id):
        return None
    registered = gym.spec(env_id)
    if "is_slippery" in registered.kwargs:
        return bool(registered.kwargs["is_slippery"])
    entry = registered.entry_point
    creator = gym.envs.registration.load_env_creator(entry) if isinstance(entry, str) else entry
    default = inspect.signature(creator).parameters["is_slippery"].default
    return default if isinstance(default, bool) else None


def with_slippery(spec: str, slippery: bool) -> str:
    """``spec`` with its ``is_slippery`` argument set (added or replaced).

    Raises:
        WorldError: the spec is a level (its ``slippery:`` setting decides) or an env without the
            argument.
    """
    text = str(spec).strip()
    env_id, _, arg_text = text.partition(":")
    env_id = env_id.strip()
    if env_id not in gym.registry and (text in bundled_level_names()
                                       or text.lower().endswith(".txt") or Path(text).exists()):
        raise WorldError(f"{text} is a level: its own 'slippery: true' setting decides whether it "
                         f"is slippery")
    if env_id in gym.registry and not accepts_slippery(env_id):
        raise WorldError(f"{env_id} has no slippery option; only FrozenLake and CliffWalking do")
    try:
        kwargs = parse_kwargs(arg_text)
    except EnvSpecError as err:
        raise WorldError(str(err)) from err
    kwargs["is_slippery"] = bool(slippery)
    return env_id + ":" + ",".join(f"{k}={v!r}" for k, v in kwargs.items())


def slippery_of(spec: str) -> bool | None:
    """The ``is_slippery`` value written in ``spec``'s arguments, or None if it has none."""
    _, _, arg_text = str(spec).strip().partition(":")
    try:
        value = parse_kwargs(arg_text).get("is_slippery")
    except EnvSpecError:
        return None
    return value if isinstance(value, bool) else None


def close_env(env: gym.Env) -> None:
    """Close ``env`` without closing pygame, so the app's window and fonts survive.

    Gymnasium's pygame-rendering envs call ``pygame.display.quit()`` and ``pygame.quit()`` in
    ``close()`` when they hold a canvas (``screen``, ``window``, ``window_surface``). We clear
    those attributes first, and for envs that test differently (Blackjack checks ``hasattr``)
    turn both calls into no-ops for the duration of ``close()``. A failing ``close()`` is logged,
    not raised: the app is switching away from the env anyway.
    """
    base = env.unwrapped
    for name in _PYGAME_ATTRS:
        if getattr(base, name, None) is not None:
            with contextlib.suppress(AttributeError):
                setattr(base, name, None)
    try:
        with _pygame_quit_disabled():
            env.close()
    except Exception as err:  # a third-party close() must not take the app down
        gym.logger.warn(f"closing {type(base).__name__} failed: {err}")


@contextlib.contextmanager
def _pygame_quit_disabled() -> Iterator[None]:
    pg = sys.modules.get("pygame")
    if pg is None or not hasattr(pg, "display"):
        yield
        return
    saved = (pg.quit, pg.display.quit)

    def _keep_pygame() -> None:
        return None

    pg.quit = pg.display.quit = _keep_pygame
    try:
        yield
    finally:
        pg.quit, pg.display.quit = saved


def _first_frame(env: gym.Env, name: str) -> np.ndarray:
    """Reset with seed 0 and render once; anything but an ``[H, W, 3]`` uint8 frame is an error."""
    try:
        env.reset(seed=0)
        frame: Any = env.render()
    except Exception as err:  # third-party render code: any failure becomes one sentence
        reason = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise WorldError(f"{name} failed to render a frame: {reason}") from err
    if isinstance(frame, list) and frame:  # render collections: take the newest
        frame = frame[-1]
    if not (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3
            and frame.dtype == np.uint8 and frame.shape[0] > 0 and frame.shape[1] > 0):
        got = ("nothing" if frame is None else
               f"an array of shape {frame.shape} and type {frame.dtype}"
               if isinstance(frame, np.ndarray) else f"a {type(frame).__name__}")
        raise WorldError(f"{name} rendered {got} instead of an RGB picture, so the app cannot "
                         f"show it")
    return frame


def _kind(env: gym.Env) -> str:
    """"taxi" for Taxi, "grid" for the other grid worlds, "frame" for the rest."""
    from gymnasium.envs.toy_text.cliffwalking import CliffWalkingEnv
    from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv
    from gymnasium.envs.toy_text.taxi import TaxiEnv

    from levels.gridmaze import GridMazeEnv

    base = env.unwrapped
    if isinstance(base, TaxiEnv):
        return "taxi"
    if isinstance(base, GridMazeEnv | FrozenLakeEnv | CliffWalkingEnv):
        return "grid"
    return "frame"
