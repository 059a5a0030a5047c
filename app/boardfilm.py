"""GIF frames of a grid world drawn by the board itself: the same tiles, mouse, arrows, heat map,
numbers and trail the window shows, rather than the env's plain ``rgb_array`` picture.

A :class:`BoardFilm` is a ``render`` for :class:`app.recorder.GreedyRecording`: called with the
observation after each greedy step (and every observation of the episode so far), it draws the
board off screen with the agent there and the path behind it. The Q-table is fixed while filming
(a greedy episode learns nothing), so the values of each layer are computed once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from typing import Any

import numpy as np
import pygame

from app.board import LEGEND_STRIP, Board, BoardView, Overlays
from app.qview import CellValues, cell_values, states_to_cells
from levels.gridinfo import GridInfo

FILM_WIDTH = 640  #: the GIF's width in px (cells are sized to fill it, within the limits below)
MIN_FILM_CELL, MAX_FILM_CELL = 8, 96


class BoardFilm:
    """Draws film frames of a grid env's board.

    Args:
        info: the env's ``levels.gridinfo.GridInfo``.
        tiles: the rows of tile letters the board draws.
        q: the agent's Q-table ``[S, A]``, or None (no values: tiles, agent and trail only).
        overlays: the overlays to draw (the app's current choice).
        quiet_tiles, rewards, reward_cells: as in :class:`app.board.BoardView`.
        eaten: small-cheese cells eaten in a layer (GridMaze), for the cheese to vanish.
        optimal_mask: the optimal policy's mask for a layer, or None.
    """

    def __init__(self, info: GridInfo, tiles: Sequence[str], q: np.ndarray | None,
                 overlays: Overlays, quiet_tiles: str = "HGCP",
                 rewards: np.ndarray | None = None,
                 reward_cells: Sequence[tuple[tuple[int, int], float]] = (),
                 eaten: Callable[[int], Collection[tuple[int, int]]] = lambda _layer: (),
                 optimal_mask: Callable[[int], np.ndarray | None] = lambda _layer: None) -> None:
        self.info = info
        self.q = None if q is None else np.array(q, dtype=np.float64)
        cell = min(MAX_FILM_CELL, max(MIN_FILM_CELL, FILM_WIDTH // max(1, info.ncols)))
        size = (cell * info.ncols, cell * info.nrows + LEGEND_STRIP)
        self.surface = pygame.Surface(size)
        self.board = Board(pygame.Rect((0, 0), size), info.nrows, info.ncols)
        self.board.arrow_interval = 0.0  # every frame is final: no throttling
        self._base = BoardView(tiles=tuple(tiles), overlays=replace(overlays),
                               quiet_tiles=quiet_tiles, rewards=rewards,
                               reward_cells=tuple(reward_cells))
        self._eaten, self._optimal = eaten, optimal_mask
        self._values: dict[int, CellValues] = {}

    def values(self, layer: int) -> CellValues | None:
        if self.q is None:
            return None
        if layer not in self._values:
            self._values[layer] = cell_values(self.q, self.info, layer)
        return self._values[layer]

    def __call__(self, obs: Any, seen: Sequence[Any]) -> pygame.Surface:
        """The board with the agent on ``obs`` and the episode's path so far behind it."""
        state = int(obs)
        layer = int(self.info.layer[state])
        ov = self._base.overlays
        assert ov is not None
        view = replace(self._base, values=self.values(layer),
                       agent_pos=self.info.position(state),
                       eaten=frozenset(self._eaten(layer)),
                       trail=states_to_cells(seen, self.info) if ov.trail else (),
                       optimal_mask=self._optimal(layer) if ov.optimal else None)
        self.board.draw(self.surface, view)
        return self.surface
