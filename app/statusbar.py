"""The status bar along the bottom of the window: where training is, and what just went wrong.

The left half always shows the training counters (episode, steps, steps/s, epsilon, agent); the
right half shows the newest notice for a few seconds, or — while the level is invalid — the
level's problem in red until it is fixed. Text surfaces are cached, so an unchanged bar costs a
couple of blits a frame.
"""

from __future__ import annotations

import collections
import time

import pygame

from app import colors as C

BG = (25, 28, 33)
BORDER = C.PANEL_BORDER
TEXT = C.TEXT
MUTED = C.TEXT_DIM
KIND_COLOURS = {
    "info": C.GOAL,
    "warn": C.WARNING,
    "error": C.ERROR,
}


class RateMeter:
    """Steps per second over the last ``window_s`` seconds (a ring of (time, total) samples)."""

    def __init__(self, window_s: float = 1.0) -> None:
        self.window_s = window_s
        self._samples: collections.deque[tuple[float, int]] = collections.deque(maxlen=600)

    def add(self, total: int, now: float | None = None) -> None:
        """Record the running total of steps at time ``now``."""
        now = time.perf_counter() if now is None else now
        self._samples.append((now, total))
        while len(self._samples) > 2 and now - self._samples[1][0] > self.window_s:
            self._samples.popleft()

    def reset(self) -> None:
        self._samples.clear()

    @property
    def rate(self) -> float:
        """Steps per second, 0 until two samples span some time."""
        if len(self._samples) < 2:
            return 0.0
        (t0, n0), (t1, n1) = self._samples[0], self._samples[-1]
        return (n1 - n0) / (t1 - t0) if t1 > t0 else 0.0


class StatusBar:
    """Training counters on the left; notices and level problems on the right."""

    HEIGHT = 28

    def __init__(self, font: pygame.font.Font) -> None:
        self.font = font
        self.rect = pygame.Rect(0, 0, 0, self.HEIGHT)
        self.stats_text = ""
        self.notice_text = ""
        self.notice_kind = "info"
        self._notice_left = 0.0
        self.problem_text: str | None = None
        self._cache: dict[tuple[str, tuple[int, int, int]], pygame.Surface] = {}

    # -- content -------------------------------------------------------------------------------
    def set_stats(
        self,
        *,
        episode: int,
        steps: int,
        steps_per_s: float,
        epsilon: float | None = None,
        extra: str = "",
    ) -> None:
        """The counters shown on the left (called every frame; formatting is cheap)."""
        parts = [f"Episode {episode:,}", f"Steps {steps:,}", f"{steps_per_s:,.0f} steps/s"]
        if epsilon is not None:
            parts.append(f"\u03b5 {epsilon:.3f}")
        if extra:
            parts.append(extra)
        self.stats_text = "   \u00b7   ".join(parts)

    def notify(self, text: str, kind: str = "info", seconds: float = 6.0) -> None:
        """Show ``text`` on the right for ``seconds`` (kind: info, warn or error)."""
        self.notice_text = text
        self.notice_kind = kind if kind in KIND_COLOURS else "info"
        self._notice_left = seconds

    def set_problem(self, text: str | None) -> None:
        """A lasting problem (invalid level): shown in red until cleared with None."""
        self.problem_text = text

    @property
    def message(self) -> str:
        """What the right half shows now (tests read this)."""
        if self.problem_text:
            return self.problem_text
        return self.notice_text if self._notice_left > 0 else ""

    # -- component protocol --------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        if self._notice_left > 0:
            self._notice_left -= dt

    def _render(self, text: str, colour: tuple[int, int, int]) -> pygame.Surface:
        key = (text, colour)
        surface = self._cache.get(key)
        if surface is None:
            if len(self._cache) > 64:
                self._cache.clear()
            surface = self.font.render(text, True, colour)
            self._cache[key] = surface
        return surface

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(BG, self.rect)
        pygame.draw.line(surface, BORDER, self.rect.topleft, self.rect.topright)
        y = self.rect.centery
        stats = self._render(self.stats_text, TEXT)
        surface.blit(stats, stats.get_rect(midleft=(self.rect.left + 12, y)))
        message = self.message
        if message:
            kind = "error" if self.problem_text else self.notice_kind
            text = self._render(message, KIND_COLOURS[kind])
            room = self.rect.width - stats.get_width() - 48
            if text.get_width() > room > 40:
                text = text.subsurface((0, 0, room, text.get_height()))
            surface.blit(text, text.get_rect(midright=(self.rect.right - 12, y)))


# --- the info strip under the board ---------------------------------------------------------------
ARROWS = {"left": "\u2190", "down": "\u2193", "right": "\u2192", "up": "\u2191"}


def _num(x: float) -> str:
    """Three decimals, the course's way of writing Q-values (``1`` stays ``1`` for rewards)."""
    return f"{x:.3f}"


def _reward(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.3f}"


def format_td_update(update: object, action_names: tuple[str, ...], kind: str) -> list[str]:
    """The last TD update as arithmetic, e.g.
    ``Q(s0, right) <- 0.000 + 0.10 x (1 + 0.99 x 0.000 - 0.000) = 0.100``,
    then the TD target and TD error named, then where the bootstrap value came from.
    """
    u = update
    a = action_names[u.action] if u.action < len(action_names) else str(u.action)  # type: ignore[attr-defined]
    s, s2 = f"s{u.state}", f"s{u.next_state}"  # type: ignore[attr-defined]
    r, g = _reward(u.reward), f"{u.gamma:.2f}"  # type: ignore[attr-defined]
    line1 = (f"Q({s}, {a}) <- {_num(u.old_q)} + {u.alpha:.2f} x ({r} + {g} x "  # type: ignore[attr-defined]
             f"{_num(u.bootstrap)} - {_num(u.old_q)}) = {_num(u.new_q)}")  # type: ignore[attr-defined]
    line2 = (f"TD target = {r} + {g} x {_num(u.bootstrap)} = {_num(u.target)}    "  # type: ignore[attr-defined]
             f"TD error = {_num(u.target)} - {_num(u.old_q)} = {_num(u.td_error)}")  # type: ignore[attr-defined]
    if u.terminated:  # type: ignore[attr-defined]
        source = f"{s2} is terminal, so nothing is bootstrapped"
    elif kind == "sarsa":
        source = f"bootstrap = Q({s2}, a') for the action SARSA takes next"
    elif kind == "expected-sarsa":
        source = f"bootstrap = expected Q({s2}, .) under the \u03b5-greedy policy"
    else:
        source = f"bootstrap = max over a of Q({s2}, a)"
    line3 = f"reward {r} for {a} from {s} to {s2};  {source}"
    return [line1, line2, line3]


class InfoStrip:
    """Two read-outs under the board: the last update as arithmetic, and the hovered cell.

    The arithmetic is what the course writes on the board; it is shown at slow speed (<= 20
    steps/s), while stepping and while driving by hand. At higher speed a line says so.
    """

    def __init__(self, font: pygame.font.Font, title_font: pygame.font.Font) -> None:
        self.font = font
        self.title_font = title_font
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.arithmetic: list[str] = []
        self.arithmetic_note = "Press N or Right arrow to take one step and see its update here."
        self.hover: list[str] = []
        self._cache: dict[tuple[str, tuple[int, int, int]], pygame.Surface] = {}

    @property
    def arithmetic_text(self) -> str:
        """Everything the arithmetic box shows, one string (tests read this)."""
        return "\n".join(self.arithmetic) if self.arithmetic else self.arithmetic_note

    @property
    def hover_text(self) -> str:
        return "\n".join(self.hover)

    def set_arithmetic(self, lines: list[str], note: str = "") -> None:
        self.arithmetic = list(lines)
        self.arithmetic_note = note

    def set_hover(self, lines: list[str]) -> None:
        self.hover = list(lines)

    def process_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        pass

    def _render(self, text: str, colour: tuple[int, int, int], font: pygame.font.Font
                ) -> pygame.Surface:
        key = (text, colour)
        surface = self._cache.get(key)
        if surface is None:
            if len(self._cache) > 256:
                self._cache.clear()
            surface = font.render(text, True, colour)
            self._cache[key] = surface
        return surface

    def _box(self, surface: pygame.Surface, rect: pygame.Rect, title: str, lines: list[str],
             colours: list[tuple[int, int, int]]) -> None:
        pygame.draw.rect(surface, (25, 28, 33), rect, border_radius=6)
        pygame.draw.rect(surface, C.PANEL_BORDER, rect, 1, border_radius=6)
        title_surf = self._render(title, C.ACCENT, self.title_font)
        surface.blit(title_surf, (rect.x + 10, rect.y + 5))
        y = rect.y + 7 + title_surf.get_height()
        clip = surface.get_clip()
        surface.set_clip(rect.inflate(-8, -4))
        for line, colour in zip(lines, colours, strict=False):
            text = self._render(line, colour, self.font)
            surface.blit(text, (rect.x + 10, y))
            y += self.font.get_linesize()
        surface.set_clip(clip)

    def draw(self, surface: pygame.Surface) -> None:
        if self.rect.width <= 0:
            return
        hover_w = min(330, max(250, self.rect.width // 3))
        left = pygame.Rect(self.rect.x, self.rect.y, self.rect.width - hover_w - 8,
                           self.rect.height)
        right = pygame.Rect(left.right + 8, self.rect.y, hover_w, self.rect.height)
        if self.arithmetic:
            lines = self.arithmetic
            colours = [C.TEXT, C.WARNING, C.TEXT_DIM]
        else:
            lines, colours = [self.arithmetic_note], [C.TEXT_DIM]
        self._box(surface, left, "LAST UPDATE", lines, colours)
        hover = self.hover or ["Hover a cell to see its Q-values,", "visits and last TD errors."]
        hover_colours = [C.TEXT] * len(hover) if self.hover else [C.TEXT_DIM] * 2
        self._box(surface, right, "CELL UNDER THE MOUSE", hover, hover_colours)
