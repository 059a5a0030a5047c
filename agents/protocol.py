"""The agent protocol: what the session, the turbo path, evaluation and storage ask of an agent.

Every agent (the tabular ones in :mod:`agents.tabular`, the DQN in :mod:`agents.dqn`) satisfies
:class:`Agent` structurally; nothing checks for methods with ``hasattr``. An agent owns

* its acting (``act`` epsilon-greedy with the live ``epsilon``, ``greedy``) and its random
  numbers (``rng``, restarted by ``reseed``);
* its learning (``update``, ``reset_q``) and its Q-values (``q_values``; ``q_table`` is the table
  itself for an agent that learns one, which the compiled turbo path updates in place);
* its hyperparameters (``hyperparameters``, ``set_hyperparameters``: validated by the agent, all
  or nothing) and its epsilon schedule (``epsilon_schedule``), which the session follows: before
  each step it sets ``epsilon`` to ``epsilon_schedule.value(step, episode)``.

Torch-free and nearly import-free on purpose: the session and the CLI import it on every run.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:  # kept out of the import: the CLI's --help loads this package
    import gymnasium
    import numpy as np

    from agents.schedules import Schedule


class TrainingDiverged(RuntimeError):
    """The loss or the Q-values became NaN or infinite; learning stopped (one-sentence message)."""


@runtime_checkable
class Agent(Protocol):
    """An RL agent a ``TrainingSession`` can drive (see the module docstring)."""

    #: "q-learning", "sarsa", "expected-sarsa" or "dqn": picks the file format and the panel.
    kind: ClassVar[str]
    #: True when ``update`` needs the action chosen in the next state (SARSA).
    needs_next_action: ClassVar[bool]
    #: True when a replacement agent (``for_spaces``) restarts the epsilon schedule from step 0,
    #: because the agent counts its own steps (a DQN); a tabular schedule carries on.
    restarts_schedule: ClassVar[bool]
    #: Learning steps the agent counted itself (a DQN's ``num_steps``, read back from its file
    #: when loaded), where a session's schedule step starts; 0 for an agent that counts none.
    steps_learnt: int
    #: What the session says when an edit forces a fresh agent ("the Q-table was reset").
    reset_notice: ClassVar[str]
    #: The exploration rate ``act`` uses now; the session sets it from the schedule.
    epsilon: float
    rng: np.random.Generator

    @property
    def epsilon_schedule(self) -> Schedule:
        """How epsilon moves with the session's learning steps and episodes."""

    @property
    def q_table(self) -> np.ndarray | None:
        """The Q-table itself (updated in place by the turbo path), or None for a network."""

    def act(self, state: Any) -> int:
        """Epsilon-greedy action in ``state``."""

    def greedy(self, state: Any) -> int:
        """Best action in ``state``."""

    def q_values(self, states: Any) -> np.ndarray:
        """Q-values ``[n, n_actions]`` of a batch of states (``[n_actions]`` for one state)."""

    def update(self, state: Any, action: int, reward: float, next_state: Any, terminated: bool,
               next_action: int | None = None, truncated: bool = False) -> Any:
        """Learn from one transition; returns what the update did (or None)."""

    def start_episode(self) -> None:
        """A new episode begins (eligibility traces end with the last one)."""

    def reseed(self, seed: int | None) -> None:
        """Restart the agent's random streams from ``seed``."""

    def reset_q(self) -> None:
        """Forget everything learnt (same hyperparameters)."""

    def fits(self, observation_space: gymnasium.Space, action_space: gymnasium.Space) -> bool:
        """Whether this agent can go on learning on an env with these spaces."""

    def for_spaces(self, observation_space: gymnasium.Space,
                   action_space: gymnasium.Space) -> Agent:
        """A fresh agent of the same kind and hyperparameters for other spaces."""

    def forget_states(self, states: Sequence[int] | np.ndarray) -> None:
        """Forget what was learnt about ``states`` (cells an edit changed)."""

    def eligibility_by_state(self) -> np.ndarray | None:
        """``[S]`` the largest eligibility trace of any action per state now (None: no traces)."""

    def model_by_state(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Dyna's model per state: ``[S]`` bool known, ``[S]`` count among the last planning
        step's updates (None: the agent plans with no model)."""

    def hyperparameters(self) -> dict[str, Any]:
        """The live hyperparameters, as stored in agent files."""

    def set_hyperparameters(self, **changes: Any) -> None:
        """Change hyperparameters between steps; ConfigError (and no change) for a bad one."""
