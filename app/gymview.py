"""Any Gymnasium env on screen: its own frame, and below it what the agent thinks of each action.

Envs that are not grids (CartPole, MountainCar, Acrobot, ...) have no board to draw arrows on, so
the view shows the env's ``rgb_array`` frame, scaled to fit and letterboxed, and one bar per action
for the Q-value of the current state, the chosen action highlighted and every value printed. The
scaled frame is cached until a new frame or a new size arrives; text is cached by string, so an
unchanged view costs a few blits a frame.

Taxi is shown with this view (its frame) next to a 5x5 board drawn by :mod:`app.board` for the
current passenger/destination layer (``GridInfo.layer[state]``); :func:`taxi_situation` names that
layer for a caption.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pygame

from app import colors as C

BAR: C.RGB = C.CHART_RAW  #: bar of an action that was not chosen
HIGHLIGHT: C.RGB = C.CHART_EPSILON  #: bar of the chosen action (amber)
HIGHLIGHT_ROW: C.RGB = C.mix(C.PANEL, C.CHART_EPSILON, 0.14)
ZERO_LINE: C.RGB = C.CHART_AXIS
LETTERBOX: C.RGB = C.BACKGROUND

ROW_HEIGHT = 22  #: one action's bar row, in pixels
PAD = 8
_TAXI_DEPOTS = ("R", "G", "Y", "B")  # Taxi's four depots, in the env's ``locs`` order


def taxi_situation(layer: int) -> str:
    """Name Taxi's ``passenger * 4 + destination`` layer, e.g. "passenger at R, to G"."""
    passenger, destination = divmod(int(layer), 4)
    if not (0 <= passenger <= 4 and 0 <= destination <= 3):
        raise ValueError(f"a Taxi layer is between 0 and 19, got {layer}")
    where = "in the taxi" if passenger == 4 else f"at {_TAXI_DEPOTS[passenger]}"
    return f"passenger {where}, to {_TAXI_DEPOTS[destination]}"


def fit_rect(size: tuple[int, int], box: pygame.Rect) -> pygame.Rect:
    """The largest rect of ``size``'s aspect ratio that fits in ``box``, centred in it."""
    w, h = size
    if w <= 0 or h <= 0 or box.width <= 0 or box.height <= 0:
        return pygame.Rect(box.center, (0, 0))
    scale = min(box.width / w, box.height / h)
    out = pygame.Rect(0, 0, max(1, round(w * scale)), max(1, round(h * scale)))
    out.center = box.center
    return out


def format_q(value: float) -> str:
    """A Q-value in at most ~7 characters: 3 decimals when small, fewer as it grows."""
    if not math.isfinite(value):
        return "nan" if math.isnan(value) else ("+inf" if value > 0 else "-inf")
    size = abs(value)
    if size >= 10_000:
        return f"{value:+.2e}"
    if size >= 100:
        return f"{value:+.1f}"
    return f"{value:+.3f}"


class GymView:
    """An env frame scaled into a rect, with a Q-value bar per action below it.

    Args:
        rect: where to draw (screen coordinates).
        font: font for labels and values; a default font of 18 px is made on first draw if None.
    """

    def __init__(self, rect: pygame.Rect | tuple[int, int, int, int],
                 font: pygame.font.Font | None = None) -> None:
        self.rect = pygame.Rect(rect)
        self.font = font
        self.caption = ""
        self._frame: pygame.Surface | None = None
        self._scaled: pygame.Surface | None = None
        self._scaled_rect = pygame.Rect(0, 0, 0, 0)
        self.q: list[float] | None = None
        self.chosen: int | None = None
        self.action_names: tuple[str, ...] = ()
        self._text: dict[tuple[str, C.RGB], pygame.Surface] = {}
        self._inputs: pygame.Surface | None = None

    # -- content -------------------------------------------------------------------------------
    def set_rect(self, rect: pygame.Rect | tuple[int, int, int, int]) -> None:
        """Move or resize the view (the scaled frame is rebuilt on the next draw)."""
        rect = pygame.Rect(rect)
        if rect != self.rect:
            self.rect = rect
            self._scaled = None

    def set_frame(self, frame: np.ndarray | None) -> None:
        """Show ``frame`` (``[H, W, 3]`` uint8, as ``env.render()`` gives it); None clears it.

        Raises:
            ValueError: the frame is not an ``[H, W, 3]`` uint8 array.
        """
        if frame is None:
            self._frame = self._scaled = None
            return
        if not (isinstance(frame, np.ndarray) and frame.ndim == 3 and frame.shape[2] == 3
                and frame.dtype == np.uint8):
            shape = getattr(frame, "shape", None)
            raise ValueError(f"a frame must be an [H, W, 3] uint8 array, got "
                             f"{type(frame).__name__} of shape {shape}")
        pixels = frame.swapaxes(0, 1)  # surfarray is [x, y]; swapping is pixel-exact
        if self._frame is not None and self._frame.get_size() == pixels.shape[:2]:
            pygame.surfarray.blit_array(self._frame, pixels)  # reuse the surface of equal size
        else:
            self._frame = pygame.surfarray.make_surface(pixels)
        self._scaled = None

    def set_q(self, q_values: Sequence[float] | np.ndarray | None, chosen: int | None,
              action_names: Sequence[str]) -> None:
        """Bars for ``q_values`` (one per action), ``chosen`` highlighted; None: names, no bars."""
        self.action_names = tuple(str(n) for n in action_names)
        if q_values is None:
            self.q = None
        else:
            values = np.asarray(q_values, dtype=np.float64).reshape(-1)
            if self.action_names and len(values) != len(self.action_names):
                raise ValueError(f"got {len(values)} Q-values for {len(self.action_names)} "
                                 f"actions")
            self.q = values.tolist()
            if not self.action_names:
                self.action_names = tuple(f"action {a}" for a in range(len(self.q)))
        n = len(self.action_names)
        self.chosen = int(chosen) if chosen is not None and 0 <= int(chosen) < n else None

    def set_inputs(self, obs: np.ndarray | None) -> None:
        """"What the network sees": stacked grayscale frames (``[k, H, W]`` uint8, k <= 8, as an
        Atari DQN gets them) drawn small, side by side under the game frame, oldest first.
        Anything else (a vector, a grid image) clears the strip."""
        if not (isinstance(obs, np.ndarray) and obs.ndim == 3 and obs.dtype == np.uint8
                and obs.shape[0] <= 8 and min(obs.shape[1:]) >= 36):
            self._inputs = None
            return
        strip = np.concatenate([np.pad(f, ((0, 0), (0, 4))) for f in obs], axis=1)[:, :-4]
        pixels = np.repeat(strip.T[:, :, None], 3, axis=2)  # [x, y, rgb] for surfarray
        if self._inputs is not None and self._inputs.get_size() == pixels.shape[:2]:
            pygame.surfarray.blit_array(self._inputs, pixels)
        else:
            self._inputs = pygame.surfarray.make_surface(pixels)

    @property
    def inputs_rect(self) -> pygame.Rect:
        """Where the network's input strip goes: the bottom of the frame area (empty without)."""
        if self._inputs is None:
            return pygame.Rect(self.rect.left, self.bars_rect.top, 0, 0)
        bars = self.bars_rect
        width, height = self._inputs.get_size()
        scale = min(1.0, (self.rect.width - 2 * PAD) / width)
        size = (int(width * scale), int(height * scale))
        return pygame.Rect(self.rect.centerx - size[0] // 2, bars.top - size[1] - ROW_HEIGHT,
                           *size)

    def set_caption(self, text: str) -> None:
        """One line above the bars (e.g. "step 42 · return 41.0" or a Taxi situation)."""
        self.caption = str(text)

    # -- layout --------------------------------------------------------------------------------
    @property
    def bars_rect(self) -> pygame.Rect:
        """Where the caption and bars go: the bottom of the view, one row per action."""
        rows = len(self.action_names) + (1 if self.caption or self.action_names else 0)
        height = min(self.rect.height // 2, rows * ROW_HEIGHT + (2 * PAD if rows else 0))
        return pygame.Rect(self.rect.left, self.rect.bottom - height, self.rect.width, height)

    @property
    def frame_rect(self) -> pygame.Rect:
        """Where the (scaled, letterboxed) frame goes: everything above the bars."""
        bars = self.bars_rect
        strip = self.inputs_rect.height + ROW_HEIGHT + PAD if self._inputs is not None else 0
        return pygame.Rect(self.rect.left, self.rect.top, self.rect.width,
                           self.rect.height - bars.height - strip)

    @property
    def image_rect(self) -> pygame.Rect:
        """The pixels the scaled frame covers (empty without a frame)."""
        if self._frame is None:
            return pygame.Rect(self.frame_rect.center, (0, 0))
        return fit_rect(self._frame.get_size(), self.frame_rect.inflate(-2 * PAD, -2 * PAD))

    # -- component protocol --------------------------------------------------------------------
    def process_event(self, event: pygame.event.Event) -> bool:
        """The view takes no input."""
        return False

    def update(self, dt: float) -> None:
        """Nothing moves on its own."""

    def draw(self, surface: pygame.Surface) -> None:
        surface.fill(C.PANEL, self.rect)
        frame_area = self.frame_rect
        surface.fill(LETTERBOX, frame_area.inflate(-PAD, -PAD))
        if self._frame is not None:
            target = self.image_rect
            if self._scaled is None or self._scaled_rect.size != target.size:
                self._scaled = self._scale(self._frame, target.size)
                self._scaled_rect = target
            surface.blit(self._scaled, target)
        if self._inputs is not None:
            strip = self.inputs_rect
            label = self._render("what the network sees: the stacked frames, oldest first",
                                 C.TEXT_DIM)
            surface.blit(label, (strip.left, strip.top - ROW_HEIGHT + 2))
            surface.blit(pygame.transform.scale(self._inputs, strip.size), strip)
        self._draw_bars(surface, self.bars_rect)

    # -- drawing -------------------------------------------------------------------------------
    @staticmethod
    def _scale(frame: pygame.Surface, size: tuple[int, int]) -> pygame.Surface:
        """Nearest-neighbour when enlarging (crisp pixel art), smooth when shrinking."""
        if size == frame.get_size():
            return frame.copy()
        if size[0] >= frame.get_width():
            return pygame.transform.scale(frame, size)
        return pygame.transform.smoothscale(frame, size)

    def _font(self) -> pygame.font.Font:
        if self.font is None:
            if not pygame.font.get_init():
                pygame.font.init()
            self.font = pygame.font.Font(None, 20)
        return self.font

    def _render(self, text: str, colour: C.RGB) -> pygame.Surface:
        key = (text, colour)
        surf = self._text.get(key)
        if surf is None:
            if len(self._text) > 256:
                self._text.clear()
            surf = self._font().render(text, True, colour)
            self._text[key] = surf
        return surf

    def _title(self) -> str:
        if self.caption:
            return self.caption
        if self.q is not None:
            return "Q-values of the current state"
        return "no Q-values yet" if self.action_names else ""

    def _layout(self) -> tuple[pygame.Rect, list[tuple[pygame.Rect, pygame.Rect | None]], int]:
        """The bars area's pieces: the label column's right edge, each action's row and bar
        (None without a finite value), and the x of Q = 0."""
        inner = self.bars_rect.inflate(-2 * PAD, -2 * PAD)
        top = inner.top + (ROW_HEIGHT if self._title() else 0)
        names = self.action_names
        label_w = max((self._render(n, C.TEXT).get_width() for n in names), default=0) + PAD
        value_w = self._render("+0000.000", C.TEXT).get_width() + PAD
        bar_left, bar_right = inner.left + label_w, inner.right - value_w
        values = self.q
        finite = [v for v in values if math.isfinite(v)] if values is not None else []
        lo, hi = min([0.0, *finite]), max([0.0, *finite])
        span = (hi - lo) or 1.0
        width = max(1, bar_right - bar_left)
        zero_x = bar_left + round(-lo / span * width)
        rows: list[tuple[pygame.Rect, pygame.Rect | None]] = []
        for a in range(len(names)):
            row = pygame.Rect(inner.left, top + a * ROW_HEIGHT, inner.width, ROW_HEIGHT)
            if row.bottom > self.bars_rect.bottom:
                break
            bar = None
            if values is not None and math.isfinite(values[a]):
                x = bar_left + round((values[a] - lo) / span * width)
                bar = pygame.Rect(min(x, zero_x), row.top + 4, max(1, abs(x - zero_x)),
                                  ROW_HEIGHT - 8)
            rows.append((row, bar))
        return pygame.Rect(inner.left, inner.top, label_w, inner.height), rows, zero_x

    def _draw_bars(self, surface: pygame.Surface, area: pygame.Rect) -> None:
        if area.height <= 0:
            return
        inner = area.inflate(-2 * PAD, -2 * PAD)
        title = self._title()
        if title:
            text = self._render(title, C.TEXT_DIM)
            surface.blit(text, text.get_rect(midleft=(inner.left, inner.top + ROW_HEIGHT // 2)))
        if not self.action_names:
            return
        labels, rows, zero_x = self._layout()
        for a, (row, bar) in enumerate(rows):
            chosen = a == self.chosen
            colour = C.TEXT if chosen else C.TEXT_DIM
            if chosen:
                surface.fill(HIGHLIGHT_ROW, row)
            label = self._render(self.action_names[a], colour)
            surface.blit(label, label.get_rect(midright=(labels.right - PAD // 2, row.centery)))
            if bar is not None:
                surface.fill(HIGHLIGHT if chosen else BAR, bar)
            if self.q is not None:
                value = self._render(format_q(self.q[a]), colour)
                surface.blit(value, value.get_rect(midright=(inner.right, row.centery)))
        if rows and self.q is not None:
            pygame.draw.line(surface, ZERO_LINE, (zero_x, rows[0][0].top),
                             (zero_x, rows[-1][0].bottom - 1))

    def bar_rect(self, action: int) -> pygame.Rect | None:
        """Screen rect of ``action``'s bar (for tests and hover); None without a finite value."""
        if self.q is None or not 0 <= action < len(self.action_names):
            return None
        rows = self._layout()[1]
        return rows[action][1] if action < len(rows) else None
