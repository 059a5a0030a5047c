"""The status bar along the bottom of the window: where training is, and what just went wrong.

The left half always shows the training counters (episode, steps, steps/s, epsilon, agent); the
right half shows the newest notice for a few seconds, or — while the level is invalid — the
level's problem in red until it is fixed. Text surfaces are cached, so an unchanged bar costs a
couple of blits a frame.
"""

from __future__ import annotations

import collections
import time
from typing import Any

import pygame

from app import colors as C

BG = (25, 28, 33)
CARD_BG = (25, 28, 33)
BORDER = C.PANEL_BORDER
TEXT = C.TEXT
MUTED = C.TEXT_DIM
KIND_COLOURS = {
    "info": C.GOAL,
    "warn": C.WARNING,
    "error": C.ERROR,
}


ELLIPSIS = "\u2026"
PAD = 12  # bar edge to text
GAP = 36  # counters to notice

STEP_NOTE = "Press N or Right arrow to take one step and see its update here."

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
        self._fitted: dict[tuple[str, int], str] = {}
        # Where the last draw put things (tests measure them): the notice as shown (may end in
        # "…"), its rect, the counters' rect, and the full-text card (None unless hovered).
        self.shown_notice = ""
        self.notice_rect = pygame.Rect(0, 0, 0, 0)
        self.stats_rect = pygame.Rect(0, 0, 0, 0)
        self.tooltip_rect: pygame.Rect | None = None

    def set_rect(self, rect: pygame.Rect) -> None:
        self.rect = pygame.Rect(rect)

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

    def _fit(self, text: str, width: int) -> str:
        """``text``, or its longest start that fits ``width`` pixels followed by "…" (cached)."""
        key = (text, width)
        fitted = self._fitted.get(key)
        if fitted is None:
            if len(self._fitted) > 64:
                self._fitted.clear()
            fitted = text
            if self.font.size(text)[0] > width:
                lo, hi = 0, len(text)  # longest prefix n with prefix + "…" inside width
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if self.font.size(text[:mid].rstrip() + ELLIPSIS)[0] <= width:
                        lo = mid
                    else:
                        hi = mid - 1
                fitted = text[:lo].rstrip() + ELLIPSIS
            self._fitted[key] = fitted
        return fitted

    def draw(self, surface: pygame.Surface) -> None:
        """Counters left, notice right; a notice too long for the room ends in "…" and shows in
        full in a card above the bar while the mouse is over it (the status bar never wraps)."""
        rect = self.rect
        surface.fill(BG, rect)
        pygame.draw.line(surface, BORDER, rect.topleft, rect.topright)
        y = rect.centery
        inner = rect.width - 2 * PAD
        message = self.message
        stats_w = self.font.size(self.stats_text)[0]
        note_w = 0
        self.shown_notice = ""
        self.notice_rect = pygame.Rect(rect.right - PAD, rect.y, 0, rect.height)
        self.tooltip_rect = None
        if message:
            kind = "error" if self.problem_text else self.notice_kind
            # The notice gets what the counters leave, but never less than a third of the bar:
            # the counters are never cut at the app's window sizes; a cut notice shows whole
            # on hover.
            room = max(inner - stats_w - GAP, inner // 3)
            self.shown_notice = self._fit(message, max(room, 0))
            text = self._render(self.shown_notice, KIND_COLOURS[kind])
            self.notice_rect = text.get_rect(midright=(rect.right - PAD, y))  # unclipped
            surface.blit(text, self.notice_rect)
            note_w = text.get_width() + GAP
        stats = self._render(self._fit(self.stats_text, max(inner - note_w, 0)), TEXT)
        self.stats_rect = stats.get_rect(midleft=(rect.left + PAD, y))
        surface.blit(stats, self.stats_rect)
        mouse = pygame.mouse.get_pos() if pygame.display.get_init() else (-1, -1)
        if self.shown_notice != message and self.notice_rect.collidepoint(mouse):
            self._draw_full_notice(surface, message, KIND_COLOURS[kind])

    def _draw_full_notice(self, surface: pygame.Surface, message: str,
                          colour: tuple[int, int, int]) -> None:
        """The whole of a cut notice, wrapped in a card just above the bar's right end."""
        width = min(self.rect.width - 2 * PAD, 520)
        lines, line = [], ""
        for word in message.split(" "):
            candidate = f"{line} {word}" if line else word
            if line and self.font.size(candidate)[0] > width - 20:
                lines.append(line)
                candidate = word
            line = candidate
        lines.append(line)
        texts = [self._render(self._fit(t, width - 20), colour) for t in lines]
        h = len(texts) * (self.font.get_linesize() + 1) + 12
        card = pygame.Rect(0, 0, max(t.get_width() for t in texts) + 20, h)
        card.bottomright = (self.rect.right - PAD // 2, self.rect.top - 4)
        card.clamp_ip(surface.get_rect())
        pygame.draw.rect(surface, CARD_BG, card, border_radius=6)
        pygame.draw.rect(surface, BORDER, card, 1, border_radius=6)
        self.tooltip_rect = card
        ty = card.y + 6
        for t in texts:
            surface.blit(t, (card.x + 10, ty))
            ty += self.font.get_linesize() + 1


# --- the info strip under the board ---------------------------------------------------------------
ARROWS = {"left": "\u2190", "down": "\u2193", "right": "\u2192", "up": "\u2191"}


def _num(x: float) -> str:
    """Three decimals, the course's way of writing Q-values (``1`` stays ``1`` for rewards)."""
    return f"{x:.3f}"


def _reward(x: float) -> str:
    return f"{x:g}" if float(x).is_integer() else f"{x:.3f}"


def format_td_update(update: object, action_names: tuple[str, ...], kind: str) -> list[str]:
    """The last TD update as the course writes it, then the TD target and TD error named, e.g.

    ``Q(s0, right) <- 0.000 + 0.10 x (1 + 0.99 x 0.000 - 0.000) = 0.100``
    ``TD target = 1 + 0.99 x 0.000 = 1.000   (bootstrap = max over a of Q(s7, a))``
    ``TD error  = 1.000 - 0.000 = 1.000``
    """
    u: Any = update
    a = action_names[u.action] if u.action < len(action_names) else str(u.action)
    s, s2 = f"s{u.state}", f"s{u.next_state}"
    r, g = _reward(u.reward), f"{u.gamma:.2f}"
    e = getattr(u, "eligibility", 1.0)
    trace = "" if e == 1.0 else f" x e {e:.3f}"  # an accumulating trace above 1
    line1 = (f"Q({s}, {a}) <- {_num(u.old_q)} + {u.alpha:.2f} x ({r} + {g} x "
             f"{_num(u.bootstrap)} - {_num(u.old_q)}){trace} = {_num(u.new_q)}")
    if u.terminated:
        source = f"{s2} is terminal: nothing to bootstrap"
    elif kind == "sarsa":
        source = f"bootstrap = Q({s2}, a') for the action SARSA takes next"
    elif kind == "expected-sarsa":
        source = f"bootstrap = expected Q({s2}, a) under \u03b5-greedy"
    else:
        source = f"bootstrap = max over a of Q({s2}, a)"
    line2 = f"TD target = {r} + {g} x {_num(u.bootstrap)} = {_num(u.target)}    ({source})"
    line3 = f"TD error  = {_num(u.target)} - {_num(u.old_q)} = {_num(u.td_error)}"
    return [line1, line2, line3]


class InfoStrip:
    """The box under the board that shows the last update as arithmetic, plus the hover card.

    The arithmetic is what the course writes on the board; it is shown at slow speed (<= 20
    steps/s), while stepping and while driving by hand. The hover card floats next to the cell
    under the mouse with its four Q-values, visit count and last TD errors.
    """

    def __init__(self, font: pygame.font.Font, title_font: pygame.font.Font,
                 card_font: pygame.font.Font | None = None) -> None:
        self.font = font
        self.card_font = card_font or font
        self.title_font = title_font
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.title = "LAST UPDATE"
        self.arithmetic: list[str] = []
        self.arithmetic_note = STEP_NOTE
        self.hover: list[str] = []
        self.problem: list[str] | None = None
        self._cache: dict[tuple[str, tuple[int, int, int], int], pygame.Surface] = {}
        self._wrapped: dict[tuple[str, int], list[str]] = {}

    @property
    def arithmetic_text(self) -> str:
        """Everything the arithmetic box shows, one string (tests read this)."""
        return "\n".join(self.arithmetic) if self.arithmetic else self.arithmetic_note

    @property
    def hover_text(self) -> str:
        return "\n".join(self.hover)

    def set_rect(self, rect: pygame.Rect) -> None:
        self.rect = pygame.Rect(rect)

    def set_title(self, title: str) -> None:
        """The box's heading ("LAST UPDATE", or a DQN's device)."""
        self.title = title

    def set_arithmetic(self, lines: list[str], note: str = "") -> None:
        self.arithmetic = list(lines)
        self.arithmetic_note = note

    def set_hover(self, lines: list[str]) -> None:
        self.hover = list(lines)

    def set_problem(self, lines: list[str] | None) -> None:
        """While the level is invalid the box explains why instead of showing arithmetic."""
        self.problem = list(lines) if lines else None

    def process_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        pass

    def _render(self, text: str, colour: tuple[int, int, int], font: pygame.font.Font
                ) -> pygame.Surface:
        key = (text, colour, id(font))
        surface = self._cache.get(key)
        if surface is None:
            if len(self._cache) > 256:
                self._cache.clear()
            surface = font.render(text, True, colour)
            self._cache[key] = surface
        return surface

    def _wrap(self, text: str, width: int) -> list[str]:
        """``text`` broken into lines of at most ``width`` pixels (at spaces; cached)."""
        key = (text, width)
        lines = self._wrapped.get(key)
        if lines is None:
            if len(self._wrapped) > 64:
                self._wrapped.clear()
            lines, line = [], ""
            for word in text.split(" "):
                candidate = f"{line} {word}" if line else word
                if line and self.font.size(candidate)[0] > width:
                    lines.append(line)
                    candidate = word
                line = candidate
            lines.append(line)
            self._wrapped[key] = lines
        return lines

    def draw(self, surface: pygame.Surface) -> None:
        """The arithmetic box."""
        rect = self.rect
        if rect.width <= 0 or rect.height <= 0:
            return
        pygame.draw.rect(surface, CARD_BG, rect, border_radius=6)
        pygame.draw.rect(surface, C.PANEL_BORDER, rect, 1, border_radius=6)
        if self.problem:
            title = self._render("LEVEL PROBLEM", C.ERROR, self.title_font)
            lines, colours = self.problem, [C.ERROR] + [C.TEXT_DIM] * (len(self.problem) - 1)
        else:
            title = self._render(self.title, C.ACCENT, self.title_font)
        surface.blit(title, (rect.x + 12, rect.y + 6))
        if self.problem:
            pass
        elif self.arithmetic:
            lines, colours = self.arithmetic, [C.TEXT, C.WARNING, C.WARNING]
        else:
            lines = self._wrap(self.arithmetic_note, rect.width - 24)
            colours = [C.TEXT_DIM] * len(lines)
        clip = surface.get_clip()
        surface.set_clip(rect.inflate(-8, -4))
        y = rect.y + 10 + title.get_height()
        for line, colour in zip(lines, colours, strict=False):
            surface.blit(self._render(line, colour, self.font), (rect.x + 12, y))
            y += self.font.get_linesize() + 1
        surface.set_clip(clip)

    def draw_hover_card(self, surface: pygame.Surface, cell_rect: pygame.Rect,
                        bounds: pygame.Rect) -> None:
        """The hovered cell's numbers in a small card beside the cell, kept inside ``bounds``."""
        if not self.hover:
            return
        font = self.card_font
        texts = [self._render(line, C.TEXT if i else C.ACCENT, font)
                 for i, line in enumerate(self.hover)]
        w = max(t.get_width() for t in texts) + 20
        h = len(texts) * (font.get_linesize() + 1) + 14
        card = pygame.Rect(0, 0, w, h)
        card.midleft = (cell_rect.right + 10, cell_rect.centery)
        if card.right > bounds.right:
            card.midright = (cell_rect.left - 10, cell_rect.centery)
        if card.left < bounds.left:
            card.midtop = (cell_rect.centerx, cell_rect.bottom + 8)
            if card.bottom > bounds.bottom:
                card.midbottom = (cell_rect.centerx, cell_rect.top - 8)
        card.clamp_ip(bounds)
        shadow = card.move(3, 4)
        pygame.draw.rect(surface, (10, 11, 14), shadow, border_radius=6)
        pygame.draw.rect(surface, CARD_BG, card, border_radius=6)
        pygame.draw.rect(surface, C.PANEL_BORDER, card, 1, border_radius=6)
        y = card.y + 7
        for text in texts:
            surface.blit(text, (card.x + 10, y))
            y += font.get_linesize() + 1
