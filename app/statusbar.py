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

BG = (27, 31, 37)
BORDER = (48, 54, 63)
TEXT = (200, 207, 217)
MUTED = (130, 139, 152)
KIND_COLOURS = {
    "info": (163, 190, 140),
    "warn": (235, 203, 139),
    "error": (224, 108, 117),
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
