"""Line charts drawn with pygame: learning curves, the epsilon schedule, loss and mean Q.

No matplotlib: it would cost a second of start-up and a figure per frame. A chart keeps its last
rendering as a surface and re-renders only when the data changed, and then at most ``max_fps``
times a second, so a chart fed every frame at full training speed costs one blit most frames.
Long histories are reduced to the pixel width first (per-column mean for lines, min-max bands for
the faint raw points), so drawing cost does not grow with the number of episodes.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pygame

from app import colors as C


@dataclass
class Series:
    """One curve. ``style`` "line" is a bold line; "faint" is thin raw data behind a line."""

    label: str
    y: np.ndarray
    x: np.ndarray | None = None  # default: 0, 1, 2, ...
    color: C.RGB = C.CHART_MEAN
    style: str = "line"


def moving_average(y: np.ndarray, window: int) -> np.ndarray:
    """Trailing mean over ``window`` points (shorter at the start, so the curve starts at once)."""
    y = np.asarray(y, dtype=np.float64)
    if y.size == 0:
        return y
    window = max(1, int(window))
    c = np.cumsum(np.insert(y, 0, 0.0))
    idx = np.arange(1, y.size + 1)
    lo = np.maximum(idx - window, 0)
    return (c[idx] - c[lo]) / (idx - lo)


def nice_ticks(lo: float, hi: float, max_ticks: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 x 10^k steps) inside [lo, hi]: at least 2, at most max."""
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    max_ticks = max(2, max_ticks)
    mag = 10.0 ** math.floor(math.log10((hi - lo) / max_ticks))
    steps = [m * mag * k for k in (0.1, 1, 10, 100) for m in (1, 2, 2.5, 5)]
    best: list[float] = []
    for step in steps:  # finest first: keep the first step that fits in max_ticks
        first = math.ceil(lo / step - 1e-9) * step
        n = int(math.floor((hi - first) / step + 1e-9)) + 1
        ticks = [round(first + i * step, 12) for i in range(max(0, n))]
        if len(ticks) <= max_ticks:
            return ticks if len(ticks) >= 2 or not best else best
        best = ticks[:: -(-len(ticks) // max_ticks)]
    return best


def format_tick(v: float) -> str:
    """Short axis labels: 0, 2.5, 1200, 12k, 1.5M, 0.001."""
    a = abs(v)
    if a >= 1e6:
        return f"{v / 1e6:.3g}M"
    if a >= 1e4:
        return f"{v / 1e3:.3g}k"
    if a >= 1 or a == 0:
        return f"{v:.4g}"
    return f"{v:.2g}"


def _columns(px: np.ndarray, py: np.ndarray, width: int) -> tuple[np.ndarray, ...]:
    """Group points by integer pixel column: column x, mean y, min y, max y."""
    col = np.clip(px.astype(np.int64), 0, max(0, width - 1))
    uniq, inv, counts = np.unique(col, return_inverse=True, return_counts=True)
    mean = np.bincount(inv, weights=py) / counts
    lo = np.full(uniq.size, np.inf)
    hi = np.full(uniq.size, -np.inf)
    np.minimum.at(lo, inv, py)
    np.maximum.at(hi, inv, py)
    return uniq.astype(np.float64), mean, lo, hi


class LineChart:
    """A small auto-scaled line chart in a rectangle of the window.

    Args:
        rect: where to draw.
        title: shown top-left (e.g. "return per episode").
        empty_text: shown when there is no data yet.
        max_fps: re-render at most this often when data keeps changing.
        clock: seconds counter; tests inject one.
    """

    def __init__(self, rect: pygame.Rect | tuple, title: str = "",
                 empty_text: str = "no episodes yet", max_fps: float = 5.0,
                 clock: Callable[[], float] = time.perf_counter) -> None:
        self.rect = pygame.Rect(rect)
        self.title = title
        self.empty_text = empty_text
        self.max_fps = max_fps
        self.series: list[Series] = []
        self.marker: tuple[float, float, str] | None = None
        self.y_range: tuple[float, float] | None = None
        self.renders = 0  #: how many times the chart was re-rendered (for tests and benchmarks)
        self._clock = clock
        self._sig: object = None
        self._drawn_sig: object = None
        self._surface: pygame.Surface | None = None
        self._last_render = -1e9
        self._fonts: dict[int, pygame.font.Font] = {}

    # --- data ------------------------------------------------------------------------------------
    def set_rect(self, rect: pygame.Rect | tuple) -> None:
        rect = pygame.Rect(rect)
        if rect.size != self.rect.size:
            self._surface = None
        self.rect = rect

    def set_series(self, series: Sequence[Series], marker: tuple[float, float, str] | None = None,
                   y_range: tuple[float, float] | None = None) -> None:
        """Show these curves (generic mode: loss, mean Q, anything); cheap if nothing changed."""
        self.series = [Series(s.label, np.asarray(s.y, dtype=np.float64),
                              None if s.x is None else np.asarray(s.x, dtype=np.float64),
                              s.color, s.style) for s in series]
        self.marker, self.y_range = marker, y_range
        self._sig = (tuple((s.label, s.color, s.style, s.y.size, hash(s.y.tobytes()),
                            None if s.x is None else hash(s.x.tobytes())) for s in self.series),
                     marker, y_range, self.title, self.empty_text)

    def set_learning_curve(self, returns: np.ndarray, first_episode: int = 1,
                           window: int | None = None, label: str = "return") -> None:
        """Return per episode (faint) and its moving average (bold) for one agent."""
        self.set_learning_curves({label: (returns, first_episode)}, window=window)

    def set_learning_curves(self, curves: Mapping[str, tuple[np.ndarray, int]],
                            window: int | None = None) -> None:
        """Several agents' learning curves overlaid (compare mode), one colour each."""
        out: list[Series] = []
        for i, (label, (returns, first)) in enumerate(curves.items()):
            y = np.asarray(returns, dtype=np.float64)
            x = np.arange(y.size, dtype=np.float64) + first
            color = C.SERIES[i % len(C.SERIES)] if len(curves) > 1 else C.CHART_MEAN
            w = window or int(np.clip(y.size // 10, 5, 100))
            out.append(Series("", y, x, C.mix(color, C.CHART_BG, 0.68), "faint"))
            out.append(Series(label if len(curves) > 1 else f"{label} (mean of {w})",
                              moving_average(y, w), x, color, "line"))
        self.set_series(out)

    def set_epsilon(self, x: np.ndarray, eps: np.ndarray,
                    current: tuple[float, float] | None = None) -> None:
        """The epsilon schedule as a curve, with the current (episode, epsilon) marked."""
        marker = None if current is None else (current[0], current[1], f"\u03b5 = {current[1]:.3f}")
        self.set_series([Series("", eps, x, C.CHART_EPSILON)], marker=marker,
                        y_range=(0.0, 1.0))

    # --- component protocol -----------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        """Rendering happens lazily in ``draw``; nothing to advance."""

    def draw(self, surface: pygame.Surface) -> None:
        """Blit the cached rendering, re-rendering first if the data changed (rate-limited)."""
        now = self._clock()
        stale = self._sig != self._drawn_sig
        if self._surface is None or (stale and now - self._last_render >= 1.0 / self.max_fps):
            self._surface = self._render()
            self._drawn_sig, self._last_render = self._sig, now
            self.renders += 1
        surface.blit(self._surface, self.rect.topleft)

    # --- rendering --------------------------------------------------------------------------------
    def _font(self, size: int) -> pygame.font.Font:
        if size not in self._fonts:
            if not pygame.font.get_init():
                pygame.font.init()
            self._fonts[size] = pygame.font.Font(None, size)
        return self._fonts[size]

    def _render(self) -> pygame.Surface:
        w, h = max(1, self.rect.w), max(1, self.rect.h)
        surf = pygame.Surface((w, h), pygame.SRCALPHA)  # transparent rounded corners
        surf.fill((*C.CHART_BG, 0))
        pygame.draw.rect(surf, C.CHART_BG, (0, 0, w, h), border_radius=6)
        small = self._font(15)
        if self.title:
            surf.blit(self._font(17).render(self.title, True, C.TEXT_DIM), (8, 6))
        pts = [(s, s.y, s.x if s.x is not None else np.arange(s.y.size, dtype=np.float64))
               for s in self.series]
        pts = [(s, y[m], x[m]) for s, y, x in pts if (m := np.isfinite(y) & np.isfinite(x)).any()]
        top = 24 if self.title else 8
        plot = pygame.Rect(44, top, w - 54, h - top - 20)
        if not pts or plot.w < 10 or plot.h < 10:
            text = self._font(18).render(self.empty_text, True, C.TEXT_FAINT)
            surf.blit(text, text.get_rect(center=(w // 2, h // 2 + 6)))
            return surf
        x0 = min(float(x.min()) for _, _, x in pts)
        x1 = max(float(x.max()) for _, _, x in pts)
        if self.y_range is not None:
            y0, y1 = self.y_range
        else:
            y0 = min(float(y.min()) for _, y, _ in pts)
            y1 = max(float(y.max()) for _, y, _ in pts)
            pad = (y1 - y0) * 0.06 or max(abs(y0) * 0.1, 0.5)
            y0, y1 = y0 - pad, y1 + pad
        if x1 <= x0:
            x0, x1 = x0 - 0.5, x1 + 0.5

        def tx(x: np.ndarray | float) -> np.ndarray | float:
            return plot.left + (np.asarray(x) - x0) / (x1 - x0) * (plot.w - 1)

        def ty(y: np.ndarray | float) -> np.ndarray | float:
            return plot.bottom - 1 - (np.asarray(y) - y0) / (y1 - y0) * (plot.h - 1)

        yticks = nice_ticks(y0, y1, max(2, min(5, plot.h // 28)))
        if plot.h < 36:  # a short chart: label only the extremes so labels do not collide
            yticks = [v for v in yticks if v in (yticks[0], yticks[-1])] if plot.h >= 20 else []
        for v in yticks:
            py = int(ty(v))
            pygame.draw.line(surf, C.CHART_GRID, (plot.left, py), (plot.right - 1, py))
            label = small.render(format_tick(v), True, C.TEXT_FAINT)
            surf.blit(label, label.get_rect(midright=(plot.left - 5, py)))
        for v in nice_ticks(x0, x1, max(2, min(6, plot.w // 70))):
            px = int(tx(v))
            pygame.draw.line(surf, C.CHART_AXIS, (px, plot.bottom), (px, plot.bottom + 3))
            label = small.render(format_tick(v), True, C.TEXT_FAINT)
            r = label.get_rect(midtop=(px, plot.bottom + 5))
            surf.blit(label, r.clamp(pygame.Rect(0, 0, w - 4, h)))
        pygame.draw.line(surf, C.CHART_AXIS, plot.bottomleft, (plot.right - 1, plot.bottom))
        pygame.draw.line(surf, C.CHART_AXIS, plot.topleft, plot.bottomleft)

        surf.set_clip(plot.inflate(2, 2))
        for s, y, x in pts:
            col, ymean, ylo, yhi = _columns(tx(x), ty(y), w)
            if s.style == "faint":
                if col.size < y.size:  # several points per pixel column: a min-max band
                    for cx, a, b in zip(col.tolist(), ylo.tolist(), yhi.tolist(), strict=True):
                        pygame.draw.line(surf, s.color, (cx, a), (cx, b))
                elif y.size > 1:
                    pygame.draw.aalines(surf, s.color, False, list(zip(col.tolist(), ymean.tolist(),
                                                                       strict=True)))
                if y.size <= 200:  # few points: show each one
                    for cx, cy in zip(col.tolist(), ymean.tolist(), strict=True):
                        pygame.draw.circle(surf, s.color, (cx, cy), 2)
            elif col.size == 1:
                pygame.draw.circle(surf, s.color, (col[0], ymean[0]), 3)
            else:
                line = list(zip(col.tolist(), ymean.tolist(), strict=True))
                pygame.draw.lines(surf, s.color, False, line, 2)
                pygame.draw.aalines(surf, s.color, False, [(a, b - 1) for a, b in line])
                pygame.draw.aalines(surf, s.color, False, [(a, b + 1) for a, b in line])
        if self.marker is not None:
            mx, my, text = self.marker
            p = (float(tx(mx)), float(ty(my)))
            pygame.draw.circle(surf, C.CHART_MARKER, p, 5)
            pygame.draw.circle(surf, C.CHART_BG, p, 5, 2)
            label = small.render(text, True, C.CHART_MARKER)
            r = label.get_rect(bottomleft=(p[0] + 7, p[1] - 4))
            surf.blit(label, r.clamp(plot))
        surf.set_clip(None)

        legend = [s for s, _, _ in pts if s.label and s.style == "line"]
        if len(legend) == 1 and legend[0].label == self.title:
            legend = []  # the title already names the only curve
        xpos = w - 8
        for s in reversed(legend):
            label = small.render(s.label, True, C.TEXT_DIM)
            xpos -= label.get_width()
            surf.blit(label, (xpos, 8))
            pygame.draw.line(surf, s.color, (xpos - 16, 14), (xpos - 4, 14), 3)
            xpos -= 26
        return surf
