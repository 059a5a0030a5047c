"""The study figure drawn with pygame: mean score per agent against the parameter, with its 95%
band, the points clickable.

The same picture ``main.py study`` saves with matplotlib, drawn directly so it can be redrawn a
few times a second while runs finish (and without importing matplotlib into the app).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pygame

from app import colors as C
from app.agentfactory import label

AGENT_COLOURS = {"sarsa": (86, 156, 224), "expected-sarsa": (230, 96, 96),
                 "q-learning": (110, 200, 120)}
PAD_L, PAD_R, PAD_T, PAD_B = 58, 14, 30, 40
HIT_RADIUS = 9


@dataclass(frozen=True)
class PlotPoint:
    """A drawn point: which agent and parameter value, and where it is on the figure."""

    agent: int
    value: int
    pos: tuple[int, int]


def _ticks(lo: float, hi: float, count: int = 5) -> list[float]:
    """Round numbers spanning [lo, hi]."""
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    mag = 10 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    first = math.ceil(lo / step) * step
    return [first + i * step for i in range(int((hi - first) / step) + 1)]


def _fmt(x: float) -> str:
    return f"{x:.3g}" if abs(x) < 1e4 else f"{x:.2e}"


class StudyFigure:
    """Draws a :class:`agents.study.StudyResult` and finds the point under the mouse."""

    def __init__(self, font: pygame.font.Font) -> None:
        self.font = font
        self.points: list[PlotPoint] = []

    def draw(self, surface: pygame.Surface, result: object | None, note: str = "") -> None:
        """Fill ``surface`` with the figure (or ``note`` when there is nothing to plot yet)."""
        surface.fill(C.PANEL)
        self.points = []
        w, h = surface.get_size()
        plot = pygame.Rect(PAD_L, PAD_T, max(10, w - PAD_L - PAD_R), max(10, h - PAD_T - PAD_B))
        pygame.draw.rect(surface, C.PANEL_BORDER, plot, 1)
        if result is None:
            self._text(surface, note or "no study yet", plot.center, centre=True)
            return
        spec = result.spec
        xs = np.asarray(spec.values, dtype=float)
        stats = [[result.point(a, v) for v in range(len(xs))] for a in range(len(spec.agents))]
        means = np.array([[p["mean"] for p in row] for row in stats])
        halves = np.nan_to_num(np.array([[p["ci95"] for p in row] for row in stats]))
        have = np.isfinite(means)
        if not have.any():
            self._text(surface, note or "waiting for the first runs...", plot.center, centre=True)
            return
        lo = float(np.min((means - halves)[have]))
        hi = float(np.max((means + halves)[have]))
        if hi - lo < 1e-9:
            lo, hi = lo - 1.0, hi + 1.0
        lo, hi = lo - 0.05 * (hi - lo), hi + 0.05 * (hi - lo)
        log_x = len(xs) > 2 and xs.min() > 0 and xs.max() / xs.min() > 50
        fx = np.log10(xs) if log_x else xs
        x0, x1 = float(fx.min()), float(fx.max())
        span = x1 - x0 or 1.0

        def px(i: int) -> int:
            return round(plot.left + 8 + (fx[i] - x0) / span * (plot.width - 16))

        def py(y: float) -> int:
            return round(plot.bottom - (y - lo) / (hi - lo) * plot.height)

        for tick in _ticks(lo, hi):
            y = py(tick)
            pygame.draw.line(surface, C.GRID_LINE, (plot.left + 1, y), (plot.right - 2, y))
            self._text(surface, _fmt(tick), (plot.left - 6, y), right=True)
        step = max(1, len(xs) // 6)
        for i in range(0, len(xs), step):
            self._text(surface, _fmt(xs[i]), (px(i), plot.bottom + 12), centre=True)
        self._text(surface, spec.param.replace("_", " ") + (" (log)" if log_x else ""),
                   (plot.centerx, plot.bottom + 30), centre=True)
        band = pygame.Surface(surface.get_size(), pygame.SRCALPHA)
        for a, kind in enumerate(spec.agents):
            colour = AGENT_COLOURS.get(kind, C.TEXT)
            idx = [i for i in range(len(xs)) if have[a, i]]
            if len(idx) >= 2:
                upper = [(px(i), py(means[a, i] + halves[a, i])) for i in idx]
                lower = [(px(i), py(means[a, i] - halves[a, i])) for i in reversed(idx)]
                pygame.draw.polygon(band, (*colour, 60), upper + lower)
        surface.blit(band, (0, 0))
        for a, kind in enumerate(spec.agents):
            colour = AGENT_COLOURS.get(kind, C.TEXT)
            idx = [i for i in range(len(xs)) if have[a, i]]
            line = [(px(i), py(means[a, i])) for i in idx]
            if len(line) >= 2:
                pygame.draw.lines(surface, colour, False, line, 2)
            for i, pos in zip(idx, line, strict=True):
                pygame.draw.circle(surface, colour, pos, 4)
                self.points.append(PlotPoint(a, i, pos))
            self._text(surface, label(kind), (plot.left + 10 + 130 * a, PAD_T - 14),
                       colour=colour)
        window = ("all episodes" if spec.last is None
                  else f"episodes {spec.episodes - spec.last + 1}-{spec.episodes}")
        self._text(surface, f"mean return ({window}), 95% band", (plot.right, PAD_T - 14),
                   right=True)

    def hit(self, pos: tuple[int, int]) -> PlotPoint | None:
        """The drawn point nearest ``pos`` (figure coordinates) within a few pixels."""
        best, best_d = None, HIT_RADIUS ** 2 + 1
        for point in self.points:
            d = (point.pos[0] - pos[0]) ** 2 + (point.pos[1] - pos[1]) ** 2
            if d < best_d:
                best, best_d = point, d
        return best

    def _text(self, surface: pygame.Surface, text: str, at: tuple[int, int], *,
              centre: bool = False, right: bool = False,
              colour: tuple[int, int, int] | None = None) -> None:
        image = self.font.render(text, True, colour or C.TEXT_DIM)
        rect = image.get_rect()
        if centre:
            rect.center = at
        elif right:
            rect.midright = at
        else:
            rect.midleft = at
        surface.blit(image, rect)
