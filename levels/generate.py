"""Random mazes for the app's "generate" button: solvable by construction, checked anyway."""

from __future__ import annotations

import dataclasses

import numpy as np

from levels.level import Level, Rewards, _check_size, default_max_steps

# A small cost per move: moves already tried then look worse than untried ones (Q starts at 0),
# so epsilon-greedy sweeps a big maze instead of random-walking it; without it, Q-learning on
# maze_large never found the goal in 30M steps, with it in under 5M.
EXPLORING_STEP_COST = -0.01


def generate_maze(nrows: int, ncols: int, seed: int | None = None) -> Level:
    """A random perfect maze (randomised depth-first search), solvable by construction and check.

    Passages are carved between the cells with even coordinates, so the outer border needs no
    wall. The start is top-left; the goal is the reachable cell farthest from it; a few small
    cheeses, and poison or a big cheese in other dead ends (never on the way to the goal), make it
    interesting; at most 3 small cheeses, so the state space stays within 8x the cells. Same
    arguments, same maze.
    """
    _check_size(nrows, ncols)
    rng = np.random.default_rng(seed)
    g = _carve(nrows, ncols, rng)
    g[0, 0] = "S"
    level = Level(grid=tuple("".join(row) for row in g))
    dist = level.distances_from_start()
    goal = np.unravel_index(int(np.argmax(dist)), dist.shape)
    g[goal] = "G"
    _furnish(g, rng)
    level = Level(grid=tuple("".join(row) for row in g), name=f"maze {nrows}x{ncols} seed {seed}",
                  rewards=Rewards(step=EXPLORING_STEP_COST))
    level = dataclasses.replace(level, max_steps=default_max_steps(level))
    reach = level.distances_from_start()
    if reach[goal] < 0 or level.problems():  # cannot happen: dead ends are never on the way
        raise RuntimeError(f"generate_maze({nrows}, {ncols}, {seed}) built an unsolvable maze")
    return level


def _carve(nrows: int, ncols: int, rng: np.random.Generator) -> np.ndarray:
    """The maze's walls and floors (``#`` / ``.``) from a randomised depth-first search."""
    g = np.full((nrows, ncols), "#", dtype="<U1")
    g[0, 0] = "."
    stack = [(0, 0)]
    while stack:
        r, c = stack[-1]
        options = [(r + dr, c + dc, dr // 2, dc // 2)
                   for dr, dc in ((0, 2), (2, 0), (0, -2), (-2, 0))
                   if 0 <= r + dr < nrows and 0 <= c + dc < ncols and g[r + dr, c + dc] == "#"]
        if not options:
            stack.pop()
            continue
        nr, nc, hr, hc = options[rng.integers(len(options))]
        g[r + hr, c + hc] = g[nr, nc] = "."
        stack.append((nr, nc))
    # An even side leaves a wall strip along the far edge: open some of it into dead ends.
    if nrows % 2 == 0:
        g[-1, :] = np.where((g[-2, :] == ".") & (rng.random(ncols) < 0.5), ".", g[-1, :])
    if ncols % 2 == 0:
        g[:, -1] = np.where((g[:, -2] == ".") & (rng.random(nrows) < 0.5), ".", g[:, -1])
    if (g == ".").sum() < 2:  # 1x2 or 2x1 and the coin said no
        g[(0, 1) if ncols > 1 else (1, 0)] = "."
    return g


def _furnish(g: np.ndarray, rng: np.random.Generator) -> None:
    """Poison and a big cheese in dead ends (never on the way to the goal: a dead end is on no
    path), then a few small cheeses on floor cells, in place."""
    nrows, ncols = g.shape
    dead_ends = [(r, c) for r in range(nrows) for c in range(ncols) if g[r, c] == "." and
                 sum(0 <= r + dr < nrows and 0 <= c + dc < ncols and g[r + dr, c + dc] != "#"
                     for dr, dc in ((0, 1), (1, 0), (0, -1), (-1, 0))) == 1]
    rng.shuffle(dead_ends)
    n_cells = int((g != "#").sum())
    for tile, count in (("P", n_cells // 40), ("C", 1 if n_cells >= 20 else 0)):
        for _ in range(count):
            if dead_ends:
                g[dead_ends.pop()] = tile
    floors = [(r, c) for r in range(nrows) for c in range(ncols) if g[r, c] == "."]
    for i in rng.permutation(len(floors))[: min(3, n_cells // 25)]:
        g[floors[i]] = "c"
