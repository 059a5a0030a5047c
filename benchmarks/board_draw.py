"""Board drawing cost: milliseconds per ``Board.draw`` with every overlay on, 20x20 and 50x50.

Two figures per size: "static" (values unchanged between frames: the cached layers are reused) and
"training" (the Q-table changes every frame, as at maximum speed: heat map, visits and trail are
rebuilt every frame, the arrow layer whenever its throttle allows). Optionally saves sample PNGs.

    python benchmarks/board_draw.py [--frames 300] [--png /tmp/board_samples]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np  # noqa: E402
import pygame  # noqa: E402

from agents.planning import value_iteration  # noqa: E402
from app.board import Board, BoardView, Overlays  # noqa: E402
from app.qview import cell_values, states_to_cells  # noqa: E402
from levels.gridinfo import grid_info  # noqa: E402
from levels.gridmaze import GridMazeEnv  # noqa: E402
from levels.level import generate_maze, load_level  # noqa: E402

ALL = Overlays(arrows=True, heatmap=True, policy=True, visits=True, optimal=True, trail=True)


def scene(level, rng: np.random.Generator, noise: float = 0.3):
    """A level with plausible 'half-learnt' values: Q* plus noise, visits, a greedy trail."""
    env = GridMazeEnv(level)
    info = grid_info(env)
    qstar = value_iteration(env.transition_arrays(), 0.95)
    q = qstar + rng.normal(0, noise, qstar.shape) * (np.abs(qstar).max() or 1) * 0.2
    visits = rng.integers(0, 3000, qstar.shape[0])
    opt = cell_values(qstar, info, 0).greedy_mask
    s, _ = env.reset(seed=0)
    states = [s]
    for _ in range(min(level.max_steps, 4 * level.n_cells)):
        s, _, term, trunc, _ = env.step(int(np.argmax(qstar[s])))
        states.append(s)
        if term or trunc:
            break
    return env, info, q, visits, opt, states_to_cells(states, info)


def bench(n: int, frames: int, size=(1280, 800)) -> tuple[float, float, float, float]:
    rng = np.random.default_rng(0)
    level = generate_maze(n, n, seed=1)
    _env, info, q, visits, opt, trail = scene(level, rng)
    surface = pygame.Surface(size)
    board = Board(pygame.Rect(300, 20, size[0] - 320, size[1] - 40))
    results = []
    for training in (False, True):
        times = []
        for i in range(frames):
            if training:
                q = q + rng.normal(0, 0.01, q.shape)
                visits = visits + 1
            t0 = time.perf_counter()
            vals = cell_values(q, info, 0, visits=visits)
            view = BoardView(level.grid, vals, agent_pos=(i % n, 0.5), trail=trail[: 2 + i % 30],
                             optimal_mask=opt, hover=(1, 1), overlays=ALL)
            board.draw(surface, view)
            times.append((time.perf_counter() - t0) * 1000)
        times.sort()
        results += [statistics.median(times), times[int(0.95 * (len(times) - 1))]]
    return tuple(results)  # type: ignore[return-value]


def samples(out: Path) -> None:
    """Render the mouse level and a 20x20 maze with plausible values to PNG files."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    shots = [
        ("mouse.png", load_level("mouse"), (640, 460), ALL, (0, 1)),
        ("maze20_arrows.png", generate_maze(20, 20, seed=4), (900, 820),
         Overlays(arrows=True, trail=True), None),
        ("maze20_all.png", generate_maze(20, 20, seed=4), (900, 820), ALL, None),
        ("maze20_heat_policy.png", generate_maze(20, 20, seed=4), (900, 820),
         Overlays(arrows=False, heatmap=True, policy=True, optimal=True, trail=True), None),
        ("maze50_all.png", generate_maze(50, 50, seed=5), (820, 820), ALL, None),
    ]
    for name, level, size, ov, eaten in shots:
        _env, info, q, visits, opt, trail = scene(level, rng)
        surface = pygame.Surface(size)
        board = Board(pygame.Rect(10, 10, size[0] - 20, size[1] - 20))
        vals = cell_values(q, info, 0, visits=visits)
        agent = trail[min(3, len(trail) - 1)]
        view = BoardView(level.grid, vals, agent_pos=(agent[0] + 0.0, agent[1] + 0.4),
                         eaten={eaten} if eaten else frozenset(), trail=trail, optimal_mask=opt,
                         hover=(1, 1), overlays=ov)
        board.draw(surface, view)
        pygame.image.save(surface, str(out / name))
        print(f"saved {out / name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--png", type=Path, help="also save sample renders in this folder")
    args = ap.parse_args()
    pygame.init()
    for n in (20, 50):
        med_s, p95_s, med_t, p95_t = bench(n, args.frames)
        print(f"{n}x{n} all overlays: static median {med_s:.2f} ms p95 {p95_s:.2f} ms | "
              f"training median {med_t:.2f} ms p95 {p95_t:.2f} ms")
    if args.png:
        samples(args.png)


if __name__ == "__main__":
    main()
