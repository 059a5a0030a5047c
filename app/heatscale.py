"""The heat map's colour scale, fitted to the values on screen (numpy only, no pygame).

A scale from 0 to the largest |V| goes flat once learning converges: a maze whose values all lie
between 0.5 and 1 is uniformly blue, a cliff walk whose values lie between -13 and -1 is uniformly
red. So the scale spans the values actually shown: when they have both signs, zero stays the
neutral floor colour and each side runs to its own extreme; when they share a sign, the ramp runs
from the smallest to the largest. A lone outlier (a -100 cliff beside values of -1 to -13) would
squash everything else into one colour, so a value separated from the rest by more than the rest's
whole spread is left out of the fit and drawn saturated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from app import colors as C

#: Index of the neutral colour in the 256-entry colour table; 0 is the most negative, 255 the most
#: positive.
ZERO_INDEX = 128
#: Where a one-signed ramp starts (fraction of full intensity), so the smallest value still shows.
RAMP_FLOOR = 0.12


def _heat_table() -> np.ndarray:
    """256 colours: index 0 = most negative, 128 = zero (the floor), 255 = most positive."""
    t = np.clip((np.arange(256) - ZERO_INDEX) / 127.0, -1.0, 1.0)
    floor, neg, pos = (np.array(c, dtype=np.float64) for c in (C.FLOOR, C.HEAT_NEG, C.HEAT_POS))
    a = np.abs(t)[:, None] ** 0.7  # lift small values so early learning is visible
    out = np.where(t[:, None] < 0, floor + (neg - floor) * a, floor + (pos - floor) * a)
    return out.round().astype(np.uint8)


#: ``[256, 3]`` uint8 RGB colour table indexed by :meth:`HeatScale.indices`.
HEAT_COLORS = _heat_table()


@dataclass(frozen=True)
class HeatScale:
    """Maps values to colour-table indices.

    Attributes:
        lo, hi: the fitted range (values beyond it are drawn saturated).
        data_lo, data_hi: the smallest and largest value shown, outliers included.
    """

    lo: float
    hi: float
    data_lo: float
    data_hi: float

    @property
    def signed(self) -> bool:
        """True when the range holds both signs: zero is then the neutral colour."""
        return self.lo < 0.0 < self.hi

    @property
    def clipped_low(self) -> bool:
        return self.data_lo < self.lo

    @property
    def clipped_high(self) -> bool:
        return self.data_hi > self.hi

    def position(self, values: np.ndarray) -> np.ndarray:
        """Signed intensity in [-1, 1] per value (nan stays nan): the sign picks red or blue.

        Values of the other sign than a one-signed range (left-out outliers) are saturated.
        """
        v = np.asarray(values, dtype=np.float64)
        lo, hi = self.lo, self.hi
        with np.errstate(invalid="ignore", divide="ignore"):
            if self.signed:
                return np.where(v >= 0, np.clip(v / hi, 0.0, 1.0), -np.clip(v / lo, 0.0, 1.0))
            if lo == hi == 0.0:
                return np.sign(v)
            span = hi - lo
            if lo >= 0.0:
                frac = np.clip((v - lo) / span, 0.0, 1.0) if span > 0 else (v >= lo) * 1.0
                start = RAMP_FLOOR if lo > 0 else 0.0
                ramp = start + (1 - start) * frac
                return np.where(np.isnan(v), np.nan, np.where(v < 0, -1.0, ramp))
            frac = np.clip((hi - v) / span, 0.0, 1.0) if span > 0 else (v <= hi) * 1.0
            start = RAMP_FLOOR if hi < 0 else 0.0
            ramp = -(start + (1 - start) * frac)
            return np.where(np.isnan(v), np.nan, np.where(v > 0, 1.0, ramp))

    def indices(self, values: np.ndarray) -> np.ndarray:
        """uint8 colour-table index per value; nan gets the neutral index."""
        t = self.position(values)
        idx = np.rint(np.nan_to_num(t, nan=0.0) * 127) + ZERO_INDEX
        return np.clip(idx, 0, 255).astype(np.uint8)


def fit_heat_scale(values: np.ndarray) -> HeatScale | None:
    """The scale for the finite ``values`` on screen, or None when there are none.

    Outliers: up to ``max(1, n // 20)`` values at each end are left out of the range, one at a
    time, while the one at the end lies farther from its neighbour than the remaining values
    spread (a gap wider than everything else). Remaining values that are all equal keep the
    outlier: then it is the only thing to see.
    """
    v = np.asarray(values, dtype=np.float64)
    v = np.sort(v[np.isfinite(v)], axis=None)
    if v.size == 0:
        return None
    data_lo, data_hi = float(v[0]), float(v[-1])
    i, j = 0, v.size - 1
    if v.size >= 8:
        budget = max(1, v.size // 20)
        for _ in range(budget):
            if j - i < 4 or v[j] == v[i + 1] or v[i + 1] - v[i] <= v[j] - v[i + 1]:
                break
            i += 1
        for _ in range(budget):
            if j - i < 4 or v[j - 1] == v[i] or v[j] - v[j - 1] <= v[j - 1] - v[i]:
                break
            j -= 1
    return HeatScale(float(v[i]), float(v[j]), data_lo, data_hi)


def legend_ticks(scale: HeatScale) -> list[tuple[float, float]]:
    """``(value, fraction along the legend bar)`` to label: low end, high end, then zero when it
    lies well inside the bar (a one-value scale has one tick)."""
    lo, hi = scale.lo, scale.hi
    if hi <= lo:
        return [(lo, 0.0)]
    ticks = [(lo, 0.0), (hi, 1.0)]
    if scale.signed and 0.1 < -lo / (hi - lo) < 0.9:
        ticks.append((0.0, -lo / (hi - lo)))
    return ticks
