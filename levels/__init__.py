"""Worlds: the level format, the GridMaze environment and the bundled levels.

Importing ``levels`` registers ``GridMaze-v0`` with Gymnasium, so
``gymnasium.make("GridMaze-v0", level="mouse")`` works anywhere. It stays cheap: no pygame, no torch
(the env module itself loads only when an env is made).
"""

import gymnasium

from levels.generate import generate_maze
from levels.level import TILES, Level, LevelError, Rewards
from levels.levelfile import bundled_level_names, bundled_level_path, load_level, save_level

ENV_ID = "GridMaze-v0"

if ENV_ID not in gymnasium.registry:
    # No max_episode_steps: every level carries its own step limit, enforced inside the env.
    gymnasium.register(id=ENV_ID, entry_point="levels.gridmaze:GridMazeEnv")

__all__ = [
    "ENV_ID",
    "TILES",
    "Level",
    "LevelError",
    "Rewards",
    "bundled_level_names",
    "bundled_level_path",
    "generate_maze",
    "load_level",
    "save_level",
]
