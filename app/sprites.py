"""Hand-drawn sprites for the board: tiles, the mouse, and Q/policy arrows (no image assets).

Every sprite is drawn with plain pygame primitives at 4x its size and shrunk with
``transform.smoothscale``: that gives anti-aliased edges for every shape (polygons included) without
gfxdraw, and costs nothing per frame because sprites are cached per cell size. Shapes are described
in unit-square coordinates (0..1 across a cell) so they look the same at any scale.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pygame

from app import colors as C

SUPERSAMPLE = 4
#: Signed arrow buckets -ARROW_LEVELS..ARROW_LEVELS (0 = no arrow): 16 colour/length steps.
ARROW_LEVELS = 8
#: Policy arrow weights 1..POLICY_LEVELS: how much better the best action is than the next.
POLICY_LEVELS = 4

Draw = Callable[[pygame.Surface, Callable[[float], int], Callable[[float, float], tuple]], None]


def _render(size: int, draw: Draw, tint: tuple[int, int, int] = (0, 0, 0)) -> pygame.Surface:
    """Draw at SUPERSAMPLE x ``size`` with unit coordinates, then shrink smoothly to ``size``."""
    big = max(1, size) * SUPERSAMPLE
    surf = pygame.Surface((big, big), pygame.SRCALPHA)
    surf.fill((*tint, 0))  # transparent, but of a related colour so edges do not darken

    def s(v: float) -> int:
        return round(v * big)

    def p(x: float, y: float) -> tuple[int, int]:
        return (round(x * big), round(y * big))

    draw(surf, s, p)
    return pygame.transform.smoothscale(surf, (max(1, size), max(1, size)))


# --- tiles ---------------------------------------------------------------------------------------
def _start(surf, s, p):
    pad = pygame.Rect(p(0.12, 0.12), (s(0.76), s(0.76)))
    pygame.draw.rect(surf, (*C.START, 46), pad, border_radius=s(0.16))
    pygame.draw.rect(surf, (*C.START, 230), pad, width=max(1, s(0.06)), border_radius=s(0.16))


def _hole(surf, s, p):
    pygame.draw.circle(surf, C.HOLE_RIM, p(0.5, 0.5), s(0.38))
    pygame.draw.circle(surf, (24, 26, 32), p(0.5, 0.5), s(0.33))
    pygame.draw.circle(surf, C.HOLE, p(0.5, 0.53), s(0.27))


def _goal(surf, s, p):
    pygame.draw.ellipse(surf, (*C.GOAL_POLE, 90), pygame.Rect(p(0.2, 0.8), (s(0.36), s(0.1))))
    pygame.draw.line(surf, C.GOAL_POLE, p(0.36, 0.16), p(0.36, 0.85), max(1, s(0.06)))
    flag = [p(0.39, 0.17), p(0.82, 0.32), p(0.39, 0.48)]
    pygame.draw.polygon(surf, C.GOAL, flag)
    pygame.draw.polygon(surf, (96, 140, 72), flag, max(1, s(0.025)))
    pygame.draw.circle(surf, C.GOAL_POLE, p(0.36, 0.15), s(0.05))


def _wedge(scale: float) -> Draw:
    def draw(surf, s, p):
        def q(x: float, y: float) -> tuple[int, int]:  # shrink about the centre
            return p(0.5 + (x - 0.5) * scale, 0.5 + (y - 0.5) * scale)

        front = [q(0.1, 0.5), q(0.9, 0.36), q(0.9, 0.8), q(0.1, 0.8)]
        top = [q(0.1, 0.5), q(0.58, 0.2), q(0.9, 0.36)]
        pygame.draw.polygon(surf, C.CHEESE, front)
        pygame.draw.polygon(surf, (250, 226, 140), top)
        for x, y, r in ((0.32, 0.64, 0.07), (0.62, 0.56, 0.055), (0.74, 0.71, 0.045)):
            pygame.draw.circle(surf, C.CHEESE_DARK, q(x, y), max(1, s(r * scale)))
        edge = max(1, s(0.03 * scale))
        pygame.draw.polygon(surf, C.CHEESE_DARK, [*front[:1], *top[1:], *front[1:]], edge)

    return draw


def _poison(surf, s, p):
    pygame.draw.rect(surf, (150, 120, 100), pygame.Rect(p(0.38, 0.1), (s(0.24), s(0.1))),
                     border_radius=s(0.03))
    pygame.draw.rect(surf, C.POISON_DARK, pygame.Rect(p(0.41, 0.19), (s(0.18), s(0.16))))
    body = pygame.Rect(p(0.22, 0.32), (s(0.56), s(0.56)))
    pygame.draw.rect(surf, C.POISON, body, border_radius=s(0.16))
    pygame.draw.rect(surf, C.POISON_DARK, body, width=max(1, s(0.03)), border_radius=s(0.16))
    # skull: cranium, jaw, two dark eyes
    pygame.draw.circle(surf, C.POISON_MARK, p(0.5, 0.56), s(0.13))
    pygame.draw.rect(surf, C.POISON_MARK, pygame.Rect(p(0.42, 0.62), (s(0.16), s(0.12))),
                     border_radius=s(0.03))
    for x in (0.45, 0.55):
        pygame.draw.circle(surf, C.POISON_DARK, p(x, 0.56), s(0.035))
    pygame.draw.line(surf, C.POISON_DARK, p(0.5, 0.68), p(0.5, 0.74), max(1, s(0.02)))


def _frozen(surf, s, p):
    surf.fill((*C.FROZEN_TINT, 70))  # translucent, so the heat map shows through
    for x0, y0, ln in ((0.18, 0.3, 0.2), (0.55, 0.62, 0.25)):
        pygame.draw.line(surf, (120, 150, 180, 110), p(x0, y0), p(x0 + ln, y0 - ln),
                         max(1, s(0.03)))


_TILE_DRAW: dict[str, Draw] = {
    "S": _start,
    "H": _hole,
    "G": _goal,
    "C": _wedge(0.95),
    "c": _wedge(0.62),
    "P": _poison,
    "F": _frozen,
}


def tile_sprite(ch: str, size: int) -> pygame.Surface | None:
    """The sprite drawn on top of the floor for tile ``ch`` (None for plain floor and walls)."""
    draw = _TILE_DRAW.get(ch)
    if draw is None:
        return None
    if size < 10:  # too small for shapes: a flat marker keeps tiles distinguishable
        surf = pygame.Surface((size, size), pygame.SRCALPHA)
        inset = 0 if ch == "F" else max(1, size // 6)
        color = (*C.FROZEN_TINT, 70) if ch == "F" else C.TILE_COLORS[ch]
        surf.fill(color, pygame.Rect(inset, inset, size - 2 * inset, size - 2 * inset))
        return surf
    return _render(size, draw)


def tile_icon(ch: str, size: int) -> pygame.Surface:
    """A self-contained icon of tile ``ch`` on its floor, for the editor's palette buttons."""
    surf = pygame.Surface((size, size), pygame.SRCALPHA)
    surf.fill(C.WALL if ch == "#" else C.FLOOR)
    sprite = tile_sprite(ch, size)
    if sprite is not None:
        surf.blit(sprite, (0, 0))
    return surf


# --- the agent -----------------------------------------------------------------------------------
def _mouse(surf, s, p):
    for x in (0.28, 0.72):
        pygame.draw.circle(surf, C.MOUSE_OUTLINE, p(x, 0.3), s(0.19))
        pygame.draw.circle(surf, C.MOUSE_EAR, p(x, 0.3), s(0.17))
        pygame.draw.circle(surf, C.MOUSE_EAR_INNER, p(x, 0.31), s(0.1))
    pygame.draw.circle(surf, C.MOUSE_OUTLINE, p(0.5, 0.58), s(0.32))
    pygame.draw.circle(surf, C.MOUSE_BODY, p(0.5, 0.58), s(0.3))
    for x in (0.4, 0.6):
        pygame.draw.circle(surf, C.MOUSE_EYE, p(x, 0.54), s(0.045))
        pygame.draw.circle(surf, (255, 255, 255), p(x + 0.012, 0.53), max(1, s(0.014)))
    pygame.draw.circle(surf, C.MOUSE_EAR_INNER, p(0.5, 0.7), s(0.05))
    for dy in (-0.03, 0.03):
        for side in (-1, 1):
            pygame.draw.line(surf, (120, 124, 132), p(0.5 + side * 0.08, 0.71),
                             p(0.5 + side * 0.3, 0.71 + dy * 2), max(1, s(0.012)))


def mouse_sprite(size: int) -> pygame.Surface:
    """The agent: a grey mouse seen from above, ``size`` x ``size`` with transparency."""
    return _render(size, _mouse)


# --- arrows --------------------------------------------------------------------------------------
def _arrow_poly(tail: float, tip: float, half_w: float, head_len: float, head_w: float):
    """Unit-square polygon of an arrow pointing right along y=0.5, from x=tail to x=tip."""
    neck = max(tail, tip - head_len)
    return [(tail, 0.5 - half_w), (neck, 0.5 - half_w), (neck, 0.5 - head_w), (tip, 0.5),
            (neck, 0.5 + head_w), (neck, 0.5 + half_w), (tail, 0.5 + half_w)]


# Rotation (degrees, counter-clockwise) taking a right-pointing sprite to screen dir 0..3.
_ROT = {0: 180, 1: -90, 2: 0, 3: 90}


class ArrowSprite:
    """A cropped arrow sprite and where it sits inside its cell."""

    __slots__ = ("surface", "offset")

    def __init__(self, surface: pygame.Surface, offset: tuple[int, int]) -> None:
        self.surface = surface
        self.offset = offset


def _crop(full: pygame.Surface) -> ArrowSprite:
    box = full.get_bounding_rect(min_alpha=1)
    if box.w == 0 or box.h == 0:
        box = pygame.Rect(0, 0, 1, 1)
    return ArrowSprite(full.subsurface(box).copy(), box.topleft)


def _rotations(size: int, draw: Draw) -> list[ArrowSprite]:
    right = _render(size, draw)
    return [_crop(pygame.transform.rotate(right, _ROT[d])) for d in range(4)]


def arrow_color(level: int) -> tuple[int, int, int]:
    """Diverging colour of a signed bucket: red (negative) through grey (0) to green (positive)."""
    t = abs(level) / ARROW_LEVELS
    return C.mix(C.Q_ZERO, C.Q_POS if level > 0 else C.Q_NEG, 0.25 + 0.75 * t)


class ArrowSet:
    """Arrow sprites for one cell size: Q arrows per (dir, bucket); policy, optimal per dir."""

    def __init__(self, cell: int) -> None:
        self.cell = cell
        n = ARROW_LEVELS
        self.q: list[list[ArrowSprite | None]] = [[None] * (2 * n + 1) for _ in range(4)]
        for level in range(-n, n + 1):
            if level == 0:
                continue
            frac = abs(level) / n
            poly = _arrow_poly(0.57, 0.57 + 0.1 + 0.29 * frac, max(0.03, 0.6 / cell),
                               0.13, 0.1)
            col = arrow_color(level)

            def draw(surf, s, p, poly=poly, col=col):
                pygame.draw.polygon(surf, col, [p(x, y) for x, y in poly])

            for d, spr in enumerate(_rotations(cell, draw)):
                self.q[d][level + n] = spr

        #: policy[weight - 1][dir]: weight 1 (a near tie) is short, thin and grey; weight
        #: POLICY_LEVELS (the best action by far) long, thick and white.
        self.policy = [_rotations(cell, _policy_draw(w / POLICY_LEVELS))
                       for w in range(1, POLICY_LEVELS + 1)]
        opt = _arrow_poly(0.5, 0.95, 0.05, 0.2, 0.16)

        def draw_optimal(surf, s, p):
            if cell < 24:  # an outline would fill up: mark the optimal exit on the cell's edge
                thick = max(2.0, cell / 7) / cell
                pygame.draw.rect(surf, C.OPTIMAL, pygame.Rect(p(1 - thick, 0.22),
                                                              (s(thick), s(0.56))))
            else:
                pygame.draw.polygon(surf, C.OPTIMAL, [p(x, y) for x, y in opt], max(1, s(0.035)))

        self.optimal = _rotations(cell, draw_optimal)

    def cell_blits(self, sig: int, x: int, y: int, out: list) -> None:
        """Append ``(sprite, position)`` pairs for one cell's :func:`arrow_signature` code."""
        for d in range(4):
            code = (sig >> (5 * d)) & 31
            if code:
                spr = self.q[d][code - 1]
                if spr is not None:
                    out.append((spr.surface, (x + spr.offset[0], y + spr.offset[1])))
        weight = min(max((sig >> 28) & 7, 1), POLICY_LEVELS)
        for bits, sprites in (((sig >> 24) & 15, self.optimal),
                              ((sig >> 20) & 15, self.policy[weight - 1])):
            for d in range(4):
                if bits >> d & 1:
                    spr = sprites[d]
                    out.append((spr.surface, (x + spr.offset[0], y + spr.offset[1])))


def _policy_draw(strength: float) -> Draw:
    """The greedy arrow at ``strength`` in (0, 1]: from the centre, longer and bolder when sure."""
    tip = 0.72 + 0.2 * strength
    poly = _arrow_poly(0.5, tip, 0.022 + 0.04 * strength, 0.1 + 0.09 * strength,
                       0.07 + 0.09 * strength)
    fill = C.mix(C.Q_ZERO, C.POLICY, 0.35 + 0.65 * strength)

    def draw(surf, s, p):
        pts = [p(x, y) for x, y in poly]
        pygame.draw.polygon(surf, fill, pts)
        pygame.draw.polygon(surf, C.POLICY_OUTLINE, pts, max(1, s(0.02)))
        r = 0.035 + 0.045 * strength
        pygame.draw.circle(surf, fill, p(0.5, 0.5), s(r))
        pygame.draw.circle(surf, C.POLICY_OUTLINE, p(0.5, 0.5), s(r), max(1, s(0.02)))

    return draw


def policy_weights(gap: np.ndarray, greedy_mask: np.ndarray) -> np.ndarray:
    """Arrow weight 1..POLICY_LEVELS per cell from the gap between the best and second-best Q.

    The gap is measured against the 90th percentile of the gaps on the board (so one cell beside
    a cliff does not make every other arrow thin), on a square-root scale; tied best moves and
    cells without a gap get weight 1.
    """
    gap = np.asarray(gap, dtype=np.float64)
    single = (greedy_mask != 0) & ((greedy_mask & (greedy_mask - 1)) == 0) & np.isfinite(gap)
    weights = np.ones(gap.shape, dtype=np.int64)
    if not single.any():
        return weights
    gaps = gap[single]
    k = int(np.ceil(0.9 * (gaps.size - 1)))
    ref = float(np.partition(gaps, k)[k])
    if ref <= 0:
        return weights
    level = np.ceil(np.sqrt(np.clip(gap / ref, 0.0, 1.0)) * POLICY_LEVELS)
    weights[single] = np.clip(level[single], 1, POLICY_LEVELS).astype(np.int64)
    return weights


def arrow_signature(shape: tuple[int, int], q_dir: np.ndarray | None,
                    greedy_mask: np.ndarray | None, optimal_mask: np.ndarray | None,
                    walls: np.ndarray, policy_weight: np.ndarray | None = None) -> np.ndarray:
    """One int64 per cell that changes iff the arrows drawn in that cell change.

    Bits 0-19: a 5-bit code per screen direction (0 = no arrow, else bucket + ARROW_LEVELS + 1),
    the Q-value normalised by the largest |Q| on the board; bits 20-23: policy mask; bits 24-27:
    optimal mask; bits 28-30: policy arrow weight (:func:`policy_weights`). Comparing these
    arrays is how the board finds the cells to redraw.
    """
    sig = np.zeros(shape, dtype=np.int64)
    if q_dir is not None:
        finite = np.isfinite(q_dir)
        q = np.where(finite, q_dir, 0.0)
        top = float(np.abs(q).max()) if q.size else 0.0
        n = ARROW_LEVELS
        if top > 0:
            # sqrt: mid-sized values stay visible next to one big reward
            mag = np.clip(np.ceil(np.sqrt(np.abs(q) / top) * n), 0, n)
            lvl = (np.sign(q) * mag).astype(np.int64)
            code = np.where(lvl != 0, lvl + n + 1, 0)
            for d in range(4):
                sig |= code[:, :, d] << (5 * d)
    if greedy_mask is not None:
        mask = np.asarray(greedy_mask, dtype=np.int64)
        sig |= mask << 20
        if policy_weight is not None:
            sig |= np.where(mask != 0, np.asarray(policy_weight, dtype=np.int64), 0) << 28
    if optimal_mask is not None:
        sig |= np.asarray(optimal_mask, dtype=np.int64) << 24
    sig[walls] = 0
    return sig
