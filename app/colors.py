"""The app's palette: one place for every colour, so the board, charts and panels agree.

A dark, calm base (in the spirit of the "One Dark" editor theme) with a few saturated accents that
each mean one thing: green = good / positive value, red = bad / negative, gold = the exact optimum,
blue = the start and the trail, yellow = cheese, purple = poison. Colours are plain RGB tuples so
they work with pygame, numpy colour tables and pygame_gui themes (via :func:`hex_color`).
"""

from __future__ import annotations

RGB = tuple[int, int, int]


def hex_color(rgb: RGB) -> str:
    """``(30, 33, 39)`` -> ``"#1e2127"``, for pygame_gui JSON themes."""
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def mix(a: RGB, b: RGB, t: float) -> RGB:
    """Linear blend from ``a`` (t=0) to ``b`` (t=1), clamped."""
    t = 0.0 if t < 0 else 1.0 if t > 1 else t
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


# --- window and panels ---------------------------------------------------------------------------
BACKGROUND: RGB = (30, 33, 39)  # #1e2127
PANEL: RGB = (36, 40, 47)  # #24282f
PANEL_BORDER: RGB = (52, 57, 67)
TEXT: RGB = (220, 223, 228)  # #dcdfe4
TEXT_DIM: RGB = (140, 146, 158)
TEXT_FAINT: RGB = (96, 102, 114)
ACCENT: RGB = (97, 175, 239)  # #61afef
WARNING: RGB = (229, 192, 123)
ERROR: RGB = (224, 108, 117)  # #e06c75

# --- board tiles ---------------------------------------------------------------------------------
FLOOR: RGB = (43, 48, 59)  # #2b303b
FROZEN: RGB = (53, 65, 84)  # FrozenLake 'F' as it looks on the floor (palette swatches)
FROZEN_TINT: RGB = (80, 110, 150)  # drawn at alpha 70 over the floor / heat map
GRID_LINE: RGB = (35, 39, 48)
WALL: RGB = (108, 116, 132)  # #6c7484
WALL_LIGHT: RGB = (132, 140, 156)
WALL_DARK: RGB = (84, 91, 106)
START: RGB = ACCENT  # blue pad
HOLE: RGB = (14, 16, 20)
HOLE_RIM: RGB = (70, 76, 90)
GOAL: RGB = (152, 195, 121)  # #98c379 green flag
GOAL_POLE: RGB = (200, 204, 212)
CHEESE: RGB = (240, 200, 90)
CHEESE_DARK: RGB = (196, 150, 48)
POISON: RGB = (198, 120, 221)  # #c678dd
POISON_DARK: RGB = (120, 64, 140)
POISON_MARK: RGB = (240, 232, 246)

# --- agent (a mouse seen from above) -------------------------------------------------------------
MOUSE_BODY: RGB = (200, 204, 212)
MOUSE_EAR: RGB = (176, 180, 190)
MOUSE_EAR_INNER: RGB = (232, 150, 170)
MOUSE_EYE: RGB = (24, 26, 30)
MOUSE_OUTLINE: RGB = (20, 22, 26)

# --- value overlays ------------------------------------------------------------------------------
Q_NEG: RGB = (232, 96, 108)  # arrow of a negative Q-value
Q_ZERO: RGB = (128, 134, 146)  # arrow of a Q-value near zero
Q_POS: RGB = (120, 214, 110)  # arrow of a positive Q-value
HEAT_NEG: RGB = (150, 52, 72)  # V heat map, most negative
HEAT_POS: RGB = (46, 110, 190)  # V heat map, most positive
POLICY: RGB = (236, 238, 242)  # greedy-policy arrow
POLICY_OUTLINE: RGB = MOUSE_OUTLINE
OPTIMAL: RGB = (232, 180, 60)  # value-iteration policy (gold outline)
VISITS_TEXT: RGB = (170, 176, 188)
VISITS_SHADE: RGB = (255, 255, 255)
TRAIL: RGB = ACCENT
TRACE: RGB = (255, 150, 40)  # eligibility traces (orange, as strong as the trace)
DYNA: RGB = (90, 220, 200)  # Dyna's model (teal: faint where known, bright where just planned)
HOVER: RGB = POLICY
PROBLEM: RGB = (232, 84, 96)

# --- charts --------------------------------------------------------------------------------------
CHART_BG: RGB = (33, 37, 44)
CHART_AXIS: RGB = (92, 99, 112)
CHART_GRID: RGB = (46, 51, 61)
CHART_RAW: RGB = (86, 118, 150)  # faint per-episode returns
CHART_MEAN: RGB = ACCENT  # bold moving average
CHART_EPSILON: RGB = WARNING
CHART_MARKER: RGB = HOVER
# Distinct series colours for multi-series / compare mode, in a colour-blind friendly-ish order:
# blue, amber, green, purple, red, cyan.
SERIES: tuple[RGB, ...] = (ACCENT, WARNING, GOAL, POISON, ERROR, (86, 182, 194))

# Tile letter -> flat colour: used for tiny cells, the editor's palette swatches and previews.
TILE_COLORS: dict[str, RGB] = {
    "S": START,
    ".": FLOOR,
    "F": FROZEN,
    "#": WALL,
    "H": HOLE,
    "G": GOAL,
    "C": CHEESE,
    "c": CHEESE,
    "P": POISON,
}
