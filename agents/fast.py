"""Turbo: the same tabular MDP, stepped by compiled code instead of Gymnasium's Python ``step``.

An env that publishes its full model (GridMaze's ``transition_arrays()``, the toy-text envs' ``P``
and ``initial_state_distrib``) can be copied once into ``TabularModel`` arrays; ``run_steps`` then
plays agent, epsilon schedule and env together inside one numba kernel, typically 100x faster than
``env.step`` plus ``agent.update`` in Python.

It stays the *same* MDP: outcomes keep the order of ``P`` and are drawn exactly as gymnasium's
``categorical_sample`` draws them (first outcome whose cumulative probability exceeds a uniform
number); the episode starts from ``initial_state_distrib`` the same way; the time limit is the
env's own (TimeLimit wrapper or the level's ``max_steps``), so truncation happens at the same step
and, as in the agents, bootstraps while termination does not. The update arithmetic is written in
the same order as ``agents/tabular.py`` so the two paths agree to the last bit on the same
transitions (``tests/test_fast.py`` checks this for all three rules).

The agent's eligibility traces and Dyna model (``agents.traces``, ``agents.dyna``) are arrays the
kernel updates in place through the same plain functions the Python agents call, compiled here.

Random numbers: the caller passes a block of uniform numbers drawn from the agent's own
``numpy.random.Generator``; the kernel consumes them in order and reports how many it used, so a
run's result depends on the seed only, never on how it was cut into chunks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
from numba import njit

from agents.dyna import C_PLANNED, C_STATES, record_transition, sample_pair
from agents.numbastart import load_cached_without_refresh
from agents.schedules import schedule_value
from agents.traces import clear_traces, trace_update
from levels.success import SuccessJudge

# Update rules, by agent kind (the kernel branches on these codes).
RULE_Q_LEARNING, RULE_SARSA, RULE_EXPECTED_SARSA = 0, 1, 2
RULES = {"q-learning": RULE_Q_LEARNING, "sarsa": RULE_SARSA,
         "expected-sarsa": RULE_EXPECTED_SARSA}

# Uniform numbers one kernel iteration may use at most: action (2), outcome (1), SARSA's next
# action (2), the next episode's start state (1); and per Dyna planning step: the remembered
# state and action (2), SARSA's next action (2).
MAX_UNIFORMS_PER_STEP = 6
UNIFORMS_PER_PLANNING_STEP = 4

# Slots of the int64 ``istate`` array the kernel reads and writes back (the run's live state).
I_STATE = 0  # current state
I_EP_STEP = 1  # steps taken in the current episode
I_NEXT_ACTION = 2  # SARSA's already chosen next action, -1 when none
I_STEP = 3  # schedule step counter (learning steps so far)
I_EPISODE = 4  # schedule episode counter (learning episodes so far)
I_UPOS = 5  # next unused uniform number
I_NOUT = 6  # finished episodes written to the output arrays
I_RPOS = 7  # states written to the path ring so far
I_CUR_START = 8  # ring position where the current episode's path starts
I_LAST_START = 9  # ring positions of the last finished episode's path
I_LAST_END = 10
I_DIVERGED = 11  # 1 when an update produced a non-finite Q-value
N_ISTATE = 12


class TurboUnavailable(ValueError):
    """The env does not publish a transition model the turbo kernel can step faithfully."""


@dataclass(frozen=True, eq=False)
class TabularModel:
    """A tabular MDP as arrays: outcome ``k`` of action ``a`` in state ``s`` has probability
    ``prob[s, a, k]`` and leads to ``next_state[s, a, k]`` with ``reward`` and ``terminated``.

    ``K`` is the largest number of outcomes of any (s, a); shorter lists are padded with
    zero-probability outcomes. ``max_steps`` is the episode time limit (None: no limit).
    """

    prob: np.ndarray
    next_state: np.ndarray
    reward: np.ndarray
    terminated: np.ndarray
    initial: np.ndarray
    max_steps: int | None

    @property
    def n_states(self) -> int:
        """Number of states S."""
        return int(self.prob.shape[0])

    @property
    def n_actions(self) -> int:
        """Number of actions A."""
        return int(self.prob.shape[1])

    @property
    def cdf(self) -> np.ndarray:
        """Cumulative outcome probabilities [S, A, K], summed in ``P``'s order like gymnasium."""
        return np.cumsum(self.prob, axis=2)

    @classmethod
    def from_env(cls, env: gymnasium.Env) -> TabularModel:
        """Copy the model of ``env`` (wrappers allowed).

        Raises:
            TurboUnavailable: the env has no ``P``/``transition_arrays`` and initial distribution,
                or has dynamics ``P`` does not describe (Taxi's ``fickle_passenger``).
        """
        base = env.unwrapped
        name = type(base).__name__
        if not isinstance(env.observation_space, gymnasium.spaces.Discrete) or not isinstance(
            env.action_space, gymnasium.spaces.Discrete
        ):
            raise TurboUnavailable(f"{name} has no discrete states and actions to tabulate")
        if getattr(base, "fickle_passenger", False):
            raise TurboUnavailable(
                "Taxi with fickle_passenger changes destinations outside its model P"
            )
        initial = getattr(base, "initial_state_distrib", None)
        if initial is None:
            raise TurboUnavailable(f"{name} publishes no initial_state_distrib")
        if hasattr(base, "transition_arrays"):
            arrays = base.transition_arrays()
            prob = np.asarray(arrays["prob"], dtype=np.float64)
            next_state = np.asarray(arrays["next_state"], dtype=np.int64)
            reward = np.asarray(arrays["reward"], dtype=np.float64)
            terminated = np.asarray(arrays["terminated"], dtype=np.bool_)
        elif hasattr(base, "P"):
            prob, next_state, reward, terminated = _arrays_from_p(
                base.P, env.observation_space.n, env.action_space.n
            )
        else:
            raise TurboUnavailable(f"{name} publishes no transition model P")
        return cls(
            # Own, writeable, contiguous copies: one compiled signature for every env.
            prob=np.array(prob, order="C"),
            next_state=np.array(next_state, order="C"),
            reward=np.array(reward, order="C"),
            terminated=np.array(terminated, order="C"),
            initial=np.asarray(initial, dtype=np.float64).copy(),
            max_steps=time_limit(env),
        )


def _arrays_from_p(P: Any, n_states: int, n_actions: int) -> tuple[np.ndarray, ...]:
    """Pad toy-text ``P[s][a]`` outcome lists, kept in their order, into [S, A, K] arrays."""
    k = max(len(P[s][a]) for s in range(n_states) for a in range(n_actions))
    shape = (n_states, n_actions, k)
    prob = np.zeros(shape)
    next_state = np.zeros(shape, dtype=np.int64)
    reward = np.zeros(shape)
    terminated = np.zeros(shape, dtype=np.bool_)
    for s in range(n_states):
        for a in range(n_actions):
            next_state[s, a, :] = s  # padding: a zero-probability self-loop
            for i, (p, s2, r, t) in enumerate(P[s][a]):
                prob[s, a, i] = p
                next_state[s, a, i] = s2
                reward[s, a, i] = r
                terminated[s, a, i] = t
    return prob, next_state, reward, terminated


def time_limit(env: gymnasium.Env) -> int | None:
    """The episode step limit ``env`` enforces: the tightest TimeLimit wrapper or level limit."""
    limits = []
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, gymnasium.wrappers.TimeLimit):
            limits.append(int(layer._max_episode_steps))
        layer = layer.env
    level = getattr(layer, "level", None)
    if level is not None and getattr(level, "max_steps", None):
        limits.append(int(level.max_steps))
    return min(limits) if limits else None


_epsilon = njit(cache=True, _nrt=False)(schedule_value)
_trace_update = njit(cache=True, _nrt=False)(trace_update)
_clear_traces = njit(cache=True, _nrt=False)(clear_traces)
_record_transition = njit(cache=True, _nrt=False)(record_transition)
_sample_pair = njit(cache=True, _nrt=False)(sample_pair)


@njit(cache=True, _nrt=False)
def _sample(cdf_row: np.ndarray, u: float) -> int:
    """gymnasium's categorical_sample: first index whose cumulative probability exceeds u."""
    for k in range(cdf_row.shape[0]):
        if cdf_row[k] > u:
            return k
    return 0  # np.argmax of an all-False array, as gymnasium does


@njit(cache=True, _nrt=False)
def _greedy(row: np.ndarray, u: float) -> int:
    """Index of the maximum of ``row``; ties broken by ``u`` like ``tabular.greedy_action``."""
    best = row[0]
    for i in range(1, row.shape[0]):
        if row[i] > best:
            best = row[i]
    count = 0
    for i in range(row.shape[0]):
        if row[i] == best:
            count += 1
    pick = int(u * count)
    for i in range(row.shape[0]):
        if row[i] == best:
            if pick == 0:
                return i
            pick -= 1
    return 0


@njit(cache=True, _nrt=False)
def _act(row: np.ndarray, eps: float, u1: float, u2: float) -> int:
    """Epsilon-greedy: explore when u1 < eps (a uniform action from u2), else greedy."""
    n = row.shape[0]
    if u1 < eps:
        a = int(u2 * n)
        return a if a < n else n - 1
    return _greedy(row, u2)


@njit(cache=True, _nrt=False)
def _value(q, rule, s2, eps):
    """Q-learning's max or Expected SARSA's epsilon-greedy mean of row ``s2``."""
    n_actions = q.shape[1]
    if rule == RULE_Q_LEARNING:
        best = q[s2, 0]
        for i in range(1, n_actions):
            if q[s2, i] > best:
                best = q[s2, i]
        return best
    total = 0.0
    best = q[s2, 0]
    for i in range(n_actions):
        total += q[s2, i]
        if q[s2, i] > best:
            best = q[s2, i]
    return eps * (total / n_actions) + (1.0 - eps) * best


@njit(cache=True, _nrt=False)
def _plan(q, rule, alpha, gamma, eps, n_plan, model, uniforms, pos):
    """Dyna: ``n_plan`` one-step updates on remembered transitions; returns the next ``pos``."""
    m_next, m_reward, m_term, states, actions, n_tried, counters, planned = model
    if counters[C_STATES] == 0:
        return pos
    n_actions = q.shape[1]
    ring_size = planned.shape[0]
    for _ in range(n_plan):
        s, a = _sample_pair(states, actions, n_tried, counters, uniforms[pos], uniforms[pos + 1])
        pos += 2
        s2 = m_next[s, a]
        if m_term[s, a]:
            bootstrap = 0.0
        elif rule == RULE_SARSA:
            a2 = _act(q[s2], eps, uniforms[pos], uniforms[pos + 1])
            pos += 2
            bootstrap = q[s2, a2]
        else:
            bootstrap = _value(q, rule, s2, eps)
        old = q[s, a]
        q[s, a] = old + alpha * ((m_reward[s, a] + gamma * bootstrap) - old)
        planned[counters[C_PLANNED] % ring_size] = s * n_actions + a
        counters[C_PLANNED] += 1
    return pos


@njit(cache=True, nogil=True, _nrt=False)  # a worker thread steps while the UI thread draws
def run_steps(
    q, cdf, next_state, reward, terminated, initial_cdf, max_steps,
    rule, alpha, gamma, eps_kind, e0, e1, e2,
    uniforms, n_steps, istate, ep_return, visits, last_td, ring,
    out_return, out_length, out_success, goal, goal_by_reward,
    lam, replacing, tr_index, tr_value, tr_slot, tr_count,
    n_plan, m_next, m_reward, m_term, m_states, m_actions, m_tried, m_counters, m_planned,
):  # fmt: skip
    """Run up to ``n_steps`` learning steps in place; return how many ran.

    Stops early when the output arrays are full (one slot per finished episode), when fewer
    uniform numbers remain than a step may use, or after an update makes Q non-finite
    (``istate[I_DIVERGED] = 1``). ``max_steps <= 0`` means no time limit. ``ep_return`` is a
    1-element float array holding the current episode's return. ``tr_*`` are the agent's
    ``EligibilityTraces.arrays()`` and ``m_*`` its ``DynaModel.arrays()``, ``n_plan`` its
    planning steps. Every argument is an array or a number, never a tuple: numba types those
    in C when it dispatches a call, a tuple of arrays in Python (~0.1 ms a call).
    """
    model = (m_next, m_reward, m_term, m_states, m_actions, m_tried, m_counters, m_planned)
    decay = gamma * lam
    per_step = MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * n_plan
    n_u = uniforms.shape[0]
    cap = out_return.shape[0]
    ring_size = ring.shape[0]
    s = istate[I_STATE]
    ep_step = istate[I_EP_STEP]
    a_next = istate[I_NEXT_ACTION]
    step = istate[I_STEP]
    episode = istate[I_EPISODE]
    pos = istate[I_UPOS]
    n_out = istate[I_NOUT]
    rpos = istate[I_RPOS]
    ret = ep_return[0]
    done = 0
    while done < n_steps and n_out < cap and pos + per_step <= n_u:
        eps = _epsilon(eps_kind, e0, e1, e2, step, episode)
        if a_next >= 0:
            a = a_next
        else:
            a = _act(q[s], eps, uniforms[pos], uniforms[pos + 1])
            pos += 2
        k = _sample(cdf[s, a], uniforms[pos])
        pos += 1
        s2 = next_state[s, a, k]
        r = reward[s, a, k]
        term = terminated[s, a, k]
        ep_step += 1
        step += 1
        ret += r
        trunc = (not term) and max_steps > 0 and ep_step >= max_steps
        a_next = -1
        if term:
            bootstrap = 0.0
        elif rule == RULE_SARSA:
            eps2 = _epsilon(eps_kind, e0, e1, e2, step, episode)
            a2 = _act(q[s2], eps2, uniforms[pos], uniforms[pos + 1])
            pos += 2
            bootstrap = q[s2, a2]
            if not trunc:
                a_next = a2
        else:
            bootstrap = _value(q, rule, s2, 0.0 if rule == RULE_Q_LEARNING else eps)
        old = q[s, a]
        target = r + gamma * bootstrap
        td = target - old
        if (rule == RULE_Q_LEARNING and tr_count[0] > 0
                and old < _value(q, RULE_Q_LEARNING, s, 0.0)):
            _clear_traces(tr_index, tr_slot, tr_count)  # Watkins: a was exploratory
        if decay == 0.0 and tr_count[0] == 0:
            new = old + alpha * td  # the trace update's arithmetic when (s, a) is alone at e = 1
            q[s, a] = new
        else:
            _trace_update(q, tr_index, tr_value, tr_slot, tr_count, s, a, alpha * td, decay,
                          replacing)
            new = q[s, a]
        if term or trunc:
            _clear_traces(tr_index, tr_slot, tr_count)
        if n_plan > 0:  # the model learns only while it is used: recording costs ~40 ns a step
            _record_transition(m_next, m_reward, m_term, m_states, m_actions, m_tried,
                               m_counters, s, a, r, s2, term)
            pos = _plan(q, rule, alpha, gamma, eps, n_plan, model, uniforms, pos)
        last_td[s, a] = td
        visits[s] += 1
        ring[rpos % ring_size] = s2
        rpos += 1
        done += 1
        if term or trunc:
            out_return[n_out] = ret
            out_length[n_out] = ep_step
            out_success[n_out] = term and (r > 0.0 if goal_by_reward else goal[s2])
            n_out += 1
            episode += 1
            istate[I_LAST_START] = istate[I_CUR_START]
            istate[I_LAST_END] = rpos
            s = _sample(initial_cdf, uniforms[pos])
            pos += 1
            ep_step = 0
            ret = 0.0
            istate[I_CUR_START] = rpos
            ring[rpos % ring_size] = s
            rpos += 1
        else:
            s = s2
        if not np.isfinite(new):
            istate[I_DIVERGED] = 1
            break
    istate[I_STATE] = s
    istate[I_EP_STEP] = ep_step
    istate[I_NEXT_ACTION] = a_next
    istate[I_STEP] = step
    istate[I_EPISODE] = episode
    istate[I_UPOS] = pos
    istate[I_NOUT] = n_out
    istate[I_RPOS] = rpos
    ep_return[0] = ret
    return done


load_cached_without_refresh(run_steps)


class TurboRunner:
    """Drives ``run_steps`` for one model and one Q-table, owning the kernel's buffers.

    The session keeps the episode bookkeeping (state, step in episode, SARSA's next action,
    schedule counters, path ring) in ``istate`` so the Python and turbo paths hand over to each
    other mid-episode.
    """

    BLOCK = 1 << 16

    def __init__(self, model: TabularModel, capacity: int = 1 << 15,
                 judge: SuccessJudge | None = None) -> None:
        judge = judge or SuccessJudge("positive")
        self.model = model
        self.goal = judge.goal_mask(model.initial.shape[0])
        self.goal_by_reward = bool(judge.uses_reward)
        self.cdf = np.ascontiguousarray(model.cdf)
        self.initial_cdf = np.cumsum(model.initial)
        self.max_steps = int(model.max_steps or 0)
        self.uniforms = np.empty(0)
        self.out_return = np.empty(capacity)
        self.out_length = np.empty(capacity, dtype=np.int64)
        self.out_success = np.empty(capacity, dtype=np.bool_)

    def discard_uniforms(self) -> None:
        """Forget pre-drawn numbers (after a reseed) so the next run starts from the new seed."""
        self.uniforms = np.empty(0)

    def run(
        self,
        agent: Any,
        eps_params: tuple[int, float, float, float],
        n_steps: int,
        max_episodes: int,
        istate: np.ndarray,
        ep_return: np.ndarray,
        visits: np.ndarray,
        last_td: np.ndarray,
        ring: np.ndarray,
    ) -> tuple[int, int]:
        """Run up to ``n_steps`` steps / ``max_episodes`` finished episodes on ``agent.q``.

        Returns ``(steps, episodes)``; the finished episodes are in ``out_return[:episodes]``
        etc. Uniform numbers are topped up from ``agent.rng`` in fixed blocks and leftovers kept,
        so the numbers used depend only on how many were used before.
        """
        n_plan = int(agent.planning_steps)
        need = (MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * n_plan) * (n_steps + 1)
        pos = int(istate[I_UPOS])
        if len(self.uniforms) - pos < need:
            fresh = agent.rng.random(max(self.BLOCK, need))
            self.uniforms = np.concatenate((self.uniforms[pos:], fresh))
            istate[I_UPOS] = 0
        cap = max(1, min(max_episodes, len(self.out_return)))
        istate[I_NOUT] = 0
        kind, e0, e1, e2 = eps_params
        steps = run_steps(
            agent.q, self.cdf, self.model.next_state, self.model.reward,
            self.model.terminated, self.initial_cdf, self.max_steps,
            RULES[agent.kind], float(agent.alpha), float(agent.gamma),
            int(kind), float(e0), float(e1), float(e2),
            self.uniforms, int(n_steps), istate, ep_return, visits, last_td, ring,
            self.out_return[:cap], self.out_length[:cap], self.out_success[:cap],
            self.goal, self.goal_by_reward,
            float(agent.lam), agent.trace == "replacing", *agent.traces.arrays(), n_plan,
            *agent.model.arrays(),
        )  # fmt: skip
        return int(steps), int(istate[I_NOUT])


def place_env(env: gymnasium.Env, state: int, episode_step: int) -> None:
    """Put a toy-text style env (wrappers included) at ``state``, ``episode_step`` steps into an
    episode, so the Python path continues where the turbo path stopped (time limit included)."""
    base = env.unwrapped
    base.s = int(state)
    if hasattr(base, "lastaction"):
        base.lastaction = None
    if hasattr(base, "elapsed_steps"):
        base.elapsed_steps = int(episode_step)
    layer: Any = env
    while isinstance(layer, gymnasium.Wrapper):
        if isinstance(layer, gymnasium.wrappers.TimeLimit):
            layer._elapsed_steps = int(episode_step)
        layer = layer.env


def turbo_model(env: gymnasium.Env) -> TabularModel | None:
    """``TabularModel.from_env(env)``, or None when the env cannot be tabulated faithfully."""
    try:
        return TabularModel.from_env(env)
    except TurboUnavailable:
        return None
