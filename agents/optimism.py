"""What the initial-Q setting "auto" means on a world: optimistic on a maze level, 0 elsewhere.

A Q-table that starts at 0 on a maze whose rewards are positive makes any reward found first look
better than every move not yet tried: the agent settles for the near small reward and ε-greedy
deviations rarely carry it the whole way to a larger one farther off (a +1 goal 14 steps away
beat a +10 cheese 20 steps away on every seed tried, for 800k steps). Starting every entry at the
largest reward one move can earn on the level makes each untried move look at least as good as
anything found, so the greedy policy itself walks to what it has not tried yet (optimistic
initial values, Sutton & Barto section 2.6) until the values it learns fall below that.

Gymnasium's own envs keep 0: the references they reproduce (the course's Taxi and FrozenLake
scores, Sutton & Barto's cliff) start from zeros.
"""

from __future__ import annotations

from typing import Any

from agents.config import AUTO, TabularConfig, check_range
from levels.gridmaze import GridMazeEnv


def auto_initial_q(env: Any) -> float:
    """The initial Q "auto" stands for on ``env``: on a GridMaze level the largest reward one
    move can earn there (tile or cell reward plus the step reward), never below 0; else 0."""
    base = getattr(env, "unwrapped", env)
    if not isinstance(base, GridMazeEnv):
        return 0.0
    level = base.level
    return max(0.0, float(level.rewards_array().max()) + float(level.rewards.step))


def initial_q_value(setting: float | str, auto_value: float) -> float:
    """The number an initial-Q ``setting`` (a number or "auto") means, given what "auto" stands
    for on the agent's world.

    Raises:
        ConfigError: a setting that is neither "auto" nor a number in range.
    """
    setting = check_range(TabularConfig, "initial_q", setting)
    return float(auto_value) if setting == AUTO else float(setting)
