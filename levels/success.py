"""What counts as a successful episode, env by env: the one place the "success rate" is defined.

"Terminated with a positive reward" is right for FrozenLake and the course's mazes, but wrong
elsewhere: CartPole terminates when the pole *falls* (and still pays +1), MountainCar and Acrobot
terminate when they *reach* the goal (paying -1 and 0), and on the cliff level reaching the goal
pays the living reward of -1. So each env gets a judge built from what the env is.
"""

from __future__ import annotations

from dataclasses import dataclass

import gymnasium as gym
import numpy as np

GOAL_TILES = "GC"

# Envs without a grid, by id prefix: how their episodes are judged.
_BY_ID = {
    "CartPole": "survived",  # terminated = the pole fell; reaching the time limit is the success
    "MountainCar": "terminated",  # terminated = the car reached the flag
    "Acrobot": "terminated",  # terminated = the tip swung above the line
    "Taxi": "terminated",  # Taxi ends only on a correct drop-off
    "CliffWalking": "goal_state",
}


@dataclass(frozen=True)
class SuccessJudge:
    """Decides whether a finished episode succeeded.

    Attributes:
        rule: ``"goal_state"`` (terminated into one of ``goal_states``), ``"terminated"``,
            ``"survived"`` (ended by the time limit, not by termination) or ``"positive"``
            (terminated with a positive final reward, the fallback).
        goal_states: ``[n_states]`` bool, for the ``"goal_state"`` rule.
        agent_channel: for a GridMaze in image mode, the channel marking the agent: the state
            judged is then the cell it marks (goal tiles do not depend on the eaten cheese).
    """

    rule: str
    goal_states: np.ndarray | None = None
    agent_channel: int | None = None

    def __call__(
        self, terminated: bool, truncated: bool, reward: float, next_state: object
    ) -> bool:
        if self.rule == "survived":
            return bool(truncated and not terminated)
        if not terminated:
            return False
        if self.rule == "terminated":
            return True
        if self.rule == "goal_state" and self.goal_states is not None:
            if self.agent_channel is not None:
                marks = np.asarray(next_state)[self.agent_channel]
                return bool(self.goal_states[int(np.argmax(marks))])
            return bool(self.goal_states[int(next_state)])  # type: ignore[call-overload]
        return float(reward) > 0.0

    def goal_mask(self, n_states: int) -> np.ndarray:
        """``[n_states]`` bool: terminating into state s is a success (for compiled stepping).

        Only meaningful for the ``goal_state`` and ``terminated`` rules; the caller checks
        :attr:`uses_reward` for the fallback.
        """
        if self.rule == "goal_state" and self.goal_states is not None:
            return np.asarray(self.goal_states, dtype=np.bool_)
        return np.full(n_states, self.rule == "terminated", dtype=np.bool_)

    @property
    def uses_reward(self) -> bool:
        """True when success depends on the final reward (the ``positive`` fallback)."""
        return self.rule == "positive" or (self.rule == "goal_state" and self.goal_states is None)


def success_judge(env: gym.Env) -> SuccessJudge:
    """The :class:`SuccessJudge` for ``env`` (wrappers are looked through)."""
    from levels.gridinfo import grid_info

    env_id = env.spec.id if env.spec is not None else ""
    rule = next((r for prefix, r in _BY_ID.items() if env_id.startswith(prefix)), None)
    if rule in ("survived", "terminated"):
        return SuccessJudge(rule)
    info = grid_info(env)
    if info is not None and info.tiles is not None:
        tiles = np.array([list(row) for row in info.tiles]).reshape(-1)
        goal_cells = np.isin(tiles, list(GOAL_TILES))
        channel = None
        if getattr(env.unwrapped, "observation", "index") == "image":
            from levels.gridmaze import AGENT_CHANNEL
            channel = AGENT_CHANNEL
        return SuccessJudge("goal_state", goal_cells[info.cell], channel)
    return SuccessJudge("positive")
