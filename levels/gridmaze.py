"""GridMaze: the dynamics of a :class:`~levels.level.Level` as a Gymnasium environment.

Shaped like Gymnasium's toy-text envs (``frozen_lake.py``): the full model is exposed as
``P[s][a] = [(prob, next_state, reward, terminated), ...]`` plus ``initial_state_distrib``, ``step``
samples from it with ``self.np_random``, and a FrozenLake map behaves exactly like FrozenLake-v1.

The model itself is built as numpy arrays (:meth:`GridMazeEnv.transition_arrays`): a 64x64 level
with 8 small cheeses has a million states, and building toy-text's nested lists for all of them
would take seconds and gigabytes. ``P`` is therefore a lazy read-only mapping that makes one
state's lists from small per-direction tables when it is indexed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from functools import cached_property

import gymnasium as gym
import numpy as np
from gymnasium import spaces
from gymnasium.envs.toy_text.utils import categorical_sample

from levels.level import TERMINAL_TILES, TILES, Level, LevelError
from levels.levelfile import load_level

LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
ACTION_NAMES = ("left", "down", "right", "up")
DIRECTIONS = ((0, -1), (1, 0), (0, 1), (-1, 0))  # (drow, dcol) per action, FrozenLake's order
SUCCESS_RATE = 1.0 / 3.0
FAIL_RATE = (1.0 - SUCCESS_RATE) / 2.0  # computed as FrozenLake does, so probabilities match
OBSERVATIONS = ("index", "image")
# Image mode's channels: one per tile kind (in ``TILES`` order), the agent, eaten small cheese.
IMAGE_CHANNELS = (*TILES, "agent", "eaten")
AGENT_CHANNEL = len(TILES)
EATEN_CHANNEL = len(TILES) + 1


class GridMazeEnv(gym.Env):
    """A grid maze: walk from the start to the goal or the cheese, avoiding holes and poison.

    ## Action Space
    ``Discrete(4)``: 0 left, 1 down, 2 right, 3 up (FrozenLake's order). Moving into a wall or the
    border leaves the agent where it is. On a slippery level the agent moves the intended way or
    either perpendicular way, 1/3 each.

    ## Observation Space
    ``Discrete(n_cells * 2**k)`` for k small cheeses:
    ``state = row * ncols + col + n_cells * mask``, where bit i of ``mask`` is set once small
    cheese i (reading order) is eaten. With no small cheese this is FrozenLake's numbering.

    With ``observation="image"`` the same state is shown as a picture a CNN can learn from:
    ``Box(0, 1, (11, nrows, ncols), uint8)``, one pixel per cell and one channel per tile kind
    (``S . F # H G C c P``, the level's layout), then one marking the agent and one marking the
    small cheeses already eaten (``IMAGE_CHANNELS``).  ``info["state"]`` carries the index.

    ## Rewards
    Entering a tile gives the level's reward for it (small cheese only while uneaten) plus
    ``reward.step`` on every move, including a blocked one. A cell with its own reward
    (``level.cell_rewards``) pays that instead of its tile's. Defaults: goal +1, big cheese +10,
    small cheese +1, poison -10, hole 0, step 0.

    ## Episode End
    Terminated on entering H, G, C or P. Truncated when ``level.max_steps`` steps have been taken
    (inside the env, so no TimeLimit wrapper is registered).

    ## Arguments
    ``GridMazeEnv(level, render_mode=None, observation="index")``: ``level`` is a
    :class:`Level`, a bundled level name or a level file path; ``render_mode`` is ``"ansi"`` or
    ``"rgb_array"``; ``observation`` is ``"index"`` or ``"image"``.
    """

    metadata = {"render_modes": ["ansi", "rgb_array"], "render_fps": 4}

    def __init__(self, level: Level | str | os.PathLike[str], render_mode: str | None = None,
                 observation: str = "index"):
        if not isinstance(level, Level | str | os.PathLike):
            raise LevelError(f"level must be a Level, a bundled level name or a level file, got "
                             f"{type(level).__name__}")
        if not isinstance(level, Level):
            level = load_level(level)
        level.validate()
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be one of {self.metadata['render_modes']}, "
                             f"got {render_mode!r}")
        if observation not in OBSERVATIONS:
            raise ValueError(f"observation must be index or image, got {observation!r}")
        self.level = level
        self.observation = observation
        self.nrow, self.ncol = level.nrows, level.ncols
        self.n_cells = level.n_cells
        self.n_cheeses = len(level.small_cheeses)
        self.n_states = level.n_states
        self.render_mode = render_mode
        if observation == "image":
            self.observation_space = spaces.Box(
                0, 1, (len(IMAGE_CHANNELS), self.nrow, self.ncol), np.uint8)
        else:
            self.observation_space = spaces.Discrete(self.n_states)
        self.action_space = spaces.Discrete(4)
        self.reward_range = _reward_range(level)

        start = level.start[0] * self.ncol + level.start[1]
        self.initial_state_distrib = np.zeros(self.n_states)
        self.initial_state_distrib[start] = 1.0
        self.P = TransitionModel(self)
        self.s = start
        self.elapsed_steps = 0
        self.lastaction: int | None = None
        self._arrays: dict[str, np.ndarray] | None = None
        self._base_frame: np.ndarray | None = None

    # ---- model --------------------------------------------------------------------------------
    @cached_property
    def _dir_tables(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Outcome of moving in each direction from each state: next_state, reward, terminated.

        Shapes ``[n_states, 4]``, built one eaten-mask at a time with numpy (memory stays at the
        size of the result). States on H/G/C/P loop to themselves with reward 0, as in FrozenLake.
        """
        lv, n, ncol = self.level, self.n_cells, self.ncol
        tiles = lv.tiles_array().ravel()
        rows, cols = np.divmod(np.arange(n), ncol)
        target = np.empty((n, 4), dtype=np.int64)
        for d, (dr, dc) in enumerate(DIRECTIONS):
            t = np.clip(rows + dr, 0, self.nrow - 1) * ncol + np.clip(cols + dc, 0, ncol - 1)
            target[:, d] = np.where(tiles[t] == "#", np.arange(n), t)
        entering = lv.rewards_array().ravel()  # a small cheese's while uneaten
        base = np.where(tiles == "c", 0.0, entering)
        bit = np.full(n, -1, dtype=np.int64)
        for i, (r, c) in enumerate(lv.small_cheeses):
            bit[r * ncol + c] = i
        t_bit = bit[target]
        is_cheese = t_bit >= 0
        t_term = np.isin(tiles[target], list(TERMINAL_TILES))
        origin_term = np.isin(tiles, list(TERMINAL_TILES))[:, None]
        step = float(lv.rewards.step)
        next_s = np.empty((self.n_states, 4), dtype=np.int64)
        reward = np.empty((self.n_states, 4), dtype=np.float64)
        term = np.empty((self.n_states, 4), dtype=bool)
        for mask in range(2**self.n_cheeses):
            block = slice(mask * n, (mask + 1) * n)
            eaten = (mask >> np.maximum(t_bit, 0)) & 1
            new_mask = np.where(is_cheese, mask | (1 << np.maximum(t_bit, 0)), mask)
            gain = np.where(is_cheese & (eaten == 0), entering[target], base[target])
            own = np.arange(mask * n, (mask + 1) * n)[:, None]
            next_s[block] = np.where(origin_term, own, target + n * new_mask)
            reward[block] = np.where(origin_term, 0.0, gain + step)
            term[block] = origin_term | t_term
        for a in (next_s, reward, term):
            a.flags.writeable = False
        return next_s, reward, term

    @cached_property
    def _terminal_state(self) -> np.ndarray:
        tiles = self.level.tiles_array().ravel()
        return np.tile(np.isin(tiles, list(TERMINAL_TILES)), 2**self.n_cheeses)

    def _action_dirs(self, action: int) -> tuple[tuple[float, int], ...]:
        """(probability, direction) pairs for an action, in FrozenLake's order."""
        if self.level.slippery:
            return ((FAIL_RATE, (action - 1) % 4), (SUCCESS_RATE, action),
                    (FAIL_RATE, (action + 1) % 4))
        return ((1.0, action),)

    def transitions(self, state: int, action: int) -> list[tuple[float, int, float, bool]]:
        """``P[state][action]``: ``[(prob, next_state, reward, terminated), ...]``."""
        state, action = int(state), int(action)
        if not (0 <= state < self.n_states and 0 <= action < 4):
            raise KeyError((state, action))
        if self._terminal_state[state]:
            return [(1.0, state, 0.0, True)]
        next_s, reward, term = self._dir_tables
        return [(p, int(next_s[state, d]), float(reward[state, d]), bool(term[state, d]))
                for p, d in self._action_dirs(action)]

    def transition_arrays(self) -> dict[str, np.ndarray]:
        """The whole model as read-only arrays ``[S, A, K]`` (K = 1, or 3 when slippery).

        Terminal states have probability 1 on their first entry and zero-probability padding.
        Built once and cached; the fast paths (value iteration, the turbo runner) use these.
        """
        if self._arrays is None:
            next_s, reward, term = self._dir_tables
            k = 3 if self.level.slippery else 1
            dirs = np.array([[d for _, d in self._action_dirs(a)] for a in range(4)])  # [A, K]
            probs = np.array([p for p, _ in self._action_dirs(0)])
            prob = np.broadcast_to(probs, (self.n_states, 4, k)).copy()
            prob[self._terminal_state] = np.eye(1, k)[0]
            self._arrays = {"prob": prob, "next_state": next_s[:, dirs],
                            "reward": reward[:, dirs], "terminated": term[:, dirs]}
            for a in self._arrays.values():
                a.flags.writeable = False
        return self._arrays

    def states_of_cell(self, row: int, col: int) -> range:
        """The states of one cell, one per eaten-cheese mask (``cell + n_cells * mask``)."""
        return range(row * self.ncol + col, self.n_states, self.n_cells)

    # ---- image observations -------------------------------------------------------------------
    @cached_property
    def _layout_image(self) -> np.ndarray:
        """``[len(TILES), nrows, ncols]`` uint8: the level's tiles, one channel per kind."""
        tiles = self.level.tiles_array()
        return np.stack([tiles == ch for ch in TILES]).astype(np.uint8)

    @cached_property
    def _cheese_cells(self) -> np.ndarray:
        return np.array([r * self.ncol + c for r, c in self.level.small_cheeses], dtype=np.int64)

    def images(self, states: np.ndarray | list[int]) -> np.ndarray:
        """Image observations ``[n, channels, nrows, ncols]`` of any states (index mode's numbers).

        The app evaluates a CNN on every cell at once with these (the agent placed on each cell).
        """
        states = np.asarray(states, dtype=np.int64).reshape(-1)
        n = len(states)
        out = np.zeros((n, len(IMAGE_CHANNELS), self.nrow * self.ncol), dtype=np.uint8)
        out[:, :len(TILES)] = self._layout_image.reshape(len(TILES), -1)
        out[np.arange(n), AGENT_CHANNEL, states % self.n_cells] = 1
        if self.n_cheeses:
            masks = states // self.n_cells
            eaten = (masks[:, None] >> np.arange(self.n_cheeses)) & 1  # [n, k]
            rows, cheese = np.nonzero(eaten)
            out[rows, EATEN_CHANNEL, self._cheese_cells[cheese]] = 1
        return out.reshape(n, len(IMAGE_CHANNELS), self.nrow, self.ncol)

    def state_of(self, image: np.ndarray) -> int:
        """The state an image observation shows (the inverse of :meth:`images`)."""
        image = np.asarray(image)
        cell = int(np.argmax(image[AGENT_CHANNEL]))
        eaten = image[EATEN_CHANNEL].reshape(-1)[self._cheese_cells] if self.n_cheeses else ()
        mask = sum(1 << i for i, bit in enumerate(eaten) if bit)
        return cell + self.n_cells * mask

    def _observe(self, state: int) -> int | np.ndarray:
        return self.images([state])[0] if self.observation == "image" else state

    # ---- Gymnasium API ------------------------------------------------------------------------
    def reset(self, *, seed: int | None = None,
              options: dict | None = None) -> tuple[int | np.ndarray, dict]:
        super().reset(seed=seed)
        self.s = int(categorical_sample(self.initial_state_distrib, self.np_random))
        self.elapsed_steps = 0
        self.lastaction = None
        return self._observe(self.s), {"prob": 1.0, "cell": self.s % self.n_cells,
                                       "state": self.s}

    def step(self, action: int) -> tuple[int | np.ndarray, float, bool, bool, dict]:
        if not self.action_space.contains(action):
            raise ValueError(f"action must be 0, 1, 2 or 3, got {action!r}")
        outcomes = self.transitions(self.s, action)
        i = categorical_sample([o[0] for o in outcomes], self.np_random)
        p, s, r, terminated = outcomes[i]
        self.s = s
        self.lastaction = int(action)
        self.elapsed_steps += 1
        truncated = self.elapsed_steps >= self.level.max_steps
        return self._observe(s), r, terminated, truncated, {"prob": p, "cell": s % self.n_cells,
                                                            "state": s}

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            gym.logger.warn("You are calling render method without specifying any render mode, "
                            'e.g. gym.make("GridMaze-v0", level=..., render_mode="rgb_array")')
            return None
        from levels import render

        cell, mask = self.s % self.n_cells, self.s // self.n_cells
        if self.render_mode == "ansi":
            return render.ansi(self.level, cell, mask, self.lastaction)
        if self._base_frame is None:
            self._base_frame = render.base_frame(self.level)
        return render.rgb_frame(self.level, self._base_frame, cell, mask)

    def close(self) -> None:
        """Nothing to release: rendering never opens a pygame window."""


class TransitionModel(Mapping):
    """``env.P`` as toy-text code uses it (``P[s][a]``, ``len(P)``, ``for s in P``), built lazily.

    A real dict of lists would cost seconds and gigabytes for the largest levels; this builds the
    list for one state on access from the env's arrays. Read-only: the model follows the level.
    """

    def __init__(self, env: GridMazeEnv) -> None:
        self._env = env

    def __getitem__(self, state: int) -> _StateTransitions:
        try:
            state = int(state)
        except (TypeError, ValueError):
            raise KeyError(state) from None
        if not 0 <= state < self._env.n_states:
            raise KeyError(state)
        return _StateTransitions(self._env, state)

    def __iter__(self) -> Iterator[int]:
        return iter(range(self._env.n_states))

    def __len__(self) -> int:
        return self._env.n_states


class _StateTransitions(Mapping):
    """``P[s]``: action -> list of (prob, next_state, reward, terminated)."""

    def __init__(self, env: GridMazeEnv, state: int) -> None:
        self._env, self._state = env, state

    def __getitem__(self, action: int) -> list[tuple[float, int, float, bool]]:
        try:
            return self._env.transitions(self._state, int(action))
        except (TypeError, ValueError):
            raise KeyError(action) from None

    def __iter__(self) -> Iterator[int]:
        return iter(range(4))

    def __len__(self) -> int:
        return 4


def _reward_range(level: Level) -> tuple[float, float]:
    rw = level.rewards
    values = [0.0, rw.cheese, rw.big_cheese, rw.poison, rw.hole, rw.goal]
    values += [value for _, value in level.cell_rewards]
    return (min(values) + rw.step, max(values) + rw.step)
