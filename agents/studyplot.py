"""The study figure: mean score per agent against the swept parameter, with a 95% band.

matplotlib is imported here only (with the Agg backend, so it never opens a window or touches
the app's display), and only by the ``study`` command.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np

from levels.atomic import atomic_write_bytes

COLOURS = {"sarsa": "#1f77b4", "expected-sarsa": "#d62728", "q-learning": "#2ca02c"}


def plot_study(result: Any, path: str | Path, ymin: float | None = None) -> None:
    """Write ``result``'s figure as a PNG at ``path`` (atomically: a temp file, then rename).

    ``ymin`` clips the y axis from below, as the book clips SARSA's collapse at alpha 1.
    """
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib.figure import Figure

    spec = result.spec
    fig = Figure(figsize=(7.0, 4.5), dpi=110)
    ax = fig.add_subplot()
    x = np.asarray(spec.values, dtype=float)
    for a, kind in enumerate(spec.agents):
        points = [result.point(a, v) for v in range(len(spec.values))]
        mean = np.array([p["mean"] for p in points])
        half = np.array([p["ci95"] for p in points])
        colour = COLOURS.get(kind)
        ax.plot(x, mean, "o-", color=colour, label=kind, markersize=4)
        ok = np.isfinite(half)
        ax.fill_between(x[ok], (mean - half)[ok], (mean + half)[ok], color=colour, alpha=0.25,
                        linewidth=0)
    if len(x) > 2 and x.min() > 0 and x.max() / x.min() > 50:
        ax.set_xscale("log")
    window = ("all episodes" if spec.last is None
              else f"episodes {spec.episodes - spec.last + 1}-{spec.episodes}")
    runs = int(result.finished.max()) if result.finished.size else 0
    if ymin is not None:
        ax.set_ylim(bottom=ymin)
    ax.set_xlabel(spec.param.replace("_", " "))
    ax.set_ylabel(f"mean return per episode ({window})")
    ax.set_title(f"{result.env_spec}: {runs} runs x {spec.episodes} episodes per point",
                 fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(title="band: 95% CI of the mean", fontsize=8, title_fontsize=8)
    fig.tight_layout()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    atomic_write_bytes(path, buf.getvalue())
