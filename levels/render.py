"""Pictures of a level for ``render_mode="rgb_array"`` and ``"ansi"``, drawn with numpy only.

No pygame here on purpose: an env that opens pygame also tends to close it (``pygame.quit()`` in
``close()``), which would take the app's window with it. The tile layer is drawn once per level;
each frame copies it and adds the cheeses still uneaten and the agent.
"""

from __future__ import annotations

import numpy as np
from gymnasium.utils import colorize

from levels.level import Level

TILE_COLOURS = {
    "S": (196, 228, 190),  # start: pale green
    ".": (238, 236, 226),  # floor: off-white
    "F": (206, 228, 246),  # frozen floor: ice blue
    "#": (62, 64, 76),  # wall: slate
    "H": (22, 38, 92),  # hole: deep blue
    "G": (46, 170, 80),  # goal: green
    "C": (250, 186, 30),  # big cheese: orange-yellow
    "c": (238, 236, 226),  # small cheese: floor, the cheese is drawn on top while uneaten
    "P": (150, 48, 170),  # poison: purple
}
CHEESE_COLOUR = (250, 206, 40)
AGENT_COLOUR = (150, 72, 40)
GRID_COLOUR = (180, 178, 170)
ACTION_LABELS = ("Left", "Down", "Right", "Up")


def cell_pixels(level: Level) -> int:
    """About 32 px a cell, smaller for big levels so a frame stays near 1024 px a side."""
    return int(np.clip(1024 // max(level.nrows, level.ncols), 8, 32))


def _disc(size: int, radius_frac: float) -> np.ndarray:
    """Boolean mask of a filled disc centred in a ``size`` x ``size`` square."""
    centre = (size - 1) / 2.0
    yy, xx = np.mgrid[0:size, 0:size]
    return (yy - centre) ** 2 + (xx - centre) ** 2 <= (radius_frac * size) ** 2


def base_frame(level: Level) -> np.ndarray:
    """The tiles alone, ``[H, W, 3]`` uint8, with a thin grid line between cells."""
    px = cell_pixels(level)
    palette = np.array([TILE_COLOURS[ch] for ch in "S.F#HGCcP"], dtype=np.uint8)
    index = np.vectorize("S.F#HGCcP".index)(level.tiles_array())
    frame = palette[np.repeat(np.repeat(index, px, axis=0), px, axis=1)]
    frame[::px, :] = GRID_COLOUR
    frame[:, ::px] = GRID_COLOUR
    big = _disc(px, 0.36)
    for r, c in zip(*np.nonzero(level.tiles_array() == "C"), strict=True):
        cell = frame[r * px:(r + 1) * px, c * px:(c + 1) * px]
        cell[big] = (255, 226, 120)  # a lighter wedge of cheese on the orange tile
    return frame


def rgb_frame(level: Level, base: np.ndarray, cell: int, eaten_mask: int) -> np.ndarray:
    """One frame: the tiles, each small cheese not yet eaten, and the agent as a filled disc."""
    px = cell_pixels(level)
    frame = base.copy()
    small = _disc(px, 0.22)
    for i, (r, c) in enumerate(level.small_cheeses):
        if not (eaten_mask >> i) & 1:
            frame[r * px:(r + 1) * px, c * px:(c + 1) * px][small] = CHEESE_COLOUR
    r, c = divmod(cell, level.ncols)
    frame[r * px:(r + 1) * px, c * px:(c + 1) * px][_disc(px, 0.32)] = AGENT_COLOUR
    return frame


def ansi(level: Level, cell: int, eaten_mask: int, last_action: int | None) -> str:
    """The grid as text with the agent's cell highlighted; eaten small cheeses show as floor."""
    rows = [list(row) for row in level.grid]
    for i, (r, c) in enumerate(level.small_cheeses):
        if (eaten_mask >> i) & 1:
            rows[r][c] = "."
    r, c = divmod(cell, level.ncols)
    rows[r][c] = colorize(rows[r][c], "red", highlight=True)
    head = f"  ({ACTION_LABELS[last_action]})\n" if last_action is not None else ""
    return head + "\n".join("".join(row) for row in rows) + "\n"
