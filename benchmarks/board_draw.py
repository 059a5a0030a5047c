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

import gymnasium as gym  # noqa: E402
import numpy as np  # noqa: E402
import pygame  # noqa: E402

from agents.planning import value_iteration  # noqa: E402
from app.board import Board, BoardView, Overlays, blank_tiles  # noqa: E402
from app.qview import cell_values, states_to_cells  # noqa: E402
from levels.generate import generate_maze  # noqa: E402
from levels.gridinfo import grid_info  # noqa: E402
from levels.gridmaze import GridMazeEnv  # noqa: E402
from levels.levelfile import load_level  # noqa: E402

ALL = Overlays(arrows=True, heatmap=True, policy=True, visits=True, optimal=True, trail=True)


def scene(env, rng: np.random.Generator, noise: float = 0.3, gamma: float = 0.95):
    """Plausible 'half-learnt' values for a grid env: Q* plus noise, visits, a greedy trail."""
    info = grid_info(env)
    base = env.unwrapped
    model = base.transition_arrays() if hasattr(base, "transition_arrays") else base.P
    qstar = value_iteration(model, gamma)
    q = qstar + rng.normal(0, noise, qstar.shape) * (np.abs(qstar).max() or 1) * 0.2
    tiles = info.tiles or blank_tiles(info.nrows, info.ncols)
    terminal = np.isin(np.array([tiles[c // info.ncols][c % info.ncols] for c in info.cell]),
                       list("HGCP"))
    q[terminal] = 0.0  # the agent never acts from a terminal state: its Q stays at zero
    visits = rng.integers(0, 3000, qstar.shape[0])
    opt = cell_values(qstar, info, 0).greedy_mask
    s, _ = env.reset(seed=0)
    states = [s]
    for _ in range(min(200, 4 * info.n_cells)):
        s, _, term, trunc, _ = env.step(int(np.argmax(qstar[s])))
        states.append(s)
        if term or trunc:
            break
    return info, tiles, q, visits, opt, states_to_cells(states, info)


def bench(n: int, frames: int, size=(1280, 800)) -> tuple[float, ...]:
    rng = np.random.default_rng(0)
    level = generate_maze(n, n, seed=1)
    info, _tiles, q, visits, opt, trail = scene(GridMazeEnv(level), rng)
    surface = pygame.Surface(size)
    board = Board(pygame.Rect(300, 20, size[0] - 320, size[1] - 40))
    results = []
    for training, interval in ((False, 0.1), (True, 0.1), (True, 0.0)):
        board.arrow_interval = interval  # 0.0: arrow and trail layers rebuilt every frame
        times = []
        for i in range(frames):
            if training:  # unthrottled: big changes, so most arrows change every frame
                q = q + rng.normal(0, 0.01 if interval else 0.5, q.shape)
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
    """Render bundled levels, gym grids and generated mazes with plausible values to PNGs."""
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(3)
    maze20 = GridMazeEnv(generate_maze(20, 20, seed=4))
    shots = [
        ("mouse.png", GridMazeEnv(load_level("mouse")), (900, 620), 0.05,
         Overlays(arrows=True, policy=True, visits=True, trail=True)),
        ("mouse_all.png", GridMazeEnv(load_level("mouse")), (640, 460), 0.3, ALL),
        ("maze20_arrows.png", maze20, (900, 820), 0.1, Overlays(arrows=True, trail=True)),
        ("maze20_all.png", maze20, (900, 820), 0.3, ALL),
        ("maze20_heat_policy.png", maze20, (900, 820), 0.3,
         Overlays(arrows=False, heatmap=True, policy=True, optimal=True, trail=True)),
        ("maze50_all.png", GridMazeEnv(generate_maze(50, 50, seed=5)), (820, 820), 0.3, ALL),
        ("maze64_heat.png", GridMazeEnv(generate_maze(64, 64, seed=6)), (820, 820), 0.3,
         Overlays(arrows=True, heatmap=True, policy=True, trail=True)),
        ("frozenlake8x8.png", gym.make("FrozenLake-v1", map_name="8x8"), (820, 820), 0.2,
         Overlays(arrows=True, heatmap=True, trail=True)),
        ("cliff.png", gym.make("CliffWalking-v1"), (1000, 400), 0.1,
         Overlays(arrows=True, policy=True, optimal=True, trail=True)),
        ("default_maze_small.png", GridMazeEnv(load_level("maze_small")), (808, 620), 0.05,
         Overlays()),
        ("numbers_mouse.png", GridMazeEnv(load_level("mouse")), (808, 620), 0.02,
         Overlays(numbers=True)),
        ("numbers_maze20.png", maze20, (808, 620), 0.02, Overlays(numbers=True)),
        ("numbers_cliff.png", GridMazeEnv(load_level("cliff")), (808, 620), 0.02,
         Overlays(numbers=True)),
    ]
    for name, env, size, noise, ov in shots:
        info, tiles, q, visits, opt, trail = scene(env, rng, noise)
        surface = pygame.Surface(size)
        board = Board(pygame.Rect(10, 10, size[0] - 20, size[1] - 20))
        vals = cell_values(q, info, 0, visits=visits)
        agent = trail[min(1, len(trail) - 1)]
        level = getattr(env.unwrapped, "level", None)
        view = BoardView(tiles, vals, agent_pos=(agent[0] + 0.0, agent[1] + 0.4), trail=trail,
                         optimal_mask=opt, hover=(1, 1), overlays=ov,
                         rewards=level.rewards_array() if level is not None else None,
                         reward_cells=level.cell_rewards if level is not None else ())
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
        med_s, p95_s, med_t, p95_t, med_w, p95_w = bench(n, args.frames)
        print(f"{n}x{n} all overlays: static median {med_s:.2f} ms p95 {p95_s:.2f} | "
              f"training median {med_t:.2f} p95 {p95_t:.2f} | "
              f"unthrottled (arrows rebuilt every frame) median {med_w:.2f} p95 {p95_w:.2f}")
    if args.png:
        samples(args.png)


if __name__ == "__main__":
    main()
