"""The turbo kernel: agent, epsilon schedule and env stepped together in numba-compiled code.

``run_steps`` is what ``agents.fast.TurboRunner`` calls (through ``agents.turbodrive``) and what
``agents.lockstep`` calls once per run. It is the same MDP as the env and the same arithmetic as
the Python agents: see ``agents.fast`` for the model and the random numbers; the update is
written in the same order as ``agents/tabular.py`` so the two paths agree to the last bit
(``tests/test_fast.py`` checks this for all three rules). The agent's eligibility traces and
Dyna model (``agents.traces``, ``agents.dyna``) are arrays the kernel updates in place through
the same plain functions the Python agents call, compiled here.

Everything here is compiled with ``_nrt=False`` (it allocates nothing) and loads from numba's
cache without numba's target refresh (``agents.numbastart``); ``agents.turbo_aot`` compiles the
same ``run_steps`` ahead of time for processes that should not import numba at all.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from agents.dyna import C_PLANNED, C_STATES, record_transition, sample_pair
from agents.fast import (
    I_CUR_START,
    I_DIVERGED,
    I_EP_STEP,
    I_EPISODE,
    I_LAST_END,
    I_LAST_START,
    I_NEXT_ACTION,
    I_NOUT,
    I_RPOS,
    I_STATE,
    I_STEP,
    I_UPOS,
    MAX_UNIFORMS_PER_STEP,
    RULE_Q_LEARNING,
    RULE_SARSA,
    UNIFORMS_PER_PLANNING_STEP,
)  # fmt: skip
from agents.numbastart import load_cached_without_refresh
from agents.schedules import schedule_value
from agents.traces import clear_traces, trace_update

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
