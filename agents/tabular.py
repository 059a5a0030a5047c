"""Tabular TD control: Q-learning, SARSA and Expected SARSA on one numpy Q-table.

The three agents share everything except the value of the next state that goes into the target
(the *bootstrap*):

* Q-learning      ``max_a Q(s', a)``                       (off-policy, Watkins)
* SARSA           ``Q(s', a')`` for the action actually taken next (on-policy)
* Expected SARSA  ``sum_a pi(a|s') Q(s', a)`` under the current epsilon-greedy policy

and every update is, in this order (the turbo kernel in ``agents/fast.py`` uses the same order so
the two paths agree to the last bit)::

    bootstrap = 0.0 if terminated else <rule above>
    target    = reward + gamma * bootstrap
    td_error  = target - old_q
    new_q     = old_q + alpha * td_error

A time-limit truncation is not a terminal state, so ``truncated`` never stops bootstrapping.

Two extensions ride on every update (both off by default):

* **Eligibility traces** (``lam`` > 0, ``agents.traces``): the TD error also credits the pairs
  tried before, each by its decaying trace: SARSA(lambda), Expected SARSA(lambda) and Watkins's
  Q(lambda), whose traces are cut when the action taken was not greedy, since from there on the
  greedy policy it learns about would not have followed the same path. The check is made on the
  next update, against the Q-values that action was chosen from. An episode's end clears them.
  ``lam = 0`` leaves only the pair just tried, with trace 1: exactly the one-step update.
* **Dyna planning** (``planning_steps`` > 0, ``agents.dyna``): the model remembers every real
  transition made while planning is on; after each update that many remembered ones are
  replayed through the agent's own one-step rule (no traces: each is a single imagined step).
``update`` returns a ``TDUpdate`` holding each piece so the app can show the arithmetic.

Random numbers come only from the agent's own ``numpy.random.Generator``: ``act`` draws one
uniform number ``u1`` to decide (explore when ``u1 < epsilon``), then a second ``u2`` when
exploring (action ``int(u2 * n_actions)``) or when several greedy actions tie (the
``int(u2 * n_ties)``-th of them in index order); none when the maximum is unique.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, SupportsFloat, SupportsInt

import gymnasium
import numpy as np

from agents.config import (
    AUTO,
    ConfigError,
    TabularConfig,
    check_range,
    field_help,
    whole_number,
)
from agents.dyna import DynaModel
from agents.optimism import initial_q_value
from agents.schedules import ConstantSchedule, Schedule, make_schedule, schedule_knobs
from agents.traces import EligibilityTraces


@dataclass(frozen=True, slots=True)
class TDUpdate:
    """One applied TD update, piece by piece (``new_q = old_q + alpha * td_error``)."""

    state: int
    action: int
    reward: float
    next_state: int
    terminated: bool
    old_q: float
    bootstrap: float
    target: float
    td_error: float
    new_q: float
    alpha: float
    gamma: float
    eligibility: float = 1.0  # the trace e(s, a) the update used: new_q = old_q + a * d * e


def greedy_action(row: list[float], rng: np.random.Generator) -> int:
    """Index of the largest entry of ``row``, ties broken uniformly at random with one draw.

    A plain-list loop: for the 4 to 6 actions of a grid world it is about three times faster
    than ``np.flatnonzero(row == row.max())`` (measured 0.4-1.1 us against 2.2-3.1 us).
    """
    best = max(row)
    if row.count(best) == 1:
        return row.index(best)
    ties = [i for i, v in enumerate(row) if v == best]
    return ties[int(rng.random() * len(ties))]


def epsilon_greedy(row: list[float], epsilon: float, u1: float, u2: float) -> int:
    """The epsilon-greedy choice made from two given uniforms, as the turbo kernel makes it:
    explore when ``u1 < epsilon`` (action ``int(u2 * n)``), else greedy with ties split by u2."""
    n = len(row)
    if u1 < epsilon:
        a = int(u2 * n)
        return a if a < n else n - 1
    best = max(row)
    ties = [i for i, v in enumerate(row) if v == best]
    return ties[int(u2 * len(ties))]


def expected_value(row: list[float], epsilon: float) -> float:
    """``sum_a pi(a) row[a]`` for the epsilon-greedy policy on ``row``.

    pi gives ``epsilon / n`` to every action and splits ``1 - epsilon`` evenly among the tied
    maxima; since those all equal ``max(row)`` the sum is ``epsilon * mean + (1 - epsilon) * max``.
    """
    return epsilon * (sum(row) / len(row)) + (1.0 - epsilon) * max(row)


class _Knob:
    """A ``TabularConfig`` hyperparameter as a plain attribute, checked on assignment.

    The value lives in ``_<name>`` so the hot paths (``act``, ``update``) read it directly;
    ``convert`` turns a checked value into the stored type (float unless told otherwise).
    """

    def __init__(self, convert: Any = float) -> None:
        self.convert = convert

    def __set_name__(self, owner: type, name: str) -> None:
        self.name, self.slot = name, f"_{name}"
        self.__doc__ = field_help(TabularConfig, name)

    def __get__(self, obj: Any, objtype: type | None = None) -> Any:
        return self if obj is None else getattr(obj, self.slot)

    def __set__(self, obj: Any, value: float) -> None:
        setattr(obj, self.slot, self.convert(check_range(TabularConfig, self.name, value)))


class TabularAgent:
    """Shared machinery of the three TD agents; subclasses only define ``_bootstrap``.

    Args:
        n_states: number of discrete states (rows of ``q``).
        n_actions: number of discrete actions (columns of ``q``).
        alpha: learning rate in [0, 1].
        gamma: discount in [0, 1].
        epsilon: exploration rate in [0, 1] used by ``act`` (and by Expected SARSA's target);
            a session sets it from ``epsilon_schedule`` before every step.
        seed: seed (or Generator) of the agent's own random numbers; same seed, same run.
        initial_q: value every Q-table entry starts from (optimism drives exploration), or
            "auto" for ``auto_initial_q``.
        auto_initial_q: what "auto" stands for on the world this agent learns
            (:func:`agents.optimism.auto_initial_q`; ``agents.build`` works it out).
        lam: eligibility-trace decay lambda in [0, 1] (0: one-step updates).
        trace: "replacing" or "accumulating" traces.
        planning_steps: Dyna updates from the learnt model after every real update.
        epsilon_schedule: how a session moves epsilon (default: constant at ``epsilon``).
    """

    kind: ClassVar[str] = ""
    needs_next_action: ClassVar[bool] = False
    restarts_schedule: ClassVar[bool] = False
    steps_learnt: ClassVar[int] = 0  # the session counts a table's steps
    reset_notice: ClassVar[str] = "the Q-table was reset"
    cuts_traces: ClassVar[bool] = False  # Watkins: an exploratory action ends the traces

    def __init__(
        self,
        n_states: int,
        n_actions: int,
        alpha: float = 0.1,
        gamma: float = 0.99,
        epsilon: float = 1.0,
        seed: int | np.random.Generator | None = None,
        initial_q: float | str = 0.0,
        auto_initial_q: float = 0.0,
        lam: float = 0.0,
        trace: str = "replacing",
        planning_steps: int = 0,
        epsilon_schedule: Schedule | None = None,
    ) -> None:
        for label, n in (("number of states", n_states), ("number of actions", n_actions)):
            if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
                raise ConfigError(f"the {label} must be a whole number of at least 1, got {n!r}")
        self.n_states = int(n_states)
        self.n_actions = int(n_actions)
        self.alpha = alpha
        self.gamma = gamma
        self.epsilon = epsilon
        self.lam = lam
        self.trace = trace
        self.planning_steps = planning_steps
        self.auto_initial_q = float(auto_initial_q)
        self.initial_q = initial_q_value(initial_q, self.auto_initial_q)
        #: "auto" or the number the user chose; ``initial_q`` is the value it means here
        self.initial_q_setting: float | str = AUTO if initial_q == AUTO else self.initial_q
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.q = np.full((self.n_states, self.n_actions), self.initial_q, dtype=np.float64)
        self.traces = EligibilityTraces(self.n_states, self.n_actions)
        self.model = DynaModel(self.n_states, self.n_actions)
        self.epsilon_schedule: Schedule = (ConstantSchedule(self._epsilon)
                                           if epsilon_schedule is None else epsilon_schedule)

    # Hyperparameters: plain attributes to the reader, range-checked on assignment so a slider
    # or a flag can never slip in alpha = 1.5. Each update reads the current values.
    alpha = _Knob()
    gamma = _Knob()
    epsilon = _Knob()
    lam = _Knob()
    trace = _Knob(str)
    planning_steps = _Knob(lambda value: whole_number("planning_steps", value))

    def act(self, state: SupportsInt) -> int:
        """Epsilon-greedy action: uniform with probability epsilon, else greedy (random ties)."""
        rng = self.rng
        if rng.random() < self._epsilon:
            # int(u * n) rather than rng.integers(n): a quarter of the cost, same uniformity
            # for a handful of actions, and the draw the turbo kernel makes from its uniforms.
            n = self.n_actions
            a = int(rng.random() * n)
            return a if a < n else n - 1
        return greedy_action(self.q[state].tolist(), rng)

    def greedy(self, state: SupportsInt) -> int:
        """Best action for ``state``; ties broken uniformly at random so a fresh table is fair."""
        return greedy_action(self.q[state].tolist(), self.rng)

    def q_values(self, states: Any) -> np.ndarray:
        """A copy of the Q-values of one state (shape [A]) or of many (shape [N, A])."""
        return self.q[np.asarray(states, dtype=np.int64)].copy()

    @property
    def q_table(self) -> np.ndarray:
        """The Q-table itself (``q``): the turbo kernel updates it in place."""
        return self.q

    def reseed(self, seed: int | np.random.SeedSequence | None) -> None:
        """Restart the Generator from ``seed`` (the session calls this with its own seed)."""
        self.rng = np.random.default_rng(seed)

    def reset_q(self) -> None:
        """Forget everything learnt: every entry back to ``initial_q`` (same array object),
        no traces, an empty model."""
        self.q.fill(self.initial_q)
        self.traces.clear()
        self.model.clear()

    def follow_auto_initial_q(self, value: float) -> bool:
        """The world was edited and an initial Q of "auto" now stands for ``value``. Returns
        True when that changed the value in use: the table then starts over from it (as when
        the setting itself changes), so the app and the CLI start the same world the same way."""
        value = float(value)
        if value == self.auto_initial_q:
            return False
        self.auto_initial_q = value
        if self.initial_q_setting != AUTO:
            return False
        self.initial_q = value
        self.reset_q()
        return True

    def start_episode(self) -> None:
        """A new episode begins: nothing earlier may be credited by its TD errors."""
        self.traces.clear()

    def forget_states(self, states: Sequence[int] | np.ndarray) -> None:
        """Forget what was learnt about ``states`` (cells an edit changed): their Q rows go back
        to ``initial_q`` and the model drops their transitions."""
        rows = np.asarray(states, dtype=np.int64)
        self.q[rows] = self.initial_q
        self.model.forget(rows)
        self.traces.clear()

    def eligibility_by_state(self) -> np.ndarray:
        """``[S]`` the largest trace of any action in each state (0 where nothing is credited)."""
        out = np.zeros(self.n_states)
        states, _, values = self.traces.active()
        np.maximum.at(out, states, values)
        return out

    def model_by_state(self) -> tuple[np.ndarray, np.ndarray]:
        """``[S]`` bool: states the Dyna model has an outcome for; ``[S]`` int: how many of the
        last real step's planning updates started in each state."""
        states, _ = self.model.last_planned(self._planning_steps)
        return (self.model.known().any(axis=1),
                np.bincount(states, minlength=self.n_states).astype(np.int64))

    def fits(self, observation_space: gymnasium.Space, action_space: gymnasium.Space) -> bool:
        """True when the spaces have this table's state and action counts."""
        discrete = gymnasium.spaces.Discrete
        return (isinstance(observation_space, discrete) and isinstance(action_space, discrete)
                and (int(observation_space.n), int(action_space.n)) == self.q.shape)

    def for_spaces(self, observation_space: Any, action_space: Any) -> TabularAgent:
        """A fresh table for other (Discrete) spaces, same hyperparameters and schedule; the
        Generator carries on (a session swaps this in when an edit changes the state count)."""
        fresh = type(self)(int(observation_space.n), int(action_space.n), alpha=self._alpha,
                           gamma=self._gamma, epsilon=self._epsilon,
                           initial_q=self.initial_q_setting, auto_initial_q=self.auto_initial_q,
                           lam=self._lam, trace=self._trace,
                           planning_steps=self._planning_steps,
                           epsilon_schedule=self.epsilon_schedule)
        fresh.seed, fresh.rng = self.seed, self.rng
        return fresh

    def hyperparameters(self) -> dict[str, Any]:
        """The ``TabularConfig`` fields: the schedule's knobs (schedule, epsilon, epsilon_min,
        epsilon_decay) and the update's, as stored in agent files."""
        return {**schedule_knobs(self.epsilon_schedule), "alpha": self._alpha,
                "gamma": self._gamma, "initial_q": self.initial_q_setting, "lam": self._lam,
                "trace": self._trace, "planning_steps": self._planning_steps}

    def set_hyperparameters(self, **changes: Any) -> None:
        """Change ``TabularConfig`` knobs between steps, all or nothing.

        The epsilon knobs (schedule, epsilon, epsilon_min, epsilon_decay) rebuild the schedule,
        which the session follows from its next step; the others apply from the next update.

        Raises:
            ConfigError: an unknown name or a value outside its range (nothing is changed).
        """
        knobs = schedule_knobs(self.epsilon_schedule)
        values: dict[str, Any] = {}
        for name, value in changes.items():
            if name in knobs:
                knobs[name] = check_range(TabularConfig, name, value)
            elif name == "initial_q":
                values["initial_q"] = initial_q_value(value, self.auto_initial_q)
                values["initial_q_setting"] = AUTO if value == AUTO else values["initial_q"]
            elif name in _UPDATE_KNOBS:
                values[name] = _UPDATE_KNOBS[name].convert(check_range(TabularConfig, name, value))
            else:
                raise ConfigError(f"unknown hyperparameter {name!r}")
        schedule = self.epsilon_schedule
        if any(name in knobs for name in changes):
            schedule = make_schedule(knobs["schedule"], knobs["epsilon"], knobs["epsilon_min"],
                                     knobs["epsilon_decay"])
        for name, value in values.items():
            setattr(self, name, value)
        self.epsilon_schedule = schedule

    def _bootstrap(self, next_state: int, next_action: int | None) -> float:
        raise NotImplementedError

    def _planned_bootstrap(self, next_state: int) -> float:
        """The bootstrap of an imagined transition (SARSA draws its next action)."""
        return self._bootstrap(next_state, None)

    def update(
        self,
        state: SupportsInt,
        action: SupportsInt,
        reward: SupportsFloat,
        next_state: SupportsInt,
        terminated: bool,
        next_action: SupportsInt | None = None,
        truncated: bool = False,
    ) -> TDUpdate:
        """Apply this agent's TD rule to ``q[state, action]`` and return the pieces.

        With traces (``lam`` > 0) the same TD error also moves every traced pair; with Dyna
        (``planning_steps`` > 0) the planning updates follow. The pieces describe the real update.

        Args:
            state, action, reward, next_state: the transition just observed.
            terminated: the episode ended in a terminal state: nothing to bootstrap from.
            next_action: the action that will be taken in ``next_state`` (SARSA needs it unless
                ``terminated``; the other rules ignore it).
            truncated: cut by a time limit: ``next_state`` still has a value, but every trace ends.

        Raises:
            ValueError: a state or action outside the table, or SARSA without ``next_action``.
        """
        s, a, s2 = int(state), int(action), int(next_state)
        a2 = self._check_transition(s, a, s2, next_action)
        n_actions = self.n_actions
        alpha, gamma = self._alpha, self._gamma
        r = float(reward)
        done = bool(terminated)
        q, traces = self.q, self.traces
        old_q = float(q[s, a])
        bootstrap = 0.0 if done else self._bootstrap(s2, a2)
        target = r + gamma * bootstrap
        td_error = target - old_q
        if self.cuts_traces and len(traces) and old_q < max(q[s].tolist()):
            traces.clear()  # the action just taken was exploratory
        slot = int(traces.slot[s * n_actions + a])
        earlier = float(traces.value[slot]) if slot >= 0 and self._trace != "replacing" else 0.0
        traces.update(q, s, a, alpha * td_error, gamma * self._lam,
                      self._trace == "replacing")
        new_q = float(q[s, a])
        if done or truncated:
            traces.clear()
        if self._planning_steps:
            self.model.record(s, a, r, s2, done)
            self._plan()
        return TDUpdate(s, a, r, s2, done, old_q, bootstrap, target, td_error, new_q, alpha,
                        gamma, earlier + 1.0)

    def _check_transition(self, s: int, a: int, s2: int,
                          next_action: SupportsInt | None) -> int | None:
        """ValueError unless the transition lies inside the table; the next action as an int."""
        n_states, n_actions = self.n_states, self.n_actions
        if not (0 <= s < n_states and 0 <= s2 < n_states and 0 <= a < n_actions):
            raise ValueError(
                f"transition ({s}, {a}) -> {s2} is outside the Q-table of "
                f"{n_states} states and {n_actions} actions"
            )
        if next_action is None:
            return None
        a2 = int(next_action)
        if not 0 <= a2 < n_actions:
            raise ValueError(f"next action {a2} is outside the {n_actions} actions")
        return a2

    def _plan(self) -> None:
        """Dyna: ``planning_steps`` one-step updates on transitions drawn from the model."""
        model, q, rng = self.model, self.q, self.rng
        if not len(model):
            return
        alpha, gamma = self._alpha, self._gamma
        for _ in range(self._planning_steps):
            s, a, r, s2, term = model.sample(rng.random(), rng.random())
            bootstrap = 0.0 if term else self._planned_bootstrap(s2)
            old = float(q[s, a])
            q[s, a] = old + alpha * ((r + gamma * bootstrap) - old)
            model.note_planned(s, a)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(n_states={self.n_states}, n_actions={self.n_actions}, "
            f"alpha={self._alpha:g}, gamma={self._gamma:g}, epsilon={self._epsilon:g})"
        )


class QLearning(TabularAgent):
    """Off-policy TD control: learns the greedy policy's values while exploring."""

    kind = "q-learning"
    needs_next_action = False
    cuts_traces = True

    def _bootstrap(self, next_state: int, next_action: int | None) -> float:
        return max(self.q[next_state].tolist())


class Sarsa(TabularAgent):
    """On-policy TD control: learns the values of the epsilon-greedy policy it follows."""

    kind = "sarsa"
    needs_next_action = True

    def _bootstrap(self, next_state: int, next_action: int | None) -> float:
        if next_action is None:
            raise ValueError(
                "SARSA needs next_action (the action chosen in next_state) unless terminated"
            )
        return float(self.q[next_state, next_action])

    def _planned_bootstrap(self, next_state: int) -> float:
        rng = self.rng
        row = self.q[next_state].tolist()
        return row[epsilon_greedy(row, self._epsilon, rng.random(), rng.random())]


class ExpectedSarsa(TabularAgent):
    """SARSA with the next action averaged out under the current epsilon-greedy policy."""

    kind = "expected-sarsa"
    needs_next_action = False

    def _bootstrap(self, next_state: int, next_action: int | None) -> float:
        return expected_value(self.q[next_state].tolist(), self._epsilon)


AGENT_KINDS: dict[str, type[TabularAgent]] = {
    cls.kind: cls for cls in (QLearning, Sarsa, ExpectedSarsa)
}

# The range-checked knobs of the update (set through their _Knob, which converts the value).
_UPDATE_KNOBS: dict[str, _Knob] = {name: TabularAgent.__dict__[name]
                                   for name in ("alpha", "gamma", "lam", "trace",
                                                "planning_steps")}
_AGENT_ARGS = ("alpha", "gamma", "epsilon", "seed", "initial_q", "auto_initial_q", "lam",
               "trace", "planning_steps")
# TabularConfig fields that shape the epsilon schedule rather than the update.
_SCHEDULE_ARGS = ("epsilon_min", "epsilon_decay", "schedule")


def make_tabular(kind: str, n_states: int, n_actions: int, *, total_steps: int | None = None,
                 **hp: Any) -> TabularAgent:
    """Build the agent called ``kind`` ("q-learning", "sarsa", "expected-sarsa").

    ``hp`` may hold any field of ``TabularConfig`` and ``seed``. Given any of the schedule fields
    (schedule, epsilon_min, epsilon_decay) the agent's epsilon schedule is ``make_schedule`` of
    them (``TabularConfig``'s defaults for the rest; a linear one spans ``total_steps`` when
    given); without them epsilon stays at ``epsilon``.
    """
    key = str(kind).strip().lower().replace("_", "-")
    cls = AGENT_KINDS.get(key) or AGENT_KINDS.get(key.replace("qlearning", "q-learning"))
    if cls is None:
        raise ConfigError(
            f"unknown tabular agent {kind!r}; choose one of {', '.join(AGENT_KINDS)}"
        )
    unknown = [k for k in hp if k not in _AGENT_ARGS and k not in _SCHEDULE_ARGS]
    if unknown:
        raise ConfigError(
            f"unknown hyperparameter {unknown[0]!r} for {cls.kind}; "
            f"known ones are {', '.join(_AGENT_ARGS)}"
        )
    schedule = None
    if any(k in hp for k in _SCHEDULE_ARGS):
        defaults = TabularConfig()
        knobs = {k: hp.get(k, getattr(defaults, k)) for k in (*_SCHEDULE_ARGS, "epsilon")}
        schedule = make_schedule(knobs["schedule"], knobs["epsilon"], knobs["epsilon_min"],
                                 knobs["epsilon_decay"], total_steps)
    return cls(n_states, n_actions, epsilon_schedule=schedule,
               **{k: v for k, v in hp.items() if k in _AGENT_ARGS})
