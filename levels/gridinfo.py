"""What a view needs to draw a grid-shaped env: its shape, state -> cell, and action -> direction.

Action orders differ between envs (FrozenLake left, down, right, up; CliffWalking up, right,
down, left; Taxi south, north, east, west, pickup, dropoff), so arrows must come from the table
here, never from a hard-coded order. Supported: GridMaze, FrozenLake (any map), CliffWalking and
Taxi (its 5x5 yard; the four depots R, G, Y, B are shown as ``G`` tiles, and the layer is
``passenger * 4 + destination``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import gymnasium as gym
import numpy as np

Direction = tuple[int, int] | None

LEFT, DOWN, RIGHT, UP = (0, -1), (1, 0), (0, 1), (-1, 0)


@dataclass(frozen=True)
class GridInfo:
    """The grid behind a discrete env.

    Attributes:
        nrows, ncols: grid shape.
        action_dirs: ``(drow, dcol)`` per action, ``None`` for actions that do not move.
        cell: ``[n_states]`` state -> ``row * ncols + col``.
        layer: ``[n_states]`` state -> layer (GridMaze eaten-cheese mask, Taxi passenger/destination
            index, 0 otherwise). States in one layer share a picture of the grid.
        n_layers: number of layers.
        tiles: level-style letters per row for drawing (``None`` if the env has no such map).
        action_names: one short name per action.
        rewards: ``[nrows, ncols]`` what a move into each cell pays beyond what most moves pay
            (0: nothing special; FrozenLake's goal ``1``, CliffWalking's cliff ``-100``), read
            from the env's own model; ``None`` when rewards do not belong to cells (Taxi).
    """

    nrows: int
    ncols: int
    action_dirs: tuple[Direction, ...]
    cell: np.ndarray = field(compare=False, repr=False)
    layer: np.ndarray = field(compare=False, repr=False)
    n_layers: int = 1
    tiles: tuple[str, ...] | None = None
    action_names: tuple[str, ...] = ()
    rewards: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def n_cells(self) -> int:
        return self.nrows * self.ncols

    @property
    def n_states(self) -> int:
        return len(self.cell)

    def states_in_layer(self, layer: int) -> np.ndarray:
        """``[n_cells]`` state index for each cell within ``layer`` (-1 where there is none)."""
        out = np.full(self.n_cells, -1, dtype=np.int64)
        states = np.flatnonzero(self.layer == layer)
        out[self.cell[states]] = states
        return out

    def position(self, state: int) -> tuple[int, int]:
        """``(row, col)`` of a state."""
        return divmod(int(self.cell[int(state)]), self.ncols)


def grid_info(env: gym.Env) -> GridInfo | None:
    """The :class:`GridInfo` of ``env`` (wrappers are looked through), or None if not a grid."""
    from gymnasium.envs.toy_text.cliffwalking import CliffWalkingEnv
    from gymnasium.envs.toy_text.frozen_lake import FrozenLakeEnv
    from gymnasium.envs.toy_text.taxi import TaxiEnv

    from levels.gridmaze import ACTION_NAMES, GridMazeEnv

    base = env.unwrapped
    if isinstance(base, GridMazeEnv):
        states = np.arange(base.n_states)
        return GridInfo(base.nrow, base.ncol, (LEFT, DOWN, RIGHT, UP),
                        cell=states % base.n_cells, layer=states // base.n_cells,
                        n_layers=2**base.n_cheeses, tiles=base.level.grid,
                        action_names=ACTION_NAMES)
    if isinstance(base, FrozenLakeEnv):
        tiles = tuple(b"".join(row).decode("ascii") for row in base.desc)
        n = base.nrow * base.ncol
        dirs = (LEFT, DOWN, RIGHT, UP)
        return GridInfo(base.nrow, base.ncol, dirs, cell=np.arange(n),
                        layer=np.zeros(n, dtype=np.int64), tiles=tiles,
                        action_names=("left", "down", "right", "up"),
                        rewards=entry_rewards(base.P, base.nrow, base.ncol, dirs))
    if isinstance(base, CliffWalkingEnv):
        nrows, ncols = base.shape
        grid = np.full((nrows, ncols), ".", dtype="<U1")
        grid[base._cliff] = "P"
        grid[np.unravel_index(base.start_state_index, base.shape)] = "S"
        grid[nrows - 1, ncols - 1] = "G"
        n = nrows * ncols
        dirs = (UP, RIGHT, DOWN, LEFT)
        return GridInfo(nrows, ncols, dirs, cell=np.arange(n),
                        layer=np.zeros(n, dtype=np.int64),
                        tiles=tuple("".join(row) for row in grid),
                        action_names=("up", "right", "down", "left"),
                        rewards=entry_rewards(base.P, nrows, ncols, dirs))
    if isinstance(base, TaxiEnv):
        # state = ((row * 5 + col) * 5 + passenger) * 4 + destination
        states = np.arange(base.observation_space.n)
        grid = np.full((5, 5), ".", dtype="<U1")
        for r, c in base.locs:
            grid[r, c] = "G"
        return GridInfo(5, 5, (DOWN, UP, RIGHT, LEFT, None, None), cell=states // 20,
                        layer=states % 20, n_layers=20, tiles=tuple("".join(row) for row in grid),
                        action_names=("south", "north", "east", "west", "pickup", "dropoff"))
    return None


def entry_rewards(model: dict, nrows: int, ncols: int,
                  action_dirs: tuple[Direction, ...]) -> np.ndarray | None:
    """What a move into each cell pays beyond the reward most moves pay, from a toy-text model.

    ``model`` is Gymnasium's ``P[s][a] = [(prob, next_state, reward, terminated), ...]`` of an env
    whose states are cells: one outcome per move, or three for a slippery one, the moves
    ``(a - 1) % 4, a, (a + 1) % 4`` in that order (FrozenLake, CliffWalking). The cell a move
    enters is worked out from its direction, not from ``next_state``, because CliffWalking sends
    a walker who steps into the cliff back to the start. An absorbing state's self-loop enters
    nothing. None when the model does not have that shape.
    """
    paid: dict[tuple[int, int], list[float]] = {}
    for state, by_action in model.items():
        row, col = divmod(int(state), ncols)
        for action, outcomes in by_action.items():
            if len(outcomes) == 1:
                moves = [action]
            elif len(outcomes) == 3:
                moves = [(action - 1) % 4, action, (action + 1) % 4]
            else:
                return None
            for move, (_p, next_state, reward, terminated) in zip(moves, outcomes, strict=True):
                if terminated and next_state == state:
                    continue
                direction = action_dirs[move]
                if direction is None:
                    return None
                cell = (min(max(row + direction[0], 0), nrows - 1),
                        min(max(col + direction[1], 0), ncols - 1))
                paid.setdefault(cell, []).append(float(reward))
    if not paid:
        return None
    common = Counter(r for rewards in paid.values() for r in rewards).most_common(1)[0][0]
    out = np.zeros((nrows, ncols), dtype=np.float64)
    for (row, col), rewards in paid.items():
        usual = Counter(rewards).most_common(1)[0][0]
        if usual != common:
            out[row, col] = usual
    return out
