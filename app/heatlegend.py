"""The heat map's legend: a small colour bar with the values at its ends (and zero), so a colour
on the board reads as a number. It sits right-aligned in the strip the board keeps free under the
grid; ends that left out an outlier are written with ``≤`` / ``≥``. The legend is drawn once per
distinct look (labels, bar) and blitted from a cache every frame.
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


class HeatLegend:
    """``V  lo [colour bar] hi`` under the right end of the grid."""

    def __init__(self) -> None:
        self._text = TextCache()
        self._key: tuple | None = None
        self._surface: pygame.Surface | None = None

    def draw(self, surface: pygame.Surface, scale: HeatScale,
             board_rect: pygame.Rect) -> pygame.Rect:
        """Draw the legend of ``scale`` under ``board_rect``; returns where it went."""
        ticks = legend_ticks(scale)
        labels = tuple(_label(scale, v, at) for v, at in ticks[:2])
        w = max(48, min(160, board_rect.w // 3))
        look = (labels, round(ticks[2][1], 2) if len(ticks) > 2 else None, w,
                scale.lo > 0, scale.hi < 0, scale.lo == scale.hi)
        if look != self._key or self._surface is None:
            self._surface = self._render(scale, ticks, labels, w)
            self._key = look
        legend = self._surface
        box = legend.get_rect(topright=(board_rect.right - 2, board_rect.bottom + 4))
        surface.blit(legend, box)
        return box

    def _render(self, scale: HeatScale, ticks: list, labels: tuple, w: int) -> pygame.Surface:
        title = self._text.get("V", FONT, C.TEXT_DIM)
        parts = [self._text.get(label, FONT, C.TEXT) for label in labels]
        width = title.get_width() + 6 + parts[0].get_width() + 4 + w + \
            sum(4 + p.get_width() for p in parts[1:])
        height = max(BAR_H + 4, max(p.get_height() for p in parts))
        out = pygame.Surface((width, height), pygame.SRCALPHA)
        cy = height // 2
        out.blit(title, (0, cy - title.get_height() // 2))
        x = title.get_width() + 6
        out.blit(parts[0], (x, cy - parts[0].get_height() // 2))
        x += parts[0].get_width() + 4
        bar = pygame.Surface((w, 1))
        colors = HEAT_COLORS[scale.indices(np.linspace(scale.lo, scale.hi, w))]
        pygame.surfarray.blit_array(bar, colors[:, None, :])
        top = cy - BAR_H // 2
        out.blit(pygame.transform.scale(bar, (w, BAR_H)), (x, top))
        pygame.draw.rect(out, C.PANEL_BORDER, (x - 1, top - 1, w + 2, BAR_H + 2), 1)
        for _value, at in ticks[2:]:  # zero: a tick on the bar
            tx = x + round(at * (w - 1))
            pygame.draw.line(out, C.TEXT, (tx, top - 2), (tx, top + BAR_H + 1))
        for part in parts[1:]:
            out.blit(part, (x + w + 4, cy - part.get_height() // 2))
        return out
