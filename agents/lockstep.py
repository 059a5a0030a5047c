"""Many independent tabular runs stepped together in compiled code, for parameter studies.

A study (Sutton & Barto's Figure 6.3: three agents x ten alphas x hundreds of runs) is thousands
of short, independent training runs on one small MDP. Starting a ``TrainingSession`` per run costs
more than the run itself; here every run is one row of a ``[R, S, A]`` Q-table array and one
numba call advances all of them, each through ``agents.turbokernel.run_steps`` - the very kernel the
session's turbo path uses, so a lockstep run is the same run, bit for bit, as
``TrainingSession(..., seed=seed)`` with the same agent and schedule (``tests/test_lockstep.py``).

Random numbers: run ``r`` owns the ``numpy.random.Generator`` a session seeded with ``seeds[r]``
would give its agent, and draws its start state the way the session does (``env.reset`` with the
session's env seed). The kernel consumes each run's block of uniform numbers and stops that run
when the block runs low; :class:`LockstepBatch` tops the block up from the run's own Generator,
keeping the leftovers, so results never depend on block sizes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium
import numpy as np
from numba import njit

from agents.config import AUTO
from agents.dyna import DynaModel
from agents.fast import (
    I_DIVERGED,
    I_NEXT_ACTION,
    I_NOUT,
    I_STATE,
    I_UPOS,
    MAX_UNIFORMS_PER_STEP,
    N_ISTATE,
    RULES,
    UNIFORMS_PER_PLANNING_STEP,
    TabularModel,
)  # fmt: skip
from agents.numbastart import load_cached_without_refresh
from agents.optimism import auto_initial_q
from agents.schedules import make_schedule
from agents.traces import EligibilityTraces
from agents.turbokernel import run_steps

# Uniform numbers held per run between top-ups (32 KB each).
UNIFORM_BLOCK = 4096


@dataclass(frozen=True)
class RunSpec:
    """One training run of a study: agent kind, its settings (``TabularConfig`` field names)
    and the session seed it reproduces."""

    kind: str
    settings: dict[str, Any]
    seed: int


@njit(cache=True, nogil=True, _nrt=False)  # a study may run on a thread beside the app's frame loop
def _advance_runs(
    q, cdf, next_state, reward, terminated, initial_cdf, max_steps,
    rules, alphas, gammas, eps_kinds, e0, e1, e2,
    uniforms, istate, ep_return, visits, last_td, ring, out_return, out_length, out_success,
    goal, live, step_budget, until, lams, replacing, plans, traces, models,
):  # fmt: skip
    """Advance every live run until it has ``until`` episodes or its uniform block runs low, or
    until ``step_budget`` steps were run in this call; returns the steps run.

    ``visits``, ``last_td`` and ``ring`` are scratch shared by all runs (a study does not read
    them). A run whose Q-table diverged is marked dead (``live[r] = False``). ``traces`` and
    ``models`` hold each run's eligibility traces and Dyna model, stacked along axis 0.
    """
    tr_index, tr_value, tr_slot, tr_count = traces
    m_next, m_reward, m_term, m_states, m_actions, m_tried, m_counters, m_planned = models
    n_runs = q.shape[0]
    total = 0
    for r in range(n_runs):
        if not live[r]:
            continue
        while istate[r, I_NOUT] < until and total < step_budget:
            per_step = MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * plans[r]
            room = uniforms.shape[1] - istate[r, I_UPOS]
            if room < 2 * per_step:
                break
            n = min(room // per_step - 1, step_budget - total)
            done = run_steps(
                q[r], cdf, next_state, reward, terminated, initial_cdf, max_steps,
                rules[r], alphas[r], gammas[r], eps_kinds[r], e0[r], e1[r], e2[r],
                uniforms[r], n, istate[r], ep_return[r:r + 1], visits, last_td, ring,
                out_return[r, :until], out_length[r, :until], out_success[r, :until], goal, False,
                lams[r], replacing[r], tr_index[r], tr_value[r], tr_slot[r], tr_count[r],
                plans[r], m_next[r], m_reward[r], m_term[r], m_states[r], m_actions[r],
                m_tried[r], m_counters[r], m_planned[r],
            )  # fmt: skip
            total += done
            if istate[r, I_DIVERGED] != 0:
                live[r] = False
                break
            if done == 0:
                break
        if total >= step_budget:
            break
    return total


load_cached_without_refresh(_advance_runs)


def _stacked(arrays: tuple[np.ndarray, ...], n: int) -> tuple[np.ndarray, ...]:
    """``n`` fresh copies of each array, stacked along a new first axis (one per run)."""
    return tuple(np.ascontiguousarray(np.broadcast_to(x, (n, *x.shape))) for x in arrays)


class LockstepBatch:
    """A batch of independent runs of ``episodes`` episodes each on one tabular MDP.

    Args:
        env: the env whose model is stepped (its time limit applies); also used once per run
            for the first start state, exactly as a session resets it.
        model: ``TabularModel.from_env(env)``.
        runs: what each run is.
        episodes: episodes every run trains for.
    """

    def __init__(self, env: gymnasium.Env, model: TabularModel, runs: list[RunSpec],
                 episodes: int) -> None:
        n, s, a = len(runs), model.n_states, model.n_actions
        self.runs = runs
        self.episodes = int(episodes)
        self.model = model
        self.cdf = np.ascontiguousarray(model.cdf)
        self.initial_cdf = np.cumsum(model.initial)
        self.q = np.empty((n, s, a))
        self.rules = np.empty(n, dtype=np.int64)
        self.alphas, self.gammas = np.empty(n), np.empty(n)
        self.eps_kinds = np.empty(n, dtype=np.int64)
        self.eps = np.empty((3, n))
        self.istate = np.zeros((n, N_ISTATE), dtype=np.int64)
        self.istate[:, I_NEXT_ACTION] = -1
        self.ep_return = np.zeros(n)
        plans = [int(run.settings.get("planning_steps", 0)) for run in runs]
        most = MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * max(plans, default=0)
        self.block = max(UNIFORM_BLOCK, 4 * most)  # room for a few steps of the busiest run
        self.uniforms = np.empty((n, self.block))
        self.istate[:, I_UPOS] = self.block  # empty: the first top-up fills every block
        self.lams = np.empty(n)
        self.replacing = np.empty(n, dtype=np.bool_)
        self.plans = np.empty(n, dtype=np.int64)
        self.traces = _stacked(EligibilityTraces(s, a).arrays(), n)
        self.models = _stacked(DynaModel(s, a).arrays()[:-1] + (np.zeros(1, dtype=np.int64),), n)
        self.rngs: list[np.random.Generator] = []
        for r, run in enumerate(runs):
            self._set_up_run(r, run, env)
        self.out_return = np.zeros((n, self.episodes))
        self.out_length = np.zeros((n, self.episodes), dtype=np.int64)
        self.out_success = np.zeros((n, self.episodes), dtype=np.bool_)
        self.live = np.ones(n, dtype=np.bool_)
        self._visits = np.zeros(s, dtype=np.int64)
        self._last_td = np.zeros((s, a))
        self._ring = np.zeros(1, dtype=np.int64)
        self._goal = np.zeros(s, dtype=np.bool_)
        self.steps = 0

    def _set_up_run(self, r: int, run: RunSpec, env: gymnasium.Env) -> None:
        """Row ``r`` of every per-run array from ``run``'s settings; its Generator and first
        state seeded as a ``TrainingSession`` seeds them, so the two agree bit for bit."""
        hp = run.settings
        schedule = make_schedule(hp["schedule"], hp["epsilon"], hp["epsilon_min"],
                                 hp["epsilon_decay"])
        q0 = hp["initial_q"]
        self.q[r].fill(auto_initial_q(env) if q0 == AUTO else float(q0))
        self.rules[r] = RULES[run.kind]
        self.alphas[r], self.gammas[r] = float(hp["alpha"]), float(hp["gamma"])
        self.lams[r] = float(hp.get("lam", 0.0))
        self.replacing[r] = hp.get("trace", "replacing") == "replacing"
        self.plans[r] = int(hp.get("planning_steps", 0))
        self.eps_kinds[r] = schedule.kind
        self.eps[:, r] = schedule.params()
        agent_seq, env_seq = np.random.SeedSequence(int(run.seed)).spawn(2)
        self.rngs.append(np.random.default_rng(agent_seq))
        obs, _ = env.reset(seed=int(env_seq.generate_state(1)[0]))
        self.istate[r, I_STATE] = int(obs)

    @property
    def finished(self) -> np.ndarray:
        """Episodes finished per run."""
        return self.istate[:, I_NOUT].copy()

    @property
    def diverged(self) -> np.ndarray:
        """[R] bool: the run stopped because a Q-value became infinite or NaN."""
        return ~self.live & (self.istate[:, I_NOUT] < self.episodes)

    @property
    def done(self) -> bool:
        """True when every run has all its episodes or has diverged."""
        return self.reached(self.episodes)

    def reached(self, episodes: int) -> bool:
        """True when every run has at least ``episodes`` episodes or has diverged."""
        return bool(np.all(~self.live | (self.istate[:, I_NOUT] >= episodes)))

    def _top_up(self) -> None:
        pos = self.istate[:, I_UPOS]
        need = (MAX_UNIFORMS_PER_STEP + UNIFORMS_PER_PLANNING_STEP * self.plans) * 64
        block = self.block
        low = np.flatnonzero(self.live & (block - pos < need)
                             & (self.istate[:, I_NOUT] < self.episodes))
        for r in low.tolist():
            keep = block - int(pos[r])
            row = self.uniforms[r]
            row[:keep] = row[block - keep:]
            row[keep:] = self.rngs[r].random(block - keep)
            pos[r] = 0

    def advance(self, step_budget: int = 1 << 22, until: int | None = None) -> int:
        """Run about ``step_budget`` steps across the batch (fewer when it finishes); returns them.

        Call until :attr:`done` (or :meth:`reached` ``until``: runs then stop at that episode, so
        a caller can look at every run at the same point of its learning curve); between calls
        a caller can report progress or stop.
        """
        until = self.episodes if until is None else max(0, min(int(until), self.episodes))
        ran = 0
        while ran < step_budget and not self.reached(until):
            self._top_up()
            steps = _advance_runs(
                self.q, self.cdf, self.model.next_state, self.model.reward,
                self.model.terminated, self.initial_cdf, int(self.model.max_steps or 0),
                self.rules, self.alphas, self.gammas, self.eps_kinds,
                self.eps[0], self.eps[1], self.eps[2],
                self.uniforms, self.istate, self.ep_return, self._visits, self._last_td,
                self._ring, self.out_return, self.out_length, self.out_success, self._goal,
                self.live, int(step_budget - ran), until, self.lams, self.replacing, self.plans,
                self.traces, self.models,
            )  # fmt: skip
            ran += int(steps)
            if steps == 0:  # every live run was topped up, so only a zero budget gets here
                break
        self.steps += ran
        return ran
