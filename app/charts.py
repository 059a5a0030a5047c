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


def _decimals(x: float) -> int:
    """How many decimals write ``x`` exactly (2.5 -> 1, 0.002 -> 3, 2000 -> 0; at most 6)."""
    for d in range(7):
        if abs(round(x, d) - x) <= 1e-9 * max(1.0, abs(x)):
            return d
    return 6


def format_tick(v: float, step: float | None = None) -> str:
    """Short axis labels: 0, 2.5, 1200, 12k, 1.5M, 0.001.

    With ``step`` (the distance between ticks) the labels keep as many decimals as the step
    needs, so neighbouring ticks never read the same ("1.470M", "1.472M", not "1.47M" twice).
    """
    a = abs(v)
    for scale, suffix, threshold in ((1e6, "M", 1e6), (1e3, "k", 1e4)):
        if a >= threshold:
            if step is None:
                return f"{v / scale:.3g}{suffix}"
            return f"{v / scale:.{_decimals(step / scale)}f}{suffix}"
    if step is not None and a >= 1:
        return f"{v:.{_decimals(step)}f}"
    if a >= 1 or a == 0:
        return f"{v:.4g}"
    return f"{v:.2g}"


def _hits(rect: pygame.Rect, lines: Sequence[tuple[np.ndarray, np.ndarray]]) -> bool:
    """True if any drawn curve (pixel x, y arrays, x ascending) passes through ``rect``."""
    for xs, ys in lines:
        inside = (xs >= rect.left) & (xs < rect.right)
        if xs.size == 1:
            if inside.any() and rect.top <= ys[0] < rect.bottom:
                return True
            continue
        # every segment whose x-span meets the rect: its y-span against the rect's
        seg = ((xs[1:] >= rect.left) & (xs[:-1] < rect.right)) | inside[1:] | inside[:-1]
        lo = np.minimum(ys[1:], ys[:-1])[seg]
        hi = np.maximum(ys[1:], ys[:-1])[seg]
        if ((hi >= rect.top - 1) & (lo <= rect.bottom)).any():
            return True
    return False


def place_label(size: tuple[int, int], point: tuple[float, float], plot: pygame.Rect,
                lines: Sequence[tuple[np.ndarray, np.ndarray]]) -> pygame.Rect:
    """Where a marker's label reads best: beside the marker, inside the plot, clear of the
    curves and of the marker itself; failing that, the free spot along the top or bottom edge
    nearest to the marker; failing that, above right of it (clamped to the plot)."""
    w, h = size
    px, py = point
    area = plot.inflate(-6, -4)
    dot = pygame.Rect(0, 0, 12, 12)
    dot.center = (round(px), round(py))

    def fit(r: pygame.Rect) -> pygame.Rect:
        return r.clamp(area)

    def free(r: pygame.Rect) -> bool:
        return area.contains(r) and not r.colliderect(dot) and not _hits(r, lines)

    x, y = round(px), round(py)
    beside = [pygame.Rect(x + 8, y - 4 - h, w, h), pygame.Rect(x + 8, y + 4, w, h),
              pygame.Rect(x - 8 - w, y - 4 - h, w, h), pygame.Rect(x - 8 - w, y + 4, w, h)]
    for r in beside:
        r = fit(r)
        if free(r):
            return r
    along = []
    for top in (area.top, area.bottom - h):
        for left in range(area.left, area.right - w + 1, 4):
            along.append(pygame.Rect(left, top, w, h))
    along.sort(key=lambda r: abs(r.centerx - px) + abs(r.centery - py))
    for r in along:
        if free(r):
            return r
    return fit(beside[0])


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


@dataclass(frozen=True)
class _Axes:
    """Where data values land in the plot rectangle."""

    plot: pygame.Rect
    x0: float
    x1: float
    y0: float
    y1: float

    def px(self, x: np.ndarray | float) -> np.ndarray | float:
        return self.plot.left + (np.asarray(x) - self.x0) / (self.x1 - self.x0) * (self.plot.w - 1)

    def py(self, y: np.ndarray | float) -> np.ndarray | float:
        return self.plot.bottom - 1 - (np.asarray(y) - self.y0) / (self.y1 - self.y0) \
            * (self.plot.h - 1)


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
        self.whole_x = False  #: x counts whole things (episodes, steps): whole-number ticks only
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

    def set_title(self, title: str) -> None:
        """The text top-left (a chart with a new title re-renders)."""
        self.title = title

    def set_series(self, series: Sequence[Series], marker: tuple[float, float, str] | None = None,
                   y_range: tuple[float, float] | None = None) -> None:
        """Show these curves (generic mode: loss, mean Q, anything); cheap if nothing changed."""
        self.whole_x = False
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

    def set_learning_curves(self, curves: Mapping[str, tuple[np.ndarray, int | np.ndarray]],
                            window: int | None = None) -> None:
        """Several agents' learning curves overlaid (compare mode), one colour each.

        Each curve is ``(returns, first_episode)`` (x = episode numbers) or ``(returns, x)``
        with an x value per return (compare mode: the env step each episode ended at).
        """
        out: list[Series] = []
        for i, (label, (returns, first)) in enumerate(curves.items()):
            y = np.asarray(returns, dtype=np.float64)
            x = np.asarray(first, dtype=np.float64) if np.ndim(first) else \
                np.arange(y.size, dtype=np.float64) + first
            color = C.SERIES[i % len(C.SERIES)] if len(curves) > 1 else C.CHART_MEAN
            w = window or int(np.clip(y.size // 10, 5, 100))
            faint = 0.68 if len(curves) == 1 else 0.8  # overlaid bands: fainter, lines read
            out.append(Series("", y, x, C.mix(color, C.CHART_BG, faint), "faint"))
            out.append(Series(label if len(curves) > 1 else f"{label} (mean of {w})",
                              moving_average(y, w), x, color, "line"))
        self.set_series(out)
        self.whole_x = True

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
        axes = self._axes(plot, pts)
        small = self._font(15)
        self._draw_axes(surf, axes, small)
        surf.set_clip(plot.inflate(2, 2))
        drawn = self._draw_curves(surf, axes, pts)
        if self.marker is not None:
            mx, my, text = self.marker
            p = (float(axes.px(mx)), float(axes.py(my)))
            pygame.draw.circle(surf, C.CHART_MARKER, p, 5)
            pygame.draw.circle(surf, C.CHART_BG, p, 5, 2)
            label = small.render(text, True, C.CHART_MARKER)
            surf.blit(label, place_label(label.get_size(), p, plot, drawn))
        surf.set_clip(None)
        self._draw_legend(surf, [s for s, _, _ in pts], small)
        return surf

    def _axes(self, plot: pygame.Rect, pts: list[tuple[Series, np.ndarray, np.ndarray]]) -> _Axes:
        """The data ranges the plot shows: all points, y padded by 6 % (or ``y_range``)."""
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
        return _Axes(plot, x0, x1, y0, y1)

    def _draw_axes(self, surf: pygame.Surface, axes: _Axes, small: pygame.font.Font) -> None:
        """Grid lines with y labels, x ticks with labels, the two axis lines."""
        plot = axes.plot
        w, h = surf.get_size()
        yticks = nice_ticks(axes.y0, axes.y1, max(2, min(5, plot.h // 28)))
        if plot.h < 36:  # a short chart: label only the extremes so labels do not collide
            yticks = [v for v in yticks if v in (yticks[0], yticks[-1])] if plot.h >= 20 else []
        ystep = yticks[1] - yticks[0] if len(yticks) > 1 else None
        for v in yticks:
            py = int(axes.py(v))
            pygame.draw.line(surf, C.CHART_GRID, (plot.left, py), (plot.right - 1, py))
            label = small.render(format_tick(v, ystep), True, C.TEXT_FAINT)
            surf.blit(label, label.get_rect(midright=(plot.left - 5, py)))
        xticks = nice_ticks(axes.x0, axes.x1, max(2, min(6, plot.w // 70)))
        if self.whole_x:  # episodes and steps: no "episode 0.5" between two whole ones
            xticks = [v for v in xticks if float(v).is_integer()]
        xstep = xticks[1] - xticks[0] if len(xticks) > 1 else None
        for v in xticks:
            px = int(axes.px(v))
            pygame.draw.line(surf, C.CHART_AXIS, (px, plot.bottom), (px, plot.bottom + 3))
            label = small.render(format_tick(v, xstep), True, C.TEXT_FAINT)
            r = label.get_rect(midtop=(px, plot.bottom + 5))
            surf.blit(label, r.clamp(pygame.Rect(0, 0, w - 4, h)))
        pygame.draw.line(surf, C.CHART_AXIS, plot.bottomleft, (plot.right - 1, plot.bottom))
        pygame.draw.line(surf, C.CHART_AXIS, plot.topleft, plot.bottomleft)

    @staticmethod
    def _draw_curves(surf: pygame.Surface, axes: _Axes,
                     pts: list[tuple[Series, np.ndarray, np.ndarray]]
                     ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Every series in its style; returns the pixel curves (the marker's label avoids them)."""
        w = surf.get_width()
        drawn: list[tuple[np.ndarray, np.ndarray]] = []
        for s, y, x in pts:
            col, ymean, ylo, yhi = _columns(axes.px(x), axes.py(y), w)
            if s.style == "faint" and col.size < y.size:  # a band: low-high in every column
                drawn.append((np.repeat(col, 2), np.column_stack([ylo, yhi]).ravel()))
            else:
                drawn.append((col, ymean))
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
        return drawn

    def _draw_legend(self, surf: pygame.Surface, shown: list[Series],
                     small: pygame.font.Font) -> None:
        """Top right: a swatch and the label of each bold curve (none when the title names it)."""
        legend = [s for s in shown if s.label and s.style == "line"]
        if len(legend) == 1 and legend[0].label == self.title:
            legend = []  # the title already names the only curve
        xpos = surf.get_width() - 8
        for s in reversed(legend):
            label = small.render(s.label, True, C.TEXT_DIM)
            xpos -= label.get_width()
            surf.blit(label, (xpos, 8))
            pygame.draw.line(surf, s.color, (xpos - 16, 14), (xpos - 4, 14), 3)
            xpos -= 26
