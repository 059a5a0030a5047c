"""Hyperparameter tuning with Optuna: a search space per agent kind, pruning on the learning
curve, several seeds per trial, and Optuna's own storage for many workers on many machines.

Every worker runs the same command against one storage URL (an SQLite file by default, a shared
PostgreSQL database for many machines); Optuna hands each worker the next trial. Storage is an
``RDBStorage`` with a heartbeat: a worker that dies mid-trial stops beating, the next worker to
start a trial marks it failed, and ``RetryFailedTrialCallback`` queues the same parameters again,
so no trial is lost. ``--trials`` counts finished (complete or pruned) trials of the whole study.

A trial's score is its greedy policy's expected return, averaged over its seeds:

* tabular agents: computed exactly from the env's model (:func:`greedy_value`, the expected
  undiscounted return of the greedy policy - ties split evenly, as the agent breaks them at
  random - within the env's step limit), so a trial is judged without evaluation noise; the
  runs of a trial go through :mod:`agents.lockstep` and are checked at ``checkpoints`` points of
  their learning curve, where the pruner may stop a poor trial;
* DQN: the greedy evaluation ``main.py eval`` makes (``agents.evaluation.evaluate``).

This module imports optuna; only ``main.py tune`` imports this module.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
import sys
import time
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import optuna

from agents.config import ConfigError, DQNConfig, TabularConfig
from agents.fast import TabularModel
from agents.study import DEFAULT_CAP

TABULAR = ("q-learning", "sarsa", "expected-sarsa")
KINDS = (*TABULAR, "dqn")
HEARTBEAT_SECONDS = 10  # a worker silent for 2 of these is presumed dead
MAX_RETRIES = 3


def tabular_space(trial: optuna.Trial) -> dict[str, Any]:
    """TabularConfig values for one trial (the course's exponential epsilon decay)."""
    values = {
        "alpha": trial.suggest_float("alpha", 0.01, 1.0, log=True),
        "gamma": trial.suggest_float("gamma", 0.95, 1.0),
        "epsilon": trial.suggest_float("epsilon", 0.05, 1.0),
        "epsilon_min": trial.suggest_float("epsilon_min", 0.0, 0.2),
        "epsilon_decay": trial.suggest_float("epsilon_decay", 1e-4, 0.1, log=True),
        "schedule": "exponential",
        "initial_q": trial.suggest_float("initial_q", 0.0, 1.0),
    }
    return dataclasses.asdict(TabularConfig(**values))


def dqn_space(trial: optuna.Trial) -> dict[str, Any]:
    """DQNConfig values for one trial (widths and counts from small grids, as the Zoo does)."""
    width = trial.suggest_categorical("width", [64, 128, 256])
    return {
        "learning_rate": trial.suggest_float("learning_rate", 1e-4, 3e-3, log=True),
        "gamma": trial.suggest_float("gamma", 0.9, 0.999),
        "batch_size": trial.suggest_categorical("batch_size", [32, 64, 128]),
        "train_freq": trial.suggest_categorical("train_freq", [1, 4, 8]),
        "target_update_interval": trial.suggest_categorical(
            "target_update_interval", [100, 250, 500, 1000]),
        "exploration_fraction": trial.suggest_float("exploration_fraction", 0.05, 0.5),
        "epsilon_end": trial.suggest_float("epsilon_end", 0.01, 0.1),
        "n_step": trial.suggest_categorical("n_step", [1, 3]),
        "hidden": (width, width),
    }


@dataclass(frozen=True)
class TuneSpec:
    """One worker's share of a tuning study.

    ``budget`` is episodes per run for tabular agents, env steps for a DQN; ``seeds`` runs per
    trial; ``seed`` seeds the sampler (one worker, same seed: the same trials) and the runs.
    """

    env: str
    agent: str
    trials: int
    storage: str
    study_name: str
    budget: int
    seeds: int = 3
    seed: int = 0
    checkpoints: int = 5
    eval_episodes: int = 20
    device: str = "auto"
    heartbeat: int = HEARTBEAT_SECONDS
    worker: str = ""  # recorded on each trial (host:pid), to tell workers apart

    @property
    def storage_label(self) -> str:
        """The storage URL with any password masked, for messages."""
        return mask_password(self.storage)

    def __post_init__(self) -> None:
        if self.agent not in KINDS:
            raise ConfigError(f"unknown agent {self.agent!r}; tune one of {', '.join(KINDS)}")
        for name in ("trials", "budget", "seeds", "checkpoints", "eval_episodes", "heartbeat"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{name} must be at least 1, got {getattr(self, name)}")


def default_study_name(agent: str, env: str) -> str:
    """``q-learning-FrozenLake-v1_is_slippery_False``: agent and env, safe in any storage."""
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{agent}-{env}").strip("_")


def open_storage(url: str, heartbeat: int = HEARTBEAT_SECONDS) -> optuna.storages.RDBStorage:
    """Optuna's database storage with a heartbeat and a retry for trials whose worker died."""
    try:
        with warnings.catch_warnings():  # the heartbeat API is marked experimental
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return optuna.storages.RDBStorage(
                database_url(url), heartbeat_interval=heartbeat, grace_period=2 * heartbeat,
                heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                    max_retry=MAX_RETRIES),
                engine_kwargs={"pool_pre_ping": True} if url.startswith("postgresql") else None,
            )
    except Exception as exc:  # a bad URL, an unreachable server, a missing driver: one sentence
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"cannot open Optuna storage {mask_password(url)!r}: {reason}") from None


def database_url(url: str) -> str:
    """``postgresql://`` pinned to the psycopg (3) driver this project installs, whatever
    SQLAlchemy's default driver is; other URLs unchanged."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def mask_password(url: str) -> str:
    """``postgresql://user:secret@host/db`` -> ``postgresql://user:***@host/db``."""
    return re.sub(r"(://[^:/@]+:).*@", r"\1***@", url)


# ---- exact greedy evaluation for tabular agents ------------------------------------------------
def _backup(model: TabularModel, v: np.ndarray) -> np.ndarray:
    """Q[s, a] = sum_k p (r + V(s') unless terminated): one undiscounted step."""
    future = np.where(model.terminated, 0.0, v[model.next_state])
    return np.einsum("sak,sak->sa", model.prob, model.reward + future)


def greedy_value(model: TabularModel, q: np.ndarray, horizon: int | None = None) -> float:
    """Expected return of the greedy policy of ``q`` from the start distribution, within the
    env's step limit (``DEFAULT_CAP`` steps when it has none); tied actions share evenly."""
    best = q == q.max(axis=1, keepdims=True)
    policy = best / best.sum(axis=1, keepdims=True)
    v = np.zeros(model.n_states)
    for _ in range(horizon or model.max_steps or DEFAULT_CAP):
        v = (policy * _backup(model, v)).sum(axis=1)
    return float(model.initial @ v)


def optimal_value(model: TabularModel, horizon: int | None = None) -> float:
    """An upper bound: the best expected return any policy, even one that looks at the clock,
    reaches within the step limit (finite-horizon dynamic programming)."""
    v = np.zeros(model.n_states)
    for _ in range(horizon or model.max_steps or DEFAULT_CAP):
        v = _backup(model, v).max(axis=1)
    return float(model.initial @ v)


def planned_value(model: TabularModel) -> float:
    """The best score (as :func:`greedy_value` measures it) of value iteration's optimal
    policies for gamma 1, 0.999, 0.99 and 0.9: what a perfectly learnt Q-table reaches."""
    from agents.planning import PlanningError, value_iteration

    scores = []
    for gamma in (1.0, 0.999, 0.99, 0.9):
        try:
            scores.append(greedy_value(model, value_iteration(model, gamma)))
        except PlanningError:  # gamma 1 with reward to be had for ever
            continue
    return max(scores)


# ---- objectives -------------------------------------------------------------------------------
Objective = Callable[[optuna.Trial], float]


def trial_seeds(spec: TuneSpec, trial: optuna.Trial) -> list[int]:
    """Seeds of a trial's runs, drawn from its sampled parameters: a retry of a trial whose
    worker died (same parameters) repeats the very same runs on whichever worker takes it."""
    key = json.dumps(trial.params, sort_keys=True).encode()
    base = np.random.SeedSequence([spec.seed, zlib.crc32(key)]).generate_state(1)[0]
    return [int(base % 1_000_000_000) + j for j in range(spec.seeds)]


def tabular_objective(spec: TuneSpec) -> Objective:
    """Train ``spec.seeds`` lockstep runs per trial; report the exact greedy value at each
    checkpoint (the pruner sees the learning curve), return it at the end."""
    from agents.lockstep import LockstepBatch, RunSpec
    from levels.envs import make_env

    env, _ = make_env(spec.env)
    model = TabularModel.from_env(env)  # TurboUnavailable is a ConfigError for the user

    def objective(trial: optuna.Trial) -> float:
        settings = tabular_space(trial)
        seeds = trial_seeds(spec, trial)
        trial.set_user_attr("seeds", seeds)
        trial.set_user_attr("worker", spec.worker)
        batch = LockstepBatch(env, model, [RunSpec(spec.agent, settings, s) for s in seeds],
                              spec.budget)
        score = -math.inf
        for k in range(1, spec.checkpoints + 1):
            until = round(spec.budget * k / spec.checkpoints)
            while not batch.reached(until):
                batch.advance(until=until)
            if batch.diverged.any():
                raise optuna.TrialPruned("a Q-value diverged")
            score = float(np.mean([greedy_value(model, q) for q in batch.q]))
            trial.report(score, k)
            if k < spec.checkpoints and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at checkpoint {k}")
        return score

    return objective


def dqn_objective(spec: TuneSpec) -> Objective:
    """Train ``spec.seeds`` DQNs per trial through a session; report the mean return of recent
    training episodes at each checkpoint; return the mean greedy evaluation."""
    from agents.course import eval_seeds
    from agents.evaluation import evaluate
    from agents.factory import build
    from agents.session import TrainingSession
    from levels.envs import make_env

    def objective(trial: optuna.Trial) -> float:
        hp = dict(dqn_space(trial), total_steps=spec.budget)
        DQNConfig(**hp)
        seeds = trial_seeds(spec, trial)
        trial.set_user_attr("seeds", seeds)
        trial.set_user_attr("worker", spec.worker)
        scores = []
        sessions = []
        for s in seeds:
            env, _ = make_env(spec.env)
            agent = build("dqn", env, hp, seed=s, device=spec.device)
            sessions.append(TrainingSession(env, agent, seed=s))
        for k in range(1, spec.checkpoints + 1):
            until = round(spec.budget * k / spec.checkpoints)
            recent = []
            for session in sessions:
                while session.total_steps < until:
                    report = session.advance(until - session.total_steps)
                    if report.error:
                        raise optuna.TrialPruned(report.error)
                returns = session.recent_returns(20)
                recent.append(float(returns.mean()) if len(returns) else 0.0)
            trial.report(float(np.mean(recent)), k)
            if k < spec.checkpoints and trial.should_prune():
                raise optuna.TrialPruned(f"pruned at checkpoint {k}")
        for session, s in zip(sessions, seeds, strict=True):
            env, _ = make_env(spec.env)
            scores.append(evaluate(env, session.agent, eval_seeds(spec.eval_episodes, s))
                          .mean_reward)
        return float(np.mean(scores))

    return objective


def tune(spec: TuneSpec, on_trial: Callable[[optuna.Study, Any], None] | None = None
         ) -> optuna.Study:
    """Run this worker's trials on the shared study (created on first use) and return it."""
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    storage = open_storage(spec.storage, spec.heartbeat)
    study = optuna.create_study(
        storage=storage, study_name=spec.study_name, direction="maximize", load_if_exists=True,
        sampler=optuna.samplers.TPESampler(seed=spec.seed, n_startup_trials=8),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5, n_warmup_steps=1),
    )
    meta = {"agent": spec.agent, "env": spec.env, "budget": spec.budget}
    for key, value in meta.items():
        stored = study.user_attrs.get(key)
        if stored is None:
            study.set_user_attr(key, value)
        elif stored != value:
            raise ConfigError(f"study {spec.study_name!r} tunes {key} {stored!r}, not {value!r}; "
                              "pick another --study-name")
    objective = tabular_objective(spec) if spec.agent in TABULAR else dqn_objective(spec)
    finished = (optuna.trial.TrialState.COMPLETE, optuna.trial.TrialState.PRUNED)
    callbacks = [optuna.study.MaxTrialsCallback(spec.trials, states=finished)]
    if on_trial is not None:
        callbacks.append(on_trial)
    if _count(study, finished) < spec.trials:
        study.optimize(objective, n_trials=spec.trials, callbacks=callbacks,
                       catch=(ConfigError,), gc_after_trial=False)
    _finish_others(study, objective, spec)
    return study


def _finish_others(study: optuna.Study, objective: Objective, spec: TuneSpec) -> None:
    """Stay until no trial is running elsewhere or waiting: a trial whose worker died turns
    stale after two heartbeats, is re-queued by the retry callback, and is run here, so the
    last worker standing leaves nothing behind."""
    running, waiting = optuna.trial.TrialState.RUNNING, optuna.trial.TrialState.WAITING
    while True:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            optuna.storages.fail_stale_trials(study)
        queued = _count(study, (waiting,))
        if queued:
            study.optimize(objective, n_trials=queued, catch=(ConfigError,),
                           gc_after_trial=False)
        elif _count(study, (running,)):
            time.sleep(min(1.0, spec.heartbeat / 2))
        else:
            return


def _count(study: optuna.Study, states: tuple) -> int:
    return len(study.get_trials(deepcopy=False, states=states))


def best_hyperparameters(study: optuna.Study) -> dict[str, Any]:
    """The full config values of the study's best trial (``TabularConfig`` or ``DQNConfig``)."""
    trial = study.best_trial
    fixed = optuna.trial.FixedTrial(trial.params)
    if study.user_attrs.get("agent") == "dqn":
        hp = dqn_space(fixed)
        hp["total_steps"] = int(study.user_attrs["budget"])
        return {k: list(v) if isinstance(v, tuple) else v
                for k, v in dataclasses.asdict(DQNConfig(**hp)).items()}
    return tabular_space(fixed)


def train_with(spec: TuneSpec, hp: dict[str, Any], seed: int) -> tuple[Any, dict, float | None]:
    """One agent trained with ``hp`` for the study's budget: ``(agent, agent-file metadata,
    the env's optimal greedy score or None)``."""
    from agents.factory import build
    from agents.session import TrainingSession
    from levels.envs import make_env

    env, resolved = make_env(spec.env)
    config = dict(hp, hidden=tuple(hp["hidden"])) if spec.agent == "dqn" else hp
    agent = build(spec.agent, env, config, seed=seed, device=spec.device)
    session = TrainingSession(env, agent, seed=seed, turbo=spec.agent != "dqn", env_spec=resolved)
    optimal = None
    if spec.agent == "dqn":
        while session.total_steps < spec.budget:
            report = session.advance(spec.budget - session.total_steps)
            if report.error:
                raise ConfigError(report.error)
    else:
        while session.episode < spec.budget:
            session.advance(sys.maxsize, max_episodes=spec.budget - session.episode)
        optimal = planned_value(TabularModel.from_env(env))
    meta = {"env": resolved.spec, "env_id": resolved.env_id, "max_steps": None, "seed": seed,
            "episodes": session.episode, "steps": session.total_steps, "hyperparameters": hp,
            "turbo": spec.agent != "dqn", "tuned": spec.study_name}
    return agent, meta, optimal


def log(message: str) -> None:
    """A line on stderr (progress between trials)."""
    print(message, file=sys.stderr, flush=True)
