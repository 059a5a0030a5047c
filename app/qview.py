"""Per-cell arrays the board draws, from a Q-table and a GridInfo (pure numpy, no pygame).

Each env orders its actions differently (FrozenLake left, down, right, up; CliffWalking up, right,
down, left; Taxi south, north, east, west, pickup, dropoff), so nothing here assumes an order: every
action is placed by its ``(drow, dcol)`` in ``info.action_dirs``. The board then only ever sees
*screen* directions, indexed as in :data:`DIRS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Screen directions as (drow, dcol), indexed 0 left, 1 down, 2 right, 3 up.
DIRS: tuple[tuple[int, int], ...] = ((0, -1), (1, 0), (0, 1), (-1, 0))
DIR_NAMES: tuple[str, ...] = ("left", "down", "right", "up")
LEFT, DOWN, RIGHT, UP = 0, 1, 2, 3
_DIR_INDEX = {d: i for i, d in enumerate(DIRS)}


@dataclass
class CellValues:
    """What a board needs to draw values for one layer of a grid env.

    Attributes:
        q_dir: [nrows, ncols, 4] Q-value of moving left/down/right/up (screen terms); nan where the
            cell has no state in this layer or the env has no such move.
        value: [nrows, ncols] max over *all* actions (non-moves such as Taxi's pickup included); nan
            where the cell has no state.
        greedy_dirs: [nrows, ncols] int, screen direction of the single best move; -1 when there is
            no state, the best action is not a move, or every move ties (nothing learnt yet).
        greedy_mask: [nrows, ncols] uint8, bit ``d`` set when direction ``d`` is among the best
            actions; 0 when the best action is not a move or every available move ties.
        visits: [nrows, ncols] visit count of the cell summed over all layers (where the agent
            went, whatever cheese it had eaten), or None.
        last_td: [nrows, ncols, 4] last TD error per screen direction (nan if never), or None.
        gap: [nrows, ncols] how much better the best move is than the second best (0 on ties,
            nan where the cell has fewer than two moves): how sure the greedy policy is.
    """

    q_dir: np.ndarray
    value: np.ndarray
    greedy_dirs: np.ndarray
    greedy_mask: np.ndarray
    visits: np.ndarray | None = None
    last_td: np.ndarray | None = None
    gap: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return self.value.shape  # type: ignore[return-value]


def dir_of_actions(action_dirs: Sequence[tuple[int, int] | None]) -> np.ndarray:
    """Screen direction index per action (-1 for a non-move such as pickup or a diagonal)."""
    out = np.full(len(action_dirs), -1, dtype=np.int64)
    for a, d in enumerate(action_dirs):
        if d is not None:
            out[a] = _DIR_INDEX.get((int(d[0]), int(d[1])), -1)
    return out


def _per_dir(table: np.ndarray, cell_states: np.ndarray, adir: np.ndarray) -> np.ndarray:
    """Scatter ``table[state, action]`` to ``[n_cells, 4]`` by screen direction (max on clashes)."""
    n_cells = cell_states.shape[0]
    out = np.full((n_cells, 4), np.nan)
    has = cell_states >= 0
    rows = table[cell_states[has]]  # [k, A]
    for a, d in enumerate(adir.tolist()):
        if d < 0:
            continue
        col = out[has, d]
        out[has, d] = np.where(np.isnan(col), rows[:, a], np.fmax(col, rows[:, a]))
    return out


def cell_values(
    q: np.ndarray,
    info: Any,
    layer: int = 0,
    visits: np.ndarray | None = None,
    last_td: np.ndarray | None = None,
    atol: float = 1e-12,
) -> CellValues:
    """Map a Q-table ``[S, A]`` onto the cells of ``info``'s grid for one layer.

    Args:
        q: Q-table, one row per state, one column per action (in the env's own order).
        info: a ``levels.gridinfo.GridInfo`` (nrows, ncols, action_dirs, cell, states_in_layer).
        layer: which layer to show (cheese mask for GridMaze, passenger/destination for Taxi).
        visits: optional visit count per state ``[S]``.
        last_td: optional last TD error per state and action ``[S, A]``.
        atol: Q-values closer than this to the best count as ties.

    Returns:
        CellValues in screen directions.
    """
    q = np.asarray(q, dtype=np.float64)
    nrows, ncols = int(info.nrows), int(info.ncols)
    n_cells = nrows * ncols
    if q.ndim != 2 or q.shape[1] != len(info.action_dirs):
        raise ValueError(
            f"Q-table has shape {q.shape} but the env has {len(info.action_dirs)} actions"
        )
    cell_states = np.asarray(info.states_in_layer(layer), dtype=np.int64).reshape(-1)
    if cell_states.shape[0] != n_cells:
        raise ValueError(f"states_in_layer gave {cell_states.shape[0]} cells, expected {n_cells}")
    adir = dir_of_actions(info.action_dirs)
    q_dir = _per_dir(q, cell_states, adir)
    value, greedy, mask = _greedy(q, cell_states, adir, atol)
    vis = None
    if visits is not None:
        vis = _visits_per_cell(visits, info).reshape(nrows, ncols)
    td = None
    if last_td is not None:
        td = _per_dir(np.asarray(last_td, dtype=np.float64), cell_states, adir)
        td = td.reshape(nrows, ncols, 4)
    return CellValues(
        q_dir=q_dir.reshape(nrows, ncols, 4),
        value=value.reshape(nrows, ncols),
        greedy_dirs=greedy.reshape(nrows, ncols),
        greedy_mask=mask.reshape(nrows, ncols),
        visits=vis,
        last_td=td,
        gap=_gap(q_dir).reshape(nrows, ncols),
    )


def _greedy(q: np.ndarray, cell_states: np.ndarray, adir: np.ndarray,
            atol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per cell: V (the best Q), the single greedy direction (-1: none or a tie) and the mask of
    every best direction (0 when a best action is not a move or all moves tie)."""
    n_cells = cell_states.shape[0]
    has = cell_states >= 0
    value = np.full(n_cells, np.nan)
    greedy = np.full(n_cells, -1, dtype=np.int64)
    mask = np.zeros(n_cells, dtype=np.uint8)
    if has.any() and q.shape[1] > 0:
        rows = q[cell_states[has]]  # [k, A]
        best = rows.max(axis=1)
        value[has] = best
        is_best = rows >= best[:, None] - atol  # [k, A]
        moves = adir >= 0
        m = np.zeros(rows.shape[0], dtype=np.uint8)
        for a, d in enumerate(adir.tolist()):
            if d >= 0:
                m |= np.where(is_best[:, a], np.uint8(1 << d), np.uint8(0))
        # A best action that is not a move, or all moves tied, means: no arrow to show.
        nonmove_best = (is_best & ~moves[None, :]).any(axis=1)
        n_moves_best = (is_best & moves[None, :]).sum(axis=1)
        all_tied = n_moves_best == moves.sum()
        m[nonmove_best | all_tied] = 0
        mask[has] = m
        single = (n_moves_best == 1) & ~nonmove_best & ~all_tied
        first = np.argmax(is_best & moves[None, :], axis=1)
        g = np.where(single, adir[first], -1)
        greedy[has] = g
    return value, greedy, mask


def _visits_per_cell(visits: np.ndarray, info: Any) -> np.ndarray:
    """Visits summed over every layer of each cell (flat, one per cell)."""
    n_cells = int(info.nrows) * int(info.ncols)
    v = np.asarray(visits, dtype=np.float64).reshape(-1)
    cells = np.asarray(info.cell, dtype=np.int64).reshape(-1)
    return np.bincount(cells, weights=v[: cells.shape[0]], minlength=n_cells)[:n_cells]


def _gap(q_dir: np.ndarray) -> np.ndarray:
    """Best minus second-best Q per cell (NaN with fewer than two moves)."""
    top2 = -np.sort(-np.where(np.isnan(q_dir), -np.inf, q_dir), axis=1)[:, :2]
    with np.errstate(invalid="ignore"):
        return np.where(np.isfinite(top2).all(axis=1), top2[:, 0] - top2[:, 1], np.nan)


def per_cell(by_state: np.ndarray, info: Any, layer: int = 0) -> np.ndarray:
    """A per-state array ``[S]`` as ``[nrows, ncols]`` for one layer (nan where no state)."""
    nrows, ncols = int(info.nrows), int(info.ncols)
    cell_states = np.asarray(info.states_in_layer(layer), dtype=np.int64).reshape(-1)
    out = np.full(cell_states.shape[0], np.nan)
    has = cell_states >= 0
    out[has] = np.asarray(by_state, dtype=np.float64)[cell_states[has]]
    return out.reshape(nrows, ncols)


def states_to_cells(states: Iterable[int], info: Any) -> list[tuple[int, int]]:
    """Turn a list of states (e.g. a trail) into ``(row, col)`` cells, dropping repeats in a row."""
    cells = np.asarray(info.cell, dtype=np.int64)
    ncols = int(info.ncols)
    out: list[tuple[int, int]] = []
    for s in states:
        c = int(cells[int(s)])
        rc = (c // ncols, c % ncols)
        if not out or out[-1] != rc:
            out.append(rc)
    return out


def mask_from_dirs(dirs: np.ndarray) -> np.ndarray:
    """A greedy-dirs array (-1 = none) as a bit mask, for callers that only have single dirs."""
    dirs = np.asarray(dirs)
    return np.where(dirs >= 0, np.left_shift(1, np.clip(dirs, 0, 3)), 0).astype(np.uint8)
