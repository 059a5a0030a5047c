"""Where the panel reads hyperparameters: the agent's own, so the panel keeps no copy.

:class:`AgentSettings` is told by :class:`app.training.TrainingControl` which agent is on
screen; the side panel's sliders read :meth:`AgentSettings.values` whenever they are built or
synced, and new tabular agents take :meth:`AgentSettings.tabular`.
"""

from __future__ import annotations

from typing import Any

from agents import Agent
from agents.config import TabularConfig
from agents.tabular import TabularAgent

TABULAR_KNOBS = ("alpha", "gamma", "epsilon", "epsilon_decay", "lam", "trace",
                 "planning_steps", "initial_q")  # the panel's tabular sliders and trace switch
INITIAL_Q_USED = "initial_q_used"  #: the number a tabular agent's initial Q setting stands for


class AgentSettings:
    """Where the panel reads hyperparameters, so it never keeps a copy to re-sync.

    While an agent is on screen that is the agent's own ``hyperparameters()``. A new tabular
    agent gets the tabular knobs of the agent on screen, or of the last tabular one (at first,
    ``TabularConfig``'s defaults) when a DQN or no agent is on screen.
    """

    def __init__(self) -> None:
        defaults = TabularConfig()
        self._tabular = {name: getattr(defaults, name) for name in TABULAR_KNOBS}
        self.epsilon_min = defaults.epsilon_min
        self._agent: Agent | None = None

    def follow(self, agent: Agent | None) -> None:
        """``agent`` is now on screen (None: no agent)."""
        if self._agent is not None and self._agent.kind != "dqn":
            self._tabular = self.tabular()
        self._agent = agent

    def values(self) -> dict[str, Any]:
        """The hyperparameters the panel shows; for a tabular agent also ``INITIAL_Q_USED``,
        the number its initial Q setting ("auto" or a number) stands for on its world."""
        if isinstance(self._agent, TabularAgent):
            return {**self._agent.hyperparameters(), INITIAL_Q_USED: self._agent.initial_q}
        if self._agent is not None:
            return self._agent.hyperparameters()
        return dict(self._tabular)

    def tabular(self) -> dict[str, Any]:
        """The tabular knobs (alpha, gamma, epsilon, its decay, lambda, trace kind, planning
        steps) for a new tabular agent."""
        if self._agent is not None and self._agent.kind != "dqn":
            values = self._agent.hyperparameters()
            return {name: values[name] for name in TABULAR_KNOBS}
        return dict(self._tabular)

    def set_tabular(self, name: str, value: Any) -> None:
        """A slider moved while no agent is on screen: the next one gets ``value``."""
        if self._agent is None and name in self._tabular:
            self._tabular[name] = value
