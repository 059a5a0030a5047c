"""The heat map's legend: a small colour bar with the values at its ends (and zero), so a colour
on the board reads as a number. It sits right-aligned in the strip the board keeps free under the
grid; ends that left out an outlier are written with ``≤`` / ``≥``.
"""

from __future__ import annotations

import numpy as np
import pygame

from app import colors as C
from app.cellnumbers import TextCache, short_number
from app.heatscale import HEAT_COLORS, HeatScale, legend_ticks

BAR_H = 8
FONT = 14


def _label(scale: HeatScale, value: float, at: float) -> str:
    text = short_number(value)
    if at == 0.0 and scale.clipped_low:
        return "\u2264" + text
    if at == 1.0 and scale.clipped_high:
        return "\u2265" + text
    return text


def draw_heat_legend(surface: pygame.Surface, scale: HeatScale, board_rect: pygame.Rect,
                     text: TextCache) -> pygame.Rect:
    """``V  lo [colour bar] hi`` under the right end of ``board_rect``; returns its box."""
    ticks = legend_ticks(scale)
    title = text.get("V", FONT, C.TEXT_DIM)
    lo_t = text.get(_label(scale, *ticks[0]), FONT, C.TEXT)
    hi_t = text.get(_label(scale, *ticks[-1]), FONT, C.TEXT) if len(ticks) > 1 else None
    w = max(48, min(160, board_rect.w // 3))
    box_w = title.get_width() + 6 + lo_t.get_width() + 4 + w + \
        (4 + hi_t.get_width() if hi_t is not None else 0)
    box = pygame.Rect(board_rect.right - box_w - 2, board_rect.bottom + 4, box_w, FONT)
    x, cy = box.x, box.centery
    surface.blit(title, (x, cy - title.get_height() // 2))
    x += title.get_width() + 6
    surface.blit(lo_t, (x, cy - lo_t.get_height() // 2))
    x += lo_t.get_width() + 4
    bar = pygame.Surface((w, 1))
    colors = HEAT_COLORS[scale.indices(np.linspace(scale.lo, scale.hi, w))]
    pygame.surfarray.blit_array(bar, colors[:, None, :])
    top = cy - BAR_H // 2
    surface.blit(pygame.transform.scale(bar, (w, BAR_H)), (x, top))
    pygame.draw.rect(surface, C.PANEL_BORDER, (x - 1, top - 1, w + 2, BAR_H + 2), 1)
    for _value, at in ticks[2:]:  # zero: a tick on the bar
        tx = x + round(at * (w - 1))
        pygame.draw.line(surface, C.TEXT, (tx, top - 2), (tx, top + BAR_H + 1))
    if hi_t is not None:
        surface.blit(hi_t, (x + w + 4, cy - hi_t.get_height() // 2))
    return box
