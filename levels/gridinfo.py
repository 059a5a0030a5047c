"""What a view needs to draw a grid-shaped env: its shape, state -> cell, and action -> direction.

Action orders differ between envs (FrozenLake left, down, right, up; CliffWalking up, right,
down, left; Taxi south, north, east, west, pickup, dropoff), so arrows must come from the table
here, never from a hard-coded order. Supported: GridMaze, FrozenLake (any map), CliffWalking and
Taxi (its 5x5 yard; the four depots R, G, Y, B are shown as ``G`` tiles, and the layer is
``passenger * 4 + destination``).
"""

from __future__ import annotations

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
    """

    nrows: int
    ncols: int
    action_dirs: tuple[Direction, ...]
    cell: np.ndarray = field(compare=False, repr=False)
    layer: np.ndarray = field(compare=False, repr=False)
    n_layers: int = 1
    tiles: tuple[str, ...] | None = None
    action_names: tuple[str, ...] = ()

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
        return GridInfo(base.nrow, base.ncol, (LEFT, DOWN, RIGHT, UP), cell=np.arange(n),
                        layer=np.zeros(n, dtype=np.int64), tiles=tiles,
                        action_names=("left", "down", "right", "up"))
    if isinstance(base, CliffWalkingEnv):
        nrows, ncols = base.shape
        grid = np.full((nrows, ncols), ".", dtype="<U1")
        grid[base._cliff] = "P"
        grid[np.unravel_index(base.start_state_index, base.shape)] = "S"
        grid[nrows - 1, ncols - 1] = "G"
        n = nrows * ncols
        return GridInfo(nrows, ncols, (UP, RIGHT, DOWN, LEFT), cell=np.arange(n),
                        layer=np.zeros(n, dtype=np.int64),
                        tiles=tuple("".join(row) for row in grid),
                        action_names=("up", "right", "down", "left"))
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
